//! Slack's request signatures (v0): `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}` with
//! the signing secret, and a timestamp within five minutes of now. The headers are checked
//! before the body is read, the signature before it is parsed.

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How far a request's timestamp may be from now, either way.
pub const MAX_AGE_SECS: i64 = 300;
/// The header with the signature.
pub const SIGNATURE_HEADER: &str = "x-slack-signature";
/// The header with the request's timestamp (Unix seconds).
pub const TIMESTAMP_HEADER: &str = "x-slack-request-timestamp";

/// Why a request's signature was refused. Never carries the secret or the expected signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A header is absent.
    #[error("the {0} header is missing")]
    Missing(&'static str),
    /// The timestamp is not a number.
    #[error("the request timestamp is not a number")]
    BadTimestamp,
    /// The timestamp is more than five minutes from now (a replay, or a wrong clock).
    #[error("the request timestamp is {0} s away from now; at most {MAX_AGE_SECS} s is allowed")]
    Stale(i64),
    /// The signature does not match.
    #[error("the signature does not match")]
    Mismatch,
}

/// Checks Slack's signatures with one signing secret.
#[derive(Clone)]
pub struct SignatureVerifier {
    secret: SecretString,
}

impl std::fmt::Debug for SignatureVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignatureVerifier { secret: *** }")
    }
}

impl SignatureVerifier {
    /// A verifier for this signing secret.
    pub fn new(secret: SecretString) -> Self {
        SignatureVerifier { secret }
    }

    /// The signature Slack would send for `body` at `timestamp`.
    pub fn sign(&self, timestamp: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.secret.expose_secret().as_bytes())
            .expect("HMAC takes keys of any length");
        mac.update(b"v0:");
        mac.update(timestamp.as_bytes());
        mac.update(b":");
        mac.update(body);
        format!("v0={}", hex::encode(mac.finalize().into_bytes()))
    }

    /// Checks what the head of a request shows, before its body is read: both headers are
    /// there and the timestamp is within five minutes of `now` (Unix seconds).
    pub fn check_head(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        now: i64,
    ) -> Result<(), SignatureError> {
        head(timestamp, signature, now).map(|_| ())
    }

    /// Checks a request's signature and timestamp against `now` (Unix seconds). The head is
    /// checked first ([`Self::check_head`]), so that a stale request costs no HMAC.
    pub fn verify(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<(), SignatureError> {
        let (timestamp, signature) = head(timestamp, signature, now)?;
        let expected = self.sign(timestamp.trim(), body);
        if bool::from(expected.as_bytes().ct_eq(signature.trim().as_bytes())) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }
}

/// The timestamp and signature of a request whose head passes [`SignatureVerifier::check_head`].
fn head<'a>(
    timestamp: Option<&'a str>,
    signature: Option<&'a str>,
    now: i64,
) -> Result<(&'a str, &'a str), SignatureError> {
    let timestamp = timestamp.ok_or(SignatureError::Missing(TIMESTAMP_HEADER))?;
    let signature = signature.ok_or(SignatureError::Missing(SIGNATURE_HEADER))?;
    let at: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    let away = now.saturating_sub(at).saturating_abs();
    if away > MAX_AGE_SECS {
        return Err(SignatureError::Stale(away));
    }
    Ok((timestamp, signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slack's documented example (api.slack.com, "Verifying requests from Slack").
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TIMESTAMP: &str = "1531420618";
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    fn verifier() -> SignatureVerifier {
        SignatureVerifier::new(SecretString::from(SECRET))
    }

    #[test]
    fn slacks_documented_example_verifies() {
        let v = verifier();
        assert_eq!(v.sign(TIMESTAMP, BODY.as_bytes()), SIGNATURE);
        let now = TIMESTAMP.parse::<i64>().unwrap() + 299;
        assert_eq!(
            v.verify(Some(TIMESTAMP), Some(SIGNATURE), BODY.as_bytes(), now),
            Ok(())
        );
    }

    #[test]
    fn a_changed_body_or_secret_is_a_mismatch() {
        let now = TIMESTAMP.parse().unwrap();
        let mut body = BODY.as_bytes().to_vec();
        body[10] ^= 1;
        assert_eq!(
            verifier().verify(Some(TIMESTAMP), Some(SIGNATURE), &body, now),
            Err(SignatureError::Mismatch)
        );
        let other = SignatureVerifier::new(SecretString::from("another secret"));
        assert_eq!(
            other.verify(Some(TIMESTAMP), Some(SIGNATURE), BODY.as_bytes(), now),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn timestamps_more_than_five_minutes_away_are_refused_both_ways() {
        let at: i64 = TIMESTAMP.parse().unwrap();
        for now in [at + 301, at - 301] {
            assert_eq!(
                verifier().verify(Some(TIMESTAMP), Some(SIGNATURE), BODY.as_bytes(), now),
                Err(SignatureError::Stale(301))
            );
        }
        assert_eq!(
            verifier().verify(Some("soon"), Some(SIGNATURE), BODY.as_bytes(), at),
            Err(SignatureError::BadTimestamp)
        );
        assert_eq!(
            verifier().verify(None, Some(SIGNATURE), BODY.as_bytes(), at),
            Err(SignatureError::Missing(TIMESTAMP_HEADER))
        );
    }

    #[test]
    fn the_head_alone_refuses_missing_headers_and_stale_timestamps() {
        let at: i64 = TIMESTAMP.parse().unwrap();
        let v = verifier();
        assert_eq!(
            v.check_head(Some(TIMESTAMP), Some("v0=00"), at + 299),
            Ok(())
        );
        assert_eq!(
            v.check_head(Some(TIMESTAMP), None, at),
            Err(SignatureError::Missing(SIGNATURE_HEADER))
        );
        assert_eq!(
            v.check_head(None, Some("v0=00"), at),
            Err(SignatureError::Missing(TIMESTAMP_HEADER))
        );
        assert_eq!(
            v.check_head(Some(TIMESTAMP), Some("v0=00"), at + 3600),
            Err(SignatureError::Stale(3600))
        );
    }

    #[test]
    fn the_secret_never_shows_in_debug() {
        assert!(!format!("{:?}", verifier()).contains(SECRET));
    }
}
