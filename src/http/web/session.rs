//! Signed cookies: a session (who signed in, their role, until when, and the token that
//! guards their forms against cross-site requests), and the short-lived state of a sign-in in
//! progress (the OpenID `state`, nonce and PKCE verifier). Each is JSON, then an HMAC-SHA256 of
//! it under `[web] session_key`, both base64url: a cookie changed by anyone without the key is
//! refused, and replicas that share the key accept each other's.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The session cookie's name.
pub const SESSION: &str = "warroom_session";
/// The sign-in-in-progress cookie's name.
pub const LOGIN: &str = "warroom_login";

/// What a session says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The provider's subject.
    pub sub: String,
    /// A name to show.
    pub name: String,
    /// `viewer` or `responder`.
    pub role: String,
    /// When it ends.
    pub until: DateTime<Utc>,
    /// What every form of this session carries (`csrf`), compared on each write.
    pub csrf: String,
}

impl Session {
    /// Whether private incidents are shown.
    pub fn responder(&self) -> bool {
        self.role == "responder"
    }
}

/// A sign-in in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    /// The `state` sent to the provider, which must come back.
    pub state: String,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// The PKCE verifier of the challenge sent.
    pub verifier: String,
    /// Where to go once signed in (a path under `/web`).
    pub return_to: String,
    /// When it ends.
    pub until: DateTime<Utc>,
}

/// Signs and reads cookies under one key.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(…)")
    }
}

/// The shortest key taken.
pub const MIN_KEY: usize = 32;

impl Signer {
    /// A signer with `key` (at least [`MIN_KEY`] bytes).
    pub fn new(key: &[u8]) -> Option<Signer> {
        (key.len() >= MIN_KEY).then(|| Signer { key: key.to_vec() })
    }

    fn mac(&self, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC takes a key of any length");
        mac.update(payload);
        mac
    }

    /// `value` as a cookie value.
    pub fn sign<T: Serialize>(&self, value: &T) -> String {
        let payload = serde_json::to_vec(value).unwrap_or_default();
        let tag = self.mac(&payload).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The value of a cookie this signer made, if its signature holds (compared in constant
    /// time) and `until` (read by `until_of`) is after `now`.
    pub fn read<T: DeserializeOwned>(
        &self,
        cookie: &str,
        now: DateTime<Utc>,
        until_of: impl Fn(&T) -> DateTime<Utc>,
    ) -> Option<T> {
        let (payload, tag) = cookie.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac(&payload).verify_slice(&tag).ok()?;
        let value: T = serde_json::from_slice(&payload).ok()?;
        (until_of(&value) > now).then_some(value)
    }
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax` (the provider's redirect back is a
/// top-level navigation from another site, which must carry the sign-in cookie), `Path=/web`,
/// `Secure` when served over https; `max_age` 0 deletes it.
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/web; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// 32 random bytes from the system (`/dev/urandom`); an error, never predictable bytes, when
/// they cannot be read. Form tokens here and `warroom api-token`'s tokens come from it.
pub fn random_bytes() -> std::io::Result<[u8; 32]> {
    let mut bytes = [0u8; 32];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)?;
    Ok(bytes)
}

/// [`random_bytes`] as base64url: a session's form token.
pub fn random_token() -> std::io::Result<String> {
    random_bytes().map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(until: DateTime<Utc>) -> Session {
        Session {
            sub: "alice".into(),
            name: "Alice".into(),
            role: "viewer".into(),
            until,
            csrf: random_token().expect("random bytes"),
        }
    }

    #[test]
    fn a_signed_session_reads_back_and_any_change_or_age_is_refused() {
        let now = Utc::now();
        let signer = Signer::new(&[7u8; 32]).expect("a key");
        let value = session(now + chrono::Duration::hours(1));
        let cookie = signer.sign(&value);
        let until = |s: &Session| s.until;
        assert_eq!(signer.read(&cookie, now, until), Some(value.clone()));
        // A responder's role written in by hand, with the old signature.
        let (payload, tag) = cookie.split_once('.').unwrap();
        let json = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        let forged = URL_SAFE_NO_PAD.encode(json.replace("viewer", "responder"));
        assert_eq!(
            signer.read::<Session>(&format!("{forged}.{tag}"), now, until),
            None
        );
        // Another key, an expired session, garbage.
        let other = Signer::new(&[8u8; 32]).unwrap();
        assert_eq!(other.read::<Session>(&cookie, now, until), None);
        let old = signer.sign(&session(now - chrono::Duration::seconds(1)));
        assert_eq!(signer.read::<Session>(&old, now, until), None);
        for junk in ["", ".", "a.b", "%%%.%%%", &cookie[..cookie.len() - 2]] {
            assert_eq!(signer.read::<Session>(junk, now, until), None, "{junk}");
        }
        assert!(Signer::new(&[1u8; 31]).is_none());
        assert_ne!(random_token().unwrap(), random_token().unwrap());
    }

    #[test]
    fn cookies_are_found_by_name_and_set_with_their_flags() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            axum::http::header::COOKIE,
            "a=1; warroom_session=xyz; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&headers, SESSION), Some("xyz"));
        assert_eq!(cookie(&headers, LOGIN), None);
        let set = set_cookie(SESSION, "v", 60, true);
        for flag in [
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/web",
            "Max-Age=60",
        ] {
            assert!(set.contains(flag), "{set}");
        }
        assert!(!set_cookie(SESSION, "v", 60, false).contains("Secure"));
    }
}
