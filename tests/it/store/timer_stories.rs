//! Stories about durable timers: claimed once, late rather than never, cancelled by kind.

use std::collections::BTreeSet;

use warroom::domain::{EventKind, Incident, NoteText, TimerKind, UserId};
use warroom::store::{Cancel, Store, TimerPage};

use super::declare;

pub async fn each_due_timer_goes_to_one_of_many_concurrent_claimers(store: Store) {
    let incident = declare(&store, "Checkout API returns 500s").await.number;
    let timers: Vec<_> = (1..=50)
        .map(|level| (TimerKind::Page { level }, super::at(0)))
        .collect();
    store.schedule_timers(incident, &timers).await.unwrap();
    let mut claimers = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        claimers.push(tokio::spawn(async move {
            store
                .claim_due(super::at(1), &format!("replica-{i}"), super::at(2), 100)
                .await
                .unwrap()
        }));
    }
    let mut ids = BTreeSet::new();
    let mut total = 0;
    for claimer in claimers {
        for timer in claimer.await.unwrap() {
            total += 1;
            ids.insert(timer.id);
        }
    }
    assert_eq!(total, 50, "every timer claimed once");
    assert_eq!(ids.len(), 50);
}

pub async fn an_approval_timer_reads_back_with_its_request(store: Store) {
    let incident = declare(&store, "Checkout API returns 500s").await.number;
    let timers = [
        (TimerKind::Approval { request: 41 }, super::at(7)),
        (TimerKind::Remind, super::at(7)),
    ];
    store.schedule_timers(incident, &timers).await.unwrap();
    let claimed = store
        .claim_due(super::at(8), "replica", super::at(9), 10)
        .await
        .unwrap();
    let mut kinds: Vec<TimerKind> = claimed.iter().map(|t| t.kind).collect();
    kinds.sort_by_key(|k| format!("{k:?}"));
    assert_eq!(
        kinds,
        [TimerKind::Approval { request: 41 }, TimerKind::Remind]
    );
}

pub async fn an_acknowledge_link_is_used_once(store: Store) {
    let incident = declare(&store, "Checkout API returns 500s").await.number;
    let link = "1|1|1767628800|carol";
    assert_eq!(store.ack_link_used(link).await.unwrap(), None);
    let mut racers = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        racers.push(tokio::spawn(async move {
            store
                .use_ack_link(link, incident, super::at(3))
                .await
                .unwrap()
        }));
    }
    let mut won = 0;
    for racer in racers {
        won += usize::from(racer.await.unwrap());
    }
    assert_eq!(won, 1, "one use of eight at once");
    assert_eq!(store.ack_link_used(link).await.unwrap(), Some(super::at(3)));
}

pub async fn a_claim_whose_lease_ran_out_is_taken_over_and_fires_once(store: Store) {
    let incident = declare(&store, "Checkout API returns 500s").await.number;
    store
        .schedule_timers(incident, &[(TimerKind::Page { level: 2 }, super::at(5))])
        .await
        .unwrap();
    assert!(
        store
            .claim_due(super::at(4), "a", super::at(7), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let first = store
        .claim_due(super::at(5), "a", super::at(7), 10)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].kind, TimerKind::Page { level: 2 });
    assert_eq!(first[0].due_at, super::at(5));
    // While a's lease holds, nobody else gets it; the next look is at the lease's end.
    assert!(
        store
            .claim_due(super::at(6), "b", super::at(9), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.next_due().await.unwrap(), Some(super::at(7)));
    // a died: after its lease, b takes over; a can no longer mark it fired, b can, once.
    let second = store
        .claim_due(super::at(8), "b", super::at(10), 10)
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert!(
        !store
            .mark_fired(second[0].id, "a", super::at(8))
            .await
            .unwrap()
    );
    assert!(
        store
            .mark_fired(second[0].id, "b", super::at(8))
            .await
            .unwrap()
    );
    assert!(
        !store
            .mark_fired(second[0].id, "b", super::at(8))
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_due(super::at(30), "c", super::at(31), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.next_due().await.unwrap(), None);
}

pub async fn acknowledging_cancels_pages_and_resolving_cancels_the_rest(store: Store) {
    let incident = declare(&store, "Checkout API returns 500s").await.number;
    store
        .schedule_timers(
            incident,
            &[
                (TimerKind::Page { level: 2 }, super::at(5)),
                (TimerKind::Remind, super::at(10)),
            ],
        )
        .await
        .unwrap();
    assert_eq!(store.next_due().await.unwrap(), Some(super::at(5)));
    assert_eq!(
        store.cancel_timers(incident, Cancel::Pages).await.unwrap(),
        1
    );
    assert_eq!(store.next_due().await.unwrap(), Some(super::at(10)));
    assert_eq!(store.cancel_timers(incident, Cancel::All).await.unwrap(), 1);
    assert_eq!(store.next_due().await.unwrap(), None);
}

/// A page of a batch: the incident after a Paged event for `timer`.
fn page_of(incident: &Incident, timer: i64, level: u32) -> TimerPage {
    let kind = EventKind::Paged {
        level,
        people: vec![super::user("bob")],
        groups: Vec::new(),
        unresolved: Vec::new(),
        late_secs: 0,
        timer: Some(timer),
    };
    let event = incident.event(kind, UserId::warroom(), super::at(5));
    let mut after = incident.clone();
    after.apply(&event);
    TimerPage {
        timer,
        incident: after,
        event,
        outbox: Vec::new(),
    }
}

pub async fn a_batch_records_the_pages_that_fit_and_leaves_the_moved_on_ones_claimed(store: Store) {
    let a = declare(&store, "Checkout API returns 500s").await;
    let b = declare(&store, "Search is slow").await;
    let c = declare(&store, "Login fails").await;
    for (incident, levels) in [(&a, 1..=2), (&b, 1..=1), (&c, 1..=1)] {
        let timers: Vec<_> = levels
            .map(|level| (TimerKind::Page { level }, super::at(5)))
            .collect();
        store
            .schedule_timers(incident.number, &timers)
            .await
            .unwrap();
    }
    let claimed = store
        .claim_due(super::at(5), "a", super::at(7), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 4);
    let id = |incident: &Incident, level: u32| {
        claimed
            .iter()
            .find(|t| t.incident == incident.number && t.kind == TimerKind::Page { level })
            .expect("claimed")
            .id
    };
    // b moves on (a note) after the scheduler read it.
    let stale_b = b.clone();
    let note = b
        .note(NoteText::parse("looking at the index").unwrap())
        .unwrap();
    let noted = b.event(note, super::user("carol"), super::at(4));
    let mut b_now = b.clone();
    b_now.apply(&noted);
    store.record(&b_now, &noted).await.unwrap();

    let first = page_of(&a, id(&a, 1), 1);
    let second = page_of(&first.incident, id(&a, 2), 2);
    let pages = [first, page_of(&stale_b, id(&b, 1), 1), second];
    let refused = store
        .fire_timers(&pages, &[id(&c, 1)], "a", super::at(5))
        .await
        .unwrap();
    assert_eq!(refused, vec![id(&b, 1)]);

    let a_events = store.timeline(a.number).await.unwrap();
    assert_eq!(a_events.len(), 3, "declared, paged level 1, paged level 2");
    assert_eq!(store.incident(a.number).await.unwrap().unwrap().version, 3);
    let b_events = store.timeline(b.number).await.unwrap();
    assert!(
        !b_events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Paged { .. })),
        "nothing of the refused page is written"
    );
    assert_eq!(store.incident(b.number).await.unwrap(), Some(b_now));
    // The refused page's claim stands: after its lease it is the only timer left to take.
    let left = store
        .claim_due(super::at(8), "b", super::at(10), 10)
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, id(&b, 1));
}

pub async fn a_batch_by_someone_whose_claims_ran_out_marks_nothing_fired(store: Store) {
    let a = declare(&store, "Checkout API returns 500s").await;
    store
        .schedule_timers(a.number, &[(TimerKind::Page { level: 1 }, super::at(5))])
        .await
        .unwrap();
    let claimed = store
        .claim_due(super::at(5), "a", super::at(7), 10)
        .await
        .unwrap();
    let taken = store
        .claim_due(super::at(8), "b", super::at(10), 10)
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    // a wakes up late: its page is recorded (b will find it on the timeline), but the timer
    // stays b's to mark.
    let refused = store
        .fire_timers(&[page_of(&a, claimed[0].id, 1)], &[], "a", super::at(9))
        .await
        .unwrap();
    assert!(refused.is_empty());
    assert_eq!(store.next_due().await.unwrap(), Some(super::at(10)));
    assert!(
        store
            .mark_fired(taken[0].id, "b", super::at(9))
            .await
            .unwrap()
    );
    assert_eq!(store.next_due().await.unwrap(), None);
}
