//! The Matrix adapter: war rooms are unencrypted Matrix rooms, messages are Matrix HTML, buttons
//! are emoji reactions, and `!incident …` messages are commands. It talks to the homeserver's
//! client-server API through matrix-sdk's client (login, retries) with ruma's request types.
//!
//! Besides the engine, the adapter keeps its own bookkeeping through the engine's
//! [`Ledger`](crate::engine::ledger::Ledger) (session, sync token, direct rooms, emoji keys,
//! handled events); incidents change only through the engine.

mod api;
mod bot;
pub mod check;
mod events;
mod gap;
mod handle;
pub mod keys;
mod login;
mod port;
pub mod render;
mod send;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use matrix_sdk::Client;
use matrix_sdk::ruma::OwnedUserId;

use crate::engine::ledger::Ledger;

pub use bot::{MatrixBot, MatrixSettings};
pub use login::{Credentials, connect};

/// The chat port of Matrix: one logged-in bot account.
pub struct MatrixChat {
    client: Client,
    bot: OwnedUserId,
    /// Reaction keys and direct rooms.
    ledger: Arc<dyn Ledger>,
    /// Rooms known to be encrypted (`true`, for good: encryption cannot be turned off) or
    /// unencrypted (`false`, until an `m.room.encryption` event says otherwise).
    encrypted: Mutex<HashMap<String, bool>>,
}

impl MatrixChat {
    /// A port over a logged-in client; `ledger` keeps the adapter's bookkeeping.
    pub fn new(client: Client, ledger: Arc<dyn Ledger>) -> Result<MatrixChat, String> {
        let bot = client
            .user_id()
            .ok_or("the Matrix client is not logged in")?
            .to_owned();
        Ok(MatrixChat {
            client,
            bot,
            ledger,
            encrypted: Mutex::new(HashMap::new()),
        })
    }

    /// The bot's user id.
    pub fn bot(&self) -> &OwnedUserId {
        &self.bot
    }

    /// The client the port talks through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Notes that a room is encrypted (seen in its state from sync).
    pub(crate) fn mark_encrypted(&self, room_id: &str) {
        self.encrypted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(room_id.to_owned(), true);
    }

    fn known_encryption(&self, room_id: &str) -> Option<bool> {
        self.encrypted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(room_id)
            .copied()
    }

    fn remember_encryption(&self, room_id: &str, encrypted: bool) {
        let mut known = self.encrypted.lock().unwrap_or_else(|p| p.into_inner());
        let entry = known.entry(room_id.to_owned()).or_insert(encrypted);
        *entry |= encrypted;
    }
}
