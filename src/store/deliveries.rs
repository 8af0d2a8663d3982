//! Chat deliveries already taken: Slack's retried events and replayed requests act once.

use chrono::{DateTime, Utc};

use super::StoreError;
use super::error::classify;
use super::rows::stored_time;
use crate::domain::Platform;

/// What kind of delivery an id belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryKind {
    /// A slash command (keyed by its trigger id).
    Command,
    /// A button press or modal submission.
    Interaction,
    /// An Events API event (keyed by its event id).
    Event,
}

impl DeliveryKind {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryKind::Command => "command",
            DeliveryKind::Interaction => "interaction",
            DeliveryKind::Event => "event",
        }
    }
}

impl super::Store {
    /// Claims a delivery by its id: `true` the first time, `false` for every repeat, on
    /// whichever replica it arrives.
    pub async fn claim_delivery(
        &self,
        platform: Platform,
        id: &str,
        kind: DeliveryKind,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let inserted = with_pool!(&self.pool, p => {
            sqlx::query(
                "INSERT INTO chat_deliveries (platform, delivery_id, kind, received_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (platform, delivery_id) DO NOTHING",
            )
            .bind(platform.name())
            .bind(id)
            .bind(kind.as_str())
            .bind(stored_time(at))
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })
        .map_err(classify)?;
        Ok(inserted == 1)
    }

    /// Forgets claims older than `before` (Slack stops retrying after minutes); returns how many.
    pub async fn forget_deliveries(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        with_pool!(&self.pool, p => {
            sqlx::query("DELETE FROM chat_deliveries WHERE received_at < $1")
                .bind(stored_time(before))
                .execute(p)
                .await
                .map(|r| r.rows_affected())
        })
        .map_err(classify)
    }

    /// How many deliveries are claimed. For tests only (debug builds and the `testing` feature).
    #[cfg(any(test, debug_assertions, feature = "testing"))]
    pub async fn delivery_count(&self) -> Result<i64, StoreError> {
        with_pool!(&self.pool, p => {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM chat_deliveries")
                .fetch_one(p)
                .await
        })
        .map_err(classify)
    }
}
