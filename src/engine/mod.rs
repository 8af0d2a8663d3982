//! The engine: applies commands to incidents, records them through the store, and says what
//! the chat should show. It knows no chat; it speaks through [`port::ChatPort`].

mod actions;
pub mod clock;
mod dispatch;
pub mod effect;
mod memo;
pub mod message;
pub mod port;
pub mod postmortem;
mod runbooks;
mod views;

use std::sync::Arc;

use crate::domain::{
    Action, Command, EventKind, Incident, IncidentNumber, IncidentTitle, Refusal, Role, Runbook,
    Severity, Status, StepOutcome, TimelineEvent, UserId,
};
use crate::runbook::Library;
use crate::store::{Store, StoreError};

use clock::Clock;
use effect::{Effect, RoomTarget};
use message::{Button, ButtonId, ButtonStyle, Control, FileUpload, Message};
use port::Origin;
use postmortem::{PostmortemError, PostmortemRenderer};

pub use actions::{ActionSettings, SecretReader};
pub use views::war_room_name;

/// What the engine needs from the configuration.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// People invited into every war room.
    pub responders: Vec<UserId>,
    /// The chat's id of a room where new incidents are announced.
    pub announce_room: Option<String>,
    /// The runbooks to suggest and attach.
    pub runbooks: Arc<Library>,
    /// How runbook steps run; `None` when running them is not configured.
    pub actions: Option<ActionSettings>,
}

/// Why a command did nothing. The chat user sees [`Engine::explain`]'s sentence.
#[derive(Debug, thiserror::Error)]
enum EngineError {
    /// A domain rule said no.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The command does not fit here; the text says why and what to do.
    #[error("{0}")]
    Usage(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The post-mortem template failed.
    #[error(transparent)]
    Postmortem(#[from] PostmortemError),
}

/// How often a command is tried again when another change to the same incident won the race.
const CONFLICT_RETRIES: usize = 5;

/// The incident engine.
pub struct Engine {
    store: Store,
    clock: Arc<dyn Clock>,
    settings: Settings,
    postmortem: PostmortemRenderer,
    memo: memo::Memo,
    /// Changes to one incident take turns inside this process (striped by number), so they do
    /// not race each other; the store's version check still settles races between replicas.
    turns: Vec<tokio::sync::Mutex<()>>,
}

/// How many locks the changes of different incidents are spread over.
const TURN_STRIPES: usize = 64;

impl Engine {
    /// An engine over a store, a clock, settings and a post-mortem renderer.
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        settings: Settings,
        postmortem: PostmortemRenderer,
    ) -> Engine {
        Engine {
            store,
            clock,
            settings,
            postmortem,
            memo: memo::Memo::new(),
            turns: (0..TURN_STRIPES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
        }
    }

    /// The store the engine records into.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The engine's clock.
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// Parses and applies the words of a command (what follows `/incident`).
    pub async fn handle_text(&self, origin: &Origin, words: &str) -> Vec<Effect> {
        match crate::domain::parse(words) {
            Ok(command) => self.apply(origin, command).await,
            Err(e) => vec![Effect::reply(e.to_string())],
        }
    }

    /// Presses a button: `b3`, or `b3 pod_name=api-7f9c` for a Run button whose command
    /// takes parameters. Applies the command behind it as the presser.
    pub async fn press(&self, origin: &Origin, text: &str) -> Vec<Effect> {
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
        let given = match crate::domain::parameters(rest) {
            Ok(given) => given,
            Err(e) => return vec![Effect::reply(e)],
        };
        match self.store.button(id.0).await {
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
            Err(e) => vec![Effect::reply(self.explain(EngineError::Store(e)))],
        }
    }

    /// Applies a command from a person; failures become a one-line answer to them.
    #[tracing::instrument(skip_all, fields(user = %origin.user, incident = ?command.incident))]
    pub async fn apply(&self, origin: &Origin, command: Command) -> Vec<Effect> {
        match self.try_apply(origin, command).await {
            Ok(effects) => effects,
            Err(err) => vec![Effect::reply(self.explain(err))],
        }
    }

    /// The sentence a person sees for a failure; causes that are not theirs go to the log.
    fn explain(&self, err: EngineError) -> String {
        match err {
            EngineError::Refused(r) => r.to_string(),
            EngineError::Usage(s) => s,
            EngineError::Store(e) => {
                tracing::error!(error = ?e, "store failed");
                match e {
                    StoreError::ReadOnly | StoreError::Unavailable(_) | StoreError::Conflict(_) => {
                        e.to_string()
                    }
                    _ => "the database failed, so nothing was recorded; the log has the details"
                        .to_owned(),
                }
            }
            EngineError::Postmortem(e) => {
                tracing::error!(error = ?e, "post-mortem failed");
                format!("the post-mortem could not be written: {e}")
            }
        }
    }

    async fn try_apply(
        &self,
        origin: &Origin,
        command: Command,
    ) -> Result<Vec<Effect>, EngineError> {
        match command.action {
            Action::Declare { severity, title } => self.declare(origin, severity, title).await,
            Action::List => {
                let open = self.store.open_incidents().await?;
                Ok(vec![Effect::Reply {
                    message: views::open_list(&open),
                }])
            }
            Action::Help => Ok(vec![Effect::Reply {
                message: views::help(),
            }]),
            Action::Runbook { query } => self.search(origin, command.incident, query).await,
            Action::Approve { request } => self.decide_request(origin, &request, true, None).await,
            Action::Deny { request, reason } => {
                self.decide_request(origin, &request, false, reason).await
            }
            action => {
                let (number, in_war_room) = self.target(origin, command.incident, &action).await?;
                match action {
                    Action::Run { step, params } => {
                        self.request_run(origin, number, in_war_room, step, params)
                            .await
                    }
                    Action::Timeline => self.timeline(number).await,
                    Action::Postmortem => self.postmortem(number).await,
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
        let here = self.war_room_incident(origin).await?;
        match (named, here) {
            (Some(n), _) => Ok((n, here == Some(n))),
            (None, Some(n)) => Ok((n, true)),
            (None, None) => {
                let open = self.store.open_incidents().await?;
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

    async fn load(&self, number: IncidentNumber) -> Result<Incident, EngineError> {
        self.store
            .incident(number)
            .await?
            .ok_or_else(|| EngineError::Usage(format!("there is no {number}")))
    }

    async fn declare(
        &self,
        origin: &Origin,
        severity: Severity,
        title: IncidentTitle,
    ) -> Result<Vec<Effect>, EngineError> {
        if let Some(n) = self.war_room_incident(origin).await? {
            return Err(EngineError::Usage(format!(
                "this is the war room of {n}; declare a new incident from outside a war room, or change this one with sev or status"
            )));
        }
        let (incident, _event) = self
            .store
            .declare(&title, severity, &origin.user, self.clock.now())
            .await?;
        let n = incident.number;
        tracing::info!(incident = %n, %severity, "declared");
        self.memo.remember_incident(incident.clone());
        let name = war_room_name(n, incident.title.as_str());
        let mut invitees = vec![origin.user.clone()];
        for user in &self.settings.responders {
            if !invitees.contains(user) {
                invitees.push(user.clone());
            }
        }
        let announcement = views::announcement(&incident, &name);
        let mut effects = vec![
            Effect::CreateWarRoom {
                incident: n,
                name,
                topic: views::topic(&incident),
            },
            Effect::Invite {
                incident: n,
                users: invitees,
            },
            Effect::PostCard { incident: n },
            Effect::SuggestRunbooks { incident: n },
            Effect::Post {
                room: RoomTarget::Origin,
                message: announcement.clone(),
            },
        ];
        if let Some(room) = &self.settings.announce_room
            && *room != origin.room_id
        {
            effects.push(Effect::Post {
                room: RoomTarget::Configured(room.clone()),
                message: announcement,
            });
        }
        Ok(effects)
    }

    async fn change(
        &self,
        origin: &Origin,
        number: IncidentNumber,
        in_war_room: bool,
        action: Action,
    ) -> Result<Vec<Effect>, EngineError> {
        let runbook = match &action {
            Action::Attach { runbook } => {
                Some(self.settings.runbooks.get(runbook).ok_or_else(|| {
                    EngineError::Usage(format!(
                        "there is no runbook '{runbook}'; search with: runbook <words>"
                    ))
                })?)
            }
            _ => None,
        };
        let (before, after, event) = self
            .append(number, &origin.user, |incident| {
                decide(incident, &action, runbook)
            })
            .await?;
        Ok(self.change_effects(&before, &after, &event, in_war_room))
    }

    /// Appends the event that `decide` makes of the incident's current state, and returns the
    /// incident before and after it. Changes to one incident take turns in this process; a
    /// race with another replica is settled by the store's version check and tried again.
    async fn append(
        &self,
        number: IncidentNumber,
        actor: &UserId,
        decide: impl Fn(&Incident) -> Result<EventKind, EngineError>,
    ) -> Result<(Incident, Incident, TimelineEvent), EngineError> {
        let _turn = self.turns[number.0 as usize % TURN_STRIPES].lock().await;
        let mut attempt = 0;
        loop {
            // The remembered state spares a read; if it is stale, the store's version check
            // refuses the write (or a refusal is double-checked) and the incident is read afresh.
            let (incident, fresh) = match self.memo.incident(number) {
                Some(remembered) => (remembered, false),
                None => (self.load(number).await?, true),
            };
            let kind = match decide(&incident) {
                Ok(kind) => kind,
                Err(EngineError::Refused(_)) if !fresh => {
                    self.memo.forget_incident(number);
                    continue;
                }
                Err(e) => return Err(e),
            };
            let event = incident.event(kind, actor.clone(), self.clock.now());
            let mut after = incident.clone();
            after.apply(&event);
            match self.store.record(&after, &event).await {
                Ok(()) => {
                    self.memo.remember_incident(after.clone());
                    return Ok((incident, after, event));
                }
                Err(StoreError::Conflict(_)) if attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    self.memo.forget_incident(number);
                    tracing::debug!(%number, attempt, "the incident moved on elsewhere; trying again");
                }
                Err(e) => {
                    self.memo.forget_incident(number);
                    return Err(e.into());
                }
            }
        }
    }

    fn change_effects(
        &self,
        before: &Incident,
        after: &Incident,
        event: &TimelineEvent,
        in_war_room: bool,
    ) -> Vec<Effect> {
        let line = views::event_line(event);
        let mut effects = Vec::new();
        match &event.kind {
            // A step's progress shows on the runbook's message; a line each would drown the room.
            EventKind::StepDone { runbook, .. } | EventKind::StepSkipped { runbook, .. } => {
                effects.push(Effect::UpdateRunbook {
                    incident: after.number,
                    runbook: runbook.clone(),
                });
            }
            EventKind::RunbookAttached { runbook } => {
                effects.push(Effect::Post {
                    room: RoomTarget::WarRoom(after.number),
                    message: line.clone(),
                });
                effects.push(Effect::PostRunbook {
                    incident: after.number,
                    runbook: runbook.id.clone(),
                });
            }
            _ => effects.push(Effect::Post {
                room: RoomTarget::WarRoom(after.number),
                message: line.clone(),
            }),
        }
        if !in_war_room {
            effects.push(Effect::Reply { message: line });
        }
        if before.severity != after.severity || before.status != after.status {
            effects.push(Effect::SetTopic {
                incident: after.number,
                topic: views::topic(after),
            });
        }
        if card_changes(before, after) {
            effects.push(Effect::UpdateCard {
                incident: after.number,
            });
        }
        effects
    }

    async fn timeline(&self, number: IncidentNumber) -> Result<Vec<Effect>, EngineError> {
        let incident = self.load(number).await?;
        let events = self.store.timeline(number).await?;
        Ok(vec![Effect::Post {
            room: RoomTarget::Origin,
            message: views::timeline(&incident, &events),
        }])
    }

    /// Renders the post-mortem draft of an incident as Markdown.
    pub async fn postmortem_markdown(&self, number: IncidentNumber) -> Result<String, String> {
        let render = async {
            let incident = self.load(number).await?;
            let events = self.store.timeline(number).await?;
            Ok::<_, EngineError>(
                self.postmortem
                    .render(&incident, &events, self.clock.now())?,
            )
        };
        render.await.map_err(|e| self.explain(e))
    }

    async fn postmortem(&self, number: IncidentNumber) -> Result<Vec<Effect>, EngineError> {
        let incident = self.load(number).await?;
        let events = self.store.timeline(number).await?;
        let content = self
            .postmortem
            .render(&incident, &events, self.clock.now())?;
        Ok(vec![Effect::Upload {
            room: RoomTarget::Origin,
            file: FileUpload {
                name: format!("{number}-postmortem.md"),
                title: format!("Post-mortem draft: {number} {}", incident.title),
                mime: "text/markdown",
                content,
            },
        }])
    }

    /// The card of an incident as it stands, with its buttons.
    pub async fn card(&self, incident: &Incident) -> Result<Message, StoreError> {
        let n = Some(incident.number);
        let cmd = |action| Command {
            incident: n,
            action,
        };
        let mut controls = Vec::new();
        if incident.status == Status::Resolved {
            let id = self.button(cmd(Action::Reopen { reason: None })).await?;
            controls.push(button(id, "Reopen", ButtonStyle::Default));
        } else {
            if incident.acknowledged.is_none() {
                let id = self.button(cmd(Action::Ack)).await?;
                controls.push(button(id, "Acknowledge", ButtonStyle::Primary));
            }
            for status in views::offered_statuses(incident) {
                let id = self
                    .button(cmd(Action::Status { status, note: None }))
                    .await?;
                controls.push(button(id, &status.to_string(), ButtonStyle::Default));
            }
            let id = self.button(cmd(Action::Resolve { note: None })).await?;
            controls.push(button(id, "Resolve", ButtonStyle::Danger));
            let mut options = Vec::new();
            for severity in Severity::ALL {
                if severity != incident.severity {
                    let id = self
                        .button(cmd(Action::Severity {
                            severity,
                            reason: None,
                        }))
                        .await?;
                    options.push(Button {
                        id,
                        label: severity.to_string(),
                        style: ButtonStyle::Default,
                    });
                }
            }
            controls.push(Control::Select {
                label: "Severity".into(),
                options,
            });
        }
        Ok(views::card(incident, controls))
    }

    async fn button(&self, command: Command) -> Result<ButtonId, StoreError> {
        let key = serde_json::to_string(&command).unwrap_or_default();
        if let Some(id) = self.memo.button(&key) {
            return Ok(id);
        }
        let id = ButtonId(self.store.button_for(&command).await?);
        self.memo.remember_button(key, id);
        Ok(id)
    }

    /// The incident whose war room the command came from, if it came from one.
    async fn war_room_incident(
        &self,
        origin: &Origin,
    ) -> Result<Option<IncidentNumber>, StoreError> {
        if let Some(n) = self
            .memo
            .war_room_incident(&origin.platform, &origin.room_id)
        {
            return Ok(Some(n));
        }
        let found = self
            .store
            .incident_for_room(&origin.platform, &origin.room_id)
            .await?;
        if let Some(n) = found {
            self.memo
                .remember_war_room(&origin.platform, &origin.room_id, n);
        }
        Ok(found)
    }
}

fn button(id: ButtonId, label: &str, style: ButtonStyle) -> Control {
    Control::Button(Button {
        id,
        label: label.to_owned(),
        style,
    })
}

/// Whether the card shows something that changed.
fn card_changes(before: &Incident, after: &Incident) -> bool {
    before.severity != after.severity
        || before.status != after.status
        || before.acknowledged != after.acknowledged
        || Role::ALL
            .into_iter()
            .any(|r| before.role(r) != after.role(r))
}

/// Decides what a change does to an incident, by the domain's rules. `runbook` is the library's
/// runbook that an attach names.
fn decide(
    incident: &Incident,
    action: &Action,
    runbook: Option<&Runbook>,
) -> Result<EventKind, EngineError> {
    let kind = match action {
        Action::Severity { severity, reason } => {
            incident.change_severity(*severity, reason.clone())
        }
        Action::Ack => incident.acknowledge(),
        Action::Status { status, note } => incident.change_status(*status, note.clone()),
        Action::Resolve { note } => incident.change_status(Status::Resolved, note.clone()),
        Action::Reopen { reason } => incident.reopen(reason.clone()),
        Action::Assign { role, user } => incident.assign(*role, user.clone()),
        Action::Note { text } => incident.note(text.clone()),
        Action::Attach { .. } => match runbook {
            Some(runbook) => incident.attach_runbook(runbook),
            None => return Err(EngineError::Usage("no runbook was named".into())),
        },
        Action::StepDone { step, note } => {
            incident.finish_step(*step, StepOutcome::Done(note.clone()))
        }
        Action::StepSkip { step, reason } => {
            incident.finish_step(*step, StepOutcome::Skipped(reason.clone()))
        }
        other => {
            return Err(EngineError::Usage(format!(
                "{} cannot change an incident",
                other.verb()
            )));
        }
    }?;
    Ok(kind)
}
