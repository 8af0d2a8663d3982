//! Health and measurement queries: a cheap ping for `/healthz`, and the lateness of fired timers
//! for the timer benchmark.

use chrono::{DateTime, Utc};

use super::error::classify;
use super::{Store, StoreError};

impl Store {
    /// Asks the database the cheapest question there is (`SELECT 1`), to tell whether it answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(&self.pool, p => sqlx::query_scalar::<_, i32>("SELECT 1")
            .fetch_one(p)
            .await
            .map(|_| ())
            .map_err(classify))
    }

    /// How late each fired timer fired (`fired_at - due_at`), in seconds, in no particular order.
    pub async fn timer_lateness(&self) -> Result<Vec<f64>, StoreError> {
        const FIRED: &str = "SELECT due_at, fired_at FROM timers \
                             WHERE state = 'fired' AND fired_at IS NOT NULL";
        let rows: Vec<(DateTime<Utc>, DateTime<Utc>)> = with_pool!(&self.pool, p => {
            sqlx::query_as(FIRED).fetch_all(p).await
        })
        .map_err(classify)?;
        Ok(rows
            .into_iter()
            .map(|(due, fired)| (fired - due).as_seconds_f64())
            .collect())
    }
}
