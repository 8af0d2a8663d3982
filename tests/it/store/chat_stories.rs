//! Stories about what the chats need remembered: war rooms, cards and buttons.

use std::collections::BTreeSet;

use warroom::domain::{Action, Command, IncidentNumber, NoteText};
use warroom::domain::{MessageId, Platform, RoomId};
use warroom::store::{Store, StoredRoom};

use super::declare;

pub async fn a_war_room_is_found_from_its_incident_and_the_incident_from_its_room(store: Store) {
    let one = declare(&store, "Checkout API returns 500s").await.number;
    let two = declare(&store, "Search is slow").await.number;
    let room = StoredRoom {
        id: RoomId::new(Platform::Slack, "C024BE91L"),
        name: "inc-1-checkout-api-returns-500s".into(),
    };

    store.bind_war_room(one, &room).await.expect("bound");
    store
        .bind_war_room(one, &room)
        .await
        .expect("binding again changes nothing");
    assert_eq!(
        store.war_room(Platform::Slack, one).await.unwrap(),
        Some(room.clone())
    );
    assert_eq!(store.incident_for_room(&room.id).await.unwrap(), Some(one));
    assert_eq!(store.war_room(Platform::Matrix, one).await.unwrap(), None);
    assert_eq!(store.war_room(Platform::Slack, two).await.unwrap(), None);
    assert_eq!(
        store
            .incident_for_room(&RoomId::new(Platform::Slack, "C0NOTAROOM"))
            .await
            .unwrap(),
        None
    );
    let on_matrix = StoredRoom {
        id: RoomId::new(Platform::Matrix, room.id.as_str()),
        name: room.name.clone(),
    };
    assert_eq!(store.incident_for_room(&on_matrix.id).await.unwrap(), None);

    // A room serves one incident, and an incident has one room per platform.
    assert!(store.bind_war_room(two, &room).await.is_err());
    let other = StoredRoom {
        id: RoomId::new(Platform::Slack, "C0OTHER"),
        name: "inc-1-again".into(),
    };
    assert!(store.bind_war_room(one, &other).await.is_err());
    assert_eq!(store.incident_for_room(&room.id).await.unwrap(), Some(one));
    assert_eq!(store.incident_for_room(&other.id).await.unwrap(), None);

    // The same room id on another platform is another room.
    store
        .bind_war_room(two, &on_matrix)
        .await
        .expect("bound on matrix");
    assert_eq!(
        store.incident_for_room(&on_matrix.id).await.unwrap(),
        Some(two)
    );
}

pub async fn saving_a_card_again_replaces_where_it_was_posted(store: Store) {
    let one = declare(&store, "Checkout API returns 500s").await.number;
    assert_eq!(store.card(Platform::Slack, one).await.unwrap(), None);
    let card = MessageId::new(
        RoomId::new(Platform::Slack, "C024BE91L"),
        "1700000000.000100",
    );
    store.save_card(one, &card).await.unwrap();
    assert_eq!(store.card(Platform::Slack, one).await.unwrap(), Some(card));

    let moved = MessageId::new(
        RoomId::new(Platform::Slack, "C0NEWROOM"),
        "1700000099.000200",
    );
    store.save_card(one, &moved).await.unwrap();
    assert_eq!(store.card(Platform::Slack, one).await.unwrap(), Some(moved));
    assert_eq!(store.card(Platform::Matrix, one).await.unwrap(), None);
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
    let unknown = "b999999".parse().expect("a button id");
    assert_eq!(store.button(unknown).await.unwrap(), None);
    // A negative id, which the store would not know either, cannot even be written.
    assert!("b-1".parse::<warroom::domain::ButtonId>().is_err());
}

fn runbook() -> warroom::domain::Runbook {
    use warroom::domain::{Risk, Runbook, Section, Step, StepKind};
    Runbook {
        id: "checkout-errors".into(),
        title: "Checkout API errors".into(),
        source: "runbooks/checkout-errors.md:9".into(),
        alerts: vec!["CheckoutErrorRateHigh".into()],
        keywords: vec!["checkout".into()],
        symptoms: vec!["Checkout returns 500s".into()],
        severity: Some(warroom::domain::Severity::P1),
        services: vec!["checkout".into()],
        owner: Some("payments-team".into()),
        steps: vec![
            Step {
                title: "List the checkout pods".into(),
                section: Section::Diagnosis,
                heading: None,
                only_if: None,
                kind: StepKind::Command,
                command: Some("kubectl get pods -n shop -l app=checkout".into()),
                risk: Some(Risk::Read),
                action: Some("checkout-pods".into()),
                timeout_secs: Some(30),
                line: 14,
                details: vec!["Look for pods in CrashLoopBackOff".into()],
            },
            Step {
                title: "Roll back the last deploy".into(),
                section: Section::Mitigation,
                heading: None,
                only_if: None,
                kind: StepKind::Command,
                command: Some("kubectl rollout undo deployment/checkout -n shop".into()),
                risk: Some(Risk::Write),
                action: None,
                timeout_secs: None,
                line: 20,
                details: Vec::new(),
            },
        ],
        prevention: vec!["Canary every deploy".into()],
        facts: Vec::new(),
        contacts: Vec::new(),
        about: Vec::new(),
        quoted: Vec::new(),
    }
}

pub async fn attached_runbooks_and_their_progress_read_back_the_same(store: Store) {
    use warroom::domain::StepOutcome;
    let mut incident = declare(&store, "Checkout API returns 500s").await;
    let attach = incident.attach_runbook(&runbook()).expect("attachable");
    let skip = NoteText::parse("not needed").ok();
    let event = incident.event(attach, super::user("alice"), super::at(1));
    incident.apply(&event);
    store.record(&incident, &event).await.expect("recorded");
    let skipped = incident
        .finish_step(2, StepOutcome::Skipped(skip))
        .expect("skippable");
    let event = incident.event(skipped, super::user("bob"), super::at(2));
    incident.apply(&event);
    store.record(&incident, &event).await.expect("recorded");

    let read = store.incident(incident.number).await.unwrap().unwrap();
    assert_eq!(read, incident);
    assert_eq!(read.runbooks[0].progress(), (0, 1));
    let timeline = store.timeline(incident.number).await.unwrap();
    assert_eq!(
        warroom::domain::Incident::from_timeline(&timeline),
        Some(incident)
    );

    let message = MessageId::new(
        RoomId::new(Platform::Slack, "C024BE91L"),
        "1700000000.000200",
    );
    let n = IncidentNumber(1);
    store
        .save_runbook_message(n, "checkout-errors", &message)
        .await
        .unwrap();
    let moved = MessageId::new(message.room().clone(), "1700000001.000300");
    store
        .save_runbook_message(n, "checkout-errors", &moved)
        .await
        .unwrap();
    assert_eq!(
        store
            .runbook_message(Platform::Slack, n, "checkout-errors")
            .await
            .unwrap(),
        Some(moved)
    );
    assert_eq!(
        store
            .runbook_message(Platform::Slack, n, "other")
            .await
            .unwrap(),
        None
    );
}
