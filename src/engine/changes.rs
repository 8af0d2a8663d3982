//! Changes to incidents: declaring one, and appending the events that change it.

use super::effect::{Effect, RoomTarget};
use super::port::Origin;
use super::{Engine, EngineError, TURN_STRIPES, views, war_room_name};
use crate::domain::{
    Action, EventKind, Incident, IncidentNumber, IncidentTitle, Role, Runbook, Severity, Status,
    StepOutcome, TimelineEvent, UserId,
};
use crate::store::{OutboxEntry, StoreError, Told};

/// How often a command is tried again when another change to the same incident won the race.
pub(super) const CONFLICT_RETRIES: usize = 5;

impl Engine {
    /// `declare <severity> <title…>`: opens an incident and its war room.
    pub(super) async fn declare(
        &self,
        origin: &Origin,
        severity: Severity,
        title: IncidentTitle,
    ) -> Result<Vec<Effect>, EngineError> {
        self.settings
            .permissions
            .may_declare(&origin.user)
            .map_err(|e| EngineError::Usage(e.to_string()))?;
        if let Some(n) = self.war_room_incident(origin).await? {
            return Err(EngineError::Usage(format!(
                "this is the war room of {n}; declare a new incident from outside a war room, or change this one with sev or status"
            )));
        }
        let declarer = origin.user.clone();
        let announce = self.settings.announce_rooms.get(&origin.platform);
        let (incident, _event) = {
            let effects_of = |incident: &Incident| {
                let mut effects = self.opening_effects(incident, Some(&declarer), true);
                let name = war_room_name(incident.number, incident.title.as_str());
                let announcement = views::announcement(incident, &name);
                effects.push(Effect::Post {
                    room: RoomTarget::Origin,
                    message: announcement.clone(),
                });
                if let Some(room) = announce
                    && *room != origin.room_id
                {
                    effects.push(Effect::Post {
                        room: RoomTarget::Configured(room.clone()),
                        message: announcement,
                    });
                }
                let (entries, _) =
                    self.outbox_entries(origin, origin.platform, Some(incident.number), effects);
                entries
            };
            self.store
                .declare_told(
                    &title,
                    severity,
                    &origin.user,
                    self.clock.now(),
                    &Told {
                        chat: Some(origin.platform),
                        effects: &effects_of,
                        timers: &|incident| self.timers_for(incident),
                    },
                )
                .await?
        };
        let n = incident.number;
        tracing::info!(incident = %n, %severity, "declared");
        self.memo.remember_incident(incident.clone());
        self.memo.remember_incident_chat(n, origin.platform);
        self.outbox_changed.notify_waiters();
        // The timers were scheduled with the incident; a page due at once is written to the
        // outbox when it fires, after the war room's effects, so it waits behind them.
        self.timers_changed.notify_waiters();
        Ok(Vec::new())
    }

    /// A change to an incident (severity, status, roles, notes, runbooks and steps).
    pub(super) async fn change(
        &self,
        origin: &Origin,
        number: IncidentNumber,
        in_war_room: bool,
        action: Action,
    ) -> Result<Vec<Effect>, EngineError> {
        let runbook = match &action {
            Action::Attach { runbook } => {
                Some(self.settings.runbooks.get(runbook).ok_or_else(|| {
                    EngineError::Usage(format!(
                        "there is no runbook '{runbook}'; search with: runbook <words>"
                    ))
                })?)
            }
            _ => None,
        };
        let chat = self.chat_of_incident(number, origin.platform).await?;
        let mut answers = Vec::new();
        let (_, after, event) = self
            .append_told(
                number,
                &origin.user,
                |incident| decide(incident, &action, runbook),
                |before, after, event| {
                    let effects = self.change_effects(before, after, event, in_war_room);
                    let (entries, now) = self.outbox_entries(origin, chat, Some(number), effects);
                    answers = now;
                    entries
                },
            )
            .await?;
        self.replan_timers(&after, &event).await?;
        Ok(answers)
    }

    /// Appends the event that `decide` makes of the incident's current state, and returns the
    /// incident before and after it. Changes to one incident take turns in this process; a
    /// race with another replica is settled by the store's version check and tried again.
    pub(super) async fn append(
        &self,
        number: IncidentNumber,
        actor: &UserId,
        decide: impl Fn(&Incident) -> Result<EventKind, EngineError>,
    ) -> Result<(Incident, Incident, TimelineEvent), EngineError> {
        self.append_told(number, actor, decide, |_, _, _| Vec::new())
            .await
    }

    /// Like [`Engine::append`], and writes what `told` makes of the change (the incident
    /// before, after, and the event) to the outbox in the same transaction.
    pub(super) async fn append_told(
        &self,
        number: IncidentNumber,
        actor: &UserId,
        decide: impl Fn(&Incident) -> Result<EventKind, EngineError>,
        mut told: impl FnMut(&Incident, &Incident, &TimelineEvent) -> Vec<OutboxEntry>,
    ) -> Result<(Incident, Incident, TimelineEvent), EngineError> {
        let _turn = self.turns[number.0 as usize % TURN_STRIPES].lock().await;
        let mut attempt = 0;
        loop {
            // The remembered state spares a read; if it is stale, the store's version check
            // refuses the write (or a refusal is double-checked) and the incident is read afresh.
            let (incident, fresh) = match self.memo.incident(number) {
                Some(remembered) => (remembered, false),
                None => (self.load(number).await?, true),
            };
            let kind = match decide(&incident) {
                Ok(kind) => kind,
                Err(EngineError::Refused(_)) if !fresh => {
                    self.memo.forget_incident(number);
                    continue;
                }
                Err(e) => return Err(e),
            };
            let event = incident.event(kind, actor.clone(), self.clock.now());
            let mut after = incident.clone();
            after.apply(&event);
            let entries = told(&incident, &after, &event);
            match self.store.record_told(&after, &event, &entries).await {
                Ok(()) => {
                    self.memo.remember_incident(after.clone());
                    if !entries.is_empty() {
                        self.outbox_changed.notify_waiters();
                    }
                    return Ok((incident, after, event));
                }
                Err(StoreError::Conflict(_)) if attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    self.memo.forget_incident(number);
                    tracing::debug!(%number, attempt, "the incident moved on elsewhere; trying again");
                }
                Err(e) => {
                    self.memo.forget_incident(number);
                    return Err(e.into());
                }
            }
        }
    }

    pub(super) fn change_effects(
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
            _ => effects.push(Effect::Post {
                room: RoomTarget::WarRoom(after.number),
                message: line.clone(),
            }),
        }
        if !in_war_room {
            effects.push(Effect::Reply { message: line });
        }
        if before.severity != after.severity || before.status != after.status {
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
        effects
    }
}

/// Whether the card shows something that changed.
fn card_changes(before: &Incident, after: &Incident) -> bool {
    before.severity != after.severity
        || before.status != after.status
        || before.acknowledged != after.acknowledged
        || Role::ALL
            .into_iter()
            .any(|r| before.role(r) != after.role(r))
}

/// Decides what a change does to an incident, by the domain's rules. `runbook` is the library's
/// runbook that an attach names.
pub(super) fn decide(
    incident: &Incident,
    action: &Action,
    runbook: Option<&Runbook>,
) -> Result<EventKind, EngineError> {
    let kind = match action {
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
