//! The daily digest: once a day, at `[digest] at` (UTC), each chat's announcements room gets
//! the list of open incidents, private ones left out. Whichever process claims the day in the
//! store posts it, its posts written to the outbox in the same transaction, so it goes out
//! once across replicas and survives a crash; a process that starts after the time posts
//! the day's missed digest then.

use chrono::{DateTime, NaiveTime, Utc};

use super::effect::{Effect, RoomTarget};
use super::message::{Block, Message, Span};
use super::port::warroom_origin;
use super::{Engine, EngineError};
use crate::domain::Incident;

impl Engine {
    /// Posts today's digest when its time has come and nobody posted it yet; whether it did.
    pub async fn post_digest_if_due(&self) -> Result<bool, EngineError> {
        let Some(at) = self.core.settings.digest_at else {
            return Ok(false);
        };
        let rooms = &self.core.settings.announce_rooms;
        let now = self.core.clock.now();
        let due = now.date_naive().and_time(at).and_utc();
        if rooms.is_empty() || now < due {
            return Ok(false);
        }
        let day = now.date_naive();
        if self.core.store.digest_posted(day).await? {
            return Ok(false);
        }
        let open: Vec<Incident> = self
            .core
            .store
            .open_incidents()
            .await?
            .into_iter()
            .filter(|i| !i.details.private)
            .collect();
        let message = digest(&open, now);
        let mut entries = Vec::new();
        for (chat, room) in rooms {
            let post = Effect::Post {
                room: RoomTarget::Configured(room.clone()),
                message: message.clone(),
            };
            let (made, _) = self.core.delivery().outbox_entries(
                &warroom_origin(*chat),
                *chat,
                None,
                vec![post],
            );
            entries.extend(made);
        }
        let posted = self.core.store.claim_digest(day, now, &entries).await?;
        if posted {
            tracing::info!(%day, open = open.len(), "daily digest posted");
            self.core.outbox_changed.notify_waiters();
        }
        Ok(posted)
    }

    /// When the next digest is due, if one is configured and today's is still to come.
    pub async fn next_digest(&self) -> Result<Option<DateTime<Utc>>, EngineError> {
        let Some(at) = self.core.settings.digest_at else {
            return Ok(None);
        };
        if self.core.settings.announce_rooms.is_empty() {
            return Ok(None);
        }
        let now = self.core.clock.now();
        let today = now.date_naive();
        if self.core.store.digest_posted(today).await? {
            let tomorrow = today.succ_opt().unwrap_or(today);
            return Ok(Some(tomorrow.and_time(at).and_utc()));
        }
        Ok(Some(today.and_time(at).and_utc()))
    }
}

/// The digest: a line per open incident, oldest first, with where it stands and when
/// stakeholders last heard of it.
fn digest(open: &[Incident], now: DateTime<Utc>) -> Message {
    let header = format!(
        "Open incidents on {} ({})",
        now.format("%Y-%m-%d"),
        open.len()
    );
    if open.is_empty() {
        return Message {
            blocks: vec![
                Block::Header(header),
                Block::Text(vec![Span::Text("No open incidents.".into())]),
            ],
        };
    }
    let mut blocks = vec![Block::Header(header)];
    for incident in open.iter().rev() {
        let mut spans = vec![
            Span::Bold(incident.number.to_string()),
            Span::Text(format!(
                " · {} · {} — {} · commander ",
                incident.severity, incident.status, incident.title
            )),
        ];
        spans.push(match &incident.commander {
            Some(user) => Span::Mention(user.clone()),
            None => Span::Text("—".into()),
        });
        let hours = (now - incident.declared_at).num_hours();
        spans.push(Span::Text(format!(" · open {hours} h")));
        spans.push(Span::Text(match incident.details.last_update {
            Some(at) => format!(" · last update {}", at.format("%Y-%m-%d %H:%M UTC")),
            None => " · no status update yet".to_owned(),
        }));
        blocks.push(Block::Text(spans));
    }
    Message { blocks }
}

/// Reads `HH:MM` (UTC) for `[digest] at`.
pub fn digest_time(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()
}
