//! What a command is once read: [`Command`] (an [`Action`] and the incident it names, if any),
//! each action's command word, and [`USAGE`], the usage line of every command. Reading the
//! words of a chat message into a `Command` is the grammar's job (`grammar.rs`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ClockTime, IncidentNumber, IncidentTitle, NoteText, Role, Severity, Status, UserId};

/// A parsed command: what to do, and to which incident when the text named one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    /// The incident named in the text (`ack INC-7`); `None` means the room's incident.
    pub incident: Option<IncidentNumber>,
    /// What to do.
    pub action: Action,
}

/// What a command asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verb", rename_all = "snake_case")]
pub enum Action {
    /// Open an incident and its war room.
    Declare {
        /// Its severity.
        severity: Severity,
        /// Its title.
        title: IncidentTitle,
        /// Whether it is private (a security incident): not announced, not on a status page.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        private: bool,
    },
    /// Post a status update for stakeholders.
    Update {
        /// What it says.
        text: NoteText,
        /// Whether it also goes on the status page.
        public: bool,
        /// When the next update is due, from now.
        next: Option<std::time::Duration>,
    },
    /// Change the title.
    Title {
        /// The new title.
        title: IncidentTitle,
    },
    /// Write the summary for stakeholders.
    Summary {
        /// The summary.
        text: NoteText,
    },
    /// Say when the impact started.
    ImpactStarted {
        /// When.
        at: ClockTime,
    },
    /// Say when the problem was detected.
    Detected {
        /// When.
        at: ClockTime,
    },
    /// Name the affected services.
    Services {
        /// Their names.
        services: Vec<String>,
    },
    /// Make the incident private.
    Private,
    /// Change the severity.
    Severity {
        /// The new severity.
        severity: Severity,
        /// Why.
        reason: Option<NoteText>,
    },
    /// Acknowledge: someone is on it, paging stops.
    Ack,
    /// Change the status.
    Status {
        /// The new status.
        status: Status,
        /// A note for the timeline.
        note: Option<NoteText>,
    },
    /// Resolve (the same as `status resolved`).
    Resolve {
        /// A note for the timeline.
        note: Option<NoteText>,
    },
    /// Open a resolved incident again.
    Reopen {
        /// Why.
        reason: Option<NoteText>,
    },
    /// Give someone a role.
    Assign {
        /// The role.
        role: Role,
        /// The person.
        user: UserId,
    },
    /// Add a note to the timeline.
    Note {
        /// The note.
        text: NoteText,
    },
    /// Show or search runbooks.
    Runbook {
        /// Words to search for.
        query: Option<String>,
    },
    /// Attach a runbook to the incident and post its steps.
    Attach {
        /// The runbook's id.
        runbook: String,
    },
    /// Mark a runbook step done.
    StepDone {
        /// The step's number.
        step: u32,
        /// A note for the timeline.
        note: Option<NoteText>,
    },
    /// Skip a runbook step.
    StepSkip {
        /// The step's number.
        step: u32,
        /// Why.
        reason: Option<NoteText>,
    },
    /// Run a runbook step.
    Run {
        /// The step's number.
        step: u32,
        /// Parameter values given with it (`pod_name=api-7f9c`), checked before use.
        params: BTreeMap<String, String>,
    },
    /// Approve an action request.
    Approve {
        /// The request's id.
        request: String,
    },
    /// Deny an action request.
    Deny {
        /// The request's id.
        request: String,
        /// Why.
        reason: Option<NoteText>,
    },
    /// Show the timeline.
    Timeline,
    /// Post the post-mortem draft.
    Postmortem,
    /// List open incidents.
    List,
    /// Show who is on call now.
    OnCall,
    /// Show the commands.
    Help,
}

impl Action {
    /// The command word of this action (`ack`), for messages.
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Declare { .. } => "declare",
            Action::Update { .. } => "update",
            Action::Title { .. } => "title",
            Action::Summary { .. } => "summary",
            Action::ImpactStarted { .. } => "impact",
            Action::Detected { .. } => "detected",
            Action::Services { .. } => "services",
            Action::Private => "private",
            Action::Severity { .. } => "sev",
            Action::Ack => "ack",
            Action::Status { .. } => "status",
            Action::Resolve { .. } => "resolve",
            Action::Reopen { .. } => "reopen",
            Action::Assign { .. } => "assign",
            Action::Note { .. } => "note",
            Action::Runbook { .. } => "runbook",
            Action::Attach { .. } => "runbook",
            Action::StepDone { .. } => "done",
            Action::StepSkip { .. } => "skip",
            Action::Run { .. } => "run",
            Action::Approve { .. } => "approve",
            Action::Deny { .. } => "deny",
            Action::Timeline => "timeline",
            Action::Postmortem => "postmortem",
            Action::List => "list",
            Action::OnCall => "oncall",
            Action::Help => "help",
        }
    }
}

/// The usage line of every command, in the order `help` shows them.
pub const USAGE: &[(&str, &str)] = &[
    ("declare", "declare [private] <p0|p1|p2|p3> <title…>"),
    ("sev", "sev <p0|p1|p2|p3> [reason]"),
    ("ack", "ack"),
    (
        "status",
        "status <investigating|identified|mitigated|resolved> [note]",
    ),
    ("update", "update [public] <text…> [next <30m>]"),
    ("title", "title <text…>"),
    ("summary", "summary <text…>"),
    ("impact", "impact started <13:52|2026-12-07 13:52|15m ago>"),
    ("detected", "detected <13:52|2026-12-07 13:52|15m ago>"),
    ("services", "services <name,name…>"),
    ("private", "private"),
    ("resolve", "resolve [note]"),
    ("reopen", "reopen [reason]"),
    ("assign", "assign <commander|comms|scribe> @someone"),
    ("note", "note <text>"),
    ("runbook", "runbook [query]  or  runbook attach <id>"),
    ("done", "done <step> [note]"),
    ("skip", "skip <step> [reason]"),
    ("run", "run <step> [name=value…]"),
    ("approve", "approve <request>"),
    ("deny", "deny <request> [reason]"),
    ("timeline", "timeline"),
    ("postmortem", "postmortem"),
    ("list", "list"),
    ("oncall", "oncall"),
    ("help", "help"),
];

/// The id of a button, shown as `b12`. The same command always has the same id. It is opaque:
/// only the store mints one (from the row that keeps the button's command), and everyone else
/// reads one from its text (`"b12".parse()`) or carries it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct ButtonId(i64);

impl ButtonId {
    /// The id of the button kept in the store's row `row`.
    pub(crate) fn from_row(row: i64) -> ButtonId {
        ButtonId(row)
    }

    /// The store's row of this button.
    pub(crate) fn row(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for ButtonId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "b{}", self.0)
    }
}

impl std::str::FromStr for ButtonId {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.strip_prefix(['b', 'B']).ok_or(())?;
        if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(());
        }
        digits.parse().map(ButtonId).map_err(|_| ())
    }
}
