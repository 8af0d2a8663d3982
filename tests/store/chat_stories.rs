//! Stories about what the chats need remembered: war rooms, cards and buttons.

use std::collections::BTreeSet;

use warroom::domain::{Action, Command, IncidentNumber, NoteText};
use warroom::store::{Store, StoredCard, StoredRoom};

use crate::declare;

pub async fn a_war_room_is_found_from_its_incident_and_the_incident_from_its_room(store: Store) {
    let one = declare(&store, "Checkout API returns 500s").await.number;
    let two = declare(&store, "Search is slow").await.number;
    let room = StoredRoom {
        id: "C024BE91L".into(),
        name: "inc-1-checkout-api-returns-500s".into(),
    };

    store
        .bind_war_room("slack", one, &room)
        .await
        .expect("bound");
    store
        .bind_war_room("slack", one, &room)
        .await
        .expect("binding again changes nothing");
    assert_eq!(
        store.war_room("slack", one).await.unwrap(),
        Some(room.clone())
    );
    assert_eq!(
        store.incident_for_room("slack", &room.id).await.unwrap(),
        Some(one)
    );
    assert_eq!(store.war_room("matrix", one).await.unwrap(), None);
    assert_eq!(store.war_room("slack", two).await.unwrap(), None);
    assert_eq!(
        store
            .incident_for_room("slack", "C0NOTAROOM")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.incident_for_room("matrix", &room.id).await.unwrap(),
        None
    );

    // A room serves one incident, and an incident has one room per platform.
    assert!(store.bind_war_room("slack", two, &room).await.is_err());
    let other = StoredRoom {
        id: "C0OTHER".into(),
        name: "inc-1-again".into(),
    };
    assert!(store.bind_war_room("slack", one, &other).await.is_err());
    assert_eq!(
        store.incident_for_room("slack", &room.id).await.unwrap(),
        Some(one)
    );
    assert_eq!(
        store.incident_for_room("slack", &other.id).await.unwrap(),
        None
    );

    // The same room id on another platform is another room.
    store
        .bind_war_room("matrix", two, &room)
        .await
        .expect("bound on matrix");
    assert_eq!(
        store.incident_for_room("matrix", &room.id).await.unwrap(),
        Some(two)
    );
}

pub async fn saving_a_card_again_replaces_where_it_was_posted(store: Store) {
    let one = declare(&store, "Checkout API returns 500s").await.number;
    assert_eq!(store.card("slack", one).await.unwrap(), None);
    let card = StoredCard {
        room_id: "C024BE91L".into(),
        message_id: "1700000000.000100".into(),
    };
    store.save_card("slack", one, &card).await.unwrap();
    assert_eq!(store.card("slack", one).await.unwrap(), Some(card));

    let moved = StoredCard {
        room_id: "C0NEWROOM".into(),
        message_id: "1700000099.000200".into(),
    };
    store.save_card("slack", one, &moved).await.unwrap();
    assert_eq!(store.card("slack", one).await.unwrap(), Some(moved));
    assert_eq!(store.card("matrix", one).await.unwrap(), None);
}

pub async fn the_same_command_always_gets_the_same_button(store: Store) {
    let ack = Command {
        incident: Some(IncidentNumber(7)),
        action: Action::Ack,
    };
    let resolve = Command {
        incident: Some(IncidentNumber(7)),
        action: Action::Resolve {
            note: Some(NoteText::parse("fixed by rollback").unwrap()),
        },
    };
    let ack_id = store.button_for(&ack).await.unwrap();
    assert_eq!(store.button_for(&ack).await.unwrap(), ack_id);
    let resolve_id = store.button_for(&resolve).await.unwrap();
    assert_ne!(resolve_id, ack_id);
    assert_eq!(store.button(ack_id).await.unwrap(), Some(ack));
    assert_eq!(store.button(resolve_id).await.unwrap(), Some(resolve));

    // Many replicas showing a new button at once still agree on its id.
    let list = Command {
        incident: None,
        action: Action::List,
    };
    let asks: Vec<_> = (0..10)
        .map(|_| {
            let (store, list) = (store.clone(), list.clone());
            tokio::spawn(async move { store.button_for(&list).await })
        })
        .collect();
    let mut ids = BTreeSet::new();
    for ask in asks {
        ids.insert(ask.await.expect("the task finished").expect("an id"));
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
}

pub async fn an_unknown_button_is_none(store: Store) {
    assert_eq!(store.button(999_999).await.unwrap(), None);
    assert_eq!(store.button(-1).await.unwrap(), None);
}
