//! `[web]`: the web view on `warroom serve`, behind single sign-on with OpenID Connect. Off
//! unless `issuer` is set: without sign-in there is no web view.

use serde::Deserialize;

use super::alerts::invalid;
use super::{ConfigError, SecretSource, key_line, quoted};

/// The `[web]` table.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct WebConfig {
    /// The OpenID provider's issuer URL (its discovery document is read from
    /// `ISSUER/.well-known/openid-configuration` at the first sign-in).
    pub issuer: Option<String>,
    /// Warroom's client id at the provider.
    pub client_id: String,
    /// Its client secret.
    pub client_secret: Option<SecretSource>,
    /// Where browsers reach `warroom serve` (`https://warroom.example.com`); the provider
    /// sends people back to `BASE_URL/web/callback`.
    pub base_url: Option<String>,
    /// The key that signs session cookies (32 characters or more), shared by replicas.
    pub session_key: Option<SecretSource>,
    /// How long a sign-in lasts, in hours.
    pub session_hours: u32,
    /// The ID token's claim that lists a person's groups.
    pub groups_claim: String,
    /// Groups whose members see every incident, private ones too.
    pub responder_groups: Vec<String>,
    /// Groups whose members see the incidents that are not private.
    pub viewer_groups: Vec<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            issuer: None,
            client_id: "warroom".to_owned(),
            client_secret: None,
            base_url: None,
            session_key: None,
            session_hours: 12,
            groups_claim: "groups".to_owned(),
            responder_groups: Vec::new(),
            viewer_groups: Vec::new(),
        }
    }
}

impl WebConfig {
    /// Whether the web view is on (an issuer is set).
    pub fn enabled(&self) -> bool {
        self.issuer.is_some()
    }

    /// Checks that an enabled view has what sign-in needs.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        let Some(issuer) = &self.issuer else {
            return Ok(());
        };
        let url = |key: &str, value: &str| {
            url::Url::parse(value)
                .ok()
                .filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
                .map(|_| ())
                .ok_or_else(|| invalid(key, "expected an http(s) URL"))
        };
        url("web.issuer", issuer)?;
        let Some(base) = &self.base_url else {
            return Err(invalid(
                "web.base_url",
                "the web view needs the URL browsers reach serve at",
            ));
        };
        url("web.base_url", base)?;
        if self.client_secret.is_none() {
            return Err(invalid(
                "web.client_secret",
                "the web view needs the client secret",
            ));
        }
        if self.session_key.is_none() {
            return Err(invalid(
                "web.session_key",
                "the web view needs a key to sign session cookies",
            ));
        }
        if self.client_id.trim().is_empty() {
            return Err(invalid("web.client_id", "expected the client id"));
        }
        if !(1..=24 * 30).contains(&self.session_hours) {
            return Err(invalid("web.session_hours", "expected 1 to 720 hours"));
        }
        if self.responder_groups.is_empty() && self.viewer_groups.is_empty() {
            return Err(invalid(
                "web.responder_groups",
                "name the groups that may sign in (responder_groups, viewer_groups)",
            ));
        }
        Ok(())
    }

    pub(super) fn describe(&self, out: &mut String) {
        out.push_str("\n[web]\n");
        key_line(out, "issuer", self.issuer.as_deref().map(quoted));
        key_line(out, "client_id", Some(quoted(&self.client_id)));
        key_line(
            out,
            "client_secret",
            self.client_secret.as_ref().map(ToString::to_string),
        );
        key_line(out, "base_url", self.base_url.as_deref().map(quoted));
        key_line(
            out,
            "session_key",
            self.session_key.as_ref().map(ToString::to_string),
        );
        key_line(out, "session_hours", Some(self.session_hours.to_string()));
        key_line(out, "groups_claim", Some(quoted(&self.groups_claim)));
        let list = |groups: &[String]| {
            let quoted: Vec<String> = groups.iter().map(|g| quoted(g)).collect();
            format!("[{}]", quoted.join(", "))
        };
        key_line(out, "responder_groups", Some(list(&self.responder_groups)));
        key_line(out, "viewer_groups", Some(list(&self.viewer_groups)));
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::testing::{file, no_env};

    #[test]
    fn the_view_is_off_without_an_issuer_and_checked_with_one() {
        assert!(!Config::load_from(None, no_env()).unwrap().web.enabled());
        let whole = "[web]\nissuer = \"https://login.example.com\"\n\
                     base_url = \"https://warroom.example.com\"\n\
                     client_secret = { env = \"OIDC_SECRET\" }\n\
                     session_key = { env = \"SESSION_KEY\" }\nresponder_groups = [\"sre\"]\n";
        let (_dir, path) = file(whole);
        assert!(
            Config::load_from(Some(&path), no_env())
                .unwrap()
                .web
                .enabled()
        );
        for (drop, key) in [
            ("base_url", "web.base_url"),
            ("client_secret", "web.client_secret"),
            ("session_key", "web.session_key"),
            ("responder_groups", "web.responder_groups"),
        ] {
            let text: String = whole
                .lines()
                .filter(|l| !l.starts_with(drop))
                .map(|l| format!("{l}\n"))
                .collect();
            let (_dir, path) = file(&text);
            let err = Config::load_from(Some(&path), no_env())
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "{drop}: {err}");
        }
        let (_dir, path) = file(&whole.replace("https://login.example.com", "login"));
        let err = Config::load_from(Some(&path), no_env())
            .unwrap_err()
            .to_string();
        assert!(err.contains("web.issuer"), "{err}");
    }
}
