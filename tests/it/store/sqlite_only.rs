//! What only a SQLite file can do or suffer, and how connecting fails.

use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use warroom::domain::Platform;
use warroom::domain::{Command, IncidentNumber, Severity};
use warroom::store::{Store, StoreError, StoredRoom};

use super::support::{at, sqlite_url, title, user};

#[tokio::test]
async fn the_sqlite_file_is_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir.path().join("warroom.db"));
    let _store = Store::connect(&url).await.unwrap();

    // A plain connection, which sets no journal mode of its own, sees what the file says.
    let mut conn = SqliteConnectOptions::from_str(&url)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn a_sqlite_url_without_slashes_works_too() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("warroom.db").display());
    let store = Store::connect(&url).await.unwrap();
    assert_eq!(store.backend(), "sqlite");
    assert!(dir.path().join("warroom.db").exists());
}

#[tokio::test]
async fn a_corrupt_file_is_reported_as_corrupt_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    // 4 KiB of noise from a simple LCG: not a SQLite header, not all zeros.
    let mut seed: u32 = 0x2545_f491;
    let garbage: Vec<u8> = (0..4096)
        .map(|_| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 16) as u8
        })
        .collect();
    std::fs::write(&path, &garbage).unwrap();

    let result = Store::connect(&sqlite_url(&path)).await;
    assert!(matches!(result, Err(StoreError::Corrupt(_))), "{result:?}");
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
}

#[tokio::test]
async fn a_read_only_database_refuses_writes_but_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("warroom.db");
    let url = sqlite_url(&path);
    let (incident, declared) = {
        let store = Store::connect(&url).await.unwrap();
        store
            .declare(
                &title("Checkout API returns 500s"),
                Severity::P1,
                &user("alice"),
                at(0),
            )
            .await
            .unwrap()
    };

    let read_only = Store::connect(&format!("{url}?mode=ro"))
        .await
        .expect("opened read-only");
    assert_eq!(
        read_only.incident(incident.number).await.unwrap(),
        Some(incident.clone())
    );
    assert_eq!(
        read_only.timeline(incident.number).await.unwrap(),
        vec![declared.clone()]
    );

    let declare = read_only
        .declare(&title("Another"), Severity::P2, &user("bob"), at(1))
        .await;
    assert!(matches!(declare, Err(StoreError::ReadOnly)), "{declare:?}");
    let mut acked = incident.clone();
    let ack = acked.event(acked.acknowledge().unwrap(), user("bob"), at(2));
    acked.apply(&ack);
    let record = read_only.record(&acked, &ack).await;
    assert!(matches!(record, Err(StoreError::ReadOnly)), "{record:?}");
    let room = StoredRoom {
        id: warroom::domain::RoomId::new(Platform::Slack, "C1"),
        name: "inc-1".into(),
    };
    let bind = read_only.bind_war_room(incident.number, &room).await;
    assert!(matches!(bind, Err(StoreError::ReadOnly)), "{bind:?}");
    let button = read_only
        .button_for(&Command {
            incident: None,
            action: warroom::domain::Action::Help,
        })
        .await;
    assert!(matches!(button, Err(StoreError::ReadOnly)), "{button:?}");
    drop(read_only);

    let writable = Store::connect(&url).await.unwrap();
    assert_eq!(
        writable.incident(incident.number).await.unwrap(),
        Some(incident)
    );
    assert_eq!(
        writable.timeline(IncidentNumber(1)).await.unwrap(),
        vec![declared]
    );
    let (next, _) = writable
        .declare(&title("Another"), Severity::P2, &user("bob"), at(3))
        .await
        .unwrap();
    assert_eq!(next.number, IncidentNumber(2));
}

#[tokio::test]
async fn a_postgres_server_that_is_not_there_fails_fast_without_showing_the_password() {
    // A port that was free a moment ago, so nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://warroom:s3cret@127.0.0.1:{port}/warroom");
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(30), Store::connect(&url))
        .await
        .expect("connect gave up on its own");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    let err = result.expect_err("nothing listens there");
    assert!(
        matches!(err, StoreError::Unavailable(_) | StoreError::Open { .. }),
        "{err:?}"
    );
    assert!(!err.to_string().contains("s3cret"), "{err}");
    assert!(!format!("{err:?}").contains("s3cret"), "{err:?}");
}

#[tokio::test]
async fn an_unsupported_url_is_refused_without_showing_the_password() {
    let err = Store::connect("mysql://root:s3cret@db/warroom")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::UnsupportedUrl(_)), "{err:?}");
    assert!(!err.to_string().contains("s3cret"), "{err}");
}

#[tokio::test]
async fn a_missing_directory_is_reported_with_its_url() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir.path().join("no-such-dir").join("warroom.db"));
    let err = Store::connect(&url).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Open { url: shown, .. } if *shown == url),
        "{err:?}"
    );
}
