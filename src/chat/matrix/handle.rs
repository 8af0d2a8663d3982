//! Acting on one event: a command or a reaction from a person, in a room the bot serves, once.

use chrono::Utc;

use super::bot::{MatrixBot, RoundError};
use super::events::{self, Incoming};
use super::keys::PIN_KEY;
use crate::domain::{Platform, UserId, strip_invocation};
use crate::engine::Input;
use crate::engine::effect::Effect;
use crate::engine::message::{ButtonId, Message};
use crate::engine::port::{ChatError, ChatPort, Origin, RoomId};

/// What a person asked for.
enum Ask {
    /// `!incident …`.
    Words(String),
    /// A reaction with a button's key.
    Press(ButtonId),
    /// 📌 on a message: add it to the timeline.
    Pin(String),
}

impl MatrixBot {
    /// Acts on one event of a room. Errors of the database end the round (it is retried);
    /// everything else is told to the person or logged.
    pub(super) async fn on_event(&self, room: &str, incoming: Incoming) -> Result<(), RoundError> {
        let Some((event_id, sender, ask)) = self.ask_of(room, incoming).await? else {
            return Ok(());
        };
        if sender == self.chat.bot().as_str() || !self.serves(room).await? {
            return Ok(());
        }
        // Asked before the claim: when it cannot be told, the round fails and the event is
        // looked at again, rather than claimed and lost.
        let Some(encrypted) = self.encryption_of(room).await? else {
            return Ok(());
        };
        let now = Utc::now().timestamp_millis();
        if !self.ledger.claim_matrix_event(&event_id, now).await? {
            tracing::info!(event_id, "already handled");
            return Ok(());
        }
        let Ok(user) = UserId::parse(&sender) else {
            return Ok(());
        };
        if encrypted {
            self.refuse_encrypted(room, &user).await;
            return Ok(());
        }
        let origin = Origin {
            room_id: RoomId::new(Platform::Matrix, room),
            user,
        };
        if !self.may_command(&origin).await {
            return Ok(());
        }
        let effects = self.answer(&origin, ask).await;
        self.engine
            .delivery()
            .dispatch(self.chat.as_ref(), &origin, effects)
            .await;
        Ok(())
    }

    /// What an event asks for, with its id and sender; `None` for events that ask nothing (a
    /// reaction that is no key, the bot's own reactions, an encrypted message, which is only
    /// logged).
    async fn ask_of(
        &self,
        room: &str,
        incoming: Incoming,
    ) -> Result<Option<(String, String, Ask)>, RoundError> {
        match incoming {
            Incoming::Command {
                event_id,
                sender,
                body,
            } => {
                let words = strip_invocation(&body).unwrap_or_default().to_owned();
                Ok(Some((event_id, sender, Ask::Words(words))))
            }
            Incoming::Reaction {
                event_id,
                sender,
                target,
                key,
            } => {
                if sender == self.chat.bot().as_str() {
                    return Ok(None);
                }
                let ask = self.reaction_ask(target, &key).await?;
                Ok(ask.map(|ask| (event_id, sender, ask)))
            }
            Incoming::Encrypted { sender } => {
                if self.serves(room).await? {
                    tracing::warn!(
                        room,
                        sender,
                        "an encrypted message: Warroom cannot read encrypted rooms"
                    );
                }
                Ok(None)
            }
            Incoming::Joined { .. } | Incoming::EncryptionEnabled | Incoming::Other => Ok(None),
        }
    }

    /// What a reaction asks for: 📌 pins, a button's key presses it, other emoji nothing.
    async fn reaction_ask(&self, target: String, key: &str) -> Result<Option<Ask>, RoundError> {
        if key == PIN_KEY {
            return Ok(Some(Ask::Pin(target)));
        }
        let button = self.ledger.matrix_reaction_button(&target, key).await?;
        Ok(button.map(Ask::Press))
    }

    /// Whether a room is encrypted; `None` when the homeserver refuses to say (the bot was
    /// removed meanwhile: nothing can be done there). A homeserver that cannot be reached
    /// fails the round.
    async fn encryption_of(&self, room: &str) -> Result<Option<bool>, RoundError> {
        match self.chat.is_encrypted(room).await {
            Ok(encrypted) => Ok(Some(encrypted)),
            Err(e @ (ChatError::Unavailable(_) | ChatError::Throttled { .. })) => Err(e.into()),
            Err(e) => {
                tracing::warn!(error = %e, room, "cannot tell whether the room is encrypted; left alone");
                Ok(None)
            }
        }
    }

    /// Whether the person may command the bot (`allowed_users`); one who may not is told so.
    async fn may_command(&self, origin: &Origin) -> bool {
        let sender = origin.user.as_str();
        if self.settings.allowed_users.is_empty() || self.settings.allowed_users.contains(sender) {
            return true;
        }
        let refusal = Message::text(format!(
            "{sender} may not give Warroom commands; ask an operator to add you to [matrix] allowed_users"
        ));
        if let Err(e) = self.chat.reply_privately(origin, &refusal).await {
            tracing::warn!(error = %e, "could not answer a refused command");
        }
        false
    }

    /// The engine's answer to what a person asked for.
    async fn answer(&self, origin: &Origin, ask: Ask) -> Vec<Effect> {
        match ask {
            Ask::Words(text) => {
                self.engine
                    .incidents()
                    .take(origin, Input::Said { text })
                    .await
            }
            Ask::Press(button) => {
                let input = Input::Pressed {
                    button,
                    params: Default::default(),
                };
                self.engine.incidents().take(origin, input).await
            }
            Ask::Pin(target) => self.pin(origin, &target).await,
        }
    }

    /// Whether the bot serves a room: configured, or a war room or direct room it made.
    pub(super) async fn serves(&self, room: &str) -> Result<bool, RoundError> {
        if self.settings.rooms.contains(room) {
            return Ok(true);
        }
        if self
            .engine
            .incident_of_room(&RoomId::new(self.chat.platform(), room))
            .await?
            .is_some()
        {
            return Ok(true);
        }
        Ok(self
            .ledger
            .is_matrix_direct_room(self.chat.bot().as_str(), room)
            .await?)
    }

    /// 📌: the message's author, time and text go on the timeline of the room's incident.
    async fn pin(&self, origin: &Origin, target: &str) -> Vec<Effect> {
        let event = match self.chat.event(origin.room_id.as_str(), target).await {
            Ok(event) => event,
            Err(e) => {
                return vec![Effect::reply(format!(
                    "that message could not be read: {e}"
                ))];
            }
        };
        match events::said(&event) {
            Some(said) => {
                let input = Input::Pinned {
                    author: said.author,
                    at: said.at,
                    text: said.body,
                };
                self.engine.incidents().take(origin, input).await
            }
            _ => vec![Effect::reply(
                "only text messages can be added to the timeline with 📌",
            )],
        }
    }

    /// A command in an encrypted room: nothing is posted there (it would be plaintext); the
    /// sender is told in their direct room with the bot, which is unencrypted.
    async fn refuse_encrypted(&self, room: &str, user: &UserId) {
        tracing::warn!(room, %user, "refused a command in an encrypted room");
        let notice = Message::text(format!(
            "Warroom does not act in encrypted rooms, and posts nothing there, so your command in {room} was ignored. Use an unencrypted room for incidents."
        ));
        if let Err(e) = self.chat.direct_message(user, &notice).await {
            tracing::warn!(error = %e, %user, "could not tell the sender by direct message");
        }
    }
}
