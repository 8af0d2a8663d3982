//! Delivery: both sides of the outbox. A change writes the effects it causes to the outbox in
//! its own transaction (`entries.rs`: [`Engine::outbox_entries`], and the one way a war room
//! opens); a chat's delivery worker claims the head of each lane (one chat, one incident),
//! carries it out through the chat port, records what the chat made, and retries what failed
//! with backoff until the chat takes it (here). A refusal for good goes on the incident's
//! timeline and is told to the commander, and a page that keeps failing is told to the war
//! room (`notices.rs`); a page counts when delivered.

mod cards;
mod dispatch;
mod entries;
mod notices;

use std::time::Duration as StdDuration;

use chrono::Duration;
use futures_util::StreamExt;

use super::EngineError;
use super::effect::Effect;
use super::port::{ChatError, ChatPort, DeliveryKey};
use crate::domain::{ContactKind, EventKind, IncidentNumber, Platform, UserId};
use crate::engine::core::Core;
use crate::store::OutboxItem;
use crate::telemetry::PageOutcome;
use entries::Outgoing;

pub(super) use entries::{describe, durable};

/// How many lane heads one round claims at a time (one claim statement, one mark transaction).
const CLAIM_BATCH: i64 = 256;
/// How many lanes are delivered side by side (chat calls in flight).
const CONCURRENCY: usize = 32;
/// The first wait before a failed delivery is tried again; it doubles with every attempt.
const FIRST_RETRY: StdDuration = StdDuration::from_secs(1);
/// The longest wait between two attempts.
const MAX_RETRY: StdDuration = StdDuration::from_secs(30);
/// How often marking a round's deliveries is tried before the round fails.
const MARK_ATTEMPTS: u32 = 5;
/// After how many failed attempts the war room is told that a page is late.
const PAGE_LATE_AFTER: u32 = 5;
/// How long an entry of a closed incident (or of none) is retried before it is given up on.
const GIVE_UP_AFTER: Duration = Duration::hours(24);

/// What a delivery attempt that the chat did not take came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attempt {
    /// It failed for now and waits for another attempt.
    Retrying,
    /// The chat refused it for good, or it was given up on.
    Refused,
}

/// An entry the chat took, to be marked with the others of its round.
struct Taken {
    item: OutboxItem,
    /// What the chat made (a room or message id).
    made: Option<String>,
    /// The page it delivered: incident, level, person.
    page: Option<(IncidentNumber, u32, UserId)>,
    /// The notification it sent: incident, level, person, contact.
    notified: Option<(IncidentNumber, u32, UserId, ContactKind)>,
}

/// What one round of delivery did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Entries the chat took.
    pub delivered: usize,
    /// Entries that failed and wait for another attempt.
    pub retrying: usize,
    /// Entries refused for good.
    pub refused: usize,
}

/// The wait before attempt `attempts + 1`: what the chat asked for (a rate limit, its own
/// pacing) and up to a fifth more; otherwise doubling from [`FIRST_RETRY`] up to
/// [`MAX_RETRY`], spread by up to a fifth either way, so that lanes that failed together do
/// not retry together.
fn retry_after(attempts: u32, asked: Option<StdDuration>, spread: u64) -> StdDuration {
    // spread % 401 is 0..=400.
    let jitter = (spread % 401) as f64 / 1000.0;
    if let Some(asked) = asked {
        return asked.mul_f64(1.0 + jitter / 2.0).min(MAX_RETRY.max(asked));
    }
    let doubling = FIRST_RETRY.saturating_mul(1 << attempts.saturating_sub(1).min(16));
    doubling.min(MAX_RETRY).mul_f64(0.8 + jitter)
}

/// A number that differs between entries and attempts, for spreading retries.
fn spread(id: i64, attempts: u32) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_i64(id);
    h.write_u32(attempts);
    h.finish()
}

/// The delivery service: carries effects out through a chat and delivers the outbox.
#[derive(Clone, Copy)]
pub struct Delivery<'a> {
    pub(in crate::engine) core: &'a Core,
}

impl Core {
    /// The delivery service over this core.
    pub(in crate::engine) fn delivery(&self) -> Delivery<'_> {
        Delivery { core: self }
    }
}

impl Delivery<'_> {
    /// Delivers what is due in `port`'s outbox, lanes side by side and each lane in order, until
    /// nothing more is due now; `owner` names this process in claims.
    pub async fn deliver_due(
        &self,
        port: &dyn ChatPort,
        owner: &str,
    ) -> Result<Delivered, EngineError> {
        let mut round = Delivered::default();
        loop {
            let now = self.core.clock.now();
            let items = self
                .core
                .store
                .claim_outbox(
                    port.platform(),
                    now,
                    owner,
                    now + self.core.settings.delivery_lease,
                    CLAIM_BATCH,
                )
                .await?;
            if items.is_empty() {
                return Ok(round);
            }
            let outcomes: Vec<Result<Taken, Attempt>> = futures_util::stream::iter(items)
                .map(|item| self.deliver_item(port, owner, item))
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
            let mut taken = Vec::new();
            for outcome in outcomes {
                match outcome {
                    Ok(t) => taken.push(t),
                    Err(Attempt::Retrying) => round.retrying += 1,
                    Err(_) => round.refused += 1,
                }
            }
            round.delivered += taken.len();
            self.mark_taken(owner, taken).await?;
        }
    }

    /// Marks a round's delivered entries in one transaction (only then may their lanes' next
    /// entries be claimed), and puts delivered pages on their incidents' timelines.
    async fn mark_taken(&self, owner: &str, taken: Vec<Taken>) -> Result<(), EngineError> {
        if taken.is_empty() {
            return Ok(());
        }
        let now = self.core.clock.now();
        let marks: Vec<(i64, Option<&str>)> = taken
            .iter()
            .map(|t| (t.item.id, t.made.as_deref()))
            .collect();
        let marked = self.mark_delivered(&marks, owner, now).await?;
        for t in taken {
            if !marked.contains(&t.item.id) {
                tracing::warn!(
                    id = t.item.id,
                    "the claim ran out before the delivery was marked; it may repeat"
                );
                continue;
            }
            if let Some(page) = t.page {
                self.note_page_delivered(page, now - t.item.created_at)
                    .await;
            }
            if let Some((incident, level, person, via)) = t.notified {
                let kind = EventKind::Notified {
                    level,
                    person,
                    via,
                    delay_secs: (now - t.item.created_at).num_seconds().max(0),
                };
                self.note(incident, kind).await;
            }
        }
        Ok(())
    }

    /// Marks entries delivered, trying again over a passing database hiccup: they were
    /// delivered already, and if the marks were lost they would be delivered again when their
    /// claims ran out. Returns the ids that were marked.
    async fn mark_delivered(
        &self,
        marks: &[(i64, Option<&str>)],
        owner: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<i64>, EngineError> {
        let mut attempt = 0;
        loop {
            match self
                .core
                .store
                .outbox_delivered_all(marks, owner, now)
                .await
            {
                Ok(marked) => return Ok(marked),
                Err(e) if attempt < MARK_ATTEMPTS => {
                    attempt += 1;
                    tracing::warn!(error = %e, attempt, "could not mark deliveries; trying again");
                    tokio::time::sleep(StdDuration::from_millis(50 * u64::from(attempt))).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Puts a delivered page on its incident's timeline, with how long it took to arrive.
    async fn note_page_delivered(
        &self,
        (incident, level, person): (IncidentNumber, u32, UserId),
        took: Duration,
    ) {
        let kind = EventKind::PageDelivered {
            level,
            person,
            delay_secs: took.num_seconds().max(0),
        };
        self.note(incident, kind).await;
    }

    /// Puts how a page reached its person on the incident's timeline; a failure is logged (the
    /// delivery itself is done).
    async fn note(&self, incident: IncidentNumber, kind: EventKind) {
        if let Err(e) = self
            .core
            .append(incident, &UserId::warroom(), |_| Ok(kind.clone()))
            .await
        {
            tracing::warn!(error = ?e, "could not put a delivered page on the timeline");
        }
    }

    /// Carries out one claimed entry and records how it went.
    #[tracing::instrument(skip_all, fields(
        id = item.id,
        kind = %item.kind,
        lane = %item.lane,
        attempt = item.attempts,
        incident = item.incident.map(tracing::field::display),
    ))]
    async fn deliver_item(
        &self,
        port: &dyn ChatPort,
        owner: &str,
        item: OutboxItem,
    ) -> Result<Taken, Attempt> {
        let outgoing: Outgoing = match serde_json::from_str(&item.body) {
            Ok(o) => o,
            Err(e) => {
                let reason = format!("the outbox entry could not be read: {e}");
                tracing::error!(%reason);
                self.give_up(owner, &item, &reason).await;
                return Err(Attempt::Refused);
            }
        };
        if let Some(page) = outgoing.unless_delivered
            && matches!(self.core.store.outbox_state(page).await, Ok(Some(s)) if s == "delivered")
        {
            // The late page arrived meanwhile: nothing to tell.
            return Ok(Taken {
                item,
                made: None,
                page: None,
                notified: None,
            });
        }
        let attempt = DeliveryKey::scope(
            item.id,
            self.carry_out(port, &outgoing.origin, &outgoing.effect),
        )
        .await;
        let paged = page_of(&outgoing.effect, port.platform());
        let failure = match attempt {
            Ok(made) => {
                // A provider's page that was not sent (the incident was acknowledged
                // meanwhile) is no delivery.
                let sent = matches!(outgoing.effect, Effect::DirectMessage { .. })
                    || made.as_deref() == Some(dispatch::SENT);
                if let Some((level, via)) = &paged
                    && sent
                {
                    crate::telemetry::page(*level, via, PageOutcome::Delivered);
                }
                let (mut page, mut notified) = (None, None);
                match outgoing.effect {
                    Effect::DirectMessage {
                        user,
                        page: Some((incident, level)),
                        ..
                    } => page = Some((incident, level, user)),
                    Effect::Notify {
                        user,
                        via,
                        page: note,
                        ..
                    } if made.as_deref() == Some(dispatch::SENT) => {
                        notified = Some((note.incident, note.level, user, via));
                    }
                    _ => {}
                }
                return Ok(Taken {
                    item,
                    made,
                    page,
                    notified,
                });
            }
            Err(e) => e,
        };
        let (reason, permanent, asked) = match &failure {
            dispatch::DispatchError::Chat(ChatError::Unavailable(r)) => (r.clone(), false, None),
            dispatch::DispatchError::Chat(ChatError::Throttled { wait, reason }) => {
                (reason.clone(), false, Some(*wait))
            }
            dispatch::DispatchError::Chat(e) => (e.to_string(), true, None),
            dispatch::DispatchError::Store(e) => (e.to_string(), false, None),
        };
        if let Some((level, via)) = &paged {
            let outcome = if permanent {
                PageOutcome::Refused
            } else {
                PageOutcome::Retrying
            };
            crate::telemetry::page(*level, via, outcome);
        }
        if permanent {
            tracing::warn!(%reason, "the chat refused a delivery for good");
            self.give_up(owner, &item, &reason).await;
            // A notifier's refusal is the provider's, not the chat's: its own words.
            let said = match (&outgoing.effect, &failure) {
                (
                    Effect::Notify { .. } | Effect::NotifyUpdate { .. },
                    dispatch::DispatchError::Chat(ChatError::Refused(r)),
                ) => r.clone(),
                _ => failure.to_string(),
            };
            self.notice_failure(&item, &outgoing, &said).await;
            return Err(Attempt::Refused);
        }
        let now = self.core.clock.now();
        if now - item.created_at > GIVE_UP_AFTER && !self.still_open(item.incident).await {
            let reason = format!("given up after {} attempts: {reason}", item.attempts);
            tracing::warn!(%reason, "a delivery of a closed incident was given up on");
            self.give_up(owner, &item, &reason).await;
            self.notice_failure(&item, &outgoing, &reason).await;
            return Err(Attempt::Refused);
        }
        if item.attempts == PAGE_LATE_AFTER
            && asked.is_none()
            && let Effect::DirectMessage {
                user,
                page: Some((incident, level)),
                ..
            } = &outgoing.effect
        {
            self.tell_page_late(&item, &outgoing, user, *incident, *level, &reason)
                .await;
        }
        let wait = retry_after(item.attempts, asked, spread(item.id, item.attempts));
        let next = now + Duration::from_std(wait).unwrap_or(self.core.settings.delivery_lease);
        let noted = if asked.is_some() {
            // The chat asked to slow down: later, but not a failure.
            tracing::debug!(%reason, retry_in_ms = wait.as_millis() as u64, "delivery paced");
            self.core.store.outbox_later(item.id, owner, next).await
        } else {
            tracing::info!(%reason, retry_in_ms = wait.as_millis() as u64, "delivery failed; it will be tried again");
            self.core
                .store
                .outbox_retry(item.id, owner, next, &reason)
                .await
        };
        if let Err(e) = noted {
            // The lease runs out and the entry is claimed again: later, but not lost.
            tracing::warn!(error = %e, "could not note a failed delivery");
        }
        Err(Attempt::Retrying)
    }

    /// Whether an incident is open (an entry of none counts as closed).
    async fn still_open(&self, incident: Option<IncidentNumber>) -> bool {
        let Some(n) = incident else {
            return false;
        };
        match self.core.store.incident(n).await {
            Ok(Some(i)) => i.status.is_open(),
            Ok(None) => false,
            // When in doubt, keep trying.
            Err(_) => true,
        }
    }

    /// Marks an entry given up on; `reason` says why.
    async fn give_up(&self, owner: &str, item: &OutboxItem, reason: &str) {
        if let Err(e) = self
            .core
            .store
            .outbox_failed(item.id, owner, self.core.clock.now(), reason)
            .await
        {
            tracing::warn!(error = %e, "could not mark a delivery given up on");
        }
    }
}

/// The escalation level of a page and the way it goes (the chat, or the provider), when
/// `effect` is one.
fn page_of(effect: &Effect, chat: Platform) -> Option<(u32, String)> {
    match effect {
        Effect::DirectMessage {
            page: Some((_, level)),
            ..
        } => Some((*level, chat.name().to_owned())),
        Effect::Notify { via, page, .. } => Some((page.level, via.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_up_to_half_a_minute_and_honour_what_the_chat_asked() {
        let middle = 200; // a factor of exactly 1.0
        assert_eq!(retry_after(1, None, middle), StdDuration::from_secs(1));
        assert_eq!(retry_after(2, None, middle), StdDuration::from_secs(2));
        assert_eq!(retry_after(5, None, middle), StdDuration::from_secs(16));
        assert_eq!(retry_after(30, None, middle), MAX_RETRY);
        // What the chat asked for, however often it failed before, and at most a fifth more.
        let asked = StdDuration::from_millis(300);
        assert_eq!(retry_after(9, Some(asked), 0), asked);
        assert_eq!(
            retry_after(9, Some(asked), 400),
            StdDuration::from_millis(360)
        );
        for s in 0..1000 {
            let wait = retry_after(3, None, s);
            assert!(
                wait >= StdDuration::from_millis(3200) && wait <= StdDuration::from_millis(4800)
            );
        }
    }

    #[tokio::test]
    async fn the_calls_of_one_entry_are_named_the_same_on_every_attempt() {
        assert_eq!(DeliveryKey::next_call(), None);
        for _ in 0..2 {
            let names = DeliveryKey::scope(42, async {
                [DeliveryKey::next_call(), DeliveryKey::next_call()]
            })
            .await;
            assert_eq!(
                names,
                [Some("warroom-42-0".into()), Some("warroom-42-1".into())]
            );
        }
    }
}
