//! The alert-group store on both backends. One delivery is one transaction: 32 concurrent
//! deliveries of a new group open one incident; each alert state is news to exactly one of
//! concurrent deliveries; a delivery whose plan cannot be written leaves nothing behind, so
//! the retry finds the same news; the timers a new incident starts with are written with it;
//! a group whose incident is resolved opens a new one.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{Duration, Utc};
use warroom::domain::Platform;
use warroom::domain::{
    Incident, IncidentNumber, IncidentTitle, NoteText, Severity, Status, TimerKind, UserId,
};
use warroom::store::{
    AlertFound, AlertIntake, AlertIntakeOutcome, AlertPlan, AlertTarget, Store, StoreError,
};

use crate::support::postgres;

const KEY: &str = "{}:{alertname=\"DatabaseDown\"}";

fn user(name: &str) -> UserId {
    UserId::parse(name).expect("a user")
}

/// A plan that notes which alerts were news (one event, when there were any), and starts a
/// page timer for a new incident.
fn noting(found: AlertFound<'_>) -> AlertPlan {
    let mut after = found.incident.clone();
    let mut events = Vec::new();
    if !found.news.is_empty() {
        let text = NoteText::parse(&format!("news: {}", found.news.join(" "))).expect("a note");
        let kind = after.note(text).expect("noted");
        let event = after.event(kind, user("alertmanager"), Utc::now());
        after.apply(&event);
        events.push(event);
    }
    let timers = if found.opened {
        vec![(
            TimerKind::Page { level: 1 },
            found.incident.declared_at + Duration::minutes(5),
        )]
    } else {
        Vec::new()
    };
    AlertPlan {
        after,
        events,
        outbox: Vec::new(),
        timers,
    }
}

/// A plan whose event does not follow the incident: the store must refuse all of it.
fn misnumbered(found: AlertFound<'_>) -> AlertPlan {
    let mut plan = noting(found);
    for event in &mut plan.events {
        event.seq += 7;
    }
    plan
}

/// Delivers `states` to the group: opens it when it has no open incident, else adds to it;
/// tries again on a conflict, as the engine does. Returns the incident, whether this call
/// opened it, and what was news.
async fn deliver(store: &Store, states: &[(String, bool)]) -> (IncidentNumber, bool, Vec<String>) {
    let params = BTreeMap::from([("service".to_owned(), "db".to_owned())]);
    let title = IncidentTitle::parse("Database down").expect("a title");
    let by = user("alertmanager");
    let mut target = AlertTarget::Open {
        title: &title,
        severity: Severity::P1,
        by: &by,
    };
    for _ in 0..100 {
        let intake = AlertIntake {
            group_key: KEY,
            params: &params,
            firing: true,
            target,
            states,
            chat: Platform::Console,
            at: Utc::now(),
        };
        match store.receive_alert_group(&intake, &noting).await {
            Ok(AlertIntakeOutcome::Recorded {
                plan, opened, news, ..
            }) => return (plan.after.number, opened, news),
            Ok(AlertIntakeOutcome::Unchanged(n)) => return (n, false, Vec::new()),
            Ok(AlertIntakeOutcome::OpenElsewhere(n)) => target = AlertTarget::AddTo(n),
            Ok(AlertIntakeOutcome::Missing) => panic!("the group's incident is missing"),
            Err(StoreError::Conflict(_)) => {}
            Err(e) => panic!("the delivery failed: {e}"),
        }
    }
    panic!("a hundred conflicts in a row");
}

fn firing(fingerprints: &[&str]) -> Vec<(String, bool)> {
    fingerprints
        .iter()
        .map(|f| ((*f).to_owned(), true))
        .collect()
}

async fn notes(store: &Store, number: IncidentNumber) -> Vec<String> {
    store
        .timeline(number)
        .await
        .expect("the timeline")
        .iter()
        .filter_map(|e| match &e.kind {
            warroom::domain::EventKind::Note { text } => Some(text.as_str().to_owned()),
            _ => None,
        })
        .collect()
}

async fn story(store: Store) {
    let store = Arc::new(store);
    assert_eq!(store.alert_group(KEY).await.expect("read"), None);
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { deliver(&store, &firing(&["fp-1"])).await })
        })
        .collect();
    let mut opened = Vec::new();
    let mut numbers = Vec::new();
    let mut news = Vec::new();
    for t in tasks {
        let (number, did_open, new) = t.await.expect("the task");
        numbers.push(number);
        if did_open {
            opened.push(number);
        }
        news.extend(new);
    }
    assert_eq!(opened.len(), 1, "opened {opened:?}");
    let first = opened[0];
    assert!(numbers.iter().all(|n| *n == first), "{numbers:?}");
    assert_eq!(news, ["fp-1"], "each alert is news once");
    assert_eq!(notes(&store, first).await, ["news: fp-1"]);
    let group = store
        .alert_group(KEY)
        .await
        .expect("read")
        .expect("a group");
    assert_eq!(group.incident, first);
    assert!(group.open);
    assert_eq!(
        store.alert_params(first).await.expect("read")["service"],
        "db"
    );
    // The new incident's timer was written with it, and only once.
    let due = store.next_due().await.expect("read").expect("a timer");
    let incident = store.incident(first).await.expect("read").expect("it");
    assert_eq!(due, incident.declared_at + Duration::minutes(5));

    // Each state change is news to exactly one of concurrent deliveries.
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { deliver(&store, &firing(&["fp-1", "fp-2"])).await })
        })
        .collect();
    let mut news = Vec::new();
    for t in tasks {
        news.extend(t.await.expect("the task").2);
    }
    assert_eq!(news, ["fp-2"]);

    // A plan the store cannot write leaves nothing behind: the retry finds the same news.
    let params = BTreeMap::new();
    let again = vec![("fp-1".to_owned(), true), ("fp-2".to_owned(), false)];
    let intake = AlertIntake {
        group_key: KEY,
        params: &params,
        firing: true,
        target: AlertTarget::AddTo(first),
        states: &again,
        chat: Platform::Console,
        at: Utc::now(),
    };
    let refused = store.receive_alert_group(&intake, &misnumbered).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(n)) if n == first),
        "{refused:?}"
    );
    assert_eq!(
        store.alert_params(first).await.expect("read")["service"],
        "db",
        "the refused delivery's parameters were not kept"
    );
    let Ok(AlertIntakeOutcome::Recorded { news, .. }) =
        store.receive_alert_group(&intake, &noting).await
    else {
        panic!("the retry was not recorded");
    };
    assert_eq!(news, ["fp-2"]);
    assert_eq!(
        notes(&store, first).await,
        ["news: fp-1", "news: fp-2", "news: fp-2"]
    );

    // Resolved: the group's next delivery opens a new incident.
    let incident: Incident = store.incident(first).await.expect("read").expect("it");
    let kind = incident
        .change_status(Status::Resolved, None)
        .expect("resolvable");
    let event = incident.event(kind, user("bob"), Utc::now());
    let mut after = incident.clone();
    after.apply(&event);
    store.record(&after, &event).await.expect("recorded");
    assert!(
        !store
            .alert_group(KEY)
            .await
            .expect("read")
            .expect("a group")
            .open
    );
    let (second, opened, news) = deliver(&store, &firing(&["fp-1"])).await;
    assert!(opened, "a resolved group's incident is not joined");
    assert_ne!(second, first);
    assert_eq!(news, ["fp-1"], "alerts are news to the new incident");
    let (again, opened, _) = deliver(&store, &firing(&["fp-1"])).await;
    assert_eq!((again, opened), (second, false));
}

#[tokio::test(flavor = "multi_thread")]
async fn one_delivery_is_one_transaction_on_sqlite() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("warroom.db").display());
    story(Store::connect(&url).await.expect("the database")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_delivery_is_one_transaction_on_postgres() {
    let Some((_, _, url)) =
        postgres::fresh_postgres("one_delivery_is_one_transaction_on_postgres", "alertstore").await
    else {
        return;
    };
    story(Store::connect(&url).await.expect("the database")).await;
}
