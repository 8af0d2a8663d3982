//! Durable timers: pages on escalation, status-update reminders, and action requests waiting
//! for an approver.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::IncidentNumber;

/// What a timer does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TimerKind {
    /// Page an escalation level (from 1).
    Page {
        /// The level.
        level: u32,
    },
    /// Remind the war room that a status update is due.
    Remind,
    /// An action request still waiting for an approver: at half its expiry the approvers are
    /// reminded; at its expiry it expires, in the war room, at its own time.
    Approval {
        /// The request's id.
        request: i64,
    },
}

impl TimerKind {
    /// Its kind in one word: `page`, `remind` or `approval`.
    pub fn name(self) -> &'static str {
        match self {
            TimerKind::Page { .. } => "page",
            TimerKind::Remind => "remind",
            TimerKind::Approval { .. } => "approval",
        }
    }
}

/// A timer as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timer {
    /// Its id in the store.
    pub id: i64,
    /// The incident.
    pub incident: IncidentNumber,
    /// What it does.
    pub kind: TimerKind,
    /// When it is due.
    pub due_at: DateTime<Utc>,
    /// How many times it has been claimed; above 1, an earlier claimer died on it.
    pub attempts: u32,
}
