//! The Matrix flow across restarts, against a real Synapse: the homeserver restarting mid-
//! incident, the homeserver down when an incident is declared, and Warroom restarting without
//! replaying a command. In their own test binary (cargo
//! runs test binaries one after another), one test at a time, because restarting the
//! homeserver would disturb any other test using it.

use std::process::Command;
use std::time::{Duration, Instant};

use scene::{Scene, notes};
use warroom::domain::Platform;
use warroom::domain::{EventKind, IncidentNumber, Status};

use crate::support::matrix;
use crate::support::matrix_scene as scene;
use matrix::{Human, says};

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
    let _alone = matrix::have_synapse_alone().await;
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
    let _alone = matrix::have_synapse_alone().await;
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

#[tokio::test]
async fn a_declaration_while_the_homeserver_is_down_gets_one_war_room_card_and_page_once_it_is_back()
 {
    let _alone = matrix::have_synapse_alone().await;
    let test = "a_declaration_while_the_homeserver_is_down_gets_one_war_room_card_and_page_once_it_is_back";
    let Some(scene) = Scene::new(test, "warroom-bot11", &[]).await else {
        return;
    };
    let title = format!("Checkout outage {}", scene.tag);
    let store = scene.store().await;
    scene
        .alice
        .say(&scene.lobby, &format!("!incident declare p1 {title}"))
        .await;

    // The homeserver goes down as soon as the declaration is recorded: Warroom's delivery is
    // then making the war room, or about to.
    let deadline = Instant::now() + matrix::DEADLINE;
    while store
        .incident(IncidentNumber(1))
        .await
        .expect("incidents are read")
        .is_none()
    {
        assert!(
            Instant::now() < deadline,
            "the declaration was not recorded"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let stopped_at = Instant::now();
    script("stop-synapse.sh", &scene.url);
    assert!(
        matrix::synapse_answers(&scene.url).await.is_none(),
        "the homeserver still answers after stop-synapse.sh: was it started with another SYNAPSE_BASE?"
    );
    let room_before = store
        .war_room(Platform::Matrix, IncidentNumber(1))
        .await
        .expect("war rooms are read");
    let delivered_before = outbox(&scene).await;
    println!(
        "{test}: Synapse stopped {} ms after the declaration was seen; war room made then: {}; outbox then: {delivered_before:?}",
        stopped_at.elapsed().as_millis(),
        room_before.is_some(),
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    let again = script("start-synapse.sh", &scene.url);
    assert_eq!(again, scene.url, "the homeserver came back elsewhere");
    let back_at = Instant::now();

    // Once it is back: the war room, with the card and the page in it, and the page by
    // direct message.
    let deadline = Instant::now() + matrix::DEADLINE;
    let room = loop {
        if let Some(room) = store
            .war_room(Platform::Matrix, IncidentNumber(1))
            .await
            .expect("war rooms are read")
        {
            break room.id.into_string();
        }
        assert!(Instant::now() < deadline, "no war room after the restart");
        tokio::time::sleep(matrix::POLL).await;
    };
    for human in [&scene.alice, &scene.bob] {
        scene::join_when_invited(human, &room).await;
    }
    let card = scene.card(&room).await;
    let paged = scene
        .alice
        .wait_for(&room, "the level 1 page in the war room", |e| {
            says(e, &scene.bot, "Paging level 1")
        })
        .await;
    let dm = scene::direct_room_with_bot(&scene, &scene.bob).await;
    let dm_page = scene
        .bob
        .wait_for(&dm, "the page by direct message", |e| {
            says(e, &scene.bot, "You are paged for INC-1")
        })
        .await;
    let events = scene
        .timeline_until("bob's delivered page", |t| {
            t.iter().any(|e| {
                matches!(&e.kind, EventKind::PageDelivered { level: 1, person, .. }
                    if person.as_str() == "@bob:localhost")
            })
        })
        .await;
    println!(
        "{test}: everything arrived {} ms after Synapse was back; outbox: {:?}",
        back_at.elapsed().as_millis(),
        outbox(&scene).await
    );

    // Once each: one room of that name for the bot, one card, one page in the room and one by
    // direct message, one announcement in the lobby.
    let display = format!("INC-1 [P1] {title}");
    let bot = Human::login(&scene.url, &scene.bot_name).await;
    let joined = bot
        .call("GET", "/_matrix/client/v3/joined_rooms", None)
        .await;
    let mut named = Vec::new();
    for id in joined["joined_rooms"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let id = id.as_str().unwrap_or_default().to_owned();
        if bot
            .state(&id, "m.room.name")
            .await
            .is_some_and(|n| n["name"] == display)
        {
            named.push(id);
        }
    }
    assert_eq!(
        named,
        std::slice::from_ref(&room),
        "not exactly one war room"
    );
    let in_room = scene.alice.events(&room).await;
    let cards = in_room
        .iter()
        .filter(|e| says(e, &scene.bot, "INC-1 · P1") && e["content"]["m.relates_to"].is_null())
        .count();
    assert_eq!(cards, 1, "the card was posted {cards} times");
    let pages = in_room
        .iter()
        .filter(|e| says(e, &scene.bot, "Paging level 1"))
        .count();
    assert_eq!(
        pages, 1,
        "the page was posted {pages} times in the war room"
    );
    let dm_pages = scene
        .bob
        .events(&dm)
        .await
        .iter()
        .filter(|e| says(e, &scene.bot, "You are paged for INC-1"))
        .count();
    assert_eq!(dm_pages, 1, "bob was sent the page {dm_pages} times");
    let announced = scene
        .alice
        .events(&scene.lobby)
        .await
        .iter()
        .filter(|e| says(e, &scene.bot, "INC-1 (P1) declared"))
        .count();
    assert_eq!(announced, 1, "the lobby was told {announced} times");
    let delivered = events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::PageDelivered { level: 1, .. }))
        .count();
    assert_eq!(delivered, 1, "the page counted {delivered} times");

    // In order: the room, then the card, then the page.
    let position = |id: &serde_json::Value| {
        in_room
            .iter()
            .position(|e| e["event_id"] == *id)
            .expect("the event is in the room")
    };
    let created = in_room
        .iter()
        .position(|e| e["type"] == "m.room.create")
        .expect("the room's creation");
    assert!(
        created < position(&card["event_id"])
            && position(&card["event_id"]) < position(&paged["event_id"]),
        "the room, the card and the page came out of order"
    );
    let ts = |e: &serde_json::Value| e["origin_server_ts"].as_i64().unwrap_or_default();
    assert!(
        ts(&card) <= ts(&dm_page),
        "the direct page came before the card"
    );

    // The sync loop came through the outage too: bob's ✅ acknowledges.
    let card_id = card["event_id"].as_str().expect("an id");
    scene.bob.react(&room, card_id, "✅").await;
    scene
        .timeline_until("the acknowledgement after the outage", |t| {
            t.iter().any(|e| e.kind == EventKind::Acknowledged)
        })
        .await;
}

/// Each outbox entry of INC-1: kind, state, attempts.
async fn outbox(scene: &Scene) -> Vec<(String, String, i64)> {
    let path = scene.dir.path().join("warroom.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("the database");
    let rows =
        sqlx::query_as("SELECT kind, state, attempts FROM outbox WHERE incident = 1 ORDER BY id")
            .fetch_all(&pool)
            .await
            .expect("the outbox is read");
    pool.close().await;
    rows
}
