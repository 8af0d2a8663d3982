//! Alerts from monitoring: a firing group opens an incident (or joins the one it opened), its
//! alerts go on the timeline, the runbook that lists its alert is attached, and resolved
//! alerts are noted and offer (or, when configured, do) the resolve.

mod plan;
pub(in crate::engine) mod view;

use std::collections::BTreeMap;

use crate::alerts::{
    AlertStatus, GroupDecision, Notification, SeverityRules, decide, label_params, states, title,
};
use crate::domain::{
    Action, CommandTemplate, EventKind, Incident, IncidentNumber, NoteText, Platform, Status,
    UserId,
};
use crate::engine::EngineError;
use crate::engine::core::CONFLICT_RETRIES;
use crate::engine::effect::Effect;
use crate::engine::port::Origin;
use crate::store::{
    AlertFound, AlertIntake, AlertIntakeOutcome, AlertPlan, AlertTarget, StoreError,
};

use crate::engine::ActionSettings;
use crate::engine::core::Core;

/// The buttons a delivery may offer, made before its transaction.
#[derive(Debug, Clone, Copy, Default)]
pub(in crate::engine) struct OfferButtons {
    /// Raise the severity to the alerts'.
    pub(in crate::engine) severity: Option<crate::engine::message::ButtonId>,
    /// Resolve the incident.
    pub(in crate::engine) resolve: Option<crate::engine::message::ButtonId>,
}

/// How many runbooks are suggested when no runbook lists the alert.
pub(in crate::engine) const SUGGESTED: usize = 3;

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

/// The alerts service: notifications from monitoring become incidents and their updates.
#[derive(Clone, Copy)]
pub struct Alerts<'a> {
    pub(in crate::engine) core: &'a Core,
}

impl Core {
    /// The alerts service over this core.
    pub(in crate::engine) fn alerts(&self) -> Alerts<'_> {
        Alerts { core: self }
    }
}

impl Alerts<'_> {
    /// Acts on one Alertmanager notification. What is recorded is recorded before the effects
    /// are returned; a failure is one sentence (and the cause in the log), so that the sender
    /// can try again: deliveries are idempotent.
    #[tracing::instrument(skip_all, fields(group = %notification.group_key, status = ?notification.status))]
    pub async fn receive(
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
        let rules = &self.core.settings.alerts.severity;
        let params = label_params(n, &rules.label);
        let reported: Vec<(String, bool)> = states(n)
            .into_iter()
            .map(|(fp, status)| (fp, status == AlertStatus::Firing))
            .collect();
        let known = self.core.store.alert_group(&n.group_key).await?;
        let open = known.filter(|g| g.open).map(|g| g.incident);
        let mut number = match decide(n.status, open) {
            GroupDecision::Ignore => {
                tracing::info!(
                    "resolved alerts of a group without an open incident: nothing to do"
                );
                return Ok((AlertOutcome::default(), Vec::new()));
            }
            GroupDecision::AddTo(number) => Some(number),
            GroupDecision::Open => None,
        };
        let title = title(n);
        let severity = rules.of_group(n);
        let mut attempt = 0;
        loop {
            // What planning needs from outside the transaction: the buttons it may offer (the
            // same command always has the same button) and the chat the incident lives in.
            let buttons = match number {
                Some(number) => self.alert_buttons(number, n).await?,
                None => OfferButtons::default(),
            };
            let chat = match number {
                Some(number) => {
                    self.core
                        .delivery()
                        .chat_of_incident(number, origin.platform())
                        .await?
                }
                None => origin.platform(),
            };
            let _turn = match number {
                Some(number) => Some(self.core.turn(number).await),
                None => None,
            };
            let intake = AlertIntake {
                group_key: &n.group_key,
                params: &params,
                firing: n.status == AlertStatus::Firing,
                target: match number {
                    Some(number) => AlertTarget::AddTo(number),
                    None => AlertTarget::Open {
                        title: &title,
                        severity,
                        by: &origin.user,
                    },
                },
                states: &reported,
                chat,
                at: self.core.clock.now(),
            };
            let answers = std::sync::Mutex::new(Vec::new());
            let planner = |found: AlertFound<'_>| {
                let (plan, now) = self.plan_alerts(origin, chat, n, &reported, &buttons, found);
                *answers.lock().unwrap_or_else(|e| e.into_inner()) = now;
                plan
            };
            let recorded = self.core.store.receive_alert_group(&intake, &planner).await;
            match recorded {
                Ok(AlertIntakeOutcome::OpenElsewhere(found)) if attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    number = Some(found);
                }
                Ok(AlertIntakeOutcome::OpenElsewhere(found)) => {
                    return Err(EngineError::Store(StoreError::Conflict(found)));
                }
                Ok(AlertIntakeOutcome::Unchanged(number)) => {
                    let outcome = AlertOutcome {
                        incident: Some(number),
                        ..AlertOutcome::default()
                    };
                    return Ok((outcome, Vec::new()));
                }
                Ok(AlertIntakeOutcome::Missing) => {
                    return Err(EngineError::Store(StoreError::Decode(format!(
                        "alert group {} points at an incident that does not exist",
                        n.group_key
                    ))));
                }
                Ok(AlertIntakeOutcome::Recorded {
                    before,
                    opened,
                    plan,
                    ..
                }) => {
                    let answers = answers.into_inner().unwrap_or_else(|e| e.into_inner());
                    return self
                        .recorded(before.as_ref(), opened, *plan, answers, chat)
                        .await;
                }
                Err(StoreError::Conflict(n)) if attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    self.core.memo.forget_incident(n);
                    tracing::debug!(incident = %n, attempt, "the incident moved on elsewhere; trying again");
                }
                Err(e) => {
                    if let Some(number) = number {
                        self.core.memo.forget_incident(number);
                    }
                    return Err(e.into());
                }
            }
        }
    }

    /// After a delivery was recorded: remembers the incident, wakes the delivery worker and
    /// the scheduler, and stops the timers of an incident the alerts resolved.
    async fn recorded(
        &self,
        before: &Incident,
        opened: bool,
        plan: AlertPlan,
        answers: Vec<Effect>,
        chat: Platform,
    ) -> Result<(AlertOutcome, Vec<Effect>), EngineError> {
        let number = plan.after.number;
        let mut outcome = AlertOutcome {
            incident: Some(number),
            opened,
            ..AlertOutcome::default()
        };
        if opened {
            tracing::info!(incident = %number, severity = %plan.after.severity, "declared from alerts");
        }
        crate::telemetry::incident_moved((!opened).then_some(before), &plan.after);
        for event in &plan.events {
            match &event.kind {
                EventKind::AlertsFiring { alerts, .. } => outcome.firing += alerts.len(),
                EventKind::AlertsResolved { alerts, .. } => outcome.resolved += alerts.len(),
                EventKind::StatusChanged {
                    to: Status::Resolved,
                    ..
                } => outcome.resolved_incident = true,
                EventKind::RunbookAttached { runbook } => {
                    tracing::info!(incident = %number, runbook = %runbook.id, "attached the runbook the alert names");
                }
                _ => {}
            }
        }
        if plan.events.is_empty() && !opened {
            self.core.memo.remember_incident(before.clone());
        } else {
            self.core.memo.remember_incident(plan.after.clone());
        }
        if opened {
            self.core.memo.remember_incident_chat(number, chat);
        }
        if !plan.outbox.is_empty() {
            self.core.outbox_changed.notify_waiters();
        }
        if !plan.timers.is_empty() {
            self.core.timers_changed.notify_waiters();
        }
        if let Some(resolved) = plan.events.iter().find(|e| {
            matches!(
                e.kind,
                EventKind::StatusChanged {
                    to: Status::Resolved,
                    ..
                }
            )
        }) {
            self.core
                .escalation()
                .replan_timers(&plan.after, resolved)
                .await?;
        }
        Ok((outcome, answers))
    }

    /// The buttons a delivery to an existing incident may offer: the alerts' severity (when
    /// they are worse than the incident), and resolving.
    async fn alert_buttons(
        &self,
        number: IncidentNumber,
        n: &Notification,
    ) -> Result<OfferButtons, EngineError> {
        let mut buttons = OfferButtons::default();
        if n.status == AlertStatus::Firing {
            let severity = self.core.settings.alerts.severity.of_group(n);
            // Only when the alerts are worse than the incident as last seen (the plan checks
            // again against the incident in its transaction).
            let current = match self.core.memo.incident(number) {
                Some(current) => current,
                None => self.core.load(number).await?,
            };
            if severity >= current.severity || !current.status.is_open() {
                return Ok(buttons);
            }
            buttons.severity = Some(
                self.core
                    .button(crate::domain::Command {
                        incident: Some(number),
                        action: Action::Severity {
                            severity,
                            reason: NoteText::parse("the alerts are worse").ok(),
                        },
                    })
                    .await?,
            );
        } else if !self.core.settings.alerts.auto_resolve {
            buttons.resolve = Some(
                self.core
                    .button(crate::domain::Command {
                        incident: Some(number),
                        action: Action::Resolve {
                            note: NoteText::parse("the alerts resolved").ok(),
                        },
                    })
                    .await?,
            );
        }
        Ok(buttons)
    }

    /// Values for a step's parameters from the labels of the alerts that opened the incident,
    /// for the parameters that neither the configuration nor the responder gives. A label
    /// value must pass the same rules as a value a person types; one that does not is left
    /// out (and the responder is asked for it).
    pub(in crate::engine) async fn alert_values(
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
        let labels = self.core.store.alert_params(number).await?;
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
