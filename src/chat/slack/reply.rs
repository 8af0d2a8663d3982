//! The chat port for one request: private answers go to the request's response_url (which
//! works in any channel, even one the bot is not in), everything else to the Web API.

use std::sync::Arc;

use async_trait::async_trait;
use slack_morphism::prelude::*;

use super::port::{SlackChat, content};
use super::render;
use crate::domain::{Platform, UserId};
use crate::engine::message::{FileUpload, Message};
use crate::engine::port::{ChatError, ChatPort, MessageId, Origin, RoomRef};

/// Slack's port, answering privately through a response_url when the request had one.
pub struct RequestPort {
    chat: Arc<SlackChat>,
    response_url: Option<url::Url>,
}

impl RequestPort {
    /// A port for a request that came with `response_url` (ignored unless it is an http(s) URL).
    pub fn new(chat: Arc<SlackChat>, response_url: Option<&str>) -> Self {
        let response_url = response_url
            .and_then(|u| url::Url::parse(u).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"));
        RequestPort { chat, response_url }
    }

    async fn respond(&self, url: &url::Url, message: &Message) -> Result<(), ChatError> {
        let rendered = render::render(message);
        let url = SlackResponseUrl(url.clone());
        for page in &rendered.pages {
            let request = SlackApiPostWebhookMessageRequest::new(content(&rendered.text, page));
            let (request, url) = (&request, &url);
            self.chat
                .api()
                .call("response_url", || async move {
                    self.chat
                        .api()
                        .client()
                        .respond_to_event(url, request)
                        .await
                })
                .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl ChatPort for RequestPort {
    fn platform(&self) -> Platform {
        self.chat.platform()
    }

    fn room_link(&self, room: &RoomRef) -> Option<String> {
        self.chat.room_link(room)
    }

    async fn create_room(
        &self,
        name: &str,
        topic: &str,
        private: bool,
    ) -> Result<RoomRef, ChatError> {
        self.chat.create_room(name, topic, private).await
    }

    async fn set_topic(&self, room: &RoomRef, topic: &str) -> Result<(), ChatError> {
        self.chat.set_topic(room, topic).await
    }

    async fn invite(&self, room: &RoomRef, users: &[UserId]) -> Result<(), ChatError> {
        self.chat.invite(room, users).await
    }

    async fn post(&self, room: &RoomRef, message: &Message) -> Result<MessageId, ChatError> {
        self.chat.post(room, message).await
    }

    async fn update(&self, target: &MessageId, message: &Message) -> Result<(), ChatError> {
        self.chat.update(target, message).await
    }

    async fn reply_in_thread(
        &self,
        parent: &MessageId,
        message: &Message,
    ) -> Result<MessageId, ChatError> {
        self.chat.reply_in_thread(parent, message).await
    }

    async fn reply_privately(&self, origin: &Origin, message: &Message) -> Result<(), ChatError> {
        if let Some(url) = &self.response_url {
            match self.respond(url, message).await {
                Ok(()) => return Ok(()),
                Err(e) => tracing::warn!(error = %e, "response_url failed: answering ephemerally"),
            }
        }
        self.chat.reply_privately(origin, message).await
    }

    async fn direct_message(&self, user: &UserId, message: &Message) -> Result<(), ChatError> {
        self.chat.direct_message(user, message).await
    }

    async fn pin(&self, target: &MessageId) -> Result<(), ChatError> {
        self.chat.pin(target).await
    }

    async fn upload(&self, room: &RoomRef, file: &FileUpload) -> Result<(), ChatError> {
        self.chat.upload(room, file).await
    }
}
