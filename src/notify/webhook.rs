//! Pages as a JSON POST to a person's own endpoint, signed the way Slack signs its requests:
//! `X-Warroom-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<body>">` with the shared
//! secret, and the Unix time in `X-Warroom-Request-Timestamp`, so a receiver can refuse forged
//! and replayed requests.

use std::ffi::OsString;

use axum::body::Bytes;
use axum::http::{Method, Request, header};
use http_body_util::Full;
use secrecy::SecretString;

use super::http::Client;
use crate::config::WebhookContact;
use crate::domain::UserId;
use crate::engine::effect::PageNote;
use crate::engine::port::ChatError;

/// The header with the signature.
pub const SIGNATURE_HEADER: &str = "x-warroom-signature";
/// The header with the time it was signed, in seconds since 1970.
pub const TIMESTAMP_HEADER: &str = "x-warroom-request-timestamp";

/// The signature of `body` sent at `timestamp`: `v0=` and the hex HMAC-SHA256 of
/// `v0:<timestamp>:<body>` keyed with `secret`, exactly Slack's scheme (so its verifier, and
/// any receiver written for Slack, checks it).
pub fn signature(secret: SecretString, timestamp: i64, body: &[u8]) -> String {
    crate::chat::slack::SignatureVerifier::new(secret).sign(&timestamp.to_string(), body)
}

/// The JSON a webhook is sent.
pub(super) fn payload(person: &UserId, page: &PageNote, sent_at: i64) -> serde_json::Value {
    serde_json::json!({
        "type": "page",
        "incident": page.incident.to_string(),
        "number": page.incident.0,
        "level": page.level,
        "severity": page.severity.to_string(),
        "title": page.title,
        "commander": page.commander.as_ref().map(ToString::to_string),
        "person": person.to_string(),
        "text": format!("{}\n{}", page.headline(), page.body()),
        "ack_url": page.ack_link,
        "sent_at": sent_at,
    })
}

pub(super) async fn send(
    client: &Client,
    contact: &WebhookContact,
    person: &UserId,
    page: &PageNote,
    env: fn(&str) -> Option<OsString>,
) -> Result<(), ChatError> {
    let url = contact.url.trim();
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let secret = super::secret(&contact.secret, "webhook.secret", env)?;
    let now = chrono::Utc::now().timestamp();
    let body = serde_json::to_vec(&payload(person, page, now))
        .map_err(|e| ChatError::Refused(format!("the webhook could not be written: {e}")))?;
    let signed = signature(secret, now, &body);
    let request = Request::builder()
        .method(Method::POST)
        .uri(url)
        .header(header::CONTENT_TYPE, "application/json")
        .header(TIMESTAMP_HEADER, now.to_string())
        .header(SIGNATURE_HEADER, signed)
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| ChatError::Refused(format!("the webhook could not be addressed: {e}")))?;
    client
        .send(request, &format!("the webhook at {host}"))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_names_the_incident_the_level_and_the_person() {
        let page = PageNote {
            incident: crate::domain::IncidentNumber(7),
            level: 2,
            severity: crate::domain::Severity::P1,
            title: "Checkout API returns 500s".into(),
            commander: None,
            ack_link: Some("https://warroom.example.org/ack/00.00".into()),
        };
        let bob = UserId::parse("bob").unwrap();
        let json = payload(&bob, &page, 1_800_000_000);
        assert_eq!(json["incident"], "INC-7");
        assert_eq!(json["number"], 7);
        assert_eq!(json["level"], 2);
        assert_eq!(json["severity"], "P1");
        assert_eq!(json["person"], "bob");
        assert_eq!(json["commander"], serde_json::Value::Null);
        assert_eq!(json["sent_at"], 1_800_000_000);
        assert_eq!(json["ack_url"], "https://warroom.example.org/ack/00.00");
    }
}
