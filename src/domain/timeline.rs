//! The append-only timeline of an incident: typed events with actor and UTC time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::alert::{AlertRecord, describe_alerts};
use super::text::plural;
use super::{
    IncidentNumber, IncidentTitle, NoteText, RequestId, Risk, Role, Runbook, Severity, Status,
    UserId,
};

/// What a drill's run says instead of an exit code: nothing was started.
pub const DRILL_NOT_RUN: &str = "drill: not run";

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
        /// Whether it is a drill: declared in `warroom console`'s rehearsal mode, where no
        /// command runs and nobody is paged for real (absent, false, in older events).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        drill: bool,
        /// Whether it was declared private (a security incident): never announced, never on
        /// a status page (absent, false, in older events).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        private: bool,
    },
    /// A status update for stakeholders: posted in the war room and under the announcement,
    /// and on the status page when public.
    StatusUpdate {
        /// What it says.
        text: NoteText,
        /// Whether it goes on the status page.
        public: bool,
        /// The severity when it was posted.
        severity: Severity,
        /// The status when it was posted.
        status: Status,
        /// When the next update is due, when one was promised.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_update: Option<DateTime<Utc>>,
    },
    /// The title changed.
    TitleChanged {
        /// Before.
        from: IncidentTitle,
        /// After.
        to: IncidentTitle,
    },
    /// The summary for stakeholders was written or rewritten.
    SummaryChanged {
        /// The summary now.
        text: NoteText,
    },
    /// Someone said when the impact started.
    ImpactStarted {
        /// When.
        started: DateTime<Utc>,
    },
    /// Someone said when the problem was detected.
    Detected {
        /// When.
        detected: DateTime<Utc>,
    },
    /// The affected services were named.
    ServicesChanged {
        /// The services now.
        services: Vec<String>,
    },
    /// The incident was made private: from now on it is not announced or shown on a status
    /// page.
    MadePrivate,
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
    /// A chat message put on the timeline (Slack: a :pushpin: reaction), with who wrote it
    /// and when; the event's actor is whoever pinned it.
    Quoted {
        /// Who wrote the message.
        author: UserId,
        /// When they wrote it.
        said_at: DateTime<Utc>,
        /// What it said.
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
        runbook: Box<Runbook>,
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
    /// Someone asked to run a step's command.
    ActionRequested {
        /// The request.
        request: RequestId,
        /// The step's number.
        step: u32,
        /// The step's title.
        title: String,
        /// The command as approved and run: values filled in, secrets as `***` (in events
        /// recorded by older versions, the runbook's text with its placeholders).
        command: String,
        /// Its risk.
        risk: Risk,
    },
    /// An approver approved a request.
    ActionApproved {
        /// The request.
        request: RequestId,
    },
    /// An approver denied a request.
    ActionDenied {
        /// The request.
        request: RequestId,
        /// Why, when given.
        reason: Option<NoteText>,
    },
    /// A request was not decided in time.
    ActionExpired {
        /// The request.
        request: RequestId,
    },
    /// A request still waiting (for an approver, or to start) was dropped because the incident
    /// was resolved.
    ActionCancelled {
        /// The request.
        request: RequestId,
    },
    /// A request's command started.
    ActionStarted {
        /// The request.
        request: RequestId,
        /// Whether it was a drill that started nothing.
        dry_run: bool,
    },
    /// A request's command ended.
    ActionFinished {
        /// The request.
        request: RequestId,
        /// Its exit code; `None` when it was killed.
        exit_code: Option<i32>,
        /// Whether it was killed at its time limit.
        timed_out: bool,
        /// The end of its output, trimmed.
        output: String,
        /// The number of the step it ran (absent from events recorded before Warroom kept it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<u32>,
        /// Whether it was a drill that started nothing (its exit code means nothing then).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        drill: bool,
    },
    /// Warroom paged an escalation level because nobody had acknowledged.
    Paged {
        /// The level, from 1.
        level: u32,
        /// The people paged.
        people: Vec<UserId>,
        /// The groups paged.
        groups: Vec<String>,
        /// On-call aliases that named nobody.
        unresolved: Vec<String>,
        /// How late the page fired, in seconds (after a restart it can be late).
        late_secs: i64,
        /// The timer that fired it, so that a timer taken over after a crash pages once.
        #[serde(default)]
        timer: Option<i64>,
    },
    /// A page reached the chat of the person paged (the event's time is when it did).
    PageDelivered {
        /// The level it paged.
        level: u32,
        /// Who was paged.
        person: UserId,
        /// How long after the page was decided it was delivered, in seconds.
        delay_secs: i64,
    },
    /// A paged person was reached beyond chat (an email, a push, a webhook, a provider's
    /// alert), the event's time being when the contact took it.
    Notified {
        /// The level it paged.
        level: u32,
        /// Who was paged.
        person: UserId,
        /// How.
        via: super::ContactKind,
        /// How long after the page was decided the contact took it, in seconds (a rule's own
        /// wait included).
        delay_secs: i64,
    },
    /// Something Warroom had to tell a chat was refused for good (or given up on).
    DeliveryFailed {
        /// What it was (`create the war room`, `send the page to @bob`).
        what: String,
        /// Why, as the chat said it.
        reason: String,
    },
    /// Alerts of a monitoring group fired (the first ones, or new ones in the group).
    AlertsFiring {
        /// The alert group's key (Alertmanager's `groupKey`).
        group: String,
        /// The alerts that are new to this incident.
        alerts: Vec<AlertRecord>,
    },
    /// Alerts of a monitoring group were resolved by the monitoring system.
    AlertsResolved {
        /// The alert group's key.
        group: String,
        /// The alerts that resolved.
        alerts: Vec<AlertRecord>,
        /// Whether every alert of the group is resolved now.
        all: bool,
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

/// `45 s`, `3 min 05 s`, `2 h 03 min`.
fn seconds(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {:02} s", s / 60, s % 60),
        s => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

impl EventKind {
    /// The event's type as stored and shown (`status_changed`).
    pub fn type_name(&self) -> &'static str {
        match self {
            EventKind::Declared { .. } => "declared",
            EventKind::StatusUpdate { .. } => "status_update",
            EventKind::TitleChanged { .. } => "title_changed",
            EventKind::SummaryChanged { .. } => "summary_changed",
            EventKind::ImpactStarted { .. } => "impact_started",
            EventKind::Detected { .. } => "detected",
            EventKind::ServicesChanged { .. } => "services_changed",
            EventKind::MadePrivate => "made_private",
            EventKind::SeverityChanged { .. } => "severity_changed",
            EventKind::StatusChanged { .. } => "status_changed",
            EventKind::Acknowledged => "acknowledged",
            EventKind::RoleAssigned { .. } => "role_assigned",
            EventKind::Note { .. } => "note",
            EventKind::Quoted { .. } => "quoted",
            EventKind::Reopened { .. } => "reopened",
            EventKind::RunbookAttached { .. } => "runbook_attached",
            EventKind::StepDone { .. } => "step_done",
            EventKind::StepSkipped { .. } => "step_skipped",
            EventKind::Paged { .. } => "paged",
            EventKind::PageDelivered { .. } => "page_delivered",
            EventKind::Notified { .. } => "notified",
            EventKind::DeliveryFailed { .. } => "delivery_failed",
            EventKind::ActionRequested { .. } => "action_requested",
            EventKind::ActionApproved { .. } => "action_approved",
            EventKind::ActionDenied { .. } => "action_denied",
            EventKind::ActionExpired { .. } => "action_expired",
            EventKind::ActionCancelled { .. } => "action_cancelled",
            EventKind::ActionStarted { .. } => "action_started",
            EventKind::ActionFinished { .. } => "action_finished",
            EventKind::AlertsFiring { .. } => "alerts_firing",
            EventKind::AlertsResolved { .. } => "alerts_resolved",
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
            EventKind::Declared {
                title,
                severity,
                drill,
                private,
            } => {
                let drill = if *drill { " (a drill)" } else { "" };
                let private = if *private { " (private)" } else { "" };
                format!("declared the incident as {severity}: {title}{private}{drill}")
            }
            EventKind::StatusUpdate {
                text,
                public,
                next_update,
                ..
            } => {
                let kind = if *public {
                    "a public status update"
                } else {
                    "a status update"
                };
                let next = next_update
                    .map(|at| format!(" (next update by {} UTC)", at.format("%H:%M")))
                    .unwrap_or_default();
                format!("posted {kind}: {text}{next}")
            }
            EventKind::TitleChanged { from, to } => {
                format!("changed the title from “{from}” to “{to}”")
            }
            EventKind::SummaryChanged { text } => format!("wrote the summary: {text}"),
            EventKind::ImpactStarted { started } => format!(
                "said the impact started at {}",
                started.format("%Y-%m-%d %H:%M UTC")
            ),
            EventKind::Detected { detected } => format!(
                "said it was detected at {}",
                detected.format("%Y-%m-%d %H:%M UTC")
            ),
            EventKind::ServicesChanged { services } => {
                format!("named the affected services: {}", services.join(", "))
            }
            EventKind::MadePrivate => "made the incident private".to_owned(),
            EventKind::SeverityChanged { from, to, reason } => {
                with(&format!("changed severity {from} → {to}"), reason)
            }
            EventKind::StatusChanged { from, to, note } => {
                with(&format!("changed status {from} → {to}"), note)
            }
            EventKind::Acknowledged => "acknowledged".to_owned(),
            EventKind::RoleAssigned { role, user, .. } => format!("made {user} {role}"),
            EventKind::Note { text } => format!("noted: {text}"),
            EventKind::Quoted {
                author,
                said_at,
                text,
            } => format!(
                "pinned what {author} said at {} UTC: {text}",
                said_at.format("%H:%M")
            ),
            EventKind::Reopened { reason } => with("reopened the incident", reason),
            EventKind::RunbookAttached { runbook } => format!(
                "attached the runbook {} ({})",
                runbook.title,
                plural(runbook.steps.len(), "step")
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
            EventKind::ActionRequested {
                request,
                step,
                title,
                command,
                risk,
            } => format!(
                "asked to run step {step} ({title}), a {risk} action, as {request}: {command}"
            ),
            EventKind::Paged {
                level,
                people,
                groups,
                unresolved,
                late_secs,
                ..
            } => {
                let mut who: Vec<String> = people.iter().map(ToString::to_string).collect();
                who.extend(groups.iter().map(|g| format!("group {g}")));
                let mut text = format!("paged level {level}: ");
                text.push_str(&if who.is_empty() {
                    "nobody".to_owned()
                } else {
                    who.join(", ")
                });
                if !unresolved.is_empty() {
                    text.push_str(&format!(" (no one on call for {})", unresolved.join(", ")));
                }
                if *late_secs >= 60 {
                    text.push_str(&format!(" ({} min late)", late_secs / 60));
                }
                text
            }
            EventKind::PageDelivered {
                level,
                person,
                delay_secs,
            } => {
                if *delay_secs >= 2 {
                    format!(
                        "delivered the level {level} page to {person} ({} after it was sent)",
                        seconds(*delay_secs)
                    )
                } else {
                    format!("delivered the level {level} page to {person}")
                }
            }
            EventKind::Notified {
                level,
                person,
                via,
                delay_secs,
            } => format!(
                "reached {person} by {via} for the level {level} page ({} after the page)",
                seconds(*delay_secs)
            ),
            EventKind::DeliveryFailed { what, reason } => {
                format!("could not {what}: {reason}")
            }
            EventKind::AlertsFiring { alerts, .. } => {
                let n = alerts.len();
                let noun = if n == 1 { "alert" } else { "alerts" };
                format!("{n} {noun} firing: {}", describe_alerts(alerts))
            }
            EventKind::AlertsResolved { alerts, all, .. } => {
                let n = alerts.len();
                let noun = if n == 1 { "alert" } else { "alerts" };
                let tail = if *all {
                    " (all alerts of the group are resolved)"
                } else {
                    ""
                };
                format!("{n} {noun} resolved: {}{tail}", describe_alerts(alerts))
            }
            EventKind::ActionApproved { request } => format!("approved {request}"),
            EventKind::ActionDenied { request, reason } => {
                with(&format!("denied {request}"), reason)
            }
            EventKind::ActionExpired { request } => format!("let {request} expire undecided"),
            EventKind::ActionCancelled { request } => {
                format!("cancelled {request}: the incident was resolved")
            }
            EventKind::ActionStarted { request, dry_run } => {
                if *dry_run {
                    format!("ran {request} as a drill (nothing started)")
                } else {
                    format!("started {request}")
                }
            }
            EventKind::ActionFinished {
                request,
                drill: true,
                ..
            } => format!("{request}: {DRILL_NOT_RUN}"),
            EventKind::ActionFinished {
                request,
                exit_code,
                timed_out,
                ..
            } => match (exit_code, timed_out) {
                (_, true) => format!("{request} was killed at its time limit"),
                (Some(code), false) => format!("{request} finished with exit code {code}"),
                (None, false) => format!("{request} was killed by a signal"),
            },
        }
    }
}
