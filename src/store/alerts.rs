//! Alert groups and the alerts each incident has heard of. One webhook delivery is one
//! transaction: it finds the incident its group opened (or opens one, exactly once under
//! concurrent deliveries and replicas), learns which of its alerts are news, and records the
//! events, outbox entries and timers the engine makes of them, all or nothing. A delivery that
//! failed anywhere left nothing behind, so the sender's retry does the whole of it again.
//!
//! This file has the types a delivery is described with and the transaction's outline
//! (`Store::receive_alert_group`); its steps are in `alert_intake.rs`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::alert_intake::{
    GroupClaim, append_events, claim_group, open_incident, plan_fits, read_incident, record_states,
    write_group_params,
};
use super::error::{classify, is_unique_violation};
use super::outbox::{OutboxEntry, insert_entries};
use super::rows::{number_from, stored_time};
use super::timers::insert_timers;
use super::{Store, StoreError};
use crate::domain::{
    Incident, IncidentNumber, IncidentTitle, Platform, Severity, TimelineEvent, TimerKind, UserId,
};

/// How often a delivery is tried again after losing a race (an incident number taken by a
/// concurrent declare on PostgreSQL, or the group taken over by another delivery).
const MAX_INTAKE_ATTEMPTS: u32 = 50;

/// The incident an alert group points at, and whether it is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertGroupIncident {
    /// The incident the group opened last.
    pub incident: IncidentNumber,
    /// Whether that incident is still open (not resolved).
    pub open: bool,
}

/// Where a delivery's alerts go.
#[derive(Debug, Clone, Copy)]
pub enum AlertTarget<'a> {
    /// Open an incident for the group, unless it has an open one by now.
    Open {
        title: &'a IncidentTitle,
        severity: Severity,
        by: &'a UserId,
    },
    /// The group's incident, known to the caller.
    AddTo(IncidentNumber),
}

/// One webhook delivery, as the store records it.
#[derive(Debug, Clone, Copy)]
pub struct AlertIntake<'a> {
    /// The group's key.
    pub group_key: &'a str,
    /// Action parameters from the group's labels.
    pub params: &'a BTreeMap<String, String>,
    /// Whether the group fires (its parameters are then replaced by these).
    pub firing: bool,
    /// Where the alerts go.
    pub target: AlertTarget<'a>,
    /// Each alert's fingerprint and whether it fires (the last report of one wins).
    pub states: &'a [(String, bool)],
    /// The chat an incident opened here lives in.
    pub chat: Platform,
    /// When.
    pub at: DateTime<Utc>,
}

/// What the engine makes of the delivery, inside its transaction: the events that follow the
/// incident's current state, what they tell the chats, and the timers they start.
#[derive(Debug, Clone)]
pub struct AlertPlan {
    /// The incident after the events.
    pub after: Incident,
    /// The events, in order, numbered after the incident's current version.
    pub events: Vec<TimelineEvent>,
    /// What to tell the chats.
    pub outbox: Vec<OutboxEntry>,
    /// Timers to schedule (a new incident's pages and reminder).
    pub timers: Vec<(TimerKind, DateTime<Utc>)>,
}

/// What the engine is given to plan from.
#[derive(Debug, Clone, Copy)]
pub struct AlertFound<'a> {
    /// The incident as it is now (just declared, when `opened`).
    pub incident: &'a Incident,
    /// Whether this delivery opened it.
    pub opened: bool,
    /// The fingerprints whose state is news to the incident.
    pub news: &'a [String],
}

/// What a recorded delivery did.
#[derive(Debug, Clone)]
pub enum AlertIntakeOutcome {
    /// Recorded: the incident before the events, whether it was opened, the news, the plan.
    Recorded {
        before: Box<Incident>,
        opened: bool,
        news: Vec<String>,
        plan: Box<AlertPlan>,
    },
    /// Recorded: no alert was news to the incident (a repeat), so no event was planned; only
    /// the group's parameters were written.
    Unchanged(IncidentNumber),
    /// Nothing was written: the group has an open incident already (opened by another
    /// delivery a moment ago); deliver to it with [`AlertTarget::AddTo`].
    OpenElsewhere(IncidentNumber),
    /// Nothing was written: the incident named by [`AlertTarget::AddTo`] does not exist.
    Missing,
}

/// The engine's planning, called inside the transaction.
pub type PlanAlerts<'p> = dyn Fn(AlertFound<'_>) -> AlertPlan + Send + Sync + 'p;

impl Store {
    /// The incident an alert group opened last, if any.
    pub async fn alert_group(
        &self,
        group_key: &str,
    ) -> Result<Option<AlertGroupIncident>, StoreError> {
        let row: Option<(Option<i64>, Option<String>)> = with_pool!(&self.pool, p => {
            sqlx::query_as(
                "SELECT g.incident_number, i.status FROM alert_groups g \
                 LEFT JOIN incidents i ON i.number = g.incident_number WHERE g.group_key = $1",
            )
            .bind(group_key)
            .fetch_optional(p)
            .await
        })
        .map_err(classify)?;
        match row {
            Some((Some(n), Some(status))) => Ok(Some(AlertGroupIncident {
                incident: number_from(n)?,
                open: status != "resolved",
            })),
            _ => Ok(None),
        }
    }

    /// The action parameters from the labels of the alert groups that opened an incident
    /// (empty for an incident people declared). When several groups name one parameter, the
    /// group updated last wins.
    pub async fn alert_params(
        &self,
        incident: IncidentNumber,
    ) -> Result<BTreeMap<String, String>, StoreError> {
        let rows: Vec<(String,)> = with_pool!(&self.pool, p => {
            sqlx::query_as(
                "SELECT params FROM alert_groups WHERE incident_number = $1 ORDER BY updated_at",
            )
            .bind(i64::from(incident.0))
            .fetch_all(p)
            .await
        })
        .map_err(classify)?;
        let mut params = BTreeMap::new();
        for (json,) in rows {
            let found: BTreeMap<String, String> = serde_json::from_str(&json)
                .map_err(|e| StoreError::Decode(format!("alert parameters: {e}")))?;
            params.extend(found);
        }
        Ok(params)
    }

    /// Records one alert delivery in one transaction: the group's incident (opened here when
    /// the target says so and the group has no open one), its parameters, which alert states
    /// are news, and what `plan` makes of them (events, outbox entries, timers). On any error
    /// nothing is written. A conflict with a concurrent change to the incident is
    /// `StoreError::Conflict`; the caller plans afresh.
    #[tracing::instrument(skip_all, fields(group = %intake.group_key))]
    pub async fn receive_alert_group(
        &self,
        intake: &AlertIntake<'_>,
        plan: &PlanAlerts<'_>,
    ) -> Result<AlertIntakeOutcome, StoreError> {
        let params = params_json(intake.params)?;
        let mut attempt = 1;
        loop {
            match self.try_intake(intake, &params, plan).await {
                Ok(Some(outcome)) => return Ok(outcome),
                Ok(None) if attempt < MAX_INTAKE_ATTEMPTS => {}
                Err(StoreError::Other(e))
                    if is_unique_violation(&e) && attempt < MAX_INTAKE_ATTEMPTS => {}
                Ok(None) => {
                    return Err(StoreError::Decode(format!(
                        "alert group {} kept changing while its delivery was recorded",
                        intake.group_key
                    )));
                }
                Err(e) => return Err(e),
            }
            tracing::debug!(attempt, "lost a race recording an alert delivery; again");
            attempt += 1;
        }
    }

    /// One try: `None` when a race was lost before anything could be decided.
    async fn try_intake(
        &self,
        intake: &AlertIntake<'_>,
        params: &str,
        plan: &PlanAlerts<'_>,
    ) -> Result<Option<AlertIntakeOutcome>, StoreError> {
        let at = stored_time(intake.at);
        let mut tx = self.pool.begin().await?;
        // Each branch writes first, so that SQLite takes its write lock at once rather than
        // upgrading a read lock (which fails without waiting when another writer came in).
        let (incident, target) = match intake.target {
            AlertTarget::Open {
                title,
                severity,
                by,
            } => {
                match claim_group(&mut tx, intake, params, at).await? {
                    GroupClaim::Claimed => {}
                    GroupClaim::OpenElsewhere(number) => {
                        return Ok(Some(AlertIntakeOutcome::OpenElsewhere(number)));
                    }
                    GroupClaim::Lost => return Ok(None),
                }
                let incident = open_incident(&mut tx, intake, title, severity, by, at).await?;
                let target = incident.number;
                (Some(incident), target)
            }
            AlertTarget::AddTo(number) => {
                write_group_params(&mut tx, intake, params, at).await?;
                // Read once it is known that some alert is news.
                (None, number)
            }
        };
        let opened = incident.is_some();
        let news = record_states(&mut tx, target, intake.states).await?;
        let incident = match incident {
            Some(incident) => incident,
            // A repeat: nothing is news, so nothing changes but the group's parameters.
            None if news.is_empty() => {
                tx.commit().await?;
                return Ok(Some(AlertIntakeOutcome::Unchanged(target)));
            }
            None => match read_incident(&mut tx, target).await? {
                Some(incident) => incident,
                None => return Ok(Some(AlertIntakeOutcome::Missing)),
            },
        };
        let planned = plan(AlertFound {
            incident: &incident,
            opened,
            news: &news,
        });
        if !plan_fits(&incident, &planned) {
            return Err(StoreError::Conflict(incident.number));
        }
        if !planned.events.is_empty() {
            append_events(&mut tx, &incident, &planned).await?;
        }
        with_tx!(&mut tx, t => {
            insert_entries!(*t, &planned.outbox, at).await?;
            insert_timers!(*t, incident.number, &planned.timers).await?;
        });
        tx.commit().await?;
        Ok(Some(AlertIntakeOutcome::Recorded {
            before: Box::new(incident),
            opened,
            news,
            plan: Box::new(planned),
        }))
    }
}

fn params_json(params: &BTreeMap<String, String>) -> Result<String, StoreError> {
    serde_json::to_string(params).map_err(|e| StoreError::Decode(format!("alert parameters: {e}")))
}
