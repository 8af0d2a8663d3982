//! Socket Mode (`slack.mode = "socket"`): Warroom opens the websocket with the app token,
//! acknowledges each envelope, and runs commands, button presses and events through the same
//! readers, claims and work as over HTTP; the HTTP endpoints stay closed. A refreshed or
//! dropped connection is replaced.

use serde_json::json;
use warroom::domain::{EventKind, IncidentNumber};

use crate::support::fake_slack;
use crate::support::slack_world;
use slack_world::{SlackWorld, WORK};

async fn timeline(world: &SlackWorld) -> Vec<EventKind> {
    let store = world.store().await;
    let events = store.timeline(IncidentNumber(1)).await.unwrap();
    events.into_iter().map(|e| e.kind).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_buttons_and_pins_arrive_over_socket_mode() {
    let vars = [
        ("WARROOM_SLACK__MODE", "socket"),
        ("WARROOM_SLACK__APP_TOKEN", fake_slack::APP_TOKEN),
    ];
    let Some(mut world) = SlackWorld::start_with("slack socket mode", "", &vars).await else {
        return;
    };
    world
        .fake
        .wait_for("the Socket Mode connection", WORK, |w| {
            w.calls
                .iter()
                .any(|c| c.method == "apps.connections.open" && c.error.is_none())
                .then_some(())
        })
        .await;
    let until = std::time::Instant::now() + WORK;
    while !world.fake.socket_connected() {
        assert!(std::time::Instant::now() < until, "no websocket connection");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // Over Socket Mode the HTTP endpoints are closed.
    let body = world.command_body("U0ALICE", "C0GENERAL", "declare p1 closed");
    let answer = world
        .signed(
            "/slack/commands",
            "application/x-www-form-urlencoded",
            body,
            None,
        )
        .await;
    assert_eq!(answer.status, 404, "{answer:?}");

    let trigger = world.trigger();
    let command = json!({
        "token": "x", "team_id": "T0001", "team_domain": "fake", "channel_id": "C0GENERAL",
        "channel_name": "general", "user_id": "U0ALICE", "user_name": "alice",
        "command": "/incident", "text": "declare p1 Socket checkout fails",
        "api_app_id": "A0FAKE", "response_url": world.fake.response_url(&trigger),
        "trigger_id": trigger,
    });
    let envelope = world.fake.socket_send("slash_commands", command);
    let (room, card) = world
        .fake
        .wait_for("the war room, its card pinned", WORK, |w| {
            let room = w.channels.values().find(|c| c.name.starts_with("inc-1-"))?;
            room.pins.first().map(|p| (room.id.clone(), p.clone()))
        })
        .await;
    assert!(
        world
            .fake
            .world(|w| w.acks.iter().any(|a| a["envelope_id"] == envelope.as_str()))
    );

    // A button press as an interactive envelope.
    let (action_id, value) = world.button(&room, &card, "Acknowledge");
    let trigger = world.trigger();
    let press = json!({
        "type": "block_actions", "user": {"id": "U0ALICE", "username": "alice", "team_id": "T0001"},
        "api_app_id": "A0FAKE", "token": "x", "team": {"id": "T0001", "domain": "fake"},
        "container": {"type": "message", "message_ts": card, "channel_id": room, "is_ephemeral": false},
        "trigger_id": trigger, "channel": {"id": room, "name": "inc-1"},
        "response_url": world.fake.response_url(&trigger),
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value,
                     "text": {"type": "plain_text", "text": "Acknowledge"}, "action_ts": "1764000001.1"}],
    });
    world.fake.socket_send("interactive", press);
    let until = std::time::Instant::now() + WORK;
    while !timeline(&world)
        .await
        .iter()
        .any(|k| matches!(k, EventKind::Acknowledged))
    {
        assert!(
            std::time::Instant::now() < until,
            "the press did not acknowledge"
        );
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }

    // A :pushpin: as an events_api envelope, delivered twice: one quote.
    let said = world.fake.add_message(&room, "U0BOB", "p99 latency is 4 s");
    let event = json!({
        "token": "x", "team_id": "T0001", "api_app_id": "A0FAKE", "type": "event_callback",
        "event_id": "Ev0SOCKET", "event_time": 1764000002,
        "event": {"type": "reaction_added", "user": "U0ALICE", "reaction": "pushpin",
                  "item": {"type": "message", "channel": room, "ts": said},
                  "item_user": "U0BOB", "event_ts": "1764000002.1"},
    });
    world.fake.socket_send("events_api", event.clone());
    world.fake.socket_send("events_api", event);
    let until = std::time::Instant::now() + WORK;
    loop {
        let quotes = timeline(&world)
            .await
            .into_iter()
            .filter(|k| matches!(k, EventKind::Quoted { author, .. } if author.as_str() == "U0BOB"))
            .count();
        if quotes == 1 && world.fake.world(|w| w.acks.len()) >= 4 {
            break;
        }
        assert!(quotes <= 1, "the repeated event acted twice");
        assert!(std::time::Instant::now() < until, "the pin did not arrive");
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    let still_one = timeline(&world)
        .await
        .into_iter()
        .filter(|k| matches!(k, EventKind::Quoted { .. }))
        .count();
    assert_eq!(still_one, 1);
    let violations = world.fake.world(|w| w.violations.clone());
    assert!(violations.is_empty(), "{violations:#?}");
}

/// Waits until the fake has accepted `n` Socket Mode connections and one is open.
async fn connections(world: &SlackWorld, n: usize) {
    let until = std::time::Instant::now() + WORK;
    while world.fake.world(|w| w.socket_connections) < n || !world.fake.socket_connected() {
        assert!(
            std::time::Instant::now() < until,
            "no Socket Mode connection number {n}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A slash command over the open connection; waits for its acknowledgement.
async fn command_acknowledged(world: &mut SlackWorld, text: &str) {
    let trigger = world.trigger();
    let command = json!({
        "token": "x", "team_id": "T0001", "team_domain": "fake", "channel_id": "C0GENERAL",
        "channel_name": "general", "user_id": "U0ALICE", "user_name": "alice",
        "command": "/incident", "text": text,
        "api_app_id": "A0FAKE", "response_url": world.fake.response_url(&trigger),
        "trigger_id": trigger,
    });
    let envelope = world.fake.socket_send("slash_commands", command);
    world
        .fake
        .wait_for("the command's acknowledgement", WORK, |w| {
            w.acks
                .iter()
                .find(|a| a["envelope_id"] == envelope.as_str())
                .map(|a| assert_eq!(a["payload"], json!({}), "{a}"))
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refreshed_or_dropped_connection_is_replaced_and_envelopes_still_arrive() {
    let vars = [
        ("WARROOM_SLACK__MODE", "socket"),
        ("WARROOM_SLACK__APP_TOKEN", fake_slack::APP_TOKEN),
    ];
    let Some(mut world) = SlackWorld::start_with("slack socket refresh", "", &vars).await else {
        return;
    };
    connections(&world, 1).await;
    command_acknowledged(&mut world, "help").await;

    // Slack refreshes connections: the next one is opened, then the old one closed.
    world.fake.socket_refresh();
    connections(&world, 2).await;
    command_acknowledged(&mut world, "help").await;

    // A connection that drops is opened again.
    world.fake.socket_drop();
    connections(&world, 3).await;
    command_acknowledged(&mut world, "help").await;

    let opened = world.fake.ok_calls("apps.connections.open").len();
    assert_eq!(opened, 3, "one apps.connections.open per connection");
    world
        .fake
        .wait_for("three help answers", WORK, |w| {
            (w.responses.len() >= 3).then_some(())
        })
        .await;
    let violations = world.fake.world(|w| w.violations.clone());
    assert!(violations.is_empty(), "{violations:#?}");
}
