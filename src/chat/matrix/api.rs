//! The client-server API calls the adapter makes, each one request, with the homeserver's
//! errors turned into [`ChatError`]s. Every event sent into a room goes through
//! [`MatrixChat::send_event`], which refuses encrypted rooms: this build has no encryption, so
//! anything it sent there would be plaintext.

use matrix_sdk::HttpError;
use matrix_sdk::ruma::api::client::alias::get_alias;
use matrix_sdk::ruma::api::client::media::create_content;
use matrix_sdk::ruma::api::client::membership::{invite_user, join_room_by_id};
use matrix_sdk::ruma::api::client::message::send_message_event;
use matrix_sdk::ruma::api::client::redact::redact_event;
use matrix_sdk::ruma::api::client::room::get_room_event;
use matrix_sdk::ruma::api::client::state::{get_state_events, send_state_event};
use matrix_sdk::ruma::api::error::ErrorKind;
use matrix_sdk::ruma::events::{MessageLikeEventType, StateEventType};
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomAliasId, OwnedRoomId, OwnedUserId, TransactionId};
use serde_json::Value;

use super::MatrixChat;
use crate::engine::port::ChatError;

/// A homeserver error as a chat error: unknown rooms and events are `NotFound`, refusals
/// `Refused`, everything else (connection lost, server down) `Unavailable`.
pub(super) fn chat_error(what: &str, e: HttpError) -> ChatError {
    match e.client_api_error_kind() {
        Some(ErrorKind::NotFound) => ChatError::NotFound(what.to_owned()),
        Some(_) => ChatError::Refused(format!("{what}: {e}")),
        None => ChatError::Unavailable(format!("{what}: {e}")),
    }
}

pub(super) fn room_id(raw: &str) -> Result<OwnedRoomId, ChatError> {
    OwnedRoomId::try_from(raw).map_err(|_| ChatError::NotFound(format!("room {raw}")))
}

pub(super) fn event_id(raw: &str) -> Result<OwnedEventId, ChatError> {
    OwnedEventId::try_from(raw).map_err(|_| ChatError::NotFound(format!("message {raw}")))
}

pub(super) fn user_id(raw: &str) -> Result<OwnedUserId, ChatError> {
    OwnedUserId::try_from(raw).map_err(|_| {
        ChatError::Refused(format!(
            "'{raw}' is not a Matrix user id; name people as @name:server"
        ))
    })
}

fn raw<T>(value: &Value) -> Result<Raw<T>, ChatError> {
    serde_json::value::to_raw_value(value)
        .map(Raw::from_json)
        .map_err(|e| ChatError::Refused(format!("the message could not be encoded: {e}")))
}

impl MatrixChat {
    /// Whether a room is encrypted: from what sync said, else from its `m.room.encryption`
    /// state, asked once.
    pub(crate) async fn is_encrypted(&self, room: &str) -> Result<bool, ChatError> {
        if let Some(known) = self.known_encryption(room) {
            return Ok(known);
        }
        let encrypted = self
            .full_state(room)
            .await?
            .iter()
            .any(|e| e["type"] == "m.room.encryption");
        self.remember_encryption(room, encrypted);
        Ok(encrypted)
    }

    /// Sends a message-like event; refused in an encrypted room. Returns its event id.
    pub(super) async fn send_event(
        &self,
        room: &str,
        event_type: &str,
        content: &Value,
    ) -> Result<String, ChatError> {
        if self.is_encrypted(room).await? {
            tracing::warn!(room, "refused to send plaintext into an encrypted room");
            return Err(ChatError::Refused(format!(
                "room {room} is encrypted and Warroom does not post plaintext there"
            )));
        }
        let request = send_message_event::v3::Request::new_raw(
            room_id(room)?,
            TransactionId::new(),
            MessageLikeEventType::from(event_type),
            raw(content)?,
        );
        let sent = self
            .client
            .send(request)
            .await
            .map_err(|e| chat_error(&format!("room {room}"), e))?;
        Ok(sent.event_id.to_string())
    }

    /// Sets a state event; refused in an encrypted room like any other event.
    pub(super) async fn send_state(
        &self,
        room: &str,
        event_type: &str,
        content: &Value,
    ) -> Result<(), ChatError> {
        if self.is_encrypted(room).await? {
            return Err(ChatError::Refused(format!(
                "room {room} is encrypted and Warroom does not post plaintext there"
            )));
        }
        let request = send_state_event::v3::Request::new_raw(
            room_id(room)?,
            StateEventType::from(event_type),
            String::new(),
            raw(content)?,
        );
        self.client
            .send(request)
            .await
            .map_err(|e| chat_error(&format!("room {room}"), e))?;
        Ok(())
    }

    /// The room's current state events, as JSON. (Asking for the whole state rather than one
    /// event that may not be set keeps "not found" errors out of the log.)
    pub(super) async fn full_state(&self, room: &str) -> Result<Vec<Value>, ChatError> {
        let request = get_state_events::v3::Request::new(room_id(room)?);
        let found = self
            .client
            .send(request)
            .await
            .map_err(|e| chat_error(&format!("room {room}"), e))?;
        Ok(found
            .room_state
            .iter()
            .filter_map(|raw| serde_json::from_str(raw.json().get()).ok())
            .collect())
    }

    /// The content of a state event (empty state key), `None` when it is not set.
    pub(super) async fn state(
        &self,
        room: &str,
        event_type: &str,
    ) -> Result<Option<Value>, ChatError> {
        Ok(self
            .full_state(room)
            .await?
            .into_iter()
            .find(|e| e["type"] == event_type && e["state_key"] == "")
            .map(|e| e["content"].clone()))
    }

    /// One event of a room, as JSON.
    pub(super) async fn event(&self, room: &str, event: &str) -> Result<Value, ChatError> {
        let request = get_room_event::v3::Request::new(room_id(room)?, event_id(event)?);
        let found = self
            .client
            .send(request)
            .await
            .map_err(|e| chat_error(&format!("message {event}"), e))?;
        serde_json::from_str(found.event.json().get())
            .map_err(|e| ChatError::Unavailable(format!("message {event}: {e}")))
    }

    /// Takes back an event the bot sent (one of its reactions).
    pub(super) async fn redact(&self, room: &str, event: &str) -> Result<(), ChatError> {
        let request =
            redact_event::v3::Request::new(room_id(room)?, event_id(event)?, TransactionId::new());
        self.client
            .send(request)
            .await
            .map_err(|e| chat_error(&format!("message {event}"), e))?;
        Ok(())
    }

    /// Invites one person; one already in the room is fine.
    pub(super) async fn invite_one(&self, room: &str, user: &str) -> Result<(), ChatError> {
        let request = invite_user::v3::Request::new(
            room_id(room)?,
            invite_user::v3::InviteUserId::new(user_id(user)?).into(),
        );
        match self.client.send(request).await {
            Ok(_) => Ok(()),
            Err(e) if e.to_string().contains("already in the room") => Ok(()),
            Err(e) => Err(chat_error(&format!("inviting {user}"), e)),
        }
    }

    /// Joins a room the bot was invited to.
    pub(super) async fn join(&self, room: &str) -> Result<(), ChatError> {
        let request = join_room_by_id::v3::Request::new(room_id(room)?);
        self.client
            .send(request)
            .await
            .map_err(|e| chat_error(&format!("joining {room}"), e))?;
        Ok(())
    }

    /// The room id of an alias (`#lobby:example.org`).
    pub(super) async fn resolve_alias(&self, alias: &str) -> Result<String, ChatError> {
        let alias = OwnedRoomAliasId::try_from(alias)
            .map_err(|_| ChatError::NotFound(format!("room alias {alias}")))?;
        let request = get_alias::v3::Request::new(alias.clone());
        let found = self
            .client
            .send(request)
            .await
            .map_err(|e| chat_error(&format!("room alias {alias}"), e))?;
        Ok(found.room_id.to_string())
    }

    /// Uploads a file to the media repository; returns its `mxc://` URI.
    pub(super) async fn upload_media(
        &self,
        name: &str,
        mime: &str,
        bytes: Vec<u8>,
    ) -> Result<String, ChatError> {
        let mut request = create_content::v3::Request::new(bytes);
        request.filename = Some(name.to_owned());
        request.content_type = Some(mime.to_owned());
        let uploaded = self
            .client
            .send(request)
            .await
            .map_err(|e| chat_error(&format!("uploading {name}"), e))?;
        Ok(uploaded.content_uri.to_string())
    }
}
