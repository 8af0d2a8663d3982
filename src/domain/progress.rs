//! Runbooks attached to an incident and how far the responders got through their steps.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{EventKind, Incident, NoteText, Refusal, RequestId, Runbook, Status, Step, UserId};

/// A runbook attached to an incident: a copy taken when it was attached (so later edits to the
/// file change nothing here) and the state of each of its steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedRunbook {
    /// The runbook as it was when attached.
    pub runbook: Runbook,
    /// The state of each step, in the order of `runbook.steps`.
    pub states: Vec<StepState>,
    /// The last run of a step's command, by the step's index, when it did not end well; a run
    /// that ends well afterwards clears it. It is shown on a step that is still open.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub failed: BTreeMap<usize, FailedRun>,
}

/// A run of a step's command that did not end well.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedRun {
    /// The request that ran it.
    pub request: RequestId,
    /// Its exit code; `None` when it was killed, interrupted or could not start.
    pub exit_code: Option<i32>,
    /// Whether it was killed at its time limit.
    pub timed_out: bool,
    /// When it ended.
    pub at: DateTime<Utc>,
}

impl std::fmt::Display for FailedRun {
    /// `r3 failed with exit code 2`, `r3 was killed at its time limit`, `r3 ended without an
    /// exit code`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.exit_code, self.timed_out) {
            (_, true) => write!(f, "{} was killed at its time limit", self.request),
            (Some(code), false) => write!(f, "{} failed with exit code {code}", self.request),
            (None, false) => write!(f, "{} ended without an exit code", self.request),
        }
    }
}

/// Where a step stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum StepState {
    /// Not done yet.
    Pending,
    /// Done.
    Done {
        /// Who did it.
        by: UserId,
        /// When.
        at: DateTime<Utc>,
        /// What they noted, when anything.
        note: Option<NoteText>,
    },
    /// Left out on purpose.
    Skipped {
        /// Who skipped it.
        by: UserId,
        /// When.
        at: DateTime<Utc>,
        /// Why, when given.
        reason: Option<NoteText>,
    },
}

/// What became of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    /// It was done, perhaps with a note.
    Done(Option<NoteText>),
    /// It was skipped, perhaps with a reason.
    Skipped(Option<NoteText>),
}

/// A step as responders address it: its number across all attached runbooks, from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberedStep<'a> {
    /// The number shown to responders.
    pub number: u32,
    /// The runbook it belongs to.
    pub runbook: &'a AttachedRunbook,
    /// Its index in that runbook's steps.
    pub index: usize,
}

impl NumberedStep<'_> {
    /// The step itself.
    pub fn step(&self) -> &Step {
        &self.runbook.runbook.steps[self.index]
    }

    /// Its state.
    pub fn state(&self) -> &StepState {
        &self.runbook.states[self.index]
    }
}

impl AttachedRunbook {
    /// How many steps are done and how many skipped.
    pub fn progress(&self) -> (usize, usize) {
        let done = self
            .states
            .iter()
            .filter(|s| matches!(s, StepState::Done { .. }))
            .count();
        let skipped = self
            .states
            .iter()
            .filter(|s| matches!(s, StepState::Skipped { .. }))
            .count();
        (done, skipped)
    }
}

impl Incident {
    /// Every step of every attached runbook, numbered from 1 in the order they were attached.
    pub fn numbered_steps(&self) -> impl Iterator<Item = NumberedStep<'_>> {
        self.runbooks
            .iter()
            .flat_map(|r| (0..r.runbook.steps.len()).map(move |index| (r, index)))
            .zip(1u32..)
            .map(|((runbook, index), number)| NumberedStep {
                number,
                runbook,
                index,
            })
    }

    /// The number of the first step of an attached runbook.
    pub fn first_step_number(&self, runbook_id: &str) -> Option<u32> {
        self.numbered_steps()
            .find(|s| s.runbook.runbook.id == runbook_id)
            .map(|s| s.number)
    }

    /// Decides attaching a runbook.
    pub fn attach_runbook(&self, runbook: &Runbook) -> Result<EventKind, Refusal> {
        if self.status == Status::Resolved {
            return Err(Refusal::Resolved(self.number));
        }
        if self.runbooks.iter().any(|r| r.runbook.id == runbook.id) {
            return Err(Refusal::RunbookAttached {
                incident: self.number,
                title: runbook.title.clone(),
            });
        }
        Ok(EventKind::RunbookAttached {
            runbook: Box::new(runbook.clone()),
        })
    }

    /// Decides marking a step done or skipped.
    pub fn finish_step(&self, number: u32, outcome: StepOutcome) -> Result<EventKind, Refusal> {
        if self.status == Status::Resolved {
            return Err(Refusal::Resolved(self.number));
        }
        let total = self.numbered_steps().count();
        if self.runbooks.is_empty() {
            return Err(Refusal::NoRunbook(self.number));
        }
        let Some(step) = self.numbered_steps().find(|s| s.number == number) else {
            return Err(Refusal::NoSuchStep {
                incident: self.number,
                number,
                total,
            });
        };
        let (how, by) = match step.state() {
            StepState::Pending => {
                let runbook = step.runbook.runbook.id.clone();
                let index = u32::try_from(step.index).unwrap_or(u32::MAX);
                let title = step.step().title.clone();
                return Ok(match outcome {
                    StepOutcome::Done(note) => EventKind::StepDone {
                        runbook,
                        index,
                        number,
                        title,
                        note,
                    },
                    StepOutcome::Skipped(reason) => EventKind::StepSkipped {
                        runbook,
                        index,
                        number,
                        title,
                        reason,
                    },
                });
            }
            StepState::Done { by, .. } => ("done", by),
            StepState::Skipped { by, .. } => ("skipped", by),
        };
        Err(Refusal::StepFinished {
            number,
            how,
            by: by.clone(),
        })
    }

    /// Makes a runbook event part of the incident's state.
    pub(super) fn apply_runbook_event(&mut self, kind: &EventKind, by: &UserId, at: DateTime<Utc>) {
        match kind {
            EventKind::RunbookAttached { runbook } => self.runbooks.push(AttachedRunbook {
                states: vec![StepState::Pending; runbook.steps.len()],
                runbook: (**runbook).clone(),
                failed: BTreeMap::new(),
            }),
            EventKind::ActionFinished {
                request,
                exit_code,
                timed_out,
                step: Some(number),
                ..
            } => {
                let Some((which, index)) = self
                    .numbered_steps()
                    .find(|s| s.number == *number)
                    .map(|s| (s.runbook.runbook.id.clone(), s.index))
                else {
                    return;
                };
                let Some(attached) = self.runbooks.iter_mut().find(|r| r.runbook.id == which)
                else {
                    return;
                };
                if *exit_code == Some(0) && !timed_out {
                    attached.failed.remove(&index);
                } else {
                    attached.failed.insert(
                        index,
                        FailedRun {
                            request: *request,
                            exit_code: *exit_code,
                            timed_out: *timed_out,
                            at,
                        },
                    );
                }
            }
            EventKind::StepDone {
                runbook,
                index,
                note,
                ..
            } => self.set_state(
                runbook,
                *index,
                StepState::Done {
                    by: by.clone(),
                    at,
                    note: note.clone(),
                },
            ),
            EventKind::StepSkipped {
                runbook,
                index,
                reason,
                ..
            } => self.set_state(
                runbook,
                *index,
                StepState::Skipped {
                    by: by.clone(),
                    at,
                    reason: reason.clone(),
                },
            ),
            _ => {}
        }
    }

    fn set_state(&mut self, runbook: &str, index: u32, state: StepState) {
        let slot = self
            .runbooks
            .iter_mut()
            .find(|r| r.runbook.id == runbook)
            .and_then(|r| r.states.get_mut(index as usize));
        if let Some(slot) = slot {
            *slot = state;
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::{IncidentNumber, IncidentTitle, Section, Severity};

    fn runbook(id: &str, steps: usize) -> Runbook {
        Runbook {
            id: id.into(),
            title: format!("Runbook {id}"),
            source: format!("{id}.md:1"),
            alerts: vec![],
            keywords: vec![],
            symptoms: vec![],
            severity: None,
            services: vec![],
            owner: None,
            steps: (0..steps)
                .map(|i| Step::manual(format!("step {i} of {id}"), Section::Diagnosis, i + 2))
                .collect(),
            prevention: vec![],
            facts: Vec::new(),
            contacts: Vec::new(),
            about: Vec::new(),
            quoted: Vec::new(),
        }
    }

    fn incident() -> Incident {
        let at = Utc.with_ymd_and_hms(2026, 1, 5, 14, 0, 0).unwrap();
        let title = IncidentTitle::parse("Checkout down").unwrap();
        Incident::declare(
            IncidentNumber(7),
            title,
            Severity::P1,
            UserId::parse("alice").unwrap(),
            at,
        )
        .0
    }

    fn record(incident: &mut Incident, kind: EventKind, who: &str) {
        let at = incident.declared_at;
        let event = incident.event(kind, UserId::parse(who).unwrap(), at);
        incident.apply(&event);
    }

    #[test]
    fn steps_are_numbered_across_runbooks_in_the_order_they_were_attached() {
        let mut incident = incident();
        let first = incident.attach_runbook(&runbook("db", 3)).unwrap();
        record(&mut incident, first, "alice");
        let second = incident.attach_runbook(&runbook("api", 2)).unwrap();
        record(&mut incident, second, "alice");
        let numbers: Vec<(u32, String)> = incident
            .numbered_steps()
            .map(|s| (s.number, s.step().title.clone()))
            .collect();
        assert_eq!(numbers.len(), 5);
        assert_eq!(numbers[3], (4, "step 0 of api".to_owned()));
        assert_eq!(incident.first_step_number("api"), Some(4));
    }

    #[test]
    fn a_failed_run_stays_on_its_step_until_a_run_ends_well() {
        let mut incident = incident();
        let attach = incident.attach_runbook(&runbook("db", 2)).unwrap();
        record(&mut incident, attach, "alice");
        let attach = incident.attach_runbook(&runbook("api", 2)).unwrap();
        record(&mut incident, attach, "alice");
        let finished = |request, exit_code, step| EventKind::ActionFinished {
            request: RequestId(request),
            exit_code,
            timed_out: false,
            output: String::new(),
            step,
            drill: false,
        };
        record(&mut incident, finished(1, Some(2), Some(4)), "warroom");
        let api = &incident.runbooks[1];
        assert!(incident.runbooks[0].failed.is_empty());
        assert_eq!(
            api.failed.get(&1).map(ToString::to_string).as_deref(),
            Some("r1 failed with exit code 2")
        );
        // An older event names no step and changes nothing; a later failure replaces it.
        record(&mut incident, finished(2, None, None), "warroom");
        record(&mut incident, finished(3, None, Some(4)), "warroom");
        assert_eq!(
            incident.runbooks[1].failed[&1].to_string(),
            "r3 ended without an exit code"
        );
        record(&mut incident, finished(4, Some(0), Some(4)), "warroom");
        assert!(incident.runbooks[1].failed.is_empty());
        // It round-trips, and a runbook stored before it existed reads as having none.
        let json = serde_json::to_string(&incident.runbooks[1]).unwrap();
        assert!(!json.contains("failed"), "{json}");
        let back: AttachedRunbook = serde_json::from_str(&json).unwrap();
        assert_eq!(back, incident.runbooks[1]);
    }

    #[test]
    fn a_step_is_finished_once_and_attaching_twice_is_refused() {
        let mut incident = incident();
        let attach = incident.attach_runbook(&runbook("db", 2)).unwrap();
        record(&mut incident, attach, "alice");
        assert_eq!(
            incident
                .attach_runbook(&runbook("db", 2))
                .unwrap_err()
                .to_string(),
            "Runbook db is already attached to INC-7"
        );
        let done = incident.finish_step(2, StepOutcome::Done(None)).unwrap();
        record(&mut incident, done, "bob");
        assert_eq!(incident.runbooks[0].progress(), (1, 0));
        assert_eq!(
            incident
                .finish_step(2, StepOutcome::Skipped(None))
                .unwrap_err()
                .to_string(),
            "step 2 was already done by bob"
        );
        assert_eq!(
            incident
                .finish_step(9, StepOutcome::Done(None))
                .unwrap_err()
                .to_string(),
            "INC-7 has no step 9 (its runbooks have 2 steps)"
        );
    }
}
