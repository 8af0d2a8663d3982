//! Running runbook steps: requests, approvals and the run itself (the rules are in docs/ACTIONS.md).
//!
//! A read action runs when any participant asks. A write action waits for an approver who
//! is not the requester. A dangerous one is shown, never run, unless the configuration
//! allowlists that exact command. Every request, decision, start and end goes on the timeline.

mod decide;
mod judge;
mod run;
mod waiting;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as TimeSpan;

use super::EngineError;
use super::effect::{Effect, RoomTarget};
use super::message::{Block, ButtonStyle, Control, Message, Span};
use crate::domain::{
    Action, ActionRequest, Command, CommandTemplate, EventKind, Incident, IncidentNumber,
    ParamRules, PreparedCommand, Refusal, RequestId, RequestState, Risk, Status, StepKind, UserId,
    looks_secret,
};
use crate::engine::core::Core;
use crate::executor::Executor;
use crate::store::Created;

/// Reads a secret parameter's value when an action runs; `Ok(None)` when it is not configured.
pub type SecretReader = Arc<dyn Fn(&str) -> Result<Option<String>, String> + Send + Sync>;

/// What the engine needs to know about actions, from the configuration.
#[derive(Clone)]
pub struct ActionSettings {
    /// People who may approve write actions besides the incident's commander.
    pub approvers: Vec<UserId>,
    /// Whether whoever is on call in a rotation at the moment may approve too.
    pub on_call_may_approve: bool,
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
    /// The environment whose values fill parameters (`[actions] environment`), when the
    /// configuration has environments; the war room names it beside where commands run.
    pub environment: Option<String>,
}

impl ActionSettings {
    /// The parameters of `template` that neither `given`, the configured values nor the
    /// secrets supply.
    pub(in crate::engine) fn unsupplied(
        &self,
        template: &CommandTemplate,
        given: &BTreeMap<String, String>,
    ) -> Vec<String> {
        template
            .params()
            .into_iter()
            .filter(|p| {
                !given.contains_key(p) && !self.values.contains_key(p) && !self.secrets.contains(p)
            })
            .collect()
    }
}

/// The actions service: requests to run runbook steps, their approval and their runs.
#[derive(Clone, Copy)]
pub struct Actions<'a> {
    pub(in crate::engine) core: &'a Core,
}

impl Core {
    /// The actions service over this core.
    pub(in crate::engine) fn actions(&self) -> Actions<'_> {
        Actions { core: self }
    }
}

impl Actions<'_> {
    /// The action settings, or why steps cannot be run here.
    fn actions(&self) -> Result<&ActionSettings, EngineError> {
        self.core.settings.actions.as_ref().ok_or_else(|| {
            EngineError::Usage(
                "running steps is not configured here; do it by hand and mark it with done <step>"
                    .into(),
            )
        })
    }

    /// Who may approve besides the commander: the configured approvers and, with
    /// `on_call_may_approve`, whoever is on call now in a rotation.
    fn approvers(&self, actions: &ActionSettings) -> Vec<UserId> {
        let mut approvers = actions.approvers.clone();
        if actions.on_call_may_approve {
            let now = self.core.clock.now();
            for rotation in &self.core.settings.rotations {
                if let Some(person) = rotation.on_call(now)
                    && !approvers.contains(person)
                {
                    approvers.push(person.clone());
                }
            }
        }
        approvers
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
        self.core
            .settings
            .permissions
            .may_run(&origin.user)
            .map_err(|e| EngineError::Usage(e.to_string()))?;
        let incident = self.core.load(number).await?;
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
        let Some(command) = the_step.runnable().map(str::to_owned) else {
            return Err(EngineError::Usage(match the_step.kind {
                StepKind::Script | StepKind::Sql => format!(
                    "step {step} is {} to copy, not one command: Warroom does not run it. Run it yourself; when it is done, mark it with: done {step}",
                    if the_step.kind == StepKind::Sql {
                        "SQL"
                    } else {
                        "a script"
                    }
                ),
                _ => format!(
                    "step {step} has no command to run; when it is done, mark it with: done {step}"
                ),
            }));
        };
        let template = CommandTemplate::parse(&command).map_err(|e| {
            EngineError::Usage(format!(
                "step {step}'s command cannot be read as arguments: {e}"
            ))
        })?;
        let verdict = actions
            .policy()
            .verdict(&the_step)
            .ok_or_else(|| EngineError::Usage(format!("step {step} has no command to run")))?;
        let (risk, why) = (verdict.risk, verdict.reason.clone());
        if !verdict.runs() {
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
            if looks_secret(name) {
                return Err(EngineError::Usage(format!(
                    "{name} looks like a secret, so Warroom does not take it from the chat and kept nothing of it. {}",
                    configure_secret(name)
                )));
            }
        }
        for (name, value) in &given {
            actions
                .rules
                .check(name, value)
                .map_err(|e| EngineError::Usage(e.to_string()))?;
        }
        // Labels of the alerts that opened the incident fill what nobody else gives.
        let mut given = given;
        given.extend(
            self.core
                .alerts()
                .alert_values(number, &template, &given, actions)
                .await?,
        );
        let missing = actions.unsupplied(&template, &given);
        let (secret, missing): (Vec<String>, Vec<String>) =
            missing.into_iter().partition(|m| looks_secret(m));
        if let Some(name) = secret.first() {
            return Err(EngineError::Usage(format!(
                "step {step} needs {name}, which looks like a secret: Warroom never asks for one in the chat. {}",
                configure_secret(name)
            )));
        }
        if !missing.is_empty() {
            let example: Vec<String> = missing.iter().map(|m| format!("{m}=…")).collect();
            return Err(EngineError::Usage(format!(
                "step {step} needs {}: run {step} {}",
                missing.join(", "),
                example.join(" ")
            )));
        }
        // The argv is decided now, and what is approved is what runs: values from the
        // configuration, the responder and the labels, checked in the places they stand;
        // secrets only named.
        let mut values = actions.values.clone();
        values.extend(given.clone());
        let prepared = template
            .prepare(&values, &actions.rules)
            .map_err(|e| EngineError::Usage(format!("step {step} cannot run: {e}")))?;
        let now = self.core.clock.now();
        let request = ActionRequest {
            id: RequestId(0),
            incident: number,
            step,
            title: the_step.title.clone(),
            command: command.clone(),
            params: given,
            argv: Some(prepared.clone()),
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
        let request = match self.core.store.create_action_request(&request).await? {
            Created::New(r) => r,
            // A request nobody decided in time gives the step back.
            Created::Existing(r) if r.state == RequestState::Pending && now >= r.expires_at => {
                self.expire(&r).await?;
                match self.core.store.create_action_request(&request).await? {
                    Created::New(r) => r,
                    Created::Existing(r) => return Err(already(step, &r)),
                }
            }
            Created::Existing(r) => return Err(already(step, &r)),
        };
        // The argv was set above; the runbook's text is only a fallback of the type.
        let shown = request
            .argv
            .as_ref()
            .map_or_else(|| template.display(), PreparedCommand::shown);
        let (_, _, event) = self
            .core
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
            let mut approvers = self.approvers_for(&incident, &request);
            effects.push(Effect::Post {
                room: RoomTarget::WarRoom(number),
                message: self
                    .approval_message(&request, &approvers, &shown, &why)
                    .await?,
            });
            // Reminded at half the expiry, expired at its time, each by a timer.
            self.core
                .store
                .schedule_timers(number, &Self::waiting_timers(&request))
                .await?;
            self.core.timers_changed.notify_waiters();
            // Those who may approve are brought into the war room to see what they approve
            // (the commander is in it already).
            approvers.retain(|a| incident.commander.as_ref() != Some(a));
            if !approvers.is_empty() {
                effects.push(Effect::Invite {
                    incident: number,
                    users: approvers,
                });
            }
        }
        if !in_war_room {
            effects.push(Effect::Reply {
                message: Message::text(format!("{} asked for: step {step} ({})", request.id, risk)),
            });
        }
        Ok(effects)
    }

    /// Who may approve a request: the commander and the configured approvers, each once,
    /// never the person who asked.
    fn approvers_for(&self, incident: &Incident, request: &ActionRequest) -> Vec<UserId> {
        let configured = self
            .actions()
            .map(|a| self.approvers(a))
            .unwrap_or_default();
        let mut approvers: Vec<&UserId> = incident.commander.iter().collect();
        approvers.extend(configured.iter());
        let mut seen = BTreeSet::new();
        approvers
            .into_iter()
            .filter(|a| **a != request.requested_by && seen.insert(a.as_str().to_owned()))
            .cloned()
            .collect()
    }

    async fn approval_message(
        &self,
        request: &ActionRequest,
        approvers: &[UserId],
        shown: &str,
        why: &str,
    ) -> Result<Message, crate::store::StoreError> {
        let approve = Command {
            incident: None,
            action: Action::Approve {
                request: request.id.to_string(),
            },
        };
        let approve = self.core.command_button(approve, "Approve").await?;
        let deny = Command {
            incident: None,
            action: Action::Deny {
                request: request.id.to_string(),
                reason: None,
            },
        };
        let deny = self.core.command_button(deny, "Deny").await?;
        let mut who = vec![Span::Text("Approvers: ".into())];
        if approvers.is_empty() {
            who = vec![Span::Text(
                "No one but the requester may approve this: assign another commander, or list \
                 approvers under [actions] approvers."
                    .into(),
            )];
        }
        for (i, a) in approvers.iter().enumerate() {
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
                    Control::Button(approve.styled(ButtonStyle::Primary).confirming(format!(
                        "Approving runs step {} now, a {} action: {shown}",
                        request.step, request.risk
                    ))),
                    Control::Button(deny.styled(ButtonStyle::Danger)),
                ]),
            ],
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

/// How whoever runs Warroom gives it the secret `name`.
fn configure_secret(name: &str) -> String {
    format!(
        "Ask whoever runs Warroom to add it to [actions.secrets] ({name} = {{ env = \"{}\" }}, or {{ file = \"…\" }}) and restart it.",
        name.to_ascii_uppercase()
    )
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
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
