//! What Warroom would do with a runbook step's code: the risk it gives a command (the rules'
//! verdict, raised by the runbook and the configuration), and the label the war room shows.

use super::ActionSettings;
use crate::domain::{Risk, Step, StepKind, classify};

/// The label of code Warroom shows and never runs.
pub(in crate::engine) const COPY_ONLY: &str = "copy only";

impl ActionSettings {
    /// The risk Warroom gives `step`'s `command`, and why: the built-in rules' verdict,
    /// raised (never lowered) by the runbook's annotation and by the configuration's risk for
    /// the step's action.
    pub(in crate::engine) fn judge(&self, step: &Step, command: &str) -> (Risk, String) {
        let judged = classify(command);
        let (mut risk, mut why) = (judged.risk, judged.reason);
        let configured = step
            .action
            .as_ref()
            .and_then(|a| self.raised.get(a).copied());
        for raised in [step.risk, configured].into_iter().flatten() {
            if raised > risk {
                risk = raised;
                why = format!("the runbook or the configuration marks it {raised}");
            }
        }
        (risk, why)
    }

    /// Whether Warroom would run `command` although it is dangerous (the allowlist).
    pub(super) fn allows(&self, command: &str) -> bool {
        self.dangerous_allowlist
            .iter()
            .any(|c| c.trim() == command.trim())
    }

    /// How the war room labels `step` (None for a manual step): `read` (runs on a click),
    /// `needs approval` (a write, or an allowlisted dangerous command), or `copy only`
    /// (a script, SQL, or a dangerous command: Warroom shows it and never runs it).
    pub(in crate::engine) fn label(&self, step: &Step) -> Option<&'static str> {
        match step.kind {
            StepKind::Manual => None,
            StepKind::Script | StepKind::Sql => Some(COPY_ONLY),
            StepKind::Command => {
                let command = step.command.as_deref()?;
                Some(match self.judge(step, command).0 {
                    Risk::Read => "read",
                    Risk::Write => "needs approval",
                    Risk::Dangerous if self.allows(command) => "needs approval",
                    Risk::Dangerous => COPY_ONLY,
                })
            }
        }
    }
}
