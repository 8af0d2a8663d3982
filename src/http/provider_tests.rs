//! `POST /pagerduty` and `POST /opsgenie` through the router `warroom serve` builds, over a
//! real SQLite file: a signed `incident.acknowledged` of a Warroom page (PagerDuty), or an
//! `Acknowledge` alert action with the shared secret (Opsgenie), acknowledges its incident as
//! the person paged; everything else (no secret configured, a forged or missing signature or
//! secret, a body that is not a delivery, other events, alerts Warroom did not open, a database
//! that went away) is answered as the providers' retry rules want and changes nothing.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use secrecy::SecretString;

use super::AppState;
use super::router_tests::{Answer, app, engine, read_only, send, sqlite, store};
use crate::config::HttpConfig;
use crate::domain::{IncidentNumber, IncidentTitle, Severity, UserId};
use crate::notify::{WEBHOOK_SIGNATURE_HEADER, webhook_signature};

/// The PagerDuty subscription's signing secret in these tests.
const SECRET: &str = "pd-webhook-secret-91ab";
/// The secret the Opsgenie integration sends.
const OG_SECRET: &str = "og-webhook-secret-5e20";

/// A v3 webhook delivery of `event_type` for the alert `incident_key`, shaped as PagerDuty's
/// documentation shows one (docs/webhooks/01-Overview.md of PagerDuty/developer-docs).
fn delivery_body(event_type: &str, incident_key: &str) -> String {
    serde_json::json!({
        "event": {
            "id": "5ac64822-4adc-4fda-ade0-410becf0de4f",
            "event_type": event_type,
            "resource_type": "incident",
            "occurred_at": "2026-12-07T18:45:22.169Z",
            "agent": {
                "html_url": "https://acme.pagerduty.com/users/PLH1HKV",
                "id": "PLH1HKV",
                "self": "https://api.pagerduty.com/users/PLH1HKV",
                "summary": "Bob Example",
                "type": "user_reference"
            },
            "client": { "name": "PagerDuty" },
            "data": {
                "id": "PGR0VU2",
                "type": "incident",
                "self": "https://api.pagerduty.com/incidents/PGR0VU2",
                "html_url": "https://acme.pagerduty.com/incidents/PGR0VU2",
                "number": 2,
                "status": "acknowledged",
                "incident_key": incident_key,
                "created_at": "2026-12-07T18:40:27Z",
                "title": "INC-1 (P1): Checkout returns 500s",
                "urgency": "high",
                "resolve_reason": null
            }
        }
    })
    .to_string()
}

/// `POST /pagerduty` with `body`, signed with `secret` (or carrying `signature` as given).
fn pagerduty(body: &str, signature: Option<String>) -> Request<Body> {
    let mut request = Request::post("/pagerduty").header(header::CONTENT_TYPE, "application/json");
    if let Some(signature) = signature {
        request = request.header(WEBHOOK_SIGNATURE_HEADER, signature);
    }
    request
        .body(Body::from(body.to_owned()))
        .expect("a request")
}

fn signed(body: &str) -> Option<String> {
    Some(webhook_signature(
        &SecretString::from(SECRET),
        body.as_bytes(),
    ))
}

/// A database at `url` with INC-1 declared, and the state of `warroom serve` over it with the
/// PagerDuty webhook enabled.
async fn with_incident(dir: &std::path::Path) -> (String, AppState) {
    let url = sqlite(dir).await;
    store(&url)
        .await
        .declare(
            &IncidentTitle::parse("Checkout returns 500s").unwrap(),
            Severity::P1,
            &UserId::parse("alice").unwrap(),
            Utc::now(),
        )
        .await
        .expect("declared");
    (url.clone(), state(&url).await)
}

async fn state(url: &str) -> AppState {
    AppState {
        engine: engine(url).await,
        alerts: None,
        slack: None,
        chats: vec![crate::domain::Platform::Console],
        pagerduty: Some(Arc::new(SecretString::from(SECRET))),
        opsgenie: Some(Arc::new(SecretString::from(OG_SECRET))),
        metrics: None,
        api: None,
        web: None,
    }
}

/// Who acknowledged INC-1, if anyone.
async fn acknowledged_by(url: &str) -> Option<String> {
    let incident = store(url)
        .await
        .incident(IncidentNumber(1))
        .await
        .expect("read")
        .expect("INC-1");
    incident.acknowledged.map(|(who, _)| who.to_string())
}

async fn answer(state: AppState, request: Request<Body>) -> Answer {
    send(app(state, &HttpConfig::default()), request).await
}

#[tokio::test]
async fn a_signed_acknowledgement_of_a_warroom_page_acknowledges_as_the_person_paged() {
    let dir = tempfile::tempdir().unwrap();
    let (url, state) = with_incident(dir.path()).await;
    let body = delivery_body("incident.acknowledged", "warroom/INC-1/bob");
    let got = answer(state.clone(), pagerduty(&body, signed(&body))).await;
    assert_eq!(got.status, StatusCode::OK, "{got:?}");
    assert_eq!(got.body, "INC-1 acknowledged as bob");
    assert_eq!(acknowledged_by(&url).await.as_deref(), Some("bob"));
    // PagerDuty may deliver the same event twice: the second changes nothing.
    let again = answer(state, pagerduty(&body, signed(&body))).await;
    assert_eq!(again.status, StatusCode::OK, "{again:?}");
    assert_eq!(again.body, "INC-1 needed no acknowledgement");
}

#[tokio::test]
async fn a_forged_or_missing_signature_is_401_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (url, state) = with_incident(dir.path()).await;
    let body = delivery_body("incident.acknowledged", "warroom/INC-1/bob");
    let forged = Some(webhook_signature(
        &SecretString::from("someone-elses"),
        body.as_bytes(),
    ));
    // Signed for another body: the signature covers every byte.
    let other = signed(&body.replace("bob", "eve"));
    for signature in [None, forged, other, Some("v1=".into())] {
        let got = answer(state.clone(), pagerduty(&body, signature.clone())).await;
        assert_eq!(
            got.status,
            StatusCode::UNAUTHORIZED,
            "{signature:?}: {got:?}"
        );
        assert!(got.body.contains("X-PagerDuty-Signature"), "{got:?}");
    }
    assert_eq!(acknowledged_by(&url).await, None);
}

#[tokio::test]
async fn without_a_secret_configured_the_webhook_is_404() {
    let dir = tempfile::tempdir().unwrap();
    let (url, state) = with_incident(dir.path()).await;
    let state = AppState {
        pagerduty: None,
        ..state
    };
    let body = delivery_body("incident.acknowledged", "warroom/INC-1/bob");
    let got = answer(state, pagerduty(&body, signed(&body))).await;
    assert_eq!(got.status, StatusCode::NOT_FOUND, "{got:?}");
    assert!(got.body.contains("pagerduty_webhook_secret"), "{got:?}");
    assert_eq!(acknowledged_by(&url).await, None);
}

#[tokio::test]
async fn other_events_and_alerts_warroom_did_not_open_are_200_and_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let (url, state) = with_incident(dir.path()).await;
    for (event, key) in [
        ("incident.resolved", "warroom/INC-1/bob"),
        ("incident.triggered", "warroom/INC-1/bob"),
        ("incident.acknowledged", "d3640fbd41094207a1c11e58e46b1662"),
        ("incident.acknowledged", "warroom/INC-x/bob"),
    ] {
        let body = delivery_body(event, key);
        let got = answer(state.clone(), pagerduty(&body, signed(&body))).await;
        assert_eq!(got.status, StatusCode::OK, "{event} {key}: {got:?}");
        assert!(got.body.starts_with("ignored"), "{event} {key}: {got:?}");
    }
    // An incident that does not exist is no reason for PagerDuty to send it again.
    let body = delivery_body("incident.acknowledged", "warroom/INC-9/bob");
    let got = answer(state.clone(), pagerduty(&body, signed(&body))).await;
    assert_eq!(got.status, StatusCode::OK, "{got:?}");
    assert_eq!(got.body, "there is no INC-9");
    assert_eq!(acknowledged_by(&url).await, None);
    // A signed body that is not a delivery is 400.
    let got = answer(state, pagerduty("{\"event\":{}}", signed("{\"event\":{}}"))).await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST, "{got:?}");
    assert!(got.body.contains("event_type"), "{got:?}");
}

#[tokio::test]
async fn an_acknowledgement_the_database_cannot_record_is_503_so_pagerduty_sends_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = with_incident(dir.path()).await;
    let state = state(&read_only(&url)).await;
    let body = delivery_body("incident.acknowledged", "warroom/INC-1/bob");
    let got = answer(state, pagerduty(&body, signed(&body))).await;
    assert_eq!(got.status, StatusCode::SERVICE_UNAVAILABLE, "{got:?}");
    assert_eq!(acknowledged_by(&url).await, None);
}

/// An Opsgenie alert action `action` on the alert `alias`, shaped as Opsgenie's Webhook
/// integration documents its alert action data.
fn alert_action(action: &str, alias: &str) -> String {
    serde_json::json!({
        "source": { "name": "", "type": "web" },
        "alert": {
            "updatedAt": 1_765_130_000_000_000_000_i64,
            "tags": ["warroom", "p1"],
            "message": "INC-1 (P1): Checkout returns 500s",
            "username": "bob@example.org",
            "alertId": "052652ac-5d1c-464a-812a-7dd18bbfba8c",
            "source": "Warroom",
            "alias": alias,
            "tinyId": "23",
            "createdAt": 1_765_129_900_000_i64,
            "userId": "daed1180-0ce8-438b-8f8e-57e1a5920a2d",
            "entity": "INC-1"
        },
        "action": action,
        "integrationId": "37c8f316-17c6-49d7-899b-9c7e540c048d",
        "integrationName": "Warroom"
    })
    .to_string()
}

/// `POST /opsgenie` with `body` and the bearer `secret`, if any.
fn opsgenie(body: &str, secret: Option<&str>) -> Request<Body> {
    let mut request = Request::post("/opsgenie").header(header::CONTENT_TYPE, "application/json");
    if let Some(secret) = secret {
        request = request.header(header::AUTHORIZATION, format!("Bearer {secret}"));
    }
    request
        .body(Body::from(body.to_owned()))
        .expect("a request")
}

#[tokio::test]
async fn an_opsgenie_acknowledgement_with_the_secret_acknowledges_as_the_person_paged() {
    let dir = tempfile::tempdir().unwrap();
    let (url, state) = with_incident(dir.path()).await;
    // Without the secret, or with another: 401, nothing changes.
    let body = alert_action("Acknowledge", "warroom/INC-1/bob");
    for secret in [None, Some("og-webhook-secret-5e2"), Some("")] {
        let got = answer(state.clone(), opsgenie(&body, secret)).await;
        assert_eq!(got.status, StatusCode::UNAUTHORIZED, "{secret:?}: {got:?}");
    }
    assert_eq!(acknowledged_by(&url).await, None);
    // Other actions and other alerts: 200, ignored.
    for (action, alias) in [
        ("Create", "warroom/INC-1/bob"),
        ("Close", "warroom/INC-1/bob"),
        ("Acknowledge", "aliastest"),
    ] {
        let got = answer(
            state.clone(),
            opsgenie(&alert_action(action, alias), Some(OG_SECRET)),
        )
        .await;
        assert_eq!(got.status, StatusCode::OK, "{action} {alias}: {got:?}");
        assert!(got.body.starts_with("ignored"), "{action} {alias}: {got:?}");
    }
    assert_eq!(acknowledged_by(&url).await, None);
    let got = answer(state.clone(), opsgenie("[]", Some(OG_SECRET))).await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST, "{got:?}");
    // The acknowledgement itself.
    let got = answer(state, opsgenie(&body, Some(OG_SECRET))).await;
    assert_eq!(got.status, StatusCode::OK, "{got:?}");
    assert_eq!(got.body, "INC-1 acknowledged as bob");
    assert_eq!(acknowledged_by(&url).await.as_deref(), Some("bob"));
}

#[tokio::test]
async fn an_opsgenie_acknowledgement_the_database_cannot_record_is_503() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = with_incident(dir.path()).await;
    let state = state(&read_only(&url)).await;
    let body = alert_action("Acknowledge", "warroom/INC-1/bob");
    let got = answer(state, opsgenie(&body, Some(OG_SECRET))).await;
    assert_eq!(got.status, StatusCode::SERVICE_UNAVAILABLE, "{got:?}");
    assert_eq!(acknowledged_by(&url).await, None);
}
