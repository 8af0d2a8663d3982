//! Acknowledge links that were used, so that each works once.

use chrono::{DateTime, Utc};

use super::error::classify;
use super::rows::stored_time;
use super::{Store, StoreError};
use crate::domain::IncidentNumber;

impl Store {
    /// When the link named `link` was used, if it was.
    pub async fn ack_link_used(&self, link: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        with_pool!(&self.pool, p => {
            sqlx::query_scalar("SELECT used_at FROM ack_links_used WHERE link = $1")
                .bind(link)
                .fetch_optional(p)
                .await
        })
        .map_err(classify)
    }

    /// Records that the link named `link` (for `incident`) was used at `at`; `false` when it
    /// had been used already (of two uses at once, one gets `true`).
    pub async fn use_ack_link(
        &self,
        link: &str,
        incident: IncidentNumber,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let at = stored_time(at);
        let done = with_pool!(&self.pool, p => {
            sqlx::query(
                "INSERT INTO ack_links_used (link, incident, used_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (link) DO NOTHING",
            )
            .bind(link)
            .bind(i64::from(incident.0))
            .bind(at)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })
        .map_err(classify)?;
        Ok(done == 1)
    }
}
