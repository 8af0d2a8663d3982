//! Reading the room events a sync brings into what the bot acts on, with ruma's typed events.

use chrono::{DateTime, Utc};
use matrix_sdk::ruma::UserId;
use matrix_sdk::ruma::events::reaction::ReactionEventContent;
use matrix_sdk::ruma::events::relation::RelationType;
use matrix_sdk::ruma::events::room::member::MembershipState;
use matrix_sdk::ruma::events::room::member::RoomMemberEventContent;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
use matrix_sdk::ruma::events::{
    AnyMessageLikeEvent, AnySyncMessageLikeEvent, AnySyncStateEvent, AnySyncTimelineEvent,
    AnyTimelineEvent, MessageLikeEvent, OriginalSyncMessageLikeEvent, OriginalSyncStateEvent,
    SyncMessageLikeEvent, SyncStateEvent, TimelineEventType,
};
use matrix_sdk::ruma::serde::Raw;

/// One timeline event, as far as the bot cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// An `!incident …` message (not an edit).
    Command {
        /// Its event id.
        event_id: String,
        /// Who sent it.
        sender: String,
        /// Its text.
        body: String,
    },
    /// An emoji reaction on a message.
    Reaction {
        /// The reaction's event id.
        event_id: String,
        /// Who reacted.
        sender: String,
        /// The message reacted to.
        target: String,
        /// The emoji.
        key: String,
    },
    /// Someone joined the room (not a change of name or avatar of someone already in it).
    Joined {
        /// Who joined.
        user: String,
    },
    /// The room turned encryption on.
    EncryptionEnabled,
    /// A message the bot cannot read: it was encrypted.
    Encrypted {
        /// Who sent it.
        sender: String,
    },
    /// Anything else.
    Other,
}

/// Reads one event of a room's timeline or state.
pub fn read(raw: &Raw<AnySyncTimelineEvent>) -> Incoming {
    match raw.deserialize() {
        Ok(AnySyncTimelineEvent::MessageLike(event)) => message_like(event),
        Ok(AnySyncTimelineEvent::State(event)) => state(event),
        Err(_) => unreadable(raw),
    }
}

/// A message, a reaction or an encrypted message.
fn message_like(event: AnySyncMessageLikeEvent) -> Incoming {
    match event {
        AnySyncMessageLikeEvent::RoomMessage(SyncMessageLikeEvent::Original(message)) => {
            command(message)
        }
        AnySyncMessageLikeEvent::Reaction(SyncMessageLikeEvent::Original(reaction)) => {
            self::reaction(reaction)
        }
        AnySyncMessageLikeEvent::RoomEncrypted(SyncMessageLikeEvent::Original(secret)) => {
            Incoming::Encrypted {
                sender: secret.sender.to_string(),
            }
        }
        _ => Incoming::Other,
    }
}

/// An `!incident …` message; edits and other messages are nothing to act on.
fn command(message: OriginalSyncMessageLikeEvent<RoomMessageEventContent>) -> Incoming {
    let relation = message
        .content
        .relates_to
        .as_ref()
        .and_then(|r| r.rel_type());
    if relation == Some(RelationType::Replacement) {
        return Incoming::Other;
    }
    let body = strip_reply_fallback(message.content.body());
    if crate::domain::strip_invocation(body).is_none() {
        return Incoming::Other;
    }
    Incoming::Command {
        event_id: message.event_id.to_string(),
        sender: message.sender.to_string(),
        body: body.to_owned(),
    }
}

fn reaction(reaction: OriginalSyncMessageLikeEvent<ReactionEventContent>) -> Incoming {
    let annotation = reaction.content.relates_to;
    Incoming::Reaction {
        event_id: reaction.event_id.to_string(),
        sender: reaction.sender.to_string(),
        target: annotation.event_id.to_string(),
        key: annotation.key,
    }
}

/// A state event in the timeline: encryption turned on, or someone joining.
fn state(event: AnySyncStateEvent) -> Incoming {
    match event {
        AnySyncStateEvent::RoomEncryption(_) => Incoming::EncryptionEnabled,
        AnySyncStateEvent::RoomMember(SyncStateEvent::Original(member)) => {
            joined(&member).map_or(Incoming::Other, |user| Incoming::Joined {
                user: user.to_string(),
            })
        }
        _ => Incoming::Other,
    }
}

/// Who a membership event says joined; `None` for a change of name or avatar of someone who
/// was in the room already, and for other memberships.
fn joined(member: &OriginalSyncStateEvent<RoomMemberEventContent>) -> Option<&UserId> {
    let was_in = member
        .unsigned
        .prev_content
        .as_ref()
        .is_some_and(|before| before.membership == MembershipState::Join);
    (member.content.membership == MembershipState::Join && !was_in)
        .then_some(member.state_key.as_ref())
}

/// An event ruma cannot read as its type says (fields missing, content of another shape).
/// Only encryption still counts, so that a room is never taken for unencrypted because one
/// of its events was odd.
fn unreadable(raw: &Raw<AnySyncTimelineEvent>) -> Incoming {
    match raw.get_field::<TimelineEventType>("type").ok().flatten() {
        Some(TimelineEventType::RoomEncryption) => Incoming::EncryptionEnabled,
        Some(TimelineEventType::RoomEncrypted) => match raw.get_field("sender") {
            Ok(Some(sender)) => Incoming::Encrypted { sender },
            _ => Incoming::Other,
        },
        _ => Incoming::Other,
    }
}

/// What a message said, for 📌.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    /// Who said it.
    pub author: crate::domain::UserId,
    /// When the homeserver received it.
    pub at: DateTime<Utc>,
    /// Its text (a file's name).
    pub body: String,
}

/// What a room message or sticker said; `None` for other events and deleted messages.
pub fn said(raw: &Raw<AnyTimelineEvent>) -> Option<Said> {
    let (sender, ts, body) = match raw.deserialize().ok()? {
        AnyTimelineEvent::MessageLike(AnyMessageLikeEvent::RoomMessage(
            MessageLikeEvent::Original(message),
        )) => (
            message.sender,
            message.origin_server_ts,
            message.content.body().to_owned(),
        ),
        AnyTimelineEvent::MessageLike(AnyMessageLikeEvent::Sticker(
            MessageLikeEvent::Original(sticker),
        )) => (
            sticker.sender,
            sticker.origin_server_ts,
            sticker.content.body,
        ),
        _ => return None,
    };
    Some(Said {
        author: crate::domain::UserId::parse(sender.as_str()).ok()?,
        at: DateTime::from_timestamp_millis(i64::from(ts.get()))?,
        body,
    })
}

/// A reply's body starts with the quoted message (`> <@bob:hs> …` lines and a blank line);
/// the command is what follows.
fn strip_reply_fallback(body: &str) -> &str {
    if !body.starts_with("> ") {
        return body;
    }
    match body.find("\n\n") {
        Some(i) => &body[i + 2..],
        None => body,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// An event as sync brings it (every timeline event has a time).
    fn read(mut event: Value) -> Incoming {
        event["origin_server_ts"] = json!(1_767_621_600_000_u64);
        let raw = serde_json::value::to_raw_value(&event).unwrap();
        super::read(&Raw::from_json(raw))
    }

    #[test]
    fn an_incident_message_is_a_command() {
        let event = json!({
            "type": "m.room.message", "event_id": "$1", "sender": "@alice:hs",
            "content": { "msgtype": "m.text", "body": "!incident declare p1 checkout down" }
        });
        assert_eq!(
            read(event),
            Incoming::Command {
                event_id: "$1".into(),
                sender: "@alice:hs".into(),
                body: "!incident declare p1 checkout down".into()
            }
        );
    }

    #[test]
    fn chatter_edits_and_replies_are_told_apart() {
        let chatter = json!({
            "type": "m.room.message", "event_id": "$2", "sender": "@alice:hs",
            "content": { "msgtype": "m.text", "body": "!incidents are fun" }
        });
        assert_eq!(read(chatter), Incoming::Other);
        let edit = json!({
            "type": "m.room.message", "event_id": "$3", "sender": "@alice:hs",
            "content": { "body": "* !incident ack", "m.relates_to": { "rel_type": "m.replace", "event_id": "$2" } }
        });
        assert_eq!(read(edit), Incoming::Other);
        // An edit is no command even when its body reads like one.
        let edit = json!({
            "type": "m.room.message", "event_id": "$3", "sender": "@alice:hs",
            "content": {
                "msgtype": "m.text", "body": "!incident ack",
                "m.new_content": { "msgtype": "m.text", "body": "!incident ack" },
                "m.relates_to": { "rel_type": "m.replace", "event_id": "$2" }
            }
        });
        assert_eq!(read(edit), Incoming::Other);
        let reply = json!({
            "type": "m.room.message", "event_id": "$4", "sender": "@bob:hs",
            "content": { "msgtype": "m.text", "body": "> <@alice:hs> hi\n\n!incident ack" }
        });
        assert!(matches!(read(reply), Incoming::Command { body, .. } if body == "!incident ack"));
    }

    #[test]
    fn a_join_is_told_apart_from_a_change_of_name() {
        let join = json!({
            "type": "m.room.member", "state_key": "@bot:hs", "sender": "@bot:hs", "event_id": "$j",
            "content": { "membership": "join" },
            "unsigned": { "prev_content": { "membership": "invite" } }
        });
        assert_eq!(
            read(join),
            Incoming::Joined {
                user: "@bot:hs".into()
            }
        );
        let renamed = json!({
            "type": "m.room.member", "state_key": "@bot:hs", "sender": "@bot:hs", "event_id": "$n",
            "content": { "membership": "join", "displayname": "Warroom" },
            "unsigned": { "prev_content": { "membership": "join" } }
        });
        assert_eq!(read(renamed), Incoming::Other);
    }

    #[test]
    fn reactions_and_encryption_are_read() {
        let reaction = json!({
            "type": "m.reaction", "event_id": "$5", "sender": "@bob:hs",
            "content": { "m.relates_to": { "rel_type": "m.annotation", "event_id": "$card", "key": "✅" } }
        });
        assert_eq!(
            read(reaction),
            Incoming::Reaction {
                event_id: "$5".into(),
                sender: "@bob:hs".into(),
                target: "$card".into(),
                key: "✅".into()
            }
        );
        let state = json!({ "type": "m.room.encryption", "state_key": "", "content": { "algorithm": "m.megolm.v1.aes-sha2" } });
        assert_eq!(read(state), Incoming::EncryptionEnabled);
        let secret = json!({ "type": "m.room.encrypted", "event_id": "$6", "sender": "@bob:hs", "content": {} });
        assert_eq!(
            read(secret),
            Incoming::Encrypted {
                sender: "@bob:hs".into()
            }
        );
    }

    #[test]
    fn a_pinned_message_gives_its_author_time_and_text() {
        let message = json!({
            "type": "m.room.message", "event_id": "$7", "sender": "@bob:hs", "room_id": "!r:hs",
            "origin_server_ts": 1_767_621_787_000_u64,
            "content": { "msgtype": "m.text", "body": "error rate at 38%" }
        });
        let raw = |v: &Value| Raw::from_json(serde_json::value::to_raw_value(v).unwrap());
        let said = said(&raw(&message)).unwrap();
        assert_eq!(said.author.as_str(), "@bob:hs");
        assert_eq!(said.at.to_rfc3339(), "2026-01-05T14:03:07+00:00");
        assert_eq!(said.body, "error rate at 38%");
        let reaction = json!({
            "type": "m.reaction", "event_id": "$8", "sender": "@bob:hs", "room_id": "!r:hs",
            "origin_server_ts": 1_767_621_787_000_u64,
            "content": { "m.relates_to": { "rel_type": "m.annotation", "event_id": "$7", "key": "👀" } }
        });
        assert_eq!(super::said(&raw(&reaction)), None);
    }
}
