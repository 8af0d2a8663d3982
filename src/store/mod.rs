//! Persistence of incidents, timelines, war rooms, cards and buttons, in SQLite (a file, the
//! default) or PostgreSQL (for several replicas). All SQL of Warroom lives under this folder.
//!
//! Every query is written once, with `$N` placeholders that both backends understand, and run on
//! whichever pool the store holds. Only the migrations exist per backend
//! (`migrations/sqlite`, `migrations/postgres`, same file names, same meaning).
//!
//! Times are kept to the microsecond, PostgreSQL's precision, on both backends.

use chrono::{DateTime, Utc};

pub use actions::Created;
pub use alerts::{
    AlertFound, AlertGroupIncident, AlertIntake, AlertIntakeOutcome, AlertPlan, AlertTarget,
    PlanAlerts,
};
pub use counts::{IncidentCount, PendingCount};

/// Which incidents a listing holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Those not resolved.
    Open,
    /// Those resolved.
    Resolved,
    /// Both.
    All,
}

impl Listing {
    /// `open`, `resolved` or `all`.
    pub fn name(&self) -> &'static str {
        match self {
            Listing::Open => "open",
            Listing::Resolved => "resolved",
            Listing::All => "all",
        }
    }
}
pub use deliveries::DeliveryKind;
pub use firing::TimerPage;
pub use incidents::{OpeningEffects, OpeningTimers, Told};
pub use matrix::{MatrixSession, ReactionKey};
pub use outbox::{OutboxEntry, OutboxItem};
pub use outbox_backlog::OutboxBacklog;
pub use timers::Cancel;

use crate::domain::{
    ButtonId, Command, Incident, IncidentNumber, IncidentTitle, MessageId, Platform, RoomId,
    Severity, TimelineEvent, UserId,
};

/// Why the store could not do what was asked. Each reads as a plain sentence; the cause is kept
/// for the log.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A backup could not be made; says why.
    #[error("no backup made: {0}")]
    Backup(String),
    /// The URL names no database Warroom supports.
    #[error("unsupported database URL '{0}': use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    /// The database could not be opened or reached at start-up.
    #[error("cannot open the database {url}: {reason}")]
    Open {
        /// The URL with any password hidden.
        url: String,
        /// What went wrong, in words.
        reason: String,
    },
    /// The file is not a SQLite database, or is damaged.
    #[error("the database file is damaged or is not a database ({0}); it was left untouched")]
    Corrupt(String),
    /// The database refuses writes.
    #[error("the database is read-only, so nothing could be recorded")]
    ReadOnly,
    /// The database went away (server down, network gone, pool exhausted).
    #[error("the database cannot be reached right now, so nothing was recorded")]
    Unavailable(#[source] sqlx::Error),
    /// Another writer holds the database (SQLite's lock, PostgreSQL's lock timeout) for longer
    /// than Warroom waits.
    #[error("the database is locked by another writer right now, so nothing was recorded")]
    Locked(#[source] sqlx::Error),
    /// The disk holding the database is full.
    #[error("the disk holding the database is full, so nothing was recorded")]
    Full,
    /// Someone else changed the incident between reading and writing it.
    #[error("{0} was changed by someone else at the same moment")]
    Conflict(IncidentNumber),
    /// A stored row could not be read back.
    #[error("stored data could not be read: {0}")]
    Decode(String),
    /// The schema could not be brought up to date.
    #[error("the database schema could not be migrated: {0}")]
    Migrate(String),
    /// Anything else the database said.
    #[error("the database failed: {0}")]
    Other(#[source] sqlx::Error),
}

/// A war room as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRoom {
    /// The room, in its chat (a Slack channel id, a Matrix room id, a console room name).
    pub id: RoomId,
    /// Its human name (`inc-7-checkout-api-returns-500s`).
    pub name: String,
}

/// Runs the same expression on whichever pool there is; `$p` names the pool inside `$body`.
macro_rules! with_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::store::Pool::Sqlite($p) => $body,
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
}

/// Runs the same expression on whichever backend's transaction `$tx` (a [`Tx`], or a `&mut`
/// to one) holds; `$t` names that transaction inside `$body`. With `&mut Tx`, `$t` is a
/// `&mut sqlx::Transaction` and statements run on `&mut **$t`.
macro_rules! with_tx {
    ($tx:expr, $t:ident => $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite($t) => $body,
            $crate::store::Tx::Postgres($t) => $body,
        }
    };
}

mod ack_links;
mod actions;
mod activity;
mod alert_intake;
mod alerts;
mod connect;
mod counts;
mod deliveries;
mod error;
mod firing;
mod health;
mod incident_chats;
mod incidents;
mod matrix;
mod outbox;
mod outbox_backlog;
mod published;
mod rooms;
mod rows;
mod runbook_messages;
mod timers;

/// The connection pool of the backend in use.
#[derive(Debug, Clone)]
enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Pool {
    /// Begins a transaction, so that the steps of one change can be functions of their own that
    /// each take `&mut Tx`.
    async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin().await.map_err(error::classify)?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await.map_err(error::classify)?),
        })
    }
}

/// An open transaction on the backend in use. Dropped without [`Tx::commit`], it rolls back.
enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    /// Commits the transaction.
    async fn commit(self) -> Result<(), StoreError> {
        with_tx!(self, t => t.commit().await.map_err(error::classify))
    }
}

/// The database: SQLite or PostgreSQL, chosen by the URL.
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
    /// The migrations this process applied when it opened the database.
    applied: Vec<(i64, String)>,
}

impl Store {
    /// Opens the database named by `url` (`sqlite://PATH` creates the file; `postgres://…`),
    /// and brings its schema up to date.
    #[tracing::instrument(skip_all, fields(url = %error::redact(url)))]
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let (pool, applied) = connect::open(&connect::database_url(url), true).await?;
        Ok(Store { pool, applied })
    }

    /// Opens the database named by `url` as it is, without bringing its schema up to date
    /// (for a backup, which must not change what it copies).
    pub async fn connect_as_is(url: &str) -> Result<Store, StoreError> {
        let (pool, applied) = connect::open(&connect::database_url(url), false).await?;
        Ok(Store { pool, applied })
    }

    /// The migrations this database has not applied (version, description), oldest first.
    pub async fn pending_migrations(&self) -> Vec<(i64, String)> {
        connect::pending(&self.pool).await
    }

    /// Copies a SQLite database, whole and consistent, into the new file `out` with
    /// `VACUUM INTO`: one read transaction, so writers go on meanwhile (WAL) and the copy is
    /// the database as of its start. PostgreSQL is backed up with `pg_dump` instead.
    pub async fn backup_into(&self, out: &std::path::Path) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(pool) => {
                if out.exists() {
                    return Err(StoreError::Backup(format!(
                        "{} already exists; a backup never overwrites a file",
                        out.display()
                    )));
                }
                let target = out.to_str().ok_or_else(|| {
                    StoreError::Backup(format!("{} is not a UTF-8 path", out.display()))
                })?;
                sqlx::query("VACUUM INTO ?")
                    .bind(target)
                    .execute(pool)
                    .await
                    .map_err(|e| StoreError::Backup(format!("{}: {e}", out.display())))?;
                Ok(())
            }
            Pool::Postgres(_) => Err(StoreError::Backup(
                "a PostgreSQL database is backed up with pg_dump (see docs/DEPLOY.md#backups)"
                    .to_owned(),
            )),
        }
    }

    /// The migrations applied when this store opened the database (version, description),
    /// oldest first; empty when it was up to date.
    pub fn applied_migrations(&self) -> &[(i64, String)] {
        &self.applied
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// Opens an incident with the next free number and records its declaration, atomically,
    /// with no chat, outbox entries or timers. For tests only (debug builds and the `testing`
    /// feature); the engine declares with [`Store::declare_told`].
    #[cfg(any(test, debug_assertions, feature = "testing"))]
    #[tracing::instrument(skip_all, fields(severity = %severity, by = %by))]
    pub async fn declare(
        &self,
        title: &IncidentTitle,
        severity: Severity,
        by: &UserId,
        at: DateTime<Utc>,
    ) -> Result<(Incident, TimelineEvent), StoreError> {
        incidents::declare(&self.pool, title, severity, by, at, &Told::nothing()).await
    }

    /// Opens an incident with the next free number and records its declaration, and in the
    /// same transaction records the chat the incident lives in, writes what `told.effects`
    /// makes of the new incident to the outbox and schedules the timers it starts with.
    #[tracing::instrument(skip_all, fields(severity = %severity, by = %by))]
    pub async fn declare_told(
        &self,
        title: &IncidentTitle,
        severity: Severity,
        by: &UserId,
        at: DateTime<Utc>,
        told: &Told<'_>,
    ) -> Result<(Incident, TimelineEvent), StoreError> {
        incidents::declare(&self.pool, title, severity, by, at, told).await
    }

    /// Appends `event` and saves `incident` (its state after the event), refusing with
    /// `Conflict` when the incident moved on since it was read (its version is not `event.seq - 1`).
    /// For tests only (debug builds and the `testing` feature); the engine records with
    /// [`Store::record_told`].
    #[cfg(any(test, debug_assertions, feature = "testing"))]
    #[tracing::instrument(skip_all, fields(incident = %incident.number, seq = event.seq, kind = event.kind.type_name()))]
    pub async fn record(
        &self,
        incident: &Incident,
        event: &TimelineEvent,
    ) -> Result<(), StoreError> {
        incidents::record(&self.pool, incident, event, &[]).await
    }

    /// Appends `event` and saves `incident` (its state after the event), refusing with
    /// `Conflict` when the incident moved on since it was read (its version is not
    /// `event.seq - 1`), and writes `outbox` in the same transaction.
    #[tracing::instrument(skip_all, fields(incident = %incident.number, seq = event.seq, kind = event.kind.type_name(), told = outbox.len()))]
    pub async fn record_told(
        &self,
        incident: &Incident,
        event: &TimelineEvent,
        outbox: &[OutboxEntry],
    ) -> Result<(), StoreError> {
        incidents::record(&self.pool, incident, event, outbox).await
    }

    /// One incident.
    #[tracing::instrument(skip_all, fields(incident = %number))]
    pub async fn incident(&self, number: IncidentNumber) -> Result<Option<Incident>, StoreError> {
        incidents::incident(&self.pool, number).await
    }

    /// The whole timeline of an incident, in order.
    #[tracing::instrument(skip_all, fields(incident = %number))]
    pub async fn timeline(&self, number: IncidentNumber) -> Result<Vec<TimelineEvent>, StoreError> {
        incidents::timeline(&self.pool, number).await
    }

    /// Every incident that is not resolved, newest first.
    pub async fn open_incidents(&self) -> Result<Vec<Incident>, StoreError> {
        incidents::open_incidents(&self.pool).await
    }

    /// What a status page is made from: the incidents open or resolved since `since`, newest
    /// first, and their status updates, read in one transaction so the two agree.
    pub async fn published_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<(Vec<Incident>, Vec<TimelineEvent>), StoreError> {
        incidents::published_since(&self.pool, since).await
    }

    /// A page of incidents, newest first: open, resolved or all (`listing`), of one severity
    /// or any, numbered below `before`, at most `limit`.
    pub async fn incident_page(
        &self,
        listing: &Listing,
        severity: Option<Severity>,
        before: u32,
        limit: usize,
    ) -> Result<Vec<Incident>, StoreError> {
        let severity = severity.map(|s| s.to_string()).unwrap_or_default();
        incidents::incident_page(
            &self.pool,
            listing.name(),
            &severity,
            i64::from(before),
            i64::try_from(limit).unwrap_or(i64::MAX),
        )
        .await
    }

    /// What a report is made from: the incidents declared at or after `since` and before
    /// `until`, in order, and the events of their timelines a report reads (declarations,
    /// status changes, pages, actions), in one transaction.
    pub async fn declared_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<(Vec<Incident>, Vec<TimelineEvent>), StoreError> {
        incidents::declared_between(&self.pool, since, until).await
    }

    /// Remembers the war room of an incident in the room's chat.
    #[tracing::instrument(skip_all, fields(incident = %incident, platform = %room.id.platform(), room = %room.id))]
    pub async fn bind_war_room(
        &self,
        incident: IncidentNumber,
        room: &StoredRoom,
    ) -> Result<(), StoreError> {
        rooms::bind_war_room(&self.pool, incident, room).await
    }

    /// The incident whose war room this is, if it is one.
    pub async fn incident_for_room(
        &self,
        room: &RoomId,
    ) -> Result<Option<IncidentNumber>, StoreError> {
        rooms::incident_for_room(&self.pool, room).await
    }

    /// The war room of an incident on a platform.
    pub async fn war_room(
        &self,
        platform: Platform,
        incident: IncidentNumber,
    ) -> Result<Option<StoredRoom>, StoreError> {
        rooms::war_room(&self.pool, platform, incident).await
    }

    /// Remembers (or replaces) where the incident's card was posted, in the card's chat.
    #[tracing::instrument(skip_all, fields(incident = %incident, platform = %card.platform()))]
    pub async fn save_card(
        &self,
        incident: IncidentNumber,
        card: &MessageId,
    ) -> Result<(), StoreError> {
        rooms::save_kept(&self.pool, rooms::Kept::Card, incident, card).await
    }

    /// Where the incident's card was posted on a platform.
    pub async fn card(
        &self,
        platform: Platform,
        incident: IncidentNumber,
    ) -> Result<Option<MessageId>, StoreError> {
        rooms::kept(&self.pool, rooms::Kept::Card, platform, incident).await
    }

    /// Remembers (or replaces) where the incident's announcement was posted, in its chat.
    #[tracing::instrument(skip_all, fields(incident = %incident, platform = %message.platform()))]
    pub async fn save_announcement(
        &self,
        incident: IncidentNumber,
        message: &MessageId,
    ) -> Result<(), StoreError> {
        rooms::save_kept(&self.pool, rooms::Kept::Announcement, incident, message).await
    }

    /// Remembers the id of the incident's incident on Statuspage.
    pub async fn save_statuspage_incident(
        &self,
        incident: IncidentNumber,
        page_incident: &str,
    ) -> Result<(), StoreError> {
        published::save(&self.pool, incident, page_incident).await
    }

    /// The id of the incident's incident on Statuspage, once it was published there.
    pub async fn statuspage_incident(
        &self,
        incident: IncidentNumber,
    ) -> Result<Option<String>, StoreError> {
        published::find(&self.pool, incident).await
    }

    /// Takes the daily digest of `day` for this process, writing `outbox` (its posts) with it
    /// in one transaction; `false` when another process (or an earlier round) took it.
    pub async fn claim_digest(
        &self,
        day: chrono::NaiveDate,
        at: DateTime<Utc>,
        outbox: &[OutboxEntry],
    ) -> Result<bool, StoreError> {
        published::claim_digest(&self.pool, day, at, outbox).await
    }

    /// Whether the daily digest of `day` was posted.
    pub async fn digest_posted(&self, day: chrono::NaiveDate) -> Result<bool, StoreError> {
        published::digest_posted(&self.pool, day).await
    }

    /// Where the incident's announcement was posted on a platform.
    pub async fn announcement(
        &self,
        platform: Platform,
        incident: IncidentNumber,
    ) -> Result<Option<MessageId>, StoreError> {
        rooms::kept(&self.pool, rooms::Kept::Announcement, platform, incident).await
    }

    /// The id of the button that runs `command`: the same command always gets the same id.
    pub async fn button_for(&self, command: &Command) -> Result<ButtonId, StoreError> {
        rooms::button_for(&self.pool, command)
            .await
            .map(ButtonId::from_row)
    }

    /// The command behind a button id, if there is such a button.
    pub async fn button(&self, id: ButtonId) -> Result<Option<Command>, StoreError> {
        rooms::button(&self.pool, id.row()).await
    }
}
