//! Changes to incidents: declaring one, and appending the events that change it.

use chrono::{DateTime, Utc};

use crate::domain::{
    Action, ClockTime, ContactKind, EventKind, Incident, IncidentNumber, IncidentTitle, PageUpdate,
    Role, Runbook, Severity, Status, StepOutcome, TimelineEvent,
};
use crate::engine::Incidents;
use crate::engine::effect::{Effect, RoomTarget};
use crate::engine::port::Origin;
use crate::engine::{EngineError, views, war_room_name};
use crate::store::Told;

impl Incidents<'_> {
    /// `declare <severity> <title…>`: opens an incident and its war room.
    pub(in crate::engine) async fn declare(
        &self,
        origin: &Origin,
        severity: Severity,
        title: IncidentTitle,
        private: bool,
    ) -> Result<Vec<Effect>, EngineError> {
        self.core
            .settings
            .permissions
            .may_declare(&origin.user)
            .map_err(|e| EngineError::Usage(e.to_string()))?;
        if let Some(n) = self.core.war_room_incident(&origin.room_id).await? {
            return Err(EngineError::Usage(format!(
                "this is the war room of {n}; declare a new incident from outside a war room, or change this one with sev or status"
            )));
        }
        let declarer = origin.user.clone();
        let announce = self.core.settings.announce_rooms.get(&origin.platform());
        let (incident, _event) = {
            let effects_of = |incident: &Incident| {
                let mut effects =
                    self.core
                        .delivery()
                        .opening_effects(incident, Some(&declarer), true);
                let name = war_room_name(incident);
                // A private incident is never announced; the living announcement stands in
                // for the one-line answer when it is posted where the command was typed.
                let announce = announce.filter(|_| !incident.details.private);
                if announce.is_none_or(|room| room.as_str() != origin.room_id.as_str()) {
                    effects.push(Effect::Post {
                        room: RoomTarget::Origin,
                        message: views::declared_line(incident, &name),
                    });
                }
                if let Some(room) = announce {
                    effects.push(Effect::Announce {
                        incident: incident.number,
                        room: room.clone(),
                    });
                }
                let (entries, _) = self.core.delivery().outbox_entries(
                    origin,
                    origin.platform(),
                    Some(incident.number),
                    effects,
                );
                entries
            };
            self.core
                .store
                .declare_told(
                    &title,
                    severity,
                    &origin.user,
                    self.core.clock.now(),
                    &Told {
                        chat: Some(origin.platform()),
                        effects: &effects_of,
                        timers: &|incident| self.core.escalation().timers_for(incident),
                        acknowledged: self.core.settings.escalation.commander_acknowledges,
                        drill: self.core.settings.drill,
                        private,
                    },
                )
                .await?
        };
        let n = incident.number;
        tracing::info!(incident = %n, %severity, "declared");
        crate::telemetry::incident_moved(None, &incident);
        self.core.memo.remember_incident(incident.clone());
        self.core.memo.remember_incident_chat(n, origin.platform());
        self.core.outbox_changed.notify_waiters();
        // The timers were scheduled with the incident; a page due at once is written to the
        // outbox when it fires, after the war room's effects, so it waits behind them.
        self.core.timers_changed.notify_waiters();
        Ok(Vec::new())
    }

    /// A change to an incident (severity, status, roles, notes, runbooks and steps).
    pub(in crate::engine) async fn change(
        &self,
        origin: &Origin,
        number: IncidentNumber,
        in_war_room: bool,
        action: Action,
    ) -> Result<Vec<Effect>, EngineError> {
        let runbook = match &action {
            Action::Attach { runbook } => {
                Some(self.core.settings.runbooks.get(runbook).ok_or_else(|| {
                    EngineError::Usage(format!(
                        "there is no runbook '{runbook}'; search with: runbook <words>"
                    ))
                })?)
            }
            _ => None,
        };
        if let Action::Services { services } = &action {
            self.known_services(services)?;
        }
        let chat = self
            .core
            .delivery()
            .chat_of_incident(number, origin.platform())
            .await?;
        let now = self.core.clock.now();
        let mut answers = Vec::new();
        let (_, after, event) = self
            .core
            .append_told(
                number,
                &origin.user,
                |incident| decide(incident, &action, runbook, now),
                |before, after, event| {
                    let effects = self.change_effects(before, after, event, in_war_room);
                    let (entries, now) =
                        self.core
                            .delivery()
                            .outbox_entries(origin, chat, Some(number), effects);
                    answers = now;
                    entries
                },
            )
            .await?;
        self.core.escalation().replan_timers(&after, &event).await?;
        if let EventKind::StatusChanged {
            to: Status::Resolved,
            ..
        } = &event.kind
        {
            self.core.actions().cancel_open(number, origin).await?;
        }
        Ok(answers)
    }

    /// Refuses service names that `[[services]]` does not list (any name goes when it lists
    /// none), with the closest listed one.
    fn known_services(&self, names: &[String]) -> Result<(), EngineError> {
        let known = &self.core.settings.services;
        if known.is_empty() {
            return Ok(());
        }
        for name in names {
            if known.iter().any(|s| &s.name == name) {
                continue;
            }
            let guess = crate::domain::closest(name, known.iter().map(|s| s.name.as_str()))
                .map(|c| format!(" (did you mean {c}?)"))
                .unwrap_or_default();
            let listed: Vec<&str> = known.iter().map(|s| s.name.as_str()).collect();
            return Err(EngineError::Usage(format!(
                "there is no service '{name}'{guess}; [[services]] lists {}",
                listed.join(", ")
            )));
        }
        Ok(())
    }

    /// The owners of services named by `after` and not by `before`, who are not in the war
    /// room's invitations already.
    fn new_owners(&self, before: &Incident, after: &Incident) -> Vec<crate::domain::UserId> {
        let mut owners = Vec::new();
        for service in &self.core.settings.services {
            let named = |i: &Incident| i.details.services.contains(&service.name);
            if named(after) && !named(before) {
                for owner in &service.owners {
                    if !owners.contains(owner) && !self.core.settings.responders.contains(owner) {
                        owners.push(owner.clone());
                    }
                }
            }
        }
        owners
    }

    pub(in crate::engine) fn change_effects(
        &self,
        before: &Incident,
        after: &Incident,
        event: &TimelineEvent,
        in_war_room: bool,
    ) -> Vec<Effect> {
        let line = views::event_line(event);
        let mut effects = Vec::new();
        match &event.kind {
            // A step's progress shows on the runbook's message; a line each would drown the room.
            EventKind::StepDone { runbook, .. } | EventKind::StepSkipped { runbook, .. } => {
                effects.push(Effect::UpdateRunbook {
                    incident: after.number,
                    runbook: runbook.clone(),
                });
            }
            EventKind::RunbookAttached { runbook } => {
                effects.push(Effect::Post {
                    room: RoomTarget::WarRoom(after.number),
                    message: line.clone(),
                });
                effects.push(Effect::PostRunbook {
                    incident: after.number,
                    runbook: runbook.id.clone(),
                });
            }
            EventKind::StatusUpdate { .. } => {
                effects.push(Effect::Post {
                    room: RoomTarget::WarRoom(after.number),
                    message: views::status_update(after, event),
                });
            }
            EventKind::ServicesChanged { .. } => {
                effects.push(Effect::Post {
                    room: RoomTarget::WarRoom(after.number),
                    message: line.clone(),
                });
                let owners = self.new_owners(before, after);
                if !owners.is_empty() {
                    effects.push(Effect::Invite {
                        incident: after.number,
                        users: owners,
                    });
                }
                // Before a runbook is attached, the services' own runbooks are offered.
                if after.runbooks.is_empty() && !self.narrowed(after, Vec::new()).is_empty() {
                    effects.push(Effect::SuggestRunbooks {
                        incident: after.number,
                        query: None,
                    });
                }
            }
            _ => effects.push(Effect::Post {
                room: RoomTarget::WarRoom(after.number),
                message: line.clone(),
            }),
        }
        if !in_war_room {
            effects.push(Effect::Reply { message: line });
        }
        if before.severity != after.severity
            || before.status != after.status
            || before.title != after.title
        {
            effects.push(Effect::SetTopic {
                incident: after.number,
                topic: views::topic(after),
            });
        }
        if card_changes(before, after) {
            effects.push(Effect::UpdateCard {
                incident: after.number,
            });
        }
        effects.extend(self.announcement_effects(before, after, event));
        effects.extend(self.publish_effects(before, after, event));
        effects.extend(self.provider_updates(before, after));
        effects
    }

    /// What the announcement shows after a change: an edit when something it shows changed,
    /// and a status update in the thread under it. Nothing when no chat has an announcements
    /// room; a private incident's announcement is edited once, to say only that.
    pub(in crate::engine) fn announcement_effects(
        &self,
        before: &Incident,
        after: &Incident,
        event: &TimelineEvent,
    ) -> Vec<Effect> {
        if self.core.settings.announce_rooms.is_empty() || before.details.private {
            return Vec::new();
        }
        let mut effects = Vec::new();
        if views::announcement_changes(before, after) {
            effects.push(Effect::UpdateAnnouncement {
                incident: after.number,
            });
        }
        if let EventKind::StatusUpdate { .. } = &event.kind
            && !after.details.private
        {
            effects.push(Effect::AnnounceUpdate {
                incident: after.number,
                message: views::status_update(after, event),
            });
        }
        effects
    }

    /// What the hosted status page is told: a public update (the first one publishes the
    /// incident), and then every change of severity or status, until it is resolved. Nothing
    /// of a private incident, and nothing without `[statuspage]`.
    fn publish_effects(
        &self,
        before: &Incident,
        after: &Incident,
        event: &TimelineEvent,
    ) -> Vec<Effect> {
        if self.core.publisher.is_none() || after.details.private {
            return Vec::new();
        }
        let text = match &event.kind {
            EventKind::StatusUpdate {
                text, public: true, ..
            } => Some(text.to_string()),
            _ => None,
        };
        let moved = before.severity != after.severity
            || before.status != after.status
            || before.title != after.title
            || before.details.services != after.details.services;
        if text.is_none() && !(after.details.published && moved) {
            return Vec::new();
        }
        vec![Effect::Publish {
            incident: after.number,
            text,
        }]
    }

    /// What providers that keep a page (PagerDuty) are told when the incident is acknowledged
    /// or resolved: one update per person with such a contact; delivery sends it only when
    /// that person's page reached the provider.
    pub(in crate::engine) fn provider_updates(
        &self,
        before: &Incident,
        after: &Incident,
    ) -> Vec<Effect> {
        let update = if before.status != Status::Resolved && after.status == Status::Resolved {
            PageUpdate::Resolved
        } else if before.acknowledged.is_none() && after.acknowledged.is_some() {
            PageUpdate::Acknowledged
        } else {
            return Vec::new();
        };
        let contacts = &self.core.settings.contacts;
        ContactKind::ALL
            .into_iter()
            .filter(|kind| kind.keeps_state())
            .flat_map(|via| {
                contacts
                    .people_with(via)
                    .map(move |user| Effect::NotifyUpdate {
                        user: user.clone(),
                        via,
                        incident: after.number,
                        update,
                    })
            })
            .collect()
    }
}

/// Whether the card shows something that changed.
fn card_changes(before: &Incident, after: &Incident) -> bool {
    before.severity != after.severity
        || before.status != after.status
        || before.title != after.title
        || before.details != after.details
        || before.acknowledged != after.acknowledged
        || Role::ALL
            .into_iter()
            .any(|r| before.role(r) != after.role(r))
}

/// Decides what a change does to an incident, by the domain's rules, at `now`. `runbook` is
/// the library's runbook that an attach names.
pub(in crate::engine) fn decide(
    incident: &Incident,
    action: &Action,
    runbook: Option<&Runbook>,
    now: DateTime<Utc>,
) -> Result<EventKind, EngineError> {
    let moment = |at: &ClockTime| {
        at.resolve(now)
            .ok_or_else(|| EngineError::Usage(format!("{at} is too far back to be a time")))
    };
    let kind = match action {
        Action::Update { text, public, next } => {
            let next = next
                .and_then(|wait| chrono::Duration::from_std(wait).ok())
                .map(|wait| now + wait);
            incident.status_update(text.clone(), *public, next)
        }
        Action::Title { title } => incident.change_title(title.clone()),
        Action::Summary { text } => incident.write_summary(text.clone()),
        Action::ImpactStarted { at } => incident.impact_started(moment(at)?, now),
        Action::Detected { at } => incident.detected(moment(at)?, now),
        Action::Services { services } => incident.name_services(services.clone()),
        Action::Private => incident.make_private(),
        Action::Severity { severity, reason } => {
            incident.change_severity(*severity, reason.clone())
        }
        Action::Ack => incident.acknowledge(),
        Action::Status { status, note } => incident.change_status(*status, note.clone()),
        Action::Resolve { note } => incident.change_status(Status::Resolved, note.clone()),
        Action::Reopen { reason } => incident.reopen(reason.clone()),
        Action::Assign { role, user } => incident.assign(*role, user.clone()),
        Action::Note { text } => incident.note(text.clone()),
        Action::Attach { .. } => match runbook {
            Some(runbook) => incident.attach_runbook(runbook),
            None => return Err(EngineError::Usage("no runbook was named".into())),
        },
        Action::StepDone { step, note } => {
            incident.finish_step(*step, StepOutcome::Done(note.clone()))
        }
        Action::StepSkip { step, reason } => {
            incident.finish_step(*step, StepOutcome::Skipped(reason.clone()))
        }
        other => {
            return Err(EngineError::Usage(format!(
                "{} cannot change an incident",
                other.verb()
            )));
        }
    }?;
    Ok(kind)
}
