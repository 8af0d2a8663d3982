//! Turning what sqlx reports into a [`StoreError`] a person can act on.

use sqlx::error::DatabaseError;
use sqlx::migrate::MigrateError;

use super::StoreError;

/// SQLite's primary result codes that mean something to us (<https://sqlite.org/rescode.html>).
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
const SQLITE_READONLY: i32 = 8;
const SQLITE_CORRUPT: i32 = 11;
const SQLITE_FULL: i32 = 13;
const SQLITE_NOTADB: i32 = 26;

/// What kind of failure an error is, decided before the error is moved into a variant.
enum Kind {
    ReadOnly,
    Locked,
    Full,
    Corrupt(String),
    Unavailable,
    Decode,
    Other,
}

/// Sorts a sqlx error into the store's error kinds.
pub(super) fn classify(e: sqlx::Error) -> StoreError {
    match kind(&e) {
        Kind::ReadOnly => StoreError::ReadOnly,
        Kind::Locked => StoreError::Locked(e),
        Kind::Full => StoreError::Full,
        Kind::Corrupt(message) => StoreError::Corrupt(message),
        Kind::Unavailable => StoreError::Unavailable(e),
        Kind::Decode => StoreError::Decode(e.to_string()),
        Kind::Other => StoreError::Other(e),
    }
}

/// Sorts a migration failure: damage and outages keep their kind, the rest is `Migrate`.
pub(super) fn classify_migration(e: MigrateError) -> StoreError {
    match e {
        MigrateError::Execute(inner) | MigrateError::ExecuteMigration(inner, _) => {
            match classify(inner) {
                StoreError::Other(inner) => StoreError::Migrate(inner.to_string()),
                StoreError::Decode(message) => StoreError::Migrate(message),
                StoreError::ReadOnly => StoreError::Migrate(
                    "the database is read-only and its schema is not up to date".into(),
                ),
                other => other,
            }
        }
        other => StoreError::Migrate(other.to_string()),
    }
}

/// Whether the error is a unique (or primary key) violation.
pub(super) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

fn kind(e: &sqlx::Error) -> Kind {
    match e {
        sqlx::Error::Database(db) => database_kind(db.as_ref()),
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => Kind::Unavailable,
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. } => Kind::Decode,
        _ => Kind::Other,
    }
}

fn database_kind(db: &dyn DatabaseError) -> Kind {
    let Some(code) = db.code() else {
        return Kind::Other;
    };
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // SQLite reports extended codes; the primary code is the low byte.
        match code.parse::<i32>().map(|c| c & 0xff) {
            Ok(SQLITE_READONLY) => Kind::ReadOnly,
            Ok(SQLITE_CORRUPT | SQLITE_NOTADB) => Kind::Corrupt(db.message().to_owned()),
            Ok(SQLITE_BUSY | SQLITE_LOCKED) => Kind::Locked,
            Ok(SQLITE_FULL) => Kind::Full,
            _ => Kind::Other,
        }
    } else {
        // PostgreSQL SQLSTATEs (<https://www.postgresql.org/docs/current/errcodes-appendix.html>).
        match code.as_ref() {
            // read_only_sql_transaction: a hot standby, or default_transaction_read_only.
            "25006" => Kind::ReadOnly,
            // data_corrupted, index_corrupted.
            "XX001" | "XX002" => Kind::Corrupt(db.message().to_owned()),
            // lock_not_available (lock_timeout ran out).
            "55P03" => Kind::Locked,
            // disk_full.
            "53100" => Kind::Full,
            // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections.
            "57P01" | "57P02" | "57P03" | "53300" => Kind::Unavailable,
            // Class 08: connection exceptions.
            c if c.starts_with("08") => Kind::Unavailable,
            _ => Kind::Other,
        }
    }
}

/// The URL with any password replaced by `***`, fit for logs and messages.
pub(super) fn redact(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        // Unparseable: show only the scheme, since anything after it may be a secret.
        let scheme = url.split(':').next().unwrap_or_default();
        return format!("{scheme}:…");
    };
    let mut changed = false;
    if parsed.password().is_some() {
        changed = parsed.set_password(Some("***")).is_ok();
    }
    if parsed.query_pairs().any(|(k, _)| k == "password") {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "password" {
                    "***".into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
        changed = true;
    }
    if changed {
        parsed.to_string()
    } else {
        url.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_hidden_in_urls() {
        assert_eq!(
            redact("postgres://warroom:s3cret@db:5432/warroom"),
            "postgres://warroom:***@db:5432/warroom"
        );
        assert_eq!(
            redact("postgres://db/warroom?user=w&password=s3cret"),
            "postgres://db/warroom?user=w&password=***"
        );
        assert_eq!(
            redact("sqlite://data/warroom.db"),
            "sqlite://data/warroom.db"
        );
        assert_eq!(redact("postgres://w:s3 cret@[x/"), "postgres:…");
    }
}
