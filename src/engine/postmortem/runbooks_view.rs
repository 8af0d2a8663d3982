//! The runbooks part of the post-mortem: each attached runbook with what became of its steps,
//! and the runbooks' prevention items offered as follow-ups.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::view::{cell, inline};
use crate::domain::{Incident, NoteText, StepState, UserId};

/// An attached runbook in the post-mortem.
#[derive(Debug, Clone, Serialize)]
pub struct RunbookView {
    /// Its title.
    pub title: String,
    /// Where it came from (`runbooks/db.md:7`).
    pub source: String,
    /// `5 of 9 steps done, 1 skipped`.
    pub progress: String,
    /// Its steps, numbered as responders saw them.
    pub steps: Vec<RunbookStepRow>,
}

/// One step of an attached runbook; text is Markdown-safe for a table cell.
#[derive(Debug, Clone, Serialize)]
pub struct RunbookStepRow {
    /// The number responders used (`done 3`).
    pub number: u32,
    /// What the step does.
    pub title: String,
    /// The section's heading (`Diagnose`).
    pub section: String,
    /// `done by bob at 14:05`, `skipped by bob at 14:06: not needed`, `not done`, or
    /// `not done (r3 failed with exit code 2)`.
    pub outcome: String,
}

/// The attached runbooks, in the order they were attached.
pub fn runbook_views(incident: &Incident) -> Vec<RunbookView> {
    incident
        .runbooks
        .iter()
        .map(|attached| {
            let (done, skipped) = attached.progress();
            let total = attached.states.len();
            let mut progress = format!("{done} of {total} steps done");
            if skipped > 0 {
                progress.push_str(&format!(", {skipped} skipped"));
            }
            let first = incident
                .first_step_number(&attached.runbook.id)
                .unwrap_or(1);
            let steps = attached
                .runbook
                .steps
                .iter()
                .zip(&attached.states)
                .enumerate()
                .zip(first..)
                .map(|((index, (step, state)), number)| {
                    let mut outcome = outcome(state);
                    if let (StepState::Pending, Some(failed)) = (state, attached.failed.get(&index))
                    {
                        outcome.push_str(&format!(" ({failed})"));
                    }
                    RunbookStepRow {
                        number,
                        title: cell(&step.title),
                        section: step.section.heading().to_owned(),
                        outcome: cell(&outcome),
                    }
                })
                .collect();
            RunbookView {
                title: attached.runbook.title.clone(),
                source: attached.runbook.source.clone(),
                progress,
                steps,
            }
        })
        .collect()
}

fn outcome(state: &StepState) -> String {
    match state {
        StepState::Pending => "not done".to_owned(),
        StepState::Done { by, at, note } => with("done", by, *at, note.as_ref()),
        StepState::Skipped { by, at, reason } => with("skipped", by, *at, reason.as_ref()),
    }
}

fn with(how: &str, by: &UserId, at: DateTime<Utc>, note: Option<&NoteText>) -> String {
    let mut text = format!("{how} by {by} at {}", at.format("%H:%M"));
    if let Some(note) = note {
        text.push_str(&format!(": {note}"));
    }
    text
}

/// The prevention items of the attached runbooks, each once, as follow-up suggestions.
pub fn suggested_follow_ups(incident: &Incident) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in incident
        .runbooks
        .iter()
        .flat_map(|r| r.runbook.prevention.iter())
    {
        let item = inline(item);
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}
