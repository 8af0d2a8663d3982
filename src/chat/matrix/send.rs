//! Posting and editing the engine's messages with their emoji keys, making war rooms and
//! direct rooms.

use matrix_sdk::ruma::api::client::room::create_room;
use matrix_sdk::ruma::api::error::ErrorKind;
use serde_json::{Value, json};

use super::MatrixChat;
use super::api::{chat_error, user_id};
use super::keys::keys_of;
use super::render::{self, Rendered};
use crate::domain::Platform;
use crate::engine::ledger::ReactionKey;
use crate::engine::message::{ButtonId, Message};
use crate::engine::port::{ChatError, RoomId, RoomRef};

/// How many numbered aliases (`#inc-7-slug-2` …) are tried when the plain one is taken.
const ALIAS_TRIES: u32 = 9;

/// The display name of a war room, `INC-7 [P1] Checkout API returns 500s`, read from the topic
/// the engine gives (`INC-7 · P1 · Investigating — Checkout API returns 500s`); the engine's
/// room name when the topic has another shape.
pub fn display_name(name: &str, topic: &str) -> String {
    let mut parts = topic.splitn(3, " · ");
    if let (Some(number), Some(severity), Some(rest)) = (parts.next(), parts.next(), parts.next())
        && number.starts_with("INC-")
        && let Some((_, title)) = rest.split_once(" — ")
    {
        return format!("{number} [{severity}] {title}");
    }
    name.to_owned()
}

impl MatrixChat {
    /// Posts a rendered message of `msgtype`, with `extra` fields merged into its content
    /// (thread relations). Buttons get their emoji keys: listed, remembered, pre-reacted.
    pub(super) async fn post_message(
        &self,
        room: &str,
        msgtype: &str,
        message: &Message,
        extra: Option<(&str, Value)>,
    ) -> Result<String, ChatError> {
        let keys = keys_of(message);
        let rendered = render::render(message, &keys);
        let mut content = render::content(msgtype, &rendered);
        if let Some((field, value)) = extra {
            content[field] = value;
        }
        let event = self.send_event(room, "m.room.message", &content).await?;
        self.apply_keys(room, &event, &keys).await;
        Ok(event)
    }

    /// Replaces a message (`m.replace`) and brings its emoji keys in line with its new buttons.
    pub(super) async fn edit_message(
        &self,
        room: &str,
        event: &str,
        message: &Message,
    ) -> Result<(), ChatError> {
        let keys = keys_of(message);
        let rendered: Rendered = render::render(message, &keys);
        let content = render::edit(event, "m.text", &rendered);
        self.send_event(room, "m.room.message", &content).await?;
        self.apply_keys(room, event, &keys).await;
        Ok(())
    }

    /// Remembers each key of a message, reacts with the new ones and takes back the bot's
    /// reactions whose buttons are gone. Failures are logged: the ids in the text still work.
    async fn apply_keys(&self, room: &str, event: &str, keys: &[(String, ButtonId)]) {
        let known = self.known_keys(event).await;
        for old in known
            .iter()
            .filter(|old| !keys.iter().any(|(k, _)| *k == old.key))
        {
            self.withdraw_key(room, event, old).await;
        }
        for (key, button) in keys {
            let reacted = known
                .iter()
                .any(|k| k.key == *key && k.bot_reaction_id.is_some());
            self.offer_key(room, event, key, *button, reacted).await;
        }
    }

    /// The keys remembered for a message (none when the database cannot say).
    async fn known_keys(&self, event: &str) -> Vec<ReactionKey> {
        match self.ledger.matrix_reaction_keys(event).await {
            Ok(known) => known,
            Err(e) => {
                tracing::warn!(error = %e, event, "could not read the message's keys");
                Vec::new()
            }
        }
    }

    /// A key whose button is gone: the bot's reaction taken back, the key forgotten.
    async fn withdraw_key(&self, room: &str, event: &str, old: &ReactionKey) {
        if let Some(reaction) = &old.bot_reaction_id
            && let Err(e) = self.redact(room, reaction).await
        {
            tracing::warn!(error = %e, event, key = old.key, "could not take back a reaction");
        }
        if let Err(e) = self
            .ledger
            .delete_matrix_reaction_key(event, &old.key)
            .await
        {
            tracing::warn!(error = %e, event, "could not forget a key");
        }
    }

    /// A key of the message: remembered, and pre-reacted unless the bot `reacted` already.
    async fn offer_key(&self, room: &str, event: &str, key: &str, button: ButtonId, reacted: bool) {
        let entry = ReactionKey {
            key: key.to_owned(),
            button_id: button,
            bot_reaction_id: None,
        };
        // Saved before reacting, so that a quick person's reaction already finds it.
        if let Err(e) = self
            .ledger
            .save_matrix_reaction_key(room, event, &entry)
            .await
        {
            tracing::warn!(error = %e, event, "could not remember a key");
            return;
        }
        if !reacted {
            self.pre_react(room, event, entry).await;
        }
    }

    /// The bot's own reaction with a key, remembered so that it can be taken back.
    async fn pre_react(&self, room: &str, event: &str, mut entry: ReactionKey) {
        let reaction = json!({
            "m.relates_to": { "rel_type": "m.annotation", "event_id": event, "key": entry.key }
        });
        match self.send_event(room, "m.reaction", &reaction).await {
            Ok(id) => {
                entry.bot_reaction_id = Some(id);
                if let Err(e) = self
                    .ledger
                    .save_matrix_reaction_key(room, event, &entry)
                    .await
                {
                    tracing::warn!(error = %e, event, "could not remember a reaction");
                }
            }
            Err(e) => tracing::warn!(error = %e, event, key = entry.key, "could not pre-react"),
        }
    }

    /// Creates an unencrypted private room with a display name, a topic and, when it is free,
    /// the alias `#name`; a taken alias gets a number (`#inc-7-slug-2`), and after
    /// [`ALIAS_TRIES`] the room is made without one.
    pub(super) async fn create_war_room(
        &self,
        name: &str,
        topic: &str,
    ) -> Result<RoomRef, ChatError> {
        let display = display_name(name, topic);
        let mut candidates: Vec<Option<String>> = vec![Some(name.to_owned())];
        candidates.extend((2..=ALIAS_TRIES + 1).map(|i| Some(format!("{name}-{i}"))));
        candidates.push(None);
        for alias in candidates {
            let mut request = create_room::v3::Request::new();
            request.name = Some(display.clone());
            request.topic = Some(topic.to_owned());
            request.room_alias_name = alias.clone();
            request.preset = Some(create_room::v3::RoomPreset::PrivateChat);
            // No initial m.room.encryption: war rooms are never encrypted.
            match self.client.send(request).await {
                Ok(created) => {
                    let id = created.room_id.to_string();
                    self.remember_encryption(&id, false);
                    return Ok(RoomRef {
                        id: RoomId::new(Platform::Matrix, id),
                        name: alias.unwrap_or_else(|| name.to_owned()),
                    });
                }
                Err(e) if matches!(e.client_api_error_kind(), Some(ErrorKind::RoomInUse)) => {
                    tracing::info!(alias, "room alias taken, trying the next");
                }
                Err(e) => return Err(chat_error(&format!("creating room {name}"), e)),
            }
        }
        Err(ChatError::Refused(format!(
            "no room could be made for {name}"
        )))
    }

    /// The bot's direct room with a person: the one remembered, else a new unencrypted one.
    pub(super) async fn direct_room(&self, user: &str) -> Result<String, ChatError> {
        let bot = self.bot.as_str();
        let remembered = self
            .ledger
            .matrix_direct_room(bot, user)
            .await
            .map_err(|e| ChatError::Unavailable(format!("the database: {e}")))?;
        if let Some(room) = remembered {
            return Ok(room);
        }
        let mut request = create_room::v3::Request::new();
        request.is_direct = true;
        request.invite = vec![user_id(user)?];
        request.preset = Some(create_room::v3::RoomPreset::TrustedPrivateChat);
        request.name = Some("Warroom".to_owned());
        let created = self
            .client
            .send(request)
            .await
            .map_err(|e| chat_error(&format!("a direct room with {user}"), e))?;
        let room = created.room_id.to_string();
        self.remember_encryption(&room, false);
        self.ledger
            .save_matrix_direct_room(bot, user, &room)
            .await
            .map_err(|e| ChatError::Unavailable(format!("the database: {e}")))?;
        Ok(room)
    }
}

#[cfg(test)]
mod tests {
    use super::display_name;

    #[test]
    fn the_room_is_named_by_number_severity_and_title() {
        assert_eq!(
            display_name(
                "inc-7-checkout-api",
                "INC-7 · P1 · Investigating — Checkout API returns 500s"
            ),
            "INC-7 [P1] Checkout API returns 500s"
        );
        assert_eq!(display_name("inc-7", "something else"), "inc-7");
    }
}
