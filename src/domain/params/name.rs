//! Parameter names: `<pod-name>`, `$DATABASE_URL` and `{{podName}}` all become one lowercase
//! snake_case name, so a runbook, the config and a person typing a value agree on it.

/// The longest placeholder name read; anything longer is taken as text, not a placeholder.
pub(super) const MAX_NAME_CHARS: usize = 64;

/// The lowercase snake_case form of a placeholder or config key (`pod-name` → `pod_name`,
/// `DATABASE_URL` → `database_url`, `podName` → `pod_name`); `None` when `raw` holds anything
/// but ASCII letters, digits, `_` and `-`, or does not start with a letter once normalised
/// (`_0`, `9lives`).
pub fn normalize_param_name(raw: &str) -> Option<String> {
    let ok = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if raw.is_empty() || !raw.chars().all(ok) || !raw.chars().any(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let chars: Vec<char> = raw.chars().collect();
    let mut out = String::with_capacity(raw.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c == '-' || c == '_' {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            // A word starts at `podName`'s N and at `IPAddress`'s A, not inside `URL`.
            let starts_word = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower);
            if starts_word && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    while out.ends_with('_') {
        out.pop();
    }
    // A name starts with a letter, as `<name>` must for a placeholder to read back as one:
    // `$_0` would become `0`, shown `<0>`, which reads back as text.
    out.starts_with(|c: char| c.is_ascii_alphabetic())
        .then_some(out)
}

/// Whether a parameter's name (normalised: `database_url`) says its value is a secret: a
/// database URL (`database_url`, `database_replica_url`: they carry a password), a token
/// (`payments_admin_token`), or a name with `password`, `passwd`, `secret`, `api_key` or
/// `credential` in it, unless it ends in `name` (`secret_name` names a Kubernetes secret).
/// Such a value belongs in `[actions.secrets]`, never typed into a chat.
pub fn looks_secret(name: &str) -> bool {
    let words: Vec<&str> = name.split('_').collect();
    if words.last() == Some(&"name") {
        return false;
    }
    let database_url = words.first() == Some(&"database") && words.last() == Some(&"url");
    database_url
        || words.last() == Some(&"token")
        || [
            "password",
            "passwd",
            "secret",
            "api_key",
            "apikey",
            "credential",
        ]
        .iter()
        .any(|part| name.contains(part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_lowercase_snake_case() {
        let n = |s: &str| normalize_param_name(s).unwrap();
        assert_eq!(n("pod-name"), "pod_name");
        assert_eq!(n("DATABASE_URL"), "database_url");
        assert_eq!(n("podName"), "pod_name");
        assert_eq!(n("IPAddress"), "ip_address");
        assert_eq!(n("service"), "service");
        assert_eq!(n("max-replicas2"), "max_replicas2");
        assert_eq!(n("_PRIVATE__KEY_"), "private_key");
    }

    #[test]
    fn names_of_urls_with_passwords_tokens_and_keys_look_secret() {
        for name in [
            "database_url",
            "database_replica_url",
            "payments_admin_token",
            "token",
            "pgpassword",
            "admin_password",
            "client_secret",
            "stripe_api_key",
            "aws_credentials",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in [
            "pod_name",
            "service_url",
            "namespace",
            "token_ttl",
            "database",
        ] {
            assert!(!looks_secret(name), "{name}");
        }
    }

    #[test]
    fn names_with_other_characters_are_refused() {
        for raw in [
            "", "-", "__", "pod name", "a.b", "päd", "$x", "_0", "9lives",
        ] {
            assert_eq!(normalize_param_name(raw), None, "{raw:?}");
        }
    }
}
