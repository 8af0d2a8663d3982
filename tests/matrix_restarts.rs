//! The Matrix flow across restarts, against a real Synapse: the homeserver restarting mid-
//! incident, and Warroom restarting without replaying a command. In their own test binary (cargo
//! runs test binaries one after another), one test at a time, because restarting the
//! homeserver would disturb any other test using it.

#[path = "support/matrix.rs"]
mod matrix;
#[path = "support/matrix_scene.rs"]
mod scene;
#[path = "support/serving.rs"]
mod serving;

use std::process::Command;

use warroom::domain::{EventKind, IncidentNumber, Status};

use matrix::says;
use scene::{Scene, notes};

/// One test at a time in this binary.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs `scripts/NAME` with the homeserver's port; returns what it printed.
fn script(name: &str, url: &str) -> String {
    let port = url.rsplit(':').next().unwrap_or("58008");
    let output = Command::new(format!("{}/scripts/{name}", env!("CARGO_MANIFEST_DIR")))
        .env("SYNAPSE_PORT", port)
        .output()
        .expect("the script runs");
    assert!(
        output.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[tokio::test]
async fn the_flow_goes_on_after_the_homeserver_restarts() {
    let _one = SERIAL.lock().await;
    let test = "the_flow_goes_on_after_the_homeserver_restarts";
    let Some(scene) = Scene::new(test, "warroom-bot6", &[]).await else {
        return;
    };
    let room = scene
        .declare(&format!("Checkout restarts {}", scene.tag))
        .await;
    let card = scene.card(&room).await;
    let card_id = card["event_id"].as_str().expect("an id").to_owned();

    script("stop-synapse.sh", &scene.url);
    assert!(
        matrix::synapse_answers(&scene.url).await.is_none(),
        "the homeserver still answers after stop-synapse.sh: was it started with another SYNAPSE_BASE?"
    );
    let again = script("start-synapse.sh", &scene.url);
    assert_eq!(again, scene.url, "the homeserver came back elsewhere");

    // Warroom's sync loop reconnects on its own: a reaction and a command still work.
    scene.bob.react(&room, &card_id, "✅").await;
    scene
        .timeline_until("the acknowledgement after the restart", |t| {
            t.iter().any(|e| e.kind == EventKind::Acknowledged)
        })
        .await;
    scene
        .alice
        .say(&room, "!incident status mitigated rolled back")
        .await;
    scene
        .timeline_until("the status change after the restart", |t| {
            t.iter().any(|e| {
                matches!(
                    e.kind,
                    EventKind::StatusChanged {
                        to: Status::Mitigated,
                        ..
                    }
                )
            })
        })
        .await;
    scene
        .alice
        .wait_for(&room, "the card showing Mitigated", |e| {
            e["content"]["m.new_content"]["body"]
                .as_str()
                .is_some_and(|b| b.contains("Status: Mitigated"))
        })
        .await;
}

#[tokio::test]
async fn no_command_is_handled_twice_after_warroom_restarts() {
    let _one = SERIAL.lock().await;
    let test = "no_command_is_handled_twice_after_warroom_restarts";
    let Some(mut scene) = Scene::new(test, "warroom-bot7", &[]).await else {
        return;
    };
    let room = scene
        .declare(&format!("Checkout replays {}", scene.tag))
        .await;
    let store = scene.store().await;
    let device = store
        .matrix_session(&scene.bot)
        .await
        .expect("sessions are read")
        .expect("the session is kept")
        .device_id;
    scene
        .alice
        .say(&room, "!incident note before the restart")
        .await;
    scene
        .timeline_until("the first note", |t| notes(t).len() == 1)
        .await;

    // Said while Warroom is down: handled once it is back, and nothing older is replayed.
    // More than one sync returns follows it, so the bot must fetch the gap to find it.
    scene.stop();
    scene
        .alice
        .say(&room, "!incident note while it was down")
        .await;
    for i in 0..110 {
        scene.bob.say(&room, &format!("chatter {i}")).await;
    }
    scene.start().await;
    scene
        .alice
        .say(&room, "!incident note after the restart")
        .await;
    let events = scene
        .timeline_until("all three notes", |t| notes(t).len() >= 3)
        .await;
    // Give a replay the time to show up, then look again.
    scene.alice.say(&room, "!incident note last").await;
    let events = if notes(&events).len() == 3 {
        scene
            .timeline_until("the last note", |t| notes(t).len() >= 4)
            .await
    } else {
        events
    };
    assert_eq!(
        notes(&events),
        [
            "before the restart",
            "while it was down",
            "after the restart",
            "last"
        ]
    );
    assert!(
        store
            .incident(IncidentNumber(2))
            .await
            .expect("read")
            .is_none(),
        "the declaration was replayed"
    );
    let declared = scene
        .alice
        .events(&scene.lobby)
        .await
        .into_iter()
        .filter(|e| says(e, &scene.bot, "declared"))
        .count();
    assert_eq!(
        declared, 1,
        "the lobby heard of the declaration more than once"
    );
    let notes_answered = scene
        .alice
        .events(&room)
        .await
        .into_iter()
        .filter(|e| says(e, &scene.bot, "noted: before the restart"))
        .count();
    assert!(notes_answered <= 1, "the first note was answered twice");
    let kept = store
        .matrix_session(&scene.bot)
        .await
        .expect("sessions are read")
        .expect("the session is kept");
    assert_eq!(
        kept.device_id, device,
        "the restart logged in as a new device"
    );
}
