//! Credentials typed into a chat. Whatever a person types may end up on the timeline, in the
//! outbox and in a post-mortem, so text that holds a credential of a known shape is refused
//! before anything reads or stores it.
//!
//! The shapes are the ones issuers publish or that carry their own marker: a URL with a
//! password in it, Slack tokens (`xoxb-…`, `xapp-…`), GitHub (`ghp_…`, `github_pat_…`) and
//! GitLab (`glpat-…`) tokens, AWS access key ids (`AKIA…`, `ASIA…`), Stripe secret keys
//! (`sk_live_…`), Google API keys (`AIza…`), JSON Web Tokens and private keys
//! (`-----BEGIN … PRIVATE KEY-----`). Certificates and public keys are not secrets and pass.

/// The kind of credential `text` holds, for the refusal (`"a Slack token"`), if any.
pub fn credential_in(text: &str) -> Option<&'static str> {
    if text.contains("-----BEGIN") && text.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    text.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '<' | '>' | ','))
        .find_map(|word| {
            // `name=value` as `run 3` takes it: the value counts, and so does the whole word
            // (a URL's query has `=` in it too).
            credential_word(word).or_else(|| {
                word.split_once('=')
                    .and_then(|(_, value)| credential_word(value))
            })
        })
}

/// The kind of credential one word is, if any.
fn credential_word(word: &str) -> Option<&'static str> {
    if url_with_password(word) {
        return Some("a URL with a password");
    }
    const PREFIXED: &[(&str, usize, &str)] = &[
        ("xoxb-", 20, "a Slack token"),
        ("xoxp-", 20, "a Slack token"),
        ("xoxa-", 20, "a Slack token"),
        ("xoxr-", 20, "a Slack token"),
        ("xoxs-", 20, "a Slack token"),
        ("xoxe.", 20, "a Slack token"),
        ("xapp-", 20, "a Slack token"),
        ("ghp_", 30, "a GitHub token"),
        ("gho_", 30, "a GitHub token"),
        ("ghu_", 30, "a GitHub token"),
        ("ghs_", 30, "a GitHub token"),
        ("ghr_", 30, "a GitHub token"),
        ("github_pat_", 30, "a GitHub token"),
        ("glpat-", 20, "a GitLab token"),
        ("sk_live_", 20, "a Stripe secret key"),
        ("rk_live_", 20, "a Stripe secret key"),
        ("AIza", 35, "a Google API key"),
    ];
    for (prefix, min_rest, kind) in PREFIXED {
        if let Some(rest) = word.strip_prefix(prefix)
            && rest.len() >= *min_rest
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Some(kind);
        }
    }
    if aws_key_id(word) {
        return Some("an AWS access key id");
    }
    if json_web_token(word) {
        return Some("a JSON Web Token");
    }
    None
}

/// `scheme://user:password@host…` with a password that is not a placeholder (`***`, `…`,
/// `<password>`, `$PGPASSWORD`, `${PASS}`).
fn url_with_password(word: &str) -> bool {
    let Some((_, after)) = word.split_once("://") else {
        return false;
    };
    let authority = after.split(['/', '?', '#']).next().unwrap_or_default();
    let Some((userinfo, _host)) = authority.rsplit_once('@') else {
        return false;
    };
    let Some((_user, password)) = userinfo.split_once(':') else {
        return false;
    };
    let placeholder = password.is_empty()
        || password
            .chars()
            .all(|c| matches!(c, '*' | '…' | '.' | 'x' | 'X'))
        || password.starts_with('$')
        || password.starts_with('<')
        || password.starts_with('{');
    !placeholder
}

/// `AKIA` or `ASIA` and 16 capital letters or digits: an AWS access key id.
fn aws_key_id(word: &str) -> bool {
    let word = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    (word.starts_with("AKIA") || word.starts_with("ASIA"))
        && word.len() == 20
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Three base64url parts, the first two JSON objects (`eyJ`): a JSON Web Token.
fn json_web_token(word: &str) -> bool {
    let word = word.strip_prefix("Bearer").unwrap_or(word);
    let parts: Vec<&str> = word.split('.').collect();
    parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts[1].starts_with("eyJ")
        && parts.iter().all(|p| {
            p.len() >= 10
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_of_known_shapes_are_found_wherever_they_stand() {
        let cases = [
            (
                "run 1 database_url=postgres://app:hunter2@db-1:5432/shop",
                "a URL with a password",
            ),
            (
                "note try postgres://app:hunter2@db-1/shop?sslmode=require",
                "a URL with a password",
            ),
            (
                "run 2 token=ghp_0123456789abcdefghijABCDEFGHIJ012345",
                "a GitHub token",
            ),
            (
                "note the bot token is xoxb-2222222222-3333333333-abcdefghijklmnopqrstuvwx",
                "a Slack token",
            ),
            (
                "xapp-1-A0123456789-1234567890123-abcdef0123456789",
                "a Slack token",
            ),
            ("ghp_0123456789abcdefghijABCDEFGHIJ012345", "a GitHub token"),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
                "a GitHub token",
            ),
            ("glpat-abcdefghij0123456789", "a GitLab token"),
            ("key AKIAIOSFODNN7EXAMPLE leaked", "an AWS access key id"),
            ("sk_live_0123456789abcdefghijklmn", "a Stripe secret key"),
            (
                "AIzaSyA-0123456789abcdefghijklmnopqrstu",
                "a Google API key",
            ),
            (
                "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                "a JSON Web Token",
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----",
                "a private key",
            ),
        ];
        for (text, kind) in cases {
            assert_eq!(credential_in(text), Some(kind), "{text}");
        }
    }

    #[test]
    fn everyday_incident_text_is_not_a_credential() {
        for text in [
            "declare p1 checkout API returns 500s",
            "run 1 pod_name=api-7f9c namespace=shop",
            "note db at postgres://app@db-1:5432/shop refuses connections",
            "note the config says postgres://warroom:***@db:5432/warroom",
            "note use postgres://app:$PGPASSWORD@db/shop",
            "note see https://grafana.example.com/d/abc?from=now-1h",
            "note the xoxb- token expired, rotate it",
            "note AKIA keys are rotated monthly",
            "note we serve -----BEGIN CERTIFICATE----- from the old chain",
            "note https://user@example.com/path",
            "note ratio 3:2@peak",
        ] {
            assert_eq!(credential_in(text), None, "{text}");
        }
    }
}
