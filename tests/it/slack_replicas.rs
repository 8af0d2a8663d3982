//! Two replicas of `warroom serve` on one PostgreSQL database, and a Slack that answers 30 %
//! of its Web API calls with a 500 or a 429: 200 declarations and 1,000 notes, sent to either
//! replica at random moments. Every war room, card, announcement, note and page arrives
//! exactly once, and each war room shows its notes in the order the timeline recorded them.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use warroom::domain::Platform;
use warroom::domain::{EventKind, IncidentNumber};

use crate::support::postgres;
use crate::support::slack_world;
use slack_world::{SECRET, SlackWorld};

const INCIDENTS: usize = 200;
const NOTES: usize = 5;
/// How long everything may take to arrive, Slack's failures and the backoff included.
const DEADLINE: Duration = Duration::from_secs(240);

/// Pages U0ONCALL at once for a P1; no reminders.
const PAGE_ONCALL: &str = r#"
[escalation.p1]
levels = [{ after = "0m", targets = ["@U0ONCALL"] }]
reminder = "off"
"#;

/// Sends signed slash commands, each to one of `replicas` in turn, 16 at a time.
async fn send_all(world: &mut SlackWorld, replicas: &[String], texts: Vec<String>) {
    let bodies: Vec<String> = texts
        .iter()
        .map(|t| world.command_body("U0ALICE", "C0GENERAL", t))
        .collect();
    let ts = chrono::Utc::now().timestamp().to_string();
    let items: Vec<(String, String)> = bodies.iter().map(|b| (ts.clone(), b.clone())).collect();
    let signatures = world.sdk.sign_all(SECRET, &items);
    let client = world.client.clone();
    let sends = bodies
        .into_iter()
        .zip(signatures)
        .enumerate()
        .map(|(i, (body, signature))| {
            let client = client.clone();
            let url = format!("{}/slack/commands", replicas[i % replicas.len()]);
            let ts = ts.clone();
            async move {
                let headers = [
                    ("x-slack-request-timestamp", ts),
                    ("x-slack-signature", signature),
                ];
                let answer = client
                    .post(&url, &headers, "application/x-www-form-urlencoded", body)
                    .await;
                assert_eq!(answer.status, 200, "{answer:?}");
            }
        });
    futures_util::stream::iter(sends)
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_deliver_every_effect_once_and_in_order_while_slack_flaps() {
    let test = "two_replicas_deliver_every_effect_once_and_in_order_while_slack_flaps";
    let Some((_server, _name, url)) = postgres::fresh_postgres(test, "flap").await else {
        return;
    };
    let Some(mut world) = SlackWorld::start_on(test, PAGE_ONCALL, &[], Some(url)).await else {
        return;
    };
    let second = world.add_replica();
    let replicas = [world.url.clone(), second];
    world.fake.flap(30);
    let started = Instant::now();

    let declares = (1..=INCIDENTS)
        .map(|i| format!("declare p1 Service {i} returns 500s"))
        .collect();
    send_all(&mut world, &replicas, declares).await;
    let store = world.store().await;
    let until = started + DEADLINE;
    while store.open_incidents().await.unwrap().len() < INCIDENTS {
        assert!(Instant::now() < until, "not every declaration was recorded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Notes to every incident, interleaved across incidents and replicas.
    let notes = (0..NOTES)
        .flat_map(|j| (1..=INCIDENTS).map(move |n| format!("note INC-{n} finding {j}")))
        .collect();
    send_all(&mut world, &replicas, notes).await;
    let recorded = || async {
        let mut all = 0;
        for n in 1..=INCIDENTS {
            let timeline = store.timeline(IncidentNumber(n as u32)).await.unwrap();
            all += timeline
                .iter()
                .filter(|e| matches!(e.kind, EventKind::Note { .. }))
                .count();
        }
        all
    };
    while recorded().await < INCIDENTS * NOTES {
        assert!(Instant::now() < until, "not every note was recorded");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let a_while_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    loop {
        let backlog = store
            .outbox_backlog(Platform::Slack, a_while_ago)
            .await
            .unwrap();
        if backlog.pending == 0 {
            assert_eq!(backlog.refused, 0, "{backlog:?}");
            break;
        }
        assert!(
            Instant::now() < until,
            "the outbox did not drain: {backlog:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let drained = started.elapsed();

    let flaked = world.fake.world(|w| w.flaked);
    let calls = world.fake.world(|w| w.calls.len());
    assert!(flaked * 5 > calls, "{flaked} of {calls} calls failed");
    for n in 1..=INCIDENTS {
        let number = IncidentNumber(n as u32);
        let room = store
            .war_room(Platform::Slack, number)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("INC-{n} has no war room"));
        let timeline: Vec<String> = store
            .timeline(number)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|e| match e.kind {
                EventKind::Note { text } => Some(format!("noted: {text}")),
                _ => None,
            })
            .collect();
        world.fake.world(|w| {
            let channel = &w.channels[room.id.as_str()];
            let cards = channel
                .messages
                .iter()
                .filter(|m| m.blocks.to_string().contains("Acknowledge"))
                .count();
            assert_eq!(cards, 1, "cards of INC-{n}");
            let shown: Vec<String> = channel
                .messages
                .iter()
                .filter_map(|m| {
                    m.text
                        .find("noted: ")
                        .map(|at| m.text[at..].trim().to_owned())
                })
                .collect();
            assert_eq!(
                shown, timeline,
                "the notes of INC-{n}, in the timeline's order"
            );
        });
    }
    world.fake.world(|w| {
        let rooms: BTreeSet<&str> = w
            .channels
            .values()
            .filter(|c| c.name.starts_with("inc-"))
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(rooms.len(), INCIDENTS, "one war room each");
        assert!(rooms.iter().all(|r| !r.ends_with("-2")), "no second rooms");
        for channel in ["C0GENERAL", "C0ANNOUNCE"] {
            let mut announced: BTreeMap<String, usize> = BTreeMap::new();
            for m in &w.channels[channel].messages {
                if let Some(inc) = m.text.split_whitespace().next()
                    && inc.starts_with("INC-")
                {
                    *announced.entry(inc.to_owned()).or_default() += 1;
                }
            }
            assert_eq!(announced.len(), INCIDENTS, "announcements in {channel}");
            assert!(
                announced.values().all(|&c| c == 1),
                "{channel}: {announced:?}"
            );
        }
        let mut pages: BTreeMap<String, usize> = BTreeMap::new();
        for m in w
            .channels
            .values()
            .filter(|c| c.is_im)
            .flat_map(|c| c.messages.iter())
        {
            if let Some(rest) = m.text.strip_prefix("You are paged for ") {
                let inc = rest.split_whitespace().next().unwrap_or_default();
                *pages.entry(inc.to_owned()).or_default() += 1;
            }
        }
        assert_eq!(pages.len(), INCIDENTS, "pages");
        assert!(pages.values().all(|&c| c == 1), "{pages:?}");
        assert!(w.violations.is_empty(), "{:?}", w.violations);
    });
    println!(
        "{INCIDENTS} declares and {} notes through two replicas, {flaked} of {calls} Slack calls failed on purpose; all delivered in {drained:?}",
        INCIDENTS * NOTES
    );
}
