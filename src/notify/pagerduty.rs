//! Pages through PagerDuty's Events API v2 (`POST /v2/enqueue`): a `trigger` when the person is
//! paged, and `acknowledge` and `resolve` for the same `dedup_key` when the incident is
//! acknowledged and resolved here, so that PagerDuty stops escalating and closes its alert. The
//! key names the incident and the person (`warroom/INC-7/bob`), so a later level's page to the
//! same person updates the alert rather than opening another. PagerDuty answers 202 when it
//! takes an event, 400 for an event it will never take, 429 and 5xx for one to send again.
//!
//! The other way, PagerDuty's v3 webhooks sign each delivery with the subscription's secret:
//! `X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the body>`, several comma-separated while a
//! secret is rotated ([`webhook_signed`]).

use std::ffi::OsString;

use axum::body::Bytes;
use axum::http::{Method, Request, header};
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::Full;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::http::Client;
use crate::config::{PAGERDUTY_EVENTS_URL, PagerdutyContact};
use crate::domain::{IncidentNumber, PageUpdate, Severity, UserId, fit, provider_key};
use crate::engine::effect::PageNote;
use crate::engine::port::ChatError;

/// The header a PagerDuty v3 webhook delivery is signed in.
pub const WEBHOOK_SIGNATURE_HEADER: &str = "x-pagerduty-signature";

/// The `v1=` signature of a webhook `body` under `secret`, as PagerDuty computes it.
pub fn webhook_signature(secret: &SecretString, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether one of the signatures in `header` (comma-separated) is `body`'s under `secret`,
/// compared in constant time.
pub fn webhook_signed(secret: &SecretString, header: &str, body: &[u8]) -> bool {
    let expected = webhook_signature(secret, body);
    header.split(',').fold(false, |found, given| {
        found | bool::from(given.trim().as_bytes().ct_eq(expected.as_bytes()))
    })
}

/// The longest `payload.summary` PagerDuty keeps (longer ones are cut by PagerDuty).
const SUMMARY_CHARS: usize = 1024;

/// PagerDuty's severity for a page of this severity.
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::P0 | Severity::P1 => "critical",
        Severity::P2 => "error",
        Severity::P3 => "warning",
    }
}

/// The `trigger` event of a page to `person`, without its routing key.
pub(super) fn trigger(person: &UserId, page: &PageNote) -> Value {
    let mut event = json!({
        "event_action": "trigger",
        "dedup_key": provider_key(page.incident, person),
        "client": "Warroom",
        "payload": {
            "summary": fit(&page.headline(), SUMMARY_CHARS),
            "source": "warroom",
            "severity": severity(page.severity),
            "class": "incident",
            "custom_details": {
                "incident": page.incident.to_string(),
                "level": page.level,
                "person": person.to_string(),
                "commander": page.commander.as_ref().map(ToString::to_string),
                "how to acknowledge": page.body(),
            },
        },
    });
    if let Some(link) = &page.ack_link {
        event["links"] = json!([{ "href": link, "text": "Acknowledge in Warroom" }]);
    }
    event
}

/// The event that tells PagerDuty what became of the page, without its routing key.
pub(super) fn follow_up(person: &UserId, incident: IncidentNumber, update: PageUpdate) -> Value {
    let action = match update {
        PageUpdate::Acknowledged => "acknowledge",
        PageUpdate::Resolved => "resolve",
    };
    json!({
        "event_action": action,
        "dedup_key": provider_key(incident, person),
    })
}

/// Sends `event` with the contact's routing key.
pub(super) async fn send(
    client: &Client,
    contact: &PagerdutyContact,
    mut event: Value,
    env: fn(&str) -> Option<OsString>,
) -> Result<(), ChatError> {
    let key = super::secret(&contact.routing_key, "pagerduty.routing_key", env)?;
    let key = key.expose_secret().trim();
    if key.len() != 32 || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ChatError::Refused(
            "pagerduty.routing_key is not an Events API v2 integration key (32 letters and digits)"
                .into(),
        ));
    }
    event["routing_key"] = json!(key);
    let url = contact
        .url
        .as_deref()
        .unwrap_or(PAGERDUTY_EVENTS_URL)
        .trim();
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let body = serde_json::to_vec(&event)
        .map_err(|e| ChatError::Refused(format!("the event could not be written: {e}")))?;
    let request = Request::builder()
        .method(Method::POST)
        .uri(url)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| ChatError::Refused(format!("the event could not be addressed: {e}")))?;
    client.send(request, &format!("PagerDuty at {host}")).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(severity: Severity, link: Option<&str>) -> PageNote {
        PageNote {
            incident: IncidentNumber(7),
            level: 2,
            severity,
            title: "Checkout returns 500s ".repeat(80),
            commander: Some(UserId::parse("alice").unwrap()),
            ack_link: link.map(str::to_owned),
        }
    }

    #[test]
    fn a_trigger_names_its_page_with_the_fields_pagerduty_requires() {
        let bob = UserId::parse("bob").unwrap();
        let event = trigger(&bob, &page(Severity::P1, Some("https://w.example/ack/x")));
        assert_eq!(event["event_action"], "trigger");
        assert_eq!(event["dedup_key"], "warroom/INC-7/bob");
        let summary = event["payload"]["summary"].as_str().unwrap();
        assert!(summary.starts_with("INC-7 (P1): Checkout"), "{summary}");
        assert!(summary.chars().count() <= SUMMARY_CHARS);
        assert_eq!(event["payload"]["severity"], "critical");
        assert_eq!(event["payload"]["source"], "warroom");
        assert_eq!(event["links"][0]["href"], "https://w.example/ack/x");
        assert_eq!(event["payload"]["custom_details"]["level"], 2);
        let without = trigger(&bob, &page(Severity::P3, None));
        assert_eq!(without["payload"]["severity"], "warning");
        assert!(without.get("links").is_none());
    }

    #[test]
    fn webhook_signatures_are_checked_against_every_signature_given() {
        let secret = SecretString::from("pd-secret");
        let body = br#"{"event":{"event_type":"incident.acknowledged"}}"#;
        let good = webhook_signature(&secret, body);
        assert!(good.starts_with("v1=") && good.len() == 3 + 64);
        assert!(webhook_signed(&secret, &good, body));
        // During a rotation PagerDuty sends one per secret.
        let other = webhook_signature(&SecretString::from("old"), body);
        assert!(webhook_signed(&secret, &format!("{other},{good}"), body));
        assert!(!webhook_signed(&secret, &other, body));
        assert!(!webhook_signed(&secret, &good, b"{}"));
        assert!(!webhook_signed(&secret, "", body));
        assert!(!webhook_signed(&secret, &good.replace("v1=", "v0="), body));
    }

    #[test]
    fn follow_ups_use_the_triggers_key() {
        let bob = UserId::parse("bob").unwrap();
        let ack = follow_up(&bob, IncidentNumber(7), PageUpdate::Acknowledged);
        assert_eq!(
            ack,
            json!({"event_action": "acknowledge", "dedup_key": "warroom/INC-7/bob"})
        );
        let resolve = follow_up(&bob, IncidentNumber(7), PageUpdate::Resolved);
        assert_eq!(resolve["event_action"], "resolve");
    }
}
