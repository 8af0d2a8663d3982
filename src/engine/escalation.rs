//! Escalation and reminders: timers planned with the incident, changed by what happens to it,
//! and fired (once) when due — by `warroom serve`'s scheduler, or by the console's clock.

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;

use super::effect::{Effect, RoomTarget};
use super::message::{Block, Message, Span};
use super::port::{ChatPort, Origin};
use super::{Engine, EngineError};
use crate::domain::{EventKind, Incident, Status, Timer, TimerKind, UserId, resolve};
use crate::store::{Cancel, StoreError};

/// How many due timers one round claims.
const CLAIM_BATCH: i64 = 100;
/// One timer being fired.
type FireFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = (i64, Option<Vec<Effect>>)> + Send + 'a>>;

/// How many timers (of different incidents) fire at once.
const FIRE_CONCURRENCY: usize = 16;
/// How long a claim holds before another replica may take the timer over.
const LEASE: Duration = Duration::seconds(60);

/// `5m`, `1h 05m`, for messages.
fn span(d: Duration) -> String {
    let minutes = d.num_minutes();
    if minutes < 60 {
        format!("{minutes}m")
    } else {
        format!("{}h {:02}m", minutes / 60, minutes % 60)
    }
}

impl Engine {
    /// The timers of a new incident: its pages and its first reminder.
    pub(super) async fn plan_timers(&self, incident: &Incident) -> Result<(), StoreError> {
        let mut timers = Vec::new();
        let policy = self.settings.escalation.policy(incident.severity);
        for (i, level) in policy.levels.iter().enumerate() {
            let level_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
            timers.push((
                TimerKind::Page { level: level_no },
                incident.declared_at + level.after,
            ));
        }
        if let Some(every) = self.settings.escalation.reminder(incident.severity) {
            timers.push((TimerKind::Remind, incident.declared_at + every));
        }
        self.store.schedule_timers(incident.number, &timers).await?;
        self.timers_changed.notify_waiters();
        Ok(())
    }

    /// Changes the timers after an event: acknowledging stops the pages, resolving stops
    /// everything, reopening brings reminders back, a severity change plans anew.
    pub(super) async fn replan_timers(
        &self,
        after: &Incident,
        event: &crate::domain::TimelineEvent,
    ) -> Result<(), StoreError> {
        let n = after.number;
        let now = self.clock.now();
        let reminder = |from: DateTime<Utc>| {
            self.settings
                .escalation
                .reminder(after.severity)
                .map(|every| (TimerKind::Remind, from + every))
        };
        match &event.kind {
            EventKind::Acknowledged => {
                self.store.cancel_timers(n, Cancel::Pages).await?;
            }
            EventKind::StatusChanged {
                to: Status::Resolved,
                ..
            } => {
                self.store.cancel_timers(n, Cancel::All).await?;
            }
            EventKind::Reopened { .. } => {
                let timers: Vec<_> = reminder(now).into_iter().collect();
                self.store.schedule_timers(n, &timers).await?;
            }
            EventKind::SeverityChanged { .. } => {
                self.store.cancel_timers(n, Cancel::All).await?;
                let mut timers: Vec<_> = reminder(now).into_iter().collect();
                if after.acknowledged.is_none() {
                    let paged: Vec<u32> = self
                        .store
                        .timeline(n)
                        .await?
                        .iter()
                        .filter_map(|e| match e.kind {
                            EventKind::Paged { level, .. } => Some(level),
                            _ => None,
                        })
                        .collect();
                    let policy = self.settings.escalation.policy(after.severity);
                    for (i, level) in policy.levels.iter().enumerate() {
                        let level_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
                        if paged.contains(&level_no) {
                            continue;
                        }
                        let due = (after.declared_at + level.after).max(now);
                        timers.push((TimerKind::Page { level: level_no }, due));
                    }
                }
                self.store.schedule_timers(n, &timers).await?;
            }
            _ => return Ok(()),
        }
        self.timers_changed.notify_waiters();
        Ok(())
    }

    /// `oncall`: who is on call now in each rotation, and until when.
    pub(super) fn on_call(&self) -> Message {
        let rotations = &self.settings.rotations;
        if rotations.is_empty() {
            return Message::text(
                "No on-call rotations are configured; see [[rotations]] in warroom config example.",
            );
        }
        let now = self.clock.now();
        let mut blocks = vec![Block::Header("On call now".into())];
        for rotation in rotations {
            let mut spans = vec![Span::Bold(rotation.name.clone()), Span::Text(": ".into())];
            match rotation.on_call(now) {
                Some(person) => spans.push(Span::Mention(person.clone())),
                None => spans.push(Span::Text("nobody (the rotation has not started)".into())),
            }
            if let Some(next) = rotation.next_handoff(now) {
                let local = next.with_timezone(&rotation.time_zone);
                spans.push(Span::Text(format!(
                    " until {} ({})",
                    local.format("%a %Y-%m-%d %H:%M"),
                    rotation.time_zone
                )));
            }
            blocks.push(Block::Text(spans));
        }
        Message { blocks }
    }

    /// Fires every timer due now, through `port`; `owner` names this process in claims.
    /// Returns how many fired, or what went wrong in words.
    pub async fn fire_due(&self, port: &dyn ChatPort, owner: &str) -> Result<usize, String> {
        self.fire_all_due(port, owner)
            .await
            .map_err(|e| self.explain(e))
    }

    async fn fire_all_due(&self, port: &dyn ChatPort, owner: &str) -> Result<usize, EngineError> {
        let mut fired = 0;
        loop {
            let now = self.clock.now();
            let due = self
                .store
                .claim_due(now, owner, now + LEASE, CLAIM_BATCH)
                .await?;
            if due.is_empty() {
                return Ok(fired);
            }
            // Timers of different incidents fire side by side (changes to one incident still
            // take turns in the engine); the batch's pages are marked fired together.
            // Boxed one by one: a closure in the stream would not be Send for every lifetime.
            let mut boxed_fires: Vec<FireFuture<'_>> = Vec::with_capacity(due.len());
            for timer in &due {
                boxed_fires.push(Box::pin(self.fire_logged(timer, now)));
            }
            let outcomes: Vec<(i64, Option<Vec<Effect>>)> = futures_util::stream::iter(boxed_fires)
                .buffer_unordered(FIRE_CONCURRENCY)
                .collect()
                .await;
            let done: Vec<i64> = outcomes
                .iter()
                .filter(|(_, effects)| effects.is_some())
                .map(|(id, _)| *id)
                .collect();
            let marked = self.store.mark_fired_all(&done, owner, now).await?;
            if marked < done.len() as u64 {
                tracing::warn!(
                    lost = done.len() as u64 - marked,
                    "claims ran out before their timers were marked fired"
                );
            }
            fired += done.len();
            let origin = Origin {
                platform: port.platform().to_owned(),
                room_id: String::new(),
                user: UserId::warroom(),
            };
            for (_, effects) in outcomes {
                if let Some(effects) = effects {
                    self.dispatch(port, &origin, effects).await;
                }
            }
        }
    }

    /// Fires one timer; a failure is logged and leaves the timer to be tried again.
    // The page goes on the timeline (with the timer's id) before the timer is marked fired: a
    // crash between the two leaves the claim to run out, and whoever takes it over finds the
    // page recorded and does not page again. A crash before it leaves the timer to fire late:
    // late rather than never, and once.
    async fn fire_logged(&self, timer: &Timer, now: DateTime<Utc>) -> (i64, Option<Vec<Effect>>) {
        match self.fire(timer, now).await {
            Ok(effects) => (timer.id, Some(effects)),
            Err(e) => {
                tracing::error!(timer = timer.id, error = ?e, "timer failed; it will be tried again");
                (timer.id, None)
            }
        }
    }

    async fn fire(&self, timer: &Timer, now: DateTime<Utc>) -> Result<Vec<Effect>, EngineError> {
        let incident = self.load(timer.incident).await?;
        if !incident.status.is_open() {
            return Ok(Vec::new());
        }
        match timer.kind {
            TimerKind::Page { level } => {
                if incident.acknowledged.is_some() {
                    return Ok(Vec::new());
                }
                let policy = self.settings.escalation.policy(incident.severity);
                let Some(targets) = policy.levels.get(level as usize - 1).map(|l| &l.targets)
                else {
                    return Ok(Vec::new());
                };
                // Only a timer taken over from a claimer that died can have paged already.
                let already = timer.attempts > 1
                    && self.store.timeline(incident.number).await?.iter().any(|e| {
                        matches!(e.kind, EventKind::Paged { timer: Some(id), .. } if id == timer.id)
                    });
                if already {
                    return Ok(Vec::new());
                }
                let resolved = resolve(targets, &self.settings.rotations, now);
                let late_secs = (now - timer.due_at).num_seconds().max(0);
                let kind = EventKind::Paged {
                    level,
                    people: resolved.people.clone(),
                    groups: resolved.groups.clone(),
                    unresolved: resolved.unresolved.clone(),
                    late_secs,
                    timer: Some(timer.id),
                };
                self.append(incident.number, &UserId::warroom(), |_| Ok(kind.clone()))
                    .await?;
                let waited = span(now - incident.declared_at);
                let mut spans = vec![
                    Span::Bold(format!("Paging level {level}")),
                    Span::Text(format!(
                        " for {} ({}, not acknowledged after {waited}): ",
                        incident.number, incident.severity
                    )),
                ];
                let mut first = true;
                let mut separate = |spans: &mut Vec<Span>| {
                    if !std::mem::take(&mut first) {
                        spans.push(Span::Text(", ".into()));
                    }
                };
                for person in &resolved.people {
                    separate(&mut spans);
                    spans.push(Span::Mention(person.clone()));
                }
                for group in &resolved.groups {
                    separate(&mut spans);
                    spans.push(Span::Group(group.clone()));
                }
                if !resolved.unresolved.is_empty() {
                    separate(&mut spans);
                    spans.push(Span::Text(format!(
                        "no one is on call for {}",
                        resolved.unresolved.join(", ")
                    )));
                }
                if late_secs >= 60 {
                    spans.push(Span::Text(format!(
                        " (due {} UTC, {} late)",
                        timer.due_at.format("%H:%M"),
                        span(Duration::seconds(late_secs))
                    )));
                }
                let mut effects = vec![Effect::Post {
                    room: RoomTarget::WarRoom(incident.number),
                    message: Message::spans(spans),
                }];
                for person in &resolved.people {
                    effects.push(Effect::DirectMessage {
                        user: person.clone(),
                        message: Message::text(format!(
                            "You are paged for {} ({}): {}. Acknowledge in its war room with: ack",
                            incident.number, incident.severity, incident.title
                        )),
                    });
                }
                Ok(effects)
            }
            TimerKind::Remind => {
                if let Some(every) = self.settings.escalation.reminder(incident.severity) {
                    let mut next = timer.due_at + every;
                    if next <= now {
                        next = now + every;
                    }
                    self.store
                        .schedule_timers(incident.number, &[(TimerKind::Remind, next)])
                        .await?;
                }
                let mut spans = vec![Span::Bold(format!(
                    "Status update due for {} ({} · {})",
                    incident.number, incident.severity, incident.status
                ))];
                if let Some(commander) = &incident.commander {
                    spans.push(Span::Text(": ".into()));
                    spans.push(Span::Mention(commander.clone()));
                    spans.push(Span::Text(", please post an update (note <text>)".into()));
                }
                Ok(vec![Effect::Post {
                    room: RoomTarget::WarRoom(incident.number),
                    message: Message {
                        blocks: vec![Block::Text(spans)],
                    },
                }])
            }
        }
    }
}
