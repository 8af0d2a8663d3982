//! `/healthz` asks the database to take a write, not only to answer `SELECT 1`: the write probe
//! says `read-only`, `locked` and `damaged` when a write would fail so, and clears once it
//! would succeed again. On SQLite (the read-only URL, another writer holding the lock, a
//! damaged page) and PostgreSQL (a lock held past the probe's wait), and through the real
//! `warroom serve` for the answer a load balancer sees.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use sqlx::Connection;
use warroom::store::{Store, StoreError};

use crate::support::postgres;
use crate::support::webhook;

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("warroom.db").display())
}

fn get(address: SocketAddr, path: &str) -> (u16, String) {
    let mut stream =
        TcpStream::connect_timeout(&address, Duration::from_secs(5)).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("a timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("sent");
    let mut raw = String::new();
    let _ = stream.read_to_string(&mut raw);
    let status = raw
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {raw:?}"));
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b.to_owned());
    (status, body.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_database_answers_select_but_fails_the_probe() {
    let dir = tempfile::tempdir().expect("a directory");
    let url = sqlite_url(dir.path());
    let store = Store::connect(&url).await.expect("the database");
    store.probe_write().await.expect("writable");
    drop(store);
    let read_only = format!("{url}?mode=ro");
    let store = Store::connect(&read_only).await.expect("opened read-only");
    store.ping().await.expect("SELECT 1 still answers");
    let probe = store.probe_write().await;
    assert!(matches!(probe, Err(StoreError::ReadOnly)), "{probe:?}");

    // What a load balancer sees from `warroom serve` on that URL.
    let runbooks = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let server = webhook::Server::start(dir.path(), &read_only, &runbooks, "");
    let (status, body) = tokio::task::block_in_place(|| get(server.address, "/healthz"));
    assert_eq!(status, 503, "{body}");
    assert!(body.contains(r#""database":"read-only""#), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn another_writer_holding_sqlite_is_locked_until_it_lets_go() {
    let dir = tempfile::tempdir().expect("a directory");
    let url = sqlite_url(dir.path());
    let store = Store::connect(&url).await.expect("the database");
    let runbooks = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let server = webhook::Server::start(dir.path(), &url, &runbooks, "");
    let (status, _) = tokio::task::block_in_place(|| get(server.address, "/healthz"));
    assert_eq!(status, 200);

    let mut other = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("connects");
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .expect("the write lock");
    let probe = store.probe_write().await;
    assert!(matches!(probe, Err(StoreError::Locked(_))), "{probe:?}");
    let (status, body) = tokio::task::block_in_place(|| get(server.address, "/healthz"));
    assert_eq!(status, 503, "{body}");
    assert!(body.contains(r#""database":"locked""#), "{body}");

    sqlx::raw_sql("COMMIT")
        .execute(&mut other)
        .await
        .expect("let go");
    store.probe_write().await.expect("writable again");
    let (status, body) = tokio::task::block_in_place(|| get(server.address, "/healthz"));
    assert_eq!(status, 200, "{body}");
    // The probe's short wait did not stay on the pool's connections.
    store.ping().await.expect("answers");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_page_fails_the_probe_as_damaged() {
    let dir = tempfile::tempdir().expect("a directory");
    let url = sqlite_url(dir.path());
    let store = Store::connect(&url).await.expect("the database");
    store.probe_write().await.expect("writable");
    let (root, page_size): (i64, i64) = {
        let mut conn = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("connects");
        sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await
            .expect("checkpointed");
        let root =
            sqlx::query_scalar("SELECT rootpage FROM sqlite_schema WHERE name = 'health_probe'")
                .fetch_one(&mut conn)
                .await
                .expect("the probe's table");
        let size = sqlx::query_scalar("PRAGMA page_size")
            .fetch_one(&mut conn)
            .await
            .expect("the page size");
        (root, size)
    };
    drop(store);
    // Garbage over the probe table's page, as a bad sector or a torn copy leaves it.
    let file = dir.path().join("warroom.db");
    let mut bytes = std::fs::read(&file).expect("the file");
    let start = usize::try_from((root - 1) * page_size).expect("an offset");
    let end = start + usize::try_from(page_size).expect("a size");
    for (i, b) in bytes[start..end].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37).wrapping_add(11);
    }
    std::fs::write(&file, bytes).expect("damaged");

    let store = Store::connect(&url)
        .await
        .expect("the rest of the file still opens");
    let probe = store.probe_write().await;
    assert!(matches!(probe, Err(StoreError::Corrupt(_))), "{probe:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_held_on_postgres_past_the_probes_wait_is_locked() {
    let Some((_, _, url)) = postgres::fresh_postgres(
        "a_lock_held_on_postgres_past_the_probes_wait_is_locked",
        "probe",
    )
    .await
    else {
        return;
    };
    let store = Store::connect(&url).await.expect("the database");
    store.probe_write().await.expect("writable");
    let mut other = sqlx::PgConnection::connect(&url).await.expect("connects");
    sqlx::raw_sql("BEGIN; LOCK TABLE health_probe IN ACCESS EXCLUSIVE MODE")
        .execute(&mut other)
        .await
        .expect("the lock");
    let probe = store.probe_write().await;
    assert!(matches!(probe, Err(StoreError::Locked(_))), "{probe:?}");
    sqlx::raw_sql("COMMIT")
        .execute(&mut other)
        .await
        .expect("let go");
    store.probe_write().await.expect("writable again");
}
