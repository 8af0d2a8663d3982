//! Pages through PagerDuty's Events API v2, through the engine's outbox and the real notifier,
//! against a strict fake of `POST /v2/enqueue` that checks every event as PagerDuty's published
//! API description says (`tests/fixtures/providers/pagerduty.md`, from PagerDuty/api-schema's
//! `reference/events-v2/openapiv3.json`) and answers in PagerDuty's shapes. The page is triggered through an outage (no server, 500, 429), then acknowledged and
//! resolved at PagerDuty when the incident is here; a routing key PagerDuty does not know is a
//! refusal for good, on the timeline.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::Duration as Span;
use serde_json::{Value, json};
use warroom::config::{Config, PagerdutyContact, PersonConfig};
use warroom::domain::EventKind;
use warroom::engine::clock::Clock;

use crate::notify::{
    console, declare, deliver_all, engine_with, events, failures, free_port, next_delivery,
    next_due, say, secret_file, serve_at, waiting,
};
use crate::support::engine::simulated_clock;

/// The integration key the fake PagerDuty knows.
const ROUTING_KEY: &str = "e93facc04764012d7bfb002500d5d1a6";

/// The fields an event may have, as the Events API v2 description lists them.
const EVENT_FIELDS: &[&str] = &[
    "routing_key",
    "event_action",
    "dedup_key",
    "payload",
    "client",
    "client_url",
    "links",
    "images",
];
const PAYLOAD_FIELDS: &[&str] = &[
    "summary",
    "timestamp",
    "severity",
    "source",
    "component",
    "group",
    "class",
    "custom_details",
];

/// A strict `POST /v2/enqueue`.
#[derive(Clone, Default)]
struct FakePagerduty {
    /// The status of the next answer: 202, 429 or 500.
    answer: Arc<AtomicU16>,
    accepted: Arc<Mutex<Vec<Value>>>,
}

/// PagerDuty's answer to an event it will never take.
fn invalid(errors: &[&str]) -> (StatusCode, Json<Value>) {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({
            "status": "invalid event",
            "message": "Event object is invalid",
            "errors": errors,
        })),
    )
}

/// What is wrong with an event, as PagerDuty's description reads.
fn problems(event: &serde_json::Map<String, Value>) -> Vec<&'static str> {
    let mut out = Vec::new();
    if event.keys().any(|k| !EVENT_FIELDS.contains(&k.as_str())) {
        out.push("unknown field");
    }
    let action = event["event_action"].as_str().unwrap_or_default();
    if !["trigger", "acknowledge", "resolve"].contains(&action) {
        out.push("'event_action' is invalid");
    }
    let dedup = event.get("dedup_key").and_then(Value::as_str);
    if action != "trigger" && dedup.is_none() {
        out.push("'dedup_key' is missing");
    }
    if dedup.is_some_and(|k| k.is_empty() || k.len() > 255) {
        out.push("'dedup_key' is invalid");
    }
    if action == "trigger" {
        match event.get("payload").and_then(Value::as_object) {
            None => out.push("'payload' is missing"),
            Some(payload) => {
                if payload
                    .keys()
                    .any(|k| !PAYLOAD_FIELDS.contains(&k.as_str()))
                {
                    out.push("unknown payload field");
                }
                let summary = payload.get("summary").and_then(Value::as_str);
                if summary.is_none_or(|s| s.is_empty() || s.chars().count() > 1024) {
                    out.push("'payload.summary' is invalid");
                }
                if payload
                    .get("source")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
                {
                    out.push("'payload.source' is missing");
                }
                let severity = payload.get("severity").and_then(Value::as_str);
                if !severity.is_some_and(|s| ["critical", "error", "warning", "info"].contains(&s))
                {
                    out.push("'payload.severity' is invalid");
                }
            }
        }
    }
    let links_ok = event.get("links").is_none_or(|links| {
        links.as_array().is_some_and(|links| {
            links
                .iter()
                .all(|l| l["href"].as_str().is_some_and(|h| h.starts_with("http")))
        })
    });
    if !links_ok {
        out.push("'links' is invalid");
    }
    out
}

async fn enqueue(
    State(fake): State<FakePagerduty>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, Json<Value>) {
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/json") {
        return invalid(&["content type must be application/json"]);
    }
    let Ok(Value::Object(event)) = serde_json::from_slice::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({
                "status": "Unrecognized object",
                "message": "Event object format is unrecognized",
                "errors": ["JSON parse error"],
            })),
        );
    };
    let problems = problems(&event);
    if !problems.is_empty() {
        return invalid(&problems);
    }
    if event["routing_key"] != ROUTING_KEY {
        return invalid(&["'routing_key' is invalid"]);
    }
    match fake.answer.load(Ordering::SeqCst) {
        429 => (
            StatusCode::TOO_MANY_REQUESTS,
            Json(
                json!({"status": "throttle exceeded", "message": "Requests for this service are arriving too quickly. Please retry later."}),
            ),
        ),
        500 => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"status": "error", "message": "internal error"})),
        ),
        _ => {
            let dedup = event["dedup_key"].clone();
            fake.accepted.lock().unwrap().push(Value::Object(event));
            (
                StatusCode::ACCEPTED,
                Json(
                    json!({"status": "success", "message": "Event processed", "dedup_key": dedup}),
                ),
            )
        }
    }
}

impl FakePagerduty {
    async fn serve(&self, address: SocketAddr) {
        self.set(202);
        let app = axum::Router::new()
            .route("/v2/enqueue", post(enqueue))
            .with_state(self.clone());
        serve_at(address, app).await;
    }

    fn set(&self, status: u16) {
        self.answer.store(status, Ordering::SeqCst);
    }

    /// `(event_action, dedup_key)` of each event taken.
    fn taken(&self) -> Vec<(String, String)> {
        let taken = self.accepted.lock().unwrap();
        taken
            .iter()
            .map(|e| {
                (
                    e["event_action"].as_str().unwrap().to_owned(),
                    e["dedup_key"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }
}

/// `person`'s table with a PagerDuty contact at `server`, with `key` kept in a file.
fn with_pagerduty(
    dir: &std::path::Path,
    person: &str,
    server: SocketAddr,
    key: &str,
) -> PersonConfig {
    PersonConfig {
        id: person.into(),
        pagerduty: Some(PagerdutyContact {
            routing_key: secret_file(dir, &format!("{person}-pd-key"), key),
            url: Some(format!("http://{server}/v2/enqueue")),
        }),
        ..PersonConfig::default()
    }
}

fn pair(action: &str, key: &str) -> (String, String) {
    (action.to_owned(), key.to_owned())
}

#[tokio::test]
async fn a_page_reaches_pagerduty_through_an_outage_and_is_acknowledged_and_resolved_there() {
    let dir = tempfile::tempdir().unwrap();
    let clock = simulated_clock();
    let address = free_port();
    let pagerduty = FakePagerduty::default();
    let mut config = Config::default();
    // bob has PagerDuty too, but is never paged: nothing is sent for him.
    config.people = vec![
        with_pagerduty(dir.path(), "carol", address, ROUTING_KEY),
        with_pagerduty(dir.path(), "bob", address, ROUTING_KEY),
    ];
    let engine = engine_with(dir.path(), clock.clone(), &config).await;
    let chat = console();

    // PagerDuty cannot be reached yet: the trigger waits in the outbox.
    declare(&engine, &chat, "Checkout API returns 500s").await;
    assert!(
        waiting(&engine).await.contains("PagerDuty at 127.0.0.1"),
        "{}",
        waiting(&engine).await
    );
    // It answers 500, then 429: still waiting, the 429 for a minute.
    pagerduty.serve(address).await;
    pagerduty.set(500);
    next_delivery(&engine, &chat, &clock).await;
    assert!(
        waiting(&engine).await.contains("500"),
        "{}",
        waiting(&engine).await
    );
    pagerduty.set(429);
    next_delivery(&engine, &chat, &clock).await;
    let asked = next_due(&engine).await.unwrap();
    assert!(asked >= clock.now() + Span::seconds(60), "{asked}");
    pagerduty.set(202);
    next_delivery(&engine, &chat, &clock).await;
    assert_eq!(pagerduty.taken(), [pair("trigger", "warroom/INC-1/carol")]);
    let trigger = pagerduty.accepted.lock().unwrap()[0].clone();
    assert_eq!(trigger["payload"]["severity"], "critical");
    assert_eq!(
        trigger["payload"]["summary"],
        "INC-1 (P1): Checkout API returns 500s"
    );
    let reached: Vec<String> = events(&engine, 1)
        .await
        .into_iter()
        .filter_map(|k| match k {
            EventKind::Notified { person, via, .. } => Some(format!("{person} by {via}")),
            _ => None,
        })
        .collect();
    assert_eq!(reached, ["carol by pagerduty"]);

    // Acknowledged here: PagerDuty is told, through its own 500.
    pagerduty.set(500);
    say(&engine, &chat, "carol", "ack INC-1").await;
    for _ in 0..10 {
        if waiting(&engine).await.contains("500") {
            break;
        }
        next_delivery(&engine, &chat, &clock).await;
    }
    assert!(
        waiting(&engine).await.contains("500"),
        "{}",
        waiting(&engine).await
    );
    assert_eq!(pagerduty.taken().len(), 1);
    pagerduty.set(202);
    deliver_all(&engine, &chat, &clock).await;
    assert_eq!(
        pagerduty.taken(),
        [
            pair("trigger", "warroom/INC-1/carol"),
            pair("acknowledge", "warroom/INC-1/carol"),
        ]
    );
    // Resolved here: PagerDuty closes its alert.
    say(&engine, &chat, "carol", "resolve INC-1 rolled back").await;
    deliver_all(&engine, &chat, &clock).await;
    assert_eq!(
        pagerduty.taken(),
        [
            pair("trigger", "warroom/INC-1/carol"),
            pair("acknowledge", "warroom/INC-1/carol"),
            pair("resolve", "warroom/INC-1/carol"),
        ],
        "nothing for bob, whose page never reached PagerDuty"
    );
}

#[tokio::test]
async fn a_routing_key_pagerduty_does_not_know_is_refused_for_good_and_on_the_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let clock = simulated_clock();
    let address = free_port();
    let pagerduty = FakePagerduty::default();
    pagerduty.serve(address).await;
    let mut config = Config::default();
    config.people = vec![with_pagerduty(
        dir.path(),
        "carol",
        address,
        "0123456789abcdef0123456789abcdef",
    )];
    let engine = engine_with(dir.path(), clock.clone(), &config).await;
    let chat = console();
    declare(&engine, &chat, "Checkout API returns 500s").await;
    deliver_all(&engine, &chat, &clock).await;
    assert!(pagerduty.taken().is_empty());
    let refused = failures(&engine, 1).await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].starts_with("reach carol by pagerduty for the level 1 page:")
            && refused[0].contains("400")
            && refused[0].contains("'routing_key' is invalid"),
        "{refused:?}"
    );
    // A key that is not even an integration key is refused before anything is sent.
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.people = vec![with_pagerduty(dir.path(), "carol", address, "not-a-key")];
    let engine = engine_with(dir.path(), clock.clone(), &config).await;
    declare(&engine, &chat, "Search is down").await;
    deliver_all(&engine, &chat, &clock).await;
    let refused = failures(&engine, 1).await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].contains("not an Events API v2 integration key")
            && !refused[0].contains("not-a-key"),
        "{refused:?}"
    );
    assert!(pagerduty.taken().is_empty());
}

#[tokio::test]
async fn two_incidents_reach_one_person_through_pagerduty_a_minute_apart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = simulated_clock();
    let start = clock.now();
    let address = free_port();
    let pagerduty = FakePagerduty::default();
    pagerduty.serve(address).await;
    let mut config = Config::default();
    config.people = vec![with_pagerduty(dir.path(), "carol", address, ROUTING_KEY)];
    let engine = engine_with(dir.path(), clock.clone(), &config).await;
    let chat = console();
    // Both page carol at once: a phone call or push per minute at most, so the second
    // alert waits for the minute (throttled, not failed) and then goes.
    declare(&engine, &chat, "Checkout API returns 500s").await;
    declare(&engine, &chat, "Payments queue backing up").await;
    assert_eq!(pagerduty.taken(), [pair("trigger", "warroom/INC-1/carol")]);
    let next = next_due(&engine).await.expect("the second alert waits");
    assert!(next >= start + chrono::Duration::seconds(60), "{next}");
    deliver_all(&engine, &chat, &clock).await;
    assert_eq!(
        pagerduty.taken(),
        [
            pair("trigger", "warroom/INC-1/carol"),
            pair("trigger", "warroom/INC-2/carol"),
        ]
    );
    assert!(failures(&engine, 2).await.is_empty());
}
