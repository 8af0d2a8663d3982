//! The engine: applies commands to incidents, records them through the store, and says what
//! the chat should show. It knows no chat; it speaks through [`port::ChatPort`].

mod actions;
mod alerts;
mod alerts_plan;
mod alerts_view;
mod cards;
mod changes;
mod chat_input;
pub mod clock;
mod delivery;
mod dispatch;
pub mod effect;
mod escalation;
mod input;
pub mod ledger;
mod memo;
pub mod message;
pub mod port;
pub mod postmortem;
mod runbooks;
mod views;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::domain::{
    Action, Command, Incident, IncidentNumber, Permissions, Platform, Policies, Refusal, Rotation,
    UserId,
};
use crate::runbook::Library;
use crate::store::{Store, StoreError};

use clock::Clock;
use effect::{Effect, RoomTarget};
use message::{ButtonId, FileUpload};
use port::Origin;
use postmortem::{PostmortemError, PostmortemRenderer};

pub use actions::{ActionSettings, SecretReader};
pub use alerts::{AlertOutcome, AlertSettings, alertmanager_actor};
pub use delivery::{Delivered, Delivery};
pub use input::Input;

pub use views::war_room_name;

/// What the engine needs from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// People invited into every war room.
    pub responders: Vec<UserId>,
    /// Per chat, its id of the room where the incidents that live in it are announced.
    pub announce_rooms: BTreeMap<Platform, String>,
    /// The runbooks to suggest and attach.
    pub runbooks: Arc<Library>,
    /// How runbook steps run; `None` when running them is not configured.
    pub actions: Option<ActionSettings>,
    /// Whom to page and when, and how often to remind, per severity.
    pub escalation: Policies,
    /// The on-call rotations that on-call aliases resolve through.
    pub rotations: Vec<Rotation>,
    /// Who may declare and run steps.
    pub permissions: Permissions,
    /// How alerts from monitoring become incidents.
    pub alerts: AlertSettings,
    /// How long a claim on an outbox entry holds before another process may take it over.
    pub delivery_lease: chrono::Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            responders: Vec::new(),
            announce_rooms: BTreeMap::new(),
            runbooks: Arc::default(),
            actions: None,
            escalation: Policies::default(),
            rotations: Vec::new(),
            permissions: Permissions::default(),
            alerts: AlertSettings::default(),
            delivery_lease: chrono::Duration::seconds(60),
        }
    }
}

/// Why the engine did nothing. A person sees [`EngineError::sentence`]; callers decide by
/// the variant (HTTP maps them to status codes).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
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
    /// There is no chat to tell (timers fired with no chat configured at all).
    #[error("no chat to page through")]
    NoChat,
}

impl EngineError {
    /// The sentence a person sees: the rule or usage that said no, or what failed in plain
    /// words (a database's own text only where it means something to them).
    pub fn sentence(&self) -> String {
        match self {
            EngineError::Refused(r) => r.to_string(),
            EngineError::Usage(s) => s.clone(),
            EngineError::Store(
                e @ (StoreError::ReadOnly
                | StoreError::Unavailable(_)
                | StoreError::Locked(_)
                | StoreError::Full
                | StoreError::Conflict(_)),
            ) => e.to_string(),
            EngineError::Store(_) => {
                "the database failed, so nothing was recorded; the log has the details".to_owned()
            }
            EngineError::Postmortem(e) => format!("the post-mortem could not be written: {e}"),
            EngineError::NoChat => self.to_string(),
        }
    }

    /// Whether trying the same again later may work (the database or a chat was away), as
    /// opposed to a request that is wrong as it is.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            EngineError::Store(
                StoreError::Unavailable(_)
                    | StoreError::Locked(_)
                    | StoreError::Full
                    | StoreError::ReadOnly
                    | StoreError::Conflict(_)
            )
        )
    }
}

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
    /// Woken whenever timers are scheduled, so a sleeping scheduler looks again.
    timers_changed: tokio::sync::Notify,
    /// Woken whenever effects are written to the outbox, so a sleeping delivery worker looks.
    outbox_changed: tokio::sync::Notify,
    /// When runs cut short by a crash were last looked for (by the engine's clock).
    last_sweep: std::sync::Mutex<Option<chrono::DateTime<chrono::Utc>>>,
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
            timers_changed: tokio::sync::Notify::new(),
            outbox_changed: tokio::sync::Notify::new(),
            last_sweep: std::sync::Mutex::new(None),
        }
    }

    /// The store the engine records into (for the command line and tests; chat adapters get
    /// [`Engine::ledger`] and ask the engine for everything else).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The incident whose war room `room_id` is on `platform`, if it is one.
    pub async fn incident_of_room(
        &self,
        platform: Platform,
        room_id: &str,
    ) -> Result<Option<IncidentNumber>, EngineError> {
        let origin = Origin {
            platform,
            room_id: room_id.to_owned(),
            user: UserId::warroom(),
        };
        Ok(self.war_room_incident(&origin).await?)
    }

    /// The war room (its id) of the newest open incident on `platform`, if it has one there.
    pub async fn newest_war_room(&self, platform: Platform) -> Result<Option<String>, EngineError> {
        let open = self.store.open_incidents().await?;
        let Some(newest) = open.first() else {
            return Ok(None);
        };
        Ok(self
            .store
            .war_room(platform, newest.number)
            .await?
            .map(|room| room.id))
    }

    /// When the next timer is due (a claim in progress counts at its lease's end).
    pub async fn next_timer(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, EngineError> {
        Ok(self.store.next_due().await?)
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), EngineError> {
        Ok(self.store.ping().await?)
    }

    /// Whether the database takes a write (`/healthz`): see [`Store::probe_write`].
    pub async fn probe_write(&self) -> Result<(), EngineError> {
        Ok(self.store.probe_write().await?)
    }

    /// What waits in `chat`'s outbox; `refused_since` bounds the count of refusals.
    pub async fn outbox_backlog(
        &self,
        chat: Platform,
        refused_since: chrono::DateTime<chrono::Utc>,
    ) -> Result<crate::store::OutboxBacklog, EngineError> {
        Ok(self.store.outbox_backlog(chat, refused_since).await?)
    }

    /// The adapters' bookkeeping, kept in this engine's database.
    pub fn ledger(&self) -> Arc<dyn ledger::Ledger> {
        Arc::new(self.store.clone())
    }

    /// Notified whenever this engine schedules timers: a scheduler sleeping until the next due
    /// timer waits on it too, so that a nearer timer wakes it.
    pub fn timers_changed(&self) -> &tokio::sync::Notify {
        &self.timers_changed
    }

    /// The engine's clock.
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

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
        match &err {
            EngineError::Store(e) => tracing::error!(error = ?e, "store failed"),
            EngineError::Postmortem(e) => tracing::error!(error = ?e, "post-mortem failed"),
            _ => {}
        }
        err.sentence()
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
            Action::OnCall => Ok(vec![Effect::Reply {
                message: self.on_call(),
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

    async fn timeline(&self, number: IncidentNumber) -> Result<Vec<Effect>, EngineError> {
        let incident = self.load(number).await?;
        let events = self.store.timeline(number).await?;
        Ok(vec![Effect::Post {
            room: RoomTarget::Origin,
            message: views::timeline(&incident, &events),
        }])
    }

    /// Renders the post-mortem draft of an incident as Markdown.
    pub async fn postmortem_markdown(&self, number: IncidentNumber) -> Result<String, EngineError> {
        let incident = self.load(number).await?;
        let events = self.store.timeline(number).await?;
        Ok(self
            .postmortem
            .render(&incident, &events, self.clock.now())?)
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

    /// The incident whose war room the command came from, if it came from one.
    async fn war_room_incident(
        &self,
        origin: &Origin,
    ) -> Result<Option<IncidentNumber>, StoreError> {
        if let Some(n) = self
            .memo
            .war_room_incident(origin.platform, &origin.room_id)
        {
            return Ok(Some(n));
        }
        let found = self
            .store
            .incident_for_room(origin.platform, &origin.room_id)
            .await?;
        if let Some(n) = found {
            self.memo
                .remember_war_room(origin.platform, &origin.room_id, n);
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_plainly_what_failed_and_whether_to_try_again() {
        let away = EngineError::Store(StoreError::ReadOnly);
        assert!(away.is_transient());
        assert_eq!(
            away.sentence(),
            "the database is read-only, so nothing could be recorded"
        );
        let broken = EngineError::Store(StoreError::Decode("column 7: bad JSON".into()));
        assert!(!broken.is_transient());
        assert!(
            !broken.sentence().contains("column 7"),
            "{}",
            broken.sentence()
        );
        let usage = EngineError::Usage("name the incident, as in `ack INC-7`".into());
        assert!(!usage.is_transient());
        assert_eq!(usage.sentence(), "name the incident, as in `ack INC-7`");
        assert_eq!(EngineError::NoChat.sentence(), "no chat to page through");
    }
}
