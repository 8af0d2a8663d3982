//! Allowed values for parameters that decide where a command connects (`[actions.hosts]`):
//! exact values (`payments-admin.internal`, `10.0.4.7:8443`) and `*.suffix` patterns
//! (`*.payments.internal`), each with an optional port.

use std::fmt;

/// One allowed value of a host-like parameter.
///
/// - An exact entry (`payments-admin.internal`, `127.0.0.1:8443`) matches that text only,
///   ignoring ASCII case. A port is part of the text: `host` does not match `host:8443`.
/// - `*.suffix` (`*.payments.internal`) matches one or more DNS labels (letters, digits, `-`,
///   `_`) followed by `.suffix`: `a.payments.internal`, `a.b.payments.internal`, not
///   `payments.internal` itself. `*.suffix:8443` matches those names with exactly that port;
///   without a port in the entry, a value with a port does not match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    /// The entry as written.
    entry: String,
    /// For `*.suffix[:port]`: the lowercase suffix (without `*.`) and the port.
    wildcard: Option<(String, Option<u16>)>,
}

impl HostPattern {
    /// Reads an entry; the error says what is wrong with it.
    pub fn parse(entry: &str) -> Result<HostPattern, String> {
        if entry.is_empty() {
            return Err("it is empty".to_owned());
        }
        if entry.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("it contains whitespace or a control character".to_owned());
        }
        let Some(rest) = entry.strip_prefix("*.") else {
            if entry.contains('*') {
                return Err("`*` may only start an entry, as in `*.example.internal`".to_owned());
            }
            return Ok(HostPattern {
                entry: entry.to_owned(),
                wildcard: None,
            });
        };
        let (suffix, port) = split_port(rest);
        let port = match port {
            Some(digits) => Some(
                digits
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| format!("`{digits}` is not a port (1 to 65535)"))?,
            ),
            None => None,
        };
        if !is_dns_name(suffix) {
            return Err(
                "after `*.` comes a domain: labels of letters, digits, `-` and `_` joined by dots"
                    .to_owned(),
            );
        }
        Ok(HostPattern {
            entry: entry.to_owned(),
            wildcard: Some((suffix.to_ascii_lowercase(), port)),
        })
    }

    /// Whether `value` is allowed by this entry.
    pub fn matches(&self, value: &str) -> bool {
        let Some((suffix, port)) = &self.wildcard else {
            return value.eq_ignore_ascii_case(&self.entry);
        };
        let (host, value_port) = split_port(value);
        let value_port = match value_port {
            Some(digits) => match digits.parse::<u16>() {
                Ok(p) => Some(p),
                Err(_) => return false,
            },
            None => None,
        };
        if value_port != *port {
            return false;
        }
        let host = host.to_ascii_lowercase();
        let Some(labels) = host.strip_suffix(suffix.as_str()) else {
            return false;
        };
        let Some(labels) = labels.strip_suffix('.') else {
            return false;
        };
        is_dns_name(labels)
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.entry)
    }
}

/// `host:1234` → (`host`, Some(`1234`)); anything else whole, without a port.
fn split_port(text: &str) -> (&str, Option<&str>) {
    match text.rsplit_once(':') {
        Some((host, digits))
            if !host.contains(':')
                && !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (host, Some(digits))
        }
        _ => (text, None),
    }
}

/// Labels of ASCII letters, digits, `-` and `_`, none empty, joined by dots.
fn is_dns_name(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(entry: &str) -> HostPattern {
        HostPattern::parse(entry).unwrap_or_else(|e| panic!("{entry}: {e}"))
    }

    #[test]
    fn an_exact_entry_matches_that_text_only() {
        let p = pattern("payments-admin.internal");
        assert!(p.matches("payments-admin.internal"));
        assert!(p.matches("Payments-Admin.INTERNAL"));
        for other in [
            "payments-admin.internal:8443",
            "payments-admin.internal.evil",
            "x.payments-admin.internal",
            "127.0.0.1",
            "",
        ] {
            assert!(!p.matches(other), "{other}");
        }
        let p = pattern("127.0.0.1:58399");
        assert!(p.matches("127.0.0.1:58399"));
        assert!(!p.matches("127.0.0.1:58398") && !p.matches("127.0.0.1"));
    }

    #[test]
    fn a_wildcard_matches_names_under_the_suffix_with_the_same_port() {
        let p = pattern("*.payments.internal");
        assert!(p.matches("admin.payments.internal"));
        assert!(p.matches("a-1.b_2.payments.internal"));
        for other in [
            "payments.internal",
            ".payments.internal",
            "a..payments.internal",
            "evilpayments.internal",
            "admin.payments.internal:8443",
            "admin.payments.internal.evil",
            "user@admin.payments.internal",
            "evil.com/admin.payments.internal",
            "evil.com#.payments.internal",
        ] {
            assert!(!p.matches(other), "{other}");
        }
        let p = pattern("*.payments.internal:8443");
        assert!(p.matches("admin.payments.internal:8443"));
        assert!(!p.matches("admin.payments.internal"));
        assert!(!p.matches("admin.payments.internal:443"));
    }

    #[test]
    fn bad_entries_say_what_is_wrong() {
        for (entry, why) in [
            ("", "empty"),
            ("a b", "contains"),
            ("*", "`*` may only start"),
            ("a.*.internal", "`*` may only start"),
            ("*.", "domain"),
            ("*.a..b", "domain"),
            ("*.x/y", "domain"),
            ("*.x:0", "not a port"),
            ("*.x:70000", "not a port"),
        ] {
            let err = HostPattern::parse(entry).unwrap_err();
            assert!(err.contains(why), "{entry:?}: {err}");
        }
    }
}
