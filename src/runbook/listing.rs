//! Runbooks in the JSON shape of `warroom runbooks list --json`, which other tools read:
//! `[{"id","title","source","alerts":[…],"facts":[{"key","value"}],"contacts":[…],
//! "steps":[{"title","heading","only_if","section","kind","command","risk","runnable","why","details":[…]}]}]`.

use serde::Serialize;

use crate::domain::{Fact, Risk, RiskPolicy, Runbook, Section, StepKind};

/// One runbook as listed.
#[derive(Debug, Serialize)]
pub struct Listed<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its title.
    pub title: &'a str,
    /// `FILE:LINE`.
    pub source: &'a str,
    /// The alert names it lists.
    pub alerts: &'a [String],
    /// What it states as key and value.
    pub facts: &'a [Fact],
    /// Its own contacts or escalation list.
    pub contacts: &'a [String],
    /// Its steps.
    pub steps: Vec<ListedStep<'a>>,
}

/// One step as listed; `command`, `risk` and `why` may be null.
#[derive(Debug, Serialize)]
pub struct ListedStep<'a> {
    /// What it does.
    pub title: &'a str,
    /// The author's heading it stands under, or null.
    pub heading: Option<&'a str>,
    /// The condition it is under, or null.
    pub only_if: Option<&'a str>,
    /// Its section tag, in snake_case.
    pub section: Section,
    /// `manual`, `command` (Warroom may run it), `script` or `sql` (shown to copy, never run).
    pub kind: StepKind,
    /// Its code: the command, script or SQL.
    pub command: Option<&'a str>,
    /// The effective risk of its code: the built-in rules', raised by the runbook's annotation
    /// and the configuration. Null for a person's task.
    pub risk: Option<Risk>,
    /// Whether Warroom would run it (on a click, or once approved).
    pub runnable: bool,
    /// Why Warroom would not run its code, in plain words. Null when it would, or when there
    /// is no code.
    pub why: Option<String>,
    /// What the author nested under it, one entry per item (empty when nothing).
    pub details: &'a [String],
}

/// Runbooks as `warroom runbooks list --json` shows them, judged with `policy`.
pub fn listing<'a>(runbooks: &'a [Runbook], policy: &RiskPolicy) -> Vec<Listed<'a>> {
    runbooks
        .iter()
        .map(|r| Listed {
            id: &r.id,
            title: &r.title,
            source: &r.source,
            alerts: &r.alerts,
            facts: &r.facts,
            contacts: &r.contacts,
            steps: r
                .steps
                .iter()
                .map(|s| {
                    let verdict = policy.verdict(s);
                    ListedStep {
                        title: &s.title,
                        heading: s.heading.as_deref(),
                        only_if: s.only_if.as_deref(),
                        section: s.section,
                        kind: s.kind,
                        command: s.command.as_deref(),
                        risk: verdict.as_ref().map(|v| v.risk),
                        runnable: verdict.as_ref().is_some_and(|v| v.runs()),
                        why: verdict.and_then(|v| v.refusal),
                        details: &s.details,
                    }
                })
                .collect(),
        })
        .collect()
}
