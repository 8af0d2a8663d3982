//! The append-only timeline of an incident: typed events with actor and UTC time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{IncidentNumber, IncidentTitle, NoteText, Role, Runbook, Severity, Status, UserId};

/// One entry on an incident's timeline. Entries are never changed or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEvent {
    /// The incident the event belongs to.
    pub incident: IncidentNumber,
    /// Position on the timeline, from 1; equals the incident's version after the event.
    pub seq: u32,
    /// When it happened, in UTC.
    pub at: DateTime<Utc>,
    /// Who did it (`warroom` for what Warroom did on its own).
    pub actor: UserId,
    /// What happened.
    pub kind: EventKind,
}

/// What happened, with the facts that belong to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// The incident was opened.
    Declared {
        /// Its title.
        title: IncidentTitle,
        /// Its first severity.
        severity: Severity,
    },
    /// The severity changed.
    SeverityChanged {
        /// Before.
        from: Severity,
        /// After.
        to: Severity,
        /// Why, when given.
        reason: Option<NoteText>,
    },
    /// The status changed (resolving is a change to `resolved`).
    StatusChanged {
        /// Before.
        from: Status,
        /// After.
        to: Status,
        /// A note given with the change.
        note: Option<NoteText>,
    },
    /// Someone acknowledged the incident; paging stops.
    Acknowledged,
    /// Someone took a role.
    RoleAssigned {
        /// The role.
        role: Role,
        /// Who has it now.
        user: UserId,
        /// Who had it before, if anyone.
        previous: Option<UserId>,
    },
    /// A note for the record.
    Note {
        /// The note.
        text: NoteText,
    },
    /// A resolved incident was opened again; it goes back to investigating.
    Reopened {
        /// Why, when given.
        reason: Option<NoteText>,
    },
    /// A runbook was attached; the event keeps a copy of it as it was.
    RunbookAttached {
        /// The runbook.
        runbook: Runbook,
    },
    /// A runbook step was done.
    StepDone {
        /// The runbook's id.
        runbook: String,
        /// The step's index in that runbook.
        index: u32,
        /// The step's number as responders saw it.
        number: u32,
        /// The step's title.
        title: String,
        /// A note given with it.
        note: Option<NoteText>,
    },
    /// A runbook step was skipped.
    StepSkipped {
        /// The runbook's id.
        runbook: String,
        /// The step's index in that runbook.
        index: u32,
        /// The step's number as responders saw it.
        number: u32,
        /// The step's title.
        title: String,
        /// Why, when given.
        reason: Option<NoteText>,
    },
}

impl EventKind {
    /// The event's type as stored and shown (`status_changed`).
    pub fn type_name(&self) -> &'static str {
        match self {
            EventKind::Declared { .. } => "declared",
            EventKind::SeverityChanged { .. } => "severity_changed",
            EventKind::StatusChanged { .. } => "status_changed",
            EventKind::Acknowledged => "acknowledged",
            EventKind::RoleAssigned { .. } => "role_assigned",
            EventKind::Note { .. } => "note",
            EventKind::Reopened { .. } => "reopened",
            EventKind::RunbookAttached { .. } => "runbook_attached",
            EventKind::StepDone { .. } => "step_done",
            EventKind::StepSkipped { .. } => "step_skipped",
        }
    }

    /// One plain sentence describing the event, without actor or time.
    pub fn describe(&self) -> String {
        fn with(text: &str, extra: &Option<NoteText>) -> String {
            match extra {
                Some(t) => format!("{text}: {t}"),
                None => text.to_owned(),
            }
        }
        match self {
            EventKind::Declared { title, severity } => {
                format!("declared the incident as {severity}: {title}")
            }
            EventKind::SeverityChanged { from, to, reason } => {
                with(&format!("changed severity {from} → {to}"), reason)
            }
            EventKind::StatusChanged { from, to, note } => {
                with(&format!("changed status {from} → {to}"), note)
            }
            EventKind::Acknowledged => "acknowledged".to_owned(),
            EventKind::RoleAssigned { role, user, .. } => format!("made {user} {role}"),
            EventKind::Note { text } => format!("noted: {text}"),
            EventKind::Reopened { reason } => with("reopened the incident", reason),
            EventKind::RunbookAttached { runbook } => format!(
                "attached the runbook {} ({} steps)",
                runbook.title,
                runbook.steps.len()
            ),
            EventKind::StepDone {
                number,
                title,
                note,
                ..
            } => with(&format!("did step {number}: {title}"), note),
            EventKind::StepSkipped {
                number,
                title,
                reason,
                ..
            } => with(&format!("skipped step {number}: {title}"), reason),
        }
    }
}
