//! Runbooks as Warroom understands them: steps grouped by section, each maybe with a command,
//! plus what is needed to match a runbook to an incident. Pure data; reading Markdown into it
//! lives in `crate::runbook`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::Severity;

/// One runbook: a procedure for one kind of incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Runbook {
    /// A stable id: the front matter's `id`, else a slug of the title
    /// (`database-connection-pool-exhausted`); an `[RB-001]` tag becomes `rb-001`.
    pub id: String,
    /// The title without decoration (emoji, `Runbook:`, `[RB-001]`, `Scenario 3:`).
    pub title: String,
    /// Where it was read from: `path/to/file.md:LINE` (the line of its heading or front matter).
    pub source: String,
    /// Alert names that this runbook is for (`DatabaseConnectionPoolExhausted`).
    pub alerts: Vec<String>,
    /// Extra words to match on, from the front matter.
    pub keywords: Vec<String>,
    /// The symptoms as written (one entry per bullet or sentence), for matching and display.
    pub symptoms: Vec<String>,
    /// The severity this kind of incident usually has, when the runbook says.
    pub severity: Option<Severity>,
    /// Services it concerns, from the front matter.
    pub services: Vec<String>,
    /// Who owns the runbook, when it says.
    pub owner: Option<String>,
    /// The steps, in the order they appear.
    pub steps: Vec<Step>,
    /// Prevention items (kept for post-mortem follow-ups; not steps to run during an incident).
    pub prevention: Vec<String>,
    /// What the runbook states about the incident as key and value (`RTO`, `< 5 min`;
    /// `Dashboard`, a link), shown when it is attached; never steps.
    #[serde(default)]
    pub facts: Vec<Fact>,
    /// Its own escalation or contacts list, one entry per person or row as written.
    #[serde(default)]
    pub contacts: Vec<String>,
    /// What it says of the incident it is for, in prose: the paragraphs right under its title
    /// and under headings such as Overview, Meaning or Incident Type, at most
    /// [`ABOUT_MAX_CHARS`] in all. Matched on, as the symptoms are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub about: Vec<String>,
    /// What it quotes in code that gives no steps, one entry per block on one line: output,
    /// log lines and error messages, such as a responder may paste from their screen
    /// (`ERROR: invalid page in block 4 of relation base/16401/33909`). At most
    /// [`QUOTED_BLOCK_CHARS`] of a block and [`QUOTED_MAX_CHARS`] in all. Matched on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quoted: Vec<String>,
}

/// The most characters of a runbook's prose kept in [`Runbook::about`].
pub const ABOUT_MAX_CHARS: usize = 2_000;

/// The most characters of one quoted block kept in [`Runbook::quoted`].
pub const QUOTED_BLOCK_CHARS: usize = 300;

/// The most characters kept in [`Runbook::quoted`] in all.
pub const QUOTED_MAX_CHARS: usize = 2_000;

/// A key–value statement of a runbook (`Severity: Error`, `RTO: < 5 min`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    /// What it is about, as written (`Recovery time objective (RTO)`).
    pub key: String,
    /// Its value, as written (`< 5 min`).
    pub value: String,
}

/// One step of a runbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StepWire")]
pub struct Step {
    /// What the step does (`Check current connections`).
    pub title: String,
    /// The part of the procedure it belongs to: a tag for matching and the post-mortem, which
    /// never reorders steps.
    pub section: Section,
    /// The innermost of the author's headings above it inside its runbook, as written
    /// (`4.4 Recovery Actions`); None for a step right under the runbook's title.
    pub heading: Option<String>,
    /// The condition the author put it under (`If the server rebooted`), shown as "only if".
    pub only_if: Option<String>,
    /// What the step holds: a person's task, a command Warroom may run, or code to copy.
    pub kind: StepKind,
    /// The step's code, whole (continuation lines and multi-line quotes kept), when there is
    /// one: the command of a [`StepKind::Command`], the script or SQL of the others.
    pub command: Option<String>,
    /// The command's risk, when known (a fence annotation, or later the built-in rules).
    pub risk: Option<Risk>,
    /// The action name from a fence annotation (`action=restart-api`).
    pub action: Option<String>,
    /// A timeout from a fence annotation, in seconds (`timeout=60s`).
    pub timeout_secs: Option<u64>,
    /// The line in the source file where the step starts.
    pub line: usize,
    /// What the author nested under the step, one entry per item as written (`who received
    /// the message`, `email address of the sender`): the checklist that goes with it. At most
    /// [`STEP_DETAILS_MAX`] entries of [`STEP_DETAIL_CHARS`]. Shown with the step, matched on
    /// as step text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// The most entries kept in [`Step::details`].
pub const STEP_DETAILS_MAX: usize = 12;

/// The most characters of one entry of [`Step::details`].
pub const STEP_DETAIL_CHARS: usize = 300;

/// What a step holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Something a person does: look at a dashboard, tell a team, decide.
    #[default]
    Manual,
    /// One program with its arguments, which Warroom runs when its rules allow.
    Command,
    /// Shell code that is more than one command (a loop, conditional, function, heredoc,
    /// pipeline, list, redirection, substitution or assignment): shown to copy, never run.
    Script,
    /// SQL for a database client: shown to copy, never run.
    Sql,
}

impl StepKind {
    /// Its snake_case name, as JSON has it (`sql`).
    pub fn name(self) -> &'static str {
        match self {
            StepKind::Manual => "manual",
            StepKind::Command => "command",
            StepKind::Script => "script",
            StepKind::Sql => "sql",
        }
    }
}

/// A step as stored before steps had a kind: one with a command was a command.
#[derive(Deserialize)]
struct StepWire {
    title: String,
    section: Section,
    #[serde(default)]
    heading: Option<String>,
    #[serde(default)]
    only_if: Option<String>,
    #[serde(default)]
    kind: Option<StepKind>,
    command: Option<String>,
    risk: Option<Risk>,
    action: Option<String>,
    timeout_secs: Option<u64>,
    line: usize,
    #[serde(default)]
    details: Vec<String>,
}

impl From<StepWire> for Step {
    fn from(w: StepWire) -> Step {
        let kind = w.kind.unwrap_or(match w.command {
            Some(_) => StepKind::Command,
            None => StepKind::Manual,
        });
        Step {
            title: w.title,
            section: w.section,
            heading: w.heading,
            only_if: w.only_if,
            kind,
            command: w.command,
            risk: w.risk,
            action: w.action,
            timeout_secs: w.timeout_secs,
            line: w.line,
            details: w.details,
        }
    }
}

impl Step {
    /// A person's task: `title`, tagged `section`, from `line`, under no heading or condition.
    pub fn manual(title: impl Into<String>, section: Section, line: usize) -> Step {
        Step {
            title: title.into(),
            section,
            heading: None,
            only_if: None,
            kind: StepKind::Manual,
            command: None,
            risk: None,
            action: None,
            timeout_secs: None,
            line,
            details: Vec::new(),
        }
    }

    /// The command Warroom may run for this step: a [`StepKind::Command`]'s, never a script's
    /// or SQL's.
    pub fn runnable(&self) -> Option<&str> {
        (self.kind == StepKind::Command)
            .then_some(self.command.as_deref())
            .flatten()
    }
}

/// The part of a runbook a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// Finding out what is wrong: diagnosis, investigation, triage.
    Diagnosis,
    /// Making it stop hurting: quick fix, immediate actions, mitigation, remediation, recovery.
    Mitigation,
    /// Checking that it worked: verification, checklists.
    Verification,
    /// Finding the cause afterwards: root cause investigation.
    RootCause,
}

impl Section {
    /// Every section, in the order a responder goes through them.
    pub const ALL: [Section; 4] = [
        Section::Diagnosis,
        Section::Mitigation,
        Section::Verification,
        Section::RootCause,
    ];

    /// The heading shown above the section's steps.
    pub fn heading(self) -> &'static str {
        match self {
            Section::Diagnosis => "Diagnose",
            Section::Mitigation => "Fix",
            Section::Verification => "Verify",
            Section::RootCause => "Root cause",
        }
    }

    /// The snake_case name used in JSON (`root_cause`).
    pub fn name(self) -> &'static str {
        match self {
            Section::Diagnosis => "diagnosis",
            Section::Mitigation => "mitigation",
            Section::Verification => "verification",
            Section::RootCause => "root_cause",
        }
    }
}

/// How much harm a command can do (see docs/ACTIONS.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// Looks only; one click by any responder runs it.
    Read,
    /// Changes something reversible; needs a second person's approval.
    Write,
    /// Destroys or cannot be undone; shown, never run.
    Dangerous,
}

impl Risk {
    /// Its name: `read`, `write` or `dangerous`.
    pub fn name(self) -> &'static str {
        match self {
            Risk::Read => "read",
            Risk::Write => "write",
            Risk::Dangerous => "dangerous",
        }
    }
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Risk {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "read" | "safe" | "readonly" | "read-only" => Ok(Risk::Read),
            "write" => Ok(Risk::Write),
            "dangerous" | "danger" | "destructive" => Ok(Risk::Dangerous),
            _ => Err(()),
        }
    }
}

impl Runbook {
    /// The file it was read from: its `source` without the `:LINE`.
    pub fn file(&self) -> &str {
        self.source
            .rsplit_once(':')
            .map_or(self.source.as_str(), |(file, _)| file)
    }

    /// The steps of one section, with their index in `steps`.
    pub fn steps_in(&self, section: Section) -> impl Iterator<Item = (usize, &Step)> {
        self.steps
            .iter()
            .enumerate()
            .filter(move |(_, s)| s.section == section)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risks_read_the_usual_words() {
        assert_eq!("write".parse::<Risk>(), Ok(Risk::Write));
        assert_eq!("Dangerous".parse::<Risk>(), Ok(Risk::Dangerous));
        assert!("maybe".parse::<Risk>().is_err());
    }

    #[test]
    fn steps_stored_before_kinds_are_commands_when_they_have_one() {
        let stored = r#"{"title":"Restart","section":"mitigation","command":"kubectl rollout restart deployment/api","risk":null,"action":null,"timeout_secs":null,"line":3}"#;
        let step: Step = serde_json::from_str(stored).unwrap();
        assert_eq!(step.kind, StepKind::Command);
        assert_eq!(
            step.runnable(),
            Some("kubectl rollout restart deployment/api")
        );
        let manual = stored.replace(r#""kubectl rollout restart deployment/api""#, "null");
        assert_eq!(
            serde_json::from_str::<Step>(&manual).unwrap().kind,
            StepKind::Manual
        );
        let script = Step {
            kind: StepKind::Script,
            ..step
        };
        assert_eq!(script.runnable(), None);
        let again: Step = serde_json::from_str(&serde_json::to_string(&script).unwrap()).unwrap();
        assert_eq!(again, script);
    }

    #[test]
    fn sections_serialize_in_snake_case() {
        assert_eq!(
            serde_json::to_string(&Section::RootCause).unwrap(),
            "\"root_cause\""
        );
        for section in Section::ALL {
            assert_eq!(
                serde_json::to_string(&section).unwrap(),
                format!("\"{}\"", section.name())
            );
        }
    }
}
