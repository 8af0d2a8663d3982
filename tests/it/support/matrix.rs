//! A real Synapse for the Matrix tests, people who use it through the client-server API (plain
//! HTTP), and `warroom serve` run as a process with `[matrix]` configured.
//!
//! The homeserver comes from `scripts/start-synapse.sh` (`WARROOM_TEST_SYNAPSE_URL`, default
//! http://127.0.0.1:58008), which registers alice, bob, carol and the bots
//! warroom-bot1 … warroom-bot12, each with the password `<name>-password`.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use matrix_sdk::reqwest;
use serde_json::{Value, json};

use super::serving;

/// The variable naming the test homeserver.
pub const SYNAPSE_ENV: &str = "WARROOM_TEST_SYNAPSE_URL";
/// Set (as CI does) to fail instead of skipping when no homeserver answers.
pub const REQUIRE_ENV: &str = "WARROOM_TEST_REQUIRE_SYNAPSE";
/// The homeserver's name in user ids.
pub const SERVER: &str = "localhost";
/// How long something the bot should do may take.
pub const DEADLINE: Duration = Duration::from_secs(60);
/// The pause between two looks.
pub const POLL: Duration = Duration::from_millis(100);

/// Every test runs in one process, and some stop and restart the shared Synapse: those hold
/// this lock for writing, every other test that talks to Synapse holds it for reading, from
/// its first step to its last.
static SYNAPSE_TURNS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// A turn on Synapse beside other tests that leave it running.
pub async fn share_synapse() -> tokio::sync::RwLockReadGuard<'static, ()> {
    SYNAPSE_TURNS.read().await
}

/// Synapse to this test alone, which may stop and restart it.
pub async fn have_synapse_alone() -> tokio::sync::RwLockWriteGuard<'static, ()> {
    SYNAPSE_TURNS.write().await
}

/// `@name:localhost`.
pub fn mxid(name: &str) -> String {
    format!("@{name}:{SERVER}")
}

/// The homeserver's URL when one answers; else `None` after saying the test is skipped, or a
/// panic when [`REQUIRE_ENV`] is set.
pub async fn synapse(test: &str) -> Option<String> {
    let url = std::env::var(SYNAPSE_ENV).unwrap_or_else(|_| "http://127.0.0.1:58008".to_owned());
    if let Some(url) = synapse_answers(&url).await {
        return Some(url);
    }
    if std::env::var_os(REQUIRE_ENV).is_some() {
        panic!(
            "{test}: no Synapse answers at {url} and {REQUIRE_ENV} is set; start it with scripts/start-synapse.sh"
        );
    }
    println!(
        "skipped {test}: no Synapse answers at {url}; start one with `export {SYNAPSE_ENV}=$(scripts/start-synapse.sh)`"
    );
    None
}

/// `Some(url)` when a homeserver answers there.
pub async fn synapse_answers(url: &str) -> Option<String> {
    let answers = reqwest::Client::new()
        .get(format!("{url}/_matrix/client/versions"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success());
    answers.then(|| url.to_owned())
}

/// A unique word, so that titles and aliases of one run never meet those of another.
pub fn nonce() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "r{:x}",
        (nanos as u64) ^ u64::from(std::process::id()) << 40
    )
}

/// A person logged in to the homeserver.
#[derive(Clone)]
pub struct Human {
    url: String,
    token: String,
    /// Their user id.
    pub id: String,
    http: reqwest::Client,
}

fn path(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

impl Human {
    /// Logs `name` in with their password.
    pub async fn login(url: &str, name: &str) -> Human {
        // No idle connections: one kept across a homeserver restart would fail the next call.
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("an HTTP client");
        let mut human = Human {
            url: url.to_owned(),
            token: String::new(),
            id: mxid(name),
            http,
        };
        let body = json!({
            "type": "m.login.password",
            "identifier": { "type": "m.id.user", "user": name },
            "password": format!("{name}-password"),
        });
        let answer = human
            .call("POST", "/_matrix/client/v3/login", Some(body))
            .await;
        human.token = answer["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned();
        human
    }

    /// One client-server API call; panics on an error status.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        match self.try_call(method, path, body).await {
            Ok(v) => v,
            Err(e) => panic!("{} {method} {path}: {e}", self.id),
        }
    }

    /// One client-server API call; an error status is `Err` with the homeserver's answer.
    pub async fn try_call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .timeout(Duration::from_secs(30));
        if !self.token.is_empty() {
            request = request.header("Authorization", format!("Bearer {}", self.token));
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(serde_json::to_vec(&body).expect("json"));
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("{status}: {}", String::from_utf8_lossy(&bytes)));
        }
        Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// Creates a room from a `createRoom` body; returns its id.
    pub async fn create_room(&self, body: Value) -> String {
        let made = self
            .call("POST", "/_matrix/client/v3/createRoom", Some(body))
            .await;
        made["room_id"].as_str().expect("a room id").to_owned()
    }

    /// Joins a room (accepting an invitation).
    pub async fn join(&self, room: &str) {
        self.call(
            "POST",
            &format!("/_matrix/client/v3/join/{}", path(room)),
            Some(json!({})),
        )
        .await;
    }

    /// This person's access token (to configure a bot with one).
    pub fn access_token(&self) -> &str {
        &self.token
    }

    /// Sends an event; returns its id.
    pub async fn send(&self, room: &str, event_type: &str, content: Value) -> String {
        static SENT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = SENT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let txn = format!("{}t{n}", nonce());
        let sent = self
            .call(
                "PUT",
                &format!(
                    "/_matrix/client/v3/rooms/{}/send/{event_type}/{txn}",
                    path(room)
                ),
                Some(content),
            )
            .await;
        sent["event_id"].as_str().expect("an event id").to_owned()
    }

    /// Says something in a room.
    pub async fn say(&self, room: &str, text: &str) -> String {
        self.send(
            room,
            "m.room.message",
            json!({ "msgtype": "m.text", "body": text }),
        )
        .await
    }

    /// Reacts to a message with an emoji.
    pub async fn react(&self, room: &str, event: &str, key: &str) -> String {
        let content = json!({ "m.relates_to": { "rel_type": "m.annotation", "event_id": event, "key": key } });
        self.send(room, "m.reaction", content).await
    }

    /// The room's last 500 events, oldest first.
    pub async fn events(&self, room: &str) -> Vec<Value> {
        let page = self
            .call(
                "GET",
                &format!(
                    "/_matrix/client/v3/rooms/{}/messages?dir=b&limit=500",
                    path(room)
                ),
                None,
            )
            .await;
        let mut events: Vec<Value> = page["chunk"].as_array().cloned().unwrap_or_default();
        events.reverse();
        events
    }

    /// A state event's content, `None` when it is not set.
    pub async fn state(&self, room: &str, event_type: &str) -> Option<Value> {
        self.try_call(
            "GET",
            &format!(
                "/_matrix/client/v3/rooms/{}/state/{event_type}/",
                path(room)
            ),
            None,
        )
        .await
        .ok()
    }

    /// The membership of each member of a room (`join`, `invite`).
    pub async fn members(&self, room: &str) -> Vec<(String, String)> {
        let all = self
            .call(
                "GET",
                &format!("/_matrix/client/v3/rooms/{}/members", path(room)),
                None,
            )
            .await;
        all["chunk"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|m| {
                (
                    m["state_key"].as_str().unwrap_or_default().to_owned(),
                    m["content"]["membership"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            })
            .collect()
    }

    /// The room an alias points to.
    pub async fn room_of_alias(&self, alias: &str) -> Option<String> {
        let found = self
            .try_call(
                "GET",
                &format!("/_matrix/client/v3/directory/room/{}", path(alias)),
                None,
            )
            .await
            .ok()?;
        found["room_id"].as_str().map(str::to_owned)
    }

    /// Downloads a file from the media repository (`mxc://server/id`).
    pub async fn download(&self, mxc: &str) -> Vec<u8> {
        let rest = mxc.strip_prefix("mxc://").expect("an mxc URI");
        let response = self
            .http
            .get(format!(
                "{}/_matrix/client/v1/media/download/{rest}",
                self.url
            ))
            .header("Authorization", format!("Bearer {}", self.token))
            .send()
            .await
            .expect("the download");
        assert!(
            response.status().is_success(),
            "download {mxc}: {}",
            response.status()
        );
        response.bytes().await.expect("the file").to_vec()
    }

    /// Waits until an event of the room from `sender` matches `wanted`; returns it.
    pub async fn wait_for(&self, room: &str, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let events = self.events(room).await;
            if let Some(found) = events.iter().find(|e| wanted(e)) {
                return found.clone();
            }
            if Instant::now() > deadline {
                let shown: Vec<String> = events
                    .iter()
                    .map(|e| format!("{} {} {}", e["type"], e["sender"], e["content"]))
                    .collect();
                panic!(
                    "{what} did not appear in {room}; it has:\n{}",
                    shown.join("\n")
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// The text of a message event (its latest edit is a separate event).
pub fn body(event: &Value) -> &str {
    event["content"]["body"].as_str().unwrap_or_default()
}

/// Whether an event is a message from `sender` whose body contains `text`.
pub fn says(event: &Value, sender: &str, text: &str) -> bool {
    event["type"] == "m.room.message" && event["sender"] == sender && body(event).contains(text)
}

/// `warroom serve` with `[matrix]`, its stderr echoed; killed when dropped.
pub struct Warroom {
    child: Child,
}

impl Warroom {
    /// Starts `warroom serve` in `dir` with `dir/warroom.toml`, as `bot` (its password, or
    /// `access_token` when given, from the environment as an operator would give it), and
    /// waits until it serves.
    pub fn start(
        dir: &Path,
        bot: &str,
        access_token: Option<&str>,
        path_dirs: &[PathBuf],
    ) -> Warroom {
        let mut command = crate::support::binary::command(dir);
        let mut search: Vec<PathBuf> = path_dirs.to_vec();
        search.extend([PathBuf::from("/usr/bin"), PathBuf::from("/bin")]);
        let search = std::env::join_paths(search).expect("a PATH");
        match access_token {
            Some(token) => command.env("WARROOM_MATRIX__ACCESS_TOKEN", token),
            None => command.env("WARROOM_MATRIX__PASSWORD", format!("{bot}-password")),
        };
        let mut child = command
            .env("PATH", search)
            .env("RUST_LOG", "warroom=info")
            .args([
                "--config",
                "warroom.toml",
                "serve",
                "--listen",
                "127.0.0.1:0",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the warroom binary starts");
        let lines = serving::read_stderr(&mut child, serving::Echo::Stderr("warroom"));
        serving::wait_until_serving(&mut child, &lines, Duration::from_secs(60));
        Warroom { child }
    }

    /// Stops it with SIGTERM and waits.
    pub fn stop(mut self) {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).expect("a pid"));
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
        let deadline = Instant::now() + DEADLINE;
        while matches!(self.child.try_wait(), Ok(None)) {
            assert!(Instant::now() < deadline, "warroom serve did not stop");
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Warroom {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
