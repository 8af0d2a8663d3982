//! The chats Warroom lives in. Each keeps its own rooms, messages and outbox; a room id is
//! only meaningful together with its chat, so [`RoomId`] carries one.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A chat Warroom lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// The terminal (`warroom console`, and `serve` without a chat).
    Console,
    /// Slack, over its Web API and Events API or Socket Mode.
    Slack,
    /// A Matrix homeserver, as a bot account.
    Matrix,
}

impl Platform {
    /// Every chat, in the order `serve` starts them.
    pub const ALL: [Platform; 3] = [Platform::Slack, Platform::Matrix, Platform::Console];

    /// Its name in the database, the configuration and the logs.
    pub const fn name(self) -> &'static str {
        match self {
            Platform::Console => "console",
            Platform::Slack => "slack",
            Platform::Matrix => "matrix",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of Warroom's chats.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a chat Warroom knows (console, slack, matrix)")]
pub struct UnknownPlatform(pub String);

impl FromStr for Platform {
    type Err = UnknownPlatform;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| UnknownPlatform(s.chars().take(40).collect()))
    }
}

/// A room in one chat: the chat and the chat's id of the room (a Slack channel id `C0123`, a
/// Matrix room id `!abc:server`, a console room name `inc-7`). There is no way to make one
/// without its chat, so a room of one chat is never taken for a room of another.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomId {
    platform: Platform,
    id: String,
}

impl RoomId {
    /// The room `id` of `platform`, as that chat names it.
    pub fn new(platform: Platform, id: impl Into<String>) -> RoomId {
        RoomId {
            platform,
            id: id.into(),
        }
    }

    /// The chat the room is in.
    pub const fn platform(&self) -> Platform {
        self.platform
    }

    /// The chat's id of the room.
    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// The chat's id of the room, given up.
    pub fn into_string(self) -> String {
        self.id
    }
}

/// Shows the chat's id of the room, as the chat would (`C0123`, `!abc:server`).
impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

/// A message in one chat: the room it is in and the chat's id of the message (Slack's `ts`,
/// a Matrix event id, the console's counter), so that it can be edited, pinned or replied to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId {
    room: RoomId,
    id: String,
}

impl MessageId {
    /// The message `id` in `room`, as the room's chat names it.
    pub fn new(room: RoomId, id: impl Into<String>) -> MessageId {
        MessageId {
            room,
            id: id.into(),
        }
    }

    /// The room the message is in.
    pub const fn room(&self) -> &RoomId {
        &self.room
    }

    /// The chat the message is in.
    pub const fn platform(&self) -> Platform {
        self.room.platform
    }

    /// The chat's id of the message.
    pub fn as_str(&self) -> &str {
        &self.id
    }
}

/// Shows the chat's id of the message (`1700000000.000100`, `$event`).
impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_unknown_ones_are_refused() {
        for platform in Platform::ALL {
            assert_eq!(platform.name().parse::<Platform>(), Ok(platform));
            assert_eq!(
                serde_json::to_string(&platform).unwrap(),
                format!("\"{platform}\"")
            );
        }
        assert!("Slack".parse::<Platform>().is_err());
        assert!("irc".parse::<Platform>().is_err());
    }

    #[test]
    fn rooms_and_messages_carry_their_chat_and_show_the_chats_id() {
        let room = RoomId::new(Platform::Matrix, "!abc:hs");
        assert_eq!(room.platform(), Platform::Matrix);
        assert_eq!(room.as_str(), "!abc:hs");
        assert_eq!(room.to_string(), "!abc:hs");
        assert_ne!(room, RoomId::new(Platform::Slack, "!abc:hs"));
        let message = MessageId::new(room.clone(), "$event");
        assert_eq!(message.room(), &room);
        assert_eq!(message.platform(), Platform::Matrix);
        assert_eq!(message.as_str(), "$event");
        assert_eq!(message.to_string(), "$event");
    }
}
