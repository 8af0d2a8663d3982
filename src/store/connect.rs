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

/// The URL for what a person wrote: a bare path (`warroom.db`, `/var/lib/warroom/w.db`) is a
/// SQLite file; anything with a scheme is taken as written.
pub(super) fn database_url(text: &str) -> String {
    let has_scheme = text.contains("://")
        || text
            .split_once(':')
            .is_some_and(|(scheme, _)| matches!(scheme.to_ascii_lowercase().as_str(), "sqlite"));
    if has_scheme || text.is_empty() {
        text.to_owned()
    } else {
        format!("sqlite://{text}")
    }
}

fn backend_of(url: &str) -> Option<Backend> {
    let scheme = url.split(':').next()?.to_ascii_lowercase();
    match scheme.as_str() {
        "sqlite" => Some(Backend::Sqlite),
        "postgres" | "postgresql" => Some(Backend::Postgres),
        _ => None,
    }
}

/// Opens the pool for `url`, runs the migrations of its backend when `migrate`, and returns
/// the migrations it applied now (version and description, oldest first).
pub(super) async fn open(
    url: &str,
    migrate: bool,
) -> Result<(Pool, Vec<(i64, String)>), StoreError> {
    let shown = redact(url);
    let open_failed = |e: sqlx::Error| {
        let reason = match &e {
            sqlx::Error::PoolTimedOut => format!(
                "no connection within {} s; is the server running and reachable?",
                ACQUIRE_TIMEOUT.as_secs()
            ),
            sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                "the connection was refused: nothing listens there; is the server running, on that host and port?".to_owned()
            }
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
            let options = sqlite_options(url, migrate).map_err(open_failed)?;
            if !migrate && !options.get_filename().exists() {
                return Err(StoreError::Open {
                    url: shown,
                    reason: "there is no such file (warroom migrate, or serve, creates it)"
                        .to_owned(),
                });
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(SQLITE_CONNECTIONS)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .after_release(|conn, _| Box::pin(sqlite_fit_to_reuse(conn)))
                .connect_with(options)
                .await
                .map_err(open_failed)?;
            if !migrate {
                return Ok((Pool::Sqlite(pool), Vec::new()));
            }
            let before = applied_versions(&pool).await;
            SQLITE_MIGRATIONS
                .run(&pool)
                .await
                .map_err(classify_migration)?;
            Ok((
                Pool::Sqlite(pool),
                newly_applied(&SQLITE_MIGRATIONS, &before),
            ))
        }
        Some(Backend::Postgres) => {
            let options = PgConnectOptions::from_str(url)
                .map_err(open_failed)?
                .application_name("warroom");
            // One connection first: the pool retries until its timeout and then reports only
            // that, where this one says why (refused, unknown host, a bad password).
            first_connection(&options).await.map_err(open_failed)?;
            let pool = PgPoolOptions::new()
                .max_connections(POSTGRES_CONNECTIONS)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await
                .map_err(open_failed)?;
            if !migrate {
                return Ok((Pool::Postgres(pool), Vec::new()));
            }
            let before = applied_versions(&pool).await;
            POSTGRES_MIGRATIONS
                .run(&pool)
                .await
                .map_err(classify_migration)?;
            Ok((
                Pool::Postgres(pool),
                newly_applied(&POSTGRES_MIGRATIONS, &before),
            ))
        }
        None => Err(StoreError::UnsupportedUrl(shown)),
    }
}

/// Connects once to PostgreSQL within [`ACQUIRE_TIMEOUT`], then closes the connection.
async fn first_connection(options: &PgConnectOptions) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    match tokio::time::timeout(ACQUIRE_TIMEOUT, sqlx::PgConnection::connect_with(options)).await {
        Ok(connection) => connection?.close().await,
        Err(_) => Err(sqlx::Error::PoolTimedOut),
    }
}

/// The migration versions a database has already applied (none when it has no table yet).
async fn applied_versions<DB>(pool: &sqlx::Pool<DB>) -> Vec<i64>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    i64: sqlx::Type<DB> + for<'r> sqlx::Decode<'r, DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    sqlx::query_scalar::<DB, i64>("SELECT version FROM _sqlx_migrations WHERE success")
        .fetch_all(pool)
        .await
        .unwrap_or_default()
}

/// The migrations the database at `pool` has not applied yet (version, description).
pub(super) async fn pending(pool: &Pool) -> Vec<(i64, String)> {
    match pool {
        Pool::Sqlite(p) => newly_applied(&SQLITE_MIGRATIONS, &applied_versions(p).await),
        Pool::Postgres(p) => newly_applied(&POSTGRES_MIGRATIONS, &applied_versions(p).await),
    }
}

/// The migrations of `migrator` that were not in `before`: the ones just applied.
fn newly_applied(migrator: &Migrator, before: &[i64]) -> Vec<(i64, String)> {
    migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration() && !before.contains(&m.version))
        .map(|m| (m.version, m.description.to_string()))
        .collect()
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
/// both of which would have to write; nor does a database opened as it is (`create` false),
/// which must exist.
fn sqlite_options(url: &str, create: bool) -> Result<SqliteConnectOptions, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true)
        // Reads through a memory map of up to 256 MiB and a page cache of 16 MiB per
        // connection, instead of a read call per page into 2 MiB: the web view and the API
        // read incidents and timelines all over a large file.
        .pragma("mmap_size", "268435456")
        .pragma("cache_size", "-16384");
    Ok(if is_read_only(url) {
        options
    } else {
        options
            .create_if_missing(create)
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
    fn a_bare_path_is_a_sqlite_file() {
        assert_eq!(database_url("warroom.db"), "sqlite://warroom.db");
        assert_eq!(database_url("/var/lib/w/w.db"), "sqlite:///var/lib/w/w.db");
        assert_eq!(database_url("sqlite:a.db"), "sqlite:a.db");
        assert_eq!(database_url("postgres://h/db"), "postgres://h/db");
        assert_eq!(database_url("mysql://h/db"), "mysql://h/db");
    }

    #[test]
    fn mode_ro_means_read_only() {
        assert!(is_read_only("sqlite://a.db?mode=ro"));
        assert!(is_read_only("sqlite:a.db?cache=private&mode=ro"));
        assert!(!is_read_only("sqlite://a.db?mode=rwc"));
        assert!(!is_read_only("sqlite://a.db"));
    }
}
