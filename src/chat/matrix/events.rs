//! Reading the room events a sync brings into what the bot acts on.

use serde_json::Value;

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

fn text(value: &Value, field: &str) -> Option<String> {
    value.get(field).and_then(Value::as_str).map(str::to_owned)
}

/// Reads one event of a room's timeline or state.
pub fn read(event: &Value) -> Incoming {
    let kind = event
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let content = event.get("content").cloned().unwrap_or(Value::Null);
    let (Some(event_id), Some(sender)) = (text(event, "event_id"), text(event, "sender")) else {
        return if kind == "m.room.encryption" {
            Incoming::EncryptionEnabled
        } else {
            Incoming::Other
        };
    };
    match kind {
        "m.room.encryption" => Incoming::EncryptionEnabled,
        "m.room.encrypted" => Incoming::Encrypted { sender },
        "m.room.message" => {
            let relation = content["m.relates_to"]["rel_type"].as_str();
            if relation == Some("m.replace") {
                return Incoming::Other;
            }
            let Some(body) = content.get("body").and_then(Value::as_str) else {
                return Incoming::Other;
            };
            let body = strip_reply_fallback(body);
            if crate::domain::strip_invocation(body).is_none() {
                return Incoming::Other;
            }
            Incoming::Command {
                event_id,
                sender,
                body: body.to_owned(),
            }
        }
        "m.reaction" => {
            let relates = &content["m.relates_to"];
            match (
                relates["rel_type"].as_str(),
                relates["event_id"].as_str(),
                relates["key"].as_str(),
            ) {
                (Some("m.annotation"), Some(target), Some(key)) => Incoming::Reaction {
                    event_id,
                    sender,
                    target: target.to_owned(),
                    key: key.to_owned(),
                },
                _ => Incoming::Other,
            }
        }
        _ => Incoming::Other,
    }
}

/// Whether an event is `user` joining the room (not a change of name or avatar of someone
/// already in it).
pub fn is_join_of(event: &Value, user: &str) -> bool {
    event["type"] == "m.room.member"
        && event["state_key"] == user
        && event["content"]["membership"] == "join"
        && event["unsigned"]["prev_content"]["membership"] != "join"
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
    use serde_json::json;

    use super::*;

    #[test]
    fn an_incident_message_is_a_command() {
        let event = json!({
            "type": "m.room.message", "event_id": "$1", "sender": "@alice:hs",
            "content": { "msgtype": "m.text", "body": "!incident declare p1 checkout down" }
        });
        assert_eq!(
            read(&event),
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
        assert_eq!(read(&chatter), Incoming::Other);
        let edit = json!({
            "type": "m.room.message", "event_id": "$3", "sender": "@alice:hs",
            "content": { "body": "* !incident ack", "m.relates_to": { "rel_type": "m.replace", "event_id": "$2" } }
        });
        assert_eq!(read(&edit), Incoming::Other);
        let reply = json!({
            "type": "m.room.message", "event_id": "$4", "sender": "@bob:hs",
            "content": { "body": "> <@alice:hs> hi\n\n!incident ack" }
        });
        assert!(matches!(read(&reply), Incoming::Command { body, .. } if body == "!incident ack"));
    }

    #[test]
    fn a_join_is_told_apart_from_a_change_of_name() {
        let join = json!({
            "type": "m.room.member", "state_key": "@bot:hs", "sender": "@bot:hs", "event_id": "$j",
            "content": { "membership": "join" },
            "unsigned": { "prev_content": { "membership": "invite" } }
        });
        assert!(is_join_of(&join, "@bot:hs"));
        assert!(!is_join_of(&join, "@alice:hs"));
        let renamed = json!({
            "type": "m.room.member", "state_key": "@bot:hs", "sender": "@bot:hs", "event_id": "$n",
            "content": { "membership": "join", "displayname": "Warroom" },
            "unsigned": { "prev_content": { "membership": "join" } }
        });
        assert!(!is_join_of(&renamed, "@bot:hs"));
    }

    #[test]
    fn reactions_and_encryption_are_read() {
        let reaction = json!({
            "type": "m.reaction", "event_id": "$5", "sender": "@bob:hs",
            "content": { "m.relates_to": { "rel_type": "m.annotation", "event_id": "$card", "key": "✅" } }
        });
        assert_eq!(
            read(&reaction),
            Incoming::Reaction {
                event_id: "$5".into(),
                sender: "@bob:hs".into(),
                target: "$card".into(),
                key: "✅".into()
            }
        );
        let state = json!({ "type": "m.room.encryption", "state_key": "", "content": { "algorithm": "m.megolm.v1.aes-sha2" } });
        assert_eq!(read(&state), Incoming::EncryptionEnabled);
        let secret = json!({ "type": "m.room.encrypted", "event_id": "$6", "sender": "@bob:hs", "content": {} });
        assert_eq!(
            read(&secret),
            Incoming::Encrypted {
                sender: "@bob:hs".into()
            }
        );
    }
}
