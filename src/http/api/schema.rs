//! The JSON API's answers: plain types with their OpenAPI schemas, made from the engine's
//! reads. The domain's own types stay free of the API's shape (and of `utoipa`): a rename in
//! the domain does not change the API.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{Incident, StepState, TimelineEvent};
use crate::engine::browse::{CatalogEntry, FirstPage, RotationNow};

/// What a refusal says.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// One plain sentence.
    pub error: String,
}

/// An incident in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentSummary {
    /// `INC-7`.
    #[schema(example = "INC-7")]
    pub number: String,
    /// Its title.
    pub title: String,
    /// `P0` to `P3`.
    #[schema(example = "P1")]
    pub severity: String,
    /// `investigating`, `identified`, `mitigated` or `resolved`.
    #[schema(example = "investigating")]
    pub status: String,
    /// Whether only responders see it.
    pub private: bool,
    /// The services it names.
    pub services: Vec<String>,
    /// Who leads the response.
    pub commander: Option<String>,
    /// When it was declared.
    pub declared_at: DateTime<Utc>,
    /// When it was first acknowledged.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// When it was resolved, while it is.
    pub resolved_at: Option<DateTime<Utc>>,
}

impl From<&Incident> for IncidentSummary {
    fn from(i: &Incident) -> Self {
        IncidentSummary {
            number: i.number.to_string(),
            title: i.title.as_str().to_owned(),
            severity: i.severity.to_string(),
            status: i.status.word().to_owned(),
            private: i.details.private,
            services: i.details.services.clone(),
            commander: i.commander.as_ref().map(|u| u.as_str().to_owned()),
            declared_at: i.declared_at,
            acknowledged_at: i.acknowledged.as_ref().map(|(_, at)| *at),
            resolved_at: i.resolved_at,
        }
    }
}

/// A page of incidents, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentPage {
    /// The incidents.
    pub incidents: Vec<IncidentSummary>,
    /// The `before` of the next page, when there may be one.
    #[schema(example = "INC-41")]
    pub next_before: Option<String>,
}

/// One incident whole: its summary, roles, stakeholder fields and runbook progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentDetail {
    /// What a list shows of it.
    #[serde(flatten)]
    pub summary: IncidentSummary,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
    /// Who handles communication.
    pub comms: Option<String>,
    /// Who keeps the record.
    pub scribe: Option<String>,
    /// Who declared it.
    pub declared_by: String,
    /// The summary for stakeholders.
    pub summary_text: Option<String>,
    /// When the impact started, when someone said.
    pub impact_started: Option<DateTime<Utc>>,
    /// When it was detected, when someone said.
    pub detected: Option<DateTime<Utc>>,
    /// When the next status update is due.
    pub next_update: Option<DateTime<Utc>>,
    /// The runbooks attached, with the state of their steps.
    pub runbooks: Vec<RunbookProgress>,
}

/// An attached runbook's steps.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunbookProgress {
    /// The runbook's id.
    pub runbook: String,
    /// Its title.
    pub title: String,
    /// Each step, in order.
    pub steps: Vec<StepProgress>,
}

/// One step of an attached runbook.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepProgress {
    /// Its number as responders see it.
    pub number: usize,
    /// Its title.
    pub title: String,
    /// `pending`, `done` or `skipped`.
    #[schema(example = "done")]
    pub state: String,
    /// Who did or skipped it.
    pub by: Option<String>,
    /// When.
    pub at: Option<DateTime<Utc>>,
}

impl From<&Incident> for IncidentDetail {
    fn from(i: &Incident) -> Self {
        let runbooks = i
            .runbooks
            .iter()
            .map(|attached| RunbookProgress {
                runbook: attached.runbook.id.clone(),
                title: attached.runbook.title.clone(),
                steps: attached
                    .runbook
                    .steps
                    .iter()
                    .zip(&attached.states)
                    .enumerate()
                    .map(|(n, (step, state))| {
                        let (state, by, at) = match state {
                            StepState::Pending => ("pending", None, None),
                            StepState::Done { by, at, .. } => ("done", Some(by), Some(*at)),
                            StepState::Skipped { by, at, .. } => ("skipped", Some(by), Some(*at)),
                        };
                        StepProgress {
                            number: n + 1,
                            title: step.title.clone(),
                            state: state.to_owned(),
                            by: by.map(|u| u.as_str().to_owned()),
                            at,
                        }
                    })
                    .collect(),
            })
            .collect();
        IncidentDetail {
            summary: IncidentSummary::from(i),
            acknowledged_by: i.acknowledged.as_ref().map(|(u, _)| u.as_str().to_owned()),
            comms: i.comms.as_ref().map(|u| u.as_str().to_owned()),
            scribe: i.scribe.as_ref().map(|u| u.as_str().to_owned()),
            declared_by: i.declared_by.as_str().to_owned(),
            summary_text: i.details.summary.as_ref().map(|s| s.as_str().to_owned()),
            impact_started: i.details.impact_started,
            detected: i.details.detected,
            next_update: i.details.next_update,
            runbooks,
        }
    }
}

/// An incident's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct Timeline {
    /// The incident.
    pub incident: String,
    /// Its events, oldest first.
    pub events: Vec<Event>,
}

/// One event of a timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct Event {
    /// Its place, from 1.
    pub seq: u32,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it (`warroom` for what Warroom did).
    pub actor: String,
    /// Its type (`status_changed`).
    #[serde(rename = "type")]
    #[schema(example = "status_changed")]
    pub kind: String,
    /// What happened, in one sentence.
    pub text: String,
}

impl From<&TimelineEvent> for Event {
    fn from(e: &TimelineEvent) -> Self {
        Event {
            seq: e.seq,
            at: e.at,
            actor: e.actor.as_str().to_owned(),
            kind: e.kind.type_name().to_owned(),
            text: e.kind.describe(),
        }
    }
}

/// Who is on call.
#[derive(Debug, Serialize, ToSchema)]
pub struct OnCall {
    /// When this was worked out.
    pub at: DateTime<Utc>,
    /// Each rotation.
    pub rotations: Vec<Rotation>,
    /// Whom each severity's first level pages now.
    pub first_pages: Vec<FirstPageOut>,
}

/// One rotation now and next.
#[derive(Debug, Serialize, ToSchema)]
pub struct Rotation {
    /// Its name.
    pub name: String,
    /// Who is on call now; `null` before it starts.
    pub now: Option<String>,
    /// When that ends.
    pub until: Option<DateTime<Utc>>,
    /// Who takes over then.
    pub next: Option<String>,
}

impl From<&RotationNow> for Rotation {
    fn from(r: &RotationNow) -> Self {
        Rotation {
            name: r.name.clone(),
            now: r.now.as_ref().map(|u| u.as_str().to_owned()),
            until: r.until,
            next: r.next.as_ref().map(|u| u.as_str().to_owned()),
        }
    }
}

/// Whom one severity's first escalation level pages.
#[derive(Debug, Serialize, ToSchema)]
pub struct FirstPageOut {
    /// `P0` to `P3`.
    pub severity: String,
    /// The people.
    pub people: Vec<String>,
    /// The chat user groups.
    pub groups: Vec<String>,
    /// On-call aliases that find nobody now.
    pub unresolved: Vec<String>,
}

impl From<&FirstPage> for FirstPageOut {
    fn from(p: &FirstPage) -> Self {
        FirstPageOut {
            severity: p.severity.to_string(),
            people: p
                .paged
                .people
                .iter()
                .map(|u| u.as_str().to_owned())
                .collect(),
            groups: p.paged.groups.clone(),
            unresolved: p.paged.unresolved.clone(),
        }
    }
}

/// The runbook library.
#[derive(Debug, Serialize, ToSchema)]
pub struct Runbooks {
    /// Every runbook, in load order.
    pub runbooks: Vec<RunbookSummary>,
}

/// A runbook in the library's list.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunbookSummary {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The services it fits.
    pub services: Vec<String>,
    /// The alerts it answers.
    pub alerts: Vec<String>,
    /// How many steps it has.
    pub steps: usize,
    /// How many of them Warroom would run (on a click, or once approved).
    pub runnable: usize,
}

/// One runbook whole, with each step's effective risk.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunbookDetail {
    /// What the list shows of it.
    #[serde(flatten)]
    pub summary: RunbookSummary,
    /// The file it was read from.
    pub source: String,
    /// Its owner, when it names one.
    pub owner: Option<String>,
    /// Each step, in order.
    pub step_list: Vec<RunbookStep>,
}

/// One step of a runbook.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunbookStep {
    /// Its number.
    pub number: usize,
    /// Its title.
    pub title: String,
    /// Its section: `diagnosis`, `mitigation`, `verification` or `root_cause`.
    pub section: String,
    /// The condition it is under, when the author gave one.
    pub only_if: Option<String>,
    /// Its command, when it has one.
    pub command: Option<String>,
    /// Its effective risk (`read`, `write`, `dangerous`), when it has a command.
    pub risk: Option<String>,
    /// `read`, `needs approval` or `copy only`, when it has a command.
    pub label: Option<String>,
    /// Why Warroom would not run it, when it would not.
    pub refusal: Option<String>,
}

impl From<&CatalogEntry<'_>> for RunbookSummary {
    fn from(e: &CatalogEntry<'_>) -> Self {
        RunbookSummary {
            id: e.runbook.id.clone(),
            title: e.runbook.title.clone(),
            services: e.runbook.services.clone(),
            alerts: e.runbook.alerts.clone(),
            steps: e.runbook.steps.len(),
            runnable: e.verdicts.iter().flatten().filter(|v| v.runs()).count(),
        }
    }
}

impl From<&CatalogEntry<'_>> for RunbookDetail {
    fn from(e: &CatalogEntry<'_>) -> Self {
        RunbookDetail {
            summary: RunbookSummary::from(e),
            source: e.runbook.source.clone(),
            owner: e.runbook.owner.clone(),
            step_list: e
                .runbook
                .steps
                .iter()
                .zip(&e.verdicts)
                .enumerate()
                .map(|(n, (step, verdict))| RunbookStep {
                    number: n + 1,
                    title: step.title.clone(),
                    section: step.section.name().to_owned(),
                    only_if: step.only_if.clone(),
                    command: step.command.clone(),
                    risk: verdict.as_ref().map(|v| v.risk.name().to_owned()),
                    label: verdict.as_ref().map(|v| v.label().to_owned()),
                    refusal: verdict.as_ref().and_then(|v| v.refusal.clone()),
                })
                .collect(),
        }
    }
}
