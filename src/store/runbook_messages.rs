//! Where each attached runbook's message was posted, so that its progress can be edited in.

use super::error::classify;
use super::{StoreError, StoredCard};
use crate::domain::{IncidentNumber, Platform};

impl super::Store {
    /// Remembers (or replaces) where a runbook's message was posted for an incident.
    pub async fn save_runbook_message(
        &self,
        platform: Platform,
        incident: IncidentNumber,
        runbook_id: &str,
        message: &StoredCard,
    ) -> Result<(), StoreError> {
        with_pool!(&self.pool, p => {
            sqlx::query(
                "INSERT INTO runbook_messages \
                 (platform, incident_number, runbook_id, room_id, message_id) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (platform, incident_number, runbook_id) \
                 DO UPDATE SET room_id = excluded.room_id, message_id = excluded.message_id",
            )
            .bind(platform.name())
            .bind(i64::from(incident.0))
            .bind(runbook_id)
            .bind(&message.room_id)
            .bind(&message.message_id)
            .execute(p)
            .await
            .map(|_| ())
        })
        .map_err(classify)
    }

    /// Where a runbook's message was posted for an incident on a platform.
    pub async fn runbook_message(
        &self,
        platform: Platform,
        incident: IncidentNumber,
        runbook_id: &str,
    ) -> Result<Option<StoredCard>, StoreError> {
        let found: Option<(String, String)> = with_pool!(&self.pool, p => {
            sqlx::query_as(
                "SELECT room_id, message_id FROM runbook_messages \
                 WHERE platform = $1 AND incident_number = $2 AND runbook_id = $3",
            )
            .bind(platform.name())
            .bind(i64::from(incident.0))
            .bind(runbook_id)
            .fetch_optional(p)
            .await
        })
        .map_err(classify)?;
        Ok(found.map(|(room_id, message_id)| StoredCard {
            room_id,
            message_id,
        }))
    }
}
