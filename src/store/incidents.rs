//! Incidents and their timelines: declaring, recording events with optimistic locking, reading.

use chrono::{DateTime, Utc};

use super::error::{classify, is_unique_violation};
use super::incident_chats::insert_incident_chat;
use super::outbox::{OutboxEntry, insert_entries};
use super::rows::{
    EventRow, IncidentRow, event_columns, incident_columns, number_from, stored_time,
};
use super::timers::insert_timers;
use super::{Pool, StoreError};
use crate::domain::{
    Incident, IncidentNumber, IncidentTitle, Platform, Severity, TimelineEvent, TimerKind, UserId,
};

/// How often a declare is retried when a concurrent declare took the same number (PostgreSQL).
/// Every lost race means another declare committed, so this bounds the concurrent declares one
/// caller can lose to, far above what a chat produces.
const MAX_DECLARE_ATTEMPTS: u32 = 50;

/// The next number is taken inside the INSERT, so numbers have no gaps; two transactions that
/// take the same one collide on the primary key and the loser retries.
pub(super) const INSERT_INCIDENT: &str = concat!(
    "INSERT INTO incidents (",
    incident_columns!(),
    ") SELECT COALESCE(MAX(number), 0) + 1, \
     $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 FROM incidents RETURNING number"
);

/// Takes the next incident number in turn on PostgreSQL: two transactions computing
/// `MAX(number) + 1` at once collide on the key, and under a burst of declarations a loser
/// can lose again and again. The lock is the transaction's (released at commit or rollback).
/// SQLite has one writer at a time, so there it is not needed.
pub(super) const NUMBERING_LOCK: &str = "SELECT pg_advisory_xact_lock(7340001)";

/// Saves the state after an event, only if the row is still at the version before it.
pub(super) const UPDATE_INCIDENT: &str = "UPDATE incidents SET title = $1, severity = $2, status = $3, \
     commander = $4, comms = $5, scribe = $6, declared_by = $7, declared_at = $8, \
     acknowledged_by = $9, acknowledged_at = $10, resolved_at = $11, version = $12, \
     runbooks = $13, details = $14 WHERE number = $15 AND version = $16";

pub(super) const INSERT_EVENT: &str = concat!(
    "INSERT INTO timeline_events (",
    event_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6)"
);

pub(super) const SELECT_INCIDENT: &str = concat!(
    "SELECT ",
    incident_columns!(),
    " FROM incidents WHERE number = $1"
);

/// `'resolved'` is `Status::Resolved.word()`, written out so the partial index applies.
const SELECT_OPEN_INCIDENTS: &str = concat!(
    "SELECT ",
    incident_columns!(),
    " FROM incidents WHERE status <> 'resolved' ORDER BY number DESC"
);

/// The numbers of the incidents a status page may show: open, or resolved since `$1`. Two
/// selects, so that each uses its partial index (`incidents_open`, `incidents_resolved_at`):
/// an `OR` would scan the table. `'resolved'` is `Status::Resolved.word()`.
macro_rules! open_or_resolved_since {
    () => {
        "SELECT number FROM incidents WHERE status <> 'resolved' \
         UNION ALL SELECT number FROM incidents WHERE status = 'resolved' AND resolved_at >= $1"
    };
}

/// Those incidents, newest first.
const SELECT_OPEN_OR_RESOLVED_SINCE: &str = concat!(
    "SELECT ",
    incident_columns!(),
    " FROM incidents WHERE number IN (",
    open_or_resolved_since!(),
    ") ORDER BY number DESC"
);

/// Their status updates (`'status_update'` is `EventKind::StatusUpdate`'s type name).
const SELECT_UPDATES_OF_OPEN_OR_RESOLVED_SINCE: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM timeline_events WHERE kind = 'status_update' AND incident_number IN (",
    open_or_resolved_since!(),
    ") ORDER BY incident_number, seq"
);

/// A page of incidents, newest first: `$1` is `open`, `resolved` or `all` (`'resolved'` is
/// `Status::Resolved.word()`), `$2` a severity or `''` for any, numbered below `$3`, at most
/// `$4`. The primary key is read backwards and the filters applied as it goes.
const SELECT_INCIDENT_PAGE: &str = concat!(
    "SELECT ",
    incident_columns!(),
    " FROM incidents WHERE number < $3 AND ($2 = '' OR severity = $2) \
     AND ($1 = 'all' OR ($1 = 'open' AND status <> 'resolved') \
     OR ($1 = 'resolved' AND status = 'resolved')) ORDER BY number DESC LIMIT $4"
);

/// The incidents declared in `[$1, $2)`, in order.
const SELECT_DECLARED_BETWEEN: &str = concat!(
    "SELECT ",
    incident_columns!(),
    " FROM incidents WHERE declared_at >= $1 AND declared_at < $2 ORDER BY number"
);

/// The events of theirs that a report reads (by type name: `EventKind::type_name`), in order.
const SELECT_REPORTED_EVENTS: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM timeline_events WHERE kind IN ('declared', 'status_changed', 'paged', \
     'action_requested', 'action_finished', 'action_denied', 'action_expired', \
     'action_cancelled') AND incident_number IN \
     (SELECT number FROM incidents WHERE declared_at >= $1 AND declared_at < $2) \
     ORDER BY incident_number, seq"
);

const SELECT_TIMELINE: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM timeline_events WHERE incident_number = $1 ORDER BY seq"
);

/// Binds an incident's state, every column but `number`, as `$1` to `$14`.
macro_rules! bind_state {
    ($query:expr, $row:expr) => {
        $query
            .bind(&$row.title)
            .bind(&$row.severity)
            .bind(&$row.status)
            .bind(&$row.commander)
            .bind(&$row.comms)
            .bind(&$row.scribe)
            .bind(&$row.declared_by)
            .bind($row.declared_at)
            .bind(&$row.acknowledged_by)
            .bind($row.acknowledged_at)
            .bind($row.resolved_at)
            .bind($row.version)
            .bind(&$row.runbooks)
            .bind(&$row.details)
    };
}
pub(super) use bind_state;

/// Binds an event's columns as `$1` to `$6`.
macro_rules! bind_event {
    ($query:expr, $row:expr) => {
        $query
            .bind($row.incident_number)
            .bind($row.seq)
            .bind($row.at)
            .bind(&$row.actor)
            .bind(&$row.kind)
            .bind(&$row.data)
    };
}
pub(super) use bind_event;

/// What makes a new incident's outbox entries, once its number is known.
pub type OpeningEffects<'f> = dyn Fn(&Incident) -> Vec<OutboxEntry> + Send + Sync + 'f;
/// What makes a new incident's first timers (its pages and reminder).
pub type OpeningTimers<'f> =
    dyn Fn(&Incident) -> Vec<(TimerKind, DateTime<Utc>)> + Send + Sync + 'f;

/// What a declaration writes besides the incident, in its transaction: the chat it lives in,
/// what to tell chats about it, and the timers it starts with.
pub struct Told<'a> {
    /// The chat the incident lives in.
    pub chat: Option<Platform>,
    /// Its outbox entries.
    pub effects: &'a OpeningEffects<'a>,
    /// Its first timers.
    pub timers: &'a OpeningTimers<'a>,
    /// Whether the declarer acknowledges by declaring: an `acknowledged` event follows the
    /// declaration, in the same transaction.
    pub acknowledged: bool,
    /// Whether the incident is a drill; its declaration says so.
    pub drill: bool,
    /// Whether the incident is private; its declaration says so.
    pub private: bool,
}

fn no_effects(_: &Incident) -> Vec<OutboxEntry> {
    Vec::new()
}

fn no_timers(_: &Incident) -> Vec<(TimerKind, DateTime<Utc>)> {
    Vec::new()
}

impl Told<'static> {
    /// A declaration that tells no chat, starts no timer and is neither a drill nor private
    /// (the store's own tests and the benchmarks, which add what they measure themselves).
    pub fn nothing() -> Told<'static> {
        Told {
            chat: None,
            effects: &no_effects,
            timers: &no_timers,
            acknowledged: false,
            drill: false,
            private: false,
        }
    }
}

/// See [`super::Store::declare_told`].
pub(super) async fn declare(
    pool: &Pool,
    title: &IncidentTitle,
    severity: Severity,
    by: &UserId,
    at: DateTime<Utc>,
    told: &Told<'_>,
) -> Result<(Incident, TimelineEvent), StoreError> {
    // Cut to the stored precision first, so the incident returned equals the one read back.
    let at = stored_time(at);
    let mut attempt = 1;
    loop {
        match try_declare(pool, title, severity, by, at, told).await {
            Err(StoreError::Other(e))
                if is_unique_violation(&e) && attempt < MAX_DECLARE_ATTEMPTS =>
            {
                tracing::debug!(
                    attempt,
                    "a concurrent declare took the number; taking the next"
                );
                attempt += 1;
            }
            result => return result,
        }
    }
}

async fn try_declare(
    pool: &Pool,
    title: &IncidentTitle,
    severity: Severity,
    by: &UserId,
    at: DateTime<Utc>,
    told: &Told<'_>,
) -> Result<(Incident, TimelineEvent), StoreError> {
    // The domain, not SQL, decides the first state; the draft's number is replaced by the row's.
    let declared = |number: IncidentNumber| -> Result<(Incident, Vec<TimelineEvent>), StoreError> {
        let (mut incident, event) = Incident::declare_as(
            number,
            title.clone(),
            severity,
            by.clone(),
            at,
            (told.drill, told.private),
        );
        let mut events = vec![event];
        if told.acknowledged {
            let kind = incident.acknowledge().map_err(|e| {
                StoreError::Decode(format!("a new incident refused its acknowledgement: {e}"))
            })?;
            let acked = incident.event(kind, by.clone(), at);
            incident.apply(&acked);
            events.push(acked);
        }
        Ok((incident, events))
    };
    let (draft, _) = declared(IncidentNumber(0))?;
    let state = IncidentRow::from(&draft);
    let postgres = matches!(pool, Pool::Postgres(_));
    with_pool!(pool, p => {
        let mut tx = p.begin().await.map_err(classify)?;
        if postgres {
            sqlx::query(NUMBERING_LOCK)
                .execute(&mut *tx)
                .await
                .map_err(classify)?;
        }
        let number: i64 = bind_state!(sqlx::query_scalar(INSERT_INCIDENT), state)
            .fetch_one(&mut *tx)
            .await
            .map_err(classify)?;
        let (incident, mut events) = declared(number_from(number)?)?;
        for event in &events {
            let event_row = EventRow::from_event(event)?;
            bind_event!(sqlx::query(INSERT_EVENT), event_row)
                .execute(&mut *tx)
                .await
                .map_err(classify)?;
        }
        if let Some(chat) = told.chat {
            insert_incident_chat!(tx, number, chat.name()).await.map_err(classify)?;
        }
        let entries = (told.effects)(&incident);
        insert_entries!(tx, &entries, at).await?;
        insert_timers!(tx, incident.number, &(told.timers)(&incident)).await?;
        tx.commit().await.map_err(classify)?;
        let declaration = events.swap_remove(0);
        Ok((incident, declaration))
    })
}

/// See [`super::Store::record_told`]. An event that does not belong to `incident` or does not
/// follow its version by one is refused as a conflict too, before anything is written.
pub(super) async fn record(
    pool: &Pool,
    incident: &Incident,
    event: &TimelineEvent,
    outbox: &[OutboxEntry],
) -> Result<(), StoreError> {
    let number = incident.number;
    let fits = event.incident == number && event.seq == incident.version;
    let Some(previous) = event.seq.checked_sub(1).filter(|_| fits) else {
        return Err(StoreError::Conflict(number));
    };
    let state = IncidentRow::from(incident);
    let event_row = EventRow::from_event(event)?;
    with_pool!(pool, p => {
        let mut tx = p.begin().await.map_err(classify)?;
        let updated = bind_state!(sqlx::query(UPDATE_INCIDENT), state)
            .bind(state.number)
            .bind(i64::from(previous))
            .execute(&mut *tx)
            .await
            .map_err(classify)?
            .rows_affected();
        if updated == 0 {
            // Dropping the transaction rolls it back; nothing was written anyway.
            return Err(StoreError::Conflict(number));
        }
        bind_event!(sqlx::query(INSERT_EVENT), event_row)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict(number)
                } else {
                    classify(e)
                }
            })?;
        insert_entries!(tx, outbox, event_row.at).await?;
        tx.commit().await.map_err(classify)
    })
}

/// See [`super::Store::incident`].
pub(super) async fn incident(
    pool: &Pool,
    number: IncidentNumber,
) -> Result<Option<Incident>, StoreError> {
    let row: Option<IncidentRow> = with_pool!(pool, p => {
        sqlx::query_as(SELECT_INCIDENT)
            .bind(i64::from(number.0))
            .fetch_optional(p)
            .await
    })
    .map_err(classify)?;
    row.map(IncidentRow::into_incident).transpose()
}

/// See [`super::Store::timeline`].
pub(super) async fn timeline(
    pool: &Pool,
    number: IncidentNumber,
) -> Result<Vec<TimelineEvent>, StoreError> {
    let rows: Vec<EventRow> = with_pool!(pool, p => {
        sqlx::query_as(SELECT_TIMELINE)
            .bind(i64::from(number.0))
            .fetch_all(p)
            .await
    })
    .map_err(classify)?;
    rows.into_iter().map(EventRow::into_event).collect()
}

/// See [`super::Store::open_incidents`].
pub(super) async fn open_incidents(pool: &Pool) -> Result<Vec<Incident>, StoreError> {
    let rows: Vec<IncidentRow> = with_pool!(pool, p => {
        sqlx::query_as(SELECT_OPEN_INCIDENTS).fetch_all(p).await
    })
    .map_err(classify)?;
    rows.into_iter().map(IncidentRow::into_incident).collect()
}

/// See [`super::Store::published_since`].
/// See [`super::Store::incident_page`].
pub(super) async fn incident_page(
    pool: &Pool,
    listing: &str,
    severity: &str,
    before: i64,
    limit: i64,
) -> Result<Vec<Incident>, StoreError> {
    let rows: Vec<IncidentRow> = with_pool!(pool, p => {
        sqlx::query_as(SELECT_INCIDENT_PAGE)
            .bind(listing)
            .bind(severity)
            .bind(before)
            .bind(limit)
            .fetch_all(p)
            .await
    })
    .map_err(classify)?;
    rows.into_iter().map(IncidentRow::into_incident).collect()
}

/// Incidents and events as read.
fn decoded(
    incidents: Vec<IncidentRow>,
    events: Vec<EventRow>,
) -> Result<(Vec<Incident>, Vec<TimelineEvent>), StoreError> {
    let incidents = incidents
        .into_iter()
        .map(IncidentRow::into_incident)
        .collect::<Result<_, _>>()?;
    let events = events
        .into_iter()
        .map(EventRow::into_event)
        .collect::<Result<_, _>>()?;
    Ok((incidents, events))
}

/// See [`super::Store::declared_between`].
pub(super) async fn declared_between(
    pool: &Pool,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<(Vec<Incident>, Vec<TimelineEvent>), StoreError> {
    let (since, until) = (stored_time(since), stored_time(until));
    let (incidents, events): (Vec<IncidentRow>, Vec<EventRow>) = with_pool!(pool, p => {
        let mut tx = p.begin().await.map_err(classify)?;
        let incidents = sqlx::query_as(SELECT_DECLARED_BETWEEN)
            .bind(since)
            .bind(until)
            .fetch_all(&mut *tx)
            .await
            .map_err(classify)?;
        let events = sqlx::query_as(SELECT_REPORTED_EVENTS)
            .bind(since)
            .bind(until)
            .fetch_all(&mut *tx)
            .await
            .map_err(classify)?;
        tx.commit().await.map_err(classify)?;
        (incidents, events)
    });
    decoded(incidents, events)
}

pub(super) async fn published_since(
    pool: &Pool,
    since: DateTime<Utc>,
) -> Result<(Vec<Incident>, Vec<TimelineEvent>), StoreError> {
    let since = stored_time(since);
    let (incidents, events): (Vec<IncidentRow>, Vec<EventRow>) = with_pool!(pool, p => {
        let mut tx = p.begin().await.map_err(classify)?;
        let incidents = sqlx::query_as(SELECT_OPEN_OR_RESOLVED_SINCE)
            .bind(since)
            .fetch_all(&mut *tx)
            .await
            .map_err(classify)?;
        let events = sqlx::query_as(SELECT_UPDATES_OF_OPEN_OR_RESOLVED_SINCE)
            .bind(since)
            .fetch_all(&mut *tx)
            .await
            .map_err(classify)?;
        tx.commit().await.map_err(classify)?;
        (incidents, events)
    });
    decoded(incidents, events)
}
