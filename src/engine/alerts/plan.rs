//! What one Alertmanager delivery makes of its incident, planned inside the store's
//! transaction from the incident as the store found it: the alerts that fired (and a higher
//! severity offered), the runbook the alerts name attached (or runbooks suggested), the alerts
//! that resolved (and the resolve offered or done), the messages that tell each, and a new
//! incident's war room, announcement and timers. Pure: no IO.

use chrono::{DateTime, Utc};

use super::view as alerts_view;
use crate::alerts::{AlertStatus, Notification, runbook_query};
use crate::domain::{
    Action, AlertRecord, EventKind, Incident, IncidentNumber, NoteText, Platform, TimelineEvent,
    UserId,
};
use crate::engine::Alerts;
use crate::engine::alerts::{OfferButtons, SUGGESTED};
use crate::engine::core::Core;
use crate::engine::effect::{Effect, RoomTarget};
use crate::engine::message::{ButtonId, Message};
use crate::engine::port::Origin;
use crate::engine::views;
use crate::runbook::MatchReason;
use crate::store::{AlertFound, AlertPlan};

/// The incident as the delivery changes it, step by step, and what to tell about it.
struct Plan<'a> {
    core: &'a Core,
    n: &'a Notification,
    number: IncidentNumber,
    actor: UserId,
    now: DateTime<Utc>,
    after: Incident,
    events: Vec<TimelineEvent>,
    effects: Vec<Effect>,
}

impl Plan<'_> {
    /// Puts an event on the incident (and its timeline).
    fn push(&mut self, kind: EventKind) -> TimelineEvent {
        let event = self.after.event(kind, self.actor.clone(), self.now);
        self.after.apply(&event);
        self.events.push(event.clone());
        event
    }

    /// Posts a message into the war room.
    fn post(&mut self, message: Message) {
        self.effects.push(Effect::Post {
            room: RoomTarget::WarRoom(self.number),
            message,
        });
    }

    /// Alerts that fire: on the timeline and in the war room; when worse alerts join an open
    /// incident, the higher severity is offered (the responders decide).
    fn firing(&mut self, firing: Vec<AlertRecord>, opened: bool, offer: Option<ButtonId>) {
        if firing.is_empty() {
            return;
        }
        self.push(EventKind::AlertsFiring {
            group: self.n.group_key.clone(),
            alerts: firing.clone(),
        });
        self.post(alerts_view::firing(&self.after, &firing, self.n, opened));
        let suggested = self.core.settings.alerts.severity.of_group(self.n);
        if let Some(button) = offer
            && !opened
            && suggested < self.after.severity
            && self.after.status.is_open()
        {
            self.post(alerts_view::offer_severity(&self.after, suggested, button));
        }
    }

    /// A new incident gets the runbook its alert names attached (its steps posted), or else
    /// the runbooks that fit its alerts suggested.
    fn runbook(&mut self) {
        let library = self.core.settings.runbooks.clone();
        if library.runbooks().is_empty() {
            return;
        }
        let query = runbook_query(self.n, &self.after.title);
        let matches = library.best(&query, SUGGESTED);
        let named = matches
            .first()
            .filter(|m| matches!(m.reason, MatchReason::Alert(_)))
            .and_then(|m| library.get(&m.id));
        let Some(runbook) = named else {
            self.effects.push(Effect::SuggestRunbooks {
                incident: self.number,
                query: Some(query),
            });
            return;
        };
        match self.after.attach_runbook(runbook) {
            Ok(kind) => {
                let event = self.push(kind);
                self.post(views::event_line(&event));
                self.effects.push(Effect::PostRunbook {
                    incident: self.number,
                    runbook: runbook.id.clone(),
                });
            }
            Err(refusal) => {
                tracing::warn!(incident = %self.number, runbook = %runbook.id, %refusal, "the runbook the alert names was not attached");
            }
        }
    }

    /// Alerts that resolve: on the timeline and in the war room; when the whole group has
    /// resolved, the resolve is done (`auto_resolve`) or offered.
    fn resolved(&mut self, resolved: Vec<AlertRecord>, offer: Option<ButtonId>) {
        if resolved.is_empty() {
            return;
        }
        let all = self.n.status == AlertStatus::Resolved;
        let event = self.push(EventKind::AlertsResolved {
            group: self.n.group_key.clone(),
            alerts: resolved,
            all,
        });
        self.post(views::event_line(&event));
        if !all || !self.after.status.is_open() {
            return;
        }
        if self.core.settings.alerts.auto_resolve {
            self.resolve();
        } else if let Some(button) = offer {
            self.post(alerts_view::offer_resolve(&self.after, button));
        }
    }

    /// Resolves the incident because every alert of its group resolved.
    fn resolve(&mut self) {
        let note = NoteText::parse("every alert of the group resolved").ok();
        match crate::engine::incidents::changes::decide(
            &self.after,
            &Action::Resolve { note },
            None,
            self.core.clock.now(),
        ) {
            Ok(kind) => {
                let before = self.after.clone();
                let event = self.push(kind);
                let told = self
                    .core
                    .incidents()
                    .change_effects(&before, &self.after, &event, true);
                self.effects.extend(told);
            }
            Err(why) => {
                tracing::info!(incident = %self.number, why = %why.sentence(), "not resolved by the alerts");
            }
        }
    }
}

/// The delivery's alerts of `status` whose state is news to the incident, each once: those
/// the store found new and last reported in this state.
fn news_of(
    n: &Notification,
    reported: &[(String, bool)],
    found: &AlertFound<'_>,
    status: AlertStatus,
) -> Vec<AlertRecord> {
    let mut picked: Vec<AlertRecord> = Vec::new();
    for alert in n.alerts.iter().filter(|a| a.status == status) {
        let fp = &alert.record.fingerprint;
        let last = reported
            .iter()
            .find(|(f, _)| f == fp)
            .map(|(_, firing)| *firing);
        if found.news.contains(fp)
            && last == Some(status == AlertStatus::Firing)
            && !picked.iter().any(|p| &p.fingerprint == fp)
        {
            picked.push(alert.record.clone());
        }
    }
    picked
}

impl Alerts<'_> {
    /// What one delivery makes of the incident as the store found it: the events (alerts
    /// firing, the runbook the alerts name, alerts resolved, the resolve), the messages that
    /// tell them, and a new incident's war room and timers. Pure: called inside the store's
    /// transaction. Returns the plan and the effects that are not written to the outbox.
    pub(in crate::engine) fn plan_alerts(
        &self,
        origin: &Origin,
        chat: Platform,
        n: &Notification,
        reported: &[(String, bool)],
        buttons: &OfferButtons,
        found: AlertFound<'_>,
    ) -> (AlertPlan, Vec<Effect>) {
        let incident = found.incident;
        let mut plan = Plan {
            core: self.core,
            n,
            number: incident.number,
            actor: origin.user.clone(),
            now: self.core.clock.now(),
            after: incident.clone(),
            events: Vec::new(),
            effects: Vec::new(),
        };
        if found.opened {
            plan.effects.extend(self.opened(incident, chat));
        }
        let firing = news_of(n, reported, &found, AlertStatus::Firing);
        plan.firing(firing, found.opened, buttons.severity);
        if found.opened {
            plan.runbook();
        }
        let resolved = news_of(n, reported, &found, AlertStatus::Resolved);
        plan.resolved(resolved, buttons.resolve);
        let timers = if found.opened {
            self.core.escalation().timers_for(incident)
        } else {
            Vec::new()
        };
        let (outbox, now_effects) =
            self.core
                .delivery()
                .outbox_entries(origin, chat, Some(incident.number), plan.effects);
        (
            AlertPlan {
                after: plan.after,
                events: plan.events,
                outbox,
                timers,
            },
            now_effects,
        )
    }

    /// What follows a new incident from alerts: its war room (opened as every war room is),
    /// and the announcement.
    fn opened(&self, incident: &Incident, chat: Platform) -> Vec<Effect> {
        let mut effects = self.core.delivery().opening_effects(incident, None, false);
        if let Some(room) = self.core.settings.announce_rooms.get(&chat) {
            effects.push(Effect::Announce {
                incident: incident.number,
                room: room.clone(),
            });
        }
        effects
    }
}
