//! The core every service stands on: the store, the clock, the settings, the memo of recent
//! state, the turns changes to one incident take, and the one way a change is appended. It
//! holds no rules of its own; the services (`incidents`, `delivery`, `escalation`, `alerts`,
//! `actions`, `postmortem`, `sweep`) borrow it.

use std::sync::Arc;

use super::clock::Clock;
use super::message::{Button, ButtonId, ButtonRole, ButtonStyle};
use super::postmortem::PostmortemRenderer;
use super::{EngineError, Settings, memo};
use crate::domain::{Command, EventKind, Incident, IncidentNumber, RoomId, TimelineEvent, UserId};
use crate::store::{OutboxEntry, Store, StoreError};

/// How many locks the changes of different incidents are spread over.
const TURN_STRIPES: usize = 64;
/// How often a change is tried again when another change to the same incident won the race.
pub(in crate::engine) const CONFLICT_RETRIES: usize = 5;

/// What the services share.
pub(in crate::engine) struct Core {
    pub(in crate::engine) store: Store,
    pub(in crate::engine) clock: Arc<dyn Clock>,
    pub(in crate::engine) settings: Settings,
    pub(in crate::engine) postmortem: PostmortemRenderer,
    pub(in crate::engine) memo: memo::Memo,
    /// Changes to one incident take turns inside this process (striped by number), so they do
    /// not race each other; the store's version check still settles races between replicas.
    turns: Vec<tokio::sync::Mutex<()>>,
    /// Woken whenever timers are scheduled, so a sleeping scheduler looks again.
    pub(in crate::engine) timers_changed: tokio::sync::Notify,
    /// Woken whenever effects are written to the outbox, so a sleeping delivery worker looks.
    pub(in crate::engine) outbox_changed: tokio::sync::Notify,
    /// How pages reach people beyond chat, when anyone has contacts.
    pub(in crate::engine) notifier: Option<Arc<dyn super::port::Notifier>>,
    /// The hosted status page published incidents go to, when `[statuspage]` names one.
    pub(in crate::engine) publisher: Option<Arc<dyn super::port::Publisher>>,
    /// When each person was last sent an interrupting notification (push, SMS, call) by this
    /// process: the throttle of one per [`crate::domain::PUSH_INTERVAL`].
    pub(in crate::engine) last_push:
        std::sync::Mutex<std::collections::HashMap<UserId, chrono::DateTime<chrono::Utc>>>,
}

impl Core {
    pub(in crate::engine) fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        settings: Settings,
        postmortem: PostmortemRenderer,
    ) -> Core {
        Core {
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
            notifier: None,
            publisher: None,
            last_push: std::sync::Mutex::default(),
        }
    }

    /// Waits for incident `number`'s turn in this process; the turn lasts while the guard lives.
    pub(in crate::engine) async fn turn(
        &self,
        number: IncidentNumber,
    ) -> tokio::sync::MutexGuard<'_, ()> {
        self.turns[number.0 as usize % TURN_STRIPES].lock().await
    }

    /// The sentence a person sees for a failure; causes that are not theirs go to the log.
    pub(in crate::engine) fn explain(&self, err: EngineError) -> String {
        match &err {
            EngineError::Store(e) => tracing::error!(error = ?e, "store failed"),
            EngineError::Postmortem(e) => tracing::error!(error = ?e, "post-mortem failed"),
            _ => {}
        }
        err.sentence()
    }

    pub(in crate::engine) async fn load(
        &self,
        number: IncidentNumber,
    ) -> Result<Incident, EngineError> {
        self.store
            .incident(number)
            .await?
            .ok_or_else(|| EngineError::Usage(format!("there is no {number}")))
    }

    /// The incident whose war room `room` is, if it is one (the room a command came from:
    /// `origin.room_id`).
    pub(in crate::engine) async fn war_room_incident(
        &self,
        room: &RoomId,
    ) -> Result<Option<IncidentNumber>, StoreError> {
        if let Some(n) = self.memo.war_room_incident(room) {
            return Ok(Some(n));
        }
        let found = self.store.incident_for_room(room).await?;
        if let Some(n) = found {
            self.memo.remember_war_room(room, n);
        }
        Ok(found)
    }

    /// Appends the event that `decide` makes of the incident's current state, and returns the
    /// incident before and after it. Changes to one incident take turns in this process; a
    /// race with another replica is settled by the store's version check and tried again.
    pub(in crate::engine) async fn append(
        &self,
        number: IncidentNumber,
        actor: &UserId,
        decide: impl Fn(&Incident) -> Result<EventKind, EngineError>,
    ) -> Result<(Incident, Incident, TimelineEvent), EngineError> {
        self.append_told(number, actor, decide, |_, _, _| Vec::new())
            .await
    }

    /// Like [`Core::append`], and writes what `told` makes of the change (the incident
    /// before, after, and the event) to the outbox in the same transaction. Its log lines
    /// (and those of what it calls) carry the incident's number.
    #[tracing::instrument(level = "info", skip_all, fields(incident = %number))]
    pub(in crate::engine) async fn append_told(
        &self,
        number: IncidentNumber,
        actor: &UserId,
        decide: impl Fn(&Incident) -> Result<EventKind, EngineError>,
        mut told: impl FnMut(&Incident, &Incident, &TimelineEvent) -> Vec<OutboxEntry>,
    ) -> Result<(Incident, Incident, TimelineEvent), EngineError> {
        let _turn = self.turn(number).await;
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
            let entries = told(&incident, &after, &event);
            match self.store.record_told(&after, &event, &entries).await {
                Ok(()) => {
                    tracing::info!(event = event.kind.type_name(), by = %actor, "recorded");
                    crate::telemetry::incident_moved(Some(&incident), &after);
                    self.memo.remember_incident(after.clone());
                    if !entries.is_empty() {
                        self.outbox_changed.notify_waiters();
                    }
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

    /// The button id of a command, minted once and remembered.
    pub(in crate::engine) async fn button(&self, command: Command) -> Result<ButtonId, StoreError> {
        let key = serde_json::to_string(&command).unwrap_or_default();
        if let Some(id) = self.memo.button(&key) {
            return Ok(id);
        }
        let id = self.store.button_for(&command).await?;
        self.memo.remember_button(key, id);
        Ok(id)
    }

    /// A neutral button that carries `command`, with the role the command gives it
    /// ([`ButtonRole::of`]).
    pub(in crate::engine) async fn command_button(
        &self,
        command: Command,
        label: impl Into<String>,
    ) -> Result<Button, StoreError> {
        let role = ButtonRole::of(&command.action);
        Ok(Button {
            id: self.button(command).await?,
            role,
            label: label.into(),
            style: ButtonStyle::Default,
            confirm: None,
        })
    }
}
