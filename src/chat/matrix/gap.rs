//! A sync whose timeline was cut short (`limited`: more happened in a room than one sync
//! returns, as after a burst of commands or a pause) leaves a gap; the events in it are
//! fetched back page by page, so that no command is lost.

use matrix_sdk::ruma::UInt;
use matrix_sdk::ruma::api::Direction;
use matrix_sdk::ruma::api::client::filter::{FilterDefinition, RoomEventFilter};
use matrix_sdk::ruma::api::client::message::get_message_events;
use matrix_sdk::ruma::api::client::sync::sync_events::v3 as sync;
use matrix_sdk::ruma::events::AnySyncTimelineEvent;
use matrix_sdk::ruma::serde::Raw;

use super::MatrixChat;
use super::api::{chat_error, room_id};
use crate::engine::port::ChatError;

/// How many events of a room one sync returns at most.
const TIMELINE_LIMIT: u32 = 100;
/// How many events one page of a gap holds.
const PAGE: u32 = 100;
/// How many pages of one gap are fetched at most (a bot that was down for days starts from
/// the most recent 5,000 events of a room).
const MAX_PAGES: usize = 50;

/// The sync filter: a long timeline per room, no presence.
pub(super) fn filter() -> sync::Filter {
    let mut definition = FilterDefinition::default();
    definition.room.timeline = RoomEventFilter::default();
    definition.room.timeline.limit = Some(UInt::from(TIMELINE_LIMIT));
    definition.presence.not_types = vec!["*".to_owned()];
    sync::Filter::FilterDefinition(definition)
}

impl MatrixChat {
    /// The events of a room between the sync token `since` and the start of a cut-short
    /// timeline (`prev_batch`), oldest first.
    pub(super) async fn gap(
        &self,
        room: &str,
        prev_batch: &str,
        since: &str,
    ) -> Result<Vec<Raw<AnySyncTimelineEvent>>, ChatError> {
        let mut events = Vec::new();
        let mut from = prev_batch.to_owned();
        for _ in 0..MAX_PAGES {
            let mut request =
                get_message_events::v3::Request::new(room_id(room)?, Direction::Backward);
            request.from = Some(from.clone());
            request.to = Some(since.to_owned());
            request.limit = UInt::from(PAGE);
            let page = self
                .client
                .send(request)
                .await
                .map_err(|e| chat_error(&format!("the history of {room}"), e))?;
            // A page's events carry their room id besides what sync gives; read alike.
            events.extend(page.chunk.iter().map(|raw| raw.clone().cast()));
            match page.end {
                Some(end) if !page.chunk.is_empty() && end != from => from = end,
                _ => break,
            }
        }
        events.reverse();
        Ok(events)
    }
}
