//! Opening the database named by a URL and bringing its schema up to date.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::error::{classify, classify_migration, redact};
use super::{Pool, StoreError};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// How long to wait for a connection before calling the database unavailable. Short, so that a
/// dead server is reported at once instead of hanging a chat command.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long SQLite waits for another writer before giving up.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// SQLite has one writer at a time; a few connections serve concurrent readers.
const SQLITE_CONNECTIONS: u32 = 4;
/// Enough for one replica; PostgreSQL allows 100 by default.
const POSTGRES_CONNECTIONS: u32 = 10;

/// Which database a URL names.
enum Backend {
    Sqlite,
    Postgres,
}

fn backend_of(url: &str) -> Option<Backend> {
    let scheme = url.split(':').next()?.to_ascii_lowercase();
    match scheme.as_str() {
        "sqlite" => Some(Backend::Sqlite),
        "postgres" | "postgresql" => Some(Backend::Postgres),
        _ => None,
    }
}

/// Opens the pool for `url` and runs the migrations of its backend.
pub(super) async fn open(url: &str) -> Result<Pool, StoreError> {
    let shown = redact(url);
    let open_failed = |e: sqlx::Error| {
        let reason = match &e {
            sqlx::Error::PoolTimedOut => format!(
                "no connection within {} s; is the server running and reachable?",
                ACQUIRE_TIMEOUT.as_secs()
            ),
            sqlx::Error::Database(db) => db.message().to_owned(),
            other => other.to_string(),
        };
        match classify(e) {
            StoreError::Corrupt(message) => StoreError::Corrupt(message),
            _ => StoreError::Open {
                url: shown.clone(),
                reason,
            },
        }
    };
    match backend_of(url) {
        Some(Backend::Sqlite) => {
            let pool = SqlitePoolOptions::new()
                .max_connections(SQLITE_CONNECTIONS)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .after_release(|conn, _| Box::pin(sqlite_fit_to_reuse(conn)))
                .connect_with(sqlite_options(url).map_err(open_failed)?)
                .await
                .map_err(open_failed)?;
            SQLITE_MIGRATIONS
                .run(&pool)
                .await
                .map_err(classify_migration)?;
            Ok(Pool::Sqlite(pool))
        }
        Some(Backend::Postgres) => {
            let options = PgConnectOptions::from_str(url)
                .map_err(open_failed)?
                .application_name("warroom");
            let pool = PgPoolOptions::new()
                .max_connections(POSTGRES_CONNECTIONS)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await
                .map_err(open_failed)?;
            POSTGRES_MIGRATIONS
                .run(&pool)
                .await
                .map_err(classify_migration)?;
            Ok(Pool::Postgres(pool))
        }
        None => Err(StoreError::UnsupportedUrl(shown)),
    }
}

/// Whether a SQLite connection may go back to the pool. A transaction dropped without a
/// commit queues its rollback; that rollback is waited for here. When it failed (after a
/// failed COMMIT on a full disk SQLite has already ended the transaction itself, and sqlx's
/// ROLLBACK then errs and leaves its count of open transactions at one, so the connection's
/// next "transaction" would be a savepoint whose rollback keeps the write lock), the
/// connection is closed instead of being handed out again.
async fn sqlite_fit_to_reuse(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    if let Err(e) = conn.ping().await {
        tracing::warn!(error = %e, "a database connection failed after a transaction; closed");
        return Ok(false);
    }
    let fit = !conn.is_in_transaction();
    if !fit {
        tracing::warn!(
            "a database connection was left inside a transaction (its rollback failed); closed"
        );
    }
    Ok(fit)
}

/// SQLite settings for a server: WAL so that readers never wait for the writer, NORMAL
/// synchronous (safe in WAL mode, much faster), foreign keys on, a busy timeout so writers
/// queue instead of failing.
///
/// A read-only URL (`?mode=ro`) gets neither `create_if_missing` nor the journal-mode switch,
/// both of which would have to write.
fn sqlite_options(url: &str) -> Result<SqliteConnectOptions, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true);
    Ok(if is_read_only(url) {
        options
    } else {
        options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
    })
}

/// Whether a SQLite URL asks for read-only access (`mode=ro`), as sqlx reads its query.
fn is_read_only(url: &str) -> bool {
    url.split_once('?').is_some_and(|(_, query)| {
        url::form_urlencoded::parse(query.as_bytes()).any(|(k, v)| k == "mode" && v == "ro")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_chooses_the_backend() {
        assert!(matches!(backend_of("sqlite://a.db"), Some(Backend::Sqlite)));
        assert!(matches!(backend_of("sqlite:a.db"), Some(Backend::Sqlite)));
        assert!(matches!(
            backend_of("postgres://h/db"),
            Some(Backend::Postgres)
        ));
        assert!(matches!(
            backend_of("postgresql://h/db"),
            Some(Backend::Postgres)
        ));
        assert!(backend_of("mysql://h/db").is_none());
        assert!(backend_of("warroom.db").is_none());
    }

    #[test]
    fn mode_ro_means_read_only() {
        assert!(is_read_only("sqlite://a.db?mode=ro"));
        assert!(is_read_only("sqlite:a.db?cache=private&mode=ro"));
        assert!(!is_read_only("sqlite://a.db?mode=rwc"));
        assert!(!is_read_only("sqlite://a.db"));
    }
}
