//! Running runbook steps: requests, approvals and the run itself (see DESIGN.md, Actions).
//!
//! A read action runs when any participant asks. A write action waits for an approver who
//! is not the requester. A dangerous one is shown, never run, unless the configuration
//! allowlists that exact command. Every request, decision, start and end goes on the timeline.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as TimeSpan;

use super::effect::{Effect, RoomTarget};
use super::message::{Block, Button, ButtonStyle, Control, Message, Span};
use super::{Engine, EngineError};
use crate::domain::{
    Action, ActionRequest, ApprovalRefusal, Command, CommandTemplate, EventKind, Incident,
    IncidentNumber, NoteText, ParamRules, Refusal, RequestId, RequestState, Risk, Status, UserId,
    classify,
};
use crate::executor::{Executor, Job, Outcome};
use crate::store::Created;

/// Reads a secret parameter's value when an action runs; `Ok(None)` when it is not configured.
pub type SecretReader = Arc<dyn Fn(&str) -> Result<Option<String>, String> + Send + Sync>;

/// What the engine needs to know about actions, from the configuration.
#[derive(Clone)]
pub struct ActionSettings {
    /// People who may approve write actions besides the incident's commander.
    pub approvers: Vec<UserId>,
    /// How long a request waits for a decision.
    pub request_expiry: TimeSpan,
    /// The time limit of an action whose runbook gives none.
    pub default_timeout: Duration,
    /// Exact command lines allowed to run although the rules call them dangerous.
    pub dangerous_allowlist: Vec<String>,
    /// Risks raised by action name (never lowered).
    pub raised: BTreeMap<String, Risk>,
    /// Parameter values from the configuration (trusted).
    pub values: BTreeMap<String, String>,
    /// Names of parameters whose values are secrets, read when an action runs.
    pub secrets: BTreeSet<String>,
    /// Reads a secret by parameter name.
    pub read_secret: SecretReader,
    /// Validation rules for values typed by people.
    pub rules: Arc<ParamRules>,
    /// What runs the commands.
    pub executor: Arc<dyn Executor>,
}

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

impl Engine {
    fn actions(&self) -> Result<&ActionSettings, EngineError> {
        self.settings.actions.as_ref().ok_or_else(|| {
            EngineError::Usage(
                "running steps is not configured here; do it by hand and mark it with done <step>"
                    .into(),
            )
        })
    }

    /// `run <step> [name=value…]` and the Run button.
    pub(super) async fn request_run(
        &self,
        origin: &super::port::Origin,
        number: IncidentNumber,
        in_war_room: bool,
        step: u32,
        given: BTreeMap<String, String>,
    ) -> Result<Vec<Effect>, EngineError> {
        let actions = self.actions()?;
        let incident = self.load(number).await?;
        if incident.status == Status::Resolved {
            return Err(Refusal::Resolved(number).into());
        }
        if incident.runbooks.is_empty() {
            return Err(Refusal::NoRunbook(number).into());
        }
        let Some(found) = incident.numbered_steps().find(|s| s.number == step) else {
            return Err(Refusal::NoSuchStep {
                incident: number,
                number: step,
                total: incident.numbered_steps().count(),
            }
            .into());
        };
        let the_step = found.step().clone();
        let Some(command) = the_step.command.clone() else {
            return Err(EngineError::Usage(format!(
                "step {step} has no command to run; when it is done, mark it with: done {step}"
            )));
        };
        let template = CommandTemplate::parse(&command).map_err(|e| {
            EngineError::Usage(format!(
                "step {step}'s command cannot be read as arguments: {e}"
            ))
        })?;
        let judged = classify(&command);
        let mut risk = judged.risk;
        let mut why = judged.reason;
        for raised in [
            the_step.risk,
            the_step
                .action
                .as_ref()
                .and_then(|a| actions.raised.get(a).copied()),
        ]
        .into_iter()
        .flatten()
        {
            if raised > risk {
                risk = raised;
                why = format!("the runbook or the configuration marks it {raised}");
            }
        }
        if risk == Risk::Dangerous
            && !actions
                .dangerous_allowlist
                .iter()
                .any(|c| c.trim() == command.trim())
        {
            return Ok(vec![Effect::Reply {
                message: Message {
                    blocks: vec![
                        Block::Text(vec![Span::Text(format!(
                            "Step {step} is dangerous ({why}), so Warroom will not run it. If it must be done, run it yourself:"
                        ))]),
                        Block::Code(template.display()),
                    ],
                },
            }]);
        }
        // People may fill what the configuration leaves open, never override it.
        for name in given.keys() {
            if actions.values.contains_key(name) || actions.secrets.contains(name) {
                return Err(EngineError::Usage(format!(
                    "{name} is set by the configuration and cannot be given here"
                )));
            }
            if !template.params().contains(name) {
                return Err(EngineError::Usage(format!(
                    "step {step} has no parameter {name} (it takes: {})",
                    list_or_none(&template.params())
                )));
            }
        }
        for (name, value) in &given {
            actions
                .rules
                .check(name, value)
                .map_err(|e| EngineError::Usage(e.to_string()))?;
        }
        let missing: Vec<String> = template
            .params()
            .into_iter()
            .filter(|p| {
                !given.contains_key(p)
                    && !actions.values.contains_key(p)
                    && !actions.secrets.contains(p)
            })
            .collect();
        if !missing.is_empty() {
            let example: Vec<String> = missing.iter().map(|m| format!("{m}=…")).collect();
            return Err(EngineError::Usage(format!(
                "step {step} needs {}: run {step} {}",
                missing.join(", "),
                example.join(" ")
            )));
        }
        let now = self.clock.now();
        let request = ActionRequest {
            id: RequestId(0),
            incident: number,
            step,
            title: the_step.title.clone(),
            command: command.clone(),
            params: given,
            risk,
            timeout_secs: the_step
                .timeout_secs
                .unwrap_or(actions.default_timeout.as_secs())
                .max(1),
            requested_by: origin.user.clone(),
            requested_at: now,
            expires_at: now + actions.request_expiry,
            state: if risk == Risk::Read {
                RequestState::Approved
            } else {
                RequestState::Pending
            },
            decided_by: None,
        };
        let request = match self.store.create_action_request(&request).await? {
            Created::New(r) => r,
            // A request nobody decided in time gives the step back.
            Created::Existing(r) if r.state == RequestState::Pending && now >= r.expires_at => {
                self.expire(&r).await?;
                match self.store.create_action_request(&request).await? {
                    Created::New(r) => r,
                    Created::Existing(r) => return Err(already(step, &r)),
                }
            }
            Created::Existing(r) => return Err(already(step, &r)),
        };
        let shown = template.display();
        let (_, _, event) = self
            .append(number, &origin.user, |_| {
                Ok(EventKind::ActionRequested {
                    request: request.id,
                    step,
                    title: request.title.clone(),
                    command: shown.clone(),
                    risk,
                })
            })
            .await?;
        let mut effects = vec![];
        if risk == Risk::Read {
            effects.push(Effect::Post {
                room: RoomTarget::WarRoom(number),
                message: super::views::event_line(&event),
            });
            effects.push(Effect::RunAction {
                request: request.id,
            });
        } else {
            effects.push(Effect::Post {
                room: RoomTarget::WarRoom(number),
                message: self
                    .approval_message(&incident, &request, &shown, &why)
                    .await?,
            });
        }
        if !in_war_room {
            effects.push(Effect::Reply {
                message: Message::text(format!("{} asked for: step {step} ({})", request.id, risk)),
            });
        }
        Ok(effects)
    }

    async fn approval_message(
        &self,
        incident: &Incident,
        request: &ActionRequest,
        shown: &str,
        why: &str,
    ) -> Result<Message, crate::store::StoreError> {
        let approve = self
            .button(Command {
                incident: None,
                action: Action::Approve {
                    request: request.id.to_string(),
                },
            })
            .await?;
        let deny = self
            .button(Command {
                incident: None,
                action: Action::Deny {
                    request: request.id.to_string(),
                    reason: None,
                },
            })
            .await?;
        let mut who = vec![Span::Text("Approvers: ".into())];
        let mut approvers: Vec<&UserId> = incident.commander.iter().collect();
        if let Ok(actions) = self.actions() {
            approvers.extend(actions.approvers.iter());
        }
        let mut seen = BTreeSet::new();
        approvers.retain(|a| seen.insert(a.as_str().to_owned()));
        for (i, a) in approvers.into_iter().enumerate() {
            if i > 0 {
                who.push(Span::Text(", ".into()));
            }
            who.push(Span::Mention(a.clone()));
        }
        Ok(Message {
            blocks: vec![
                Block::Header(format!(
                    "{} · approval needed: step {} — {}",
                    request.id, request.step, request.title
                )),
                Block::Code(shown.to_owned()),
                Block::Text(vec![
                    Span::Mention(request.requested_by.clone()),
                    Span::Text(format!(
                        " asks to run this {} action ({why}). It expires at {} UTC.",
                        request.risk,
                        request.expires_at.format("%H:%M")
                    )),
                ]),
                Block::Context(who),
                Block::Actions(vec![
                    Control::Button(Button {
                        id: approve,
                        label: "Approve".into(),
                        style: ButtonStyle::Primary,
                    }),
                    Control::Button(Button {
                        id: deny,
                        label: "Deny".into(),
                        style: ButtonStyle::Danger,
                    }),
                ]),
            ],
        })
    }

    /// `approve <request>` and `deny <request> [reason]`.
    pub(super) async fn decide_request(
        &self,
        origin: &super::port::Origin,
        request: &str,
        approve: bool,
        reason: Option<NoteText>,
    ) -> Result<Vec<Effect>, EngineError> {
        let actions = self.actions()?;
        let Ok(id) = request.parse::<RequestId>() else {
            return Err(EngineError::Usage(format!(
                "'{request}' is not a request id like r5"
            )));
        };
        let Some(found) = self.store.action_request(id).await? else {
            return Err(EngineError::Usage(format!("there is no request {id}")));
        };
        let incident = self.load(found.incident).await?;
        let now = self.clock.now();
        match found.may_decide(
            &origin.user,
            incident.commander.as_ref(),
            &actions.approvers,
            now,
        ) {
            Ok(()) => {}
            Err(refusal @ ApprovalRefusal::Expired { .. }) => {
                self.expire(&found).await?;
                return Err(EngineError::Usage(refusal.to_string()));
            }
            Err(refusal) => return Err(EngineError::Usage(refusal.to_string())),
        }
        let to = if approve {
            RequestState::Approved
        } else {
            RequestState::Denied
        };
        if !self
            .store
            .move_request(id, RequestState::Pending, to, Some(&origin.user))
            .await?
        {
            let now_state = self
                .store
                .action_request(id)
                .await?
                .map_or("gone", |r| r.state.word());
            return Err(EngineError::Usage(format!("{id} is already {now_state}")));
        }
        let kind = if approve {
            EventKind::ActionApproved { request: id }
        } else {
            EventKind::ActionDenied {
                request: id,
                reason,
            }
        };
        let (_, _, event) = self
            .append(found.incident, &origin.user, |_| Ok(kind.clone()))
            .await?;
        let mut effects = vec![Effect::Post {
            room: RoomTarget::WarRoom(found.incident),
            message: super::views::event_line(&event),
        }];
        if approve {
            effects.push(Effect::RunAction { request: id });
        }
        Ok(effects)
    }

    /// Marks a pending request expired, once, and records it on the timeline.
    async fn expire(&self, request: &ActionRequest) -> Result<(), EngineError> {
        if self
            .store
            .move_request(
                request.id,
                RequestState::Pending,
                RequestState::Expired,
                None,
            )
            .await?
        {
            let id = request.id;
            self.append(request.incident, &UserId::warroom(), |_| {
                Ok(EventKind::ActionExpired { request: id })
            })
            .await?;
        }
        Ok(())
    }

    /// Runs an approved request, once: of all callers only the one that moves it to running
    /// starts it. Returns the message with its output, or `None` when another caller runs it.
    pub(super) async fn run_request(&self, id: RequestId) -> Result<Option<Message>, EngineError> {
        let actions = self.actions()?;
        if !self
            .store
            .move_request(id, RequestState::Approved, RequestState::Running, None)
            .await?
        {
            return Ok(None);
        }
        let Some(request) = self.store.action_request(id).await? else {
            return Ok(None);
        };
        let outcome = match self.prepare(actions, &request) {
            Ok(job) => {
                let dry_run = actions.executor.name() == "dry-run";
                self.append(request.incident, &UserId::warroom(), |_| {
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
        self.store
            .move_request(id, RequestState::Running, RequestState::Finished, None)
            .await?;
        let (kind, message) = match outcome {
            Ok(outcome) => {
                let (kept, _) = tail(&outcome.output, TIMELINE_OUTPUT_CHARS);
                (
                    EventKind::ActionFinished {
                        request: id,
                        exit_code: outcome.exit_code,
                        timed_out: outcome.timed_out,
                        output: kept.to_owned(),
                    },
                    output_message(&request, &outcome),
                )
            }
            Err(why) => (
                EventKind::ActionFinished {
                    request: id,
                    exit_code: None,
                    timed_out: false,
                    output: why.clone(),
                },
                Message::text(format!(
                    "{id} · step {} could not start: {why}",
                    request.step
                )),
            ),
        };
        self.append(request.incident, &UserId::warroom(), |_| Ok(kind.clone()))
            .await?;
        Ok(Some(message))
    }

    /// The argv of a request with every parameter filled in (secrets read now).
    fn prepare(&self, actions: &ActionSettings, request: &ActionRequest) -> Result<Job, String> {
        let template = CommandTemplate::parse(&request.command).map_err(|e| e.to_string())?;
        let mut values = actions.values.clone();
        values.extend(request.params.clone());
        for name in template.params() {
            if actions.secrets.contains(&name) {
                match (actions.read_secret)(&name)? {
                    Some(secret) => {
                        values.insert(name, secret);
                    }
                    None => return Err(format!("the secret {name} is not set")),
                }
            }
        }
        let argv = template
            .render(&values, &actions.rules)
            .map_err(|e| e.to_string())?;
        Ok(Job {
            argv,
            env: Vec::new(),
            timeout: Duration::from_secs(request.timeout_secs),
        })
    }
}

fn already(step: u32, open: &ActionRequest) -> EngineError {
    EngineError::Usage(format!(
        "step {step} already has {} ({})",
        open.id,
        open.state.word()
    ))
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// A run's output for the chat: what happened, and the end of the output in a code block.
fn output_message(request: &ActionRequest, outcome: &Outcome) -> Message {
    let how = if outcome.dry_run {
        "drill, nothing started".to_owned()
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
        Span::Text(format!(
            " — {} · {how} · {:.1} s",
            request.title,
            outcome.duration.as_secs_f64()
        )),
    ])];
    blocks.push(Block::Code(if shown.is_empty() {
        "(no output)".to_owned()
    } else {
        shown.trim_end().to_owned()
    }));
    let dropped = outcome
        .output_bytes
        .saturating_sub(outcome.output.len() as u64)
        + cut as u64;
    if dropped > 0 {
        blocks.push(Block::Context(vec![Span::Text(format!(
            "The first {dropped} bytes of {} are cut; the end is shown.",
            outcome.output_bytes
        ))]));
    }
    Message { blocks }
}

// By hand: the executor and the secret reader have nothing useful to show, and values may
// be sensitive, so only their names are listed.
impl std::fmt::Debug for ActionSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActionSettings")
            .field("approvers", &self.approvers)
            .field("request_expiry", &self.request_expiry)
            .field("default_timeout", &self.default_timeout)
            .field("dangerous_allowlist", &self.dangerous_allowlist)
            .field("raised", &self.raised)
            .field("values", &self.values.keys().collect::<Vec<_>>())
            .field("secrets", &self.secrets)
            .field("executor", &self.executor.name())
            .finish()
    }
}
