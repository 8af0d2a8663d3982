//! The Matrix adapter's own bookkeeping: the bot's session and sync token, its direct rooms,
//! the emoji keys of its messages, and the events it has handled. Nothing here is about
//! incidents; those change only through the engine.

use super::StoreError;
use super::error::classify;
use crate::domain::ButtonId;

/// A bot's login as the store keeps it.
#[derive(Clone, PartialEq, Eq)]
pub struct MatrixSession {
    /// The bot's user id.
    pub user_id: String,
    /// The device the login made.
    pub device_id: String,
    /// The access token of that device.
    pub access_token: String,
}

// By hand, so that the token never reaches a log.
impl std::fmt::Debug for MatrixSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatrixSession")
            .field("user_id", &self.user_id)
            .field("device_id", &self.device_id)
            .field("access_token", &"***")
            .finish()
    }
}

/// One emoji key on a message: pressing it presses the button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionKey {
    /// The emoji.
    pub key: String,
    /// The button it presses.
    pub button_id: ButtonId,
    /// The bot's own reaction with this key, once made.
    pub bot_reaction_id: Option<String>,
}

impl super::Store {
    /// The stored login of a bot account.
    pub async fn matrix_session(&self, user_id: &str) -> Result<Option<MatrixSession>, StoreError> {
        let found: Option<(String, String, String)> = with_pool!(&self.pool, p => {
            sqlx::query_as(
                "SELECT user_id, device_id, access_token FROM matrix_sessions WHERE user_id = $1",
            )
            .bind(user_id)
            .fetch_optional(p)
            .await
        })
        .map_err(classify)?;
        Ok(
            found.map(|(user_id, device_id, access_token)| MatrixSession {
                user_id,
                device_id,
                access_token,
            }),
        )
    }

    /// Remembers a new login; a new login starts without a sync token.
    pub async fn save_matrix_session(&self, session: &MatrixSession) -> Result<(), StoreError> {
        with_pool!(&self.pool, p => {
            sqlx::query(
                "INSERT INTO matrix_sessions (user_id, device_id, access_token) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id) DO UPDATE SET device_id = excluded.device_id, \
                 access_token = excluded.access_token",
            )
            .bind(&session.user_id)
            .bind(&session.device_id)
            .bind(&session.access_token)
            .execute(p)
            .await
            .map(|_| ())
        })
        .map_err(classify)
    }

    /// The sync token everything before which has been handled.
    pub async fn matrix_sync_token(&self, user_id: &str) -> Result<Option<String>, StoreError> {
        let found: Option<(Option<String>,)> = with_pool!(&self.pool, p => {
            sqlx::query_as("SELECT sync_token FROM matrix_sessions WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(p)
                .await
        })
        .map_err(classify)?;
        Ok(found.and_then(|(token,)| token))
    }

    /// Remembers the sync token after the events before it were handled. A bot without a
    /// stored login (one that uses a configured access token) gets a row without one.
    pub async fn save_matrix_sync_token(
        &self,
        user_id: &str,
        token: &str,
    ) -> Result<(), StoreError> {
        with_pool!(&self.pool, p => {
            sqlx::query(
                "INSERT INTO matrix_sessions (user_id, device_id, access_token, sync_token) \
                 VALUES ($1, '', '', $2) \
                 ON CONFLICT (user_id) DO UPDATE SET sync_token = excluded.sync_token",
            )
            .bind(user_id)
            .bind(token)
            .execute(p)
            .await
            .map(|_| ())
        })
        .map_err(classify)
    }

    /// The direct room a bot made with a person.
    pub async fn matrix_direct_room(
        &self,
        bot: &str,
        user_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let found: Option<(String,)> = with_pool!(&self.pool, p => {
            sqlx::query_as(
                "SELECT room_id FROM matrix_direct_rooms WHERE bot_user_id = $1 AND user_id = $2",
            )
            .bind(bot)
            .bind(user_id)
            .fetch_optional(p)
            .await
        })
        .map_err(classify)?;
        Ok(found.map(|(room,)| room))
    }

    /// Remembers (or replaces) the direct room of a bot with a person.
    pub async fn save_matrix_direct_room(
        &self,
        bot: &str,
        user_id: &str,
        room_id: &str,
    ) -> Result<(), StoreError> {
        with_pool!(&self.pool, p => {
            sqlx::query(
                "INSERT INTO matrix_direct_rooms (bot_user_id, user_id, room_id) VALUES ($1, $2, $3) \
                 ON CONFLICT (bot_user_id, user_id) DO UPDATE SET room_id = excluded.room_id",
            )
            .bind(bot)
            .bind(user_id)
            .bind(room_id)
            .execute(p)
            .await
            .map(|_| ())
        })
        .map_err(classify)
    }

    /// Whether a room is one of a bot's direct rooms.
    pub async fn is_matrix_direct_room(
        &self,
        bot: &str,
        room_id: &str,
    ) -> Result<bool, StoreError> {
        let found: Option<(String,)> = with_pool!(&self.pool, p => {
            sqlx::query_as(
                "SELECT user_id FROM matrix_direct_rooms WHERE bot_user_id = $1 AND room_id = $2",
            )
            .bind(bot)
            .bind(room_id)
            .fetch_optional(p)
            .await
        })
        .map_err(classify)?;
        Ok(found.is_some())
    }

    /// The emoji keys of a message, in no particular order.
    pub async fn matrix_reaction_keys(
        &self,
        event_id: &str,
    ) -> Result<Vec<ReactionKey>, StoreError> {
        let rows: Vec<(String, i64, Option<String>)> = with_pool!(&self.pool, p => {
            sqlx::query_as(
                "SELECT reaction_key, button_id, bot_reaction_id FROM matrix_reaction_keys \
                 WHERE event_id = $1",
            )
            .bind(event_id)
            .fetch_all(p)
            .await
        })
        .map_err(classify)?;
        Ok(rows
            .into_iter()
            .map(|(key, button_id, bot_reaction_id)| ReactionKey {
                key,
                button_id: ButtonId::from_row(button_id),
                bot_reaction_id,
            })
            .collect())
    }

    /// The button that an emoji key presses on a message.
    pub async fn matrix_reaction_button(
        &self,
        event_id: &str,
        key: &str,
    ) -> Result<Option<ButtonId>, StoreError> {
        let found: Option<(i64,)> = with_pool!(&self.pool, p => {
            sqlx::query_as(
                "SELECT button_id FROM matrix_reaction_keys WHERE event_id = $1 AND reaction_key = $2",
            )
            .bind(event_id)
            .bind(key)
            .fetch_optional(p)
            .await
        })
        .map_err(classify)?;
        Ok(found.map(|(id,)| ButtonId::from_row(id)))
    }

    /// Remembers (or repoints) an emoji key of a message.
    pub async fn save_matrix_reaction_key(
        &self,
        room_id: &str,
        event_id: &str,
        key: &ReactionKey,
    ) -> Result<(), StoreError> {
        with_pool!(&self.pool, p => {
            sqlx::query(
                "INSERT INTO matrix_reaction_keys \
                 (event_id, reaction_key, room_id, button_id, bot_reaction_id) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (event_id, reaction_key) DO UPDATE SET button_id = excluded.button_id, \
                 bot_reaction_id = COALESCE(excluded.bot_reaction_id, matrix_reaction_keys.bot_reaction_id)",
            )
            .bind(event_id)
            .bind(&key.key)
            .bind(room_id)
            .bind(key.button_id.row())
            .bind(&key.bot_reaction_id)
            .execute(p)
            .await
            .map(|_| ())
        })
        .map_err(classify)
    }

    /// Forgets an emoji key of a message (its button is gone from it).
    pub async fn delete_matrix_reaction_key(
        &self,
        event_id: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        with_pool!(&self.pool, p => {
            sqlx::query("DELETE FROM matrix_reaction_keys WHERE event_id = $1 AND reaction_key = $2")
                .bind(event_id)
                .bind(key)
                .execute(p)
                .await
                .map(|_| ())
        })
        .map_err(classify)
    }

    /// Records that an event is being handled. True the first time for an event id, false
    /// ever after: whoever gets true handles it, everyone else leaves it.
    pub async fn claim_matrix_event(
        &self,
        event_id: &str,
        at_millis: i64,
    ) -> Result<bool, StoreError> {
        let inserted = with_pool!(&self.pool, p => {
            sqlx::query(
                "INSERT INTO matrix_handled_events (event_id, handled_at) VALUES ($1, $2) \
                 ON CONFLICT (event_id) DO NOTHING",
            )
            .bind(event_id)
            .bind(at_millis)
            .execute(p)
            .await
            .map(|done| done.rows_affected())
        })
        .map_err(classify)?;
        Ok(inserted == 1)
    }
}
