//! Incidents: the commands people give, from any chat (`take` is the one way in), and the
//! changes they make. Declaring opens a war room through delivery's one way of opening one;
//! runbook search and attach live here too (`runbooks.rs`), as do pins and form fields
//! (`chat_input.rs`).

pub(in crate::engine) mod changes;
mod chat_input;
mod input;
mod runbooks;

use super::core::Core;
use super::effect::{Effect, RoomTarget};
use super::message::ButtonId;
use super::port::Origin;
use super::{EngineError, views};
use crate::domain::{Action, Command, IncidentNumber};

pub use input::Input;

/// The commands service.
#[derive(Clone, Copy)]
pub struct Incidents<'a> {
    pub(in crate::engine) core: &'a Core,
}

impl Core {
    /// The commands service over this core.
    pub(in crate::engine) fn incidents(&self) -> Incidents<'_> {
        Incidents { core: self }
    }
}

impl Incidents<'_> {
    /// Parses and applies the words of a command (what follows `/incident`); the same as
    /// [`Engine::take`] with [`Input::Said`] for words that are not a press.
    pub async fn handle_text(&self, origin: &Origin, words: &str) -> Vec<Effect> {
        match crate::domain::parse(words) {
            Ok(command) => self.apply(origin, command).await,
            Err(e) => vec![Effect::reply(e.to_string())],
        }
    }

    /// Presses a button given as words: `b3`, or `b3 pod_name=api-7f9c` for a Run button
    /// whose command takes parameters.
    async fn press(&self, origin: &Origin, text: &str) -> Vec<Effect> {
        let (button, rest) = text
            .trim()
            .split_once(char::is_whitespace)
            .unwrap_or((text.trim(), ""));
        let shown: String = button
            .chars()
            .take(24)
            .filter(|c| !c.is_control())
            .collect();
        let Ok(id) = button.parse::<ButtonId>() else {
            return vec![Effect::reply(format!(
                "'{shown}' is not a button id; buttons look like [b3]"
            ))];
        };
        match crate::domain::parameters(rest) {
            Ok(given) => self.press_button(origin, id, given).await,
            Err(e) => vec![Effect::reply(e)],
        }
    }

    /// Applies the command behind a button as the presser, with `given` parameter values for a
    /// Run button.
    async fn press_button(
        &self,
        origin: &Origin,
        id: ButtonId,
        given: std::collections::BTreeMap<String, String>,
    ) -> Vec<Effect> {
        match self.core.store.button(id).await {
            Ok(Some(mut command)) => {
                if !given.is_empty() {
                    match &mut command.action {
                        Action::Run { params, .. } => params.extend(given),
                        _ => return vec![Effect::reply(format!("{id} takes no parameters"))],
                    }
                }
                self.apply(origin, command).await
            }
            Ok(None) => vec![Effect::reply(format!("there is no button {id}"))],
            Err(e) => vec![Effect::reply(self.core.explain(EngineError::Store(e)))],
        }
    }

    /// Applies a command from a person; failures become a one-line answer to them.
    #[tracing::instrument(skip_all, fields(user = %origin.user, incident = ?command.incident))]
    pub async fn apply(&self, origin: &Origin, command: Command) -> Vec<Effect> {
        match self.try_apply(origin, command).await {
            Ok(effects) => effects,
            Err(err) => vec![Effect::reply(self.core.explain(err))],
        }
    }

    async fn try_apply(
        &self,
        origin: &Origin,
        command: Command,
    ) -> Result<Vec<Effect>, EngineError> {
        match command.action {
            Action::Declare {
                severity,
                title,
                private,
            } => self.declare(origin, severity, title, private).await,
            Action::List => {
                let open = self.core.store.open_incidents().await?;
                Ok(vec![Effect::Reply {
                    message: views::open_list(&open),
                }])
            }
            Action::Help => Ok(vec![Effect::Reply {
                message: views::help(),
            }]),
            Action::OnCall => Ok(vec![Effect::Reply {
                message: self.core.escalation().on_call(),
            }]),
            Action::Runbook { query } => self.search(origin, command.incident, query).await,
            Action::Approve { request } => {
                self.core
                    .actions()
                    .decide_request(origin, &request, true, None)
                    .await
            }
            Action::Deny { request, reason } => {
                self.core
                    .actions()
                    .decide_request(origin, &request, false, reason)
                    .await
            }
            action => {
                let (number, in_war_room) = self.target(origin, command.incident, &action).await?;
                match action {
                    Action::Run { step, params } => {
                        self.core
                            .actions()
                            .request_run(origin, number, in_war_room, step, params)
                            .await
                    }
                    Action::Timeline => self.timeline(number).await,
                    Action::Postmortem => self.core.postmortems().postmortem(number).await,
                    change => self.change(origin, number, in_war_room, change).await,
                }
            }
        }
    }

    /// The incident a command is about: the one it names, else the war room's.
    async fn target(
        &self,
        origin: &Origin,
        named: Option<IncidentNumber>,
        action: &Action,
    ) -> Result<(IncidentNumber, bool), EngineError> {
        let here = self.core.war_room_incident(&origin.room_id).await?;
        match (named, here) {
            (Some(n), _) => Ok((n, here == Some(n))),
            (None, Some(n)) => Ok((n, true)),
            (None, None) => {
                let open = self.core.store.open_incidents().await?;
                let verb = action.verb();
                Err(EngineError::Usage(if open.is_empty() {
                    format!(
                        "this room is not a war room and no incident is open: name one, as in `{verb} INC-7`, or open one with `declare <p0|p1|p2|p3> <title…>`"
                    )
                } else {
                    let numbers: Vec<String> =
                        open.iter().take(5).map(|i| i.number.to_string()).collect();
                    format!(
                        "this room is not a war room, so name the incident, as in `{verb} {}` (open: {})",
                        open[0].number,
                        numbers.join(", ")
                    )
                }))
            }
        }
    }

    async fn timeline(&self, number: IncidentNumber) -> Result<Vec<Effect>, EngineError> {
        let incident = self.core.load(number).await?;
        let events = self.core.store.timeline(number).await?;
        Ok(vec![Effect::Post {
            room: RoomTarget::Origin,
            message: views::timeline(&incident, &events),
        }])
    }
}
