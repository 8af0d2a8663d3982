//! Stories about Slack's deliveries and quoted messages: a delivery id is taken once however
//! many claim it at the same moment, old claims are forgotten, and a quote reads back whole.

use warroom::domain::Platform;
use warroom::domain::{EventKind, NoteText};
use warroom::store::{DeliveryKind, Store};

use super::declare;
use super::support::{at, user};

pub async fn a_delivery_is_taken_once_by_twenty_concurrent_claimers(store: Store) {
    let mut claims = Vec::new();
    for _ in 0..20 {
        let store = store.clone();
        claims.push(tokio::spawn(async move {
            store
                .claim_delivery(Platform::Slack, "Ev0123", DeliveryKind::Event, at(0))
                .await
                .unwrap()
        }));
    }
    let mut won = 0;
    for claim in claims {
        won += usize::from(claim.await.unwrap());
    }
    assert_eq!(won, 1);
    // The same id on another platform, or another id, is another delivery.
    assert!(
        store
            .claim_delivery(Platform::Matrix, "Ev0123", DeliveryKind::Event, at(0))
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_delivery(Platform::Slack, "13345.1", DeliveryKind::Command, at(1))
            .await
            .unwrap()
    );
    assert_eq!(store.delivery_count().await.unwrap(), 3);
    assert_eq!(store.forget_deliveries(at(1)).await.unwrap(), 2);
    assert_eq!(store.delivery_count().await.unwrap(), 1);
    assert!(
        store
            .claim_delivery(Platform::Slack, "Ev0123", DeliveryKind::Event, at(2))
            .await
            .unwrap()
    );
}

pub async fn a_quoted_message_reads_back_with_its_author_and_time(store: Store) {
    let incident = declare(&store, "Checkout API returns 500s").await;
    let kind = EventKind::Quoted {
        author: user("U0BOB"),
        said_at: at(3),
        text: NoteText::parse("error rate is 100% on /pay").unwrap(),
    };
    let event = incident.event(kind.clone(), user("U0ALICE"), at(5));
    let mut after = incident.clone();
    after.apply(&event);
    store.record(&after, &event).await.unwrap();
    let timeline = store.timeline(incident.number).await.unwrap();
    assert_eq!(timeline.last().unwrap().kind, kind);
    assert_eq!(timeline.last().unwrap().actor, user("U0ALICE"));
    assert_eq!(
        kind.describe(),
        format!(
            "pinned what U0BOB said at {} UTC: error rate is 100% on /pay",
            at(3).format("%H:%M")
        )
    );
}
