//! Database URLs with their passwords hidden, fit for logs and `config show`.

/// Whether a query key (or a libpq `key=value` word) names a secret: any spelling of a
/// password (`password`, `Password`, `passwd`, `pwd`, `sslpassword`, `pass`), a secret or a
/// token, whatever its case.
fn secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["pass", "pwd", "secret", "token"]
        .iter()
        .any(|s| key.contains(s))
}

/// The URL with any password, in its credentials or its query, replaced by `***`.
pub(super) fn redact_url(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        return redact_words(raw);
    };
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
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

/// Not a URL we understand (a libpq `host=… password=…` string, a typo): hide the values of
/// secret-looking `key=value` words, and whatever comes before an `@`.
fn redact_words(raw: &str) -> String {
    let words: Vec<String> = raw
        .split(' ')
        .map(|word| match word.split_once('=') {
            Some((key, _)) if secret_key(key) => format!("{key}=***"),
            _ => word.to_owned(),
        })
        .collect();
    let text = words.join(" ");
    match text.rfind('@') {
        Some(at) => format!("***{}", &text[at..]),
        None => text,
    }
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

    #[test]
    fn every_spelling_of_a_password_key_is_hidden_whatever_its_case() {
        for key in [
            "Password",
            "PASSWORD",
            "passwd",
            "PassWd",
            "pwd",
            "PWD",
            "sslpassword",
            "pass",
        ] {
            for raw in [
                format!("postgres://db/warroom?{key}=hunter2"),
                format!("postgres://db/warroom?sslmode=require&{key}=hunter2"),
                format!("postgres://db/warroom?{key}=hunter2&user=app"),
            ] {
                let shown = redact_url(&raw);
                assert!(!shown.contains("hunter2"), "{raw} shown as {shown}");
                assert!(
                    shown.contains(&format!("{key}=***")),
                    "{raw} shown as {shown}"
                );
            }
        }
        // Keys that only look alike are left alone.
        assert_eq!(
            redact_url("postgres://db/warroom?application_name=passport&sslmode=require"),
            "postgres://db/warroom?application_name=passport&sslmode=require"
        );
        // The userinfo password, with and without a user name, and escaped.
        for raw in [
            "postgres://app:hunter2@db/warroom",
            "postgres://:hunter2@db/warroom",
            "postgresql://app:hun%3Ater2@db:5432/warroom?Password=hunter2",
        ] {
            let shown = redact_url(raw);
            assert!(
                !shown.contains("hunter2") && !shown.contains("hun%3A"),
                "{shown}"
            );
            assert!(shown.contains(":***@"), "{shown}");
        }
        // A key given twice, or with an empty value, or a value that is not UTF-8.
        let shown = redact_url("postgres://db/w?pwd=a1&pwd=b2&PWD=&passwd=%FF%FE");
        assert!(!shown.contains("a1") && !shown.contains("b2"), "{shown}");
        assert!(!shown.contains("%FF"), "{shown}");
        // Not a URL at all (a libpq key=value string): the password is hidden too.
        let shown = redact_url("host=db user=app password=hunter2 dbname=warroom");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
