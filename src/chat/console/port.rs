//! The console's chat port: rooms and messages are lines on the terminal.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;

use async_trait::async_trait;

use super::render;
use crate::domain::{Platform, UserId};
use crate::engine::message::{FileUpload, Message};
use crate::engine::port::{ChatError, ChatPort, MessageId, Origin, RoomId, RoomRef};

/// The chat port of the console. Rooms are named by short ids (`lobby`, `inc-7`).
pub struct ConsoleChat {
    out: Mutex<Box<dyn Write + Send>>,
    bot: String,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next_message: u64,
    /// Which room each message was posted in.
    messages: HashMap<String, String>,
}

/// The console id of a room: `inc-7` for `inc-7-checkout-api-returns-500s`.
fn short_id(name: &str) -> String {
    let mut parts = name.splitn(3, '-');
    match (parts.next(), parts.next()) {
        (Some("inc"), Some(n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            format!("inc-{n}")
        }
        _ => name.to_owned(),
    }
}

impl ConsoleChat {
    /// A console writing to `out`, speaking as `bot`.
    pub fn new(out: Box<dyn Write + Send>, bot: &str) -> Self {
        ConsoleChat {
            out: Mutex::new(out),
            bot: bot.to_owned(),
            state: Mutex::new(State::default()),
        }
    }

    /// The same console speaking in a drill: every message it shows is marked `DRILL`, so no
    /// one reading the screen (or a copy of it) takes a rehearsal for an incident.
    pub fn in_drill(mut self) -> Self {
        self.bot = format!("{} · DRILL", self.bot);
        self
    }

    /// Writes text as it is (for the console's own notices).
    pub fn print(&self, text: &str) -> Result<(), ChatError> {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| ChatError::Unavailable(format!("the terminal: {e}")))
    }

    fn new_message(&self, room: &RoomId) -> MessageId {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.next_message += 1;
        let id = format!("m{}", state.next_message);
        state.messages.insert(id.clone(), room.as_str().to_owned());
        MessageId::new(room.clone(), id)
    }
}

#[async_trait]
impl ChatPort for ConsoleChat {
    fn platform(&self) -> Platform {
        Platform::Console
    }

    fn delivers_inline(&self) -> bool {
        true
    }

    async fn create_room(
        &self,
        name: &str,
        topic: &str,
        private: bool,
    ) -> Result<RoomRef, ChatError> {
        let id = short_id(name);
        let kind = if private { "private room" } else { "room" };
        self.print(&format!(
            "[#{id}] {kind} #{name} created · topic: {topic}\n"
        ))?;
        Ok(RoomRef {
            id: RoomId::new(Platform::Console, id),
            name: name.to_owned(),
        })
    }

    async fn set_topic(&self, room: &RoomRef, topic: &str) -> Result<(), ChatError> {
        self.print(&format!("[#{}] topic: {topic}\n", room.id))
    }

    async fn invite(&self, room: &RoomRef, users: &[UserId]) -> Result<(), ChatError> {
        let names: Vec<&str> = users.iter().map(UserId::as_str).collect();
        self.print(&format!("[#{}] invited {}\n", room.id, names.join(", ")))
    }

    async fn post(&self, room: &RoomRef, message: &Message) -> Result<MessageId, ChatError> {
        let posted = self.new_message(&room.id);
        let heading = format!("[#{}] {} ({}):", room.id, self.bot, posted.as_str());
        self.print(&render::under(&heading, message))?;
        Ok(posted)
    }

    async fn update(&self, target: &MessageId, message: &Message) -> Result<(), ChatError> {
        let known = self
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .messages
            .contains_key(target.as_str());
        if !known {
            // Messages of an earlier console run are gone from the screen.
            return Err(ChatError::NotFound(format!("message {}", target.as_str())));
        }
        let heading = format!(
            "[#{}] {} edited {}:",
            target.room(),
            self.bot,
            target.as_str()
        );
        self.print(&render::under(&heading, message))
    }

    async fn reply_in_thread(
        &self,
        parent: &MessageId,
        message: &Message,
    ) -> Result<MessageId, ChatError> {
        let posted = self.new_message(parent.room());
        let heading = format!(
            "[#{} thread {}] {} ({}):",
            parent.room(),
            parent.as_str(),
            self.bot,
            posted.as_str()
        );
        self.print(&render::under(&heading, message))?;
        Ok(posted)
    }

    async fn reply_privately(&self, origin: &Origin, message: &Message) -> Result<(), ChatError> {
        let heading = format!("[#{}] {} → {}:", origin.room_id, self.bot, origin.user);
        self.print(&render::under(&heading, message))
    }

    async fn direct_message(&self, user: &UserId, message: &Message) -> Result<(), ChatError> {
        let heading = format!("[dm {user}] {}:", self.bot);
        self.print(&render::under(&heading, message))
    }

    async fn pin(&self, target: &MessageId) -> Result<(), ChatError> {
        self.print(&format!(
            "[#{}] pinned {}\n",
            target.room(),
            target.as_str()
        ))
    }

    async fn upload(&self, room: &RoomRef, file: &FileUpload) -> Result<(), ChatError> {
        let mut text = format!(
            "[#{}] {} uploaded {} ({}, {} bytes): {}\n",
            room.id,
            self.bot,
            file.name,
            file.mime,
            file.content.len(),
            file.title
        );
        text.push_str(&format!("----- {} -----\n", file.name));
        text.push_str(&file.content);
        if !file.content.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!("----- end of {} -----\n", file.name));
        self.print(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::short_id;

    #[test]
    fn war_rooms_have_short_console_ids() {
        assert_eq!(short_id("inc-7-checkout-api"), "inc-7");
        assert_eq!(short_id("inc-12"), "inc-12");
        assert_eq!(short_id("lobby"), "lobby");
        assert_eq!(short_id("inc-x-y"), "inc-x-y");
    }
}
