//! One Matrix test's world: alice, bob and carol on the real Synapse, a lobby the bot is
//! configured for, a runbook with a read and a write step (a fake kubectl), and `warroom serve`.

use std::path::PathBuf;

use serde_json::{Value, json};
use warroom::domain::Platform;
use warroom::domain::{EventKind, IncidentNumber, TimelineEvent};
use warroom::store::Store;

use super::matrix::{DEADLINE, Human, POLL, Warroom, mxid, nonce, says, synapse};

/// A kubectl that only knows `rollout restart deployment/api -n shop`.
const FAKE_KUBECTL: &str = r#"#!/bin/sh
if [ "$*" = "rollout restart deployment/api -n shop" ]; then
  echo "deployment.apps/api restarted"
  exit 0
fi
echo "fake kubectl: unexpected arguments: $*" >&2
exit 2
"#;

/// The runbook the war rooms get offered: a read step (printf) and a write step (kubectl).
const RUNBOOK: &str = r#"---
id: checkout-errors
title: Checkout API errors
keywords: [checkout, api, 500s]
---

# Checkout API errors

## Diagnosis
```sh action=show-pods risk=read
# Show the API pods
printf '%s\n' api-1 api-2 all-ready
```

## Mitigation
```sh action=restart-api risk=write
# Restart the API
kubectl rollout restart deployment/api -n shop
```
"#;

/// A test's world.
pub struct Scene {
    /// The homeserver.
    pub url: String,
    /// The bot's user id.
    pub bot: String,
    /// The bot's account name (`warroom-bot1`).
    pub bot_name: String,
    /// The incident commander.
    pub alice: Human,
    /// A responder and approver.
    pub bob: Human,
    /// Someone Warroom takes no commands from.
    pub carol: Human,
    /// The room the bot is configured for.
    pub lobby: String,
    /// Words unique to this run, for titles.
    pub tag: String,
    /// The folder of the config, the database, the runbooks and the fake kubectl.
    pub dir: tempfile::TempDir,
    /// The running Warroom.
    pub warroom: Option<Warroom>,
    /// The bot's access token, when it logs in with one instead of its password.
    pub access_token: Option<String>,
}

impl Scene {
    /// Builds the world for `test` with bot account `bot_name`, plus `extra` config lines
    /// under `[matrix]`. `None` when no Synapse answers (and that is allowed).
    pub async fn new(test: &str, bot_name: &str, extra_rooms: &[&str]) -> Option<Scene> {
        Self::build(test, bot_name, extra_rooms, false).await
    }

    /// The same, with the bot logging in with an access token (made by a password login here)
    /// instead of its password.
    pub async fn with_access_token(test: &str, bot_name: &str) -> Option<Scene> {
        Self::build(test, bot_name, &[], true).await
    }

    async fn build(
        test: &str,
        bot_name: &str,
        extra_rooms: &[&str],
        with_token: bool,
    ) -> Option<Scene> {
        let url = synapse(test).await?;
        let alice = Human::login(&url, "alice").await;
        let bob = Human::login(&url, "bob").await;
        let carol = Human::login(&url, "carol").await;
        let bot = mxid(bot_name);
        let tag = nonce();
        let lobby = alice
            .create_room(json!({
                "name": format!("lobby {tag}"),
                "preset": "public_chat",
                "invite": [bot, bob.id, carol.id],
            }))
            .await;
        bob.join(&lobby).await;
        carol.join(&lobby).await;
        let dir = tempfile::Builder::new()
            .prefix("warroom-matrix-")
            .tempdir()
            .expect("a temporary directory");
        std::fs::create_dir_all(dir.path().join("runbooks")).expect("runbooks folder");
        std::fs::write(dir.path().join("runbooks/checkout.md"), RUNBOOK).expect("runbook");
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).expect("bin folder");
        let kubectl = bin.join("kubectl");
        std::fs::write(&kubectl, FAKE_KUBECTL).expect("kubectl");
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&kubectl, std::fs::Permissions::from_mode(0o755))
                .expect("kubectl is executable");
        }
        let mut rooms = vec![format!("{lobby:?}")];
        rooms.extend(extra_rooms.iter().map(|r| format!("{r:?}")));
        let config = format!(
            r#"database_url = "sqlite://{db}"
responders = ["@bob:localhost"]
runbook_dirs = ["runbooks"]

[matrix]
homeserver = "{url}"
user = "{bot}"
allowed_users = ["@alice:localhost", "@bob:localhost"]
rooms = [{rooms}]

[actions]
allowed_programs = ["printf", "kubectl"]
approvers = ["@bob:localhost"]

[escalation.p1]
levels = [{{ after = "0m", targets = ["@bob:localhost"] }}, {{ after = "2s", targets = ["@carol:localhost"] }}, {{ after = "10m", targets = ["@bob:localhost"] }}]
reminder = "off"
"#,
            db = dir.path().join("warroom.db").display(),
            rooms = rooms.join(", "),
        );
        std::fs::write(dir.path().join("warroom.toml"), config).expect("config");
        let mut scene = Scene {
            url,
            bot,
            bot_name: bot_name.to_owned(),
            alice,
            bob,
            carol,
            lobby,
            tag,
            dir,
            warroom: None,
            access_token: None,
        };
        if with_token {
            let token = Human::login(&scene.url, bot_name).await;
            scene.access_token = Some(token.access_token().to_owned());
        }
        scene.start().await;
        Some(scene)
    }

    /// Starts (or restarts) Warroom and waits until the bot is in the lobby.
    pub async fn start(&mut self) {
        let bin: PathBuf = self.dir.path().join("bin");
        self.warroom = Some(Warroom::start(
            self.dir.path(),
            &self.bot_name,
            self.access_token.as_deref(),
            &[bin],
        ));
        let deadline = std::time::Instant::now() + DEADLINE;
        loop {
            let members = self.alice.members(&self.lobby).await;
            if members.iter().any(|(u, m)| *u == self.bot && m == "join") {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the bot did not join the lobby"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Stops Warroom with SIGTERM.
    pub fn stop(&mut self) {
        if let Some(w) = self.warroom.take() {
            w.stop();
        }
    }

    /// The database Warroom writes.
    pub async fn store(&self) -> Store {
        Store::connect(&format!(
            "sqlite://{}",
            self.dir.path().join("warroom.db").display()
        ))
        .await
        .expect("the database")
    }

    /// Alice declares a P1 from the lobby; returns the war room's id once it exists, with alice
    /// and bob in it.
    pub async fn declare(&self, title: &str) -> String {
        self.alice
            .say(&self.lobby, &format!("!incident declare p1 {title}"))
            .await;
        let store = self.store().await;
        let deadline = std::time::Instant::now() + DEADLINE;
        let room = loop {
            if let Some(room) = store
                .war_room(Platform::Matrix, IncidentNumber(1))
                .await
                .expect("the war room is read")
            {
                break room.id.into_string();
            }
            assert!(std::time::Instant::now() < deadline, "no war room was made");
            tokio::time::sleep(POLL).await;
        };
        for human in [&self.alice, &self.bob] {
            join_when_invited(human, &room).await;
        }
        room
    }

    /// The incident card: the bot's first message in the war room.
    pub async fn card(&self, room: &str) -> Value {
        self.alice
            .wait_for(room, "the incident card", |e| {
                says(e, &self.bot, "INC-1 · P1") && e["content"]["m.relates_to"].is_null()
            })
            .await
    }

    /// The timeline of INC-1 once `wanted` holds for it.
    pub async fn timeline_until(
        &self,
        what: &str,
        wanted: impl Fn(&[TimelineEvent]) -> bool,
    ) -> Vec<TimelineEvent> {
        let store = self.store().await;
        let deadline = std::time::Instant::now() + DEADLINE;
        loop {
            let events = store.timeline(IncidentNumber(1)).await.unwrap_or_default();
            if wanted(&events) {
                return events;
            }
            let kinds: Vec<&str> = events.iter().map(|e| e.kind.type_name()).collect();
            assert!(
                std::time::Instant::now() < deadline,
                "{what} is not on the timeline: {kinds:?}"
            );
            tokio::time::sleep(POLL).await;
        }
    }
}

/// Joins `room` as soon as `human` is invited to it (Synapse caches initial syncs, so the
/// invitation is not looked for there: joining fails until it exists).
pub async fn join_when_invited(human: &Human, room: &str) {
    let deadline = std::time::Instant::now() + DEADLINE;
    loop {
        let joined = human
            .try_call(
                "POST",
                &format!("/_matrix/client/v3/join/{room}"),
                Some(json!({})),
            )
            .await;
        match joined {
            Ok(_) => return,
            Err(e) => assert!(
                std::time::Instant::now() < deadline,
                "{} could not join {room}: {e}",
                human.id
            ),
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The direct room the bot made with `human`, joined, once the bot has written there.
pub async fn direct_room_with_bot(scene: &Scene, human: &Human) -> String {
    let store = scene.store().await;
    let deadline = std::time::Instant::now() + DEADLINE;
    let room = loop {
        if let Some(room) = store
            .matrix_direct_room(&scene.bot, &human.id)
            .await
            .expect("direct rooms are read")
        {
            break room;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the bot made no direct room with {}",
            human.id
        );
        tokio::time::sleep(POLL).await;
    };
    join_when_invited(human, &room).await;
    room
}

/// The notes on a timeline, in order.
pub fn notes(events: &[TimelineEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Note { text } => Some(text.as_str().to_owned()),
            _ => None,
        })
        .collect()
}
