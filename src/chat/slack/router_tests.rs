//! Every refusal of Slack's endpoints, checked in process: each test sends one request through
//! the router `warroom serve` builds with Slack in HTTP mode (`tower::ServiceExt::oneshot`, no
//! socket) over a real SQLite file in a temporary folder, and checks the status, the words of
//! the answer and that nothing was recorded: no incident, no delivery claimed. Requests are
//! signed here as Slack signs them, independently of the verifier under test.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hmac::{Hmac, KeyInit, Mac};
use secrecy::SecretString;
use sha2::Sha256;

use super::signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use super::verified::{BODY_DEADLINE, MAX_BODY};
use super::{ApiSettings, SignatureVerifier, SlackAdapter, SlackApi, SlackChat};
use crate::config::HttpConfig;
use crate::http::AppState;
use crate::http::router_tests::{
    Answer, app, broken_after, chunked, engine, open_incidents, read_only, send, sqlite, stalled,
    stalled_after, store,
};

/// How long a body may take here: [`BODY_DEADLINE`] (5 s) shortened so that its test is quick.
const DEADLINE: Duration = Duration::from_millis(300);

/// The signing secret Warroom is configured with.
const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

/// `v0=` and the hex HMAC-SHA256 of `v0:{timestamp}:{body}` under `secret`, as Slack signs
/// ("Verifying requests from Slack", api.slack.com).
fn slack_signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// Now, in Unix seconds, as Slack's timestamp header has it.
fn now() -> String {
    chrono::Utc::now().timestamp().to_string()
}

/// A slash command's form, as Slack posts it.
fn command_form(text: &str) -> String {
    serde_urlencoded::to_string([
        ("token", "gIkuvaNzQIHg97ATvDxqgjtO"),
        ("team_id", "T0001"),
        ("channel_id", "C0GENERAL"),
        ("user_id", "U0ALICE"),
        ("command", "/incident"),
        ("text", text),
        ("response_url", "http://127.0.0.1:9/commands/T0001/1/x"),
        ("trigger_id", "13345224609.738474920.8088930838d88f008e0"),
    ])
    .expect("a form")
}

/// An interaction's form: `payload` holding `json`.
fn interaction_form(json: &serde_json::Value) -> String {
    serde_urlencoded::to_string([("payload", json.to_string())]).expect("a form")
}

/// A 📌 on a message, as the Events API delivers it.
const PIN_EVENT: &str = r#"{"token":"x","team_id":"T0001","api_app_id":"A0FAKE","type":"event_callback","event_id":"Ev0PIN1","event_time":1764000000,"event":{"type":"reaction_added","user":"U0ALICE","reaction":"pushpin","item":{"type":"message","channel":"C0GENERAL","ts":"1764000000.000100"},"item_user":"U0BOB","event_ts":"1764000000.1"}}"#;

/// `POST path` with the content type, the two signature headers when given, and `body`.
fn request(
    path: &str,
    kind: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: Body,
) -> Request<Body> {
    let mut request = Request::post(path).header(header::CONTENT_TYPE, kind);
    if let Some(timestamp) = timestamp {
        request = request.header(TIMESTAMP_HEADER, timestamp);
    }
    if let Some(signature) = signature {
        request = request.header(SIGNATURE_HEADER, signature);
    }
    request.body(body).expect("a request")
}

/// `POST path` with `body`, signed now with the configured secret.
fn signed(path: &str, kind: &str, body: &str) -> Request<Body> {
    let at = now();
    let signature = slack_signature(SECRET, &at, body.as_bytes());
    request(
        path,
        kind,
        Some(&at),
        Some(&signature),
        Body::from(body.to_owned()),
    )
}

/// `request` with a declared `Content-Length`.
fn declared(mut request: Request<Body>, len: usize) -> Request<Body> {
    request
        .headers_mut()
        .insert(header::CONTENT_LENGTH, len.to_string().parse().unwrap());
    request
}

/// A Slack chat whose Web API URL goes nowhere (these requests never call it).
fn chat() -> Arc<SlackChat> {
    let api = SlackApi::new(
        ApiSettings {
            api_url: "http://127.0.0.1:9/api/".into(),
            max_retries: 0,
            post_interval: Duration::from_millis(1000),
        },
        &SecretString::from("xoxb-test"),
    )
    .expect("the API client");
    Arc::new(SlackChat::new(api))
}

/// `warroom serve`'s app with Slack in HTTP mode over the database at `url`, checking
/// signatures with `secret` (none: no signing secret configured). Slack's Web API is never
/// called by these requests; its URL goes nowhere.
async fn slack_app(url: &str, secret: Option<&str>) -> Router {
    let engine = engine(url).await;
    let api = chat();
    let verifier = secret.map(|s| SignatureVerifier::new(SecretString::from(s)));
    let adapter = SlackAdapter::new(engine.clone(), api, verifier).with_body_deadline(DEADLINE);
    let state = AppState {
        engine,
        alerts: None,
        slack: Some(Arc::new(adapter)),
        chats: vec![crate::domain::Platform::Slack],
        pagerduty: None,
        opsgenie: None,
        metrics: None,
        api: None,
        web: None,
    };
    app(state, &HttpConfig::default())
}

/// The app over a new database in `dir`, with the signing secret: the app and the URL.
async fn slack(dir: &Path) -> (Router, String) {
    let url = sqlite(dir).await;
    (slack_app(&url, Some(SECRET)).await, url)
}

/// Checks that the database at `url` holds no incident and no claimed Slack delivery.
async fn nothing_recorded(url: &str) {
    assert_eq!(open_incidents(url).await, 0, "an incident was recorded");
    let deliveries = store(url).await.delivery_count().await.expect("the count");
    assert_eq!(deliveries, 0, "a delivery was claimed");
}

/// Checks a 401 and its reason.
fn refused(answer: &Answer, reason: &str) {
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{answer:?}");
    assert_eq!(answer.body, format!("refused: {reason}\n"), "{answer:?}");
}

#[test]
fn the_tests_sign_as_slack_s_documented_example_does() {
    let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    assert_eq!(
        slack_signature(SECRET, "1531420618", body.as_bytes()),
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    );
}

#[tokio::test]
async fn a_signed_url_check_is_answered_with_its_challenge() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = slack(dir.path()).await;
    let check = r#"{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let answer = send(app, signed("/slack/events", JSON, check)).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(
        answer.body,
        r#"{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}"#
    );
    nothing_recorded(&url).await;
}

#[tokio::test]
async fn without_a_signing_secret_every_request_is_401_before_its_body_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite(dir.path()).await;
    let app = slack_app(&url, None).await;
    for path in ["/slack/commands", "/slack/interactions", "/slack/events"] {
        let at = now();
        let signature = slack_signature(SECRET, &at, b"");
        let request = request(path, FORM, Some(&at), Some(&signature), stalled());
        let answer = send(app.clone(), declared(request, 1000)).await;
        refused(
            &answer,
            "no signing secret is configured (slack.signing_secret)",
        );
    }
    nothing_recorded(&url).await;
}

#[tokio::test]
async fn a_request_without_a_signature_is_401_before_its_body_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = slack(dir.path()).await;
    for path in ["/slack/commands", "/slack/interactions", "/slack/events"] {
        let request = request(path, FORM, Some(&now()), None, stalled());
        let answer = send(app.clone(), declared(request, 1000)).await;
        refused(&answer, "the x-slack-signature header is missing");
    }
    nothing_recorded(&url).await;
}

#[tokio::test]
async fn a_request_without_a_timestamp_is_401_before_its_body_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = slack(dir.path()).await;
    let body = command_form("declare p1 unsigned");
    let signature = slack_signature(SECRET, &now(), body.as_bytes());
    let request = request("/slack/commands", FORM, None, Some(&signature), stalled());
    let answer = send(app, declared(request, body.len())).await;
    refused(&answer, "the x-slack-request-timestamp header is missing");
    nothing_recorded(&url).await;
}

#[tokio::test]
async fn a_timestamp_that_is_not_a_number_is_401_before_the_body_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = slack(dir.path()).await;
    let request = request(
        "/slack/commands",
        FORM,
        Some("soon"),
        Some("v0=00"),
        stalled(),
    );
    let answer = send(app, declared(request, 1000)).await;
    refused(&answer, "the request timestamp is not a number");
    nothing_recorded(&url).await;
}

#[tokio::test]
async fn a_timestamp_six_minutes_away_is_401_before_the_body_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = slack(dir.path()).await;
    let body = command_form("declare p1 replayed");
    // Signed properly, six minutes ago and six minutes ahead; the body never comes.
    for skew in [-360, 360] {
        let at = (chrono::Utc::now().timestamp() + skew).to_string();
        let signature = slack_signature(SECRET, &at, body.as_bytes());
        let request = request(
            "/slack/commands",
            FORM,
            Some(&at),
            Some(&signature),
            stalled(),
        );
        let answer = send(app.clone(), declared(request, body.len())).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{answer:?}");
        // A second may pass between signing and checking.
        let away = |s: i64| {
            format!(
                "refused: the request timestamp is {s} s away from now; at most 300 s is allowed\n"
            )
        };
        assert!(
            answer.body == away(360) || answer.body == away(361),
            "{answer:?}"
        );
    }
    nothing_recorded(&url).await;
}

#[tokio::test]
async fn a_forged_or_tampered_signature_is_401() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = slack(dir.path()).await;
    let body = command_form("declare p1 forged");
    let at = now();
    // Signed with another secret.
    let forged = slack_signature("not the signing secret", &at, body.as_bytes());
    let answer = send(
        app.clone(),
        request(
            "/slack/commands",
            FORM,
            Some(&at),
            Some(&forged),
            Body::from(body.clone()),
        ),
    )
    .await;
    refused(&answer, "the signature does not match");
    // The right signature over another body.
    let genuine = slack_signature(SECRET, &at, body.as_bytes());
    let tampered = body.replace("forged", "tampered");
    let answer = send(
        app,
        request(
            "/slack/commands",
            FORM,
            Some(&at),
            Some(&genuine),
            Body::from(tampered),
        ),
    )
    .await;
    refused(&answer, "the signature does not match");
    nothing_recorded(&url).await;
}

#[tokio::test]
async fn a_declared_body_over_256_kib_is_413_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = slack(dir.path()).await;
    let at = now();
    let signature = slack_signature(SECRET, &at, b"");
    let request = request(
        "/slack/interactions",
        FORM,
        Some(&at),
        Some(&signature),
        stalled(),
    );
    let answer = send(app, declared(request, MAX_BODY + 1)).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE, "{answer:?}");
    // tower-http's RequestBodyLimitLayer answers before the handler runs.
    assert_eq!(answer.body, "length limit exceeded", "{answer:?}");
    nothing_recorded(&url).await;
}

#[tokio::test]
async fn a_chunked_body_over_256_kib_is_413_once_it_passes_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = slack(dir.path()).await;
    let at = now();
    let signature = slack_signature(SECRET, &at, b"");
    let request = request(
        "/slack/interactions",
        FORM,
        Some(&at),
        Some(&signature),
        chunked(MAX_BODY + 1),
    );
    let answer = send(app, request).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE, "{answer:?}");
    assert_eq!(answer.body, "the body is larger than 262144 bytes\n");
    nothing_recorded(&url).await;
}

#[tokio::test]
async fn a_body_cut_off_by_the_client_is_400() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = slack(dir.path()).await;
    let body = command_form("declare p1 cut off");
    let at = now();
    let signature = slack_signature(SECRET, &at, body.as_bytes());
    let request = request(
        "/slack/commands",
        FORM,
        Some(&at),
        Some(&signature),
        broken_after(&body.as_bytes()[..20]),
    );
    let answer = send(app, request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
    assert_eq!(
        answer.body,
        "the body could not be read: the client went away\n"
    );
    nothing_recorded(&url).await;
}

#[tokio::test]
async fn a_body_may_take_5_s_when_serving() {
    let api = chat();
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(&sqlite(dir.path()).await).await;
    let adapter = SlackAdapter::new(engine, api, None);
    assert_eq!(adapter.body_deadline, BODY_DEADLINE);
    assert_eq!(BODY_DEADLINE, Duration::from_secs(5));
}

#[tokio::test]
async fn a_body_that_does_not_arrive_by_the_deadline_is_408() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = slack(dir.path()).await;
    let body = command_form("declare p1 slow");
    let at = now();
    let signature = slack_signature(SECRET, &at, body.as_bytes());
    let request = request(
        "/slack/commands",
        FORM,
        Some(&at),
        Some(&signature),
        stalled_after(body.as_bytes()[..20].to_vec()),
    );
    let started = std::time::Instant::now();
    let answer = send(app, declared(request, body.len())).await;
    let waited = started.elapsed();
    assert!(
        waited >= DEADLINE && waited < DEADLINE + Duration::from_secs(5),
        "answered after {waited:?}: {answer:?}"
    );
    assert_eq!(answer.status, StatusCode::REQUEST_TIMEOUT, "{answer:?}");
    assert_eq!(answer.body, "the body did not arrive within 300 ms\n");
    nothing_recorded(&url).await;
}

/// Checks a 400 and its reason.
fn unreadable(answer: &Answer, reason: &str) {
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
    assert_eq!(answer.body, format!("{reason}\n"), "{answer:?}");
}

#[tokio::test]
async fn a_signed_command_that_is_not_a_slash_command_is_400() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = slack(dir.path()).await;
    // A form without the user, channel and trigger; and one with them empty.
    let empty = command_form("declare p1 x")
        .replace("user_id=U0ALICE", "user_id=")
        .replace("channel_id=C0GENERAL", "channel_id=");
    for body in ["text=declare+p1+x", empty.as_str()] {
        let answer = send(app.clone(), signed("/slack/commands", FORM, body)).await;
        unreadable(
            &answer,
            "the request body is not a Slack slash command Warroom can read",
        );
    }
    nothing_recorded(&url).await;
}

#[tokio::test]
async fn a_signed_interaction_that_cannot_be_read_is_400() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = slack(dir.path()).await;
    let no_user =
        interaction_form(&serde_json::json!({"type": "block_actions", "trigger_id": "t.6"}));
    for body in ["payload=%7Bnot-json", "no_payload=1", no_user.as_str()] {
        let answer = send(app.clone(), signed("/slack/interactions", FORM, body)).await;
        unreadable(
            &answer,
            "the request body is not a Slack interaction Warroom can read",
        );
    }
    nothing_recorded(&url).await;
}

#[tokio::test]
async fn a_signed_press_of_a_button_warroom_never_offered_is_400() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = slack(dir.path()).await;
    let press = interaction_form(&serde_json::json!({
        "type": "block_actions",
        "user": {"id": "U0ALICE", "username": "alice"},
        "team": {"id": "T0001", "domain": "fake"},
        "api_app_id": "A0FAKE",
        "channel": {"id": "C0GENERAL"},
        "container": {"type": "message", "message_ts": "1764000000.000100", "channel_id": "C0GENERAL", "is_ephemeral": false},
        "trigger_id": "13345224609.738474920.8088930838d88f008e1",
        "response_url": "http://127.0.0.1:9/actions/T0001/1/x",
        "actions": [{"type": "button", "action_id": "drop_all_tables", "value": "b1", "action_ts": "1764000000.1"}],
    }));
    let answer = send(app.clone(), signed("/slack/interactions", FORM, &press)).await;
    unreadable(
        &answer,
        "Warroom does not know the action 'drop_all_tables'",
    );
    // A kind of interaction Warroom never offers.
    let shortcut = interaction_form(&serde_json::json!({
        "type": "shortcut", "user": {"id": "U0ALICE"}, "team": {"id": "T0001"},
        "callback_id": "do_it", "trigger_id": "t.4"
    }));
    let answer = send(app, signed("/slack/interactions", FORM, &shortcut)).await;
    unreadable(&answer, "Warroom does not know the action 'shortcut'");
    nothing_recorded(&url).await;
}

#[tokio::test]
async fn a_signed_event_that_cannot_be_read_is_400() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = slack(dir.path()).await;
    let no_channel = PIN_EVENT.replace(r#""channel":"C0GENERAL","#, "");
    for body in [
        r#"{"type": "event_callback"}"#,
        "\u{0}\u{1}",
        "[]",
        no_channel.as_str(),
    ] {
        let answer = send(app.clone(), signed("/slack/events", JSON, body)).await;
        unreadable(
            &answer,
            "the request body is not a Slack event Warroom can read",
        );
    }
    nothing_recorded(&url).await;
}

#[tokio::test]
async fn an_event_the_database_cannot_claim_is_503_so_slack_sends_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite(dir.path()).await;
    let app = slack_app(&read_only(&url), Some(SECRET)).await;
    let answer = send(app, signed("/slack/events", JSON, PIN_EVENT)).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{answer:?}");
    assert_eq!(answer.body, "the database cannot be reached; try again\n");
    nothing_recorded(&url).await;
}
