//! The post-mortem draft: a view model built from an incident's timeline, rendered into
//! Markdown through a Handlebars template (the built-in one, or a team's own file).

mod actions_view;
mod durations;
mod runbooks_view;
mod service;
mod view;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use handlebars::{Handlebars, RenderErrorReason};

use crate::domain::{Incident, TimelineEvent};

pub use actions_view::ActionRow;
pub use durations::{Durations, durations, format_duration};
pub use runbooks_view::{RunbookStepRow, RunbookView};
pub use service::Postmortems;
pub use view::{DurationsView, Participant, PostmortemView, SeverityStep, TimelineRow};

/// The template Warroom ships with.
pub const BUILT_IN_TEMPLATE: &str = include_str!("../../../templates/postmortem.md.hbs");

const TEMPLATE: &str = "postmortem";

/// The top-level fields of [`PostmortemView`], named in errors for template writers.
const VIEW_FIELDS: &str = "number, title, severity, severity_meaning, status, declared_by, \
    declared_at, commander, comms, scribe, summary, stakeholder_summary, services, impact, \
    counted_from, severity_history, durations, status_updates, timeline, participants, \
    runbooks, actions, root_cause_draft, suggested_follow_ups, generated_at, drill";

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

/// An incident told one event at a time, shared by the tests of this module's parts.
#[cfg(test)]
mod story {
    use chrono::{DateTime, Duration, TimeZone, Utc};

    use super::PostmortemRenderer;
    use crate::domain::{
        EventKind, Incident, IncidentNumber, IncidentTitle, NoteText, Role, Severity, Status,
        TimelineEvent, UserId,
    };

    pub(super) fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 14, 2, 0).unwrap()
    }

    pub(super) fn user(name: &str) -> UserId {
        UserId::parse(name).unwrap()
    }

    pub(super) fn note(text: &str) -> Option<NoteText> {
        Some(NoteText::parse(text).unwrap())
    }

    /// An incident being built one event at a time, each at a number of seconds after `t0`.
    pub(super) struct Story {
        pub(super) incident: Incident,
        pub(super) timeline: Vec<TimelineEvent>,
    }

    impl Story {
        pub(super) fn declare(severity: Severity) -> Story {
            let title = IncidentTitle::parse("Checkout API returns 500s").unwrap();
            let (incident, first) =
                Incident::declare(IncidentNumber(7), title, severity, user("alice"), t0());
            Story {
                incident,
                timeline: vec![first],
            }
        }

        pub(super) fn then(mut self, seconds: i64, who: &str, kind: EventKind) -> Story {
            let at = t0() + Duration::seconds(seconds);
            let event = self.incident.event(kind, user(who), at);
            self.incident.apply(&event);
            self.timeline.push(event);
            self
        }

        pub(super) fn status(
            self,
            seconds: i64,
            who: &str,
            to: Status,
            text: Option<&str>,
        ) -> Story {
            let from = self.incident.status;
            let note = text.and_then(note);
            self.then(seconds, who, EventKind::StatusChanged { from, to, note })
        }
    }

    pub(super) fn realistic() -> Story {
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

    pub(super) fn render(story: &Story) -> String {
        PostmortemRenderer::new(None)
            .unwrap()
            .render(&story.incident, &story.timeline, t0() + Duration::hours(2))
            .unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::story::{realistic, render, t0};
    use super::*;
    use crate::domain::{EventKind, NoteText};

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
        // No runbook suggested a follow-up, and no empty checkbox stands in for one.
        assert!(!text.contains("- [ ] "), "{text}");
        assert!(text.contains("## Follow-ups\n\n<!-- One task"), "{text}");
        // The cause named at `identified`, offered as a draft.
        assert!(
            text.contains("_Draft, from what was said when the cause was identified; confirm or rewrite:_\nbad deploy v2.3.1"),
            "{text}"
        );
        assert!(text.contains("_No status update was posted._"), "{text}");
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
    fn ten_thousand_events_all_reach_the_timeline_table() {
        let mut story = realistic();
        for i in 0..10_000 {
            let text = NoteText::parse(&format!("step {i} | checked <pod-{i}>")).unwrap();
            story = story.then(3000 + i, "dave", EventKind::Note { text });
        }
        // How fast is measured by `cargo bench --bench engine`, not here.
        let renderer = PostmortemRenderer::new(None).unwrap();
        let text = renderer
            .render(&story.incident, &story.timeline, t0())
            .unwrap();
        assert_eq!(text.matches("| dave | noted: step ").count(), 10_000);
    }
}
