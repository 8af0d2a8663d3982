//! A database failure in the middle of an Alertmanager delivery leaves no half-built incident:
//! the delivery is one transaction, so the failed try wrote nothing, and Alertmanager's retry
//! opens the incident whole (its alerts, the runbook the alert names, its timers and its war
//! room). The failure is real: a trigger in the database refuses the runbook's event, the
//! last write of the delivery. On SQLite and on PostgreSQL.

use std::path::Path;

use sqlx::Connection;
use warroom::domain::IncidentNumber;
use warroom::store::Store;

use crate::support::postgres;
use crate::support::webhook;
use webhook::{Server, chat_with, deliver};

const FIRING: &[u8] =
    include_bytes!("../fixtures/alertmanager/alertmanager-firing-higherrorrate.json");

fn runbooks() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks")
}

/// The kinds of the incident's events, in order.
async fn kinds(store: &Store, n: IncidentNumber) -> Vec<&'static str> {
    store
        .timeline(n)
        .await
        .expect("the timeline")
        .iter()
        .map(|e| e.kind.type_name())
        .collect()
}

async fn story(dir: &Path, url: &str, refuse: &[&str], allow: &[&str]) {
    // The schema first (serve would make it too), then the fault.
    let store = Store::connect(url).await.expect("the database");
    let server = Server::start(dir, url, &runbooks(), "");
    execute(url, refuse).await;

    let failed = tokio::task::block_in_place(|| deliver(server.address, FIRING));
    assert!(
        failed.status >= 500,
        "a delivery the database refused must be retried: {failed:?}"
    );
    assert_eq!(
        store
            .alert_group("{}:{alertname=\"HighErrorRate\"}")
            .await
            .expect("read"),
        None,
        "the failed delivery left its group behind"
    );
    assert!(
        store
            .incident(IncidentNumber(1))
            .await
            .expect("read")
            .is_none(),
        "the failed delivery left a half-built incident"
    );
    assert_eq!(
        store.next_due().await.expect("read"),
        None,
        "timers left behind"
    );

    execute(url, allow).await;
    let retried = tokio::task::block_in_place(|| deliver(server.address, FIRING));
    assert_eq!(retried.status, 200, "{retried:?}");
    let answer: serde_json::Value = serde_json::from_str(&retried.body).expect("json");
    assert_eq!(answer["opened"], true, "{answer}");
    assert_eq!(answer["firing"], 1, "{answer}");
    let n = IncidentNumber(1);
    let built = kinds(&store, n).await;
    assert_eq!(
        built[..3],
        ["declared", "alerts_firing", "runbook_attached"]
    );
    let incident = store
        .incident(n)
        .await
        .expect("read")
        .expect("the incident");
    assert_eq!(incident.runbooks.len(), 1);
    assert!(
        store.next_due().await.expect("read").is_some(),
        "the incident's pages were not scheduled"
    );
    // The war room and the runbook's steps reach the chat (the console port's file).
    let chat = tokio::task::block_in_place(|| chat_with(dir, &["inc-1-", "High error rate"]));
    assert!(chat.contains("inc-1-"), "no war room: {chat}");

    // A repeat changes nothing.
    let again = tokio::task::block_in_place(|| deliver(server.address, FIRING));
    assert_eq!(again.status, 200, "{again:?}");
    let after = kinds(&store, n).await;
    assert_eq!(
        after.iter().filter(|k| **k != "paged").count(),
        3,
        "{after:?}"
    );
}

/// Runs `statements` on the database at `url` through a connection of its own.
async fn execute(url: &str, statements: &[&str]) {
    if url.starts_with("sqlite:") {
        let mut admin = sqlx::SqliteConnection::connect(url)
            .await
            .expect("connects");
        for statement in statements {
            sqlx::raw_sql(sqlx::AssertSqlSafe(*statement))
                .execute(&mut admin)
                .await
                .expect("the statement runs");
        }
    } else {
        let mut admin = sqlx::PgConnection::connect(url).await.expect("connects");
        for statement in statements {
            sqlx::raw_sql(sqlx::AssertSqlSafe(*statement))
                .execute(&mut admin)
                .await
                .expect("the statement runs");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failure_mid_delivery_leaves_nothing_half_built_on_sqlite() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("warroom.db").display());
    story(
        dir.path(),
        &url,
        &[
            "CREATE TRIGGER refuse_runbooks BEFORE INSERT ON timeline_events \
           WHEN NEW.kind = 'runbook_attached' \
           BEGIN SELECT RAISE(ABORT, 'injected fault'); END",
        ],
        &["DROP TRIGGER refuse_runbooks"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failure_mid_delivery_leaves_nothing_half_built_on_postgres() {
    let Some((_, _, url)) = postgres::fresh_postgres(
        "a_failure_mid_delivery_leaves_nothing_half_built_on_postgres",
        "halfbuilt",
    )
    .await
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    story(
        dir.path(),
        &url,
        &[
            "CREATE FUNCTION refuse_runbooks() RETURNS trigger AS $$ BEGIN \
             IF NEW.kind = 'runbook_attached' THEN RAISE EXCEPTION 'injected fault'; END IF; \
             RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_runbooks BEFORE INSERT ON timeline_events \
             FOR EACH ROW EXECUTE FUNCTION refuse_runbooks()",
        ],
        &["DROP TRIGGER refuse_runbooks ON timeline_events"],
    )
    .await;
}
