//! Stories about the outbox: entries are written with the change that caused them (and not
//! at all when the change is refused), each lane gives out its entries one at a time and in
//! order, however many claim at once, a lease that ran out is taken over, and what waits is
//! counted per chat.

use std::collections::BTreeMap;

use warroom::domain::Platform;
use warroom::domain::{EventKind, IncidentNumber, NoteText, Severity};
use warroom::store::{OutboxEntry, Store, StoreError};

use super::declare;
use super::support::{at, title, user};

fn entry(lane: &str, incident: Option<IncidentNumber>, body: &str) -> OutboxEntry {
    OutboxEntry {
        platform: Platform::Slack,
        lane: lane.into(),
        incident,
        kind: "post".into(),
        body: body.into(),
        delay_secs: 0,
    }
}

pub async fn outbox_entries_are_written_with_their_change_and_not_without_it(store: Store) {
    let made = |incident: &warroom::domain::Incident| {
        vec![entry(
            &format!("inc-{}", incident.number.0),
            Some(incident.number),
            "create",
        )]
    };
    let (incident, _) = store
        .declare_told(
            &title("Checkout API returns 500s"),
            Severity::P1,
            &user("alice"),
            at(0),
            &warroom::store::Told {
                chat: Some(Platform::Slack),
                effects: &made,
                timers: &|incident| {
                    vec![(
                        warroom::domain::TimerKind::Page { level: 1 },
                        incident.declared_at + chrono::Duration::minutes(5),
                    )]
                },
                acknowledged: false,
                drill: false,
                private: false,
            },
        )
        .await
        .unwrap();
    // The timers the incident starts with are written with it.
    assert_eq!(
        store.next_due().await.unwrap(),
        Some(at(0) + chrono::Duration::minutes(5))
    );
    assert_eq!(
        store.incident_chat(incident.number).await.unwrap(),
        Some(Platform::Slack)
    );
    let note = incident.event(
        EventKind::Note {
            text: NoteText::parse("error rate 38%").unwrap(),
        },
        user("bob"),
        at(1),
    );
    let mut after = incident.clone();
    after.apply(&note);
    let told = [entry("inc-1", Some(incident.number), "note")];
    store.record_told(&after, &note, &told).await.unwrap();
    // A stale change is refused, and what it would have told is not written either.
    let stale = store
        .record_told(
            &after,
            &note,
            &[entry("inc-1", Some(incident.number), "stale")],
        )
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    let lane = store.outbox_lane(Platform::Slack, "inc-1").await.unwrap();
    assert_eq!(lane.len(), 2, "{lane:?}");
    assert!(lane.iter().all(|(_, state, _)| state == "pending"));
    let backlog = store.outbox_backlog(Platform::Slack, at(0)).await.unwrap();
    assert_eq!(backlog.pending, 2);
    assert_eq!(backlog.oldest, Some(at(0)));
    assert_eq!(
        store
            .outbox_backlog(Platform::Matrix, at(0))
            .await
            .unwrap()
            .pending,
        0
    );
}

pub async fn a_lane_gives_out_its_entries_one_at_a_time_in_order(store: Store) {
    let a = declare(&store, "Checkout API returns 500s").await.number;
    let b = declare(&store, "Search is slow").await.number;
    let entries: Vec<OutboxEntry> = (0..3)
        .flat_map(|i| {
            [
                entry("inc-1", Some(a), &format!("a{i}")),
                entry("inc-2", Some(b), &format!("b{i}")),
            ]
        })
        .collect();
    store.enqueue(&entries, at(0)).await.unwrap();
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for round in 0..3 {
        let claimed = store
            .claim_outbox(Platform::Slack, at(10), "me", at(70), 100)
            .await
            .unwrap();
        // The head of each lane, and nothing behind a head that is not delivered.
        assert_eq!(claimed.len(), 2, "round {round}: {claimed:?}");
        let again = store
            .claim_outbox(Platform::Slack, at(10), "other", at(70), 100)
            .await
            .unwrap();
        assert!(again.is_empty(), "a claimed head was given out twice");
        for item in claimed {
            seen.entry(item.lane.clone())
                .or_default()
                .push(item.body.clone());
            assert!(
                store
                    .outbox_delivered(item.id, "me", at(11), Some("1712.0001"))
                    .await
                    .unwrap()
            );
        }
    }
    assert_eq!(seen["inc-1"], ["a0", "a1", "a2"]);
    assert_eq!(seen["inc-2"], ["b0", "b1", "b2"]);
    assert_eq!(
        store
            .outbox_backlog(Platform::Slack, at(0))
            .await
            .unwrap()
            .pending,
        0
    );
    assert_eq!(store.outbox_next_due(Platform::Slack).await.unwrap(), None);
    let lane = store.outbox_lane(Platform::Slack, "inc-1").await.unwrap();
    assert!(
        lane.iter()
            .all(|(_, s, made)| s == "delivered" && made.as_deref() == Some("1712.0001"))
    );
}

pub async fn a_failed_head_holds_its_lane_until_its_retry_and_a_refusal_lets_it_move_on(
    store: Store,
) {
    let a = declare(&store, "Checkout API returns 500s").await.number;
    let entries = [
        entry("inc-1", Some(a), "first"),
        entry("inc-1", Some(a), "second"),
        entry("inc-1", Some(a), "third"),
    ];
    store.enqueue(&entries, at(0)).await.unwrap();
    let head = store
        .claim_outbox(Platform::Slack, at(1), "me", at(61), 10)
        .await
        .unwrap();
    assert_eq!(head.len(), 1);
    assert_eq!(head[0].attempts, 1);
    store
        .outbox_retry(
            head[0].id,
            "me",
            at(30),
            "Slack's chat.postMessage could not be reached",
        )
        .await
        .unwrap();
    // Before its retry is due nothing of the lane is given out, not even what is behind it.
    assert!(
        store
            .claim_outbox(Platform::Slack, at(29), "me", at(89), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.outbox_next_due(Platform::Slack).await.unwrap(),
        Some(at(30))
    );
    let backlog = store.outbox_backlog(Platform::Slack, at(0)).await.unwrap();
    let (reason, since) = backlog.failing.expect("a failing entry");
    assert!(reason.contains("could not be reached"));
    assert_eq!(since, at(0));
    let again = store
        .claim_outbox(Platform::Slack, at(30), "me", at(90), 10)
        .await
        .unwrap();
    assert_eq!((again[0].body.as_str(), again[0].attempts), ("first", 2));
    store
        .outbox_failed(again[0].id, "me", at(31), "channel_not_found")
        .await
        .unwrap();
    let next = store
        .claim_outbox(Platform::Slack, at(31), "me", at(91), 10)
        .await
        .unwrap();
    assert_eq!(next[0].body, "second");
    assert_eq!(
        store
            .outbox_backlog(Platform::Slack, at(0))
            .await
            .unwrap()
            .refused,
        1
    );
}

pub async fn a_head_whose_lease_ran_out_is_taken_over_and_its_first_claimer_cannot_mark_it(
    store: Store,
) {
    let a = declare(&store, "Checkout API returns 500s").await.number;
    store
        .enqueue(&[entry("inc-1", Some(a), "card")], at(0))
        .await
        .unwrap();
    let first = store
        .claim_outbox(Platform::Slack, at(1), "dead", at(61), 10)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert!(
        store
            .claim_outbox(Platform::Slack, at(60), "alive", at(120), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let taken = store
        .claim_outbox(Platform::Slack, at(62), "alive", at(122), 10)
        .await
        .unwrap();
    assert_eq!((taken[0].id, taken[0].attempts), (first[0].id, 2));
    assert!(
        !store
            .outbox_delivered(first[0].id, "dead", at(63), None)
            .await
            .unwrap()
    );
    assert!(
        store
            .outbox_delivered(taken[0].id, "alive", at(63), None)
            .await
            .unwrap()
    );
}

pub async fn each_lane_head_goes_to_one_of_many_concurrent_claimers(store: Store) {
    let mut entries = Vec::new();
    for i in 0..20 {
        let n = declare(&store, &format!("Incident {i}")).await.number;
        for j in 0..3 {
            entries.push(entry(&format!("inc-{}", n.0), Some(n), &format!("{i}-{j}")));
        }
    }
    store.enqueue(&entries, at(0)).await.unwrap();
    // What "the chat" received, in the order it received it: an entry is delivered (pushed)
    // before it is marked, as a delivery worker does.
    let chat = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    // Eight claimers race until everything is delivered; each delivers what it claimed.
    loop {
        let mut racers = Vec::new();
        for r in 0..8 {
            let store = store.clone();
            let chat = chat.clone();
            racers.push(tokio::spawn(async move {
                let owner = format!("replica-{r}");
                let got = store
                    .claim_outbox(Platform::Slack, at(5), &owner, at(65), 7)
                    .await
                    .unwrap();
                for item in &got {
                    chat.lock().unwrap().push(item.body.clone());
                    assert!(
                        store
                            .outbox_delivered(item.id, &owner, at(6), None)
                            .await
                            .unwrap()
                    );
                }
                got.len()
            }));
        }
        let mut round = 0;
        for racer in racers {
            round += racer.await.unwrap();
        }
        if round == 0 {
            break;
        }
    }
    let delivered = chat.lock().unwrap().clone();
    assert_eq!(delivered.len(), 60, "each entry once");
    for i in 0..20 {
        let order: Vec<&String> = delivered
            .iter()
            .filter(|b| b.starts_with(&format!("{i}-")))
            .collect();
        assert_eq!(
            order,
            [&format!("{i}-0"), &format!("{i}-1"), &format!("{i}-2")]
        );
    }
}

pub async fn an_open_incident_of_a_chat_without_a_war_room_there_is_found_for_repair(store: Store) {
    let nothing = |_: &warroom::domain::Incident| Vec::new();
    let (lost, _) = store
        .declare_told(
            &title("Lost room"),
            Severity::P1,
            &user("alice"),
            at(0),
            &warroom::store::Told {
                chat: Some(Platform::Slack),
                effects: &nothing,
                timers: &|_| Vec::new(),
                acknowledged: false,
                drill: false,
                private: false,
            },
        )
        .await
        .unwrap();
    let (waiting, _) = store
        .declare_told(
            &title("Room on its way"),
            Severity::P1,
            &user("alice"),
            at(0),
            &warroom::store::Told {
                chat: Some(Platform::Slack),
                effects: &nothing,
                timers: &|_| Vec::new(),
                acknowledged: false,
                drill: false,
                private: false,
            },
        )
        .await
        .unwrap();
    let mut create = entry("inc-2", Some(waiting.number), "{}");
    create.kind = "create_war_room".into();
    store.enqueue(&[create], at(0)).await.unwrap();
    let found = store
        .incidents_without_war_room(Platform::Slack)
        .await
        .unwrap();
    assert_eq!(found, vec![lost.number]);
    assert!(
        store
            .incidents_without_war_room(Platform::Matrix)
            .await
            .unwrap()
            .is_empty()
    );
    // A creation the chat refused for good is not asked again.
    let claimed = store
        .claim_outbox(Platform::Slack, at(1), "me", at(61), 10)
        .await
        .unwrap();
    let create = claimed
        .iter()
        .find(|i| i.incident == Some(waiting.number))
        .expect("the waiting creation");
    store
        .outbox_failed(create.id, "me", at(2), "restricted_action")
        .await
        .unwrap();
    let found = store
        .incidents_without_war_room(Platform::Slack)
        .await
        .unwrap();
    assert_eq!(found, vec![lost.number]);
}

/// The daily digest is posted once however many replicas try at once: one claims the day and
/// its posts are written with the claim; the others write nothing.
pub async fn a_day_s_digest_is_claimed_once_by_concurrent_replicas(store: Store) {
    let day = at(0).date_naive();
    assert!(!store.digest_posted(day).await.unwrap());
    let mut racers = Vec::new();
    for r in 0..10 {
        let store = store.clone();
        racers.push(tokio::spawn(async move {
            let post = entry("room-C0INCIDENTS", None, &format!("digest by replica {r}"));
            store.claim_digest(day, at(1), &[post]).await.unwrap()
        }));
    }
    let mut won = 0;
    for racer in racers {
        won += usize::from(racer.await.unwrap());
    }
    assert_eq!(won, 1);
    assert!(store.digest_posted(day).await.unwrap());
    let posted = store
        .claim_outbox(Platform::Slack, at(2), "worker", at(62), 100)
        .await
        .unwrap();
    assert_eq!(posted.len(), 1, "{posted:?}");
    assert!(posted[0].body.starts_with("digest by replica"));
    // The next day is a day of its own.
    let tomorrow = day.succ_opt().unwrap();
    assert!(!store.digest_posted(tomorrow).await.unwrap());
}
