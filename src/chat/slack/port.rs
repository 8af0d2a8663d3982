//! Slack as the engine's chat port: channels, Block Kit messages, ephemeral answers, DMs, pins
//! and file uploads through the Web API.

use async_trait::async_trait;
use serde_json::Value;
use slack_morphism::prelude::*;

use super::api::SlackApi;
use super::channel_name;
use super::render::{self, Rendered};
use crate::domain::{Platform, UserId};
use crate::engine::message::{FileUpload, Message};
use crate::engine::port::{ChatError, ChatPort, MessageId, Origin, RoomId, RoomRef};

/// Slack topics hold at most 250 characters.
const TOPIC_CHARS: usize = 250;
/// How many names with a suffix are tried when a channel name is taken.
const NAME_ATTEMPTS: u32 = 20;

/// The engine's chat port on Slack.
pub struct SlackChat {
    api: SlackApi,
    /// The bot's user id, once asked.
    bot_id: tokio::sync::OnceCell<String>,
}

impl SlackChat {
    /// A port over this client.
    pub fn new(api: SlackApi) -> Self {
        SlackChat {
            api,
            bot_id: tokio::sync::OnceCell::new(),
        }
    }

    /// The Web API client.
    pub fn api(&self) -> &SlackApi {
        &self.api
    }

    /// Posts one page of blocks, paced per channel; returns the message's channel and ts.
    async fn post_page(
        &self,
        channel: &str,
        text: &str,
        blocks: &[Value],
        thread: Option<&str>,
        first: bool,
    ) -> Result<MessageId, ChatError> {
        // A delivery's first page does not wait for the channel's next slot while it holds a
        // claim and one of the worker's places: the outbox tries it again when the slot is
        // free. Later pages of a message wait, so that a retry never posts the first twice.
        if first && crate::engine::port::DeliveryKey::active() {
            if let Err(wait) = self.api.try_pace(channel) {
                return Err(ChatError::Throttled {
                    wait,
                    reason: format!("Slack takes one message a second in {channel}"),
                });
            }
        } else {
            self.api.pace(channel).await;
        }
        let mut request =
            SlackApiChatPostMessageRequest::new(channel.into(), content(text, blocks));
        request.thread_ts = thread.map(|t| SlackTs(t.to_owned()));
        let request = &request;
        let posted = self
            .api
            .call("chat.postMessage", || async move {
                self.api.session().chat_post_message(request).await
            })
            .await?;
        Ok(MessageId::new(
            RoomId::new(Platform::Slack, posted.channel.0),
            posted.ts.0,
        ))
    }

    /// Posts every page of a message; the first page is the message that is returned.
    async fn post_pages(
        &self,
        channel: &str,
        rendered: &Rendered,
        thread: Option<&str>,
    ) -> Result<MessageId, ChatError> {
        let mut first = None;
        for page in &rendered.pages {
            let posted = self
                .post_page(channel, &rendered.text, page, thread, first.is_none())
                .await?;
            first.get_or_insert(posted);
        }
        first.ok_or_else(|| ChatError::Refused("an empty message".into()))
    }

    /// Posts a message only `user` sees in `channel`, a page at a time.
    pub async fn ephemeral(
        &self,
        channel: &str,
        user: &UserId,
        message: &Message,
    ) -> Result<(), ChatError> {
        let rendered = render::render(message);
        for page in &rendered.pages {
            let request = SlackApiChatPostEphemeralRequest::new(
                channel.into(),
                user.as_str().into(),
                content(&rendered.text, page),
            );
            let request = &request;
            self.api
                .call("chat.postEphemeral", || async move {
                    self.api.session().chat_post_ephemeral(request).await
                })
                .await?;
        }
        Ok(())
    }

    /// The bot's own user id (`auth.test`), asked once.
    async fn bot_id(&self) -> Result<String, ChatError> {
        self.bot_id
            .get_or_try_init(|| async {
                let tested = self
                    .api
                    .call("auth.test", || async {
                        self.api.session().auth_test().await
                    })
                    .await?;
                Ok::<_, ChatError>(tested.user_id.0)
            })
            .await
            .cloned()
    }

    /// A channel named `name` that this bot made and that shows no other incident (an empty
    /// topic, or `topic`): a war room whose creation was answered too late to be recorded.
    async fn made_before(&self, name: &str, topic: &str) -> Result<Option<RoomRef>, ChatError> {
        let bot = self.bot_id().await?;
        let wanted = topic_text(topic);
        let mut cursor: Option<SlackCursorId> = None;
        // At most 20 pages of 1,000 channels.
        for _ in 0..20 {
            let mut request = SlackApiConversationsListRequest::new()
                .with_types(vec![SlackConversationType::Public])
                .with_exclude_archived(true)
                .with_limit(1000);
            request.cursor = cursor.take();
            let request = &request;
            let page = self
                .api
                .call("conversations.list", || async move {
                    self.api.session().conversations_list(request).await
                })
                .await?;
            let found = page
                .channels
                .into_iter()
                .find(|c| c.name.as_deref() == Some(name));
            if let Some(channel) = found {
                let ours = channel.creator.as_ref().is_some_and(|c| c.0 == bot);
                let shown = channel
                    .topic
                    .as_ref()
                    .map(|t| t.value.as_str())
                    .unwrap_or_default();
                if ours && (shown.is_empty() || shown == wanted) {
                    return Ok(Some(RoomRef {
                        id: RoomId::new(Platform::Slack, channel.id.0),
                        name: name.to_owned(),
                    }));
                }
                return Ok(None);
            }
            match page.response_metadata.and_then(|m| m.next_cursor) {
                Some(next) if !next.0.is_empty() => cursor = Some(next),
                _ => return Ok(None),
            }
        }
        Ok(None)
    }

    /// Creates a channel; a `private` one needs the `groups:write` scope.
    async fn create_named(
        &self,
        name: &str,
        private: bool,
    ) -> Result<Option<SlackChannelInfo>, ChatError> {
        let mut request = SlackApiConversationsCreateRequest::new(name.to_owned());
        if private {
            request = request.with_is_private(true);
        }
        let request = &request;
        let created = self
            .api
            .call("conversations.create", || async move {
                self.api.session().conversations_create(request).await
            })
            .await;
        match created {
            Ok(c) => Ok(Some(c.channel)),
            Err(e) if e.code() == Some("name_taken") => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// A topic as Slack gets it: escaped (Slack reads `<!channel>` and `<@U…>` in a topic, and
/// a topic is made of titles people and alerts wrote), and cut to Slack's 250 characters.
fn topic_text(topic: &str) -> String {
    render::fit_escaped(&render::escape(topic), TOPIC_CHARS)
}

/// The content of a message: fallback text and blocks.
pub(super) fn content(text: &str, blocks: &[Value]) -> SlackMessageContent {
    let blocks: Vec<SlackBlock> = blocks
        .iter()
        .map(|b| serde_json::from_value(b.clone()).unwrap_or(SlackBlock::Unknown(b.clone())))
        .collect();
    let content = SlackMessageContent::new().with_text(text.to_owned());
    if blocks.is_empty() {
        content
    } else {
        content.with_blocks(blocks)
    }
}

#[async_trait]
impl ChatPort for SlackChat {
    fn platform(&self) -> Platform {
        Platform::Slack
    }

    /// Slack's documented deep link that opens a channel in the app or the browser.
    fn room_link(&self, room: &RoomRef) -> Option<String> {
        let id = room.id.as_str();
        render::is_slack_id(id, &['C', 'G'])
            .then(|| format!("https://slack.com/app_redirect?channel={id}"))
    }

    async fn create_room(
        &self,
        name: &str,
        topic: &str,
        private: bool,
    ) -> Result<RoomRef, ChatError> {
        let base = channel_name::valid(name);
        for attempt in 1..=NAME_ATTEMPTS {
            let candidate = channel_name::with_suffix(&base, attempt);
            if let Some(channel) = self.create_named(&candidate, private).await? {
                let room = RoomRef {
                    id: RoomId::new(Platform::Slack, channel.id.0.clone()),
                    name: channel.name.unwrap_or(candidate),
                };
                // The channel is made: a topic that does not take must not make the creation
                // count as failed (its repeat would find the channel, one more round trip).
                if let Err(e) = self.set_topic(&room, topic).await {
                    tracing::warn!(error = %e, channel = %room.id, "the war room has no topic");
                }
                return Ok(room);
            }
            // A repeat of a creation whose answer was lost (the process died, the connection
            // broke): the channel is there, made by this bot for this incident. Use it.
            if attempt == 1
                && crate::engine::port::DeliveryKey::active()
                && let Some(room) = self.made_before(&base, topic).await?
            {
                tracing::info!(name = %base, "the war room was made before: using it");
                self.set_topic(&room, topic).await?;
                return Ok(room);
            }
            tracing::info!(name = %candidate, "channel name taken: trying another");
        }
        Err(ChatError::Refused(format!(
            "every channel name from #{base} to #{} is taken",
            channel_name::with_suffix(&base, NAME_ATTEMPTS)
        )))
    }

    async fn set_topic(&self, room: &RoomRef, topic: &str) -> Result<(), ChatError> {
        let request =
            SlackApiConversationsSetTopicRequest::new(room.id.as_str().into(), topic_text(topic));
        let request = &request;
        self.api
            .call("conversations.setTopic", || async move {
                self.api.session().conversations_set_topic(request).await
            })
            .await?;
        Ok(())
    }

    async fn invite(&self, room: &RoomRef, users: &[UserId]) -> Result<(), ChatError> {
        // Only Slack user ids can be invited; a console name in the config is a mistake
        // that the log should show, not a reason to invite nobody.
        let (ids, others): (Vec<&UserId>, Vec<&UserId>) = users
            .iter()
            .partition(|u| render::is_slack_id(u.as_str(), &['U', 'W']));
        if !others.is_empty() {
            tracing::warn!(?others, "not Slack user ids, so not invited");
        }
        if ids.is_empty() {
            return Ok(());
        }
        let request = SlackApiConversationsInviteRequest::new(
            room.id.as_str().into(),
            ids.iter().map(|u| u.as_str().into()).collect(),
        );
        let request = &request;
        match self
            .api
            .call("conversations.invite", || async move {
                self.api.session().conversations_invite(request).await
            })
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.code(), Some("already_in_channel" | "cant_invite_self")) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn post(&self, room: &RoomRef, message: &Message) -> Result<MessageId, ChatError> {
        self.post_pages(room.id.as_str(), &render::render(message), None)
            .await
    }

    async fn update(&self, target: &MessageId, message: &Message) -> Result<(), ChatError> {
        let (text, blocks) = render::render_one(message);
        let request = SlackApiChatUpdateRequest::new(
            target.room().as_str().into(),
            content(&text, &blocks),
            SlackTs(target.as_str().to_owned()),
        );
        let request = &request;
        self.api
            .call("chat.update", || async move {
                self.api.session().chat_update(request).await
            })
            .await?;
        Ok(())
    }

    async fn reply_in_thread(
        &self,
        parent: &MessageId,
        message: &Message,
    ) -> Result<MessageId, ChatError> {
        self.post_pages(
            parent.room().as_str(),
            &render::render(message),
            Some(parent.as_str()),
        )
        .await
    }

    async fn reply_privately(&self, origin: &Origin, message: &Message) -> Result<(), ChatError> {
        self.ephemeral(origin.room_id.as_str(), &origin.user, message)
            .await
    }

    async fn direct_message(&self, user: &UserId, message: &Message) -> Result<(), ChatError> {
        if !render::is_slack_id(user.as_str(), &['U', 'W']) {
            return Err(ChatError::NotFound(format!("Slack user {user}")));
        }
        let request =
            SlackApiConversationsOpenRequest::new().with_users(vec![user.as_str().into()]);
        let request = &request;
        let opened = self
            .api
            .call("conversations.open", || async move {
                self.api.session().conversations_open(request).await
            })
            .await?;
        self.post_pages(&opened.channel.id.0, &render::render(message), None)
            .await?;
        Ok(())
    }

    async fn pin(&self, target: &MessageId) -> Result<(), ChatError> {
        let request = SlackApiPinsAddRequest::new(
            target.room().as_str().into(),
            SlackTs(target.as_str().to_owned()),
        );
        let request = &request;
        match self
            .api
            .call("pins.add", || async move {
                self.api.session().pins_add(request).await
            })
            .await
        {
            Err(e) if e.code() == Some("already_pinned") => Ok(()),
            other => other.map(|_| ()).map_err(ChatError::from),
        }
    }

    async fn upload(&self, room: &RoomRef, file: &FileUpload) -> Result<(), ChatError> {
        let bytes = file.content.as_bytes();
        let request = SlackApiFilesGetUploadUrlExternalRequest::new(file.name.clone(), bytes.len());
        let request = &request;
        let target = self
            .api
            .call("files.getUploadURLExternal", || async move {
                self.api.session().get_upload_url_external(request).await
            })
            .await?;
        let upload = SlackApiFilesUploadViaUrlRequest::new(
            target.upload_url.clone(),
            bytes.to_vec(),
            file.mime.to_owned(),
        );
        let upload = &upload;
        self.api
            .call("the file upload", || async move {
                self.api.session().files_upload_via_url(upload).await
            })
            .await?;
        let complete = SlackApiFilesCompleteUploadExternalRequest::new(vec![
            SlackApiFilesComplete::new(target.file_id.clone()).with_title(file.title.clone()),
        ])
        .with_channel_id(room.id.as_str().into());
        let complete = &complete;
        self.api
            .call("files.completeUploadExternal", || async move {
                self.api
                    .session()
                    .files_complete_upload_external(complete)
                    .await
            })
            .await?;
        Ok(())
    }
}
