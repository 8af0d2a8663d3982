//! What was published of incidents beyond chat: the id of each one's incident on a hosted
//! status page, and the days the daily digest went out.

use super::error::classify;
use super::{Pool, StoreError};
use crate::domain::IncidentNumber;

/// See [`super::Store::save_statuspage_incident`].
pub(super) async fn save(
    pool: &Pool,
    incident: IncidentNumber,
    page_incident: &str,
) -> Result<(), StoreError> {
    with_pool!(pool, p => {
        sqlx::query(
            "INSERT INTO statuspage_incidents (incident_number, page_incident) VALUES ($1, $2) \
             ON CONFLICT (incident_number) DO UPDATE SET page_incident = excluded.page_incident",
        )
        .bind(i64::from(incident.0))
        .bind(page_incident)
        .execute(p)
        .await
        .map(|done| done.rows_affected())
    })
    .map_err(classify)?;
    Ok(())
}

/// See [`super::Store::statuspage_incident`].
pub(super) async fn find(
    pool: &Pool,
    incident: IncidentNumber,
) -> Result<Option<String>, StoreError> {
    with_pool!(pool, p => {
        sqlx::query_scalar(
            "SELECT page_incident FROM statuspage_incidents WHERE incident_number = $1",
        )
        .bind(i64::from(incident.0))
        .fetch_optional(p)
        .await
    })
    .map_err(classify)
}

/// See [`super::Store::claim_digest`].
pub(super) async fn claim_digest(
    pool: &Pool,
    day: chrono::NaiveDate,
    at: chrono::DateTime<chrono::Utc>,
    outbox: &[super::OutboxEntry],
) -> Result<bool, StoreError> {
    let at = super::rows::stored_time(at);
    let day = day.format("%Y-%m-%d").to_string();
    with_pool!(pool, p => {
        let mut tx = p.begin().await.map_err(classify)?;
        let taken = sqlx::query(
            "INSERT INTO digests (day, posted_at) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING",
        )
        .bind(&day)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(classify)?
        .rows_affected()
            == 1;
        if taken {
            super::outbox::insert_entries!(tx, outbox, at).await?;
            tx.commit().await.map_err(classify)?;
        }
        Ok(taken)
    })
}

/// See [`super::Store::digest_posted`].
pub(super) async fn digest_posted(pool: &Pool, day: chrono::NaiveDate) -> Result<bool, StoreError> {
    let day = day.format("%Y-%m-%d").to_string();
    let found: Option<String> = with_pool!(pool, p => {
        sqlx::query_scalar("SELECT day FROM digests WHERE day = $1")
            .bind(&day)
            .fetch_optional(p)
            .await
    })
    .map_err(classify)?;
    Ok(found.is_some())
}
