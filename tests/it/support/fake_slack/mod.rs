//! A strict fake of Slack's Web API for tests, on 127.0.0.1 with a port of its own. It checks
//! the bot token, each method's arguments and answers against Slack's OpenAPI description,
//! Block Kit limits and channel-name rules; it keeps channels, messages, pins and files, records
//! every call, and can be told to answer 429 (with Retry-After) or name_taken.

mod blocks;
mod methods;
pub mod scopes;
mod server;
mod socket;
mod spec;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{any, post};
use serde_json::{Map, Value, json};

pub use spec::Spec;

/// One call the fake received.
#[derive(Debug, Clone)]
pub struct Call {
    /// The method (`chat.postMessage`).
    pub method: String,
    /// Its arguments, from the query, the form or the JSON body.
    pub args: Map<String, Value>,
    /// The error it was answered with; `None` when it succeeded.
    pub error: Option<String>,
    /// When it came.
    pub at: Instant,
}

/// A message in a channel.
#[derive(Debug, Clone)]
pub struct Posted {
    /// Its ts.
    pub ts: String,
    /// Who wrote it (the bot is `UBOT`).
    pub user: String,
    /// Its fallback text.
    pub text: String,
    /// Its blocks (the latest version, after chat.update).
    pub blocks: Value,
    /// The thread it is in.
    pub thread_ts: Option<String>,
    /// How often it was edited.
    pub edits: u32,
}

/// A channel.
#[derive(Debug, Clone, Default)]
pub struct Channel {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its topic.
    pub topic: String,
    /// Who is in it.
    pub members: Vec<String>,
    /// Its messages, oldest first.
    pub messages: Vec<Posted>,
    /// The ts of pinned messages.
    pub pins: Vec<String>,
    /// Whether it is a direct message with `members[0]`.
    pub is_im: bool,
    /// Whether it is a private channel (made with `is_private`): its calls need the
    /// `groups:` scopes.
    pub is_private: bool,
}

/// A file that was uploaded and shared.
#[derive(Debug, Clone)]
pub struct SharedFile {
    /// Its name.
    pub filename: String,
    /// Its title.
    pub title: Option<String>,
    /// The channel it was shared in.
    pub channel: Option<String>,
    /// Its content.
    pub content: Vec<u8>,
}

#[derive(Default)]
struct Upload {
    filename: String,
    length: usize,
    content: Option<Vec<u8>>,
}

/// Everything the fake knows.
#[derive(Default)]
pub struct World {
    /// Every call, in order.
    pub calls: Vec<Call>,
    /// Channels by id.
    pub channels: BTreeMap<String, Channel>,
    /// Messages posted to response_urls: (the url's id, body).
    pub responses: Vec<(String, Value)>,
    /// Ephemeral messages: (channel, user, text, blocks).
    pub ephemerals: Vec<(String, String, String, Value)>,
    /// Modals opened: (trigger_id, view).
    pub views: Vec<(String, Value)>,
    /// Files shared.
    pub files: Vec<SharedFile>,
    /// What the fake refused as Slack would (strictness violations by the client).
    pub violations: Vec<String>,
    uploads: HashMap<String, Upload>,
    /// Method → (calls still to refuse with 429, Retry-After seconds).
    rate_limited: HashMap<String, (u32, u64)>,
    /// Names conversations.create must treat as taken.
    taken: HashSet<String>,
    /// Socket Mode acknowledgements received, by envelope id.
    pub acks: Vec<Value>,
    /// When each Socket Mode envelope was written to the connection, by envelope id.
    pub sent_at: HashMap<String, Instant>,
    /// When each envelope's first acknowledgement arrived, by envelope id.
    pub acked_at: HashMap<String, Instant>,
    /// Envelopes sent with `accepts_response_payload: false`.
    no_payload: HashSet<String>,
    /// Socket Mode connections accepted so far.
    pub socket_connections: usize,
    /// When each 429 was answered, per method.
    pub limited_at: Vec<(String, Instant)>,
    /// Methods whose calls are carried out but not answered until released.
    held: HashSet<String>,
    /// The share of Web API calls, in percent, answered at random with 500 or 429 before
    /// anything is done (a flapping Slack), and the state of the random numbers.
    flaky: (u32, u64),
    /// Calls answered with a random failure.
    pub flaked: usize,
    next: u64,
}

impl World {
    /// Whether this call should fail at random, and how: `Some(true)` a 500, `Some(false)` a
    /// 429. A xorshift generator, seeded by `flap`, so a run is repeatable.
    fn flake(&mut self) -> Option<bool> {
        let (percent, state) = &mut self.flaky;
        if *percent == 0 {
            return None;
        }
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        let roll = *state % 200;
        if roll < u64::from(*percent) * 2 {
            self.flaked += 1;
            Some(roll % 2 == 0)
        } else {
            None
        }
    }

    fn next_id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{:08}", self.next)
    }

    fn next_ts(&mut self) -> String {
        self.next += 1;
        format!("1764000000.{:06}", self.next)
    }
}

struct Shared {
    token: String,
    app_token: String,
    socket_url: String,
    socket: Mutex<Option<tokio::sync::mpsc::UnboundedSender<socket::Outgoing>>>,
    base: String,
    spec: Spec,
    world: Mutex<World>,
    /// Whether Slack is down: new connections are refused, and calls on connections kept
    /// alive from before get a 503 that closes them.
    down: std::sync::atomic::AtomicBool,
    /// The scopes the bot token was granted (the manifest's, unless a test takes some away);
    /// every answer names them in `x-oauth-scopes`, as Slack's do.
    scopes: Mutex<Vec<String>>,
}

/// The running fake; it stops when dropped.
pub struct FakeSlack {
    /// The Web API base URL (`http://127.0.0.1:PORT/api`), for `slack.api_url`.
    pub api_url: String,
    /// The server's base URL (`http://127.0.0.1:PORT`).
    pub base: String,
    shared: Arc<Shared>,
    server: Mutex<tokio::task::JoinHandle<()>>,
    address: std::net::SocketAddr,
    app: Router,
}

impl Drop for FakeSlack {
    fn drop(&mut self) {
        self.server.lock().unwrap().abort();
    }
}

/// The bot's user id.
pub const BOT: &str = "UBOT";
/// The app-level token that opens Socket Mode connections.
pub const APP_TOKEN: &str = "xapp-1-test-token";

impl FakeSlack {
    /// Starts the fake, accepting only `token`.
    pub async fn start(token: &str) -> FakeSlack {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let sockets = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let socket_url = format!("ws://{}/socket", sockets.local_addr().unwrap());
        let shared = Arc::new(Shared {
            token: token.to_owned(),
            app_token: APP_TOKEN.to_owned(),
            socket_url,
            socket: Mutex::new(None),
            base: base.clone(),
            spec: Spec::load(),
            world: Mutex::new(World::default()),
            down: std::sync::atomic::AtomicBool::new(false),
            scopes: Mutex::new(scopes::manifest_scopes()),
        });
        let address = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/api/{method}", any(server::api))
            .route("/upload/{id}", post(server::upload))
            .route("/response/{id}", post(server::response_url))
            .with_state(shared.clone());
        let for_sockets = shared.clone();
        tokio::spawn(socket::serve(sockets, for_sockets));
        let served = app.clone();
        let server = tokio::spawn(async move {
            axum::serve(listener, served).await.unwrap();
        });
        FakeSlack {
            api_url: format!("{base}/api"),
            base,
            shared,
            server: Mutex::new(server),
            address,
            app,
        }
    }

    /// Slack goes down: its port refuses connections, and calls on connections kept alive get
    /// a 503 that closes them, until [`FakeSlack::come_back`].
    pub fn go_down(&self) {
        self.shared
            .down
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.server.lock().unwrap().abort();
    }

    /// Slack is back on the same port.
    pub async fn come_back(&self) {
        let listener = loop {
            match tokio::net::TcpListener::bind(self.address).await {
                Ok(l) => break l,
                // The old listener may take a moment to let go of the port.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        let app = self.app.clone();
        *self.server.lock().unwrap() = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        self.shared
            .down
            .store(false, std::sync::atomic::Ordering::SeqCst);
    }

    /// Sends a Socket Mode envelope of `kind` (`slash_commands`, `interactive`, `events_api`)
    /// over the open connection; returns its envelope id. Panics when no client is connected.
    pub fn socket_send(&self, kind: &str, payload: Value) -> String {
        self.socket_burst(kind, vec![payload]).remove(0)
    }

    /// Sends an envelope of `kind` for each payload, written together and flushed at once;
    /// returns their envelope ids. Panics when no client is connected.
    pub fn socket_burst(&self, kind: &str, payloads: Vec<Value>) -> Vec<String> {
        let mut w = self.shared.world.lock().unwrap();
        let accepts_payload = kind != "events_api";
        let burst: Vec<(String, String)> = payloads
            .into_iter()
            .map(|payload| {
                let id = w.next_id("env-");
                if !accepts_payload {
                    w.no_payload.insert(id.clone());
                }
                let envelope = json!({
                    "envelope_id": id, "type": kind, "payload": payload,
                    "accepts_response_payload": accepts_payload, "retry_attempt": 0, "retry_reason": "",
                });
                (id, envelope.to_string())
            })
            .collect();
        drop(w);
        let ids = burst.iter().map(|(id, _)| id.clone()).collect();
        self.socket_frames(burst);
        ids
    }

    /// Tells the connected client that its connection will be refreshed (a `disconnect`
    /// frame with the reason `refresh_requested`), as Slack does every few hours.
    pub fn socket_refresh(&self) {
        let frame = json!({
            "type": "disconnect", "reason": "refresh_requested",
            "debug_info": {"host": "fake-slack"},
        });
        self.socket_frames(vec![(String::new(), frame.to_string())]);
    }

    /// Drops the open connection without a close frame, as a network failure would.
    pub fn socket_drop(&self) {
        self.socket_out(socket::Outgoing::Drop);
    }

    fn socket_frames(&self, burst: socket::Burst) {
        self.socket_out(socket::Outgoing::Frames(burst));
    }

    fn socket_out(&self, out: socket::Outgoing) {
        let sender = self.shared.socket.lock().unwrap().clone();
        sender
            .expect("a Socket Mode client is connected")
            .send(out)
            .expect("the Socket Mode connection is open");
    }

    /// Whether a Socket Mode client is connected.
    pub fn socket_connected(&self) -> bool {
        self.shared.socket.lock().unwrap().is_some()
    }

    /// Looks at what the fake knows.
    pub fn world<T>(&self, look: impl FnOnce(&World) -> T) -> T {
        look(&self.shared.world.lock().unwrap())
    }

    /// Makes a channel (say, the announcements channel) with these members.
    pub fn add_channel(&self, id: &str, name: &str, members: &[&str]) {
        let mut w = self.shared.world.lock().unwrap();
        w.channels.insert(
            id.to_owned(),
            Channel {
                id: id.to_owned(),
                name: name.to_owned(),
                members: members.iter().map(|m| m.to_string()).collect(),
                ..Channel::default()
            },
        );
    }

    /// A person writes a message in a channel; returns its ts.
    pub fn add_message(&self, channel: &str, user: &str, text: &str) -> String {
        let mut w = self.shared.world.lock().unwrap();
        let ts = w.next_ts();
        let ch = w.channels.get_mut(channel).expect("the channel exists");
        ch.messages.push(Posted {
            ts: ts.clone(),
            user: user.to_owned(),
            text: text.to_owned(),
            blocks: Value::Null,
            thread_ts: None,
            edits: 0,
        });
        ts
    }

    /// Takes `scope` away from the bot token, as an app installed without it would have it:
    /// methods that need it answer `missing_scope`.
    #[allow(dead_code)]
    pub fn revoke_scope(&self, scope: &str) {
        self.shared.scopes.lock().unwrap().retain(|s| s != scope);
    }

    /// The next `times` calls of `method` get 429 with `Retry-After: retry_after`.
    pub fn rate_limit(&self, method: &str, times: u32, retry_after: u64) {
        let mut w = self.shared.world.lock().unwrap();
        w.rate_limited
            .insert(method.to_owned(), (times, retry_after));
    }

    /// Calls of `method` are carried out (a channel is made, a message posted) but not
    /// answered until [`FakeSlack::release`]: a client that dies meanwhile never learns of them.
    pub fn hold(&self, method: &str) {
        self.shared
            .world
            .lock()
            .unwrap()
            .held
            .insert(method.to_owned());
    }

    /// From now on `percent` of the Web API calls fail at random, half of them with a 500 and
    /// half with a 429 (Retry-After: 1), before anything is done; 0 ends it.
    pub fn flap(&self, percent: u32) {
        let mut w = self.shared.world.lock().unwrap();
        w.flaky = (percent, 0x9E37_79B9_7F4A_7C15);
    }

    /// Answers the held calls of `method`, and later ones at once.
    pub fn release(&self, method: &str) {
        self.shared.world.lock().unwrap().held.remove(method);
    }

    /// conversations.create answers name_taken for this name.
    pub fn take_name(&self, name: &str) {
        self.shared
            .world
            .lock()
            .unwrap()
            .taken
            .insert(name.to_owned());
    }

    /// A response_url for a request (the fake records what is posted to it).
    pub fn response_url(&self, id: &str) -> String {
        format!("{}/response/{id}", self.base)
    }

    /// The calls of one method that succeeded.
    pub fn ok_calls(&self, method: &str) -> Vec<Call> {
        self.world(|w| {
            w.calls
                .iter()
                .filter(|c| c.method == method && c.error.is_none())
                .cloned()
                .collect()
        })
    }

    /// Waits until `check` finds something, for at most `deadline`; panics with `what` after.
    pub async fn wait_for<T>(
        &self,
        what: &str,
        deadline: Duration,
        check: impl Fn(&World) -> Option<T>,
    ) -> T {
        let until = Instant::now() + deadline;
        loop {
            if let Some(found) = self.world(&check) {
                return found;
            }
            if Instant::now() > until {
                let calls: Vec<String> = self.world(|w| {
                    w.calls
                        .iter()
                        .map(|c| format!("{} {:?}", c.method, c.error))
                        .collect()
                });
                let messages: Vec<String> = self.world(|w| {
                    w.channels
                        .values()
                        .flat_map(|c| {
                            c.messages
                                .iter()
                                .map(move |m| format!("#{}: {}", c.name, m.text))
                        })
                        .collect()
                });
                panic!(
                    "waited in vain for {what}; calls so far: {calls:#?}; messages: {messages:#?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
