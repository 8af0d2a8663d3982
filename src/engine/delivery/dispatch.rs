//! Carrying out effects through a chat port, and remembering what the chat made (rooms, cards).

use crate::domain::{
    Action, Command, ContactKind, EventKind, IncidentNumber, MessageId, PUSH_INTERVAL, PageUpdate,
    RequestId, RoomId, UserId,
};
use crate::engine::Delivery;
use crate::engine::delivery::{describe, durable};
use crate::engine::effect::{Effect, PageNote, RoomTarget};
use crate::engine::message::{Block, ButtonStyle, Control, Message, Span};
use crate::engine::port::{ChatError, ChatPort, Origin, RoomRef};
use crate::engine::views;
use crate::store::{StoreError, StoredRoom};

/// What the outbox keeps for a notification that was sent.
pub(in crate::engine) const SENT: &str = "sent";
/// What the outbox keeps for a notification that was not needed any more: the incident was
/// acknowledged or closed before its time.
pub(in crate::engine) const NOT_SENT: &str = "not sent: acknowledged or closed before its time";

/// What the outbox keeps for a provider update with nothing to update: the page never reached
/// the provider.
pub(in crate::engine) const NOTHING_TO_UPDATE: &str = "not sent: the page never reached it";

/// Why one effect could not be carried out.
#[derive(Debug, thiserror::Error)]
pub(in crate::engine) enum DispatchError {
    #[error(transparent)]
    Chat(#[from] ChatError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Delivery<'_> {
    /// Carries out what a command came to. Effects that must reach the chat whatever happens
    /// (a change's messages, pages, war rooms) are written to the outbox for the chat's delivery
    /// worker, unless the change wrote them there already; answers to the person who asked and
    /// to the room they asked in are carried out at once through `port`. An answer that fails
    /// is logged and told to the person; the others still run. Returns how many failed.
    pub async fn dispatch(
        &self,
        port: &dyn ChatPort,
        origin: &Origin,
        effects: Vec<Effect>,
    ) -> usize {
        let mut failed = 0;
        // What the change wrote to the outbox comes first.
        self.deliver_inline(port).await;
        let mut later = Vec::new();
        for effect in effects {
            let answer = matches!(
                effect,
                Effect::Post {
                    room: RoomTarget::Origin,
                    ..
                }
            );
            if durable(&effect) && !answer {
                later.push(effect);
                continue;
            }
            // In order: what was said before an answer (a request before its run) goes first.
            failed += self
                .write_down(port, origin, std::mem::take(&mut later))
                .await;
            failed += self.answer(port, origin, &effect).await;
            // A run wrote its output to the outbox.
            self.deliver_inline(port).await;
        }
        failed += self.write_down(port, origin, later).await;
        failed
    }

    /// Carries out an answer at once; a failure is logged and told to the person who asked.
    /// Returns how many failed (0 or 1).
    async fn answer(&self, port: &dyn ChatPort, origin: &Origin, effect: &Effect) -> usize {
        let Err(e) = self.carry_out(port, origin, effect).await else {
            return 0;
        };
        tracing::warn!(error = ?e, ?effect, "effect failed");
        let what = describe(effect);
        let notice = Message::text(format!("Warroom could not {what}: {e}"));
        if let Err(e) = port.reply_privately(origin, &notice).await {
            tracing::warn!(error = ?e, "could not report a failed effect");
        }
        1
    }

    /// Writes effects to the outbox (and, for a chat without a worker, delivers them); a
    /// failure is told to the person who asked. Returns how many failed (0 or 1).
    async fn write_down(
        &self,
        port: &dyn ChatPort,
        origin: &Origin,
        effects: Vec<Effect>,
    ) -> usize {
        if effects.is_empty() {
            return 0;
        }
        if let Err(e) = self.enqueue(origin, effects).await {
            tracing::error!(error = ?e, "effects could not be written to the outbox");
            let notice = Message::text(self.core.explain(crate::engine::EngineError::Store(e)));
            if let Err(e) = port.reply_privately(origin, &notice).await {
                tracing::warn!(error = ?e, "could not report a failed effect");
            }
            return 1;
        }
        self.deliver_inline(port).await;
        0
    }

    /// Delivers the outbox now when `port` has no worker of its own (the console).
    async fn deliver_inline(&self, port: &dyn ChatPort) {
        if !port.delivers_inline() {
            return;
        }
        if let Err(e) = self.deliver_due(port, port.platform().name()).await {
            tracing::warn!(error = %e, "the outbox could not be delivered");
        }
    }

    /// Carries out one effect through `port`; returns the id of what the chat made (a room, a
    /// message), when it made something.
    pub(in crate::engine) async fn carry_out(
        &self,
        port: &dyn ChatPort,
        origin: &Origin,
        effect: &Effect,
    ) -> Result<Option<String>, DispatchError> {
        match effect {
            Effect::CreateWarRoom {
                incident,
                name,
                topic,
                private,
            } => {
                return self
                    .create_war_room(port, *incident, name, topic, *private)
                    .await;
            }
            Effect::Invite { incident, users } => {
                if let Some(room) = self.war_room(port, *incident).await? {
                    port.invite(&room, users).await?;
                }
            }
            Effect::PostCard { incident } => return self.post_card(port, *incident).await,
            Effect::UpdateCard { incident } => return self.update_card(port, *incident).await,
            Effect::Announce { incident, room } => {
                let room = RoomRef::unnamed(RoomId::new(port.platform(), room.as_str()));
                return self.announce(port, *incident, &room).await;
            }
            Effect::Publish { incident, text } => {
                return self.publish(*incident, text.clone()).await.map(Some);
            }
            Effect::UpdateAnnouncement { incident } => {
                return self.update_announcement(port, *incident).await;
            }
            Effect::AnnounceUpdate { incident, message } => {
                if let Some(parent) = self
                    .core
                    .store
                    .announcement(port.platform(), *incident)
                    .await?
                {
                    return Ok(Some(
                        port.reply_in_thread(&parent, message).await?.to_string(),
                    ));
                }
            }
            Effect::RunAction { request } => {
                self.core
                    .actions()
                    .run_request(*request, origin)
                    .await
                    .map_err(|e| ChatError::Refused(self.core.explain(e)))?;
            }
            Effect::PostOutput { request, message } => {
                return self.post_output(port, origin, *request, message).await;
            }
            Effect::SuggestRunbooks { incident, query } => {
                let Some(room) = self.war_room(port, *incident).await? else {
                    return Ok(None);
                };
                let Some(current) = self.core.store.incident(*incident).await? else {
                    return Ok(None);
                };
                if let Some(message) = self
                    .core
                    .incidents()
                    .suggestions(&current, query.as_ref())
                    .await?
                {
                    port.post(&room, &message).await?;
                }
            }
            Effect::PostRunbook { incident, runbook } => {
                self.post_runbook(port, *incident, runbook).await?;
            }
            Effect::UpdateRunbook { incident, runbook } => {
                self.update_runbook(port, *incident, runbook).await?;
            }
            Effect::SetTopic { incident, topic } => {
                if let Some(room) = self.war_room(port, *incident).await? {
                    port.set_topic(&room, topic).await?;
                }
            }
            Effect::Post { room, message } => {
                if let Some(room) = self.room(port, origin, room).await? {
                    return Ok(Some(port.post(&room, message).await?.to_string()));
                }
            }
            Effect::Reply { message } => port.reply_privately(origin, message).await?,
            Effect::DirectMessage {
                user,
                message,
                page: Some((incident, _)),
            } => {
                let card = self.page_card(port, message, *incident).await?;
                port.direct_message(user, &card).await?
            }
            Effect::DirectMessage { user, message, .. } => {
                port.direct_message(user, message).await?
            }
            Effect::Upload { room, file } => {
                if let Some(room) = self.room(port, origin, room).await? {
                    port.upload(&room, file).await?;
                }
            }
            Effect::Notify {
                user, via, page, ..
            } => {
                return self.notify(user, *via, page).await.map(Some);
            }
            Effect::NotifyUpdate {
                user,
                via,
                incident,
                update,
            } => {
                return self
                    .notify_update(user, *via, *incident, *update)
                    .await
                    .map(Some);
            }
        }
        Ok(None)
    }

    /// Reaches a paged person beyond chat, unless the incident was acknowledged or closed
    /// meanwhile ([`NOT_SENT`]); an interrupting contact (a push, an SMS, a call) waits until a
    /// minute has passed since the person's last one from this process. Returns [`SENT`] or
    /// [`NOT_SENT`], which the outbox keeps as what the delivery made.
    async fn notify(
        &self,
        user: &UserId,
        via: ContactKind,
        page: &PageNote,
    ) -> Result<String, DispatchError> {
        let Some(incident) = self.core.store.incident(page.incident).await? else {
            return Ok(NOT_SENT.to_owned());
        };
        if !incident.status.is_open() || incident.acknowledged.is_some() {
            return Ok(NOT_SENT.to_owned());
        }
        let Some(notifier) = &self.core.notifier else {
            return Err(ChatError::Refused(format!(
                "{user} has a {via} contact but Warroom was started without its notifiers"
            ))
            .into());
        };
        let now = self.core.clock.now();
        if via.interrupts() {
            let mut last = self
                .core
                .last_push
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some(at) = last.get(user)
                && now - *at < PUSH_INTERVAL
            {
                let wait = (*at + PUSH_INTERVAL - now).to_std().unwrap_or_default();
                return Err(ChatError::Throttled {
                    wait,
                    reason: format!("{user} was sent a {via} notification less than a minute ago"),
                }
                .into());
            }
            last.insert(user.clone(), now);
        }
        let sent = notifier.notify(user, via, page).await;
        if sent.is_err() && via.interrupts() {
            // Nothing rang: the next attempt need not wait for the throttle.
            let mut last = self
                .core
                .last_push
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if last.get(user) == Some(&now) {
                last.remove(user);
            }
        }
        sent?;
        Ok(SENT.to_owned())
    }

    /// A page's direct message as the chat shows it: the page, a link to the incident's war
    /// room when the chat has links and the room exists (made at delivery, since the war room
    /// may not exist when the page is decided), and an Acknowledge button that acknowledges as
    /// whoever presses it.
    async fn page_card(
        &self,
        port: &dyn ChatPort,
        message: &Message,
        incident: IncidentNumber,
    ) -> Result<Message, StoreError> {
        let mut card = message.clone();
        if let Some(link) = self
            .war_room(port, incident)
            .await?
            .and_then(|room| port.room_link(&room))
        {
            card.blocks.push(Block::Context(vec![Span::Text(format!(
                "War room: {link}"
            ))]));
        }
        let ack = Command {
            incident: Some(incident),
            action: Action::Ack,
        };
        let mut button = self.core.command_button(ack, "Acknowledge").await?;
        button.style = ButtonStyle::Primary;
        card.blocks
            .push(Block::Actions(vec![Control::Button(button)]));
        Ok(card)
    }

    /// Tells the provider what became of `user`'s page for `incident`, if the timeline says
    /// the page reached it ([`NOTHING_TO_UPDATE`] otherwise). Returns [`SENT`] or that.
    async fn notify_update(
        &self,
        user: &UserId,
        via: ContactKind,
        incident: IncidentNumber,
        update: PageUpdate,
    ) -> Result<String, DispatchError> {
        let timeline = self.core.store.timeline(incident).await?;
        let reached = timeline.iter().any(|event| {
            matches!(&event.kind, EventKind::Notified { person, via: v, .. }
                if person == user && *v == via)
        });
        if !reached {
            return Ok(NOTHING_TO_UPDATE.to_owned());
        }
        let Some(notifier) = &self.core.notifier else {
            return Err(ChatError::Refused(format!(
                "{user} has a {via} contact but Warroom was started without its notifiers"
            ))
            .into());
        };
        notifier.update(user, via, incident, update).await?;
        Ok(SENT.to_owned())
    }

    /// Creates an incident's war room and remembers it; a repeat after a crash between making
    /// and marking finds the room made already.
    async fn create_war_room(
        &self,
        port: &dyn ChatPort,
        incident: IncidentNumber,
        name: &str,
        topic: &str,
        private: bool,
    ) -> Result<Option<String>, DispatchError> {
        // Made already: this is a repeat after a crash between making and marking.
        if let Some(room) = self.war_room(port, incident).await? {
            return Ok(Some(room.id.into_string()));
        }
        let room = port.create_room(name, topic, private).await?;
        debug_assert_eq!(
            room.id.platform(),
            port.platform(),
            "a chat makes its own rooms"
        );
        let stored = StoredRoom {
            id: room.id.clone(),
            name: room.name.clone(),
        };
        self.core.store.bind_war_room(incident, &stored).await?;
        self.core.memo.remember_room_of(incident, room.clone());
        Ok(Some(room.id.into_string()))
    }

    /// Shows an incident's card as it is now, posting it again when the chat lost it.
    async fn update_card(
        &self,
        port: &dyn ChatPort,
        incident: IncidentNumber,
    ) -> Result<Option<String>, DispatchError> {
        let Some(target) = self.core.store.card(port.platform(), incident).await? else {
            return Ok(None);
        };
        let Some(current) = self.core.store.incident(incident).await? else {
            return Ok(None);
        };
        let card = self.card(&current).await?;
        match port.update(&target, &card).await {
            Err(ChatError::NotFound(_)) => self.post_card(port, incident).await,
            other => Ok(other.map(|()| None)?),
        }
    }

    /// Tells the hosted status page where `incident` stands, making its incident there the
    /// first time and remembering its id. Returns the id, which the outbox keeps.
    async fn publish(
        &self,
        incident: IncidentNumber,
        text: Option<String>,
    ) -> Result<String, DispatchError> {
        let Some(publisher) = &self.core.publisher else {
            return Err(ChatError::Refused(
                "the status page is Statuspage's, but Warroom was started without [statuspage]"
                    .into(),
            )
            .into());
        };
        let Some(current) = self.core.store.incident(incident).await? else {
            return Err(ChatError::Refused(format!("{incident} is not in the database")).into());
        };
        if current.details.private {
            return Ok("not sent: the incident is private".to_owned());
        }
        let existing = self.core.store.statuspage_incident(incident).await?;
        let published = crate::engine::status_page::Published::of(&current, text);
        let id = publisher.publish(&published, existing.as_deref()).await?;
        if existing.as_deref() != Some(id.as_str()) {
            self.core
                .store
                .save_statuspage_incident(incident, &id)
                .await?;
        }
        Ok(id)
    }

    /// Posts an incident's announcement in `room` and remembers it; a repeat after a crash
    /// between posting and remembering posts it again, which the chat's own dedup (Matrix
    /// transaction ids) or a second line (Slack) covers.
    async fn announce(
        &self,
        port: &dyn ChatPort,
        incident: IncidentNumber,
        room: &RoomRef,
    ) -> Result<Option<String>, DispatchError> {
        let Some(current) = self.core.store.incident(incident).await? else {
            return Ok(None);
        };
        let war_room = self.war_room(port, incident).await?;
        let message = views::announcement(&current, war_room.as_ref().map(|r| r.name.as_str()));
        let posted = port.post(room, &message).await?;
        self.core.store.save_announcement(incident, &posted).await?;
        Ok(Some(posted.to_string()))
    }

    /// Shows an incident's announcement as the incident is now; an announcement the chat lost
    /// is not posted again (its room has moved on).
    async fn update_announcement(
        &self,
        port: &dyn ChatPort,
        incident: IncidentNumber,
    ) -> Result<Option<String>, DispatchError> {
        let Some(target) = self
            .core
            .store
            .announcement(port.platform(), incident)
            .await?
        else {
            return Ok(None);
        };
        let Some(current) = self.core.store.incident(incident).await? else {
            return Ok(None);
        };
        let war_room = self.war_room(port, incident).await?;
        let message = views::announcement(&current, war_room.as_ref().map(|r| r.name.as_str()));
        match port.update(&target, &message).await {
            Err(ChatError::NotFound(what)) => {
                tracing::warn!(%incident, %what, "the announcement is gone; not posted again");
                Ok(None)
            }
            other => Ok(other.map(|()| None)?),
        }
    }

    /// Posts an action's output: under the runbook's message in a thread, where the chat has
    /// threads and the message is known; else in the war room, else where the command came
    /// from.
    async fn post_output(
        &self,
        port: &dyn ChatPort,
        origin: &Origin,
        request: RequestId,
        message: &Message,
    ) -> Result<Option<String>, DispatchError> {
        if let Some(parent) = self.runbook_message_of(port, request).await? {
            return Ok(Some(
                port.reply_in_thread(&parent, message).await?.to_string(),
            ));
        }
        let war_room = match self.core.store.action_request(request).await? {
            Some(found) => self.war_room(port, found.incident).await?,
            None => None,
        };
        let room = war_room.unwrap_or_else(|| RoomRef::unnamed(origin.room_id.clone()));
        Ok(Some(port.post(&room, message).await?.to_string()))
    }

    /// Shows a runbook's progress in its message, posting it again when the chat lost it.
    async fn update_runbook(
        &self,
        port: &dyn ChatPort,
        incident: IncidentNumber,
        runbook: &str,
    ) -> Result<(), DispatchError> {
        let target = self
            .core
            .store
            .runbook_message(port.platform(), incident, runbook)
            .await?;
        let Some(target) = target else {
            return Ok(());
        };
        let Some(message) = self.runbook_now(incident, runbook).await? else {
            return Ok(());
        };
        match port.update(&target, &message).await {
            Err(ChatError::NotFound(_)) => {
                self.post_runbook(port, incident, runbook).await?;
            }
            other => other?,
        }
        Ok(())
    }

    /// The message of an attached runbook as the incident stands now, if both exist.
    async fn runbook_now(
        &self,
        incident: IncidentNumber,
        runbook: &str,
    ) -> Result<Option<Message>, DispatchError> {
        let Some(current) = self.core.store.incident(incident).await? else {
            return Ok(None);
        };
        Ok(self
            .core
            .incidents()
            .runbook_message(&current, runbook)
            .await?)
    }

    async fn post_card(
        &self,
        port: &dyn ChatPort,
        incident: IncidentNumber,
    ) -> Result<Option<String>, DispatchError> {
        let Some(room) = self.war_room(port, incident).await? else {
            return Ok(None);
        };
        let Some(current) = self.core.store.incident(incident).await? else {
            return Ok(None);
        };
        let card = self.card(&current).await?;
        let posted = port.post(&room, &card).await?;
        self.core.store.save_card(incident, &posted).await?;
        if let Err(e) = port.pin(&posted).await {
            tracing::warn!(error = ?e, %incident, "could not pin the card");
        }
        Ok(Some(posted.to_string()))
    }

    async fn post_runbook(
        &self,
        port: &dyn ChatPort,
        incident: IncidentNumber,
        runbook: &str,
    ) -> Result<(), DispatchError> {
        let Some(room) = self.war_room(port, incident).await? else {
            return Ok(());
        };
        let Some(message) = self.runbook_now(incident, runbook).await? else {
            return Ok(());
        };
        let posted = port.post(&room, &message).await?;
        self.core
            .store
            .save_runbook_message(incident, runbook, &posted)
            .await?;
        Ok(())
    }

    /// The message of the runbook that a request's step belongs to, on this chat.
    async fn runbook_message_of(
        &self,
        port: &dyn ChatPort,
        request: crate::domain::RequestId,
    ) -> Result<Option<MessageId>, StoreError> {
        let Some(found) = self.core.store.action_request(request).await? else {
            return Ok(None);
        };
        let Some(incident) = self.core.store.incident(found.incident).await? else {
            return Ok(None);
        };
        let Some(step) = incident.numbered_steps().find(|s| s.number == found.step) else {
            return Ok(None);
        };
        self.core
            .store
            .runbook_message(port.platform(), found.incident, &step.runbook.runbook.id)
            .await
    }

    /// The war room of an incident on this chat; `None` when it has none here (declared
    /// elsewhere, or its creation failed).
    pub(in crate::engine) async fn war_room(
        &self,
        port: &dyn ChatPort,
        incident: IncidentNumber,
    ) -> Result<Option<RoomRef>, StoreError> {
        let platform = port.platform();
        if let Some(room) = self.core.memo.war_room(platform, incident) {
            return Ok(Some(room));
        }
        let Some(stored) = self.core.store.war_room(platform, incident).await? else {
            return Ok(None);
        };
        let room = RoomRef {
            id: stored.id,
            name: stored.name,
        };
        self.core.memo.remember_room_of(incident, room.clone());
        Ok(Some(room))
    }

    async fn room(
        &self,
        port: &dyn ChatPort,
        origin: &Origin,
        target: &RoomTarget,
    ) -> Result<Option<RoomRef>, StoreError> {
        match target {
            RoomTarget::Origin => Ok(Some(RoomRef::unnamed(origin.room_id.clone()))),
            RoomTarget::WarRoom(n) => self.war_room(port, *n).await,
            // A configured room is named in the chat that delivers it.
            RoomTarget::Configured(id) => Ok(Some(RoomRef::unnamed(RoomId::new(
                port.platform(),
                id.as_str(),
            )))),
        }
    }
}
