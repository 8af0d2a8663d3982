//! Slack channel names: lowercase letters, digits, hyphens and underscores, at most 80
//! characters; a taken name gets a numbered suffix.

/// The most characters a channel name may have.
pub const MAX_CHARS: usize = 80;

/// `name` made valid: lowercased, other characters as hyphens (runs collapsed), cut to 80.
pub fn valid(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out = cut(out.trim_end_matches('-'), MAX_CHARS);
    if out.is_empty() {
        out.push_str("incident");
    }
    out
}

/// The `attempt`-th name to try: `name` itself first, then `name-2`, `name-3`… still at most
/// 80 characters.
pub fn with_suffix(name: &str, attempt: u32) -> String {
    if attempt <= 1 {
        return name.to_owned();
    }
    let suffix = format!("-{attempt}");
    format!("{}{suffix}", cut(name, MAX_CHARS - suffix.len()))
}

fn cut(name: &str, max: usize) -> String {
    // Names are ASCII by now, so bytes are characters.
    name[..name.len().min(max)].trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lowercase_ascii_and_at_most_80_characters() {
        assert_eq!(valid("inc-7-Checkout API!"), "inc-7-checkout-api");
        assert_eq!(valid("ÄÖ"), "incident");
        let long = valid(&format!("inc-12-{}", "x".repeat(200)));
        assert_eq!(long.len(), 80);
    }

    #[test]
    fn a_suffix_keeps_the_name_within_80_characters() {
        let long = "a".repeat(80);
        assert_eq!(with_suffix(&long, 1), long);
        let second = with_suffix(&long, 2);
        assert_eq!(second.len(), 80);
        assert!(second.ends_with("-2"));
        assert_eq!(with_suffix("inc-7-db", 12), "inc-7-db-12");
    }
}
