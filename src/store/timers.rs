//! Timers: scheduled with the incident, cancelled on acknowledgement and resolution, claimed
//! with a lease so that each fires once across replicas, and late rather than never.

use chrono::{DateTime, Utc};

use super::error::classify;
use super::rows::{number_from, stored_time};
use super::{Store, StoreError};
use crate::domain::{IncidentNumber, Timer, TimerKind};

/// Which timers of an incident to cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancel {
    /// Only pages (on acknowledgement).
    Pages,
    /// Only reminders.
    Reminders,
    /// Everything (on resolution).
    All,
}

/// Schedules timers inside an open transaction (with the change that makes them due).
macro_rules! insert_timers {
    ($tx:expr, $incident:expr, $timers:expr) => {
        async {
            for (kind, due) in $timers {
                let (name, level) = $crate::store::timers::kind_columns(*kind);
                sqlx::query(
                    "INSERT INTO timers (incident_number, kind, level, due_at, state) \
                     VALUES ($1, $2, $3, $4, 'pending')",
                )
                .bind(i64::from($incident.0))
                .bind(name)
                .bind(level)
                .bind($crate::store::rows::stored_time(*due))
                .execute(&mut *$tx)
                .await
                .map_err($crate::store::error::classify)?;
            }
            Ok::<(), $crate::store::StoreError>(())
        }
    };
}
pub(super) use insert_timers;

pub(super) fn kind_columns(kind: TimerKind) -> (&'static str, i64) {
    match kind {
        TimerKind::Page { level } => (kind.name(), i64::from(level)),
        TimerKind::Remind => (kind.name(), 0),
        TimerKind::Approval { request } => (kind.name(), request),
    }
}

/// A due timer that is free to claim: pending, or claimed by an owner whose lease ran out.
const CLAIMABLE: &str = "(state = 'pending' OR (state = 'claimed' AND claimed_until < $1))";

impl Store {
    /// Schedules timers for an incident.
    pub async fn schedule_timers(
        &self,
        incident: IncidentNumber,
        timers: &[(TimerKind, DateTime<Utc>)],
    ) -> Result<(), StoreError> {
        for (kind, due) in timers {
            let (name, level) = kind_columns(*kind);
            with_pool!(&self.pool, p => {
                sqlx::query(
                    "INSERT INTO timers (incident_number, kind, level, due_at, state) \
                     VALUES ($1, $2, $3, $4, 'pending')",
                )
                .bind(i64::from(incident.0))
                .bind(name)
                .bind(level)
                .bind(stored_time(*due))
                .execute(p)
                .await
                .map(|_| ())
            })
            .map_err(classify)?;
        }
        Ok(())
    }

    /// Cancels an incident's pending timers of a kind; returns how many.
    pub async fn cancel_timers(
        &self,
        incident: IncidentNumber,
        which: Cancel,
    ) -> Result<u64, StoreError> {
        let filter = match which {
            Cancel::Pages => " AND kind = 'page'",
            Cancel::Reminders => " AND kind = 'remind'",
            Cancel::All => "",
        };
        let query = format!(
            "UPDATE timers SET state = 'cancelled' \
             WHERE incident_number = $1 AND state = 'pending'{filter}"
        );
        with_pool!(&self.pool, p => {
            sqlx::query(sqlx::AssertSqlSafe(query))
                .bind(i64::from(incident.0))
                .execute(p)
                .await
                .map(|done| done.rows_affected())
        })
        .map_err(classify)
    }

    /// When the next timer that is not done is due (a claim in progress counts at its lease's end).
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let next: Option<DateTime<Utc>> = with_pool!(&self.pool, p => {
            sqlx::query_scalar(
                "SELECT MIN(CASE WHEN state = 'claimed' AND claimed_until > due_at \
                 THEN claimed_until ELSE due_at END) \
                 FROM timers WHERE state IN ('pending', 'claimed')",
            )
            .fetch_one(p)
            .await
        })
        .map_err(classify)?;
        Ok(next)
    }

    /// Claims up to `limit` timers due at `now` for `owner` until `lease_until`, oldest first.
    /// Of several replicas asking at once, each timer goes to one.
    pub async fn claim_due(
        &self,
        now: DateTime<Utc>,
        owner: &str,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Timer>, StoreError> {
        let now = stored_time(now);
        // One statement: the subquery picks the oldest due timers, and the update re-checks
        // each row, so of replicas racing for a timer exactly one gets it.
        let claim = format!(
            "UPDATE timers SET state = 'claimed', claimed_by = $2, claimed_until = $3, \
             attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM timers WHERE due_at <= $1 AND {CLAIMABLE} \
                          ORDER BY due_at, id LIMIT $4) \
             AND {CLAIMABLE} \
             RETURNING id, incident_number, kind, level, due_at, attempts"
        );
        let rows: Vec<(i64, i64, String, i64, DateTime<Utc>, i64)> = with_pool!(&self.pool, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(claim))
                .bind(now)
                .bind(owner)
                .bind(stored_time(lease_until))
                .bind(limit)
                .fetch_all(p)
                .await
        })
        .map_err(classify)?;
        let mut claimed = Vec::with_capacity(rows.len());
        for (id, incident, kind, level, due_at, attempts) in rows {
            let kind = match kind.as_str() {
                "page" => TimerKind::Page {
                    level: u32::try_from(level)
                        .map_err(|_| StoreError::Decode(format!("timer {id}: level")))?,
                },
                "approval" => TimerKind::Approval { request: level },
                _ => TimerKind::Remind,
            };
            claimed.push(Timer {
                id,
                incident: number_from(incident)?,
                kind,
                due_at,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            });
        }
        claimed.sort_by_key(|t| (t.due_at, t.id));
        Ok(claimed)
    }

    /// Marks claimed timers fired, in one statement; only the owner of each claim can.
    /// Returns how many were marked.
    pub async fn mark_fired_all(
        &self,
        ids: &[i64],
        owner: &str,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        // Ids are numbers from the store itself, so listing them in the statement is safe.
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        let query = format!(
            "UPDATE timers SET state = 'fired', fired_at = $1 \
             WHERE id IN ({}) AND state = 'claimed' AND claimed_by = $2",
            list.join(", ")
        );
        with_pool!(&self.pool, p => {
            sqlx::query(sqlx::AssertSqlSafe(query))
                .bind(stored_time(at))
                .bind(owner)
                .execute(p)
                .await
                .map(|done| done.rows_affected())
        })
        .map_err(classify)
    }

    /// Marks a claimed timer fired; only the owner of the claim can, so it fires once. For
    /// tests only (debug builds and the `testing` feature); the scheduler marks timers with
    /// [`Store::fire_timers`] and [`Store::mark_fired_all`].
    #[cfg(any(test, debug_assertions, feature = "testing"))]
    pub async fn mark_fired(
        &self,
        id: i64,
        owner: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = with_pool!(&self.pool, p => {
            sqlx::query(
                "UPDATE timers SET state = 'fired', fired_at = $1 \
                 WHERE id = $2 AND state = 'claimed' AND claimed_by = $3",
            )
            .bind(stored_time(at))
            .bind(id)
            .bind(owner)
            .execute(p)
            .await
            .map(|done| done.rows_affected())
        })
        .map_err(classify)?;
        Ok(done == 1)
    }
}
