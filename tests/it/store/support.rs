//! Runs a store story on a fresh SQLite file, and on a fresh PostgreSQL database when
//! `WARROOM_TEST_POSTGRES_URL` names a server (each story gets its own database, so stories run
//! in parallel).

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use warroom::domain::{IncidentTitle, UserId};
use warroom::store::Store;

/// The environment variable naming a PostgreSQL server to run the stories on too.
pub const POSTGRES_ENV: &str = "WARROOM_TEST_POSTGRES_URL";

/// Runs `story` on a store in a new SQLite file, deleted afterwards.
pub async fn on_sqlite<F, Fut>(story: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = sqlite_url(&dir.path().join("warroom.db"));
    let store = Store::connect(&url).await.expect("a fresh SQLite store");
    assert_eq!(store.backend(), "sqlite");
    story(store).await;
}

/// Runs `story` on a store in a new PostgreSQL database, dropped afterwards (best effort);
/// says it skipped when no server is configured.
pub async fn on_postgres<F, Fut>(name: &str, story: F)
where
    F: FnOnce(Store) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Ok(server) = std::env::var(POSTGRES_ENV) else {
        println!("skipped {name} on PostgreSQL: set {POSTGRES_ENV} to run it");
        return;
    };
    let database = format!("warroom_test_{}", unique_suffix());
    let mut admin = PgConnection::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("cannot reach {POSTGRES_ENV}: {e}"));
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {database}")))
        .execute(&mut admin)
        .await
        .expect("a fresh test database");
    let mut url = url::Url::parse(&server).expect("a PostgreSQL URL");
    url.set_path(&database);
    let store = Store::connect(url.as_str())
        .await
        .expect("a fresh PostgreSQL store");
    assert_eq!(store.backend(), "postgres");

    // Run the story in its own task so that a failed assertion still drops the database.
    let outcome = tokio::spawn(story(store)).await;
    let drop_it = format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)");
    if let Err(e) = sqlx::query(AssertSqlSafe(drop_it))
        .execute(&mut admin)
        .await
    {
        eprintln!("could not drop {database}: {e}");
    }
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("the story did not finish: {e}"),
        }
    }
}

/// A `sqlite://` URL for a file.
pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}", path.display())
}

fn unique_suffix() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = Utc::now().timestamp_subsec_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}_{n}_{nanos}", std::process::id())
}

/// 14:MM:00.123456 UTC on a fixed day; microseconds, since that is what the store keeps.
pub fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 14, minute % 60, 0)
        .single()
        .expect("a valid time")
        + chrono::Duration::microseconds(123_456)
        + chrono::Duration::hours(i64::from(minute / 60))
}

/// A user id.
pub fn user(name: &str) -> UserId {
    UserId::parse(name).expect("a valid user id")
}

/// An incident title.
pub fn title(text: &str) -> IncidentTitle {
    IncidentTitle::parse(text).expect("a valid title")
}
