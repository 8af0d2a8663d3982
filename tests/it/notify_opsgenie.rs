//! Pages through Opsgenie's Alert API, through the engine's outbox and the real notifier,
//! against a strict fake that checks every request as Opsgenie's published OpenAPI description
//! says (`tests/fixtures/providers/opsgenie.md`, from opsgenie/opsgenie-oas) and answers in
//! Opsgenie's shapes: the alert is created through an outage (no server, 500, 429), then
//! acknowledged and closed by its alias when the incident is acknowledged and resolved here; a
//! key Opsgenie does not know is a refusal on the timeline.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use warroom::config::{Config, OpsgenieContact, PersonConfig};
use warroom::engine::clock::Clock;

use crate::notify::{
    console, declare, deliver_all, engine_with, failures, free_port, next_delivery, next_due, say,
    secret_file, serve_at, waiting,
};
use crate::support::engine::simulated_clock;

/// The API integration key the fake knows.
const API_KEY: &str = "eb243592-faa2-4ba2-a551-1afdf565c889";

/// The fields of a create-alert request (`CreateAlertPayload` with `AlertActionPayload`).
const CREATE_FIELDS: &[&str] = &[
    "user",
    "note",
    "source",
    "message",
    "alias",
    "description",
    "responders",
    "visibleTo",
    "actions",
    "tags",
    "details",
    "entity",
    "priority",
];
/// The fields of an acknowledge or close request (`AlertActionPayload`).
const ACTION_FIELDS: &[&str] = &["user", "note", "source"];

#[derive(Clone, Default)]
struct FakeOpsgenie {
    answer: Arc<AtomicU16>,
    /// Alias → the actions taken on its alert, in order (`create`, `acknowledge`, `close`).
    alerts: Arc<Mutex<Vec<(String, String)>>>,
}

/// Opsgenie's answer: `{result|message, took, requestId}`.
fn answer(status: StatusCode, field: &str, text: &str) -> (StatusCode, Json<Value>) {
    (
        status,
        Json(
            json!({ field: text, "took": 0.01, "requestId": "43a29c5c-3dbf-4fa4-9c26-f4f71023e120" }),
        ),
    )
}

fn unprocessable(why: &str) -> (StatusCode, Json<Value>) {
    answer(StatusCode::UNPROCESSABLE_ENTITY, "message", why)
}

/// The checks every request gets: the key, then JSON of known fields.
fn admitted(
    headers: &HeaderMap,
    body: &Bytes,
    fields: &[&str],
) -> Result<serde_json::Map<String, Value>, (StatusCode, Json<Value>)> {
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("GenieKey {API_KEY}"))
    {
        return Err(answer(
            StatusCode::UNAUTHORIZED,
            "message",
            "Could not authenticate",
        ));
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/json") {
        return Err(unprocessable("Content type must be application/json"));
    }
    let Ok(Value::Object(fields_given)) = serde_json::from_slice::<Value>(body) else {
        return Err(unprocessable("Request body is not valid JSON"));
    };
    if let Some(unknown) = fields_given.keys().find(|k| !fields.contains(&k.as_str())) {
        return Err(unprocessable(&format!("Unknown field: {unknown}")));
    }
    Ok(fields_given)
}

impl FakeOpsgenie {
    fn outage(&self) -> Option<(StatusCode, Json<Value>)> {
        match self.answer.load(Ordering::SeqCst) {
            429 => Some(answer(
                StatusCode::TOO_MANY_REQUESTS,
                "message",
                "You are making too many requests! To avoid errors, we recommend you limit requests.",
            )),
            500 => Some(answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                "message",
                "Internal Server Error",
            )),
            _ => None,
        }
    }
}

async fn create_alert(
    State(fake): State<FakeOpsgenie>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, Json<Value>) {
    let alert = match admitted(&headers, &body, CREATE_FIELDS) {
        Ok(alert) => alert,
        Err(refusal) => return refusal,
    };
    let message = alert.get("message").and_then(Value::as_str);
    if message.is_none_or(|m| m.trim().is_empty() || m.chars().count() > 130) {
        return unprocessable("Message can not be empty and can have at most 130 characters");
    }
    let alias = alert
        .get("alias")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if alias.chars().count() > 512 {
        return unprocessable("Alias can have at most 512 characters");
    }
    if let Some(priority) = alert.get("priority")
        && !["P1", "P2", "P3", "P4", "P5"].contains(&priority.as_str().unwrap_or_default())
    {
        return unprocessable("Priority should be one of [P1, P2, P3, P4, P5]");
    }
    let details_ok = alert.get("details").is_none_or(|d| {
        d.as_object()
            .is_some_and(|d| d.values().all(Value::is_string))
    });
    let responders_ok = alert.get("responders").is_none_or(|r| {
        r.as_array().is_some_and(|r| {
            r.iter().all(|one| {
                let kind = one["type"].as_str().unwrap_or_default();
                ["user", "team", "escalation", "schedule"].contains(&kind)
                    && (one["id"].is_string()
                        || one["username"].is_string()
                        || one["name"].is_string())
            })
        })
    });
    if !details_ok || !responders_ok {
        return unprocessable("Details and responders are not valid");
    }
    if let Some(outage) = fake.outage() {
        return outage;
    }
    fake.alerts
        .lock()
        .unwrap()
        .push((alias.to_owned(), "create".into()));
    answer(StatusCode::ACCEPTED, "result", "Request will be processed")
}

async fn alert_action(
    State(fake): State<FakeOpsgenie>,
    Path((identifier, verb)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, Json<Value>) {
    if let Err(refusal) = admitted(&headers, &body, ACTION_FIELDS) {
        return refusal;
    }
    if !["acknowledge", "close"].contains(&verb.as_str())
        || query.get("identifierType").map(String::as_str) != Some("alias")
    {
        return unprocessable("Only acknowledge and close by alias are served here");
    }
    let known = fake
        .alerts
        .lock()
        .unwrap()
        .iter()
        .any(|(a, _)| *a == identifier);
    if !known {
        return answer(StatusCode::NOT_FOUND, "message", "Alert does not exist");
    }
    if let Some(outage) = fake.outage() {
        return outage;
    }
    fake.alerts.lock().unwrap().push((identifier, verb));
    answer(StatusCode::ACCEPTED, "result", "Request will be processed")
}

impl FakeOpsgenie {
    async fn serve(&self, address: SocketAddr) {
        self.set(202);
        let app = axum::Router::new()
            .route("/v2/alerts", post(create_alert))
            .route("/v2/alerts/{identifier}/{verb}", post(alert_action))
            .with_state(self.clone());
        serve_at(address, app).await;
    }

    fn set(&self, status: u16) {
        self.answer.store(status, Ordering::SeqCst);
    }

    fn taken(&self) -> Vec<(String, String)> {
        self.alerts.lock().unwrap().clone()
    }
}

fn with_opsgenie(
    dir: &std::path::Path,
    person: &str,
    server: SocketAddr,
    key: &str,
) -> PersonConfig {
    PersonConfig {
        id: person.into(),
        opsgenie: Some(OpsgenieContact {
            api_key: secret_file(dir, &format!("{person}-og-key"), key),
            responder: Some(format!("{person}@example.org")),
            url: Some(format!("http://{server}")),
        }),
        ..PersonConfig::default()
    }
}

fn pair(alias: &str, action: &str) -> (String, String) {
    (alias.to_owned(), action.to_owned())
}

#[tokio::test]
async fn a_page_reaches_opsgenie_through_an_outage_and_is_acknowledged_and_closed_there() {
    let dir = tempfile::tempdir().unwrap();
    let clock = simulated_clock();
    let address = free_port();
    let opsgenie = FakeOpsgenie::default();
    let mut config = Config::default();
    config.people = vec![with_opsgenie(dir.path(), "carol", address, API_KEY)];
    let engine = engine_with(dir.path(), clock.clone(), &config).await;
    let chat = console();

    declare(&engine, &chat, "Checkout API returns 500s").await;
    assert!(
        waiting(&engine).await.contains("Opsgenie at 127.0.0.1"),
        "{}",
        waiting(&engine).await
    );
    opsgenie.serve(address).await;
    opsgenie.set(500);
    next_delivery(&engine, &chat, &clock).await;
    assert!(
        waiting(&engine).await.contains("500"),
        "{}",
        waiting(&engine).await
    );
    // A 429 without Retry-After: a minute's wait.
    opsgenie.set(429);
    next_delivery(&engine, &chat, &clock).await;
    let asked = next_due(&engine).await.unwrap();
    assert!(
        asked >= clock.now() + chrono::Duration::seconds(60),
        "{asked}"
    );
    opsgenie.set(202);
    next_delivery(&engine, &chat, &clock).await;
    let alias = "warroom/INC-1/carol";
    assert_eq!(opsgenie.taken(), [pair(alias, "create")]);

    say(&engine, &chat, "carol", "ack INC-1").await;
    say(&engine, &chat, "carol", "resolve INC-1 rolled back").await;
    deliver_all(&engine, &chat, &clock).await;
    assert_eq!(
        opsgenie.taken(),
        [
            pair(alias, "create"),
            pair(alias, "acknowledge"),
            pair(alias, "close")
        ]
    );
}

#[tokio::test]
async fn a_key_opsgenie_does_not_know_is_refused_for_good_and_on_the_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let clock = simulated_clock();
    let address = free_port();
    let opsgenie = FakeOpsgenie::default();
    opsgenie.serve(address).await;
    let mut config = Config::default();
    config.people = vec![with_opsgenie(dir.path(), "carol", address, "revoked-key")];
    let engine = engine_with(dir.path(), clock.clone(), &config).await;
    let chat = console();
    declare(&engine, &chat, "Checkout API returns 500s").await;
    deliver_all(&engine, &chat, &clock).await;
    assert!(opsgenie.taken().is_empty());
    let refused = failures(&engine, 1).await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].starts_with("reach carol by opsgenie for the level 1 page:")
            && refused[0].contains("401")
            && refused[0].contains("Could not authenticate")
            && !refused[0].contains("revoked-key"),
        "{refused:?}"
    );
}
