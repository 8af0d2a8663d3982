//! Changes to incidents: declaring one, and appending the events that change it.

use super::effect::{Effect, RoomTarget};
use super::port::Origin;
use super::{Engine, EngineError, TURN_STRIPES, views, war_room_name};
use crate::domain::{
    Action, EventKind, Incident, IncidentNumber, IncidentTitle, Role, Runbook, Severity, Status,
    StepOutcome, TimelineEvent, UserId,
};
use crate::store::StoreError;

/// How often a command is tried again when another change to the same incident won the race.
const CONFLICT_RETRIES: usize = 5;

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
        let (incident, _event) = self
            .store
            .declare(&title, severity, &origin.user, self.clock.now())
            .await?;
        let n = incident.number;
        tracing::info!(incident = %n, %severity, "declared");
        self.memo.remember_incident(incident.clone());
        // Before the timers: a page due at once must know its war room is on its way.
        self.memo.expect_war_room(&origin.platform, n);
        self.plan_timers(&incident).await?;
        let name = war_room_name(n, incident.title.as_str());
        let mut invitees = vec![origin.user.clone()];
        for user in &self.settings.responders {
            if !invitees.contains(user) {
                invitees.push(user.clone());
            }
        }
        let announcement = views::announcement(&incident, &name);
        let mut effects = vec![
            Effect::CreateWarRoom {
                incident: n,
                name,
                topic: views::topic(&incident),
            },
            Effect::Invite {
                incident: n,
                users: invitees,
            },
            Effect::PostCard { incident: n },
            Effect::SuggestRunbooks { incident: n },
            Effect::Post {
                room: RoomTarget::Origin,
                message: announcement.clone(),
            },
        ];
        if let Some(room) = &self.settings.announce_room
            && *room != origin.room_id
        {
            effects.push(Effect::Post {
                room: RoomTarget::Configured(room.clone()),
                message: announcement,
            });
        }
        Ok(effects)
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
        let (before, after, event) = self
            .append(number, &origin.user, |incident| {
                decide(incident, &action, runbook)
            })
            .await?;
        self.replan_timers(&after, &event).await?;
        Ok(self.change_effects(&before, &after, &event, in_war_room))
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
            match self.store.record(&after, &event).await {
                Ok(()) => {
                    self.memo.remember_incident(after.clone());
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

    fn change_effects(
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
fn decide(
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
