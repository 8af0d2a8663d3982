//! Counts read for `/metrics` on every scrape: the incidents by status and severity, and what
//! waits in each chat's outbox. Each is one query over an index.

use chrono::{DateTime, Utc};

use super::error::classify;
use super::{Store, StoreError};
use crate::domain::{Severity, Status};

/// How many incidents have one severity and status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentCount {
    /// Their severity.
    pub severity: Severity,
    /// Their status.
    pub status: Status,
    /// How many.
    pub count: i64,
}

/// What waits in one chat's outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCount {
    /// The chat's name (`slack`, `matrix`, `console`).
    pub chat: String,
    /// Entries not delivered yet.
    pub pending: i64,
    /// When the oldest of them was written.
    pub oldest: Option<DateTime<Utc>>,
}

impl Store {
    /// The incidents by status and severity (from the index `incidents_state`); pairs with
    /// none are left out.
    pub async fn incident_counts(&self) -> Result<Vec<IncidentCount>, StoreError> {
        let rows: Vec<(String, String, i64)> = with_pool!(&self.pool, p => {
            sqlx::query_as(
                "SELECT status, severity, COUNT(*) FROM incidents GROUP BY status, severity",
            )
            .fetch_all(p)
            .await
        })
        .map_err(classify)?;
        rows.into_iter()
            .map(|(status, severity, count)| {
                Ok(IncidentCount {
                    severity: severity.parse().map_err(|_| {
                        StoreError::Corrupt(format!("an incident has the severity '{severity}'"))
                    })?,
                    status: status.parse().map_err(|_| {
                        StoreError::Corrupt(format!("an incident has the status '{status}'"))
                    })?,
                    count,
                })
            })
            .collect()
    }

    /// What waits in each chat's outbox, for the chats that have anything waiting.
    pub async fn pending_counts(&self) -> Result<Vec<PendingCount>, StoreError> {
        let rows: Vec<(String, i64, Option<DateTime<Utc>>)> = with_pool!(&self.pool, p => {
            sqlx::query_as(
                "SELECT platform, COUNT(*), MIN(created_at) FROM outbox \
                 WHERE state = 'pending' GROUP BY platform",
            )
            .fetch_all(p)
            .await
        })
        .map_err(classify)?;
        Ok(rows
            .into_iter()
            .map(|(chat, pending, oldest)| PendingCount {
                chat,
                pending,
                oldest,
            })
            .collect())
    }
}
