//! The alert-group store on both backends: 32 concurrent openings of one group open one
//! incident; a group whose incident is resolved opens a new one; each alert state is news to
//! exactly one of concurrent callers, and news again once forgotten.

#[path = "support/postgres.rs"]
mod postgres;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;
use warroom::domain::{IncidentTitle, Severity, Status, UserId};
use warroom::store::{AlertGroupOpening, Store};

const KEY: &str = "{}:{alertname=\"DatabaseDown\"}";

async fn open(store: &Store) -> AlertGroupOpening {
    let params = BTreeMap::from([("service".to_owned(), "db".to_owned())]);
    store
        .open_alert_incident(
            KEY,
            &params,
            &IncidentTitle::parse("Database down").expect("a title"),
            Severity::P1,
            &UserId::parse("alertmanager").expect("a user"),
            Utc::now(),
        )
        .await
        .expect("opened or found")
}

async fn story(store: Store) {
    let store = Arc::new(store);
    assert_eq!(store.alert_group(KEY).await.expect("read"), None);
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { open(&store).await })
        })
        .collect();
    let mut opened = Vec::new();
    let mut existing = Vec::new();
    for t in tasks {
        match t.await.expect("the task") {
            AlertGroupOpening::Opened(incident) => opened.push(incident.number),
            AlertGroupOpening::Existing(n) => existing.push(n),
        }
    }
    assert_eq!(opened.len(), 1, "opened {opened:?}");
    let first = opened[0];
    assert!(existing.iter().all(|n| *n == first), "{existing:?}");
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

    // Each state change is news to exactly one of concurrent callers.
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let states = vec![("fp-1".to_owned(), true), ("fp-2".to_owned(), true)];
                store
                    .note_alert_states(first, &states)
                    .await
                    .expect("noted")
            })
        })
        .collect();
    let mut news = Vec::new();
    for t in tasks {
        news.extend(t.await.expect("the task"));
    }
    news.sort();
    assert_eq!(news, ["fp-1", "fp-2"]);
    let again = vec![("fp-1".to_owned(), true), ("fp-2".to_owned(), false)];
    assert_eq!(
        store.note_alert_states(first, &again).await.expect("noted"),
        ["fp-2"]
    );

    // A forgotten alert (its timeline append failed) is news again on the retry.
    store
        .forget_alert_states(first, &["fp-1".to_owned()])
        .await
        .expect("forgotten");
    let retry = vec![("fp-1".to_owned(), true), ("fp-2".to_owned(), false)];
    assert_eq!(
        store.note_alert_states(first, &retry).await.expect("noted"),
        ["fp-1"]
    );

    // Resolved: the group's next firing opens a new incident.
    let incident = store.incident(first).await.expect("read").expect("it");
    let kind = incident
        .change_status(Status::Resolved, None)
        .expect("resolvable");
    let event = incident.event(kind, UserId::parse("bob").expect("a user"), Utc::now());
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
    let AlertGroupOpening::Opened(second) = open(&store).await else {
        panic!("a resolved group's incident is not joined");
    };
    assert_ne!(second.number, first);
    assert!(matches!(open(&store).await, AlertGroupOpening::Existing(n) if n == second.number));
}

#[tokio::test(flavor = "multi_thread")]
async fn one_group_opens_one_incident_under_concurrency_on_sqlite() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("warroom.db").display());
    story(Store::connect(&url).await.expect("the database")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_group_opens_one_incident_under_concurrency_on_postgres() {
    let Some((_, _, url)) = postgres::fresh_postgres(
        "one_group_opens_one_incident_under_concurrency_on_postgres",
        "alertstore",
    )
    .await
    else {
        return;
    };
    story(Store::connect(&url).await.expect("the database")).await;
}
