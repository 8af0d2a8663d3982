//! Pages through Opsgenie's Alert API: `POST /v2/alerts` creates the alert when the person is
//! paged, `POST /v2/alerts/{alias}/acknowledge?identifierType=alias` and `…/close` follow when
//! the incident is acknowledged and resolved here. The alias names the incident and the person
//! (`warroom/INC-7/bob`), so a later level's page to the same person is the same alert.
//! Requests carry `Authorization: GenieKey <key>`; Opsgenie answers 202 when it takes a
//! request (it is processed later), 429 when the integration sends too fast, and 4xx for a
//! request it will never take.

use std::ffi::OsString;

use axum::body::Bytes;
use axum::http::{Method, Request, header};
use http_body_util::Full;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::http::Client;
use crate::config::{OPSGENIE_API_URL, OpsgenieContact};
use crate::domain::{IncidentNumber, PageUpdate, Severity, UserId, fit, provider_key};
use crate::engine::effect::PageNote;
use crate::engine::port::ChatError;

/// The longest `message` Opsgenie takes.
const MESSAGE_CHARS: usize = 130;
/// The longest `description`.
const DESCRIPTION_CHARS: usize = 15_000;

/// Opsgenie's priority for a page of this severity (P1 is its highest).
fn priority(severity: Severity) -> &'static str {
    match severity {
        Severity::P0 => "P1",
        Severity::P1 => "P2",
        Severity::P2 => "P3",
        Severity::P3 => "P4",
    }
}

/// The body that creates the alert of a page to `person`.
pub(super) fn create(contact: &OpsgenieContact, person: &UserId, page: &PageNote) -> Value {
    let mut description = page.body();
    if let Some(commander) = &page.commander {
        description.push_str(&format!("\nCommander: {commander}"));
    }
    let mut alert = json!({
        "message": fit(&page.headline(), MESSAGE_CHARS),
        "alias": provider_key(page.incident, person),
        "description": fit(&description, DESCRIPTION_CHARS),
        "priority": priority(page.severity),
        "source": "Warroom",
        "entity": page.incident.to_string(),
        "tags": ["warroom", page.severity.to_string().to_lowercase()],
        "details": {
            "incident": page.incident.to_string(),
            "level": page.level.to_string(),
            "person": person.to_string(),
        },
    });
    if let Some(link) = &page.ack_link {
        alert["details"]["acknowledge"] = json!(link);
    }
    if let Some(username) = contact.responder.as_deref().map(str::trim) {
        alert["responders"] = json!([{ "type": "user", "username": username }]);
    }
    alert
}

/// The path and body of the request that tells Opsgenie what became of the page.
pub(super) fn follow_up(
    person: &UserId,
    incident: IncidentNumber,
    update: PageUpdate,
) -> (String, Value) {
    let alias: String =
        url::form_urlencoded::byte_serialize(provider_key(incident, person).as_bytes()).collect();
    let (verb, note) = match update {
        PageUpdate::Acknowledged => ("acknowledge", format!("{incident} acknowledged in Warroom")),
        PageUpdate::Resolved => ("close", format!("{incident} resolved in Warroom")),
    };
    (
        format!("/v2/alerts/{alias}/{verb}?identifierType=alias"),
        json!({ "source": "Warroom", "note": note }),
    )
}

/// Sends `body` to `path` of the contact's API with its key.
pub(super) async fn send(
    client: &Client,
    contact: &OpsgenieContact,
    path: &str,
    body: &Value,
    env: fn(&str) -> Option<OsString>,
) -> Result<(), ChatError> {
    let key = super::secret(&contact.api_key, "opsgenie.api_key", env)?;
    let base = contact
        .url
        .as_deref()
        .unwrap_or(OPSGENIE_API_URL)
        .trim()
        .trim_end_matches('/');
    let host = url::Url::parse(base)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let body = serde_json::to_vec(body)
        .map_err(|e| ChatError::Refused(format!("the alert could not be written: {e}")))?;
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("{base}{path}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::AUTHORIZATION,
            format!("GenieKey {}", key.expose_secret().trim()),
        )
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| ChatError::Refused(format!("the alert could not be addressed: {e}")))?;
    client.send(request, &format!("Opsgenie at {host}")).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SecretSource;

    fn contact(responder: Option<&str>) -> OpsgenieContact {
        OpsgenieContact {
            api_key: SecretSource::Env("OG".into()),
            responder: responder.map(str::to_owned),
            url: None,
        }
    }

    #[test]
    fn an_alert_fits_opsgenies_limits_and_names_its_responder() {
        let bob = UserId::parse("@bob:example.org").unwrap();
        let page = PageNote {
            incident: IncidentNumber(7),
            level: 1,
            severity: Severity::P0,
            title: "Checkout returns 500s for everyone ".repeat(10),
            commander: None,
            ack_link: Some("https://w.example/ack/x".into()),
        };
        let alert = create(&contact(Some("bob@example.org")), &bob, &page);
        assert!(alert["message"].as_str().unwrap().chars().count() <= MESSAGE_CHARS);
        assert_eq!(alert["alias"], "warroom/INC-7/@bob:example.org");
        assert_eq!(alert["priority"], "P1");
        assert_eq!(alert["responders"][0]["username"], "bob@example.org");
        assert_eq!(alert["details"]["acknowledge"], "https://w.example/ack/x");
        // Details are strings only, as Opsgenie's schema says.
        assert!(
            alert["details"]
                .as_object()
                .unwrap()
                .values()
                .all(Value::is_string)
        );
        assert!(
            create(&contact(None), &bob, &page)
                .get("responders")
                .is_none()
        );
    }

    #[test]
    fn follow_ups_address_the_alert_by_its_alias() {
        let bob = UserId::parse("@bob:example.org").unwrap();
        let (path, body) = follow_up(&bob, IncidentNumber(7), PageUpdate::Acknowledged);
        assert_eq!(
            path,
            "/v2/alerts/warroom%2FINC-7%2F%40bob%3Aexample.org/acknowledge?identifierType=alias"
        );
        assert_eq!(body["source"], "Warroom");
        let (path, _) = follow_up(&bob, IncidentNumber(7), PageUpdate::Resolved);
        assert!(path.contains("/close?identifierType=alias"), "{path}");
    }
}
