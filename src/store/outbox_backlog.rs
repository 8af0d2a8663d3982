//! Looking into the outbox rather than working it: what waits for one chat (the backlog that
//! `/healthz` and the delivery worker report), a lane's entries in order, and one entry's
//! state. Writing, claiming and settling entries is in `outbox.rs`.

use chrono::{DateTime, Utc};

use super::error::classify;
use super::rows::stored_time;
use super::{Store, StoreError};
use crate::domain::Platform;

/// What waits in the outbox of one chat.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutboxBacklog {
    /// Entries not delivered yet.
    pub pending: i64,
    /// When the oldest of them was written.
    pub oldest: Option<DateTime<Utc>>,
    /// The last failure of an entry that is being retried, and since when its lane waits
    /// (the oldest such entry's creation).
    pub failing: Option<(String, DateTime<Utc>)>,
    /// Entries given up on (refused for good) since `since`.
    pub refused: i64,
    /// Pages that were tried at least once and are not delivered yet.
    pub undelivered_pages: i64,
}

impl Store {
    /// What waits in the outbox of `platform`; `refused_since` bounds the count of entries
    /// given up on.
    pub async fn outbox_backlog(
        &self,
        platform: Platform,
        refused_since: DateTime<Utc>,
    ) -> Result<OutboxBacklog, StoreError> {
        let (pending, oldest): (i64, Option<DateTime<Utc>>) = with_pool!(&self.pool, p => {
            sqlx::query_as(
                "SELECT COUNT(*), MIN(created_at) FROM outbox \
                 WHERE platform = $1 AND state = 'pending'",
            )
            .bind(platform.name())
            .fetch_one(p)
            .await
        })
        .map_err(classify)?;
        let failing: Option<(String, DateTime<Utc>)> = with_pool!(&self.pool, p => {
            sqlx::query_as(
                "SELECT last_error, created_at FROM outbox \
                 WHERE platform = $1 AND state = 'pending' AND last_error IS NOT NULL \
                 ORDER BY id LIMIT 1",
            )
            .bind(platform.name())
            .fetch_optional(p)
            .await
        })
        .map_err(classify)?;
        let refused: i64 = with_pool!(&self.pool, p => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM outbox WHERE platform = $1 AND state = 'failed' \
                 AND done_at >= $2",
            )
            .bind(platform.name())
            .bind(stored_time(refused_since))
            .fetch_one(p)
            .await
        })
        .map_err(classify)?;
        let undelivered_pages: i64 = with_pool!(&self.pool, p => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM outbox WHERE platform = $1 AND state = 'pending' \
                 AND kind = 'page' AND attempts > 0",
            )
            .bind(platform.name())
            .fetch_one(p)
            .await
        })
        .map_err(classify)?;
        Ok(OutboxBacklog {
            pending,
            oldest,
            failing,
            refused,
            undelivered_pages,
        })
    }

    /// Every entry of a lane in order, with its state and what the chat made. For tests only
    /// (debug builds and the `testing` feature).
    #[cfg(any(test, debug_assertions, feature = "testing"))]
    pub async fn outbox_lane(
        &self,
        platform: Platform,
        lane: &str,
    ) -> Result<Vec<(String, String, Option<String>)>, StoreError> {
        with_pool!(&self.pool, p => {
            sqlx::query_as(
                "SELECT kind, state, platform_ref FROM outbox \
                 WHERE platform = $1 AND lane = $2 ORDER BY id",
            )
            .bind(platform.name())
            .bind(lane)
            .fetch_all(p)
            .await
        })
        .map_err(classify)
    }

    /// The state of an entry (`pending`, `delivered`, `failed`), if there is one.
    pub async fn outbox_state(&self, id: i64) -> Result<Option<String>, StoreError> {
        with_pool!(&self.pool, p => {
            sqlx::query_scalar("SELECT state FROM outbox WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await
        })
        .map_err(classify)
    }
}
