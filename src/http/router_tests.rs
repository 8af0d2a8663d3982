//! Every refusal of `router` and `limited` outside Slack's routes, checked in process: each test
//! sends one request through the router `warroom serve` builds (`tower::ServiceExt::oneshot`,
//! no socket) over a real SQLite file in a temporary folder, and checks the status, the words
//! of the answer and, where a request could have recorded something, that nothing was. The
//! helpers here serve Slack's router tests too (src/chat/slack/router_tests.rs).

use std::path::Path;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, Response, StatusCode, header};
use secrecy::SecretString;
use sqlx::Connection;
use tower::ServiceExt;

use super::alerts::{AlertWebhook, MAX_BODY};
use super::{AppState, limited, router};
use crate::chat::console::ConsoleChat;
use crate::config::{AlertSecrets, HttpConfig};
use crate::engine::clock::SystemClock;
use crate::engine::postmortem::PostmortemRenderer;
use crate::engine::{Engine, Settings};
use crate::store::Store;

/// The webhook's bearer token and secret path segment in these tests.
const TOKEN: &str = "alert-token-4f9c";
const PATH_SECRET: &str = "alert-path-7d21";

/// An Alertmanager notification Warroom accepts.
const FIRING: &[u8] = include_bytes!("../../tests/fixtures/alertmanager/alertmanager-firing.json");

/// The URL of a new SQLite database in `dir`, created with its schema.
pub(crate) async fn sqlite(dir: &Path) -> String {
    let url = format!("sqlite://{}", dir.join("warroom.db").display());
    Store::connect(&url).await.expect("the database");
    url
}

/// The URL of the same database opened read-only: reads answer, every write fails.
pub(crate) fn read_only(url: &str) -> String {
    format!("{url}?mode=ro")
}

/// An engine over the database at `url`, as `warroom serve` builds it with no configuration.
pub(crate) async fn engine(url: &str) -> Arc<Engine> {
    let store = Store::connect(url).await.expect("the database");
    Arc::new(Engine::new(
        store,
        Arc::new(SystemClock),
        Settings::default(),
        PostmortemRenderer::new(None).expect("the built-in template"),
    ))
}

/// The database at `url`, opened anew (writable) to look at what was recorded.
pub(crate) async fn store(url: &str) -> Store {
    let url = url.trim_end_matches("?mode=ro");
    Store::connect(url).await.expect("the database")
}

/// How many incidents are open in the database at `url`.
pub(crate) async fn open_incidents(url: &str) -> usize {
    store(url)
        .await
        .open_incidents()
        .await
        .expect("the incidents")
        .len()
}

/// `router` with the limits of `http`, as `warroom serve` serves it.
pub(crate) fn app(state: AppState, http: &HttpConfig) -> Router {
    limited(router(state), http)
}

/// What the router answered: the status, the headers and the body as text.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:?}", self.status, self.body)
    }
}

/// How long a test waits for an answer; a refusal that waits for a body that never comes
/// fails the test instead of hanging it.
const NO_ANSWER: Duration = Duration::from_secs(30);

/// Sends one request through `app` and reads the whole answer.
pub(crate) async fn send(app: Router, request: Request<Body>) -> Answer {
    let response: Response<Body> = tokio::time::timeout(NO_ANSWER, app.oneshot(request))
        .await
        .unwrap_or_else(|_| panic!("no answer within {NO_ANSWER:?}"))
        .expect("an answer");
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .expect("the answer's body");
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8(body.to_vec()).expect("a text answer"),
    }
}

/// A body that never arrives: nothing is sent and it never ends. An answer to a request with
/// it shows the body was not waited for.
pub(crate) fn stalled() -> Body {
    Body::from_stream(futures_util::stream::pending::<Result<Bytes, std::io::Error>>())
}

/// A body that sends `first` and then nothing more, never ending.
pub(crate) fn stalled_after(first: Vec<u8>) -> Body {
    use futures_util::StreamExt;
    let first = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from(first))]);
    Body::from_stream(first.chain(futures_util::stream::pending()))
}

/// A body that stalls and says so through `started` when it is first read.
pub(crate) fn stalled_reported(started: tokio::sync::oneshot::Sender<()>) -> Body {
    let mut started = Some(started);
    Body::from_stream(futures_util::stream::poll_fn(
        move |_| -> Poll<Option<Result<Bytes, std::io::Error>>> {
            if let Some(started) = started.take() {
                let _ = started.send(());
            }
            Poll::Pending
        },
    ))
}

/// A body whose sender goes away after `first`, as a client whose connection breaks.
pub(crate) fn broken_after(first: &[u8]) -> Body {
    Body::from_stream(futures_util::stream::iter([
        Ok(Bytes::copy_from_slice(first)),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "the client went away",
        )),
    ]))
}

/// A body of `len` bytes sent in 64 KiB chunks, with no `Content-Length` (chunked).
pub(crate) fn chunked(len: usize) -> Body {
    let chunks: Vec<Result<Bytes, std::io::Error>> = (0..len)
        .step_by(64 * 1024)
        .map(|at| Ok(Bytes::from(vec![b'x'; (len - at).min(64 * 1024)])))
        .collect();
    Body::from_stream(futures_util::stream::iter(chunks))
}

/// The state of `warroom serve` with the webhook guarded by [`TOKEN`] and [`PATH_SECRET`], its
/// effects told to a console that prints nowhere; no Slack.
async fn state(url: &str) -> AppState {
    let port = Arc::new(ConsoleChat::new(Box::new(std::io::sink()), "warroom"));
    let secrets = AlertSecrets {
        token: Some(SecretString::from(TOKEN)),
        path: Some(SecretString::from(PATH_SECRET)),
    };
    AppState {
        engine: engine(url).await,
        alerts: Some(Arc::new(AlertWebhook::new(secrets, port, "lobby".into()))),
        slack: None,
        chats: vec![crate::domain::Platform::Console],
        pagerduty: None,
        opsgenie: None,
        metrics: None,
        api: None,
        web: None,
    }
}

/// The webhook's app over a new database: the app and the database's URL.
async fn webhook(dir: &Path) -> (Router, String) {
    let url = sqlite(dir).await;
    (app(state(&url).await, &HttpConfig::default()), url)
}

/// `POST path` with `body`, with the bearer `token` when one is given.
fn post(path: &str, token: Option<&str>, body: Body) -> Request<Body> {
    let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(body).expect("a request")
}

/// `POST /alerts/alertmanager` with the right token and `body`.
fn delivery(body: Body) -> Request<Body> {
    post("/alerts/alertmanager", Some(TOKEN), body)
}

/// The `error` of a refusal's JSON body.
fn error_of(answer: &Answer) -> String {
    let body: serde_json::Value =
        serde_json::from_str(&answer.body).unwrap_or_else(|e| panic!("not JSON ({e}): {answer:?}"));
    assert_eq!(body["status"], "error", "{answer:?}");
    body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error: {answer:?}"))
        .to_owned()
}

/// `GET /healthz`.
fn healthz() -> Request<Body> {
    Request::get("/healthz")
        .body(Body::empty())
        .expect("a request")
}

#[tokio::test]
async fn healthz_answers_200_when_the_database_takes_a_write() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = webhook(dir.path()).await;
    let answer = send(app, healthz()).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(body["status"], "ok", "{answer:?}");
    assert_eq!(body["database"], "ok", "{answer:?}");
}

#[tokio::test]
async fn healthz_on_a_read_only_database_is_503_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite(dir.path()).await;
    let app = app(state(&read_only(&url)).await, &HttpConfig::default());
    let answer = send(app, healthz()).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{answer:?}");
    assert_eq!(
        answer.body, r#"{"status":"failing","database":"read-only"}"#,
        "{answer:?}"
    );
}

#[tokio::test]
async fn healthz_while_another_writer_holds_sqlite_is_503_locked() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = webhook(dir.path()).await;
    let mut other = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let answer = send(app, healthz()).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{answer:?}");
    assert_eq!(
        answer.body, r#"{"status":"failing","database":"locked"}"#,
        "{answer:?}"
    );
    sqlx::raw_sql("ROLLBACK").execute(&mut other).await.unwrap();
}

#[tokio::test]
async fn healthz_on_a_damaged_database_is_503_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite(dir.path()).await;
    let (root, page_size): (i64, i64) = {
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await
            .unwrap();
        let root =
            sqlx::query_scalar("SELECT rootpage FROM sqlite_schema WHERE name = 'health_probe'")
                .fetch_one(&mut conn)
                .await
                .unwrap();
        let size = sqlx::query_scalar("PRAGMA page_size")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        (root, size)
    };
    // Garbage over the page of the probe's table, as a bad sector leaves it.
    let file = dir.path().join("warroom.db");
    let mut bytes = std::fs::read(&file).unwrap();
    let start = usize::try_from((root - 1) * page_size).unwrap();
    let end = start + usize::try_from(page_size).unwrap();
    for (i, b) in bytes[start..end].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37).wrapping_add(11);
    }
    std::fs::write(&file, bytes).unwrap();
    let app = app(state(&url).await, &HttpConfig::default());
    let answer = send(app, healthz()).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{answer:?}");
    assert_eq!(
        answer.body, r#"{"status":"failing","database":"damaged"}"#,
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_request_whose_body_never_ends_is_408_at_the_request_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite(dir.path()).await;
    let http = HttpConfig {
        request_timeout: Duration::from_millis(200),
        ..HttpConfig::default()
    };
    let app = app(state(&url).await, &http);
    let started = Instant::now();
    let answer = send(app, delivery(stalled_after(FIRING[..100].to_vec()))).await;
    let waited = started.elapsed();
    assert!(
        waited >= http.request_timeout && waited < Duration::from_secs(5),
        "answered after {waited:?}: {answer:?}"
    );
    assert_eq!(answer.status, StatusCode::REQUEST_TIMEOUT, "{answer:?}");
    assert_eq!(answer.body, "", "{answer:?}");
    assert_eq!(open_incidents(&url).await, 0);
}

#[tokio::test]
async fn a_request_over_max_concurrent_requests_is_503_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite(dir.path()).await;
    let http = HttpConfig {
        max_concurrent_requests: 1,
        ..HttpConfig::default()
    };
    let app = app(state(&url).await, &http);
    // One delivery in flight, waiting for a body that does not come.
    let (started, reading) = tokio::sync::oneshot::channel();
    let held = tokio::spawn(send(app.clone(), delivery(stalled_reported(started))));
    reading.await.expect("the first request is being read");
    let answer = send(app.clone(), healthz()).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{answer:?}");
    assert_eq!(answer.body, "too many requests in flight; try again\n");
    assert_eq!(answer.headers[header::RETRY_AFTER], "1", "{answer:?}");
    // Once the first is gone, the next gets in.
    held.abort();
    let _ = held.await;
    assert_eq!(send(app, healthz()).await.status, StatusCode::OK);
    assert_eq!(open_incidents(&url).await, 0);
}

#[tokio::test]
async fn a_delivery_to_a_webhook_that_is_not_enabled_is_404() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite(dir.path()).await;
    let state = AppState {
        alerts: None,
        ..state(&url).await
    };
    let answer = send(
        app(state, &HttpConfig::default()),
        delivery(Body::from(FIRING)),
    )
    .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{answer:?}");
    assert_eq!(error_of(&answer), "the Alertmanager webhook is not enabled");
    assert_eq!(open_incidents(&url).await, 0);
}

/// The 401 of a delivery without the configured secret.
const NO_CREDENTIALS: &str =
    "missing or wrong credentials: send the configured bearer token or secret path";

#[tokio::test]
async fn a_delivery_without_a_token_is_401_before_its_body_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = webhook(dir.path()).await;
    let request = Request::post("/alerts/alertmanager")
        .header(header::CONTENT_LENGTH, "1000")
        .body(stalled())
        .unwrap();
    let answer = send(app, request).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{answer:?}");
    assert_eq!(error_of(&answer), NO_CREDENTIALS);
    assert_eq!(open_incidents(&url).await, 0);
}

#[tokio::test]
async fn a_delivery_with_a_wrong_bearer_token_is_401_before_its_body_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = webhook(dir.path()).await;
    for authorization in [
        "Bearer alert-token-4f9d".to_owned(),
        format!("Basic {TOKEN}"),
        TOKEN.to_owned(),
    ] {
        let request = Request::post("/alerts/alertmanager")
            .header(header::AUTHORIZATION, &authorization)
            .header(header::CONTENT_LENGTH, "1000")
            .body(stalled())
            .unwrap();
        let answer = send(app.clone(), request).await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{authorization}: {answer:?}"
        );
        assert_eq!(error_of(&answer), NO_CREDENTIALS);
    }
    assert_eq!(open_incidents(&url).await, 0);
}

#[tokio::test]
async fn a_delivery_to_a_wrong_secret_path_is_401_before_its_body_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = webhook(dir.path()).await;
    // The path's secret off by one letter, and the bearer token put in the path.
    for path in [
        "/alerts/alertmanager/alert-path-7d22".to_owned(),
        format!("/alerts/alertmanager/{TOKEN}"),
    ] {
        let request = Request::post(&path)
            .header(header::CONTENT_LENGTH, "1000")
            .body(stalled())
            .unwrap();
        let answer = send(app.clone(), request).await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{path}: {answer:?}"
        );
        assert_eq!(error_of(&answer), NO_CREDENTIALS);
    }
    assert_eq!(open_incidents(&url).await, 0);
}

#[tokio::test]
async fn a_declared_body_over_1_mib_is_413_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = webhook(dir.path()).await;
    let mut request = delivery(stalled());
    request.headers_mut().insert(
        header::CONTENT_LENGTH,
        (MAX_BODY + 1).to_string().parse().unwrap(),
    );
    let answer = send(app, request).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE, "{answer:?}");
    assert_eq!(error_of(&answer), "the body is larger than 1048576 bytes");
    assert_eq!(open_incidents(&url).await, 0);
}

#[tokio::test]
async fn a_chunked_body_over_1_mib_is_413_once_it_passes_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = webhook(dir.path()).await;
    let answer = send(app, delivery(chunked(MAX_BODY + 1))).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE, "{answer:?}");
    assert_eq!(error_of(&answer), "the body is larger than 1048576 bytes");
    assert_eq!(open_incidents(&url).await, 0);
}

#[tokio::test]
async fn a_body_cut_off_by_the_client_is_400() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = webhook(dir.path()).await;
    let answer = send(app, delivery(broken_after(&FIRING[..100]))).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
    assert_eq!(
        error_of(&answer),
        "the body could not be read: the client went away"
    );
    assert_eq!(open_incidents(&url).await, 0);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_400_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = webhook(dir.path()).await;
    let answer = send(app.clone(), delivery(Body::from("alerts: firing"))).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
    assert!(
        error_of(&answer).starts_with("the body is not a JSON object: expected value"),
        "{answer:?}"
    );
    let answer = send(app, delivery(Body::from("[1, 2]"))).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
    assert_eq!(
        error_of(&answer),
        "the body is not a JSON object: it is an array"
    );
    assert_eq!(open_incidents(&url).await, 0);
}

#[tokio::test]
async fn a_payload_warroom_cannot_use_is_400_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = webhook(dir.path()).await;
    let fixture: serde_json::Value = serde_json::from_slice(FIRING).unwrap();
    let changed = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut payload = fixture.clone();
        change(&mut payload);
        Body::from(payload.to_string())
    };
    let cases: [(&str, Body); 4] = [
        (
            "unsupported webhook payload version \"3\": Warroom reads version 4 (Alertmanager 0.x)",
            changed(&|p| p["version"] = "3".into()),
        ),
        (
            "bad payload: missing field `groupKey`",
            changed(&|p| {
                p.as_object_mut().unwrap().remove("groupKey");
            }),
        ),
        (
            "bad payload: alerts is empty: a notification has at least one alert",
            changed(&|p| p["alerts"] = serde_json::json!([])),
        ),
        (
            "bad payload: alerts[0].labels has no alertname label",
            changed(&|p| {
                p["alerts"][0]["labels"]
                    .as_object_mut()
                    .unwrap()
                    .remove("alertname");
            }),
        ),
    ];
    for (reason, body) in cases {
        let answer = send(app.clone(), delivery(body)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
        assert_eq!(error_of(&answer), reason);
    }
    assert_eq!(open_incidents(&url).await, 0);
}

#[tokio::test]
async fn a_delivery_the_database_cannot_record_is_503_so_alertmanager_sends_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite(dir.path()).await;
    let app = app(state(&read_only(&url)).await, &HttpConfig::default());
    let answer = send(app, delivery(Body::from(FIRING))).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{answer:?}");
    assert_eq!(
        error_of(&answer),
        "the database is read-only, so nothing could be recorded"
    );
    assert_eq!(open_incidents(&url).await, 0);
}

#[tokio::test]
async fn a_delivery_that_cannot_be_recorded_within_its_budget_is_503_not_408() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite(dir.path()).await;
    let mut state = state(&url).await;
    let port = Arc::new(ConsoleChat::new(Box::new(std::io::sink()), "warroom"));
    let secrets = AlertSecrets {
        token: Some(SecretString::from(TOKEN)),
        path: None,
    };
    state.alerts = Some(Arc::new(
        AlertWebhook::new(secrets, port, "lobby".into()).with_budget(Duration::from_millis(200)),
    ));
    let app = app(state, &HttpConfig::default());
    // Another writer holds the database longer than the budget (as a database that is slow or
    // away does): Alertmanager must hear 5xx, which it retries, not 408, which it never does.
    let mut other = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let answer = send(app, delivery(Body::from(FIRING))).await;
    sqlx::raw_sql("ROLLBACK").execute(&mut other).await.unwrap();
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{answer:?}");
    assert_eq!(
        answer
            .headers
            .get(header::RETRY_AFTER)
            .map(|v| v.as_bytes()),
        Some(&b"5"[..]),
        "{answer:?}"
    );
    assert_eq!(
        error_of(&answer),
        "the delivery could not be recorded in time (the database is slow or away); send it again"
    );
    assert_eq!(open_incidents(&url).await, 0);
}

#[tokio::test]
async fn a_delivery_the_database_refuses_for_good_is_500() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite(dir.path()).await;
    // The database refuses every new incident, as no retry will change.
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(
        "CREATE TRIGGER no_incidents BEFORE INSERT ON incidents \
         BEGIN SELECT RAISE(ABORT, 'no new incidents'); END",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let app = app(state(&url).await, &HttpConfig::default());
    let answer = send(app, delivery(Body::from(FIRING))).await;
    assert_eq!(
        answer.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{answer:?}"
    );
    assert_eq!(
        error_of(&answer),
        "the database failed, so nothing was recorded; the log has the details"
    );
    sqlx::raw_sql("DROP TRIGGER no_incidents")
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(open_incidents(&url).await, 0);
}

#[tokio::test]
async fn a_delivery_with_the_token_or_the_secret_path_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (app, url) = webhook(dir.path()).await;
    let answer = send(app.clone(), delivery(Body::from(FIRING))).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(body["incident"], "INC-1", "{answer:?}");
    assert_eq!(body["opened"], true, "{answer:?}");
    // The same delivery again, by the secret path: nothing new.
    let path = format!("/alerts/alertmanager/{PATH_SECRET}");
    let answer = send(app, post(&path, None, Body::from(FIRING))).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(body["incident"], "INC-1", "{answer:?}");
    assert_eq!(body["opened"], false, "{answer:?}");
    assert_eq!(open_incidents(&url).await, 1);
}
