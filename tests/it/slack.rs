//! Slack end to end: a real `warroom serve` talks to a strict fake of Slack's Web API, and
//! every request to Warroom is signed by Slack's official Python SDK. One incident is played
//! from `/incident declare` to the uploaded post-mortem; forged, stale, replayed, unknown and
//! malformed requests are refused and change nothing.

use std::time::Duration;

use serde_json::Value;
use warroom::domain::{EventKind, IncidentNumber, Status};

use crate::support::slack_world;
use slack_world::{SlackWorld, WORK, buttons};

const FORM: &str = "application/x-www-form-urlencoded";

/// The war room the fake holds for incident 1: its id.
fn war_room(world: &SlackWorld) -> Option<String> {
    world.fake.world(|w| {
        w.channels
            .values()
            .find(|c| c.name.starts_with("inc-1-"))
            .map(|c| c.id.clone())
    })
}

/// The ts of the first message in `channel` whose blocks contain `needle`.
async fn message_with(world: &SlackWorld, channel: &str, needle: &str) -> String {
    world
        .fake
        .wait_for(&format!("a message with {needle}"), WORK, |w| {
            w.channels[channel]
                .messages
                .iter()
                .find(|m| m.blocks.to_string().contains(needle) || m.text.contains(needle))
                .map(|m| m.ts.clone())
        })
        .await
}

/// The action id and value of the `label` button in the actions block after the block that
/// mentions `marker`.
fn button_after(
    world: &SlackWorld,
    channel: &str,
    ts: &str,
    marker: &str,
    label: &str,
) -> (String, String) {
    world.fake.world(|w| {
        let m = w.channels[channel]
            .messages
            .iter()
            .find(|m| m.ts == ts)
            .unwrap();
        let blocks = m.blocks.as_array().unwrap();
        let at = blocks
            .iter()
            .position(|b| b.to_string().contains(marker))
            .unwrap_or_else(|| panic!("no {marker} in {}", m.blocks));
        let found = blocks[at..]
            .iter()
            .find(|b| b["type"] == "actions")
            .map(|b| buttons(&Value::Array(vec![b.clone()])))
            .unwrap_or_default();
        let b = found
            .iter()
            .find(|b| b["text"]["text"] == label)
            .unwrap_or_else(|| panic!("no {label} after {marker}"));
        (
            b["action_id"].as_str().unwrap().to_owned(),
            b["value"].as_str().unwrap().to_owned(),
        )
    })
}

async fn press_by_id(
    world: &mut SlackWorld,
    user: &str,
    channel: &str,
    (action, value): (String, String),
) {
    let body = world.press_body(user, channel, &action, &value);
    let answer = world.signed("/slack/interactions", FORM, body, None).await;
    assert_eq!(answer.status, 200, "{answer:?}");
}

async fn events_of(world: &SlackWorld) -> Vec<EventKind> {
    let store = world.store().await;
    store
        .timeline(IncidentNumber(1))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

async fn wait_for_event(world: &SlackWorld, what: &str, found: impl Fn(&EventKind) -> bool) {
    let until = std::time::Instant::now() + WORK;
    loop {
        if events_of(world).await.iter().any(&found) {
            return;
        }
        assert!(
            std::time::Instant::now() < until,
            "no {what} on the timeline"
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_is_played_from_the_slash_command_to_the_uploaded_postmortem() {
    let Some(mut world) = SlackWorld::start("slack end to end", "").await else {
        return;
    };
    // Declare: the answer comes at once, the war room follows.
    world
        .command(
            "U0ALICE",
            "C0GENERAL",
            "declare p1 API actions test returns 500s",
        )
        .await;
    let room = world
        .fake
        .wait_for("the war room, its card pinned", WORK, |w| {
            let room = w.channels.values().find(|c| c.name.starts_with("inc-1-"))?;
            (!room.pins.is_empty()).then(|| room.id.clone())
        })
        .await;
    let (name, topic, members, card) = world.fake.world(|w| {
        let c = &w.channels[&room];
        (
            c.name.clone(),
            c.topic.clone(),
            c.members.clone(),
            c.pins[0].clone(),
        )
    });
    assert_eq!(name, "inc-1-api-actions-test-returns-500s");
    assert!(topic.contains("P1"), "{topic}");
    for person in ["U0ALICE", "U0RESP"] {
        assert!(
            members.contains(&person.to_owned()),
            "{person} not in {members:?}"
        );
    }
    message_with(&world, "C0ANNOUNCE", "INC-1").await;

    // Acknowledge on the card: the card is edited and loses the button.
    world.press("U0ALICE", &room, &card, "Acknowledge").await;
    wait_for_event(&world, "acknowledgement", |k| {
        matches!(k, EventKind::Acknowledged)
    })
    .await;
    world
        .fake
        .wait_for("the card edited without Acknowledge", WORK, |w| {
            let m = w.channels[&room].messages.iter().find(|m| m.ts == card)?;
            let gone = !buttons(&m.blocks)
                .iter()
                .any(|b| b["text"]["text"] == "Acknowledge");
            (m.edits > 0 && gone).then_some(())
        })
        .await;

    // Attach the suggested runbook.
    let suggestions = message_with(&world, &room, "Attach 1").await;
    world
        .press("U0ALICE", &room, &suggestions, "Attach 1")
        .await;
    let runbook = message_with(&world, &room, "Show the pod argument").await;

    // A read step that needs a parameter: Run opens a modal, its submission runs the step.
    let run = button_after(&world, &room, &runbook, "Show the pod argument", "Run");
    press_by_id(&mut world, "U0BOB", &room, run).await;
    let view = world
        .fake
        .wait_for("the parameters modal", WORK, |w| {
            w.views.first().map(|v| v.1.clone())
        })
        .await;
    world
        .submit("U0BOB", &view, &[("pod_name", "api-7f9c")])
        .await;
    world
        .fake
        .wait_for(
            "the read step's output in the runbook's thread",
            WORK,
            |w| {
                w.channels[&room]
                    .messages
                    .iter()
                    .find(|m| {
                        m.thread_ts.as_deref() == Some(runbook.as_str())
                            && m.blocks.to_string().contains("api-7f9c")
                    })
                    .map(|_| ())
            },
        )
        .await;

    // A write step: requested by Alice, refused to Bob (no approver), approved by Dave.
    let run = button_after(&world, &room, &runbook, "Restart the API", "Run");
    press_by_id(&mut world, "U0ALICE", &room, run).await;
    let approval = message_with(&world, &room, "approval needed").await;
    let (approve, _) = world.button(&room, &approval, "Approve");
    let has_confirm = world.fake.world(|w| {
        let m = w.channels[&room]
            .messages
            .iter()
            .find(|m| m.ts == approval)
            .unwrap();
        buttons(&m.blocks)
            .iter()
            .any(|b| b["action_id"] == approve.as_str() && b.get("confirm").is_some())
    });
    assert!(has_confirm, "Approve asks for confirmation");
    let refused_before = world.fake.world(|w| w.responses.len());
    world.press("U0BOB", &room, &approval, "Approve").await;
    world
        .fake
        .wait_for("Bob's private refusal", WORK, |w| {
            w.responses[refused_before..]
                .iter()
                .find(|(_, body)| body.to_string().contains("approver"))
                .map(|_| ())
        })
        .await;
    world.press("U0DAVE", &room, &approval, "Approve").await;
    world
        .fake
        .wait_for("the write step's output", WORK, |w| {
            w.channels[&room]
                .messages
                .iter()
                .find(|m| {
                    m.blocks
                        .to_string()
                        .contains("deployment.apps/api restarted")
                })
                .map(|_| ())
        })
        .await;
    let approvals: Vec<EventKind> = events_of(&world)
        .await
        .into_iter()
        .filter(|k| matches!(k, EventKind::ActionApproved { .. }))
        .collect();
    assert_eq!(approvals.len(), 1, "Bob's press approved nothing");

    // A :pushpin: on a person's message puts it on the timeline, once however often Slack
    // delivers the event.
    let said = world
        .fake
        .add_message(&room, "U0BOB", "error rate is 100% on /pay");
    let body = SlackWorld::reaction_body("Ev0PIN1", "U0ALICE", "pushpin", &room, &said);
    let answer = world
        .signed("/slack/events", "application/json", body.clone(), None)
        .await;
    assert_eq!(answer.status, 200);
    wait_for_event(&world, "the pinned message", |k| {
        matches!(k, EventKind::Quoted { author, text, .. }
            if author.as_str() == "U0BOB" && text.as_str() == "error rate is 100% on /pay")
    })
    .await;
    let ts = chrono::Utc::now().timestamp().to_string();
    let signature = world.sdk.sign(slack_world::SECRET, &ts, &body);
    let retry = [
        ("x-slack-retry-num", "1".to_owned()),
        ("x-slack-retry-reason", "http_timeout".to_owned()),
    ];
    let again = world
        .raw(
            "/slack/events",
            "application/json",
            body,
            &ts,
            &signature,
            &retry,
        )
        .await;
    assert_eq!(again.status, 200);
    let quotes = events_of(&world)
        .await
        .iter()
        .filter(|k| matches!(k, EventKind::Quoted { .. }))
        .count();
    assert_eq!(quotes, 1, "a retried event acts once");

    // Resolve from the card (it asks first), then the post-mortem as a file in the war room.
    let resolve = world.fake.world(|w| {
        let m = w.channels[&room]
            .messages
            .iter()
            .find(|m| m.ts == card)
            .unwrap();
        buttons(&m.blocks)
            .into_iter()
            .find(|b| b["text"]["text"] == "Resolve")
            .unwrap()
    });
    assert!(
        resolve.get("confirm").is_some(),
        "Resolve asks for confirmation"
    );
    world.press("U0ALICE", &room, &card, "Resolve").await;
    wait_for_event(&world, "resolution", |k| {
        matches!(
            k,
            EventKind::StatusChanged {
                to: Status::Resolved,
                ..
            }
        )
    })
    .await;
    world.command("U0ALICE", &room, "postmortem").await;
    let file = world
        .fake
        .wait_for("the post-mortem file", WORK, |w| w.files.first().cloned())
        .await;
    assert_eq!(file.channel.as_deref(), Some(room.as_str()));
    assert_eq!(file.filename, "INC-1-postmortem.md");
    assert_eq!(
        file.title.as_deref(),
        Some("Post-mortem draft: INC-1 API actions test returns 500s")
    );
    let text = String::from_utf8(file.content).unwrap();
    assert!(text.contains("API actions test returns 500s"), "{text}");
    assert!(
        text.contains("deployment.apps/api restarted") || text.contains("Restart the API"),
        "{text}"
    );

    let violations = world.fake.world(|w| w.violations.clone());
    assert!(
        violations.is_empty(),
        "Warroom broke Slack's rules: {violations:#?}"
    );
    assert!(war_room(&world).is_some());
}
