//! Stories about durable timers: claimed once, late rather than never, cancelled by kind.

use std::collections::BTreeSet;

use warroom::domain::TimerKind;
use warroom::store::{Cancel, Store};

use crate::declare;

pub async fn each_due_timer_goes_to_one_of_many_concurrent_claimers(store: Store) {
    let incident = declare(&store, "Checkout API returns 500s").await.number;
    let timers: Vec<_> = (1..=50)
        .map(|level| (TimerKind::Page { level }, crate::at(0)))
        .collect();
    store.schedule_timers(incident, &timers).await.unwrap();
    let mut claimers = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        claimers.push(tokio::spawn(async move {
            store
                .claim_due(crate::at(1), &format!("replica-{i}"), crate::at(2), 100)
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

pub async fn a_claim_whose_lease_ran_out_is_taken_over_and_fires_once(store: Store) {
    let incident = declare(&store, "Checkout API returns 500s").await.number;
    store
        .schedule_timers(incident, &[(TimerKind::Page { level: 2 }, crate::at(5))])
        .await
        .unwrap();
    assert!(
        store
            .claim_due(crate::at(4), "a", crate::at(7), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let first = store
        .claim_due(crate::at(5), "a", crate::at(7), 10)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].kind, TimerKind::Page { level: 2 });
    assert_eq!(first[0].due_at, crate::at(5));
    // While a's lease holds, nobody else gets it; the next look is at the lease's end.
    assert!(
        store
            .claim_due(crate::at(6), "b", crate::at(9), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.next_due().await.unwrap(), Some(crate::at(7)));
    // a died: after its lease, b takes over; a can no longer mark it fired, b can, once.
    let second = store
        .claim_due(crate::at(8), "b", crate::at(10), 10)
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert!(
        !store
            .mark_fired(second[0].id, "a", crate::at(8))
            .await
            .unwrap()
    );
    assert!(
        store
            .mark_fired(second[0].id, "b", crate::at(8))
            .await
            .unwrap()
    );
    assert!(
        !store
            .mark_fired(second[0].id, "b", crate::at(8))
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_due(crate::at(30), "c", crate::at(31), 10)
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
                (TimerKind::Page { level: 2 }, crate::at(5)),
                (TimerKind::Remind, crate::at(10)),
            ],
        )
        .await
        .unwrap();
    assert_eq!(store.next_due().await.unwrap(), Some(crate::at(5)));
    assert_eq!(
        store.cancel_timers(incident, Cancel::Pages).await.unwrap(),
        1
    );
    assert_eq!(store.next_due().await.unwrap(), Some(crate::at(10)));
    assert_eq!(store.cancel_timers(incident, Cancel::All).await.unwrap(), 1);
    assert_eq!(store.next_due().await.unwrap(), None);
}
