//! The bot's sync loop: sync from the kept token, act on the new events, keep the new token;
//! on errors (the homeserver restarts) retry with a growing pause.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use matrix_sdk::config::RequestConfig;
use matrix_sdk::ruma::api::client::sync::sync_events::v3 as sync;
use matrix_sdk::ruma::events::{AnySyncStateEvent, AnySyncTimelineEvent, StateEventType};
use matrix_sdk::ruma::serde::Raw;

use super::MatrixChat;
use super::events::{self, Incoming};
use crate::domain::UserId;
use crate::engine::Engine;
use crate::engine::ledger::Ledger;
use crate::engine::port::ChatError;

/// How long one sync waits for new events on the homeserver.
const SYNC_WAIT: Duration = Duration::from_secs(30);
/// The first pause after a failed sync; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// The longest pause between sync attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Who may command the bot, and where.
#[derive(Debug, Clone, Default)]
pub struct MatrixSettings {
    /// Who may give commands; empty: anyone in a room the bot serves.
    pub allowed_users: HashSet<String>,
    /// The room ids the bot serves besides its war rooms and direct rooms.
    pub rooms: HashSet<String>,
}

/// The Matrix bot: a chat port and the engine it feeds.
pub struct MatrixBot {
    pub(super) chat: Arc<MatrixChat>,
    pub(super) engine: Arc<Engine>,
    /// The bot's bookkeeping (sync token, handled events, reaction keys, direct rooms).
    pub(super) ledger: Arc<dyn Ledger>,
    pub(super) settings: MatrixSettings,
}

/// Why one round of the loop failed; the loop retries.
#[derive(Debug, thiserror::Error)]
pub(super) enum RoundError {
    /// The homeserver could not be synced with.
    #[error("sync failed: {0}")]
    Sync(#[from] matrix_sdk::HttpError),
    /// The database failed, so the events were not (all) handled.
    #[error("the database failed: {0}")]
    Store(#[from] crate::engine::ledger::StoreError),
    /// The engine could not answer a question the round needs (whose war room a room is).
    #[error("{0}")]
    Engine(#[from] crate::engine::EngineError),
    /// The homeserver failed a call the round needs (a timeline gap, a room's state).
    #[error("{0}")]
    Chat(#[from] ChatError),
}

impl MatrixBot {
    /// A bot over a logged-in chat port. `rooms` may hold aliases (`#lobby:hs`), resolved here.
    pub async fn new(
        chat: Arc<MatrixChat>,
        engine: Arc<Engine>,
        allowed_users: &[UserId],
        rooms: &[String],
    ) -> Result<MatrixBot, String> {
        let mut ids = HashSet::new();
        for room in rooms {
            if room.starts_with('#') {
                let id = chat
                    .resolve_alias(room)
                    .await
                    .map_err(|e| format!("[matrix] rooms: {room}: {e}"))?;
                ids.insert(id);
            } else if room.starts_with('!') {
                ids.insert(room.clone());
            } else {
                return Err(format!(
                    "[matrix] rooms: '{room}' is neither a room id (!…) nor an alias (#…)"
                ));
            }
        }
        Ok(MatrixBot {
            chat,
            ledger: engine.ledger(),
            engine,
            settings: MatrixSettings {
                allowed_users: allowed_users
                    .iter()
                    .map(|u| u.as_str().to_owned())
                    .collect(),
                rooms: ids,
            },
        })
    }

    /// The chat port, for the scheduler's pages.
    pub fn chat(&self) -> Arc<MatrixChat> {
        self.chat.clone()
    }

    /// Syncs and acts on events until `shutdown` completes. The first sync of a bot that has
    /// no kept token only takes note of where things stand (old commands are never replayed).
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let bot = self.chat.bot().to_string();
        let mut backoff = FIRST_BACKOFF;
        loop {
            let round = async {
                let since = self.ledger.matrix_sync_token(&bot).await?;
                self.round(since).await
            };
            let outcome = tokio::select! {
                () = &mut shutdown => {
                    tracing::info!("Matrix sync stopped");
                    return;
                }
                outcome = round => outcome,
            };
            match outcome {
                Ok(()) => backoff = FIRST_BACKOFF,
                Err(error) => {
                    tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "Matrix sync round failed");
                    tokio::select! {
                        () = &mut shutdown => return,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// One sync and the handling of what it brought; the token is kept only after.
    async fn round(&self, since: Option<String>) -> Result<(), RoundError> {
        let first = since.is_none();
        let response = self.sync(since.as_deref()).await?;
        for room in response.rooms.invite.keys() {
            self.on_invite(room.as_str()).await;
        }
        for (room, joined) in &response.rooms.join {
            let room = room.as_str();
            self.note_encryption(room, &joined.state);
            let events = self
                .new_events(room, &joined.timeline, since.as_deref())
                .await?;
            self.act_on(room, &events, first).await?;
        }
        let bot = self.chat.bot().to_string();
        self.ledger
            .save_matrix_sync_token(&bot, &response.next_batch)
            .await?;
        Ok(())
    }

    /// One sync from `since`: at once on the first, else waiting up to [`SYNC_WAIT`] for news.
    async fn sync(&self, since: Option<&str>) -> Result<sync::Response, RoundError> {
        let mut request = sync::Request::new();
        request.filter = Some(super::gap::filter());
        request.since = since.map(str::to_owned);
        request.timeout = Some(if since.is_none() {
            Duration::ZERO
        } else {
            SYNC_WAIT
        });
        let config = RequestConfig::new()
            .timeout(SYNC_WAIT + Duration::from_secs(30))
            .disable_retry();
        Ok(self
            .chat
            .client()
            .send(request)
            .with_request_config(config)
            .await?)
    }

    /// Marks the room encrypted when its state, as sync gives it, says so.
    fn note_encryption(&self, room: &str, state: &sync::State) {
        let events: &[Raw<AnySyncStateEvent>] = match state {
            sync::State::Before(s) | sync::State::After(s) => &s.events,
            _ => &[],
        };
        let encryption = Some(StateEventType::RoomEncryption);
        if events
            .iter()
            .any(|raw| raw.get_field::<StateEventType>("type").ok().flatten() == encryption)
        {
            self.chat.mark_encrypted(room);
        }
    }

    /// A room's events since the last sync, oldest first: those of a timeline that was cut
    /// short are fetched back first.
    async fn new_events(
        &self,
        room: &str,
        timeline: &sync::Timeline,
        since: Option<&str>,
    ) -> Result<Vec<Raw<AnySyncTimelineEvent>>, RoundError> {
        let mut events = match (timeline.limited, timeline.prev_batch.as_deref(), since) {
            (true, Some(prev), Some(since)) => self.fill_gap(room, prev, since).await?,
            _ => Vec::new(),
        };
        events.extend(timeline.events.iter().cloned());
        Ok(events)
    }

    /// The events of a gap in a room's timeline. A homeserver that cannot be reached (or asks
    /// to wait) fails the round, so that it is tried again; a refusal (the bot left the room
    /// meanwhile) cannot be retried away, so the gap stays unfilled.
    async fn fill_gap(
        &self,
        room: &str,
        prev: &str,
        since: &str,
    ) -> Result<Vec<Raw<AnySyncTimelineEvent>>, RoundError> {
        let events = match self.chat.gap(room, prev, since).await {
            Ok(events) => events,
            Err(e @ (ChatError::Unavailable(_) | ChatError::Throttled { .. })) => {
                return Err(e.into());
            }
            Err(e) => {
                tracing::warn!(error = %e, room, "a gap in the timeline could not be fetched");
                Vec::new()
            }
        };
        if !events.is_empty() {
            tracing::info!(room, fetched = events.len(), "filled a gap in the timeline");
        }
        Ok(events)
    }

    /// Acts on a room's new events in order. On the bot's first sync, and in a room it just
    /// joined up to its joining, what was said is history, not commands; encryption is
    /// noted all the same.
    async fn act_on(
        &self,
        room: &str,
        events: &[Raw<AnySyncTimelineEvent>],
        first: bool,
    ) -> Result<(), RoundError> {
        let bot = self.chat.bot().as_str();
        let incoming: Vec<Incoming> = events.iter().map(events::read).collect();
        let joined_at = incoming
            .iter()
            .rposition(|e| matches!(e, Incoming::Joined { user } if user == bot));
        for (i, incoming) in incoming.into_iter().enumerate() {
            if incoming == Incoming::EncryptionEnabled {
                self.chat.mark_encrypted(room);
                continue;
            }
            if first || joined_at.is_some_and(|j| i <= j) {
                continue;
            }
            self.on_event(room, incoming).await?;
        }
        Ok(())
    }

    /// Joins rooms the bot is configured for; other invitations are left alone.
    async fn on_invite(&self, room: &str) {
        if !self.settings.rooms.contains(room) {
            tracing::info!(
                room,
                "ignored an invitation to a room Warroom is not configured for"
            );
            return;
        }
        match self.chat.join(room).await {
            Ok(()) => tracing::info!(room, "joined a configured room"),
            Err(e) => tracing::warn!(error = %e, room, "could not join a configured room"),
        }
    }
}
