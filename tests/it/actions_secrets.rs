//! Where a configured secret may go, and what an approver sees, with the shipped payment
//! runbook and real processes: a host typed by a responder or taken from an alert label never
//! receives the bearer token unless `[actions.hosts]` allows it; the approval card shows the
//! command with its values filled in and the token as `***`; the run is the argv that was
//! approved. And a secret printed by a command (plainly or base64-encoded) never reaches the
//! war room or the timeline.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use warroom::chat::console::ConsoleChat;
use warroom::domain::Platform;
use warroom::domain::{EventKind, IncidentNumber, ParamRules, UserId};
use warroom::engine::port::{Origin, RoomId};
use warroom::engine::{ActionSettings, Engine, Settings, alertmanager_actor};
use warroom::executor::{ExecutorSettings, ProcessExecutor};
use warroom::runbook::{Library, load_paths};

use crate::support::engine::TestEngine;
use crate::support::postgres;
use crate::support::screen;
use screen::Screen;

const FIRING: &[u8] = include_bytes!("../fixtures/alertmanager/alertmanager-firing.json");

/// The bearer token of the payments admin API, as the configuration would give it.
const ADMIN_TOKEN: &str = "pa-admin-7Qx9LmT2vRk4";
/// A token a command prints.
const API_TOKEN: &str = "api-tok-Zp8Wq3Nf5Ys1Hd6K";

/// The replay step of runbooks/payment-processing-failure.md, exactly as written there.
fn replay_command() -> String {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/payment-processing-failure.md"),
    )
    .expect("the payment runbook");
    text.lines()
        .find(|l| {
            l.starts_with("curl -sS -X POST -H \"Authorization: Bearer $PAYMENTS_ADMIN_TOKEN\"")
        })
        .expect("the replay command")
        .to_owned()
}

/// Prints its argument, and its base64 forms, the way `echo $API_TOKEN | base64` and its
/// relatives would (a runbook command cannot pipe, so a script does it).
const ENCODE_TOKEN: &str = r#"#!/bin/sh
echo "plain: $1"
printf '%s\n' "$1" | base64
printf '%s' "$1" | base64
printf '%s' "$1" | base64 | tr '+/' '-_' | tr -d '='
printf 'x%s' "$1" | base64
printf 'xy%s' "$1" | base64
printf 'prefix-%s-suffix' "$1" | base64
"#;

/// A local listener that records every connection made to it (and what arrived first).
struct Listener {
    port: u16,
    connections: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<u8>>>,
}

impl Listener {
    fn start() -> Listener {
        let socket = TcpListener::bind("127.0.0.1:0").expect("a local port");
        let port = socket.local_addr().expect("its address").port();
        let connections = Arc::new(AtomicUsize::new(0));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (count, seen) = (connections.clone(), received.clone());
        std::thread::spawn(move || {
            for stream in socket.incoming() {
                let Ok(mut stream) = stream else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                stream
                    .set_read_timeout(Some(Duration::from_secs(2)))
                    .expect("a read timeout");
                let mut buf = [0u8; 4096];
                if let Ok(n) = stream.read(&mut buf) {
                    seen.lock()
                        .expect("the record")
                        .extend_from_slice(&buf[..n]);
                }
                // Closing makes curl give up at once.
            }
        });
        Listener {
            port,
            connections,
            received,
        }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

struct World {
    engine: Engine,
    chat: ConsoleChat,
    screen: Screen,
    dir: tempfile::TempDir,
}

#[derive(Default)]
struct Options {
    /// `[actions.hosts]`: allowed values per parameter.
    hosts: Vec<(&'static str, Vec<String>)>,
    /// A PostgreSQL database instead of a SQLite file.
    postgres: Option<String>,
}

async fn world(options: Options) -> World {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = options
        .postgres
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("warroom.db").display()));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let imported = load_paths(&[
        root.join("runbooks/payment-processing-failure.md"),
        root.join("tests/fixtures/secret-runbooks"),
    ]);
    assert!(imported.problems.is_empty(), "{:?}", imported.problems);
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("a bin folder");
    {
        use std::os::unix::fs::PermissionsExt;
        let script = bin.join("encode-token");
        std::fs::write(&script, ENCODE_TOKEN).expect("the script");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            .expect("executable");
        // A tool that prints its own configuration, which holds a credential that is also a
        // configured secret of Warroom (the step itself passes no secret).
        let script = bin.join("print-config");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho endpoint=https://payments-admin.internal\necho admin_token={ADMIN_TOKEN}\n"
            ),
        )
        .expect("the script");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            .expect("executable");
    }
    let executor = ProcessExecutor::new(ExecutorSettings {
        allowed_programs: ["curl", "echo", "encode-token", "print-config"]
            .map(String::from)
            .to_vec(),
        search_path: vec![bin, PathBuf::from("/usr/bin"), PathBuf::from("/bin")],
        env_allowlist: vec!["PATH".to_owned()],
        ..ExecutorSettings::default()
    });
    let secrets: BTreeSet<String> = ["payments_admin_token", "api_token"]
        .map(String::from)
        .into();
    let hosts: BTreeMap<String, Vec<String>> = options
        .hosts
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let rules = ParamRules::new(&BTreeMap::new())
        .expect("the default rules")
        .with_secrets(secrets.iter())
        .with_hosts(&hosts)
        .expect("the hosts");
    let actions = ActionSettings {
        environment: None,
        approvers: vec![UserId::parse("dave").expect("a user")],
        request_expiry: chrono::Duration::minutes(15),
        on_call_may_approve: false,
        default_timeout: Duration::from_secs(10),
        dangerous_allowlist: vec![
            replay_command(),
            "encode-token \"$API_TOKEN\"".to_owned(),
            "print-config".to_owned(),
        ],
        raised: BTreeMap::new(),
        values: BTreeMap::new(),
        secrets,
        read_secret: Arc::new(|name: &str| {
            Ok(match name {
                "payments_admin_token" => Some(ADMIN_TOKEN.to_owned()),
                "api_token" => Some(API_TOKEN.to_owned()),
                _ => None,
            })
        }),
        rules: Arc::new(rules),
        executor: Arc::new(executor),
    };
    let settings = Settings {
        runbooks: Arc::new(Library::new(imported.runbooks)),
        actions: Some(actions),
        ..Settings::default()
    };
    let engine = TestEngine::url(&url).settings(settings).build().await;
    let screen = Screen::default();
    let chat = ConsoleChat::new(Box::new(screen.clone()), "warroom");
    World {
        engine,
        chat,
        screen,
        dir,
    }
}

impl World {
    async fn say(&self, user: &str, room: &str, text: &str) -> String {
        let origin = Origin {
            room_id: RoomId::new(Platform::Console, room),
            user: UserId::parse(user).expect("a user"),
        };
        let effects = self.engine.incidents().handle_text(&origin, text).await;
        self.engine
            .delivery()
            .dispatch(&self.chat, &origin, effects)
            .await;
        self.screen.take()
    }

    /// Declares an incident by hand and attaches `runbook`.
    async fn declare(&self, runbook: &str) -> IncidentNumber {
        self.say("alice", "lobby", "declare p1 payments fail").await;
        self.say("alice", "inc-1", &format!("runbook attach {runbook}"))
            .await;
        self.screen.take();
        IncidentNumber(1)
    }

    /// Alertmanager opens an incident for PaymentFailureRateHigh with these labels.
    async fn alert(&self, labels: &[(&str, &str)]) -> IncidentNumber {
        let body = crate::support::webhook::renamed_body(FIRING, "PaymentFailureRateHigh", labels);
        let notification = warroom::alerts::parse(&body).expect("a notification");
        let origin = Origin {
            room_id: RoomId::new(Platform::Console, "lobby"),
            user: alertmanager_actor(),
        };
        let (outcome, effects) = self
            .engine
            .alerts()
            .receive(&origin, &notification)
            .await
            .expect("recorded");
        self.engine
            .delivery()
            .dispatch(&self.chat, &origin, effects)
            .await;
        self.screen.take();
        outcome.incident.expect("an incident")
    }

    /// The number of the step whose fence says `action=<action>`.
    async fn step_of(&self, number: IncidentNumber, action: &str) -> u32 {
        let incident = self
            .engine
            .store()
            .incident(number)
            .await
            .expect("the store")
            .expect("the incident");
        incident
            .numbered_steps()
            .find(|s| s.step().action.as_deref() == Some(action))
            .map(|s| s.number)
            .unwrap_or_else(|| panic!("no step {action}"))
    }

    /// Everything on the timeline, as stored, in one string.
    async fn timeline_text(&self, number: IncidentNumber) -> String {
        let events = self
            .engine
            .store()
            .timeline(number)
            .await
            .expect("the timeline");
        let kinds: Vec<&EventKind> = events.iter().map(|e| &e.kind).collect();
        serde_json::to_string(&kinds).expect("JSON")
    }

    /// The raw bytes of the database file and its write-ahead log.
    fn database_bytes(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for name in ["warroom.db", "warroom.db-wal"] {
            if let Ok(bytes) = std::fs::read(self.dir.path().join(name)) {
                all.extend(bytes);
            }
        }
        all
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn a_host_typed_by_a_responder_never_receives_the_token() {
    let listener = Listener::start();
    let w = world(Options::default()).await;
    let n = w.declare("payment-processing-failure").await;
    let step = w.step_of(n, "replay-failed-charges").await;
    let asked = w
        .say(
            "bob",
            "inc-1",
            &format!(
                "run {step} payments_admin_host={} timestamp=2026-01-05T14:00:00Z",
                listener.host()
            ),
        )
        .await;
    let approved = w.say("dave", "inc-1", "approve r1").await;
    assert_eq!(
        listener.connections(),
        0,
        "the typed host was contacted: {asked}\n{approved}"
    );
    assert!(
        asked.contains("payments_admin_host") && asked.contains("[actions.hosts]"),
        "the refusal names the parameter and the config key: {asked}"
    );
    assert!(!asked.contains(ADMIN_TOKEN) && !approved.contains(ADMIN_TOKEN));
}

#[tokio::test]
async fn a_host_from_an_alert_label_never_receives_the_token() {
    let listener = Listener::start();
    let w = world(Options::default()).await;
    let n = w
        .alert(&[("payments_admin_host", listener.host().as_str())])
        .await;
    let step = w.step_of(n, "replay-failed-charges").await;
    let asked = w
        .say(
            "bob",
            "inc-1",
            &format!("run {step} timestamp=2026-01-05T14:00:00Z"),
        )
        .await;
    let approved = w.say("dave", "inc-1", "approve r1").await;
    assert_eq!(
        listener.connections(),
        0,
        "the labelled host was contacted: {asked}\n{approved}"
    );
    assert!(
        asked.contains("payments_admin_host") && asked.contains("[actions.hosts]"),
        "{asked}"
    );
}

#[tokio::test]
async fn an_allowed_host_runs_and_the_card_shows_the_filled_command_with_the_token_hidden() {
    allowed_host_runs(None).await;
}

#[tokio::test]
async fn an_allowed_host_runs_as_approved_on_postgresql() {
    let test = "an_allowed_host_runs_as_approved_on_postgresql";
    let Some((_, _, url)) = postgres::fresh_postgres(test, "secrets").await else {
        return;
    };
    allowed_host_runs(Some(url)).await;
}

async fn allowed_host_runs(postgres: Option<String>) {
    let listener = Listener::start();
    let w = world(Options {
        hosts: vec![("payments_admin_host", vec![listener.host()])],
        postgres,
    })
    .await;
    let n = w.declare("payment-processing-failure").await;
    let step = w.step_of(n, "replay-failed-charges").await;
    let asked = w
        .say(
            "bob",
            "inc-1",
            &format!(
                "run {step} payments_admin_host={} timestamp=2026-01-05T14:00:00Z",
                listener.host()
            ),
        )
        .await;
    let shown = format!(
        "curl -sS -X POST -H \"Authorization: Bearer ***\" \
         \"https://{}/admin/charges/replay?since=2026-01-05T14:00:00Z\"",
        listener.host()
    );
    assert!(asked.contains(&shown), "the card shows {shown}: {asked}");
    assert!(!asked.contains(ADMIN_TOKEN), "{asked}");
    assert!(!asked.contains("<payments_admin_host>"), "{asked}");
    let timeline = w.timeline_text(n).await;
    assert!(timeline.contains(&shown.replace('"', "\\\"")), "{timeline}");
    assert_eq!(listener.connections(), 0, "nothing runs before approval");
    // The request keeps that argv, the token by name only.
    let stored = w
        .engine
        .store()
        .action_request(warroom::domain::RequestId(1))
        .await
        .expect("the store")
        .expect("r1");
    let argv = stored.argv.expect("the argv is stored");
    assert_eq!(argv.shown(), shown);
    assert_eq!(argv.secrets(), ["payments_admin_token"]);

    let approved = w.say("dave", "inc-1", "approve r1").await;
    assert!(approved.contains("@dave approved r1"), "{approved}");
    assert_eq!(listener.connections(), 1, "it ran: {approved}");
    // curl speaks TLS to a listener that does not: the handshake starts and fails.
    assert!(!listener.received.lock().expect("the record").is_empty());
    assert!(approved.contains("exit code"), "{approved}");
    assert!(!approved.contains(ADMIN_TOKEN), "{approved}");
    assert!(!contains(&w.database_bytes(), ADMIN_TOKEN));
}

#[tokio::test]
async fn the_run_uses_the_values_that_were_approved_even_if_the_labels_change() {
    let first = Listener::start();
    let second = Listener::start();
    let w = world(Options {
        hosts: vec![("payments_admin_host", vec![first.host(), second.host()])],
        ..Options::default()
    })
    .await;
    let n = w
        .alert(&[("payments_admin_host", first.host().as_str())])
        .await;
    let step = w.step_of(n, "replay-failed-charges").await;
    let asked = w
        .say(
            "bob",
            "inc-1",
            &format!("run {step} timestamp=2026-01-05T14:00:00Z"),
        )
        .await;
    assert!(
        asked.contains(&format!("https://{}/admin", first.host())),
        "{asked}"
    );
    // The label changes while the request waits.
    let again = w
        .alert(&[("payments_admin_host", second.host().as_str())])
        .await;
    assert_eq!(again, n);
    let params = w.engine.store().alert_params(n).await.expect("the labels");
    println!("labels after the update: {params:?}");
    w.say("dave", "inc-1", "approve r1").await;
    assert_eq!(first.connections(), 1, "the approved host was contacted");
    assert_eq!(second.connections(), 0, "the later label was not used");
}

#[tokio::test]
async fn a_secret_printed_by_a_command_never_reaches_the_war_room_or_the_timeline() {
    let w = world(Options::default()).await;
    let n = w.declare("secret-output").await;
    let mut seen = String::new();
    let step = w.step_of(n, "echo-token").await;
    seen.push_str(&w.say("carol", "inc-1", &format!("run {step}")).await);
    // A program without a rule is dangerous: allowlisted here, it needs an approval.
    let step = w.step_of(n, "encode-token").await;
    seen.push_str(&w.say("carol", "inc-1", &format!("run {step}")).await);
    seen.push_str(&w.say("dave", "inc-1", "approve r2").await);
    assert_eq!(seen.matches("· exit code 0").count(), 2, "{seen}");
    println!("{seen}");
    assert!(seen.contains("token=***"), "{seen}");
    assert!(seen.contains("plain: ***"), "{seen}");
    let timeline = w.timeline_text(n).await;
    let database = w.database_bytes();
    for form in encodings(API_TOKEN) {
        assert!(!seen.contains(&form), "{form} reached the war room: {seen}");
        assert!(!timeline.contains(&form), "{form} is on the timeline");
        assert!(!contains(&database, &form), "{form} is in the database");
    }
}

#[tokio::test]
async fn a_configured_secret_the_step_did_not_use_is_scrubbed_from_its_output_too() {
    let w = world(Options::default()).await;
    let n = w.declare("secret-output").await;
    let step = w.step_of(n, "print-config").await;
    let mut seen = w.say("carol", "inc-1", &format!("run {step}")).await;
    seen.push_str(&w.say("dave", "inc-1", "approve r1").await);
    assert!(seen.contains("exit code 0"), "{seen}");
    assert!(seen.contains("admin_token=***"), "{seen}");
    let timeline = w.timeline_text(n).await;
    let database = w.database_bytes();
    assert!(!seen.contains(ADMIN_TOKEN), "{seen}");
    assert!(
        !timeline.contains(ADMIN_TOKEN),
        "the admin token is on the timeline"
    );
    assert!(
        !contains(&database, ADMIN_TOKEN),
        "the admin token is in the database"
    );
}

/// The token and the base64 text that the script prints for it, the parts that depend on
/// the token alone.
fn encodings(token: &str) -> Vec<String> {
    let b64 = |bytes: &[u8]| {
        let out = std::process::Command::new("base64")
            .arg("-w0")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                child
                    .stdin
                    .take()
                    .expect("stdin")
                    .write_all(bytes)
                    .expect("written");
                child.wait_with_output()
            })
            .expect("base64 runs");
        String::from_utf8(out.stdout).expect("ASCII")
    };
    let mut forms = vec![token.to_owned()];
    let whole = b64(token.as_bytes());
    forms.push(whole.trim_end_matches('=').to_owned());
    forms.push(
        whole
            .replace('+', "-")
            .replace('/', "_")
            .trim_end_matches('=')
            .to_owned(),
    );
    // Inside longer base64 text: at each of the three alignments, the middle part that
    // depends only on the token.
    for prefix in ["", "x", "xy", "prefix-"] {
        let text = b64(format!("{prefix}{token}\n").as_bytes());
        let skip = (prefix.len() * 8).div_ceil(6);
        let end = ((prefix.len() + token.len()) * 8) / 6;
        forms.push(text[skip..end].to_owned());
    }
    forms
}
