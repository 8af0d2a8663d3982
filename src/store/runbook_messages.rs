//! Where each attached runbook's message was posted, so that its progress can be edited in.

use super::StoreError;
use super::error::classify;
use crate::domain::{IncidentNumber, MessageId, Platform, RoomId};

impl super::Store {
    /// Remembers (or replaces) where a runbook's message was posted for an incident, in the
    /// message's chat.
    pub async fn save_runbook_message(
        &self,
        incident: IncidentNumber,
        runbook_id: &str,
        message: &MessageId,
    ) -> Result<(), StoreError> {
        with_pool!(&self.pool, p => {
            sqlx::query(
                "INSERT INTO runbook_messages \
                 (platform, incident_number, runbook_id, room_id, message_id) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (platform, incident_number, runbook_id) \
                 DO UPDATE SET room_id = excluded.room_id, message_id = excluded.message_id",
            )
            .bind(message.platform().name())
            .bind(i64::from(incident.0))
            .bind(runbook_id)
            .bind(message.room().as_str())
            .bind(message.as_str())
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
    ) -> Result<Option<MessageId>, StoreError> {
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
        Ok(found.map(|(room_id, message_id)| {
            MessageId::new(RoomId::new(platform, room_id), message_id)
        }))
    }
}
