//! The post-mortem draft: a view model built from an incident's timeline, rendered into
//! Markdown through a Handlebars template (the built-in one, or a team's own file).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use handlebars::{Handlebars, RenderErrorReason};
use serde::Serialize;

use crate::domain::{
    EventKind, Incident, IncidentNumber, IncidentTitle, NoteText, Role, Severity, Status,
    TimelineEvent, UserId,
};

/// The template Warroom ships with.
pub const BUILT_IN_TEMPLATE: &str = include_str!("../../templates/postmortem.md.hbs");

const TEMPLATE: &str = "postmortem";

/// The top-level fields of [`PostmortemView`], named in errors for template writers.
const VIEW_FIELDS: &str = "number, title, severity, severity_meaning, status, declared_by, \
    declared_at, commander, comms, scribe, summary, severity_history, durations, timeline, \
    participants, generated_at";

/// Why a post-mortem could not be prepared or written.
#[derive(Debug, thiserror::Error)]
pub enum PostmortemError {
    /// The override template named in the configuration is not there.
    #[error("the post-mortem template {} does not exist", .0.display())]
    MissingTemplate(PathBuf),
    /// The override template is there but could not be read.
    #[error("cannot read the post-mortem template {}: {source}", path.display())]
    UnreadableTemplate {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The template is not valid Handlebars.
    #[error("the post-mortem template {template} does not compile{}: {reason}", at(*.position))]
    InvalidTemplate {
        /// The file, or `built-in`.
        template: String,
        /// Line and column of the problem, when known.
        position: Option<(usize, usize)>,
        /// What is wrong.
        reason: String,
    },
    /// Rendering failed, for example on a field the template names that does not exist.
    #[error("the post-mortem template {template} failed to render{}: {reason}", at(*.position))]
    Render {
        /// The file, or `built-in`.
        template: String,
        /// Line and column in the template, when known.
        position: Option<(usize, usize)>,
        /// What is wrong.
        reason: String,
    },
}

fn at(position: Option<(usize, usize)>) -> String {
    position
        .map(|(line, column)| format!(" at line {line}, column {column}"))
        .unwrap_or_default()
}

/// Renders post-mortem drafts. Built once at start-up; the template is checked then, in
/// strict mode, so a broken team template fails at start rather than after an incident.
pub struct PostmortemRenderer {
    registry: Handlebars<'static>,
    template: String,
}

impl std::fmt::Debug for PostmortemRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostmortemRenderer")
            .field("template", &self.template)
            .finish_non_exhaustive()
    }
}

impl PostmortemRenderer {
    /// The built-in template, or the file given instead.
    pub fn new(template_override: Option<&Path>) -> Result<Self, PostmortemError> {
        match template_override {
            None => Self::from_source("built-in", BUILT_IN_TEMPLATE),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| {
                    if source.kind() == std::io::ErrorKind::NotFound {
                        PostmortemError::MissingTemplate(path.to_owned())
                    } else {
                        PostmortemError::UnreadableTemplate {
                            path: path.to_owned(),
                            source,
                        }
                    }
                })?;
                Self::from_source(&path.display().to_string(), &text)
            }
        }
    }

    /// A renderer for template text; `name` says where it came from in error messages.
    pub fn from_source(name: &str, text: &str) -> Result<Self, PostmortemError> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        // The output is Markdown, not HTML; the view model escapes what tables need.
        registry.register_escape_fn(handlebars::no_escape);
        registry
            .register_template_string(TEMPLATE, text)
            .map_err(|e| PostmortemError::InvalidTemplate {
                template: name.to_owned(),
                position: e.pos(),
                reason: e.reason().to_string(),
            })?;
        let renderer = PostmortemRenderer {
            registry,
            template: name.to_owned(),
        };
        renderer.render_view(&PostmortemView::sample())?;
        Ok(renderer)
    }

    /// The Markdown draft of an incident from its timeline (in `seq` order).
    pub fn render(
        &self,
        incident: &Incident,
        timeline: &[TimelineEvent],
        generated_at: DateTime<Utc>,
    ) -> Result<String, PostmortemError> {
        self.render_view(&PostmortemView::from_timeline(
            incident,
            timeline,
            generated_at,
        ))
    }

    /// Renders a view model that is already built.
    pub fn render_view(&self, view: &PostmortemView) -> Result<String, PostmortemError> {
        self.registry
            .render(TEMPLATE, view)
            .map_err(|e| PostmortemError::Render {
                template: self.template.clone(),
                position: e.line_no.zip(e.column_no),
                reason: match e.reason() {
                    RenderErrorReason::MissingVariable(Some(name)) => {
                        format!("`{name}` is not a field here (the post-mortem has: {VIEW_FIELDS})")
                    }
                    other => other.to_string(),
                },
            })
    }
}

/// How long an incident took to reach each milestone, counted from its declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Durations {
    /// Until the first acknowledgement.
    pub to_acknowledge: Option<Duration>,
    /// Until it was first mitigated (or resolved, when that came first).
    pub to_mitigate: Option<Duration>,
    /// Until its last resolution, while it is resolved.
    pub to_resolve: Option<Duration>,
}

/// Measures the milestones of a timeline given in `seq` order. Nothing is measured without
/// a declaration; a reopened incident counts its last resolution; clock skew never gives a
/// negative time.
pub fn durations(timeline: &[TimelineEvent]) -> Durations {
    let Some(declared) = timeline
        .iter()
        .find(|e| matches!(e.kind, EventKind::Declared { .. }))
        .map(|e| e.at)
    else {
        return Durations::default();
    };
    let since = |at: DateTime<Utc>| (at - declared).max(Duration::zero());
    let mut result = Durations::default();
    let mut resolved_at = None;
    for event in timeline {
        match &event.kind {
            EventKind::Acknowledged => {
                result.to_acknowledge.get_or_insert(since(event.at));
            }
            EventKind::StatusChanged { to, .. } => {
                if matches!(to, Status::Mitigated | Status::Resolved) {
                    result.to_mitigate.get_or_insert(since(event.at));
                }
                resolved_at = (*to == Status::Resolved).then_some(event.at);
            }
            EventKind::Reopened { .. } => resolved_at = None,
            _ => {}
        }
    }
    result.to_resolve = resolved_at.map(since);
    result
}

/// A duration as people read it in a report: `45s`, `4m 30s`, `1h 02m 10s`, `2d 03h 04m`.
pub fn format_duration(duration: Duration) -> String {
    let total = duration.num_seconds().max(0);
    let (days, hours) = (total / 86_400, total / 3_600 % 24);
    let (minutes, seconds) = (total / 60 % 60, total % 60);
    match total {
        0..60 => format!("{seconds}s"),
        60..3_600 => format!("{minutes}m {seconds:02}s"),
        3_600..86_400 => format!("{hours}h {minutes:02}m {seconds:02}s"),
        _ => format!("{days}d {hours:02}h {minutes:02}m"),
    }
}

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
    /// The first severity and every change.
    pub severity_history: Vec<SeverityStep>,
    /// Time to acknowledge, mitigate and resolve.
    pub durations: DurationsView,
    /// Every timeline entry.
    pub timeline: Vec<TimelineRow>,
    /// Everyone who acted or held a role.
    pub participants: Vec<Participant>,
    /// When this draft was made, `2026-01-05 15:00:00 UTC`.
    pub generated_at: String,
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
        let measured = durations(timeline);
        let show =
            |d: Option<Duration>, missing: &str| d.map_or(missing.to_owned(), format_duration);
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
            severity_history: severity_history(timeline),
            durations: DurationsView {
                to_acknowledge: show(measured.to_acknowledge, "not acknowledged"),
                to_mitigate: show(measured.to_mitigate, "not mitigated"),
                to_resolve: show(measured.to_resolve, "not resolved"),
            },
            timeline: timeline_rows(timeline),
            participants: participants(incident, timeline),
            generated_at: timestamp(generated_at),
        }
    }

    /// A small incident that touches every field and branch of a template, for checking
    /// a template when it is loaded.
    fn sample() -> PostmortemView {
        let start = DateTime::<Utc>::UNIX_EPOCH;
        let user = UserId::warroom();
        let title = IncidentTitle::parse("Template check").unwrap_or_else(|_| unreachable!());
        let reason = NoteText::parse("check").ok();
        let (mut incident, first) =
            Incident::declare(IncidentNumber(1), title, Severity::P2, user.clone(), start);
        let mut timeline = vec![first];
        for kind in [
            EventKind::SeverityChanged {
                from: Severity::P2,
                to: Severity::P1,
                reason,
            },
            EventKind::Acknowledged,
            EventKind::StatusChanged {
                from: Status::Investigating,
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
fn cell(text: &str) -> String {
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
fn inline(text: &str) -> String {
    text.replace("\r\n", "<br>").replace(['\n', '\r'], "<br>")
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
    for event in timeline {
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
    use chrono::TimeZone;

    use super::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 14, 2, 0).unwrap()
    }

    fn user(name: &str) -> UserId {
        UserId::parse(name).unwrap()
    }

    fn note(text: &str) -> Option<NoteText> {
        Some(NoteText::parse(text).unwrap())
    }

    /// An incident being built one event at a time, each at a number of seconds after `t0`.
    struct Story {
        incident: Incident,
        timeline: Vec<TimelineEvent>,
    }

    impl Story {
        fn declare(severity: Severity) -> Story {
            let title = IncidentTitle::parse("Checkout API returns 500s").unwrap();
            let (incident, first) =
                Incident::declare(IncidentNumber(7), title, severity, user("alice"), t0());
            Story {
                incident,
                timeline: vec![first],
            }
        }

        fn then(mut self, seconds: i64, who: &str, kind: EventKind) -> Story {
            let at = t0() + Duration::seconds(seconds);
            let event = self.incident.event(kind, user(who), at);
            self.incident.apply(&event);
            self.timeline.push(event);
            self
        }

        fn status(self, seconds: i64, who: &str, to: Status, text: Option<&str>) -> Story {
            let from = self.incident.status;
            let note = text.and_then(note);
            self.then(seconds, who, EventKind::StatusChanged { from, to, note })
        }
    }

    fn realistic() -> Story {
        Story::declare(Severity::P1)
            .then(270, "bob", EventKind::Acknowledged)
            .then(
                360,
                "alice",
                EventKind::SeverityChanged {
                    from: Severity::P1,
                    to: Severity::P0,
                    reason: note("every checkout fails\nnot just EU"),
                },
            )
            .then(
                420,
                "alice",
                EventKind::RoleAssigned {
                    role: Role::Scribe,
                    user: user("carol"),
                    previous: None,
                },
            )
            .then(
                600,
                "carol",
                EventKind::Note {
                    text: NoteText::parse("error rate | 100% on /pay\nrollback of v2.3.1 started")
                        .unwrap(),
                },
            )
            .status(900, "bob", Status::Identified, Some("bad deploy v2.3.1"))
            .status(1500, "bob", Status::Mitigated, Some("rolled back"))
            .status(2460, "alice", Status::Resolved, None)
    }

    fn render(story: &Story) -> String {
        PostmortemRenderer::new(None)
            .unwrap()
            .render(&story.incident, &story.timeline, t0() + Duration::hours(2))
            .unwrap()
    }

    #[test]
    fn durations_are_written_the_way_people_read_them() {
        let f = |s| format_duration(Duration::seconds(s));
        assert_eq!(f(0), "0s");
        assert_eq!(f(45), "45s");
        assert_eq!(f(270), "4m 30s");
        assert_eq!(f(3_730), "1h 02m 10s");
        assert_eq!(f(2 * 86_400 + 3 * 3_600 + 4 * 60 + 59), "2d 03h 04m");
        assert_eq!(f(-5), "0s");
    }

    #[test]
    fn durations_count_from_the_declaration_to_each_first_milestone() {
        let measured = durations(&realistic().timeline);
        assert_eq!(measured.to_acknowledge, Some(Duration::seconds(270)));
        assert_eq!(measured.to_mitigate, Some(Duration::seconds(1500)));
        assert_eq!(measured.to_resolve, Some(Duration::seconds(2460)));
    }

    #[test]
    fn resolving_straight_away_counts_as_mitigating_too() {
        let story = Story::declare(Severity::P2).status(60, "alice", Status::Resolved, None);
        let measured = durations(&story.timeline);
        assert_eq!(measured.to_mitigate, Some(Duration::seconds(60)));
        assert_eq!(measured.to_resolve, Some(Duration::seconds(60)));
        assert_eq!(measured.to_acknowledge, None);
    }

    #[test]
    fn a_reopened_and_resolved_again_incident_is_measured_to_the_last_resolve() {
        let story = realistic()
            .then(
                3000,
                "dave",
                EventKind::Reopened {
                    reason: note("errors are back"),
                },
            )
            .status(3600, "bob", Status::Resolved, None);
        let measured = durations(&story.timeline);
        assert_eq!(measured.to_resolve, Some(Duration::seconds(3600)));
        assert_eq!(measured.to_mitigate, Some(Duration::seconds(1500)));
        let reopened = story.then(4000, "dave", EventKind::Reopened { reason: None });
        assert_eq!(durations(&reopened.timeline).to_resolve, None);
        let text = render(&reopened);
        assert!(text.contains("| Resolved | not resolved |"), "{text}");
        assert!(text.contains("reopened 2 times"), "{text}");
    }

    #[test]
    fn a_timeline_without_a_declaration_measures_nothing() {
        let mut timeline = realistic().timeline;
        timeline.remove(0);
        assert_eq!(durations(&timeline), Durations::default());
        assert_eq!(durations(&[]), Durations::default());
    }

    #[test]
    fn the_built_in_template_renders_a_realistic_incident() {
        let text = render(&realistic());
        assert!(
            text.starts_with("# INC-7: Checkout API returns 500s\n"),
            "{text}"
        );
        for header in [
            "## Summary",
            "## Impact",
            "## Severity history",
            "## Key durations",
            "## Timeline (UTC)",
            "## Participants",
            "## Root cause",
            "## Lessons learned",
            "### What went well",
            "### What went badly",
            "## Follow-ups",
        ] {
            assert!(
                text.contains(&format!("\n{header}\n")),
                "{header} missing:\n{text}"
            );
        }
        assert!(text.contains("_To be written._"));
        assert!(text.contains("- [ ] "));
        assert!(text.contains("| Acknowledged | 4m 30s |"), "{text}");
        assert!(text.contains("| Mitigated | 25m 00s |"), "{text}");
        assert!(text.contains("| Resolved | 41m 00s |"), "{text}");
        for row in [
            "| 2026-01-05 14:02:00 | alice | declared the incident as P1: Checkout API returns 500s |",
            "| 14:06:30 | bob | acknowledged |",
            "| 14:08:00 | alice | changed severity P1 → P0: every checkout fails<br>not just EU |",
            "| 14:09:00 | alice | made carol scribe |",
            "| 14:12:00 | carol | noted: error rate \\| 100% on /pay<br>rollback of v2.3.1 started |",
            "| 14:17:00 | bob | changed status Investigating → Identified: bad deploy v2.3.1 |",
            "| 14:27:00 | bob | changed status Identified → Mitigated: rolled back |",
            "| 14:43:00 | alice | changed status Mitigated → Resolved |",
        ] {
            assert!(
                text.contains(&format!("\n{row}\n")),
                "{row} missing:\n{text}"
            );
        }
        assert!(
            text.contains("- 2026-01-05 14:08:00 UTC: alice changed it from P1 to **P0**"),
            "{text}"
        );
        assert!(text.contains("| carol | scribe | 1 |"), "{text}");
        assert!(text.contains("| alice | commander | 4 |"), "{text}");
        assert!(
            text.contains(
                "acknowledged after 4m 30s, mitigated after 25m 00s and resolved after 41m 00s"
            ),
            "{text}"
        );
        assert!(text.contains("**Scribe:** carol"), "{text}");
        assert!(text.contains("**Comms:** —"), "{text}");
    }

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

    #[test]
    fn strict_mode_refuses_a_template_naming_a_missing_field() {
        let err = PostmortemRenderer::from_source("test", "# {{number}} {{no_such_field}}\n")
            .unwrap_err();
        assert!(matches!(err, PostmortemError::Render { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains("test") && text.contains("no_such_field"),
            "{text}"
        );
    }

    #[test]
    fn the_field_list_in_errors_matches_the_view() {
        let view = serde_json::to_value(PostmortemView::sample()).unwrap();
        let mut fields: Vec<&str> = view
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut listed: Vec<&str> = VIEW_FIELDS.split(", ").collect();
        fields.sort_unstable();
        listed.sort_unstable();
        assert_eq!(fields, listed);
    }

    #[test]
    fn an_override_that_does_not_exist_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("team-postmortem.md.hbs");
        let err = PostmortemRenderer::new(Some(&path)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("the post-mortem template {} does not exist", path.display())
        );
    }

    #[test]
    fn a_broken_override_is_refused_with_its_name_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.md.hbs");
        std::fs::write(&path, "# {{number}}\n\n{{#each timeline}}\n| {{time}} |\n").unwrap();
        let err = PostmortemRenderer::new(Some(&path)).unwrap_err();
        assert!(
            matches!(err, PostmortemError::InvalidTemplate { .. }),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains(" at line "), "{text}");
    }

    #[test]
    fn a_good_override_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("short.md.hbs");
        std::fs::write(&path, "{{number}} took {{durations.to_resolve}}\n").unwrap();
        let renderer = PostmortemRenderer::new(Some(&path)).unwrap();
        let story = realistic();
        let text = renderer
            .render(&story.incident, &story.timeline, t0())
            .unwrap();
        assert_eq!(text, "INC-7 took 41m 00s\n");
    }

    #[test]
    fn ten_thousand_events_render_quickly() {
        let mut story = realistic();
        for i in 0..10_000 {
            let text = NoteText::parse(&format!("step {i} | checked <pod-{i}>")).unwrap();
            story = story.then(3000 + i, "dave", EventKind::Note { text });
        }
        let renderer = PostmortemRenderer::new(None).unwrap();
        let started = std::time::Instant::now();
        let text = renderer
            .render(&story.incident, &story.timeline, t0())
            .unwrap();
        let took = started.elapsed();
        assert_eq!(text.matches("| dave | noted: step ").count(), 10_000);
        if !cfg!(debug_assertions) {
            assert!(took < std::time::Duration::from_millis(50), "took {took:?}");
        }
    }
}
