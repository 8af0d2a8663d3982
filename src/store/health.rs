//! Health and measurement queries: a cheap ping for `/healthz`, and the lateness of fired timers
//! for the timer benchmark.

use chrono::Utc;

use sqlx::Connection;

use super::connect::BUSY_TIMEOUT;
use super::error::classify;
use super::rows::stored_time;
use super::{Pool, Store, StoreError};

/// Below this much free space on the disk holding a SQLite database, the probe calls it full.
/// A write can still fit in pages SQLite has already (so a tiny probe write succeeds on a
/// full disk) while every declaration fails, so the probe asks the file system too.
const MIN_FREE_BYTES: u64 = 256 * 1024;

/// How long the write probe waits for another writer before it calls the database locked.
const PROBE_WAIT_MS: u64 = 250;

/// The probe's write on SQLite: the row and 64 KiB of padding, so that a disk with less room
/// than a declaration with its messages needs fails the probe too.
const SQLITE_PROBE: &str = "INSERT INTO health_probe (id, probed_at, padding) \
     VALUES (1, $1, zeroblob(65536)) ON CONFLICT (id) DO UPDATE \
     SET probed_at = excluded.probed_at, padding = excluded.padding";
/// The probe's write on PostgreSQL (whose disk is the server's).
const POSTGRES_PROBE: &str = "INSERT INTO health_probe (id, probed_at) VALUES (1, $1) \
     ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at";

impl Store {
    /// Asks the database the cheapest question there is (`SELECT 1`), to tell whether it answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(&self.pool, p => sqlx::query_scalar::<_, i32>("SELECT 1")
            .fetch_one(p)
            .await
            .map(|_| ())
            .map_err(classify))
    }

    /// Writes and commits one throw-away row, to learn whether writes succeed: a database
    /// that is read-only, damaged, full or held by another writer answers `SELECT 1` but fails
    /// here with `ReadOnly`, `Corrupt`, `Full` or `Locked`. Waits at most 250 ms for a lock.
    pub async fn probe_write(&self) -> Result<(), StoreError> {
        let at = stored_time(Utc::now());
        match &self.pool {
            Pool::Sqlite(p) => {
                let file = p.connect_options().get_filename().to_owned();
                if free_bytes(&file).is_some_and(|free| free < MIN_FREE_BYTES) {
                    return Err(StoreError::Full);
                }
                let mut conn = p.acquire().await.map_err(classify)?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "PRAGMA busy_timeout = {PROBE_WAIT_MS}"
                )))
                .execute(&mut *conn)
                .await
                .map_err(classify)?;
                let probed = async {
                    let mut tx = conn.begin().await?;
                    sqlx::query(SQLITE_PROBE).bind(at).execute(&mut *tx).await?;
                    tx.commit().await
                }
                .await;
                let restored = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "PRAGMA busy_timeout = {}",
                    BUSY_TIMEOUT.as_millis()
                )))
                .execute(&mut *conn)
                .await;
                if restored.is_err() {
                    // Not back into the pool with the probe's short wait.
                    drop(conn.detach());
                }
                probed.map_err(classify)
            }
            Pool::Postgres(p) => {
                let mut tx = p.begin().await.map_err(classify)?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SET LOCAL lock_timeout = '{PROBE_WAIT_MS}ms'"
                )))
                .execute(&mut *tx)
                .await
                .map_err(classify)?;
                sqlx::query(POSTGRES_PROBE)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(classify)?;
                tx.commit().await.map_err(classify)
            }
        }
    }

    /// How late each fired timer fired (`fired_at - due_at`), in seconds, in no particular order:
    /// what `cargo bench --bench timers` reports, in a release build.
    pub async fn timer_lateness(&self) -> Result<Vec<f64>, StoreError> {
        const FIRED: &str = "SELECT due_at, fired_at FROM timers \
                             WHERE state = 'fired' AND fired_at IS NOT NULL";
        let rows: Vec<(chrono::DateTime<Utc>, chrono::DateTime<Utc>)> =
            with_pool!(&self.pool, p => {
                sqlx::query_as(FIRED).fetch_all(p).await
            })
            .map_err(classify)?;
        Ok(rows
            .into_iter()
            .map(|(due, fired)| (fired - due).as_seconds_f64())
            .collect())
    }
}

/// The bytes free to an unprivileged writer on the file system holding `file` (`None` when
/// that cannot be learned, as for an in-memory database).
// The field types of `statvfs` differ between platforms (u64 on 64-bit Linux).
#[allow(clippy::useless_conversion)]
fn free_bytes(file: &std::path::Path) -> Option<u64> {
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => std::path::Path::new("."),
    };
    let stat = nix::sys::statvfs::statvfs(dir).ok()?;
    Some(u64::from(stat.blocks_available()).saturating_mul(u64::from(stat.fragment_size())))
}
