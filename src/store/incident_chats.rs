//! The chat each incident lives in (the `incident_chats` table), recorded when it is declared,
//! and the open incidents of a chat that still lack a war room there, which the delivery
//! worker asks again to make.

use super::error::classify;
use super::rows::{number_from, platform_from};
use super::{Store, StoreError};
use crate::domain::{IncidentNumber, Platform};

/// Records the chat an incident lives in, inside an open transaction (the first one stays).
macro_rules! insert_incident_chat {
    ($tx:expr, $number:expr, $platform:expr) => {
        sqlx::query(
            "INSERT INTO incident_chats (incident_number, platform) VALUES ($1, $2) \
             ON CONFLICT (incident_number) DO NOTHING",
        )
        .bind($number)
        .bind($platform)
        .execute(&mut *$tx)
    };
}
pub(super) use insert_incident_chat;

impl Store {
    /// The chat an incident lives in, when one was recorded.
    pub async fn incident_chat(
        &self,
        incident: IncidentNumber,
    ) -> Result<Option<Platform>, StoreError> {
        let platform: Option<String> = with_pool!(&self.pool, p => {
            sqlx::query_scalar("SELECT platform FROM incident_chats WHERE incident_number = $1")
                .bind(i64::from(incident.0))
                .fetch_optional(p)
                .await
        })
        .map_err(classify)?;
        platform.as_deref().map(platform_from).transpose()
    }

    /// Records the chat an incident lives in, unless one is recorded already.
    pub async fn set_incident_chat(
        &self,
        incident: IncidentNumber,
        platform: Platform,
    ) -> Result<(), StoreError> {
        with_pool!(&self.pool, p => {
            sqlx::query(
                "INSERT INTO incident_chats (incident_number, platform) VALUES ($1, $2) \
                 ON CONFLICT (incident_number) DO NOTHING",
            )
            .bind(i64::from(incident.0))
            .bind(platform.name())
            .execute(p)
            .await
            .map(|_| ())
        })
        .map_err(classify)
    }

    /// Open incidents that live in `platform` but have no war room there and no entry waiting
    /// to make one: their war room was never made (the process died before writing it down)
    /// or its making was cut short. One the chat refused for good is not asked again: the
    /// refusal is on the timeline and was told.
    pub async fn incidents_without_war_room(
        &self,
        platform: Platform,
    ) -> Result<Vec<IncidentNumber>, StoreError> {
        let rows: Vec<i64> = with_pool!(&self.pool, p => {
            sqlx::query_scalar(
                "SELECT c.incident_number FROM incident_chats c \
                 JOIN incidents i ON i.number = c.incident_number \
                 WHERE c.platform = $1 AND i.status <> 'resolved' \
                 AND NOT EXISTS (SELECT 1 FROM war_rooms w \
                                 WHERE w.platform = c.platform \
                                 AND w.incident_number = c.incident_number) \
                 AND NOT EXISTS (SELECT 1 FROM outbox o \
                                 WHERE o.platform = c.platform AND o.state = 'pending' \
                                 AND o.incident = c.incident_number \
                                 AND o.kind = 'create_war_room') \
                 AND NOT EXISTS (SELECT 1 FROM outbox f \
                                 WHERE f.platform = c.platform AND f.state = 'failed' \
                                 AND f.incident = c.incident_number \
                                 AND f.kind = 'create_war_room') \
                 ORDER BY c.incident_number",
            )
            .bind(platform.name())
            .fetch_all(p)
            .await
        })
        .map_err(classify)?;
        rows.into_iter().map(number_from).collect()
    }
}
