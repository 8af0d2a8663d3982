//! Alerts from monitoring: a firing group opens an incident (or joins the one it opened), its
//! alerts go on the timeline, the runbook that lists its alert is attached, and resolved
//! alerts are noted and offer (or, when configured, do) the resolve.

use std::collections::BTreeMap;

use super::effect::{Effect, RoomTarget};
use super::port::Origin;
use super::{Engine, EngineError, alerts_view, views, war_room_name};
use crate::alerts::{
    AlertStatus, GroupDecision, Notification, SeverityRules, decide, label_params, runbook_query,
    states, title,
};
use crate::domain::{
    Action, AlertRecord, CommandTemplate, EventKind, Incident, IncidentNumber, NoteText, UserId,
};
use crate::runbook::MatchReason;
use crate::store::AlertGroupOpening;

use super::ActionSettings;

/// How many runbooks are suggested when no runbook lists the alert.
const SUGGESTED: usize = 3;

/// What the engine needs to know about alerts, from the configuration.
#[derive(Debug, Clone, Default)]
pub struct AlertSettings {
    /// How labels map to severities.
    pub severity: SeverityRules,
    /// Whether a group whose alerts all resolved resolves its incident.
    pub auto_resolve: bool,
}

/// What one delivery did, for the webhook's answer and the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertOutcome {
    /// The incident the group belongs to, if it has one.
    pub incident: Option<IncidentNumber>,
    /// Whether this delivery opened it.
    pub opened: bool,
    /// Alerts that were news to the incident (new, or firing again).
    pub firing: usize,
    /// Alerts that were newly resolved.
    pub resolved: usize,
    /// Whether this delivery resolved the incident (`auto_resolve`).
    pub resolved_incident: bool,
}

/// The actor of what Alertmanager does: `alertmanager`.
pub fn alertmanager_actor() -> UserId {
    UserId::parse("alertmanager").expect("a valid user id")
}

impl Engine {
    /// Acts on one Alertmanager notification. What is recorded is recorded before the effects
    /// are returned; a failure is one sentence (and the cause in the log), so that the sender
    /// can try again: deliveries are idempotent.
    #[tracing::instrument(skip_all, fields(group = %notification.group_key, status = ?notification.status))]
    pub async fn receive_alerts(
        &self,
        origin: &Origin,
        notification: &Notification,
    ) -> Result<(AlertOutcome, Vec<Effect>), EngineError> {
        let received = self.try_receive(origin, notification).await;
        if let Err(e @ (EngineError::Store(_) | EngineError::Postmortem(_))) = &received {
            tracing::error!(error = ?e, "an alert delivery failed");
        }
        received
    }

    async fn try_receive(
        &self,
        origin: &Origin,
        n: &Notification,
    ) -> Result<(AlertOutcome, Vec<Effect>), EngineError> {
        let rules = &self.settings.alerts.severity;
        let params = label_params(n, &rules.label);
        let known = self.store.alert_group(&n.group_key).await?;
        let open = known.filter(|g| g.open).map(|g| g.incident);
        let mut outcome = AlertOutcome::default();
        let mut effects = Vec::new();
        let number = match decide(n.status, open) {
            GroupDecision::Ignore => {
                tracing::info!(
                    "resolved alerts of a group without an open incident: nothing to do"
                );
                return Ok((outcome, effects));
            }
            GroupDecision::AddTo(number) => number,
            GroupDecision::Open => {
                let title = title(n);
                let severity = rules.of_group(n);
                let opening = self
                    .store
                    .open_alert_incident(
                        &n.group_key,
                        &params,
                        &title,
                        severity,
                        &origin.user,
                        self.clock.now(),
                    )
                    .await?;
                match opening {
                    AlertGroupOpening::Opened(incident) => {
                        outcome.opened = true;
                        tracing::info!(incident = %incident.number, %severity, "declared from alerts");
                        effects.extend(self.opened(&incident).await?);
                        incident.number
                    }
                    AlertGroupOpening::Existing(number) => number,
                }
            }
        };
        outcome.incident = Some(number);
        if !outcome.opened && n.status == AlertStatus::Firing {
            self.store
                .set_alert_params(&n.group_key, &params, self.clock.now())
                .await?;
        }
        let reported: Vec<(String, bool)> = states(n)
            .into_iter()
            .map(|(fp, status)| (fp, status == AlertStatus::Firing))
            .collect();
        let news = self.store.note_alert_states(number, &reported).await?;
        let pick = |status: AlertStatus| -> Vec<AlertRecord> {
            let mut picked: Vec<AlertRecord> = Vec::new();
            for alert in n.alerts.iter().filter(|a| a.status == status) {
                let fp = &alert.record.fingerprint;
                let last = reported
                    .iter()
                    .find(|(f, _)| f == fp)
                    .map(|(_, firing)| *firing);
                if news.contains(fp)
                    && last == Some(status == AlertStatus::Firing)
                    && !picked.iter().any(|p| &p.fingerprint == fp)
                {
                    picked.push(alert.record.clone());
                }
            }
            picked
        };
        let firing = pick(AlertStatus::Firing);
        let resolved = pick(AlertStatus::Resolved);
        outcome.firing = firing.len();
        outcome.resolved = resolved.len();
        let actor = origin.user.clone();
        if !firing.is_empty() {
            let kind = EventKind::AlertsFiring {
                group: n.group_key.clone(),
                alerts: firing.clone(),
            };
            let (_, after, _) = self.append_or_forget(number, &actor, kind, &firing).await?;
            effects.push(Effect::Post {
                room: RoomTarget::WarRoom(number),
                message: alerts_view::firing(&after, &firing, n, outcome.opened),
            });
            // Worse alerts joined: offer the higher severity; the responders decide.
            let suggested = rules.of_group(n);
            if !outcome.opened && suggested < after.severity && after.status.is_open() {
                let button = self
                    .button(crate::domain::Command {
                        incident: Some(number),
                        action: Action::Severity {
                            severity: suggested,
                            reason: NoteText::parse("the alerts are worse").ok(),
                        },
                    })
                    .await?;
                effects.push(Effect::Post {
                    room: RoomTarget::WarRoom(number),
                    message: alerts_view::offer_severity(&after, suggested, button),
                });
            }
        }
        if outcome.opened {
            effects.extend(self.attach_for_alerts(&actor, number, n).await?);
        }
        if !resolved.is_empty() {
            let all = n.status == AlertStatus::Resolved;
            let kind = EventKind::AlertsResolved {
                group: n.group_key.clone(),
                alerts: resolved.clone(),
                all,
            };
            let (_, after, event) = self
                .append_or_forget(number, &actor, kind, &resolved)
                .await?;
            effects.push(Effect::Post {
                room: RoomTarget::WarRoom(number),
                message: views::event_line(&event),
            });
            if all && after.status.is_open() {
                if self.settings.alerts.auto_resolve {
                    let note = NoteText::parse("every alert of the group resolved").ok();
                    match self
                        .change(origin, number, true, Action::Resolve { note })
                        .await
                    {
                        Ok(more) => {
                            effects.extend(more);
                            outcome.resolved_incident = true;
                        }
                        // Someone resolved it a moment ago: nothing left to do.
                        Err(EngineError::Refused(why)) => {
                            tracing::info!(incident = %number, %why, "not resolved by the alerts");
                        }
                        Err(e) => return Err(e),
                    }
                } else {
                    let button = self
                        .button(crate::domain::Command {
                            incident: Some(number),
                            action: Action::Resolve {
                                note: NoteText::parse("the alerts resolved").ok(),
                            },
                        })
                        .await?;
                    effects.push(Effect::Post {
                        room: RoomTarget::WarRoom(number),
                        message: alerts_view::offer_resolve(&after, button),
                    });
                }
            }
        }
        Ok((outcome, effects))
    }

    /// Appends alerts that were news to the timeline. When that fails, the alerts' states are
    /// forgotten again, so that the sender's retry finds them news and nothing is lost (only a
    /// crash between the two steps can lose them).
    async fn append_or_forget(
        &self,
        number: IncidentNumber,
        actor: &UserId,
        kind: EventKind,
        alerts: &[AlertRecord],
    ) -> Result<(Incident, Incident, crate::domain::TimelineEvent), EngineError> {
        match self.append(number, actor, |_| Ok(kind.clone())).await {
            Ok(done) => Ok(done),
            Err(e) => {
                let fingerprints: Vec<String> =
                    alerts.iter().map(|a| a.fingerprint.clone()).collect();
                if let Err(forget) = self.store.forget_alert_states(number, &fingerprints).await {
                    tracing::error!(error = ?forget, incident = %number, "could not forget alert states after a failed append; a retry will not note them");
                }
                Err(e)
            }
        }
    }

    /// What follows a new incident from alerts: timers, the war room, the card, the announcement.
    async fn opened(&self, incident: &Incident) -> Result<Vec<Effect>, EngineError> {
        let n = incident.number;
        self.memo.remember_incident(incident.clone());
        self.plan_timers(incident).await?;
        let name = war_room_name(n, incident.title.as_str());
        let mut effects = vec![Effect::CreateWarRoom {
            incident: n,
            name: name.clone(),
            topic: views::topic(incident),
        }];
        if !self.settings.responders.is_empty() {
            effects.push(Effect::Invite {
                incident: n,
                users: self.settings.responders.clone(),
            });
        }
        effects.push(Effect::PostCard { incident: n });
        if let Some(room) = &self.settings.announce_room {
            effects.push(Effect::Post {
                room: RoomTarget::Configured(room.clone()),
                message: views::announcement(incident, &name),
            });
        }
        Ok(effects)
    }

    /// Attaches the runbook that lists one of the group's alerts; without one, suggests the
    /// runbooks that fit the title and labels best.
    async fn attach_for_alerts(
        &self,
        actor: &UserId,
        number: IncidentNumber,
        n: &Notification,
    ) -> Result<Vec<Effect>, EngineError> {
        let library = &self.settings.runbooks;
        if library.runbooks().is_empty() {
            return Ok(Vec::new());
        }
        let incident = self.load(number).await?;
        let query = runbook_query(n, &incident.title);
        let matches = library.best(&query, SUGGESTED);
        let listed = matches
            .first()
            .filter(|m| matches!(m.reason, MatchReason::Alert(_)))
            .and_then(|m| library.get(&m.id));
        let Some(runbook) = listed else {
            let message = self
                .matches_message(Some(number), &matches, incident.title.as_str())
                .await?;
            return Ok(vec![Effect::Post {
                room: RoomTarget::WarRoom(number),
                message,
            }]);
        };
        let (_, _, event) = self
            .append(number, actor, |incident| {
                Ok(incident.attach_runbook(runbook)?)
            })
            .await?;
        tracing::info!(incident = %number, runbook = %runbook.id, "attached the runbook the alert names");
        Ok(vec![
            Effect::Post {
                room: RoomTarget::WarRoom(number),
                message: views::event_line(&event),
            },
            Effect::PostRunbook {
                incident: number,
                runbook: runbook.id.clone(),
            },
        ])
    }

    /// Values for a step's parameters from the labels of the alerts that opened the incident,
    /// for the parameters that neither the configuration nor the responder gives. A label
    /// value must pass the same rules as a value a person types; one that does not is left
    /// out (and the responder is asked for it).
    pub(super) async fn alert_values(
        &self,
        number: IncidentNumber,
        template: &CommandTemplate,
        given: &BTreeMap<String, String>,
        actions: &ActionSettings,
    ) -> Result<BTreeMap<String, String>, EngineError> {
        let wanted = actions.unsupplied(template, given);
        if wanted.is_empty() {
            return Ok(BTreeMap::new());
        }
        let labels = self.store.alert_params(number).await?;
        let mut values = BTreeMap::new();
        for name in wanted {
            let Some(value) = labels.get(&name) else {
                continue;
            };
            match actions.rules.check(&name, value) {
                Ok(()) => {
                    values.insert(name, value.clone());
                }
                Err(e) => {
                    tracing::warn!(incident = %number, param = %name, error = %e, "an alert label's value is not a safe parameter; not used");
                }
            }
        }
        Ok(values)
    }
}
