//! The post-mortem's view model: everything the template shows, built from the timeline and
//! already formatted, with text for table cells made Markdown-safe.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use serde::Serialize;

use super::actions_view::{ActionRow, action_rows};
use super::durations::{Durations, durations, format_duration};
use super::runbooks_view::{RunbookView, runbook_views, suggested_follow_ups};
use crate::domain::{
    EventKind, Incident, IncidentNumber, IncidentTitle, NoteText, RequestId, Risk, Role, Runbook,
    Section, Severity, Status, Step, TimelineEvent, UserId,
};

/// Everything the post-mortem template shows, already formatted. Text meant for table
/// cells is Markdown-safe: `|` is escaped and line breaks are `<br>`.
#[derive(Debug, Clone, Serialize)]
pub struct PostmortemView {
    /// `INC-7`.
    pub number: String,
    /// The incident's title.
    pub title: String,
    /// Current severity (`P1`).
    pub severity: String,
    /// What the current severity means.
    pub severity_meaning: String,
    /// Current status (`Resolved`).
    pub status: String,
    /// Who declared it.
    pub declared_by: String,
    /// When, `2026-01-05 14:02:00 UTC`.
    pub declared_at: String,
    /// The commander, or `—`.
    pub commander: String,
    /// The comms lead, or `—`.
    pub comms: String,
    /// The scribe, or `—`.
    pub scribe: String,
    /// A few sentences on what happened, from the record.
    pub summary: String,
    /// The summary the responders wrote for stakeholders (`summary …`), as one line.
    pub stakeholder_summary: Option<String>,
    /// The services it hurt, `checkout, payments`; empty when none were named.
    pub services: String,
    /// When the impact started and was detected, when someone said so.
    pub impact: Option<ImpactView>,
    /// What the durations count from: `the impact start (…)` or `the declaration (…)`.
    pub counted_from: String,
    /// Every status update posted, in order.
    pub status_updates: Vec<UpdateRow>,
    /// The root cause as the responders named it when they said `identified`, unless they
    /// took it back; a draft to confirm.
    pub root_cause_draft: Option<String>,
    /// The first severity and every change.
    pub severity_history: Vec<SeverityStep>,
    /// Time to acknowledge, mitigate and resolve.
    pub durations: DurationsView,
    /// Every timeline entry.
    pub timeline: Vec<TimelineRow>,
    /// Everyone who acted or held a role.
    pub participants: Vec<Participant>,
    /// The runbooks attached, with what became of their steps.
    pub runbooks: Vec<RunbookView>,
    /// Every request to run a step: who asked, who decided, how it ended.
    pub actions: Vec<ActionRow>,
    /// Prevention items of the attached runbooks, offered as follow-ups.
    pub suggested_follow_ups: Vec<String>,
    /// When this draft was made, `2026-01-05 15:00:00 UTC`.
    pub generated_at: String,
    /// Whether the incident was a drill (its declaration says so).
    pub drill: bool,
}

/// One severity on the way: the first, or a change.
#[derive(Debug, Clone, Serialize)]
pub struct SeverityStep {
    /// When, `2026-01-05 14:02:00 UTC`.
    pub when: String,
    /// Who set it.
    pub who: String,
    /// The severity set (`P0`).
    pub severity: String,
    /// What it means.
    pub meaning: String,
    /// The severity before, `None` for the first.
    pub from: Option<String>,
    /// Why, when given; line breaks are `<br>`.
    pub reason: Option<String>,
}

/// The key durations as text (`4m 30s`, or `not acknowledged`).
#[derive(Debug, Clone, Serialize)]
pub struct DurationsView {
    /// Time to acknowledge.
    pub to_acknowledge: String,
    /// Time to mitigate.
    pub to_mitigate: String,
    /// Time to resolve.
    pub to_resolve: String,
}

/// The impact window, formatted.
#[derive(Debug, Clone, Serialize)]
pub struct ImpactView {
    /// When it started, `2026-01-05 13:52:00 UTC`.
    pub started: String,
    /// When it was detected, or `at the declaration`.
    pub detected: String,
    /// How long it went unnoticed (`6m 00s`).
    pub to_detect: String,
}

/// One status update; every field is Markdown-cell-safe.
#[derive(Debug, Clone, Serialize)]
pub struct UpdateRow {
    /// `2026-01-05 14:10:00 UTC`.
    pub when: String,
    /// Who posted it.
    pub who: String,
    /// `P1 · Investigating`.
    pub state: String,
    /// What it said.
    pub text: String,
    /// `status page` when it was public, else `chat`.
    pub audience: String,
}

/// One row of the timeline table; every field is Markdown-cell-safe.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineRow {
    /// `HH:MM:SS`, led by the date on the first row and whenever the date changes.
    pub time: String,
    /// Who did it.
    pub who: String,
    /// What happened.
    pub what: String,
}

/// A person in the response; every text field is Markdown-cell-safe.
#[derive(Debug, Clone, Serialize)]
pub struct Participant {
    /// Their user id.
    pub name: String,
    /// Roles held at the end, then roles handed on (`commander, former scribe`), or `—`.
    pub roles: String,
    /// How many timeline entries they made.
    pub entries: usize,
}

/// What the participants table learns about one person while reading the timeline.
#[derive(Default)]
struct Tally {
    entries: usize,
    former: Vec<Role>,
}

impl PostmortemView {
    /// Builds the view of an incident from its timeline (in `seq` order; sorted if not).
    pub fn from_timeline(
        incident: &Incident,
        timeline: &[TimelineEvent],
        generated_at: DateTime<Utc>,
    ) -> PostmortemView {
        let mut sorted;
        let timeline = if timeline.is_sorted_by_key(|e| e.seq) {
            timeline
        } else {
            sorted = timeline.to_vec();
            sorted.sort_by_key(|e| e.seq);
            &sorted[..]
        };
        let show =
            |d: Option<Duration>, missing: &str| d.map_or(missing.to_owned(), format_duration);
        let details = &incident.details;
        let measured = durations(timeline, details.impact_started, details.detected);
        let counted_from = match details.impact_started {
            Some(at) => format!("the impact start ({})", timestamp(at)),
            None => format!("the declaration ({})", timestamp(incident.declared_at)),
        };
        let impact = details.impact_started.map(|started| ImpactView {
            started: timestamp(started),
            detected: details
                .detected
                .map_or("at the declaration".to_owned(), timestamp),
            to_detect: show(measured.to_detect, "—"),
        });
        let holder = |role| {
            incident
                .role(role)
                .map_or("—".to_owned(), |u| u.to_string())
        };
        PostmortemView {
            number: incident.number.to_string(),
            title: incident.title.to_string(),
            severity: incident.severity.to_string(),
            severity_meaning: incident.severity.meaning().to_owned(),
            status: incident.status.to_string(),
            declared_by: incident.declared_by.to_string(),
            declared_at: timestamp(incident.declared_at),
            commander: holder(Role::Commander),
            comms: holder(Role::Comms),
            scribe: holder(Role::Scribe),
            summary: summary(incident, timeline, &measured),
            stakeholder_summary: details.summary.as_ref().map(|s| inline(s.as_str())),
            services: details.services.join(", "),
            impact,
            counted_from,
            status_updates: status_updates(timeline),
            root_cause_draft: root_cause_draft(timeline),
            severity_history: severity_history(timeline),
            durations: DurationsView {
                to_acknowledge: show(measured.to_acknowledge, "not acknowledged"),
                to_mitigate: show(measured.to_mitigate, "not mitigated"),
                to_resolve: show(measured.to_resolve, "not resolved"),
            },
            timeline: timeline_rows(timeline),
            participants: participants(incident, timeline),
            runbooks: runbook_views(incident),
            actions: action_rows(timeline),
            suggested_follow_ups: suggested_follow_ups(incident),
            generated_at: timestamp(generated_at),
            drill: timeline
                .first()
                .is_some_and(|e| matches!(e.kind, EventKind::Declared { drill: true, .. })),
        }
    }

    /// A small incident that touches every field and branch of a template, for checking
    /// a template when it is loaded.
    pub(super) fn sample() -> PostmortemView {
        let start = DateTime::<Utc>::UNIX_EPOCH;
        let user = UserId::warroom();
        let title = IncidentTitle::parse("Template check").unwrap_or_else(|_| unreachable!());
        let reason = NoteText::parse("check").ok();
        let (mut incident, first) =
            Incident::declare(IncidentNumber(1), title, Severity::P2, user.clone(), start);
        let mut timeline = vec![first];
        let runbook = Runbook {
            id: "check".into(),
            title: "Template check".into(),
            source: "check.md:1".into(),
            alerts: Vec::new(),
            keywords: Vec::new(),
            symptoms: Vec::new(),
            severity: None,
            services: Vec::new(),
            owner: None,
            steps: vec![Step::manual("Look", Section::Diagnosis, 1)],
            prevention: vec!["Check again".into()],
            facts: Vec::new(),
            contacts: Vec::new(),
            about: Vec::new(),
            quoted: Vec::new(),
        };
        for kind in [
            EventKind::RunbookAttached {
                runbook: Box::new(runbook),
            },
            EventKind::StepSkipped {
                runbook: "check".into(),
                index: 0,
                number: 1,
                title: "Look".into(),
                reason: reason.clone(),
            },
            EventKind::ActionRequested {
                request: RequestId(1),
                step: 1,
                title: "Look".into(),
                command: "true".into(),
                risk: Risk::Write,
            },
            EventKind::ActionApproved {
                request: RequestId(1),
            },
            EventKind::ActionFinished {
                request: RequestId(1),
                exit_code: Some(0),
                timed_out: false,
                output: String::new(),
                step: Some(1),
                drill: false,
            },
            EventKind::SeverityChanged {
                from: Severity::P2,
                to: Severity::P1,
                reason,
            },
            EventKind::Acknowledged,
            EventKind::SummaryChanged {
                text: NoteText::parse("check").unwrap_or_else(|_| unreachable!()),
            },
            EventKind::ServicesChanged {
                services: vec!["check".into()],
            },
            EventKind::ImpactStarted { started: start },
            EventKind::StatusUpdate {
                text: NoteText::parse("check").unwrap_or_else(|_| unreachable!()),
                public: true,
                severity: Severity::P1,
                status: Status::Investigating,
                next_update: None,
            },
            EventKind::StatusChanged {
                from: Status::Investigating,
                to: Status::Identified,
                note: NoteText::parse("check").ok(),
            },
            EventKind::StatusChanged {
                from: Status::Identified,
                to: Status::Resolved,
                note: None,
            },
        ] {
            let event = incident.event(kind, user.clone(), start);
            incident.apply(&event);
            timeline.push(event);
        }
        PostmortemView::from_timeline(&incident, &timeline, start)
    }
}

/// `2026-01-05 14:02:00 UTC`.
fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Text for a table cell: `|` escaped, line breaks as `<br>`.
pub(super) fn cell(text: &str) -> String {
    cell_owned(text.to_owned())
}

/// [`cell`] for a string already owned, kept as it is when nothing needs escaping (most rows).
fn cell_owned(text: String) -> String {
    if !text.contains(['|', '\n', '\r', '\t']) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '|' => out.push_str("\\|"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push_str("<br>"),
            '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text for one Markdown list line: line breaks as `<br>`.
pub(super) fn inline(text: &str) -> String {
    text.replace("\r\n", "<br>").replace(['\n', '\r'], "<br>")
}

fn status_updates(timeline: &[TimelineEvent]) -> Vec<UpdateRow> {
    timeline
        .iter()
        .filter_map(|event| match &event.kind {
            EventKind::StatusUpdate {
                text,
                public,
                severity,
                status,
                ..
            } => Some(UpdateRow {
                when: timestamp(event.at),
                who: cell(event.actor.as_str()),
                state: format!("{severity} · {status}"),
                text: cell(text.as_str()),
                audience: if *public { "status page" } else { "chat" }.to_owned(),
            }),
            _ => None,
        })
        .collect()
}

/// The note given with the last move to identified, unless the incident went back to
/// investigating after it (that cause was not the cause).
fn root_cause_draft(timeline: &[TimelineEvent]) -> Option<String> {
    let mut draft = None;
    for event in timeline {
        match &event.kind {
            EventKind::StatusChanged {
                to: Status::Identified,
                note,
                ..
            } => draft = note.as_ref().map(|n| inline(n.as_str())),
            EventKind::StatusChanged {
                from: Status::Identified,
                to: Status::Investigating,
                ..
            } => draft = None,
            _ => {}
        }
    }
    draft
}

fn timeline_rows(timeline: &[TimelineEvent]) -> Vec<TimelineRow> {
    let mut last_date = None;
    timeline
        .iter()
        .map(|event| {
            let at = event.at;
            let date = at.date_naive();
            let mut time = String::with_capacity(19);
            if last_date != Some(date) {
                let _ = write!(time, "{:04}-{:02}-{:02} ", at.year(), at.month(), at.day());
                last_date = Some(date);
            }
            let _ = write!(
                time,
                "{:02}:{:02}:{:02}",
                at.hour(),
                at.minute(),
                at.second()
            );
            TimelineRow {
                time,
                who: cell(event.actor.as_str()),
                what: cell_owned(event.kind.describe()),
            }
        })
        .collect()
}

fn severity_history(timeline: &[TimelineEvent]) -> Vec<SeverityStep> {
    let step =
        |event: &TimelineEvent, from: Option<Severity>, to: Severity, why: &Option<NoteText>| {
            SeverityStep {
                when: timestamp(event.at),
                who: event.actor.to_string(),
                severity: to.to_string(),
                meaning: to.meaning().to_owned(),
                from: from.map(|s| s.to_string()),
                reason: why.as_ref().map(|r| inline(r.as_str())),
            }
        };
    timeline
        .iter()
        .filter_map(|event| match &event.kind {
            EventKind::Declared { severity, .. } => Some(step(event, None, *severity, &None)),
            EventKind::SeverityChanged { from, to, reason } => {
                Some(step(event, Some(*from), *to, reason))
            }
            _ => None,
        })
        .collect()
}

fn participants(incident: &Incident, timeline: &[TimelineEvent]) -> Vec<Participant> {
    let mut order: Vec<&UserId> = Vec::new();
    let mut tallies: HashMap<&UserId, Tally> = HashMap::new();
    let bot = UserId::warroom();
    // Warroom's own entries (pages, action results) are not a person taking part.
    for event in timeline.iter().filter(|e| e.actor != bot) {
        if !tallies.contains_key(&event.actor) {
            order.push(&event.actor);
        }
        tallies.entry(&event.actor).or_default().entries += 1;
        if let EventKind::RoleAssigned {
            role,
            user,
            previous,
        } = &event.kind
        {
            if !tallies.contains_key(user) {
                order.push(user);
                tallies.insert(user, Tally::default());
            }
            if let Some(previous) = previous {
                let tally = tallies.entry(previous).or_default();
                if !tally.former.contains(role) {
                    tally.former.push(*role);
                }
            }
        }
    }
    for role in Role::ALL {
        if let Some(user) = incident.role(role)
            && !tallies.contains_key(user)
        {
            order.push(user);
            tallies.insert(user, Tally::default());
        }
    }
    order
        .into_iter()
        .map(|user| {
            let tally = &tallies[user];
            let current: Vec<Role> = Role::ALL
                .into_iter()
                .filter(|r| incident.role(*r) == Some(user))
                .collect();
            let mut roles: Vec<String> = current.iter().map(Role::to_string).collect();
            roles.extend(
                tally
                    .former
                    .iter()
                    .filter(|r| !current.contains(r))
                    .map(|r| format!("former {r}")),
            );
            Participant {
                name: cell(user.as_str()),
                roles: if roles.is_empty() {
                    "—".to_owned()
                } else {
                    roles.join(", ")
                },
                entries: tally.entries,
            }
        })
        .collect()
}

fn summary(incident: &Incident, timeline: &[TimelineEvent], measured: &Durations) -> String {
    let first_severity = timeline.iter().find_map(|e| match &e.kind {
        EventKind::Declared { severity, .. } => Some(*severity),
        _ => None,
    });
    let initial = first_severity.unwrap_or(incident.severity);
    let mut text = format!(
        "{} declared {} on {} at {} UTC as {initial} ({}).",
        incident.declared_by,
        incident.number,
        incident.declared_at.format("%Y-%m-%d"),
        incident.declared_at.format("%H:%M"),
        initial.meaning(),
    );
    let changes: Vec<Severity> = timeline
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::SeverityChanged { to, .. } => Some(*to),
            _ => None,
        })
        .collect();
    if !changes.is_empty() {
        let worst = changes
            .iter()
            .copied()
            .chain([initial])
            .min()
            .unwrap_or(initial);
        let times = if changes.len() == 1 {
            "once"
        } else {
            "several times"
        };
        let _ = write!(
            text,
            " Its severity changed {times}; the worst was {worst}, and it ends as {}.",
            incident.severity
        );
    }
    let acknowledged = measured
        .to_acknowledge
        .map_or("never acknowledged".to_owned(), |d| {
            format!("acknowledged after {}", format_duration(d))
        });
    let mitigated = measured
        .to_mitigate
        .map_or("not mitigated".to_owned(), |d| {
            format!("mitigated after {}", format_duration(d))
        });
    let _ = match measured.to_resolve {
        Some(d) => write!(
            text,
            " It was {acknowledged}, {mitigated} and resolved after {}.",
            format_duration(d)
        ),
        None => write!(
            text,
            " It was {acknowledged} and {mitigated}; it is still open ({}).",
            incident.status
        ),
    };
    let reopened = timeline
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Reopened { .. }))
        .count();
    match reopened {
        0 => {}
        1 => text.push_str(" It was reopened once after being resolved."),
        n => {
            let _ = write!(text, " It was reopened {n} times after being resolved.");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::postmortem::story::{Story, realistic, render, t0, user};

    #[test]
    fn an_unacknowledged_open_incident_says_so() {
        let story = Story::declare(Severity::P3).then(
            30,
            "alice",
            EventKind::Note {
                text: NoteText::parse("looking").unwrap(),
            },
        );
        let text = render(&story);
        assert!(
            text.contains("| Acknowledged | not acknowledged |"),
            "{text}"
        );
        assert!(text.contains("| Mitigated | not mitigated |"), "{text}");
        assert!(text.contains("| Resolved | not resolved |"), "{text}");
        assert!(
            text.contains("never acknowledged and not mitigated; it is still open (Investigating)"),
            "{text}"
        );
    }

    #[test]
    fn the_date_is_shown_again_when_it_changes() {
        let story = Story::declare(Severity::P2)
            .then(10 * 3600, "bob", EventKind::Acknowledged)
            .then(
                11 * 3600,
                "bob",
                EventKind::Note {
                    text: NoteText::parse("next day").unwrap(),
                },
            );
        let rows = PostmortemView::from_timeline(&story.incident, &story.timeline, t0()).timeline;
        let times: Vec<&str> = rows.iter().map(|r| r.time.as_str()).collect();
        assert_eq!(
            times,
            ["2026-01-05 14:02:00", "2026-01-06 00:02:00", "01:02:00"]
        );
    }

    #[test]
    fn participants_keep_roles_they_handed_on() {
        let story = realistic().then(
            2500,
            "alice",
            EventKind::RoleAssigned {
                role: Role::Commander,
                user: user("bob"),
                previous: Some(user("alice")),
            },
        );
        let view = PostmortemView::from_timeline(&story.incident, &story.timeline, t0());
        let people: Vec<(&str, &str, usize)> = view
            .participants
            .iter()
            .map(|p| (p.name.as_str(), p.roles.as_str(), p.entries))
            .collect();
        assert_eq!(
            people,
            [
                ("alice", "former commander", 5),
                ("bob", "commander", 3),
                ("carol", "scribe", 1)
            ]
        );
    }
}
