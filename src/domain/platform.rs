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
}
