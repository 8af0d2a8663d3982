//! Firing due timers. A round claims a batch; its first-time pages are decided together and
//! recorded with their timers' fired marks in one transaction; reminders, pages taken over from a
//! claimer that died, and pages whose incident moved on meanwhile fire one by one. The chat is
//! told afterwards, incidents side by side.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;

use super::view;
use crate::domain::{
    AckLink, EventKind, Incident, IncidentNumber, Platform, Timer, TimerKind, UserId, resolve,
};
use crate::engine::EngineError;
use crate::engine::Escalation;
use crate::engine::effect::{Effect, PageNote, RoomTarget};
use crate::engine::port::ChatPort;
use crate::engine::warroom_origin;
use crate::store::TimerPage;

/// How many due timers one round claims.
const CLAIM_BATCH: i64 = 100;
/// How many timers fired one by one, or incidents told about, at once.
const CONCURRENCY: usize = 16;
/// How long a claim holds before another replica may take the timer over.
const LEASE: Duration = Duration::seconds(60);

/// A future boxed so that a stream of them is `Send` for every lifetime.
type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A timer fired alone: its id, its incident, and its effects (none when it failed).
type FiredAlone = (i64, IncidentNumber, Option<Vec<Effect>>);

/// What a batch came to.
struct Fired {
    /// The effects of each timer that fired, by incident, in firing order.
    effects: Vec<(IncidentNumber, Vec<Effect>)>,
    /// How many timers are done (fired with effects or with nothing to do).
    done: usize,
    /// Timers to fire one by one.
    alone: Vec<Timer>,
}

impl Escalation<'_> {
    /// Fires every timer due now; `owner` names this process in claims. Each incident's pages
    /// and reminders go to the chat of `chats` that holds its war room (the first when none
    /// does). Returns how many fired, or what went wrong in words.
    pub async fn fire_due(
        &self,
        chats: &[&dyn ChatPort],
        owner: &str,
    ) -> Result<usize, EngineError> {
        if chats.is_empty() {
            return Err(EngineError::NoChat);
        }
        let fired = self.fire_all_due(chats, owner).await?;
        // A chat without a delivery worker (the console) is told now.
        for chat in chats.iter().filter(|c| c.delivers_inline()) {
            self.core
                .delivery()
                .deliver_due(*chat, chat.platform().name())
                .await?;
        }
        Ok(fired)
    }

    async fn fire_all_due(
        &self,
        chats: &[&dyn ChatPort],
        owner: &str,
    ) -> Result<usize, EngineError> {
        let fallback = chats[0].platform();
        let mut fired = 0;
        loop {
            let now = self.core.clock.now();
            let due = self
                .core
                .store
                .claim_due(now, owner, now + LEASE, CLAIM_BATCH)
                .await?;
            if due.is_empty() {
                return Ok(fired);
            }
            for timer in &due {
                crate::telemetry::timer_fired(timer.kind.name(), now - timer.due_at);
            }
            let Fired {
                mut effects,
                done,
                alone,
            } = self.fire_together(&due, owner, now, fallback).await?;
            fired += done;
            if !alone.is_empty() {
                let (one_by_one, done) = self.fire_one_by_one(&alone, owner, now, fallback).await?;
                fired += done;
                effects.extend(one_by_one);
            }
            self.tell(chats, effects).await;
        }
    }

    /// Fires a batch's first-time pages together (see the module's note) and says which timers
    /// are left to fire one by one.
    async fn fire_together(
        &self,
        due: &[Timer],
        owner: &str,
        now: DateTime<Utc>,
        fallback: Platform,
    ) -> Result<Fired, EngineError> {
        let (together, mut alone): (Vec<&Timer>, Vec<&Timer>) = due
            .iter()
            .partition(|t| matches!(t.kind, TimerKind::Page { .. }) && t.attempts <= 1);
        let mut numbers: Vec<IncidentNumber> = together.iter().map(|t| t.incident).collect();
        numbers.sort();
        numbers.dedup();
        // Read afresh, all at once: the engine's memory may lag behind another replica.
        let mut states: HashMap<IncidentNumber, Incident> = self
            .core
            .store
            .incidents_among(&numbers)
            .await?
            .into_iter()
            .map(|i| (i.number, i))
            .collect();
        let mut chats: HashMap<IncidentNumber, Platform> = HashMap::new();
        for n in &numbers {
            chats.insert(
                *n,
                self.core.delivery().chat_of_incident(*n, fallback).await?,
            );
        }
        let mut pages = Vec::new();
        let mut quiet = Vec::new();
        let mut effects = Vec::new();
        for timer in together {
            // An incident that is gone has nobody left to page.
            let Some(incident) = states.get(&timer.incident) else {
                quiet.push(timer.id);
                continue;
            };
            let Some((kind, told)) = self.page(incident, timer, now) else {
                quiet.push(timer.id);
                continue;
            };
            let event = incident.event(kind, UserId::warroom(), now);
            let mut after = incident.clone();
            after.apply(&event);
            states.insert(after.number, after.clone());
            let chat = chats.get(&timer.incident).copied().unwrap_or(fallback);
            let (outbox, told) = self.core.delivery().outbox_entries(
                &warroom_origin(chat),
                chat,
                Some(timer.incident),
                told,
            );
            pages.push(TimerPage {
                timer: timer.id,
                incident: after,
                event,
                outbox,
            });
            effects.push((timer.id, timer.incident, told));
        }
        let conflicted = self
            .core
            .store
            .fire_timers(&pages, &quiet, owner, now)
            .await?;
        if pages.iter().any(|p| !p.outbox.is_empty()) {
            self.core.outbox_changed.notify_waiters();
        }
        for number in numbers {
            // Whatever the memory held is older than what was just written.
            self.core.memo.forget_incident(number);
        }
        alone.extend(due.iter().filter(|t| conflicted.contains(&t.id)));
        let effects: Vec<(IncidentNumber, Vec<Effect>)> = effects
            .into_iter()
            .filter(|(timer, _, _)| !conflicted.contains(timer))
            .map(|(_, incident, told)| (incident, told))
            .collect();
        Ok(Fired {
            done: effects.len() + quiet.len(),
            effects,
            alone: alone.into_iter().cloned().collect(),
        })
    }

    /// Fires timers one by one (several at once), marks those that fired, and returns their
    /// effects and how many fired. A failure is logged and leaves its timer to be tried again.
    async fn fire_one_by_one(
        &self,
        timers: &[Timer],
        owner: &str,
        now: DateTime<Utc>,
        fallback: Platform,
    ) -> Result<(Vec<(IncidentNumber, Vec<Effect>)>, usize), EngineError> {
        let fires: Vec<Boxed<'_, FiredAlone>> = timers
            .iter()
            .map(|timer| -> Boxed<'_, _> {
                Box::pin(async move {
                    match self.fire(timer, now, fallback).await {
                        Ok(effects) => (timer.id, timer.incident, Some(effects)),
                        Err(e) => {
                            tracing::error!(timer = timer.id, error = ?e, "timer failed; it will be tried again");
                            (timer.id, timer.incident, None)
                        }
                    }
                })
            })
            .collect();
        let outcomes: Vec<_> = futures_util::stream::iter(fires)
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let done: Vec<i64> = outcomes
            .iter()
            .filter(|(_, _, effects)| effects.is_some())
            .map(|(id, _, _)| *id)
            .collect();
        let marked = self.core.store.mark_fired_all(&done, owner, now).await?;
        if marked < done.len() as u64 {
            tracing::warn!(
                lost = done.len() as u64 - marked,
                "claims ran out before their timers were marked fired"
            );
        }
        let effects = outcomes
            .into_iter()
            .filter_map(|(_, incident, effects)| effects.map(|e| (incident, e)))
            .collect();
        Ok((effects, done.len()))
    }

    /// Writes what fired to the outbox, each incident's effects to the chat it lives in (the
    /// first of `chats` when none is recorded), and wakes the delivery workers.
    async fn tell(&self, chats: &[&dyn ChatPort], effects: Vec<(IncidentNumber, Vec<Effect>)>) {
        let origin = warroom_origin(chats[0].platform());
        for (incident, told) in effects {
            if told.is_empty() {
                continue;
            }
            match self.core.delivery().enqueue(&origin, told).await {
                Ok(left) if !left.is_empty() => {
                    tracing::warn!(%incident, ?left, "timer effects that are not deliverable later");
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(%incident, error = ?e, "what a timer fired could not be written to the outbox");
                }
            }
        }
    }

    /// Fires one timer on its own: a reminder, or a page that could not go with its batch.
    // The page goes on the timeline (with the timer's id) before the timer is marked fired: a
    // crash between the two leaves the claim to run out, and whoever takes it over finds the
    // page recorded and does not page again. A crash before it leaves the timer to fire late:
    // late rather than never, and once.
    async fn fire(
        &self,
        timer: &Timer,
        now: DateTime<Utc>,
        fallback: Platform,
    ) -> Result<Vec<Effect>, EngineError> {
        let Some(incident) = self.core.store.incident(timer.incident).await? else {
            return Ok(Vec::new());
        };
        if !incident.status.is_open() {
            return Ok(Vec::new());
        }
        match timer.kind {
            TimerKind::Page { .. } => {
                // Only a timer taken over from a claimer that died can have paged already.
                let already = timer.attempts > 1
                    && self.core.store.timeline(incident.number).await?.iter().any(|e| {
                        matches!(e.kind, EventKind::Paged { timer: Some(id), .. } if id == timer.id)
                    });
                if already {
                    return Ok(Vec::new());
                }
                let Some((kind, effects)) = self.page(&incident, timer, now) else {
                    return Ok(Vec::new());
                };
                let n = incident.number;
                let chat = self.core.delivery().chat_of_incident(n, fallback).await?;
                let mut left = Vec::new();
                self.core
                    .append_told(
                        n,
                        &UserId::warroom(),
                        |_| Ok(kind.clone()),
                        |_, _, _| {
                            let (entries, now) = self.core.delivery().outbox_entries(
                                &warroom_origin(chat),
                                chat,
                                Some(n),
                                effects.clone(),
                            );
                            left = now;
                            entries
                        },
                    )
                    .await?;
                Ok(left)
            }
            TimerKind::Remind => self.remind(&incident, timer, now).await,
            TimerKind::Approval { request } => {
                self.core
                    .actions()
                    .approval_due(&incident, request, now)
                    .await
            }
        }
    }

    /// What a due page comes to for an incident as it is: nothing (closed, acknowledged, no
    /// such level), or the timeline event and the messages.
    fn page(
        &self,
        incident: &Incident,
        timer: &Timer,
        now: DateTime<Utc>,
    ) -> Option<(EventKind, Vec<Effect>)> {
        let TimerKind::Page { level } = timer.kind else {
            return None;
        };
        if !incident.status.is_open() || incident.acknowledged.is_some() {
            return None;
        }
        let policy = self.core.settings.escalation.policy(incident.severity);
        let targets = &policy.levels.get((level as usize).checked_sub(1)?)?.targets;
        let rotations = &self.core.settings.rotations;
        let resolved = resolve(targets, rotations, now).or_responders(
            level,
            rotations,
            &self.core.settings.responders,
        );
        let late_secs = (now - timer.due_at).num_seconds().max(0);
        let late = (late_secs >= 60).then(|| (timer.due_at, Duration::seconds(late_secs)));
        let mut effects = Vec::new();
        // Whoever is paged is brought into the war room, to find the incident there.
        if !resolved.people.is_empty() {
            effects.push(Effect::Invite {
                incident: incident.number,
                users: resolved.people.clone(),
            });
        }
        effects.push(Effect::Post {
            room: RoomTarget::WarRoom(incident.number),
            message: view::page_notice(incident, level, now, &resolved, late),
        });
        for person in &resolved.people {
            let link =
                self.core.settings.ack_links.as_ref().map(|links| {
                    links.url(&AckLink::new(incident.number, level, person.clone(), now))
                });
            effects.push(Effect::DirectMessage {
                user: person.clone(),
                message: view::page_direct(incident, link.as_deref()),
                page: Some((incident.number, level)),
            });
            let note = PageNote {
                incident: incident.number,
                level,
                severity: incident.severity,
                title: incident.title.as_str().to_owned(),
                commander: incident.commander.clone(),
                ack_link: link,
            };
            for rule in self.core.settings.contacts.plan(person) {
                effects.push(Effect::Notify {
                    user: person.clone(),
                    via: rule.via,
                    after_secs: u32::try_from(rule.after.num_seconds().max(0)).unwrap_or(u32::MAX),
                    page: note.clone(),
                });
            }
        }
        let kind = EventKind::Paged {
            level,
            people: resolved.people,
            groups: resolved.groups,
            unresolved: resolved.unresolved,
            late_secs,
            timer: Some(timer.id),
        };
        Some((kind, effects))
    }

    /// A status-update reminder: schedules the next one and asks the commander for an update.
    async fn remind(
        &self,
        incident: &Incident,
        timer: &Timer,
        now: DateTime<Utc>,
    ) -> Result<Vec<Effect>, EngineError> {
        if let Some(every) = self.core.settings.escalation.reminder(incident.severity) {
            let mut next = timer.due_at + every;
            if next <= now {
                next = now + every;
            }
            self.core
                .store
                .schedule_timers(incident.number, &[(TimerKind::Remind, next)])
                .await?;
        }
        Ok(vec![Effect::Post {
            room: RoomTarget::WarRoom(incident.number),
            message: view::reminder(incident),
        }])
    }
}
