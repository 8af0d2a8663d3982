//! Slack down when it is needed: a real `warroom serve` declares an incident while the fake
//! Slack refuses every connection, and when Slack is back the war room, the card, the
//! announcements and the page arrive, each once and in order, and the timeline says when the
//! page was delivered.

use std::time::Duration;

use warroom::domain::Platform;
use warroom::domain::{EventKind, IncidentNumber, UserId};

use crate::support::slack_world;
use slack_world::{SlackWorld, WORK};

/// Pages U0ONCALL at once for a P1.
const PAGE_ONCALL: &str = r#"
[escalation.p1]
levels = [{ after = "0m", targets = ["@U0ONCALL"] }]
reminder = "off"
"#;

/// The index of the first successful call of `method` whose arguments contain `needle`.
fn call_index(world: &SlackWorld, method: &str, needle: &str) -> Option<usize> {
    world.fake.world(|w| {
        w.calls.iter().position(|c| {
            c.method == method
                && c.error.is_none()
                && serde_json::Value::Object(c.args.clone())
                    .to_string()
                    .contains(needle)
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declare_while_slack_is_down_arrives_whole_and_once_when_it_is_back() {
    let Some(mut world) = SlackWorld::start("slack_outage", PAGE_ONCALL).await else {
        return;
    };
    world.fake.go_down();
    world
        .command(
            "U0ALICE",
            "C0GENERAL",
            "declare p1 Checkout API returns 500s",
        )
        .await;

    // Recorded, and waiting: nothing reached Slack, the page is on the timeline as decided.
    let store = world.store().await;
    let until = std::time::Instant::now() + WORK;
    loop {
        let timeline = store.timeline(IncidentNumber(1)).await.unwrap();
        if timeline
            .iter()
            .any(|e| matches!(e.kind, EventKind::Paged { .. }))
        {
            break;
        }
        assert!(std::time::Instant::now() < until, "no page was decided");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let waiting = store
        .outbox_backlog(
            Platform::Slack,
            chrono::Utc::now() - chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    assert!(waiting.pending >= 7, "{waiting:?}");
    assert!(waiting.failing.is_some(), "{waiting:?}");
    assert!(world.fake.ok_calls("conversations.create").is_empty());
    let health = world.client.get(&format!("{}/healthz", world.url)).await;
    assert_eq!(health.status, 200, "{health:?}");
    assert!(health.body.contains("\"degraded\""), "{}", health.body);
    assert!(health.body.contains("\"pending\""), "{}", health.body);

    world.fake.come_back().await;
    let war_room = world
        .fake
        .wait_for("the war room", WORK, |w| {
            w.channels
                .values()
                .find(|c| c.name.starts_with("inc-1-"))
                .map(|c| c.id.clone())
        })
        .await;
    let page = world
        .fake
        .wait_for("the page's direct message", WORK, |w| {
            w.channels
                .values()
                .find(|c| c.is_im && c.members.iter().any(|m| m == "U0ONCALL"))
                .and_then(|c| c.messages.iter().find(|m| m.text.contains("You are paged")))
                .map(|m| m.ts.clone())
        })
        .await;
    assert!(!page.is_empty());
    // Each once: one war room, one card, one announcement per channel, one page.
    world.fake.world(|w| {
        let rooms = w
            .channels
            .values()
            .filter(|c| c.name.starts_with("inc-1"))
            .count();
        assert_eq!(rooms, 1, "war rooms");
        let room = &w.channels[&war_room];
        let cards = room
            .messages
            .iter()
            .filter(|m| m.blocks.to_string().contains("Acknowledge"))
            .count();
        assert_eq!(cards, 1, "cards");
        assert_eq!(room.pins.len(), 1, "pins");
        for channel in ["C0GENERAL", "C0ANNOUNCE"] {
            let announced = w.channels[channel]
                .messages
                .iter()
                .filter(|m| m.text.contains("INC-1"))
                .count();
            assert_eq!(announced, 1, "announcements in {channel}");
        }
        let pages = w
            .channels
            .values()
            .filter(|c| c.is_im)
            .flat_map(|c| c.messages.iter())
            .filter(|m| m.text.contains("You are paged"))
            .count();
        assert_eq!(pages, 1, "page DMs");
        // The page links to its war room and carries an Acknowledge button.
        let page = w
            .channels
            .values()
            .filter(|c| c.is_im)
            .flat_map(|c| c.messages.iter())
            .find(|m| m.text.contains("You are paged"))
            .expect("the page");
        let blocks = page.blocks.to_string();
        assert!(
            blocks.contains(&format!(
                "https://slack.com/app_redirect?channel={war_room}"
            )),
            "{blocks}"
        );
        assert!(blocks.contains("\"Acknowledge\""), "{blocks}");
        assert!(w.violations.is_empty(), "{:?}", w.violations);
    });
    // In order: the room, then the card, the announcement, then the page.
    let created = call_index(&world, "conversations.create", "inc-1").unwrap();
    let card = call_index(&world, "chat.postMessage", "Acknowledge").unwrap();
    let announced = call_index(&world, "chat.postMessage", "C0ANNOUNCE").unwrap();
    let paged = call_index(&world, "chat.postMessage", "You are paged").unwrap();
    assert!(created < card && card < announced && announced < paged);

    // The timeline says when the page was delivered: after the outage.
    let oncall = UserId::parse("U0ONCALL").unwrap();
    let until = std::time::Instant::now() + WORK;
    let delay = loop {
        let timeline = store.timeline(IncidentNumber(1)).await.unwrap();
        let found = timeline.iter().find_map(|e| match &e.kind {
            EventKind::PageDelivered {
                person, delay_secs, ..
            } if *person == oncall => Some(*delay_secs),
            _ => None,
        });
        if let Some(delay) = found {
            break delay;
        }
        assert!(
            std::time::Instant::now() < until,
            "no delivered page on the timeline"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(delay >= 5, "delivered {delay} s after it was sent");
    let backlog = store
        .outbox_backlog(
            Platform::Slack,
            chrono::Utc::now() - chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    assert_eq!((backlog.pending, backlog.refused), (0, 0), "{backlog:?}");
    let health = world.client.get(&format!("{}/healthz", world.url)).await;
    assert!(health.body.contains("\"ok\""), "{}", health.body);
}

/// How long a timer claimed by a process that died waits to be taken over (the escalation
/// service's 60 s lease), and some room for the firing.
const TIMER_TAKEOVER: Duration = Duration::from_secs(80);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_while_the_war_room_is_made_leaves_one_war_room_after_the_restart() {
    // A claim of a process that died is taken over after 2 s instead of a minute.
    let lease = [("WARROOM_DELIVERY_LEASE_SECS", "2")];
    let Some(mut world) =
        SlackWorld::start_with("slack_crash_before_room", PAGE_ONCALL, &lease).await
    else {
        return;
    };
    // Slack makes the channel but its answer never reaches the process that asked.
    world.fake.hold("conversations.create");
    world
        .command(
            "U0ALICE",
            "C0GENERAL",
            "declare p1 Checkout API returns 500s",
        )
        .await;
    world
        .fake
        .wait_for("the channel to be made", WORK, |w| {
            w.channels
                .values()
                .find(|c| c.name.starts_with("inc-1-"))
                .map(|_| ())
        })
        .await;
    world.crash();
    world.fake.release("conversations.create");
    assert!(world.fake.ok_calls("chat.postMessage").is_empty());

    world.restart();
    // The page's timer may have been claimed by the process that crashed, just before it did:
    // its claim then runs out after the timer lease (60 s) and the new process fires it. Late
    // rather than never, by design; the wait covers that lease.
    let page = world
        .fake
        .wait_for("the page after the restart", TIMER_TAKEOVER, |w| {
            w.channels
                .values()
                .filter(|c| c.is_im)
                .flat_map(|c| c.messages.iter())
                .find(|m| m.text.contains("You are paged"))
                .map(|m| m.ts.clone())
        })
        .await;
    assert!(!page.is_empty());
    world.fake.world(|w| {
        let rooms: Vec<&str> = w
            .channels
            .values()
            .filter(|c| c.name.starts_with("inc-1"))
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(
            rooms,
            ["inc-1-checkout-api-returns-500s"],
            "one war room, no -2"
        );
        let room = w
            .channels
            .values()
            .find(|c| c.name.starts_with("inc-1"))
            .unwrap();
        assert!(room.topic.starts_with("INC-1 · P1"), "{}", room.topic);
        let cards = room
            .messages
            .iter()
            .filter(|m| m.blocks.to_string().contains("Acknowledge"))
            .count();
        assert_eq!(cards, 1, "cards");
        assert!(w.violations.is_empty(), "{:?}", w.violations);
    });
    // The repeat asked Slack once more and found the channel instead of making another.
    let creates = world.fake.world(|w| {
        w.calls
            .iter()
            .filter(|c| c.method == "conversations.create")
            .map(|c| c.error.clone())
            .collect::<Vec<_>>()
    });
    assert_eq!(creates, [None, Some("name_taken".to_owned())]);
    assert_eq!(world.fake.ok_calls("conversations.list").len(), 1);
    let store = world.store().await;
    let room = store
        .war_room(Platform::Slack, IncidentNumber(1))
        .await
        .unwrap()
        .expect("the war room is recorded");
    assert_eq!(room.name, "inc-1-checkout-api-returns-500s");
}
