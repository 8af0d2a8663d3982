//! What Warroom would do with a runbook step's code, decided before anyone clicks: the risk it
//! gives the code (the built-in rules' verdict, raised and never lowered by the runbook's
//! annotation and by the configuration), whether it would run it, and if not, why. The war
//! room's labels, the Run button and `warroom runbooks list | show | lint` all read it here.

use std::collections::BTreeMap;

use super::risk::{classify, classify_sql};
use super::{Risk, Step, StepKind};

/// The label of code Warroom shows and never runs.
pub const COPY_ONLY: &str = "copy only";

/// Why a script is never run, in the words list, show and lint use.
const SCRIPT: &str =
    "a script: loops, pipes, redirections and substitutions are shown to copy, never run";

/// Why SQL is never run.
const SQL: &str = "SQL to copy into a database client";

/// No risk raised by any action: what [`RiskPolicy::built_in`] borrows.
static NOTHING_RAISED: BTreeMap<String, Risk> = BTreeMap::new();

/// What a team's configuration (`[actions]`) adds to the built-in rules: risks raised by
/// action name, and the dangerous command lines it lets run anyway (after approval).
#[derive(Debug, Clone, Copy)]
pub struct RiskPolicy<'a> {
    /// Risks raised by action name (`[actions.risk]`); never lowered.
    pub raised: &'a BTreeMap<String, Risk>,
    /// Exact command lines, as the runbook writes them, that run although dangerous.
    pub dangerous_allowlist: &'a [String],
}

/// Warroom's decision on one code step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The effective risk: the rules', raised by the annotation and the configuration.
    pub risk: Risk,
    /// Why that risk: the deciding part of the code, or who raised it.
    pub reason: String,
    /// Why Warroom would not run it, in plain words; `None` when it would.
    pub refusal: Option<String>,
}

impl Verdict {
    /// Whether Warroom would run the step (on a click, or once approved).
    pub fn runs(&self) -> bool {
        self.refusal.is_none()
    }

    /// The war room's label: `read` (runs on a click), `needs approval` (a write, or an
    /// allowlisted dangerous command) or `copy only`.
    pub fn label(&self) -> &'static str {
        match (self.runs(), self.risk) {
            (false, _) => COPY_ONLY,
            (true, Risk::Read) => "read",
            (true, Risk::Write | Risk::Dangerous) => "needs approval",
        }
    }
}

impl RiskPolicy<'static> {
    /// The built-in rules and the runbooks' annotations alone, as without a configuration.
    pub fn built_in() -> Self {
        RiskPolicy {
            raised: &NOTHING_RAISED,
            dangerous_allowlist: &[],
        }
    }
}

impl RiskPolicy<'_> {
    /// The verdict on `step`'s code; `None` for a step without code (a person's task).
    pub fn verdict(&self, step: &Step) -> Option<Verdict> {
        let code = step.command.as_deref()?;
        let judged = match step.kind {
            StepKind::Manual => return None,
            StepKind::Sql => classify_sql(code),
            StepKind::Command | StepKind::Script => classify(code),
        };
        let (mut risk, mut reason) = (judged.risk, judged.reason);
        let configured = step.action.as_ref().and_then(|action| {
            self.raised
                .get(action)
                .map(|&r| (r, format!("the configuration marks `{action}` {r}")))
        });
        let annotated = step.risk.map(|r| (r, format!("the runbook marks it {r}")));
        for (raised, why) in [annotated, configured].into_iter().flatten() {
            if raised > risk {
                (risk, reason) = (raised, why);
            }
        }
        let refusal = match step.kind {
            StepKind::Script => Some(SCRIPT.to_owned()),
            StepKind::Sql => Some(SQL.to_owned()),
            _ if risk == Risk::Dangerous && !self.allows(code) => {
                Some(format!("dangerous: {reason}"))
            }
            _ => None,
        };
        Some(Verdict {
            risk,
            reason,
            refusal,
        })
    }

    /// Whether the configuration lets `command` run although it is dangerous.
    fn allows(&self, command: &str) -> bool {
        self.dangerous_allowlist
            .iter()
            .any(|c| c.trim() == command.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Section;

    fn step(kind: StepKind, code: &str) -> Step {
        Step {
            title: "A step".into(),
            section: Section::Diagnosis,
            heading: None,
            only_if: None,
            kind,
            command: Some(code.into()),
            risk: None,
            action: None,
            timeout_secs: None,
            line: 7,
            details: Vec::new(),
        }
    }

    fn verdict(step: &Step) -> Verdict {
        RiskPolicy::built_in()
            .verdict(step)
            .expect("code has a verdict")
    }

    #[test]
    fn an_unannotated_command_gets_the_rules_risk() {
        let v = verdict(&step(StepKind::Command, "kubectl get pods -n <ns>"));
        assert_eq!((v.risk, v.runs(), v.label()), (Risk::Read, true, "read"));
        let v = verdict(&step(
            StepKind::Command,
            "kubectl rollout restart deployment/api",
        ));
        assert_eq!(
            (v.risk, v.runs(), v.label()),
            (Risk::Write, true, "needs approval")
        );
    }

    #[test]
    fn the_annotation_raises_and_never_lowers() {
        let mut raised = step(StepKind::Command, "kubectl get pods");
        raised.risk = Some(Risk::Write);
        let v = verdict(&raised);
        assert_eq!(v.risk, Risk::Write);
        assert_eq!(v.reason, "the runbook marks it write");
        let mut lowered = step(StepKind::Command, "kubectl delete pod <pod>");
        lowered.risk = Some(Risk::Read);
        let v = verdict(&lowered);
        assert_eq!(v.risk, Risk::Dangerous);
        assert!(!v.runs());
        assert!(
            v.refusal
                .as_deref()
                .is_some_and(|r| r.starts_with("dangerous: kubectl delete")),
            "{v:?}"
        );
    }

    #[test]
    fn the_configuration_raises_by_action_and_allows_exact_dangerous_lines() {
        let mut s = step(StepKind::Command, "kubectl rollout restart deployment/api");
        s.action = Some("restart-api".into());
        s.risk = Some(Risk::Write);
        let raised = BTreeMap::from([("restart-api".to_owned(), Risk::Dangerous)]);
        let mut policy = RiskPolicy {
            raised: &raised,
            dangerous_allowlist: &[],
        };
        let v = policy.verdict(&s).unwrap();
        assert_eq!(v.risk, Risk::Dangerous);
        assert_eq!(v.reason, "the configuration marks `restart-api` dangerous");
        assert_eq!(v.label(), COPY_ONLY);
        let allowed = ["  kubectl rollout restart deployment/api ".to_owned()];
        policy.dangerous_allowlist = &allowed;
        let v = policy.verdict(&s).unwrap();
        assert_eq!((v.risk, v.runs()), (Risk::Dangerous, true));
        assert_eq!(v.label(), "needs approval");
    }

    #[test]
    fn a_program_without_a_rule_is_dangerous_and_says_so() {
        let v = verdict(&step(StepKind::Command, "frobnicate --now"));
        assert_eq!(v.risk, Risk::Dangerous);
        assert_eq!(
            v.refusal.as_deref(),
            Some("dangerous: Warroom has no rule for `frobnicate`")
        );
    }

    #[test]
    fn scripts_and_sql_never_run_but_keep_their_risk() {
        let v = verdict(&step(StepKind::Script, "kubectl get pods | grep api"));
        assert_eq!(
            (v.risk, v.runs(), v.label()),
            (Risk::Dangerous, false, COPY_ONLY)
        );
        assert_eq!(v.refusal.as_deref(), Some(SCRIPT));
        let v = verdict(&step(
            StepKind::Sql,
            "SELECT count(*) FROM pg_stat_activity;",
        ));
        assert_eq!((v.risk, v.runs()), (Risk::Read, false));
        assert_eq!(v.refusal.as_deref(), Some(SQL));
        let v = verdict(&step(StepKind::Sql, "DELETE FROM sessions;"));
        assert_eq!(v.risk, Risk::Dangerous);
        // Even allowlisted, SQL is for a database client.
        let allowed = ["DELETE FROM sessions;".to_owned()];
        let policy = RiskPolicy {
            raised: &NOTHING_RAISED,
            dangerous_allowlist: &allowed,
        };
        let s = step(StepKind::Sql, "DELETE FROM sessions;");
        assert!(!policy.verdict(&s).unwrap().runs());
    }

    #[test]
    fn a_persons_task_has_no_verdict() {
        let mut manual = step(StepKind::Manual, "");
        manual.command = None;
        assert_eq!(RiskPolicy::built_in().verdict(&manual), None);
    }
}
