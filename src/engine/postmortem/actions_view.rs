//! The actions part of the post-mortem: each request to run a step, who asked, who decided,
//! and how it ended, gathered from the timeline.

use serde::Serialize;

use super::view::cell;
use crate::domain::{DRILL_NOT_RUN, EventKind, RequestId, TimelineEvent};

/// One action request in the post-mortem; text is Markdown-safe for a table cell.
#[derive(Debug, Clone, Serialize)]
pub struct ActionRow {
    /// `r5`.
    pub request: String,
    /// The step's number and title.
    pub step: String,
    /// `read`, `write` or `dangerous`.
    pub risk: String,
    /// The command as shown.
    pub command: String,
    /// Who asked, and when (`bob 14:05`).
    pub requested: String,
    /// `approved by dave 14:06`, `denied by alice 14:07: reason`, `expired`, or `—`.
    pub decision: String,
    /// `exit code 0`, `killed at its time limit`, `drill`, or `did not run`.
    pub result: String,
}

/// Every action request on the timeline, in the order they were made.
pub fn action_rows(timeline: &[TimelineEvent]) -> Vec<ActionRow> {
    let mut rows: Vec<(RequestId, ActionRow)> = Vec::new();
    let row = |rows: &mut Vec<(RequestId, ActionRow)>, id: RequestId| {
        rows.iter().position(|(r, _)| *r == id)
    };
    for event in timeline {
        let when = event.at.format("%H:%M");
        match &event.kind {
            EventKind::ActionRequested {
                request,
                step,
                title,
                command,
                risk,
            } => rows.push((
                *request,
                ActionRow {
                    request: request.to_string(),
                    step: cell(&format!("{step}. {title}")),
                    risk: risk.to_string(),
                    command: cell(command),
                    requested: format!("{} {when}", event.actor),
                    decision: if *risk == crate::domain::Risk::Read {
                        "read: no approval needed".to_owned()
                    } else {
                        "—".to_owned()
                    },
                    result: "did not run".to_owned(),
                },
            )),
            EventKind::ActionApproved { request } => {
                if let Some(i) = row(&mut rows, *request) {
                    rows[i].1.decision = format!("approved by {} {when}", event.actor);
                }
            }
            EventKind::ActionDenied { request, reason } => {
                if let Some(i) = row(&mut rows, *request) {
                    let mut text = format!("denied by {} {when}", event.actor);
                    if let Some(reason) = reason {
                        text.push_str(&format!(": {reason}"));
                    }
                    rows[i].1.decision = cell(&text);
                }
            }
            EventKind::ActionExpired { request } => {
                if let Some(i) = row(&mut rows, *request) {
                    rows[i].1.decision = format!("expired undecided {when}");
                }
            }
            EventKind::ActionCancelled { request } => {
                if let Some(i) = row(&mut rows, *request) {
                    rows[i].1.result = format!("cancelled {when}: the incident was resolved");
                }
            }
            EventKind::ActionStarted { request, dry_run } => {
                if let Some(i) = row(&mut rows, *request)
                    && *dry_run
                {
                    rows[i].1.result = DRILL_NOT_RUN.to_owned();
                }
            }
            EventKind::ActionFinished {
                request,
                exit_code,
                timed_out,
                ..
            } => {
                if let Some(i) = row(&mut rows, *request)
                    && rows[i].1.result != DRILL_NOT_RUN
                {
                    rows[i].1.result = match (exit_code, timed_out) {
                        (_, true) => format!("killed at its time limit {when}"),
                        (Some(code), false) => format!("exit code {code} {when}"),
                        (None, false) => format!("did not finish normally {when}"),
                    };
                }
            }
            _ => {}
        }
    }
    rows.into_iter().map(|(_, r)| r).collect()
}
