//! Delivery: both sides of the outbox. A change writes the effects it causes to the outbox in
//! its own transaction ([`Engine::outbox_entries`]); a chat's delivery worker claims the head of
//! each lane (one chat, one incident), carries it out through the chat port, records what the
//! chat made, and retries what failed with backoff until the chat takes it. A refusal for good
//! goes on the incident's timeline and is told to the commander; a page counts when delivered.

use std::time::Duration as StdDuration;

use chrono::Duration;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::effect::{Effect, RoomTarget};
use super::message::{Message, Span};
use super::port::{ChatError, ChatPort, DeliveryKey, Origin};
use super::{Engine, EngineError, views, war_room_name};
use crate::domain::{EventKind, IncidentNumber, Platform, UserId};
use crate::store::{OutboxEntry, OutboxItem, StoreError};

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

/// An effect as the outbox keeps it: the effect and who caused it, from where.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Outgoing {
    origin: Origin,
    effect: Effect,
    /// A notice about another entry's failure: its own failure is not noticed again.
    #[serde(default)]
    notice: bool,
    /// An entry whose delivery makes this one moot (a notice that a page is late).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unless_delivered: Option<i64>,
}

/// What one delivery attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The chat took it.
    Delivered,
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

/// Whether an effect that follows a change goes through the outbox. Answers to the person who
/// asked, files and action runs are carried out at once, in the request that caused them.
pub(super) fn durable(effect: &Effect) -> bool {
    !matches!(
        effect,
        Effect::Reply { .. } | Effect::RunAction { .. } | Effect::Upload { .. }
    )
}

/// The incident an effect is about, if it names one.
fn incident_of(effect: &Effect) -> Option<IncidentNumber> {
    match effect {
        Effect::CreateWarRoom { incident, .. }
        | Effect::Invite { incident, .. }
        | Effect::PostCard { incident }
        | Effect::UpdateCard { incident }
        | Effect::SuggestRunbooks { incident, .. }
        | Effect::PostRunbook { incident, .. }
        | Effect::UpdateRunbook { incident, .. }
        | Effect::SetTopic { incident, .. } => Some(*incident),
        Effect::Post {
            room: RoomTarget::WarRoom(n),
            ..
        } => Some(*n),
        Effect::DirectMessage {
            page: Some((n, _)), ..
        } => Some(*n),
        _ => None,
    }
}

/// The outbox's name for an effect's kind.
fn kind_of(effect: &Effect) -> &'static str {
    match effect {
        Effect::CreateWarRoom { .. } => "create_war_room",
        Effect::Invite { .. } => "invite",
        Effect::PostCard { .. } => "post_card",
        Effect::UpdateCard { .. } => "update_card",
        Effect::SuggestRunbooks { .. } => "suggest_runbooks",
        Effect::PostRunbook { .. } => "post_runbook",
        Effect::UpdateRunbook { .. } => "update_runbook",
        Effect::RunAction { .. } => "run_action",
        Effect::PostOutput { .. } => "post_output",
        Effect::SetTopic { .. } => "set_topic",
        Effect::Post { .. } => "post",
        Effect::Reply { .. } => "reply",
        Effect::DirectMessage { page: Some(_), .. } => "page",
        Effect::DirectMessage { .. } => "direct_message",
        Effect::Upload { .. } => "upload",
    }
}

/// What an effect is, in words, for failures (`post the incident card`).
pub(super) fn describe(effect: &Effect) -> String {
    match effect {
        Effect::CreateWarRoom { .. } => "create the war room".into(),
        Effect::Invite { .. } => "invite people into the war room".into(),
        Effect::PostCard { .. } => "post the incident card".into(),
        Effect::UpdateCard { .. } => "update the incident card".into(),
        Effect::SetTopic { .. } => "set the war room's topic".into(),
        Effect::SuggestRunbooks { .. } => "suggest runbooks".into(),
        Effect::RunAction { .. } => "run the action".into(),
        Effect::PostOutput { request, .. } => format!("post the output of {request}"),
        Effect::PostRunbook { .. } => "post the runbook's steps".into(),
        Effect::UpdateRunbook { .. } => "update the runbook's progress".into(),
        Effect::Post { .. } => "post a message".into(),
        Effect::Reply { .. } => "answer you".into(),
        Effect::DirectMessage {
            user,
            page: Some((_, level)),
            ..
        } => format!("send the level {level} page to {user}"),
        Effect::DirectMessage { user, .. } => format!("send a direct message to {user}"),
        Effect::Upload { .. } => "upload the file".into(),
    }
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

impl Engine {
    /// Notified whenever entries are written to the outbox, so that a sleeping delivery worker
    /// looks again.
    pub fn outbox_changed(&self) -> &tokio::sync::Notify {
        &self.outbox_changed
    }

    /// The chat an incident lives in: the one recorded when it was declared, else `fallback`.
    pub(super) async fn chat_of_incident(
        &self,
        incident: IncidentNumber,
        fallback: Platform,
    ) -> Result<Platform, StoreError> {
        if let Some(chat) = self.memo.incident_chat(incident) {
            return Ok(chat);
        }
        match self.store.incident_chat(incident).await? {
            Some(chat) => {
                self.memo.remember_incident_chat(incident, chat);
                Ok(chat)
            }
            None => Ok(fallback),
        }
    }

    /// Splits effects into outbox entries and the effects to carry out at once. War-room
    /// effects and pages go to `chat` (the chat the incident lives in); posts to the room a
    /// command came from go to the origin's chat.
    pub(super) fn outbox_entries(
        &self,
        origin: &Origin,
        chat: Platform,
        context: Option<IncidentNumber>,
        effects: Vec<Effect>,
    ) -> (Vec<OutboxEntry>, Vec<Effect>) {
        let mut entries = Vec::new();
        let mut now = Vec::new();
        for effect in effects {
            if !durable(&effect) {
                now.push(effect);
                continue;
            }
            match entry(origin, chat, context, effect, false) {
                Ok(e) => entries.push(e),
                Err(e) => {
                    tracing::error!(error = %e, "an effect could not be written down");
                }
            }
        }
        (entries, now)
    }

    /// Writes the durable ones of `effects` to the outbox in a transaction of their own, and
    /// returns the rest. For effects that follow no recorded change (or whose change was
    /// recorded before the outbox learned of them).
    pub(super) async fn enqueue(
        &self,
        origin: &Origin,
        effects: Vec<Effect>,
    ) -> Result<Vec<Effect>, StoreError> {
        if !effects.iter().any(durable) {
            return Ok(effects);
        }
        // Effects are about one incident at most in every caller; its chat decides.
        let context = effects.iter().find_map(incident_of);
        let chat = match context {
            Some(n) => self.chat_of_incident(n, origin.platform).await?,
            None => origin.platform,
        };
        let (entries, now) = self.outbox_entries(origin, chat, context, effects);
        self.store.enqueue(&entries, self.clock.now()).await?;
        self.outbox_changed.notify_waiters();
        Ok(now)
    }

    /// Delivers what is due in `port`'s outbox, lanes side by side and each lane in order, until
    /// nothing more is due now; `owner` names this process in claims.
    pub async fn deliver_due(
        &self,
        port: &dyn ChatPort,
        owner: &str,
    ) -> Result<Delivered, EngineError> {
        let mut round = Delivered::default();
        loop {
            let now = self.clock.now();
            let items = self
                .store
                .claim_outbox(
                    port.platform(),
                    now,
                    owner,
                    now + self.settings.delivery_lease,
                    CLAIM_BATCH,
                )
                .await?;
            if items.is_empty() {
                return Ok(round);
            }
            let outcomes: Vec<Result<Taken, Delivery>> = futures_util::stream::iter(items)
                .map(|item| self.deliver_item(port, owner, item))
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
            let mut taken = Vec::new();
            for outcome in outcomes {
                match outcome {
                    Ok(t) => taken.push(t),
                    Err(Delivery::Retrying) => round.retrying += 1,
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
        let now = self.clock.now();
        let marks: Vec<(i64, Option<&str>)> = taken
            .iter()
            .map(|t| (t.item.id, t.made.as_deref()))
            .collect();
        // Delivered already: marking must not be lost to a passing database hiccup, or the
        // entries are delivered again when their claims run out.
        let mut attempt = 0;
        let marked = loop {
            match self.store.outbox_delivered_all(&marks, owner, now).await {
                Ok(marked) => break marked,
                Err(e) if attempt < MARK_ATTEMPTS => {
                    attempt += 1;
                    tracing::warn!(error = %e, attempt, "could not mark deliveries; trying again");
                    tokio::time::sleep(StdDuration::from_millis(50 * u64::from(attempt))).await;
                }
                Err(e) => return Err(e.into()),
            }
        };
        for t in taken {
            if !marked.contains(&t.item.id) {
                tracing::warn!(
                    id = t.item.id,
                    "the claim ran out before the delivery was marked; it may repeat"
                );
                continue;
            }
            let Some((incident, level, person)) = t.page else {
                continue;
            };
            let delay_secs = (now - t.item.created_at).num_seconds().max(0);
            let kind = EventKind::PageDelivered {
                level,
                person,
                delay_secs,
            };
            if let Err(e) = self
                .append(incident, &UserId::warroom(), |_| Ok(kind.clone()))
                .await
            {
                tracing::warn!(error = ?e, "could not put a delivered page on the timeline");
            }
        }
        Ok(())
    }

    /// Carries out one claimed entry and records how it went.
    #[tracing::instrument(skip_all, fields(id = item.id, kind = %item.kind, lane = %item.lane, attempt = item.attempts))]
    async fn deliver_item(
        &self,
        port: &dyn ChatPort,
        owner: &str,
        item: OutboxItem,
    ) -> Result<Taken, Delivery> {
        let outgoing: Outgoing = match serde_json::from_str(&item.body) {
            Ok(o) => o,
            Err(e) => {
                let reason = format!("the outbox entry could not be read: {e}");
                tracing::error!(%reason);
                self.give_up(owner, &item, &reason).await;
                return Err(Delivery::Refused);
            }
        };
        if let Some(page) = outgoing.unless_delivered
            && matches!(self.store.outbox_state(page).await, Ok(Some(s)) if s == "delivered")
        {
            // The late page arrived meanwhile: nothing to tell.
            return Ok(Taken {
                item,
                made: None,
                page: None,
            });
        }
        let attempt = DeliveryKey::scope(
            item.id,
            self.carry_out(port, &outgoing.origin, &outgoing.effect),
        )
        .await;
        let failure = match attempt {
            Ok(made) => {
                let page = match outgoing.effect {
                    Effect::DirectMessage {
                        user,
                        page: Some((incident, level)),
                        ..
                    } => Some((incident, level, user)),
                    _ => None,
                };
                return Ok(Taken { item, made, page });
            }
            Err(e) => e,
        };
        let (reason, permanent, asked) = match &failure {
            super::dispatch::DispatchError::Chat(ChatError::Unavailable(r)) => {
                (r.clone(), false, None)
            }
            super::dispatch::DispatchError::Chat(ChatError::Throttled { wait, reason }) => {
                (reason.clone(), false, Some(*wait))
            }
            super::dispatch::DispatchError::Chat(e) => (e.to_string(), true, None),
            super::dispatch::DispatchError::Store(e) => (e.to_string(), false, None),
        };
        if permanent {
            tracing::warn!(%reason, "the chat refused a delivery for good");
            self.give_up(owner, &item, &reason).await;
            self.notice_failure(&item, &outgoing, &failure.to_string())
                .await;
            return Err(Delivery::Refused);
        }
        let now = self.clock.now();
        if now - item.created_at > GIVE_UP_AFTER && !self.still_open(item.incident).await {
            let reason = format!("given up after {} attempts: {reason}", item.attempts);
            tracing::warn!(%reason, "a delivery of a closed incident was given up on");
            self.give_up(owner, &item, &reason).await;
            self.notice_failure(&item, &outgoing, &reason).await;
            return Err(Delivery::Refused);
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
        let next = now + Duration::from_std(wait).unwrap_or(self.settings.delivery_lease);
        let noted = if asked.is_some() {
            // The chat asked to slow down: later, but not a failure.
            tracing::debug!(%reason, retry_in_ms = wait.as_millis() as u64, "delivery paced");
            self.store.outbox_later(item.id, owner, next).await
        } else {
            tracing::info!(%reason, retry_in_ms = wait.as_millis() as u64, "delivery failed; it will be tried again");
            self.store.outbox_retry(item.id, owner, next, &reason).await
        };
        if let Err(e) = noted {
            // The lease runs out and the entry is claimed again: later, but not lost.
            tracing::warn!(error = %e, "could not note a failed delivery");
        }
        Err(Delivery::Retrying)
    }

    /// Whether an incident is open (an entry of none counts as closed).
    async fn still_open(&self, incident: Option<IncidentNumber>) -> bool {
        let Some(n) = incident else {
            return false;
        };
        match self.store.incident(n).await {
            Ok(Some(i)) => i.status.is_open(),
            Ok(None) => false,
            // When in doubt, keep trying.
            Err(_) => true,
        }
    }

    /// Marks an entry given up on; `reason` says why.
    async fn give_up(&self, owner: &str, item: &OutboxItem, reason: &str) {
        if let Err(e) = self
            .store
            .outbox_failed(item.id, owner, self.clock.now(), reason)
            .await
        {
            tracing::warn!(error = %e, "could not mark a delivery given up on");
        }
    }

    /// Puts a refused delivery on the incident's timeline and tells the commander in the war
    /// room (when the war room itself is not what failed).
    async fn notice_failure(&self, item: &OutboxItem, outgoing: &Outgoing, reason: &str) {
        let Some(incident) = item.incident.or_else(|| incident_of(&outgoing.effect)) else {
            return;
        };
        if outgoing.notice {
            return;
        }
        let what = describe(&outgoing.effect);
        let kind = EventKind::DeliveryFailed {
            what: what.clone(),
            reason: reason.to_owned(),
        };
        // Told in the war room; when the war room itself could not be made, in the room the
        // declaration came from (when it came from one).
        let target = match outgoing.effect {
            Effect::CreateWarRoom { .. } if outgoing.origin.room_id.is_empty() => None,
            Effect::CreateWarRoom { .. } => Some(RoomTarget::Origin),
            _ => Some(RoomTarget::WarRoom(incident)),
        };
        let origin = outgoing.origin.clone();
        let chat = item.platform;
        let appended = self
            .append_told(
                incident,
                &UserId::warroom(),
                |_| Ok(kind.clone()),
                |_, after, _| {
                    let Some(room) = target.clone() else {
                        return Vec::new();
                    };
                    let mut spans = Vec::new();
                    if let Some(commander) = &after.commander {
                        spans.push(Span::Mention(commander.clone()));
                        spans.push(Span::Text(": ".into()));
                    }
                    spans.push(Span::Text(format!(
                        "Warroom could not {what} ({incident}): {reason}"
                    )));
                    let notice = Effect::Post {
                        room,
                        message: Message::spans(spans),
                    };
                    entry(&origin, chat, Some(incident), notice, true)
                        .into_iter()
                        .collect()
                },
            )
            .await;
        if let Err(e) = appended {
            tracing::warn!(error = ?e, "could not put a refused delivery on the timeline");
        }
    }

    /// Tells the war room that a page is still not delivered (in a lane of its own, so that it
    /// does not wait behind the page); moot once the page is delivered.
    async fn tell_page_late(
        &self,
        item: &OutboxItem,
        outgoing: &Outgoing,
        user: &UserId,
        incident: IncidentNumber,
        level: u32,
        reason: &str,
    ) {
        let since = item.created_at.format("%H:%M:%S");
        let message = Message::spans(vec![
            Span::Bold(format!("The level {level} page to ")),
            Span::Mention(user.clone()),
            Span::Bold(format!(
                " is not delivered yet ({} attempts since {since} UTC): ",
                item.attempts
            )),
            Span::Text(format!(
                "{reason}. Warroom keeps trying; reach them another way."
            )),
        ]);
        let notice = Effect::Post {
            room: RoomTarget::WarRoom(incident),
            message,
        };
        let Ok(mut late) = entry(
            &outgoing.origin,
            item.platform,
            Some(incident),
            notice,
            true,
        ) else {
            return;
        };
        late.lane = format!("inc-{}-late", incident.0);
        if let Ok(mut body) = serde_json::from_str::<Outgoing>(&late.body) {
            body.unless_delivered = Some(item.id);
            if let Ok(text) = serde_json::to_string(&body) {
                late.body = text;
            }
        }
        if let Err(e) = self.store.enqueue(&[late], self.clock.now()).await {
            tracing::warn!(error = %e, "could not tell the war room that a page is late");
        }
    }

    /// Open incidents of `port`'s chat with no war room there and none on its way get the
    /// effects that open one (room, invitations, card), as a declaration would.
    pub async fn repair_war_rooms(&self, port: &dyn ChatPort) -> Result<usize, EngineError> {
        let now = self.clock.now();
        let missing = self
            .store
            .incidents_without_war_room(port.platform())
            .await?;
        let mut repaired = 0;
        for n in missing {
            let Ok(Some(incident)) = self.store.incident(n).await else {
                continue;
            };
            tracing::info!(incident = %n, chat = %port.platform(), "an open incident has no war room; making one");
            let origin = Origin {
                platform: port.platform(),
                room_id: String::new(),
                user: UserId::warroom(),
            };
            let effects = self.opening_effects(&incident, None, true);
            let (entries, _) = self.outbox_entries(&origin, port.platform(), Some(n), effects);
            self.store.enqueue(&entries, now).await?;
            repaired += 1;
        }
        Ok(repaired)
    }

    /// The one way a war room opens, for a declaration, an alert group and a repair: the room,
    /// the invitations (`declarer` first, then the commander and the configured responders;
    /// never Warroom or Alertmanager themselves), the card, and with `suggest` the runbooks
    /// that fit the title. Alerts suggest from their own labels, after their alerts.
    pub(super) fn opening_effects(
        &self,
        incident: &crate::domain::Incident,
        declarer: Option<&UserId>,
        suggest: bool,
    ) -> Vec<Effect> {
        let n = incident.number;
        let machines = [UserId::warroom(), super::alertmanager_actor()];
        let mut invitees: Vec<UserId> = Vec::new();
        for user in declarer
            .into_iter()
            .chain(incident.commander.iter())
            .chain(&self.settings.responders)
        {
            if !invitees.contains(user) && !machines.contains(user) {
                invitees.push(user.clone());
            }
        }
        let mut effects = vec![Effect::CreateWarRoom {
            incident: n,
            name: war_room_name(n, incident.title.as_str()),
            topic: views::topic(incident),
        }];
        if !invitees.is_empty() {
            effects.push(Effect::Invite {
                incident: n,
                users: invitees,
            });
        }
        effects.push(Effect::PostCard { incident: n });
        if suggest {
            effects.push(Effect::SuggestRunbooks {
                incident: n,
                query: None,
            });
        }
        effects
    }
}

/// One effect as an outbox entry: to `chat`, or for posts to the room a command came from, to
/// the origin's chat; in the lane of its incident, else of its room or person.
fn entry(
    origin: &Origin,
    chat: Platform,
    context: Option<IncidentNumber>,
    effect: Effect,
    notice: bool,
) -> Result<OutboxEntry, serde_json::Error> {
    let incident = incident_of(&effect).or(context);
    let platform = match &effect {
        Effect::Post {
            room: RoomTarget::Origin | RoomTarget::Configured(_),
            ..
        } => origin.platform,
        _ => chat,
    };
    let lane = match (&effect, incident) {
        (_, Some(n)) => format!("inc-{}", n.0),
        (
            Effect::Post {
                room: RoomTarget::Configured(room),
                ..
            },
            None,
        ) => format!("room-{room}"),
        (Effect::DirectMessage { user, .. }, None) => format!("user-{user}"),
        _ => format!("room-{}", origin.room_id),
    };
    let kind = kind_of(&effect).to_owned();
    let body = serde_json::to_string(&Outgoing {
        origin: origin.clone(),
        effect,
        notice,
        unless_delivered: None,
    })?;
    Ok(OutboxEntry {
        platform,
        lane,
        incident,
        kind,
        body,
    })
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

    #[test]
    fn effects_after_a_change_go_to_their_incidents_lane_in_its_chat() {
        let origin = Origin {
            platform: Platform::Matrix,
            room_id: "!lobby:x".into(),
            user: UserId::parse("@alice:x").unwrap(),
        };
        let n = IncidentNumber(7);
        let card = entry(
            &origin,
            Platform::Slack,
            None,
            Effect::PostCard { incident: n },
            false,
        )
        .unwrap();
        assert_eq!(
            (card.platform, card.lane.as_str(), card.incident),
            (Platform::Slack, "inc-7", Some(n))
        );
        assert_eq!(card.kind, "post_card");
        let here = Effect::Post {
            room: RoomTarget::Origin,
            message: Message::text("declared"),
        };
        let lobby = entry(&origin, Platform::Slack, None, here.clone(), false).unwrap();
        assert_eq!(
            (lobby.platform, lobby.lane.as_str()),
            (Platform::Matrix, "room-!lobby:x")
        );
        // The announcement of a declaration waits behind its war room, in its lane.
        let announced = entry(&origin, Platform::Matrix, Some(n), here, false).unwrap();
        assert_eq!(
            (announced.platform, announced.lane.as_str()),
            (Platform::Matrix, "inc-7")
        );
        let back: Outgoing = serde_json::from_str(&card.body).unwrap();
        assert_eq!(back.effect, Effect::PostCard { incident: n });
        assert_eq!(back.origin, origin);
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

    #[test]
    fn answers_files_and_runs_are_not_written_down() {
        assert!(!durable(&Effect::reply("ok")));
        assert!(!durable(&Effect::RunAction {
            request: crate::domain::RequestId(1)
        }));
        assert!(durable(&Effect::UpdateCard {
            incident: IncidentNumber(1)
        }));
    }
}
