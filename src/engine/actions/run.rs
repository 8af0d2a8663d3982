//! Running an approved request and showing its output.

use std::collections::BTreeMap;
use std::time::Duration;

use super::ActionSettings;
use crate::domain::{
    Action, ActionRequest, DRILL_NOT_RUN, EventKind, NoteText, Refusal, RequestId, RequestState,
    UserId,
};
use crate::engine::Actions;
use crate::engine::EngineError;
use crate::engine::effect::Effect;
use crate::engine::message::{Block, Message, Span};
use crate::engine::port::Origin;
use crate::executor::{Job, Outcome, Redactor};

/// The most characters of output kept on the timeline for one run.
const TIMELINE_OUTPUT_CHARS: usize = 1_000;
/// The most characters of output posted in the chat for one run.
const CHAT_OUTPUT_CHARS: usize = 2_800;

/// The last `max` characters of `text`, and how many bytes were cut before them.
fn tail(text: &str, max: usize) -> (&str, usize) {
    let count = text.chars().count();
    if count <= max {
        return (text, 0);
    }
    let start = text.char_indices().nth(count - max).map_or(0, |(i, _)| i);
    (&text[start..], start)
}

impl Actions<'_> {
    /// Runs an approved request, once: of all callers only the one that moves it to running
    /// starts it. Its output goes to the outbox with the event that records its end. Returns
    /// whether this caller ran it.
    pub(in crate::engine) async fn run_request(
        &self,
        id: RequestId,
        origin: &Origin,
    ) -> Result<bool, EngineError> {
        let actions = self.actions()?;
        if !self
            .core
            .store
            .move_request(id, RequestState::Approved, RequestState::Running, None)
            .await?
        {
            return Ok(false);
        }
        let Some(request) = self.core.store.action_request(id).await? else {
            return Ok(false);
        };
        let mut hidden = Vec::new();
        let outcome = match self.prepare(actions, &request) {
            Ok((job, secrets)) => {
                hidden = secrets;
                let dry_run = actions.executor.name() == "dry-run";
                self.core
                    .append(request.incident, &UserId::warroom(), |_| {
                        Ok(EventKind::ActionStarted {
                            request: id,
                            dry_run,
                        })
                    })
                    .await?;
                actions.executor.run(&job).await.map_err(|e| e.to_string())
            }
            Err(e) => Err(e),
        };
        self.core
            .store
            .move_request(id, RequestState::Running, RequestState::Finished, None)
            .await?;
        // The executor already scrubbed the secrets the step used; this is for executors that
        // do not, for error messages, and for every other configured secret, which a program
        // could print from somewhere else (its own configuration, a file it read).
        for name in &actions.secrets {
            if let Ok(Some(value)) = (actions.read_secret)(name)
                && !hidden.contains(&value)
            {
                hidden.push(value);
            }
        }
        let scrub = Redactor::new(&hidden);
        let outcome = match outcome {
            Ok(mut outcome) => {
                outcome.output = scrub.scrub(&outcome.output);
                Ok(outcome)
            }
            Err(why) => Err(scrub.scrub(&why)),
        };
        let succeeded = matches!(&outcome, Ok(o) if o.exit_code == Some(0) && !o.timed_out)
            && actions.executor.name() != "dry-run";
        let ended = match &outcome {
            Err(_) => "not_started",
            Ok(o) if o.dry_run => "drill",
            Ok(o) if o.timed_out => "timed_out",
            Ok(o) if o.exit_code == Some(0) => "succeeded",
            Ok(_) => "failed",
        };
        crate::telemetry::action_ran(request.risk.name(), ended);
        let (kind, message) = match outcome {
            Ok(outcome) => {
                let (kept, _) = tail(&outcome.output, TIMELINE_OUTPUT_CHARS);
                (
                    EventKind::ActionFinished {
                        request: id,
                        exit_code: outcome.exit_code,
                        timed_out: outcome.timed_out,
                        output: kept.to_owned(),
                        step: Some(request.step),
                        drill: outcome.dry_run,
                    },
                    output_message(&request, &outcome, &actions.executor.location()),
                )
            }
            Err(why) => (
                EventKind::ActionFinished {
                    request: id,
                    exit_code: None,
                    timed_out: false,
                    output: why.clone(),
                    step: Some(request.step),
                    drill: false,
                },
                Message::text(format!(
                    "{id} · step {} could not start: {why}",
                    request.step
                )),
            ),
        };
        let output = Effect::PostOutput {
            request: id,
            message,
        };
        self.core
            .delivery()
            .record_told(origin, request.incident, kind, output)
            .await?;
        if succeeded {
            self.mark_done(&request, origin).await;
        }
        Ok(true)
    }

    /// Marks the step of a request whose run ended well done, by whoever asked for it, so that
    /// the runbook's message and the post-mortem say so. A step someone already marked stays
    /// as they left it.
    async fn mark_done(&self, request: &ActionRequest, origin: &Origin) {
        let note = NoteText::parse(&format!("ran {}, exit code 0", request.id)).ok();
        let asker = Origin {
            room_id: origin.room_id.clone(),
            user: request.requested_by.clone(),
        };
        let done = Action::StepDone {
            step: request.step,
            note,
        };
        match self
            .core
            .incidents()
            .change(&asker, request.incident, true, done)
            .await
        {
            Ok(_) | Err(EngineError::Refused(Refusal::StepFinished { .. })) => {}
            Err(e) => tracing::warn!(
                request = %request.id,
                error = %e,
                "could not mark the step of a finished run done"
            ),
        }
    }

    /// The argv the request was approved with, its secrets read now, and their values (to
    /// scrub from its output).
    fn prepare(
        &self,
        actions: &ActionSettings,
        request: &ActionRequest,
    ) -> Result<(Job, Vec<String>), String> {
        let Some(prepared) = &request.argv else {
            return Err(format!(
                "{} was asked for by an older Warroom that did not record the command it would \
                 run; ask again with: run {}",
                request.id, request.step
            ));
        };
        let mut secrets = BTreeMap::new();
        for name in prepared.secrets() {
            if !actions.secrets.contains(&name) {
                return Err(format!("{name} is no longer a configured secret"));
            }
            match (actions.read_secret)(&name)? {
                Some(secret) => {
                    secrets.insert(name, secret);
                }
                None => return Err(format!("the secret {name} is not set")),
            }
        }
        let argv = prepared.argv(&secrets).map_err(|e| e.to_string())?;
        let values: Vec<String> = secrets.into_values().collect();
        Ok((
            Job {
                argv,
                env: Vec::new(),
                timeout: Duration::from_secs(request.timeout_secs),
                secrets: values.clone(),
            },
            values,
        ))
    }
}

/// A run's output for the chat: what happened and where, and the end of the output in a code
/// block.
fn output_message(request: &ActionRequest, outcome: &Outcome, location: &str) -> Message {
    let how = if outcome.dry_run {
        DRILL_NOT_RUN.to_owned()
    } else if outcome.timed_out {
        format!("killed after its {} s limit", request.timeout_secs)
    } else {
        match outcome.exit_code {
            Some(code) => format!("exit code {code}"),
            None => "killed by a signal".to_owned(),
        }
    };
    let (shown, cut) = tail(&outcome.output, CHAT_OUTPUT_CHARS);
    let mut blocks = vec![Block::Text(vec![
        Span::Bold(format!("{} · step {}", request.id, request.step)),
        Span::Text(if outcome.dry_run {
            format!(
                " — {} · {how} · {:.1} s",
                request.title,
                outcome.duration.as_secs_f64()
            )
        } else {
            format!(
                " — {} · {how} · {:.1} s · on {location}",
                request.title,
                outcome.duration.as_secs_f64()
            )
        }),
    ])];
    blocks.push(Block::Code(if shown.is_empty() {
        "(no output)".to_owned()
    } else {
        shown.trim_end().to_owned()
    }));
    let dropped = outcome.dropped_bytes + cut as u64;
    if dropped > 0 {
        blocks.push(Block::Context(vec![Span::Text(format!(
            "The first {dropped} bytes of {} are cut; the end is shown.",
            outcome.output_bytes
        ))]));
    }
    Message { blocks }
}
