//! Pages beyond chat, through the engine and the real notifiers: pushes to a strict fake ntfy
//! server (checked against ntfy's published API, `tests/fixtures/providers/ntfy.md`), signed
//! webhooks checked with Slack's official SDK (the same signature scheme), and emails to a real
//! SMTP server (aiosmtpd from PyPI). Each path has its outage: a server that is not there yet,
//! answers 500 or 429, or refuses for good.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::Duration as Span;
use serde_json::{Value, json};
use warroom::chat::console::ConsoleChat;
use warroom::config::{
    Config, EmailConfig, NtfyContact, PersonConfig, RuleConfig, SecretSource, WebhookContact,
};
use warroom::domain::{EventKind, IncidentNumber, LinkError, Platform, RoomId, UserId};
use warroom::engine::clock::{Clock, SimulatedClock};
use warroom::engine::port::Origin;
use warroom::engine::{AckLinks, Engine, LinkOutcome, LinkRefusal, Settings};
use warroom::notify::{Notifiers, SIGNATURE_HEADER, TIMESTAMP_HEADER};

use crate::support::engine::{TestEngine, carol_on_call, simulated_clock};
use crate::support::slack_sdk::SlackSdk;

/// The token the fake ntfy server wants.
const NTFY_TOKEN: &str = "tk_warroomtest7f3a";
/// The webhook's shared secret.
const HOOK_SECRET: &str = "hook-secret-2c9e";

/// What the fake ntfy server answers, for the next publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
enum Answer {
    Ok = 200,
    Busy = 429,
    Broken = 500,
}

/// A strict ntfy server: publishes as JSON on `/`, only the documented fields, a valid topic
/// and priority, and the bearer token; errors in ntfy's own JSON shape.
#[derive(Clone, Default)]
struct FakeNtfy {
    answer: Arc<AtomicU16>,
    accepted: Arc<Mutex<Vec<Value>>>,
    refused: Arc<Mutex<Vec<String>>>,
}

/// ntfy's error body.
fn ntfy_error(status: StatusCode, code: u32, error: &str) -> (StatusCode, Json<Value>) {
    (
        status,
        Json(json!({"code": code, "http": status.as_u16(), "error": error})),
    )
}

const NTFY_FIELDS: &[&str] = &[
    "topic", "message", "title", "tags", "priority", "actions", "click", "attach", "markdown",
    "icon", "filename", "delay", "email", "call",
];

async fn ntfy_publish(
    State(fake): State<FakeNtfy>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, Json<Value>) {
    let refuse = |why: &str, answer: (StatusCode, Json<Value>)| {
        fake.refused.lock().unwrap().push(why.to_owned());
        answer
    };
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {NTFY_TOKEN}"))
    {
        return refuse(
            "no token",
            ntfy_error(StatusCode::UNAUTHORIZED, 40101, "unauthorized"),
        );
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/json") {
        return refuse(
            "not JSON",
            ntfy_error(
                StatusCode::BAD_REQUEST,
                40017,
                "invalid request: request body must be message JSON",
            ),
        );
    }
    let Ok(Value::Object(message)) = serde_json::from_slice::<Value>(&body) else {
        return refuse(
            "body",
            ntfy_error(
                StatusCode::BAD_REQUEST,
                40017,
                "invalid request: request body must be message JSON",
            ),
        );
    };
    if let Some(unknown) = message.keys().find(|k| !NTFY_FIELDS.contains(&k.as_str())) {
        return refuse(
            unknown,
            ntfy_error(
                StatusCode::BAD_REQUEST,
                40017,
                "invalid request: request body must be message JSON",
            ),
        );
    }
    let topic_ok = message["topic"].as_str().is_some_and(|t| {
        (1..=64).contains(&t.len())
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    });
    if !topic_ok {
        return refuse(
            "topic",
            ntfy_error(
                StatusCode::BAD_REQUEST,
                40009,
                "invalid request: topic invalid",
            ),
        );
    }
    let priority_ok = message
        .get("priority")
        .is_none_or(|p| p.as_u64().is_some_and(|p| (1..=5).contains(&p)));
    let tags_ok = message
        .get("tags")
        .is_none_or(|t| t.as_array().is_some_and(|a| a.iter().all(Value::is_string)));
    let texts_ok = ["message", "title"]
        .iter()
        .all(|k| message.get(*k).is_none_or(Value::is_string));
    let actions_ok = message.get("actions").is_none_or(|a| {
        a.as_array().is_some_and(|actions| {
            actions.len() <= 3
                && actions.iter().all(|action| {
                    let kind = action["action"].as_str().unwrap_or_default();
                    let needs_url = matches!(kind, "view" | "http");
                    ["view", "broadcast", "http", "copy"].contains(&kind)
                        && action["label"].is_string()
                        && (!needs_url || action["url"].is_string())
                        && action.get("method").is_none_or(|m| {
                            ["GET", "POST", "PUT"].contains(&m.as_str().unwrap_or_default())
                        })
                })
        })
    });
    if !actions_ok {
        return refuse(
            "actions",
            ntfy_error(
                StatusCode::BAD_REQUEST,
                40018,
                "invalid request: actions invalid",
            ),
        );
    }
    if !priority_ok || !tags_ok || !texts_ok {
        return refuse(
            "fields",
            ntfy_error(StatusCode::BAD_REQUEST, 40007, "invalid priority parameter"),
        );
    }
    match fake.answer.load(Ordering::SeqCst) {
        429 => ntfy_error(
            StatusCode::TOO_MANY_REQUESTS,
            42901,
            "limit reached: too many requests",
        ),
        500 => ntfy_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            50001,
            "internal server error",
        ),
        _ => {
            let mut shown = Value::Object(message.clone());
            shown["event"] = json!("message");
            shown["id"] = json!(format!("m{}", fake.accepted.lock().unwrap().len()));
            fake.accepted.lock().unwrap().push(Value::Object(message));
            (StatusCode::OK, Json(shown))
        }
    }
}

impl FakeNtfy {
    /// Serves on `address` (a port the test chose, so it can be down first).
    async fn serve(&self, address: SocketAddr) {
        self.answer.store(Answer::Ok as u16, Ordering::SeqCst);
        let app = axum::Router::new()
            .route("/", post(ntfy_publish))
            .with_state(self.clone());
        serve_at(address, app).await;
    }

    fn set(&self, answer: Answer) {
        self.answer.store(answer as u16, Ordering::SeqCst);
    }

    fn accepted(&self) -> Vec<Value> {
        self.accepted.lock().unwrap().clone()
    }
}

/// A receiver of signed webhooks that keeps what it got: the timestamp and signature headers
/// and the raw body.
#[derive(Clone, Default)]
struct HookSink {
    got: Arc<Mutex<Vec<(String, String, String)>>>,
    /// How many of the next requests are answered 503 and not kept.
    failing: Arc<AtomicU16>,
}

async fn hook_receive(State(sink): State<HookSink>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if sink
        .failing
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    sink.got.lock().unwrap().push((
        header(TIMESTAMP_HEADER),
        header(SIGNATURE_HEADER),
        String::from_utf8(body.to_vec()).unwrap(),
    ));
    StatusCode::NO_CONTENT
}

impl HookSink {
    async fn serve(&self) -> SocketAddr {
        let app = axum::Router::new()
            .route("/page", post(hook_receive))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        address
    }

    fn got(&self) -> Vec<(String, String, String)> {
        self.got.lock().unwrap().clone()
    }
}

/// A loopback port nothing listens on (yet).
/// Serves `app` on `address` (a port the test chose, so that it can be down first), in the
/// background.
pub(crate) async fn serve_at(address: SocketAddr, app: axum::Router) {
    let listener = tokio::net::TcpListener::bind(address).await.unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
}

pub(crate) fn free_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// A secret kept in a file of `dir`.
pub(crate) fn secret_file(dir: &Path, name: &str, value: &str) -> SecretSource {
    let path = dir.join(name);
    std::fs::write(&path, format!("{value}\n")).unwrap();
    SecretSource::File(path)
}

fn rule(via: &str, after: &str) -> RuleConfig {
    RuleConfig {
        via: via.into(),
        after: Some(after.into()),
    }
}

/// `person`'s table with a phone: pushes through the ntfy server at `server` to
/// `<person>-pages`, with `token` (kept in a file of `dir`).
fn with_phone(dir: &Path, person: &str, server: SocketAddr, token: &str) -> PersonConfig {
    PersonConfig {
        id: person.into(),
        ntfy: Some(NtfyContact {
            server: format!("http://{server}"),
            topic: format!("{person}-pages"),
            token: Some(secret_file(dir, &format!("{person}-ntfy-token"), token)),
        }),
        ..PersonConfig::default()
    }
}

/// A fake ntfy server on a port of its own, and the configuration in which `person` has a
/// phone through it with the right token.
async fn phone_of(dir: &Path, person: &str) -> (FakeNtfy, Config) {
    let address = free_port();
    let ntfy = FakeNtfy::default();
    ntfy.serve(address).await;
    let mut config = Config::default();
    config.people = vec![with_phone(dir, person, address, NTFY_TOKEN)];
    (ntfy, config)
}

/// An engine whose P1 pages carol (on call) at once, with carol's contacts from `config`.
pub(crate) async fn engine_with(dir: &Path, clock: Arc<SimulatedClock>, config: &Config) -> Engine {
    engine_with_links(dir, clock, config, None).await
}

/// The same, with acknowledge links.
async fn engine_with_links(
    dir: &Path,
    clock: Arc<SimulatedClock>,
    config: &Config,
    ack_links: Option<AckLinks>,
) -> Engine {
    let settings = Settings {
        rotations: vec![carol_on_call()],
        contacts: warroom::config::people(&config.people, &config.notify).unwrap(),
        ack_links,
        ..Settings::default()
    };
    let notifiers = Notifiers::from_config(config).unwrap().unwrap();
    TestEngine::sqlite(dir)
        .clock(clock)
        .settings(settings)
        .build()
        .await
        .with_notifier(Arc::new(notifiers))
}

/// The console chat, writing into a buffer nobody reads.
pub(crate) fn console() -> ConsoleChat {
    ConsoleChat::new(Box::new(std::io::sink()), "warroom")
}

pub(crate) fn lobby(user: &str) -> Origin {
    Origin {
        room_id: RoomId::new(Platform::Console, "lobby"),
        user: UserId::parse(user).unwrap(),
    }
}

/// Declares a P1 as alice and fires what is due (the level 1 page).
pub(crate) async fn declare(engine: &Engine, chat: &ConsoleChat, title: &str) {
    say(engine, chat, "alice", &format!("declare p1 {title}")).await;
    engine.escalation().fire_due(&[chat], "test").await.unwrap();
}

/// When the next outbox entry is due, if one waits.
pub(crate) async fn next_due(engine: &Engine) -> Option<chrono::DateTime<chrono::Utc>> {
    engine
        .store()
        .outbox_next_due(Platform::Console)
        .await
        .unwrap()
}

/// Moves the clock to the next outbox entry that is due, and delivers.
pub(crate) async fn next_delivery(engine: &Engine, chat: &ConsoleChat, clock: &SimulatedClock) {
    let due = next_due(engine)
        .await
        .expect("something waits in the outbox");
    if due > clock.now() {
        clock.set(due);
    }
    engine.delivery().deliver_due(chat, "test").await.unwrap();
}

/// Why the oldest entry still waiting in the outbox failed last ("" when none failed).
pub(crate) async fn waiting(engine: &Engine) -> String {
    let backlog = engine
        .store()
        .outbox_backlog(Platform::Console, engine.clock().now())
        .await
        .unwrap();
    backlog.failing.map(|(why, _)| why).unwrap_or_default()
}

/// What incident `n`'s timeline recorded, event by event.
pub(crate) async fn events(engine: &Engine, n: u32) -> Vec<EventKind> {
    let timeline = engine.store().timeline(IncidentNumber(n)).await.unwrap();
    timeline.into_iter().map(|e| e.kind).collect()
}

/// The deliveries incident `n`'s timeline says failed for good, as `what: reason`.
pub(crate) async fn failures(engine: &Engine, n: u32) -> Vec<String> {
    events(engine, n)
        .await
        .into_iter()
        .filter_map(|kind| match kind {
            EventKind::DeliveryFailed { what, reason } => Some(format!("{what}: {reason}")),
            _ => None,
        })
        .collect()
}

/// Delivers until nothing waits in the outbox, moving the clock to each entry's time.
pub(crate) async fn deliver_all(engine: &Engine, chat: &ConsoleChat, clock: &SimulatedClock) {
    while next_due(engine).await.is_some() {
        next_delivery(engine, chat, clock).await;
    }
}

/// What the timeline says about reaching people beyond chat.
async fn notified(engine: &Engine, n: u32) -> Vec<(String, i64)> {
    events(engine, n)
        .await
        .into_iter()
        .filter_map(|kind| match kind {
            EventKind::Notified {
                via, delay_secs, ..
            } => Some((via.to_string(), delay_secs)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_page_reaches_the_phone_through_an_outage_then_the_webhook_and_stops_at_ack() {
    let dir = tempfile::tempdir().unwrap();
    let clock = simulated_clock();
    let start = clock.now();
    let ntfy_address = free_port();
    let sink = HookSink::default();
    let hook_address = sink.serve().await;
    let mut config = Config::default();
    config.people = vec![PersonConfig {
        webhook: Some(WebhookContact {
            url: format!("http://{hook_address}/page"),
            secret: secret_file(dir.path(), "hook-secret", HOOK_SECRET),
        }),
        notify: Some(vec![
            rule("ntfy", "0m"),
            rule("webhook", "2m"),
            rule("webhook", "10m"),
        ]),
        ..with_phone(dir.path(), "carol", ntfy_address, NTFY_TOKEN)
    }];
    let engine = engine_with(dir.path(), clock.clone(), &config).await;
    let chat = console();

    // The ntfy server is down: the push waits and is tried again; nothing is on the timeline.
    declare(&engine, &chat, "Checkout API returns 500s").await;
    assert!(waiting(&engine).await.contains("cannot be reached"));
    assert!(notified(&engine, 1).await.is_empty());

    // Back: the push arrives, as ntfy wants it.
    let ntfy = FakeNtfy::default();
    ntfy.serve(ntfy_address).await;
    next_delivery(&engine, &chat, &clock).await;
    let pushes = ntfy.accepted();
    assert_eq!(pushes.len(), 1, "{:?}", ntfy.refused.lock().unwrap());
    assert_eq!(pushes[0]["topic"], "carol-pages");
    assert_eq!(pushes[0]["priority"], 5);
    assert_eq!(pushes[0]["title"], "INC-1 (P1): Checkout API returns 500s");
    assert!(
        pushes[0]["message"]
            .as_str()
            .unwrap()
            .contains("You are paged (level 1) for INC-1"),
        "{pushes:?}"
    );
    let timeline = notified(&engine, 1).await;
    assert_eq!(timeline.len(), 1, "{timeline:?}");
    assert_eq!(timeline[0].0, "ntfy");
    assert!(sink.got().is_empty(), "the webhook waits for its 2 minutes");

    // Two minutes after the page, the webhook: its receiver answers 503 once, the retry is
    // taken, signed as Slack signs.
    sink.failing.store(1, Ordering::SeqCst);
    next_delivery(&engine, &chat, &clock).await;
    assert!(clock.now() >= start + Span::minutes(2));
    assert!(sink.got().is_empty());
    assert!(
        waiting(&engine).await.contains("503"),
        "{}",
        waiting(&engine).await
    );
    next_delivery(&engine, &chat, &clock).await;
    let hooks = sink.got();
    assert_eq!(hooks.len(), 1);
    let (timestamp, signature, body) = &hooks[0];
    let payload: Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        (&payload["incident"], &payload["person"], &payload["level"]),
        (&json!("INC-1"), &json!("carol"), &json!(1))
    );
    if let Some(sdk) = SlackSdk::find("webhook signatures") {
        let expected = sdk.sign_all(HOOK_SECRET, &[(timestamp.clone(), body.clone())]);
        assert_eq!(&expected[0], signature);
    }

    // carol acknowledges at 5 minutes: the 10-minute webhook is not sent.
    clock.set(start + Span::minutes(5));
    say(&engine, &chat, "carol", "ack INC-1").await;
    clock.set(start + Span::minutes(11));
    engine.delivery().deliver_due(&chat, "test").await.unwrap();
    assert_eq!(sink.got().len(), 1);
    assert_eq!(
        notified(&engine, 1)
            .await
            .iter()
            .map(|(via, _)| via.as_str())
            .collect::<Vec<_>>(),
        ["ntfy", "webhook"]
    );
    assert_eq!(next_due(&engine).await, None, "nothing is left to send");
}

#[tokio::test]
async fn pushes_to_one_person_are_one_a_minute_and_busy_or_broken_servers_are_waited_out() {
    let dir = tempfile::tempdir().unwrap();
    let clock = simulated_clock();
    let start = clock.now();
    let (ntfy, config) = phone_of(dir.path(), "carol").await;
    let engine = engine_with(dir.path(), clock.clone(), &config).await;
    let chat = console();

    // Two incidents page carol at once: one push now, the other a minute later.
    declare(&engine, &chat, "Checkout API returns 500s").await;
    declare(&engine, &chat, "Payments queue backing up").await;
    assert_eq!(ntfy.accepted().len(), 1);
    let next = next_due(&engine).await.unwrap();
    assert!(next >= start + Span::seconds(60), "{next}");
    next_delivery(&engine, &chat, &clock).await;
    assert_eq!(ntfy.accepted().len(), 2);
    let titles: Vec<String> = ntfy
        .accepted()
        .iter()
        .map(|p| p["title"].as_str().unwrap().to_owned())
        .collect();
    assert!(titles.iter().any(|t| t.starts_with("INC-1")), "{titles:?}");
    assert!(titles.iter().any(|t| t.starts_with("INC-2")), "{titles:?}");

    // Busy (429 without Retry-After): waited out for a minute, then sent.
    clock.set(clock.now() + Span::minutes(2));
    ntfy.set(Answer::Busy);
    declare(&engine, &chat, "Search is down").await;
    assert_eq!(ntfy.accepted().len(), 2);
    let asked = next_due(&engine).await.unwrap();
    assert!(asked >= clock.now() + Span::seconds(60), "{asked}");
    // Broken (500): tried again with backoff.
    ntfy.set(Answer::Broken);
    next_delivery(&engine, &chat, &clock).await;
    assert_eq!(ntfy.accepted().len(), 2);
    assert!(waiting(&engine).await.contains("500"));
    ntfy.set(Answer::Ok);
    next_delivery(&engine, &chat, &clock).await;
    assert_eq!(ntfy.accepted().len(), 3);
    assert_eq!(notified(&engine, 3).await.len(), 1);
}

#[tokio::test]
async fn a_push_the_server_refuses_for_good_is_on_the_timeline_and_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let clock = simulated_clock();
    let ntfy_address = free_port();
    let ntfy = FakeNtfy::default();
    ntfy.serve(ntfy_address).await;
    let mut config = Config::default();
    // A token the server does not know.
    config.people = vec![with_phone(dir.path(), "carol", ntfy_address, "tk_revoked")];
    let engine = engine_with(dir.path(), clock.clone(), &config).await;
    let chat = console();
    declare(&engine, &chat, "Checkout API returns 500s").await;
    assert!(ntfy.accepted().is_empty());
    assert_eq!(
        next_due(&engine).await,
        None,
        "a refusal for good is not tried again"
    );
    let refused = failures(&engine, 1).await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].starts_with("reach carol by ntfy for the level 1 page:")
            && refused[0].contains("401")
            && refused[0].contains("unauthorized"),
        "{refused:?}"
    );
    assert!(!refused[0].contains("tk_revoked"), "{refused:?}");
}

/// aiosmtpd, from the venv scripts/python-venv.sh makes, storing what it receives in a
/// maildir; killed when dropped.
struct Smtp {
    child: Child,
}

impl Smtp {
    /// Starts on `address`, or `None` (the test is skipped) when the venv lacks aiosmtpd and
    /// the environment does not require it.
    fn start(address: SocketAddr, maildir: &Path) -> Option<Smtp> {
        let python = std::env::var_os(crate::support::slack_sdk::PYTHON_ENV)
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("warroom-venv/bin/python"));
        let works = Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success());
        if !works {
            let why = format!("email pages: aiosmtpd is not in {}", python.display());
            if std::env::var_os(crate::support::slack_sdk::REQUIRE_ENV).is_some() {
                panic!("{why} and the environment requires the venv");
            }
            println!("skipped {why} (run scripts/python-venv.sh)");
            return None;
        }
        // Killed and waited for when dropped, also when it does not come up.
        let smtp = Smtp {
            child: Command::new(&python)
                .args(["-m", "aiosmtpd", "-n", "-l", &address.to_string()])
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(maildir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        };
        // Until it accepts connections.
        for _ in 0..100 {
            if std::net::TcpStream::connect(address).is_ok() {
                return Some(smtp);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("aiosmtpd did not start on {address}");
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The emails in a maildir's `new` folder.
fn mails(maildir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(maildir.join("new")) else {
        return Vec::new();
    };
    entries
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect()
}

#[tokio::test]
async fn an_email_page_reaches_a_real_smtp_server_once_it_is_up() {
    let dir = tempfile::tempdir().unwrap();
    let clock = simulated_clock();
    let smtp_address = free_port();
    let maildir = dir.path().join("maildir");
    let mut config = Config::default();
    config.notify.email = Some(EmailConfig {
        smtp_url: format!("smtp://{smtp_address}?tls=none"),
        from: "Warroom <warroom@example.org>".into(),
        user: None,
        password: None,
    });
    config.people = vec![PersonConfig {
        id: "carol".into(),
        email: Some("carol@example.org".into()),
        ..PersonConfig::default()
    }];
    let engine = engine_with(dir.path(), clock.clone(), &config).await;
    let chat = console();

    // No SMTP server yet: the email waits.
    declare(&engine, &chat, "Checkout API returns 500s").await;
    assert!(!waiting(&engine).await.is_empty());

    let Some(_smtp) = Smtp::start(smtp_address, &maildir) else {
        return;
    };
    next_delivery(&engine, &chat, &clock).await;
    let got = mails(&maildir);
    assert_eq!(got.len(), 1, "{got:?}");
    let mail = &got[0];
    assert!(mail.contains("To: carol@example.org"), "{mail}");
    assert!(
        mail.contains("From: Warroom <warroom@example.org>"),
        "{mail}"
    );
    assert!(
        mail.contains("Subject: [Warroom] INC-1 (P1): Checkout API returns 500s"),
        "{mail}"
    );
    assert!(mail.contains("You are paged (level 1) for INC-1"), "{mail}");
    assert_eq!(notified(&engine, 1).await.len(), 1);
}

#[tokio::test]
async fn people_without_contacts_get_only_the_chat_page() {
    let dir = tempfile::tempdir().unwrap();
    let clock = simulated_clock();
    // Someone else has a phone; carol, who is on call, has none.
    let (ntfy, config) = phone_of(dir.path(), "dave").await;
    let engine = engine_with(dir.path(), clock.clone(), &config).await;
    let chat = console();
    declare(&engine, &chat, "Checkout API returns 500s").await;
    engine.delivery().deliver_due(&chat, "test").await.unwrap();
    assert!(ntfy.accepted().is_empty());
    assert!(notified(&engine, 1).await.is_empty());
    let paged = events(&engine, 1)
        .await
        .iter()
        .any(|kind| matches!(kind, EventKind::PageDelivered { .. }));
    assert!(paged, "the chat page still goes out");
}

/// Who acknowledged incident `n`, if anyone.
async fn acknowledged_by(engine: &Engine, n: u32) -> Option<String> {
    let incident = engine.store().incident(IncidentNumber(n)).await.unwrap();
    incident.and_then(|i| i.acknowledged.map(|(who, _)| who.to_string()))
}

/// `user` types `text` in the lobby, and what it causes is carried out.
pub(crate) async fn say(engine: &Engine, chat: &ConsoleChat, user: &str, text: &str) {
    let effects = engine.incidents().handle_text(&lobby(user), text).await;
    engine
        .delivery()
        .dispatch(chat, &lobby(user), effects)
        .await;
}

/// `text` with its last character changed (a hex digit to another).
fn changed(text: &str) -> String {
    let mut out = text.to_owned();
    let last = out.pop().unwrap();
    out.push(if last == '0' { '1' } else { '0' });
    out
}

/// The link a push carries, and its token.
fn pushed_link(push: &Value) -> (String, String) {
    let link = push["click"]
        .as_str()
        .expect("the push links somewhere")
        .to_owned();
    assert_eq!(push["actions"][0]["url"], link.as_str(), "{push}");
    assert_eq!(push["actions"][0]["method"], "POST", "{push}");
    let token = link.rsplit('/').next().unwrap().to_owned();
    (link, token)
}

#[tokio::test]
async fn a_pages_link_acknowledges_once_as_the_person_paged_until_it_expires() {
    let dir = tempfile::tempdir().unwrap();
    let clock = simulated_clock();
    let (ntfy, config) = phone_of(dir.path(), "carol").await;
    let links = AckLinks {
        base_url: "https://warroom.example.org".into(),
        key: "0123456789abcdef0123456789abcdef-test".into(),
    };
    let engine = engine_with_links(dir.path(), clock.clone(), &config, Some(links)).await;
    let chat = console();
    let escalation = engine.escalation();

    declare(&engine, &chat, "Checkout API returns 500s").await;
    let (link, token) = pushed_link(&ntfy.accepted()[0]);
    assert!(
        link.starts_with("https://warroom.example.org/ack/"),
        "{link}"
    );
    match escalation.check_link(&token).await.unwrap() {
        LinkOutcome::Ready(link, incident) => {
            assert_eq!((link.person.as_str(), link.level), ("carol", 1));
            assert_eq!(incident.number, IncidentNumber(1));
        }
        other => panic!("{other:?}"),
    }
    // A changed link is refused, and checking changes nothing.
    let forged = changed(&token);
    for bad in [forged.as_str(), "not-a-token", ""] {
        assert!(matches!(
            escalation.follow_link(bad).await.unwrap(),
            LinkOutcome::Refused(LinkRefusal::Invalid(LinkError::Forged))
        ));
    }
    assert_eq!(acknowledged_by(&engine, 1).await, None);

    // Followed: acknowledged as carol, once.
    assert!(matches!(
        escalation.follow_link(&token).await.unwrap(),
        LinkOutcome::Acknowledged(..)
    ));
    assert_eq!(acknowledged_by(&engine, 1).await.as_deref(), Some("carol"));
    assert!(matches!(
        escalation.follow_link(&token).await.unwrap(),
        LinkOutcome::Refused(LinkRefusal::Used(_))
    ));

    // A link whose incident someone else acknowledged first does nothing.
    declare(&engine, &chat, "Payments queue backing up").await;
    next_delivery(&engine, &chat, &clock).await;
    let (_, second) = pushed_link(&ntfy.accepted()[1]);
    say(&engine, &chat, "dave", "ack INC-2").await;
    assert!(matches!(
        escalation.follow_link(&second).await.unwrap(),
        LinkOutcome::Moot(..)
    ));
    assert_eq!(acknowledged_by(&engine, 2).await.as_deref(), Some("dave"));

    // A day later, links are refused as expired.
    clock.set(clock.now() + Span::hours(25));
    assert!(matches!(
        escalation.check_link(&second).await.unwrap(),
        LinkOutcome::Refused(LinkRefusal::Invalid(LinkError::Expired(_)))
    ));
}

/// A mail's text with quoted-printable soft line breaks joined and `=3D` read back, enough to
/// find a link in it.
fn unfolded(mail: &str) -> String {
    mail.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

/// The maildir's emails once there are `count`, or after 20 s.
fn mails_when(maildir: &Path, count: usize) -> Vec<String> {
    let until = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let got = mails(maildir);
        if got.len() >= count || std::time::Instant::now() > until {
            return got;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn an_emailed_link_acknowledges_through_a_real_serve_once_and_forgeries_change_nothing() {
    use crate::support::webhook::{Server, deliver, post};
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("maildir");
    let smtp_address = free_port();
    let Some(_smtp) = Smtp::start(smtp_address, &maildir) else {
        return;
    };
    let database = format!("sqlite://{}", dir.path().join("warroom.db").display());
    // What follows the [alerts] table of the server's configuration.
    let more = format!(
        "[notify]\n\
         public_url = \"https://warroom.example.org/\"\n\
         ack_key = {{ env = \"TEST_ACK_KEY\" }}\n\
         [notify.email]\n\
         smtp_url = \"smtp://{smtp_address}?tls=none\"\n\
         from = \"Warroom <warroom@example.org>\"\n\
         [[people]]\n\
         id = \"carol\"\n\
         email = \"carol@example.org\"\n\
         [[rotations]]\n\
         name = \"primary\"\n\
         people = [\"carol\"]\n\
         start = \"2025-12-01\"\n"
    );
    let server = Server::start_with(
        dir.path(),
        &database,
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("runbooks")
            .as_path(),
        &more,
        &[("TEST_ACK_KEY", "4f1c9a7e2b8d4c6a9e0f1b2c3d4e5f60-test")],
    );
    // At start-up it said whom each severity pages now, and which aliases find nobody.
    let started = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    assert!(
        started.contains("warroom: P1: after 0m: @carol"),
        "{started}"
    );
    assert!(
        started.contains(
            "warroom: warning: oncall:secondary finds nobody (no [[rotations]] entry has that name)"
        ),
        "{started}"
    );
    let firing = include_bytes!("../fixtures/alertmanager/alertmanager-firing.json");
    let answer = deliver(server.address, firing);
    assert_eq!(answer.status, 200, "{}", answer.body);

    // The P1 pages carol at once; her email carries the link.
    let got = mails_when(&maildir, 1);
    assert_eq!(got.len(), 1, "no email arrived");
    let mail = unfolded(&got[0]);
    let at = mail
        .find("https://warroom.example.org/ack/")
        .unwrap_or_else(|| panic!("no link in {mail}"));
    let link: String = mail[at..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let path = link.trim_start_matches("https://warroom.example.org");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = crate::support::http_client::HttpClient::default();
    let get =
        |path: &str| runtime.block_on(client.get(&format!("http://{}{path}", server.address)));
    // Opening it shows the button and changes nothing.
    let shown = get(path);
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(
        shown.body.contains("Acknowledge as carol"),
        "{}",
        shown.body
    );
    assert!(
        shown.body.contains("<form method=\"post\""),
        "{}",
        shown.body
    );
    // A changed link: refused, with a plain page.
    let refused = post(server.address, &changed(path), &[], b"");
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.contains("Nothing was changed"),
        "{}",
        refused.body
    );
    let store = runtime
        .block_on(warroom::store::Store::connect(&database))
        .unwrap();
    let incident = |store: &warroom::store::Store| {
        runtime
            .block_on(store.incident(IncidentNumber(1)))
            .unwrap()
            .unwrap()
    };
    assert_eq!(incident(&store).acknowledged, None);

    // Pressed: acknowledged as carol.
    let done = post(server.address, path, &[], b"");
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.body.contains("is acknowledged as carol"),
        "{}",
        done.body
    );
    assert_eq!(
        incident(&store)
            .acknowledged
            .map(|(who, _)| who.to_string()),
        Some("carol".to_owned())
    );
    // Used again: refused.
    let again = post(server.address, path, &[], b"");
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("used already"), "{}", again.body);
}
