//! The client-server API calls the adapter makes, each one request, with the homeserver's
//! errors turned into [`ChatError`]s. Every event sent into a room goes through
//! [`MatrixChat::send_event`], which refuses encrypted rooms: this build has no encryption, so
//! anything it sent there would be plaintext.

use std::time::Duration;

use matrix_sdk::HttpError;
use matrix_sdk::reqwest::StatusCode;
use matrix_sdk::ruma::api::client::alias::get_alias;
use matrix_sdk::ruma::api::client::media::create_content;
use matrix_sdk::ruma::api::client::membership::{invite_user, join_room_by_id};
use matrix_sdk::ruma::api::client::message::send_message_event;
use matrix_sdk::ruma::api::client::redact::redact_event;
use matrix_sdk::ruma::api::client::room::get_room_event;
use matrix_sdk::ruma::api::client::state::{get_state_events, send_state_event};
use matrix_sdk::ruma::api::error::{ErrorKind, RetryAfter};
use matrix_sdk::ruma::events::{
    AnyStateEvent, AnyTimelineEvent, MessageLikeEventType, StateEvent, StateEventType,
};
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{
    OwnedEventId, OwnedRoomAliasId, OwnedRoomId, OwnedTransactionId, OwnedUserId, TransactionId,
};
use serde_json::Value;

use super::MatrixChat;
use crate::engine::port::{ChatError, DeliveryKey};
use crate::telemetry::CallOutcome;

/// Sends one request (a `matrix_sdk` send, awaited), timed for `/metrics` under `method`.
async fn timed<T>(
    method: &'static str,
    request: impl std::future::IntoFuture<Output = Result<T, HttpError>>,
) -> Result<T, HttpError> {
    let started = std::time::Instant::now();
    let result = request.await;
    let outcome = match &result {
        Ok(_) => CallOutcome::Ok,
        Err(e)
            if e.as_client_api_error()
                .is_some_and(|a| a.status_code == StatusCode::TOO_MANY_REQUESTS) =>
        {
            CallOutcome::Throttled
        }
        Err(_) => CallOutcome::Error,
    };
    crate::telemetry::chat_call("matrix", method, started.elapsed(), outcome);
    result
}

/// How long to wait when the homeserver limits the rate without saying for how long.
const DEFAULT_THROTTLE: Duration = Duration::from_secs(5);

/// A homeserver error as a chat error: unknown rooms and events are `NotFound`; a rate limit
/// (`M_LIMIT_EXCEEDED`, HTTP 429) is `Throttled` for as long as it asks; a server error (5xx,
/// whatever its errcode) and anything that is no answer at all (connection lost, server down)
/// are `Unavailable`; other refusals are `Refused`.
pub(super) fn chat_error(what: &str, e: HttpError) -> ChatError {
    let Some(answer) = e.as_client_api_error() else {
        return ChatError::Unavailable(format!("{what}: {e}"));
    };
    let status = answer.status_code;
    match answer.error_kind() {
        Some(ErrorKind::NotFound) => ChatError::NotFound(what.to_owned()),
        Some(ErrorKind::LimitExceeded(limit)) => ChatError::Throttled {
            wait: wait_asked(limit.retry_after.as_ref()),
            reason: format!("{what}: {e}"),
        },
        _ if status == StatusCode::TOO_MANY_REQUESTS => ChatError::Throttled {
            wait: DEFAULT_THROTTLE,
            reason: format!("{what}: {e}"),
        },
        _ if status.is_server_error() => ChatError::Unavailable(format!("{what}: {e}")),
        _ => ChatError::Refused(format!("{what}: {e}")),
    }
}

/// The wait a rate limit asks for (`retry_after_ms` or a `Retry-After` time).
fn wait_asked(retry_after: Option<&RetryAfter>) -> Duration {
    match retry_after {
        Some(RetryAfter::Delay(wait)) => *wait,
        Some(RetryAfter::DateTime(at)) => at
            .duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
        None => DEFAULT_THROTTLE,
    }
}

/// The transaction id of an event the bot sends: inside an outbox delivery the delivery's name
/// for this call (the same on every attempt at the entry, so that the homeserver drops a repeat
/// of an event it already has), else a fresh one.
fn transaction_id() -> OwnedTransactionId {
    match DeliveryKey::next_call() {
        Some(name) => OwnedTransactionId::from(name),
        None => TransactionId::new(),
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
        let encryption = Some(StateEventType::RoomEncryption);
        let encrypted = self
            .full_state(room)
            .await?
            .iter()
            .any(|raw| raw.get_field::<StateEventType>("type").ok().flatten() == encryption);
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
            transaction_id(),
            MessageLikeEventType::from(event_type),
            raw(content)?,
        );
        let sent = timed("rooms.send", self.client.send(request))
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
        timed("rooms.state", self.client.send(request))
            .await
            .map_err(|e| chat_error(&format!("room {room}"), e))?;
        Ok(())
    }

    /// The room's current state events. (Asking for the whole state rather than one event
    /// that may not be set keeps "not found" errors out of the log.)
    pub(super) async fn full_state(
        &self,
        room: &str,
    ) -> Result<Vec<Raw<AnyStateEvent>>, ChatError> {
        let request = get_state_events::v3::Request::new(room_id(room)?);
        let found = timed("rooms.state.get", self.client.send(request))
            .await
            .map_err(|e| chat_error(&format!("room {room}"), e))?;
        Ok(found.room_state)
    }

    /// The events pinned in a room (`m.room.pinned_events`), none when it is not set.
    pub(super) async fn pinned_events(&self, room: &str) -> Result<Vec<String>, ChatError> {
        let pinned = self
            .full_state(room)
            .await?
            .iter()
            .find_map(|raw| match raw.deserialize() {
                Ok(AnyStateEvent::RoomPinnedEvents(StateEvent::Original(event))) => {
                    Some(event.content.pinned)
                }
                _ => None,
            })
            .unwrap_or_default();
        Ok(pinned.iter().map(ToString::to_string).collect())
    }

    /// One event of a room.
    pub(super) async fn event(
        &self,
        room: &str,
        event: &str,
    ) -> Result<Raw<AnyTimelineEvent>, ChatError> {
        let request = get_room_event::v3::Request::new(room_id(room)?, event_id(event)?);
        let found = timed("rooms.event.get", self.client.send(request))
            .await
            .map_err(|e| chat_error(&format!("message {event}"), e))?;
        Ok(found.event)
    }

    /// Takes back an event the bot sent (one of its reactions).
    pub(super) async fn redact(&self, room: &str, event: &str) -> Result<(), ChatError> {
        let request =
            redact_event::v3::Request::new(room_id(room)?, event_id(event)?, transaction_id());
        timed("rooms.redact", self.client.send(request))
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
        match timed("rooms.invite", self.client.send(request)).await {
            Ok(_) => Ok(()),
            Err(e) if e.to_string().contains("already in the room") => Ok(()),
            Err(e) => Err(chat_error(&format!("inviting {user}"), e)),
        }
    }

    /// Joins a room the bot was invited to.
    pub(super) async fn join(&self, room: &str) -> Result<(), ChatError> {
        let request = join_room_by_id::v3::Request::new(room_id(room)?);
        timed("rooms.join", self.client.send(request))
            .await
            .map_err(|e| chat_error(&format!("joining {room}"), e))?;
        Ok(())
    }

    /// The room id of an alias (`#lobby:example.org`).
    pub(super) async fn resolve_alias(&self, alias: &str) -> Result<String, ChatError> {
        let alias = OwnedRoomAliasId::try_from(alias)
            .map_err(|_| ChatError::NotFound(format!("room alias {alias}")))?;
        let request = get_alias::v3::Request::new(alias.clone());
        let found = timed("directory.alias", self.client.send(request))
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
        let uploaded = timed("media.upload", self.client.send(request))
            .await
            .map_err(|e| chat_error(&format!("uploading {name}"), e))?;
        Ok(uploaded.content_uri.to_string())
    }
}

#[cfg(test)]
mod tests {
    use matrix_sdk::RumaApiError;
    use matrix_sdk::ruma::api::EndpointError;
    use matrix_sdk::ruma::api::error::FromHttpResponseError;
    use matrix_sdk::ruma::exports::http;

    use super::*;

    /// The error matrix-sdk gives for a homeserver's answer with this status and JSON body.
    fn answer(status: u16, body: &str) -> HttpError {
        let response = http::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(body.as_bytes().to_vec())
            .expect("a response");
        let error = RumaApiError::from_http_response(response);
        HttpError::Api(Box::new(FromHttpResponseError::Server(error)))
    }

    #[test]
    fn a_rate_limit_is_throttled_for_as_long_as_the_homeserver_asks() {
        let limited = answer(
            429,
            r#"{"errcode":"M_LIMIT_EXCEEDED","error":"Too Many Requests","retry_after_ms":2500}"#,
        );
        match chat_error("room !a:x", limited) {
            ChatError::Throttled { wait, reason } => {
                assert_eq!(wait, Duration::from_millis(2500));
                assert!(reason.contains("room !a:x"), "{reason}");
            }
            other => panic!("not throttled: {other:?}"),
        }
        // No wait given, or a 429 with another errcode: throttled for a default wait.
        let unsaid = answer(429, r#"{"errcode":"M_LIMIT_EXCEEDED","error":"slow down"}"#);
        assert!(matches!(
            chat_error("x", unsaid),
            ChatError::Throttled { wait, .. } if wait == DEFAULT_THROTTLE
        ));
        let proxy = answer(429, "<html>Too Many Requests</html>");
        assert!(matches!(
            chat_error("x", proxy),
            ChatError::Throttled { .. }
        ));
    }

    #[test]
    fn a_struggling_homeserver_is_unavailable_and_a_refusal_is_for_good() {
        for (status, body) in [
            (
                500,
                r#"{"errcode":"M_UNKNOWN","error":"Internal server error"}"#,
            ),
            (502, "<html>Bad Gateway</html>"),
            (503, r#"{"errcode":"M_UNKNOWN","error":"starting"}"#),
        ] {
            let error = chat_error("x", answer(status, body));
            assert!(
                matches!(error, ChatError::Unavailable(_)),
                "{status}: {error:?}"
            );
        }
        let forbidden = answer(
            403,
            r#"{"errcode":"M_FORBIDDEN","error":"not in the room"}"#,
        );
        assert!(matches!(chat_error("x", forbidden), ChatError::Refused(_)));
        let unknown = answer(404, r#"{"errcode":"M_NOT_FOUND","error":"no such event"}"#);
        assert!(matches!(chat_error("x", unknown), ChatError::NotFound(_)));
        let bad = answer(400, r#"{"errcode":"M_UNKNOWN","error":"bad"}"#);
        assert!(matches!(chat_error("x", bad), ChatError::Refused(_)));
    }

    #[tokio::test]
    async fn inside_a_delivery_events_are_sent_under_the_deliverys_names() {
        assert_ne!(transaction_id(), transaction_id());
        let names = DeliveryKey::scope(7, async { [transaction_id(), transaction_id()] }).await;
        assert_eq!(names[0].as_str(), "warroom-7-0");
        assert_eq!(names[1].as_str(), "warroom-7-1");
    }
}
