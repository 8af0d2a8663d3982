//! The chat port: what the engine needs from a chat. The console, Slack and Matrix each
//! implement it; the engine never knows which one it talks to.

use async_trait::async_trait;

use super::message::{FileUpload, Message};
pub use crate::domain::{MessageId, RoomId};
use crate::domain::{Platform, UserId};

/// Where a command came from: which room of which chat, which person. The chat is the room's
/// ([`Origin::platform`]), so the two can never disagree.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "OriginWire", into = "OriginWire")]
pub struct Origin {
    /// The room the command was typed in, in its chat.
    pub room_id: RoomId,
    /// Who typed it.
    pub user: UserId,
}

impl Origin {
    /// The chat it came from.
    pub const fn platform(&self) -> Platform {
        self.room_id.platform()
    }
}

/// Where what Warroom does on its own comes from: no room, the `warroom` actor, in `chat`.
pub(crate) fn warroom_origin(chat: Platform) -> Origin {
    Origin {
        room_id: RoomId::new(chat, ""),
        user: UserId::warroom(),
    }
}

/// An [`Origin`] as outbox entries keep it, written before rooms carried their chat and still
/// written the same way (`tests/fixtures/outbox/slack-origin.json` is one).
#[derive(serde::Serialize, serde::Deserialize)]
struct OriginWire {
    platform: Platform,
    room_id: String,
    user: UserId,
}

impl From<OriginWire> for Origin {
    fn from(wire: OriginWire) -> Origin {
        Origin {
            room_id: RoomId::new(wire.platform, wire.room_id),
            user: wire.user,
        }
    }
}

impl From<Origin> for OriginWire {
    fn from(origin: Origin) -> OriginWire {
        OriginWire {
            platform: origin.platform(),
            room_id: origin.room_id.into_string(),
            user: origin.user,
        }
    }
}

/// A room in a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomRef {
    /// The room, in its chat (Slack `C0123`, Matrix `!abc:server`, console `inc-7`).
    pub id: RoomId,
    /// Its human name (`inc-7-checkout-api-returns-500s`).
    pub name: String,
}

impl RoomRef {
    /// A room known only by its id, which stands in for its name.
    pub fn unnamed(id: RoomId) -> RoomRef {
        let name = id.as_str().to_owned();
        RoomRef { id, name }
    }
}

/// Why a chat call failed.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// The chat refused the call; the text is safe to show.
    #[error("the chat refused: {0}")]
    Refused(String),
    /// The chat could not be reached.
    #[error("the chat cannot be reached right now: {0}")]
    Unavailable(String),
    /// The chat asked to be called again later (HTTP 429 with `Retry-After`).
    #[error("the chat asked to wait {}s: {reason}", wait.as_secs())]
    Throttled {
        /// How long it asked to wait.
        wait: std::time::Duration,
        /// What was throttled.
        reason: String,
    },
    /// The room or message is not known to the chat.
    #[error("{0} was not found in the chat")]
    NotFound(String),
}

/// What the engine needs from the ways of reaching a paged person beyond chat (email, push,
/// webhooks, paging providers); `notify` implements it. Errors mean what they mean for a chat:
/// a refusal is for good, the rest are tried again.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Sends `page` to `person` through their contact of kind `via`.
    async fn notify(
        &self,
        person: &UserId,
        via: crate::domain::ContactKind,
        page: &super::effect::PageNote,
    ) -> Result<(), ChatError>;

    /// Tells the provider behind `person`'s contact of kind `via` what became of their page for
    /// `incident` (only kinds that [keep state](crate::domain::ContactKind::keeps_state)).
    async fn update(
        &self,
        person: &UserId,
        via: crate::domain::ContactKind,
        incident: crate::domain::IncidentNumber,
        update: crate::domain::PageUpdate,
    ) -> Result<(), ChatError>;
}

/// What the engine needs from a hosted status page (Atlassian Statuspage): one incident there
/// per published incident here, made on the first public update and changed after; `notify`
/// implements it. Errors mean what they mean for a chat: a refusal is for good, the rest are
/// tried again.
#[async_trait]
pub trait Publisher: Send + Sync {
    /// Makes the page's incident (`existing` is `None`) or changes it; returns its id there.
    async fn publish(
        &self,
        published: &super::status_page::Published,
        existing: Option<&str>,
    ) -> Result<String, ChatError>;
}

tokio::task_local! {
    /// The outbox entry being delivered by the current task, for chats that can make a repeat
    /// harmless (Matrix transaction ids).
    static DELIVERY: DeliveryKey;
}

/// Names the chat calls of one outbox entry, so that a delivery repeated after a crash makes
/// the same calls under the same names.
#[derive(Debug)]
pub struct DeliveryKey {
    entry: i64,
    next: std::sync::atomic::AtomicU32,
}

impl DeliveryKey {
    /// Runs `delivery` (the carrying out of outbox entry `entry`) with the entry's key.
    pub async fn scope<F: std::future::Future>(entry: i64, delivery: F) -> F::Output {
        let key = DeliveryKey {
            entry,
            next: std::sync::atomic::AtomicU32::new(0),
        };
        DELIVERY.scope(key, delivery).await
    }

    /// Whether the current task is delivering an outbox entry (which is retried by the outbox
    /// itself, so a chat need not wait out a rate limit in place).
    pub fn active() -> bool {
        DELIVERY.try_with(|_| ()).is_ok()
    }

    /// A name for the next call a chat makes while delivering an outbox entry:
    /// `warroom-<entry>-<n>`, the same for the n-th call of every attempt at the entry. `None`
    /// outside a delivery (an answer carried out at once).
    pub fn next_call() -> Option<String> {
        DELIVERY
            .try_with(|key| {
                let n = key.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                format!("warroom-{}-{n}", key.entry)
            })
            .ok()
    }
}

/// What the engine asks of a chat.
#[async_trait]
pub trait ChatPort: Send + Sync {
    /// Which chat this is.
    fn platform(&self) -> Platform;

    /// Whether the outbox of this chat is delivered in the request that wrote it (the console,
    /// which has no worker of its own) rather than by a delivery worker.
    fn delivers_inline(&self) -> bool {
        false
    }

    /// A link that opens `room` in the chat's apps, for messages sent elsewhere (a page's
    /// direct message); `None` for a chat without links (the console).
    fn room_link(&self, room: &RoomRef) -> Option<String> {
        let _ = room;
        None
    }

    /// Creates a room with this name and topic; the chat may change the name when it is taken.
    /// A `private` room (a private incident's) is one only invited people can find and join.
    async fn create_room(
        &self,
        name: &str,
        topic: &str,
        private: bool,
    ) -> Result<RoomRef, ChatError>;

    /// Sets a room's topic.
    async fn set_topic(&self, room: &RoomRef, topic: &str) -> Result<(), ChatError>;

    /// Invites people into a room; people already in it are fine.
    async fn invite(&self, room: &RoomRef, users: &[UserId]) -> Result<(), ChatError>;

    /// Posts a message in a room.
    async fn post(&self, room: &RoomRef, message: &Message) -> Result<MessageId, ChatError>;

    /// Replaces the content of a message the bot posted.
    async fn update(&self, target: &MessageId, message: &Message) -> Result<(), ChatError>;

    /// Answers in the thread under a message.
    async fn reply_in_thread(
        &self,
        parent: &MessageId,
        message: &Message,
    ) -> Result<MessageId, ChatError>;

    /// Answers only the person who asked, where the chat can (Slack's ephemeral messages);
    /// elsewhere in the room they asked in.
    async fn reply_privately(&self, origin: &Origin, message: &Message) -> Result<(), ChatError>;

    /// Sends a direct message to a person.
    async fn direct_message(&self, user: &UserId, message: &Message) -> Result<(), ChatError>;

    /// Pins a message in its room.
    async fn pin(&self, target: &MessageId) -> Result<(), ChatError>;

    /// Posts a file into a room.
    async fn upload(&self, room: &RoomRef, file: &FileUpload) -> Result<(), ChatError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_reads_and_writes_the_json_outbox_entries_have_always_held() {
        // As outbox entries written before rooms carried their chat hold it.
        let before = include_str!("../../tests/fixtures/outbox/slack-origin.json");
        let origin: Origin = serde_json::from_str(before).unwrap();
        assert_eq!(origin.platform(), Platform::Slack);
        assert_eq!(origin.room_id, RoomId::new(Platform::Slack, "C1"));
        assert_eq!(origin.user.as_str(), "alice");
        assert_eq!(serde_json::to_string(&origin).unwrap(), before);
    }
}
