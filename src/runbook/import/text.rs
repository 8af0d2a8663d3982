//! Text as shown: decoration-free titles, step titles, ids, words for matching (slugs are the
//! domain's [`crate::domain::slug`]).

/// Whether a character is an emoji or pictograph, which titles drop.
fn is_decoration(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF
        | 0x2600..=0x27BF
        | 0x2B00..=0x2BFF
        | 0x2300..=0x23FF
        | 0x25A0..=0x25FF
        | 0xFE00..=0xFE0F
        | 0x200D
        | 0x20E3
        | 0xE0020..=0xE007F
        | 0xFFFD
    )
}

/// Drops emoji and pictographs and collapses whitespace.
pub fn strip_decoration(text: &str) -> String {
    let kept: String = text.chars().filter(|&c| !is_decoration(c)).collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Drops a trailing `(2)`-style counter that tools add to make headings unique.
pub fn strip_counter(text: &str) -> &str {
    let trimmed = text.trim_end();
    if let Some(open) = trimmed.rfind('(') {
        let inner = &trimmed[open + 1..];
        if let Some(digits) = inner.strip_suffix(')')
            && !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit())
        {
            return trimmed[..open].trim_end();
        }
    }
    trimmed
}

/// Splits a leading `[RB-001]`-style tag off a title: (tag, rest).
pub fn split_tag(title: &str) -> (Option<&str>, &str) {
    let Some(rest) = title.strip_prefix('[') else {
        return (None, title);
    };
    let Some(close) = rest.find(']') else {
        return (None, title);
    };
    let tag = &rest[..close];
    let shaped = !tag.is_empty()
        && tag.len() <= 24
        && tag.chars().any(|c| c.is_ascii_digit())
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if shaped {
        (Some(tag), rest[close + 1..].trim_start())
    } else {
        (None, title)
    }
}

/// Words that say what a heading is rather than what it is about (`Runbook: Disk full`).
const PREFIX_WORDS: [&str; 3] = ["runbook", "playbook", "incident"];

/// Words followed by a short id that do the same (`Scenario 3:`, `RB-004 -`).
const NUMBERED_PREFIX_WORDS: [&str; 2] = ["scenario", "rb"];

/// What follows a separator (`:`, ` - `, ` — `) at the start of `text`, when there is one.
fn after_separator(text: &str) -> Option<&str> {
    let text = text.trim_start();
    let rest = text
        .strip_prefix(':')
        .or_else(|| text.strip_prefix('-'))
        .or_else(|| text.strip_prefix('—'))
        .or_else(|| text.strip_prefix('–'))?;
    let rest = rest.trim_start();
    (!rest.is_empty()).then_some(rest)
}

/// Removes one `Runbook:` / `Scenario 3:` style prefix, when there is one.
fn strip_one_prefix(title: &str) -> Option<&str> {
    let lower = title.to_ascii_lowercase();
    for word in PREFIX_WORDS {
        if lower.starts_with(word)
            && let Some(rest) = after_separator(&title[word.len()..])
        {
            return Some(rest);
        }
    }
    for word in NUMBERED_PREFIX_WORDS {
        if !lower.starts_with(word) {
            continue;
        }
        let after = title[word.len()..].trim_start_matches([' ', '-', '#']);
        let id_len = after
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(after.len());
        if (1..=4).contains(&id_len)
            && let Some(rest) = after_separator(&after[id_len..])
        {
            return Some(rest);
        }
    }
    None
}

/// A runbook or step title without decoration: emoji, `[RB-001]`, `Runbook:`, `Scenario 3:`,
/// a trailing `(2)` counter and a trailing colon.
pub fn clean_title(raw: &str) -> String {
    clean_title_and_tag(raw).0
}

/// The tag of a heading (`[RB-001]` → `rb-001`), looked for among its decorations.
pub fn tag_id(raw: &str) -> Option<String> {
    clean_title_and_tag(raw).1
}

/// A cleaned title and the first `[RB-001]` tag among its decorations, lowercased.
fn clean_title_and_tag(raw: &str) -> (String, Option<String>) {
    let mut title = strip_decoration(raw);
    let mut first_tag = None;
    loop {
        let (tag, rest) = split_tag(&title);
        if let Some(tag) = tag {
            first_tag = first_tag.or_else(|| Some(tag.to_ascii_lowercase()));
            title = rest.to_owned();
            continue;
        }
        match strip_one_prefix(&title) {
            Some(rest) => title = rest.to_owned(),
            None => break,
        }
    }
    let title = strip_counter(&title)
        .trim_end_matches(':')
        .trim()
        .to_owned();
    (title, first_tag)
}

/// Lowercase words of letters and digits, for matching headings and labels.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Text on one line, as shown.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A step title: one line, no emoji, no `(2)` counter, no trailing colon.
pub fn step_title(text: &str) -> String {
    strip_counter(&strip_decoration(text))
        .trim_end_matches(':')
        .trim()
        .to_owned()
}

/// An item's label (`**Scenario A:** …` → `Scenario A`) and whether the item is only a label.
pub fn label_of(text: &str) -> (Option<String>, bool) {
    match text.split_once(':') {
        Some((label, rest))
            if !label.trim().is_empty() && label.len() <= 60 && !label.contains('`') =>
        {
            (Some(step_title(label)), rest.trim().is_empty())
        }
        _ => (None, false),
    }
}

/// A title made from a command itself: its first line, cut at 80 characters.
pub fn command_title(command: &str) -> String {
    let first = command
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('\\')
        .trim();
    let mut title: String = first.chars().take(80).collect();
    if first.chars().count() > 80 {
        title.push('…');
    }
    title
}

/// A paragraph split into sentences, for symptom entries.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices(['.', '!', '?']) {
        let next = bytes.get(i + 2).copied().unwrap_or(b'a');
        if bytes.get(i + 1) == Some(&b' ') && next.is_ascii_uppercase() {
            out.push(text[start..=i].trim().to_owned());
            start = i + 2;
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest.to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::slug;

    #[test]
    fn titles_lose_decoration_but_keep_their_words() {
        assert_eq!(clean_title("🚨 Runbook: Disk Full"), "Disk Full");
        assert_eq!(
            clean_title("[RB-001] Database Migration Failures"),
            "Database Migration Failures"
        );
        assert_eq!(clean_title("Scenario 3: Cache Stampede"), "Cache Stampede");
        assert_eq!(clean_title("Symptoms (2)"), "Symptoms");
        assert_eq!(
            clean_title("Out of Memory (OOM) Errors"),
            "Out of Memory (OOM) Errors"
        );
        assert_eq!(
            clean_title("Incident response drills"),
            "Incident response drills"
        );
        assert_eq!(clean_title("Runbook"), "Runbook");
    }

    #[test]
    fn tags_become_ids_and_titles_become_slugs() {
        assert_eq!(tag_id("[RB-001] Database"), Some("rb-001".into()));
        assert_eq!(tag_id("[see below] Database"), None);
        assert_eq!(tag_id("🧰 Runbook: [RB-042] CDN"), Some("rb-042".into()));
        assert_eq!(
            slug("Out of Memory (OOM) Errors", usize::MAX),
            "out-of-memory-oom-errors"
        );
        assert_eq!(slug("Café Menu Timeout", usize::MAX), "cafe-menu-timeout");
    }
}
