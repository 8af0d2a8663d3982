//! Runbooks in an incident: suggesting them, searching, attaching, and the message that shows
//! their steps with Done and Skip buttons.

use chrono::{DateTime, Utc};

use crate::domain::{
    Action, AttachedRunbook, COPY_ONLY, Command, Incident, IncidentNumber, NoteText, Runbook,
    StepState, UserId, fit,
};
use crate::engine::EngineError;
use crate::engine::Incidents;
use crate::engine::effect::{Effect, RoomTarget};
use crate::engine::message::{Block, Button, ButtonRole, ButtonStyle, Control, Message, Span};
use crate::runbook::{Confidence, Match, MatchReason, Query};
use crate::store::StoreError;

/// How many runbooks a suggestion or search shows.
const SHOWN_MATCHES: usize = 3;

/// The most characters of a step's details the runbook's message shows, on one line under the
/// step; `runbooks show` has them all.
const STEP_DETAILS_SHOWN_CHARS: usize = 400;

impl Incidents<'_> {
    /// The suggestion posted in a new war room: the runbooks that fit the title, with Attach
    /// buttons. `None` when there are no runbooks at all.
    pub(in crate::engine) async fn suggestions(
        &self,
        incident: &Incident,
        query: Option<&Query>,
    ) -> Result<Option<Message>, StoreError> {
        if self.core.settings.runbooks.runbooks().is_empty() {
            return Ok(None);
        }
        let by_title = Query {
            text: incident.title.as_str().to_owned(),
            ..Query::default()
        };
        let matches = self
            .core
            .settings
            .runbooks
            .best(query.unwrap_or(&by_title), SHOWN_MATCHES);
        let matches = self.narrowed(incident, matches);
        self.matches_message(Some(incident.number), &matches, incident.title.as_str())
            .await
            .map(Some)
    }

    /// `matches` with the runbooks of the incident's services first: those `[[services]]`
    /// lists for each service it names, then those whose own `services` name it; each once,
    /// at most [`SHOWN_MATCHES`] in all.
    pub(super) fn narrowed(&self, incident: &Incident, matches: Vec<Match>) -> Vec<Match> {
        let library = &self.core.settings.runbooks;
        let mut first: Vec<Match> = Vec::new();
        let mut add = |id: &str, service: &str| {
            if first.iter().any(|m| m.id == id) {
                return;
            }
            if let Some(runbook) = library.get(id) {
                first.push(Match {
                    id: runbook.id.clone(),
                    title: runbook.title.clone(),
                    score: 0.0,
                    reason: MatchReason::Service(service.to_owned()),
                    confidence: Confidence::Likely,
                });
            }
        };
        for name in &incident.details.services {
            let listed = self.core.settings.services.iter().find(|s| &s.name == name);
            for id in listed.into_iter().flat_map(|s| &s.runbooks) {
                add(id, name);
            }
            for runbook in library.runbooks() {
                if runbook
                    .services
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(name))
                {
                    add(&runbook.id, name);
                }
            }
        }
        let rest: Vec<Match> = matches
            .into_iter()
            .filter(|m| !first.iter().any(|f| f.id == m.id))
            .collect();
        first.extend(rest);
        first.truncate(SHOWN_MATCHES);
        first
    }

    /// `runbook [query]`: the best matches for the words, or for the incident's title.
    pub(in crate::engine) async fn search(
        &self,
        origin: &crate::engine::port::Origin,
        named: Option<IncidentNumber>,
        words: Option<String>,
    ) -> Result<Vec<Effect>, EngineError> {
        let here = match named {
            Some(n) => Some(self.core.load(n).await?),
            None => match self.core.war_room_incident(&origin.room_id).await? {
                Some(n) => Some(self.core.load(n).await?),
                None => None,
            },
        };
        let text = match (&words, &here) {
            (Some(words), _) => words.clone(),
            (None, Some(incident)) => incident.title.as_str().to_owned(),
            (None, None) => {
                return Err(EngineError::Usage(
                    "say what to look for: runbook <words>, or ask in a war room".into(),
                ));
            }
        };
        if self.core.settings.runbooks.runbooks().is_empty() {
            return Err(EngineError::Usage(
                "no runbooks are loaded; see runbook_dirs in the configuration".into(),
            ));
        }
        let query = Query {
            text: text.clone(),
            ..Query::default()
        };
        let mut matches = self.core.settings.runbooks.best(&query, SHOWN_MATCHES);
        // Without words, the incident's services point at their runbooks first.
        if let (None, Some(incident)) = (&words, &here) {
            matches = self.narrowed(incident, matches);
        }
        let target = here
            .as_ref()
            .filter(|i| i.status.is_open())
            .map(|i| i.number);
        let message = self.matches_message(target, &matches, &text).await?;
        Ok(vec![Effect::Post {
            room: RoomTarget::Origin,
            message,
        }])
    }

    pub(in crate::engine) async fn matches_message(
        &self,
        attach_to: Option<IncidentNumber>,
        matches: &[Match],
        text: &str,
    ) -> Result<Message, StoreError> {
        if matches.is_empty() {
            return Ok(Message::text(format!(
                "No runbook fits “{text}” well. Search with: runbook <words>"
            )));
        }
        let weak = matches[0].confidence == Confidence::Weak;
        let mut blocks = vec![Block::Header(match (weak, attach_to) {
            (true, _) => format!("No runbook fits “{text}” well; the closest"),
            (false, Some(n)) => format!("Runbooks that may fit {n}"),
            (false, None) => "Runbooks that may fit".to_owned(),
        })];
        for (i, m) in matches.iter().enumerate() {
            let why = match &m.reason {
                MatchReason::Alert(alert) => format!("matched alert {alert}"),
                MatchReason::Text => format!("{} · score {:.1}", m.confidence.word(), m.score),
                MatchReason::Service(service) => format!("a runbook of {service}"),
            };
            let steps = self
                .core
                .settings
                .runbooks
                .get(&m.id)
                .map_or(0, |r| r.steps.len());
            blocks.push(Block::Text(vec![
                Span::Text(format!("{}. ", i + 1)),
                Span::Bold(m.title.clone()),
                Span::Text(format!(
                    " · {} · {why} · id ",
                    crate::domain::plural(steps, "step")
                )),
                Span::Code(m.id.clone()),
            ]));
        }
        match attach_to {
            Some(n) => {
                let mut controls = Vec::new();
                for (i, m) in matches.iter().enumerate() {
                    let command = Command {
                        incident: Some(n),
                        action: Action::Attach {
                            runbook: m.id.clone(),
                        },
                    };
                    let rank = i as u32 + 1;
                    let attach = Button::new(
                        self.core.button(command).await?,
                        ButtonRole::Attach { rank },
                        format!("Attach {rank}"),
                    );
                    controls.push(Control::Button(if rank == 1 {
                        attach.styled(ButtonStyle::Primary)
                    } else {
                        attach
                    }));
                }
                blocks.push(Block::Actions(controls));
            }
            None => blocks.push(Block::Context(vec![Span::Text(
                "Attach one from a war room: runbook attach <id>".into(),
            )])),
        }
        Ok(Message { blocks })
    }

    /// The message of an attached runbook: its steps in order under their headings and
    /// conditions, Done and Skip on each open one.
    pub(in crate::engine) async fn runbook_message(
        &self,
        incident: &Incident,
        runbook_id: &str,
    ) -> Result<Option<Message>, StoreError> {
        let Some(attached) = incident
            .runbooks
            .iter()
            .find(|r| r.runbook.id == runbook_id)
        else {
            return Ok(None);
        };
        let first = incident.first_step_number(runbook_id).unwrap_or(1);
        // Where its commands would run, when it has any and Warroom runs actions at all.
        let runs = attached.runbook.steps.iter().any(|s| s.command.is_some());
        let place = (self.core.settings.actions.as_ref())
            .filter(|_| runs)
            .map(|a| {
                if a.executor.name() == "dry-run" {
                    " · a drill: no command runs".to_owned()
                } else {
                    let values = a
                        .environment
                        .as_ref()
                        .map(|e| format!(" with the {e} environment's values"))
                        .unwrap_or_default();
                    format!(" · commands run on {}{values}", a.executor.location())
                }
            })
            .unwrap_or_default();
        let mut blocks = vec![
            Block::Header(progress_header(attached)),
            Block::Context(vec![Span::Text(format!(
                "{}{place}",
                attached.runbook.source
            ))]),
        ];
        blocks.extend(about(&attached.runbook));
        // The author's order, under the author's headings and conditions (a runbook stored
        // before steps had headings is grouped by its section tags, still in order).
        let runbook = &attached.runbook;
        let headed = runbook.steps.iter().any(|s| s.heading.is_some());
        let (mut heading, mut only_if) = (None, None);
        for (index, step) in runbook.steps.iter().enumerate() {
            let group = match &step.heading {
                Some(h) => Some(h.as_str()),
                None if !headed => Some(step.section.heading()),
                None => None,
            };
            if group.is_some() && group != heading {
                heading = group;
                // The runbook's own heading is its title, already in the header.
                if let Some(group) = group.filter(|g| g.trim() != runbook.title) {
                    blocks.push(Block::Text(vec![Span::Bold(group.to_owned())]));
                }
                only_if = None;
            }
            if step.only_if.as_deref() != only_if {
                only_if = step.only_if.as_deref();
                if let Some(condition) = only_if {
                    blocks.push(Block::Context(vec![Span::Text(format!(
                        "only if: {condition}"
                    ))]));
                }
            }
            let number = first + index as u32;
            let mut line = vec![Span::Text(format!("{number}. {}", step.title))];
            if let Some(command) = &step.command {
                line.push(Span::Text(" · ".into()));
                line.push(Span::Code(command.clone()));
            }
            let verdict =
                (self.core.settings.actions.as_ref()).and_then(|a| a.policy().verdict(step));
            let label = match &self.core.settings.actions {
                Some(_) => verdict.as_ref().map(|v| v.label()),
                // Without [actions], Warroom runs nothing.
                None => step.command.as_ref().map(|_| COPY_ONLY),
            };
            if let Some(label) = label {
                line.push(Span::Text(format!(" · {label}")));
            }
            blocks.push(Block::Text(line));
            // What the author nested under the step, on one line: the checklist that goes
            // with it.
            if !step.details.is_empty() {
                let details = fit(&step.details.join(" · "), STEP_DETAILS_SHOWN_CHARS);
                blocks.push(Block::Context(vec![Span::Text(details)]));
            }
            // Why code is shown and not run, under it, so that nobody has to click to learn it.
            if let Some(why) = verdict.as_ref().and_then(|v| v.refusal.as_deref()) {
                blocks.push(Block::Context(vec![Span::Text(format!("not run: {why}"))]));
            }
            match &attached.states[index] {
                StepState::Pending => {
                    if let Some(failed) = attached.failed.get(&index) {
                        blocks.push(Block::Context(vec![Span::Text(format!(
                            "last run: {failed}; its output is in the thread"
                        ))]));
                    }
                    let mut controls = Vec::new();
                    if label.is_some_and(|l| l != COPY_ONLY) {
                        let run = Command {
                            incident: Some(incident.number),
                            action: Action::Run {
                                step: number,
                                params: Default::default(),
                            },
                        };
                        controls.push(Control::Button(self.core.command_button(run, "Run").await?));
                    }
                    controls.push(self.step_button(incident.number, number, true).await?);
                    controls.push(self.step_button(incident.number, number, false).await?);
                    blocks.push(Block::Actions(controls));
                }
                StepState::Done { by, at, note } => {
                    blocks.push(Block::Context(finished("done", by, *at, note.as_ref())));
                }
                StepState::Skipped { by, at, reason } => {
                    blocks.push(Block::Context(finished(
                        "skipped",
                        by,
                        *at,
                        reason.as_ref(),
                    )));
                }
            }
        }
        Ok(Some(Message { blocks }))
    }

    async fn step_button(
        &self,
        incident: IncidentNumber,
        step: u32,
        done: bool,
    ) -> Result<Control, StoreError> {
        let action = if done {
            Action::StepDone { step, note: None }
        } else {
            Action::StepSkip { step, reason: None }
        };
        let command = Command {
            incident: Some(incident),
            action,
        };
        let button = self
            .core
            .command_button(command, if done { "Done" } else { "Skip" })
            .await?;
        Ok(Control::Button(if done {
            button.styled(ButtonStyle::Primary)
        } else {
            button
        }))
    }
}

/// The most facts and contacts an attached runbook's message shows; `runbooks show` has all.
const ABOUT_SHOWN: usize = 8;

/// What a runbook states (`RTO: < 5 min`) and whom it names to contact, each as one context
/// block of at most [`ABOUT_SHOWN`] lines.
fn about(runbook: &Runbook) -> Vec<Block> {
    let facts = runbook
        .facts
        .iter()
        .map(|f| format!("{}: {}", f.key, f.value));
    let contacts = runbook.contacts.iter().map(|c| format!("• {c}"));
    let mut blocks = Vec::new();
    for (label, lines) in [
        ("", facts.collect::<Vec<_>>()),
        ("Contacts:\n", contacts.collect::<Vec<_>>()),
    ] {
        if lines.is_empty() {
            continue;
        }
        let mut text: Vec<String> = lines
            .iter()
            .take(ABOUT_SHOWN)
            .map(|l| fit(l, 200))
            .collect();
        if lines.len() > ABOUT_SHOWN {
            text.push(format!(
                "… {} more: warroom runbooks show {}",
                lines.len() - ABOUT_SHOWN,
                runbook.id
            ));
        }
        blocks.push(Block::Context(vec![Span::Text(format!(
            "{label}{}",
            text.join("\n")
        ))]));
    }
    blocks
}

/// `done by @bob at 14:05 UTC: note`.
fn finished(how: &str, by: &UserId, at: DateTime<Utc>, note: Option<&NoteText>) -> Vec<Span> {
    let mut spans = vec![
        Span::Text(format!("{how} by ")),
        Span::Mention(by.clone()),
        Span::Text(format!(" at {}", at.format("%H:%M UTC"))),
    ];
    if let Some(note) = note {
        spans.push(Span::Text(format!(": {note}")));
    }
    spans
}

fn progress_header(attached: &AttachedRunbook) -> String {
    let (done, skipped) = attached.progress();
    let total = attached.states.len();
    let mut header = format!(
        "Runbook: {} — {done} of {total} done",
        attached.runbook.title
    );
    if skipped > 0 {
        header.push_str(&format!(", {skipped} skipped"));
    }
    header
}
