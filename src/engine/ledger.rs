//! The adapters' own bookkeeping: what a chat adapter must remember about its platform
//! (deliveries already taken, the Matrix session and sync token, direct rooms, reactions as
//! buttons, events already handled). Adapters are given a [`Ledger`] ([`super::Engine::ledger`])
//! and never the store; the store keeps the ledger, and its SQL stays in `store/`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use crate::store::{DeliveryKind, MatrixSession, ReactionKey, StoreError};

use crate::domain::{ButtonId, Platform};

/// What adapters remember, each method one question or one fact.
#[async_trait]
pub trait Ledger: Send + Sync {
    /// Claims a delivery by its id: `true` the first time, `false` for every repeat, on
    /// whichever replica it arrives (Slack's retried events and replayed requests).
    async fn claim_delivery(
        &self,
        platform: Platform,
        id: &str,
        kind: DeliveryKind,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Forgets delivery claims older than `before`; returns how many.
    async fn forget_deliveries(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;

    /// The Matrix session kept for a bot account.
    async fn matrix_session(&self, user_id: &str) -> Result<Option<MatrixSession>, StoreError>;
    /// Keeps a bot account's Matrix session.
    async fn save_matrix_session(&self, session: &MatrixSession) -> Result<(), StoreError>;
    /// The sync token everything up to which was handled.
    async fn matrix_sync_token(&self, user_id: &str) -> Result<Option<String>, StoreError>;
    /// Keeps the sync token everything up to which was handled.
    async fn save_matrix_sync_token(&self, user_id: &str, token: &str) -> Result<(), StoreError>;
    /// The direct room the bot made with a person.
    async fn matrix_direct_room(
        &self,
        bot: &str,
        user_id: &str,
    ) -> Result<Option<String>, StoreError>;
    /// Keeps the direct room the bot made with a person.
    async fn save_matrix_direct_room(
        &self,
        bot: &str,
        user_id: &str,
        room_id: &str,
    ) -> Result<(), StoreError>;
    /// Whether a room is one of the bot's direct rooms.
    async fn is_matrix_direct_room(&self, bot: &str, room_id: &str) -> Result<bool, StoreError>;
    /// The emoji keys of a message, with the buttons they press.
    async fn matrix_reaction_keys(&self, event_id: &str) -> Result<Vec<ReactionKey>, StoreError>;
    /// The button an emoji key on a message presses.
    async fn matrix_reaction_button(
        &self,
        event_id: &str,
        key: &str,
    ) -> Result<Option<ButtonId>, StoreError>;
    /// Keeps (or replaces) an emoji key of a message.
    async fn save_matrix_reaction_key(
        &self,
        room_id: &str,
        event_id: &str,
        key: &ReactionKey,
    ) -> Result<(), StoreError>;
    /// Forgets an emoji key of a message.
    async fn delete_matrix_reaction_key(&self, event_id: &str, key: &str)
    -> Result<(), StoreError>;
    /// Claims a Matrix event by id: `true` the first time only.
    async fn claim_matrix_event(&self, event_id: &str, at_millis: i64) -> Result<bool, StoreError>;
}

#[async_trait]
impl Ledger for crate::store::Store {
    async fn claim_delivery(
        &self,
        platform: Platform,
        id: &str,
        kind: DeliveryKind,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        crate::store::Store::claim_delivery(self, platform, id, kind, at).await
    }
    async fn forget_deliveries(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        crate::store::Store::forget_deliveries(self, before).await
    }
    async fn matrix_session(&self, user_id: &str) -> Result<Option<MatrixSession>, StoreError> {
        crate::store::Store::matrix_session(self, user_id).await
    }
    async fn save_matrix_session(&self, session: &MatrixSession) -> Result<(), StoreError> {
        crate::store::Store::save_matrix_session(self, session).await
    }
    async fn matrix_sync_token(&self, user_id: &str) -> Result<Option<String>, StoreError> {
        crate::store::Store::matrix_sync_token(self, user_id).await
    }
    async fn save_matrix_sync_token(&self, user_id: &str, token: &str) -> Result<(), StoreError> {
        crate::store::Store::save_matrix_sync_token(self, user_id, token).await
    }
    async fn matrix_direct_room(
        &self,
        bot: &str,
        user_id: &str,
    ) -> Result<Option<String>, StoreError> {
        crate::store::Store::matrix_direct_room(self, bot, user_id).await
    }
    async fn save_matrix_direct_room(
        &self,
        bot: &str,
        user_id: &str,
        room_id: &str,
    ) -> Result<(), StoreError> {
        crate::store::Store::save_matrix_direct_room(self, bot, user_id, room_id).await
    }
    async fn is_matrix_direct_room(&self, bot: &str, room_id: &str) -> Result<bool, StoreError> {
        crate::store::Store::is_matrix_direct_room(self, bot, room_id).await
    }
    async fn matrix_reaction_keys(&self, event_id: &str) -> Result<Vec<ReactionKey>, StoreError> {
        crate::store::Store::matrix_reaction_keys(self, event_id).await
    }
    async fn matrix_reaction_button(
        &self,
        event_id: &str,
        key: &str,
    ) -> Result<Option<ButtonId>, StoreError> {
        crate::store::Store::matrix_reaction_button(self, event_id, key).await
    }
    async fn save_matrix_reaction_key(
        &self,
        room_id: &str,
        event_id: &str,
        key: &ReactionKey,
    ) -> Result<(), StoreError> {
        crate::store::Store::save_matrix_reaction_key(self, room_id, event_id, key).await
    }
    async fn delete_matrix_reaction_key(
        &self,
        event_id: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        crate::store::Store::delete_matrix_reaction_key(self, event_id, key).await
    }
    async fn claim_matrix_event(&self, event_id: &str, at_millis: i64) -> Result<bool, StoreError> {
        crate::store::Store::claim_matrix_event(self, event_id, at_millis).await
    }
}
