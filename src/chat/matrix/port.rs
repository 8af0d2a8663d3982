//! [`ChatPort`] for Matrix: what the engine asks, as client-server API calls.

use async_trait::async_trait;
use serde_json::json;

use super::MatrixChat;
use super::render::{escape, is_matrix_id};
use crate::domain::{Platform, UserId};
use crate::engine::message::{FileUpload, Message, Span};
use crate::engine::port::{ChatError, ChatPort, MessageId, Origin, RoomRef};

/// How many lines of a post-mortem the summary under the file quotes.
const SUMMARY_LINES: usize = 12;

#[async_trait]
impl ChatPort for MatrixChat {
    fn platform(&self) -> Platform {
        Platform::Matrix
    }

    /// The room's matrix.to link, which every client opens, joined through the bot's server.
    fn room_link(&self, room: &RoomRef) -> Option<String> {
        room_link(room.id.as_str(), self.bot.server_name().as_str())
    }

    /// Every war room on Matrix is private (invite only), a private incident's too.
    async fn create_room(
        &self,
        name: &str,
        topic: &str,
        _private: bool,
    ) -> Result<RoomRef, ChatError> {
        self.create_war_room(name, topic).await
    }

    async fn set_topic(&self, room: &RoomRef, topic: &str) -> Result<(), ChatError> {
        self.send_state(room.id.as_str(), "m.room.topic", &json!({ "topic": topic }))
            .await
    }

    async fn invite(&self, room: &RoomRef, users: &[UserId]) -> Result<(), ChatError> {
        let mut skipped = Vec::new();
        for user in users {
            if !is_matrix_id(user.as_str()) {
                skipped.push(user.as_str());
                continue;
            }
            if user.as_str() == self.bot.as_str() {
                continue;
            }
            self.invite_one(room.id.as_str(), user.as_str()).await?;
        }
        if skipped.is_empty() {
            Ok(())
        } else {
            Err(ChatError::Refused(format!(
                "{} not Matrix user ids (@name:server), so not invited",
                skipped.join(", ")
            )))
        }
    }

    async fn post(&self, room: &RoomRef, message: &Message) -> Result<MessageId, ChatError> {
        let id = self
            .post_message(room.id.as_str(), "m.text", message, None)
            .await?;
        Ok(MessageId::new(room.id.clone(), id))
    }

    async fn update(&self, target: &MessageId, message: &Message) -> Result<(), ChatError> {
        self.edit_message(target.room().as_str(), target.as_str(), message)
            .await
    }

    async fn reply_in_thread(
        &self,
        parent: &MessageId,
        message: &Message,
    ) -> Result<MessageId, ChatError> {
        let relation = json!({
            "rel_type": "m.thread",
            "event_id": parent.as_str(),
            "is_falling_back": true,
            "m.in_reply_to": { "event_id": parent.as_str() },
        });
        let id = self
            .post_message(
                parent.room().as_str(),
                "m.text",
                message,
                Some(("m.relates_to", relation)),
            )
            .await?;
        Ok(MessageId::new(parent.room().clone(), id))
    }

    async fn reply_privately(&self, origin: &Origin, message: &Message) -> Result<(), ChatError> {
        // Matrix has no messages only one person sees: answer in the room, addressed to them.
        let mut addressed = message.clone();
        if is_matrix_id(origin.user.as_str()) {
            let to = vec![Span::Mention(origin.user.clone()), Span::Text(":".into())];
            addressed
                .blocks
                .insert(0, crate::engine::message::Block::Text(to));
        }
        self.post_message(origin.room_id.as_str(), "m.notice", &addressed, None)
            .await
            .map(|_| ())
    }

    async fn direct_message(&self, user: &UserId, message: &Message) -> Result<(), ChatError> {
        if !is_matrix_id(user.as_str()) {
            return Err(ChatError::Refused(format!(
                "{user} is not a Matrix user id (@name:server), so no direct message was sent"
            )));
        }
        let room = self.direct_room(user.as_str()).await?;
        self.post_message(&room, "m.text", message, None)
            .await
            .map(|_| ())
    }

    async fn pin(&self, target: &MessageId) -> Result<(), ChatError> {
        let mut pinned = self.pinned_events(target.room().as_str()).await?;
        if pinned.iter().any(|p| p == target.as_str()) {
            return Ok(());
        }
        pinned.push(target.as_str().to_owned());
        self.send_state(
            target.room().as_str(),
            "m.room.pinned_events",
            &json!({ "pinned": pinned }),
        )
        .await
    }

    async fn upload(&self, room: &RoomRef, file: &FileUpload) -> Result<(), ChatError> {
        // Checked before the upload too, so that nothing of an incident reaches the media
        // repository on behalf of an encrypted room.
        if self.is_encrypted(room.id.as_str()).await? {
            return Err(ChatError::Refused(format!(
                "room {} is encrypted and Warroom does not post plaintext there",
                room.id
            )));
        }
        let bytes = file.content.as_bytes().to_vec();
        let size = bytes.len();
        let url = self.upload_media(&file.name, file.mime, bytes).await?;
        let content = json!({
            "msgtype": "m.file",
            "body": file.name,
            "filename": file.name,
            "url": url,
            "info": { "mimetype": file.mime, "size": size },
        });
        self.send_event(room.id.as_str(), "m.room.message", &content)
            .await?;
        let summary = summary(file);
        let html = format!(
            "<p><b>{}</b></p><pre><code>{}</code></pre>",
            escape(&file.title),
            escape(&summary)
        );
        let content = json!({
            "msgtype": "m.notice",
            "body": format!("{}\n{summary}", file.title),
            "format": "org.matrix.custom.html",
            "formatted_body": html,
            "m.mentions": {},
        });
        self.send_event(room.id.as_str(), "m.room.message", &content)
            .await?;
        Ok(())
    }
}

/// The first lines of a file, for the message under it.
fn summary(file: &FileUpload) -> String {
    let lines: Vec<&str> = file
        .content
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(SUMMARY_LINES)
        .collect();
    let mut out = lines.join("\n");
    if file
        .content
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count()
        > SUMMARY_LINES
    {
        out.push_str("\n… (the whole draft is in the file above)");
    }
    out
}

/// `https://matrix.to/#/%21abc%3Aexample.org?via=example.org` for the room `!abc:example.org`,
/// joined through `via` (the bot's server, which is in the room); rooms of version 12 and later
/// have ids without a server (`!XBEu_b_9Za…`). `None` for anything that is not a room id.
pub fn room_link(room_id: &str, via: &str) -> Option<String> {
    let rest = room_id.strip_prefix('!')?;
    let allowed = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(c, '.' | '-' | '_' | '=' | '+' | '/' | ':' | '[' | ']')
    };
    if rest.is_empty() || rest.starts_with(':') || !rest.chars().all(allowed) || via.is_empty() {
        return None;
    }
    let encoded: String = url::form_urlencoded::byte_serialize(room_id.as_bytes()).collect();
    let via: String = url::form_urlencoded::byte_serialize(via.as_bytes()).collect();
    Some(format!("https://matrix.to/#/{encoded}?via={via}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_links_through_matrix_to_and_nothing_else_does() {
        assert_eq!(
            room_link("!wQk7jR:example.org", "example.org").as_deref(),
            Some("https://matrix.to/#/%21wQk7jR%3Aexample.org?via=example.org")
        );
        // Room version 12: no server in the id.
        assert_eq!(
            room_link("!XBEu_b_9ZaAVVpEF-IGaXqs789W0", "localhost:8448").as_deref(),
            Some("https://matrix.to/#/%21XBEu_b_9ZaAVVpEF-IGaXqs789W0?via=localhost%3A8448")
        );
        for not_a_room in ["#alias:example.org", "!", "!:example.org", "!a b:x.org", ""] {
            assert_eq!(room_link(not_a_room, "x.org"), None, "{not_a_room}");
        }
    }

    #[test]
    fn the_summary_quotes_the_first_lines_of_the_file() {
        let file = FileUpload {
            name: "INC-1-postmortem.md".into(),
            title: "Post-mortem draft".into(),
            mime: "text/markdown",
            content: (1..=20).map(|i| format!("line {i}\n\n")).collect(),
        };
        let text = summary(&file);
        assert!(text.starts_with("line 1\nline 2"));
        assert!(text.contains("line 12") && !text.contains("line 13"));
        assert!(text.ends_with("in the file above)"));
    }
}
