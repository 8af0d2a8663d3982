//! What the chats need remembered: war rooms, incident cards, and button ids for commands.

use super::error::{classify, is_unique_violation};
use super::rows::{command_from_json, command_json, number_from};
use super::{Pool, StoreError, StoredRoom};
use crate::domain::{Command, IncidentNumber, MessageId, Platform, RoomId};

/// See [`super::Store::bind_war_room`]. Binding the same room to the same incident again is
/// accepted; a room that serves another incident, or an incident that has another room on the
/// platform, is refused with the database's unique violation.
pub(super) async fn bind_war_room(
    pool: &Pool,
    incident: IncidentNumber,
    room: &StoredRoom,
) -> Result<(), StoreError> {
    let inserted = with_pool!(pool, p => {
        sqlx::query(
            "INSERT INTO war_rooms (platform, room_id, room_name, incident_number) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(room.id.platform().name())
        .bind(room.id.as_str())
        .bind(&room.name)
        .bind(i64::from(incident.0))
        .execute(p)
        .await
        .map(|done| done.rows_affected())
    });
    match inserted {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => {
            if incident_for_room(pool, &room.id).await? == Some(incident) {
                Ok(())
            } else {
                Err(classify(e))
            }
        }
        Err(e) => Err(classify(e)),
    }
}

/// See [`super::Store::incident_for_room`].
pub(super) async fn incident_for_room(
    pool: &Pool,
    room: &RoomId,
) -> Result<Option<IncidentNumber>, StoreError> {
    let number: Option<i64> = with_pool!(pool, p => {
        sqlx::query_scalar(
            "SELECT incident_number FROM war_rooms WHERE platform = $1 AND room_id = $2",
        )
        .bind(room.platform().name())
        .bind(room.as_str())
        .fetch_optional(p)
        .await
    })
    .map_err(classify)?;
    number.map(number_from).transpose()
}

/// See [`super::Store::war_room`].
pub(super) async fn war_room(
    pool: &Pool,
    platform: Platform,
    incident: IncidentNumber,
) -> Result<Option<StoredRoom>, StoreError> {
    let room: Option<(String, String)> = with_pool!(pool, p => {
        sqlx::query_as(
            "SELECT room_id, room_name FROM war_rooms \
             WHERE platform = $1 AND incident_number = $2",
        )
        .bind(platform.name())
        .bind(i64::from(incident.0))
        .fetch_optional(p)
        .await
    })
    .map_err(classify)?;
    Ok(room.map(|(id, name)| StoredRoom {
        id: RoomId::new(platform, id),
        name,
    }))
}

/// A message Warroom keeps one of per incident and chat, to edit it as the incident changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// The incident card in the war room.
    Card,
    /// The announcement in the announcements room.
    Announcement,
}

/// The statements over a kept message's table; both tables have the same columns.
macro_rules! kept_sql {
    ($table:literal) => {
        (
            concat!(
                "INSERT INTO ",
                $table,
                " (platform, incident_number, room_id, message_id) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (platform, incident_number) \
                 DO UPDATE SET room_id = excluded.room_id, message_id = excluded.message_id"
            ),
            concat!(
                "SELECT room_id, message_id FROM ",
                $table,
                " WHERE platform = $1 AND incident_number = $2"
            ),
        )
    };
}

impl Kept {
    /// Its save and its lookup.
    const fn sql(self) -> (&'static str, &'static str) {
        match self {
            Kept::Card => kept_sql!("cards"),
            Kept::Announcement => kept_sql!("announcements"),
        }
    }
}

/// See [`super::Store::save_card`] and [`super::Store::save_announcement`].
pub(super) async fn save_kept(
    pool: &Pool,
    kept: Kept,
    incident: IncidentNumber,
    message: &MessageId,
) -> Result<(), StoreError> {
    let (sql, _) = kept.sql();
    with_pool!(pool, p => {
        sqlx::query(sql)
            .bind(message.platform().name())
            .bind(i64::from(incident.0))
            .bind(message.room().as_str())
            .bind(message.as_str())
            .execute(p)
            .await
            .map(|done| done.rows_affected())
    })
    .map_err(classify)?;
    Ok(())
}

/// See [`super::Store::card`] and [`super::Store::announcement`].
pub(super) async fn kept(
    pool: &Pool,
    kept: Kept,
    platform: Platform,
    incident: IncidentNumber,
) -> Result<Option<MessageId>, StoreError> {
    let (_, sql) = kept.sql();
    let found: Option<(String, String)> = with_pool!(pool, p => {
        sqlx::query_as(sql)
            .bind(platform.name())
            .bind(i64::from(incident.0))
            .fetch_optional(p)
            .await
    })
    .map_err(classify)?;
    Ok(found
        .map(|(room_id, message_id)| MessageId::new(RoomId::new(platform, room_id), message_id)))
}

/// See [`super::Store::button_for`]. Looks first, so that the common case (a button shown
/// again) neither writes nor uses up an id.
pub(super) async fn button_for(pool: &Pool, command: &Command) -> Result<i64, StoreError> {
    let json = command_json(command)?;
    if let Some(id) = button_id(pool, &json).await? {
        return Ok(id);
    }
    with_pool!(pool, p => {
        sqlx::query("INSERT INTO buttons (command) VALUES ($1) ON CONFLICT (command) DO NOTHING")
            .bind(&json)
            .execute(p)
            .await
            .map(|done| done.rows_affected())
    })
    .map_err(classify)?;
    // Whoever inserted it, the row is there now.
    button_id(pool, &json)
        .await?
        .ok_or_else(|| StoreError::Other(sqlx::Error::RowNotFound))
}

async fn button_id(pool: &Pool, json: &str) -> Result<Option<i64>, StoreError> {
    with_pool!(pool, p => {
        sqlx::query_scalar("SELECT id FROM buttons WHERE command = $1")
            .bind(json)
            .fetch_optional(p)
            .await
    })
    .map_err(classify)
}

/// See [`super::Store::button`].
pub(super) async fn button(pool: &Pool, id: i64) -> Result<Option<Command>, StoreError> {
    let json: Option<String> = with_pool!(pool, p => {
        sqlx::query_scalar("SELECT command FROM buttons WHERE id = $1")
            .bind(id)
            .fetch_optional(p)
            .await
    })
    .map_err(classify)?;
    json.map(|json| command_from_json(id, &json)).transpose()
}
