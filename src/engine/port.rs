//! The chat port: what the engine needs from a chat. The console, Slack and Matrix each
//! implement it; the engine never knows which one it talks to.

use async_trait::async_trait;

use super::message::{FileUpload, Message};
use crate::domain::{Platform, UserId};

/// Where a command came from: which chat, which room, which person.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Origin {
    /// The chat it came from.
    pub platform: Platform,
    /// The chat's id of the room the command was typed in.
    pub room_id: String,
    /// Who typed it.
    pub user: UserId,
}

/// A room in a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomRef {
    /// The chat's id of the room (Slack `C0123`, Matrix `!abc:server`, console `inc-7`).
    pub id: String,
    /// Its human name (`inc-7-checkout-api-returns-500s`).
    pub name: String,
}

/// A message that was posted, so that it can be edited, pinned or replied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRef {
    /// The room it is in.
    pub room_id: String,
    /// The chat's id of the message (Slack `ts`, Matrix event id).
    pub id: String,
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

    /// Creates a room with this name and topic; the chat may change the name when it is taken.
    async fn create_room(&self, name: &str, topic: &str) -> Result<RoomRef, ChatError>;

    /// Sets a room's topic.
    async fn set_topic(&self, room: &RoomRef, topic: &str) -> Result<(), ChatError>;

    /// Invites people into a room; people already in it are fine.
    async fn invite(&self, room: &RoomRef, users: &[UserId]) -> Result<(), ChatError>;

    /// Posts a message in a room.
    async fn post(&self, room: &RoomRef, message: &Message) -> Result<MessageRef, ChatError>;

    /// Replaces the content of a message the bot posted.
    async fn update(&self, target: &MessageRef, message: &Message) -> Result<(), ChatError>;

    /// Answers in the thread under a message.
    async fn reply_in_thread(
        &self,
        parent: &MessageRef,
        message: &Message,
    ) -> Result<MessageRef, ChatError>;

    /// Answers only the person who asked, where the chat can (Slack's ephemeral messages);
    /// elsewhere in the room they asked in.
    async fn reply_privately(&self, origin: &Origin, message: &Message) -> Result<(), ChatError>;

    /// Sends a direct message to a person.
    async fn direct_message(&self, user: &UserId, message: &Message) -> Result<(), ChatError>;

    /// Pins a message in its room.
    async fn pin(&self, target: &MessageRef) -> Result<(), ChatError>;

    /// Posts a file into a room.
    async fn upload(&self, room: &RoomRef, file: &FileUpload) -> Result<(), ChatError>;
}
