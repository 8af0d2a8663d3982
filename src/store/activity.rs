//! When the database last recorded anything.

use chrono::{DateTime, Utc};

use super::error::classify;
use super::{Store, StoreError};

impl Store {
    /// The time of the newest timeline event of any incident; `None` for an empty database.
    /// A rehearsal on a simulated clock starts after it, so time never runs backwards.
    pub async fn latest_activity(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        const LATEST: &str = "SELECT MAX(at) FROM timeline_events";
        with_pool!(&self.pool, p => sqlx::query_scalar::<_, Option<DateTime<Utc>>>(LATEST)
            .fetch_one(p)
            .await
            .map_err(classify))
    }
}
