//! A Slack test world: the strict fake Slack, a real `warroom serve` (the binary) configured
//! to talk to it, and signed requests from the official Python SDK.

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

use serde_json::{Value, json};

use super::fake_slack::FakeSlack;
use super::http_client::{Answer, HttpClient};
use super::serving;
use super::slack_sdk::SlackSdk;

/// The bot token the fake accepts.
pub const TOKEN: &str = "xoxb-test-token-1";
/// The signing secret Warroom checks with.
pub const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
/// How long work behind an acknowledged request may take to show in the fake.
pub const WORK: Duration = Duration::from_secs(20);

/// A fake kubectl (no cluster runs here) that accepts only the restart the runbook asks for.
const FAKE_KUBECTL: &str = r#"#!/bin/sh
if [ "$*" = "rollout restart deployment/api -n shop" ]; then
  echo "deployment.apps/api restarted"
  exit 0
fi
echo "fake kubectl: unexpected arguments: $*" >&2
exit 2
"#;

/// The world of one test.
pub struct SlackWorld {
    pub fake: FakeSlack,
    pub sdk: SlackSdk,
    pub client: HttpClient,
    /// Warroom's base URL.
    pub url: String,
    pub database_url: String,
    server: Child,
    launch: Launch,
    /// More `warroom serve` processes on the same database.
    replicas: Vec<Child>,
    next_trigger: u64,
    _dir: tempfile::TempDir,
}

impl Drop for SlackWorld {
    fn drop(&mut self) {
        for server in std::iter::once(&mut self.server).chain(&mut self.replicas) {
            let _ = server.kill();
            let _ = server.wait();
        }
    }
}

fn fake_bin(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let kubectl = bin.join("kubectl");
    std::fs::write(&kubectl, FAKE_KUBECTL).unwrap();
    std::fs::set_permissions(&kubectl, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// How `warroom serve` is started, so that it can be started again.
struct Launch {
    dir: PathBuf,
    config: PathBuf,
    bin: PathBuf,
    vars: Vec<(String, String)>,
}

impl Launch {
    /// Starts `warroom serve` and waits until it says where it listens.
    fn spawn(&self) -> (Child, String) {
        let mut command = crate::support::binary::command(&self.dir);
        command
            .env("WARROOM_SLACK__BOT_TOKEN", TOKEN)
            .env("WARROOM_SLACK__SIGNING_SECRET", SECRET)
            .env("PATH", format!("{}:/usr/bin:/bin", self.bin.display()))
            .env("RUST_LOG", "warroom=info")
            .envs(self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .arg("--config")
            .arg(&self.config);
        let (server, address, _) = serving::start_serve(command, "serve", Duration::from_secs(60));
        (server, address.to_string())
    }
}

impl SlackWorld {
    /// Starts the fake and `warroom serve`, with `extra` TOML appended to the config; `None`
    /// when the SDK is missing and the test is skipped.
    pub async fn start(test: &str, extra: &str) -> Option<SlackWorld> {
        Self::start_with(test, extra, &[]).await
    }

    /// Like `start`, with more `WARROOM_*` variables for the server.
    pub async fn start_with(test: &str, extra: &str, vars: &[(&str, &str)]) -> Option<SlackWorld> {
        Self::start_on(test, extra, vars, None).await
    }

    /// Like `start_with`, on the database `database_url` (a PostgreSQL one, for replicas)
    /// instead of a SQLite file of its own.
    pub async fn start_on(
        test: &str,
        extra: &str,
        vars: &[(&str, &str)],
        database_url: Option<String>,
    ) -> Option<SlackWorld> {
        let sdk = SlackSdk::find(test)?;
        let fake = FakeSlack::start(TOKEN).await;
        fake.add_channel("C0GENERAL", "general", &["U0ALICE", "U0BOB", "U0DAVE"]);
        fake.add_channel("C0ANNOUNCE", "incidents", &[]);
        let dir = tempfile::tempdir().unwrap();
        let database_url = database_url
            .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("warroom.db").display()));
        let runbooks = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/action-runbooks");
        let config = format!(
            r#"database_url = {database_url:?}
responders = ["U0RESP"]
announce_room = "C0ANNOUNCE"
runbook_dirs = [{runbooks:?}]

[slack]
api_url = {api:?}
post_interval_ms = 0
max_retries = 3

[actions]
approvers = ["U0DAVE"]
allowed_programs = ["printf", "kubectl"]
environment = "test"

[actions.environments]
test = {{ namespace = "shop" }}
{extra}
"#,
            runbooks = runbooks.display().to_string(),
            api = fake.api_url,
        );
        let config_path = dir.path().join("warroom.toml");
        std::fs::write(&config_path, config).unwrap();
        let bin = fake_bin(dir.path());
        let launch = Launch {
            dir: dir.path().to_owned(),
            config: config_path,
            bin,
            vars: vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        let (server, address) = launch.spawn();
        let url = format!("http://{address}");
        Some(SlackWorld {
            fake,
            sdk,
            client: HttpClient::default(),
            url,
            database_url,
            server,
            launch,
            replicas: Vec::new(),
            next_trigger: 0,
            _dir: dir,
        })
    }

    /// Starts another `warroom serve` on the same database and config (a replica); returns its
    /// base URL.
    pub fn add_replica(&mut self) -> String {
        let (server, address) = self.launch.spawn();
        self.replicas.push(server);
        format!("http://{address}")
    }

    /// Kills `warroom serve` at once (SIGKILL), as a crash would.
    pub fn crash(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }

    /// Starts `warroom serve` again on the same database and config (a new port).
    pub fn restart(&mut self) {
        let (server, address) = self.launch.spawn();
        self.server = server;
        self.url = format!("http://{address}");
    }

    /// A fresh trigger id.
    pub fn trigger(&mut self) -> String {
        self.next_trigger += 1;
        format!("13345224609.738474920.{:08x}", self.next_trigger)
    }

    /// POSTs `body` to `path`, signed by the SDK at `timestamp` (now when `None`).
    pub async fn signed(
        &self,
        path: &str,
        content_type: &str,
        body: String,
        timestamp: Option<i64>,
    ) -> Answer {
        let ts = timestamp
            .unwrap_or_else(|| chrono::Utc::now().timestamp())
            .to_string();
        let signature = self.sdk.sign(SECRET, &ts, &body);
        self.raw(path, content_type, body, &ts, &signature, &[])
            .await
    }

    /// POSTs exactly what it is given.
    pub async fn raw(
        &self,
        path: &str,
        content_type: &str,
        body: String,
        timestamp: &str,
        signature: &str,
        more: &[(&str, String)],
    ) -> Answer {
        let mut headers = vec![
            ("x-slack-request-timestamp", timestamp.to_owned()),
            ("x-slack-signature", signature.to_owned()),
        ];
        headers.extend(more.iter().cloned());
        self.client
            .post(&format!("{}{path}", self.url), &headers, content_type, body)
            .await
    }

    /// The form body of `/incident TEXT` typed by `user` in `channel`.
    pub fn command_body(&mut self, user: &str, channel: &str, text: &str) -> String {
        let trigger = self.trigger();
        serde_urlencoded::to_string([
            ("token", "gIkuvaNzQIHg97ATvDxqgjtO"),
            ("team_id", "T0001"),
            ("channel_id", channel),
            ("user_id", user),
            ("command", "/incident"),
            ("text", text),
            ("response_url", &self.fake.response_url(&trigger)),
            ("trigger_id", &trigger),
        ])
        .unwrap()
    }

    /// Types `/incident TEXT`; the answer must be an immediate 200.
    pub async fn command(&mut self, user: &str, channel: &str, text: &str) -> Answer {
        let body = self.command_body(user, channel, text);
        let answer = self
            .signed(
                "/slack/commands",
                "application/x-www-form-urlencoded",
                body,
                None,
            )
            .await;
        assert_eq!(answer.status, 200, "{answer:?}");
        answer
    }

    /// The form body of a button press.
    pub fn press_body(
        &mut self,
        user: &str,
        channel: &str,
        action_id: &str,
        value: &str,
    ) -> String {
        let trigger = self.trigger();
        let payload = json!({
            "type": "block_actions",
            "user": {"id": user, "username": user.to_lowercase()},
            "team": {"id": "T0001", "domain": "fake"},
            "api_app_id": "A0FAKE",
            "channel": {"id": channel},
            "container": {"type": "message", "message_ts": "1764000000.000100", "channel_id": channel, "is_ephemeral": false},
            "trigger_id": trigger,
            "response_url": self.fake.response_url(&trigger),
            "actions": [{"type": "button", "action_id": action_id, "value": value, "action_ts": "1764000000.1"}],
        });
        serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap()
    }

    /// Presses the button labelled `label` in the message `ts` of `channel`.
    pub async fn press(&mut self, user: &str, channel: &str, ts: &str, label: &str) -> Answer {
        let (action_id, value) = self.button(channel, ts, label);
        let body = self.press_body(user, channel, &action_id, &value);
        let answer = self
            .signed(
                "/slack/interactions",
                "application/x-www-form-urlencoded",
                body,
                None,
            )
            .await;
        assert_eq!(answer.status, 200, "{answer:?}");
        answer
    }

    /// The action id and value of the button labelled `label` in a message.
    pub fn button(&self, channel: &str, ts: &str, label: &str) -> (String, String) {
        self.fake.world(|w| {
            let m = w.channels[channel]
                .messages
                .iter()
                .find(|m| m.ts == ts)
                .expect("the message exists");
            buttons(&m.blocks)
                .into_iter()
                .find(|b| b["text"]["text"] == label)
                .map(|b| {
                    (
                        b["action_id"].as_str().unwrap().to_owned(),
                        b["value"].as_str().unwrap().to_owned(),
                    )
                })
                .unwrap_or_else(|| panic!("no button {label} in {}", m.blocks))
        })
    }

    /// Submits the parameters modal `view` (as Warroom opened it) with `values`: Slack sends
    /// the view back with its id, team, hash and the state of its inputs.
    pub async fn submit(&mut self, user: &str, view: &Value, values: &[(&str, &str)]) -> Answer {
        let trigger = self.trigger();
        let mut state = serde_json::Map::new();
        for (name, value) in values {
            state.insert(
                (*name).to_owned(),
                json!({"value": {"type": "plain_text_input", "value": value}}),
            );
        }
        let mut submitted = view.clone();
        for (key, value) in [
            ("id", json!("V0FAKE1")),
            ("team_id", json!("T0001")),
            ("app_id", json!("A0FAKE")),
            ("hash", json!("1764000000.abcd")),
            ("state", json!({"values": state})),
        ] {
            submitted[key] = value;
        }
        let payload = json!({
            "type": "view_submission",
            "user": {"id": user, "username": user.to_lowercase(), "team_id": "T0001"},
            "team": {"id": "T0001", "domain": "fake"},
            "api_app_id": "A0FAKE",
            "trigger_id": trigger,
            "view": submitted,
        });
        let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
        let answer = self
            .signed(
                "/slack/interactions",
                "application/x-www-form-urlencoded",
                body,
                None,
            )
            .await;
        assert_eq!(answer.status, 200, "{answer:?}");
        answer
    }

    /// The body of a reaction_added event.
    pub fn reaction_body(
        event_id: &str,
        user: &str,
        reaction: &str,
        channel: &str,
        ts: &str,
    ) -> String {
        json!({
            "token": "x", "team_id": "T0001", "api_app_id": "A0FAKE", "type": "event_callback",
            "event_id": event_id, "event_time": 1764000000,
            "event": {
                "type": "reaction_added", "user": user, "reaction": reaction,
                "item": {"type": "message", "channel": channel, "ts": ts},
                "event_ts": "1764000000.2",
            },
        })
        .to_string()
    }

    /// Opens the store Warroom writes to.
    pub async fn store(&self) -> warroom::store::Store {
        warroom::store::Store::connect(&self.database_url)
            .await
            .unwrap()
    }
}

/// Every button and select in some blocks.
pub fn buttons(blocks: &Value) -> Vec<Value> {
    blocks
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
        .collect()
}
