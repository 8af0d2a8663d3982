//! Database URLs with their passwords hidden, fit for logs and `config show`.

/// The URL with any password, in its credentials or its query, replaced by `***`.
pub(super) fn redact_url(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        // Not a URL we understand: hide whatever might be credentials.
        return match raw.rfind('@') {
            Some(at) => format!("***{}", &raw[at..]),
            None => raw.to_owned(),
        };
    };
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    let secret_key = |k: &str| {
        let k = k.to_ascii_lowercase();
        ["password", "secret", "token"]
            .iter()
            .any(|s| k.contains(s))
    };
    if url.query_pairs().any(|(k, _)| secret_key(&k)) {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if secret_key(&k) { "***".into() } else { v };
                (k.into_owned(), v.into_owned())
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string().replace("%2A%2A%2A", "***")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_lose_passwords_in_credentials_and_query() {
        assert_eq!(redact_url("sqlite://warroom.db"), "sqlite://warroom.db");
        assert_eq!(redact_url("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(
            redact_url("postgres://app:s3cr%40t@db/warroom?sslmode=require"),
            "postgres://app:***@db/warroom?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://db/warroom?user=app&password=s3cret"),
            "postgres://db/warroom?user=app&password=***"
        );
        assert_eq!(
            redact_url("postgres://app@db/warroom"),
            "postgres://app@db/warroom"
        );
    }
}
