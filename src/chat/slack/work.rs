//! The work behind a delivery, done in a task after Slack has its answer: the engine applies
//! the command and its effects are carried out through Slack.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use slack_morphism::prelude::*;

use super::inbound::{Event, Interaction, SlashCommand};
use super::reply::RequestPort;
use super::{PLATFORM, SlackAdapter, modal};
use crate::domain::UserId;
use crate::engine::Input;
use crate::engine::message::Message;
use crate::engine::port::{ChatPort, Origin, RoomId};

fn origin(user: &str, channel: &str) -> Option<Origin> {
    match UserId::parse(user) {
        Ok(user) => Some(Origin {
            room_id: RoomId::new(PLATFORM, channel),
            user,
        }),
        Err(e) => {
            tracing::warn!(error = %e, "a Slack user id Warroom cannot read");
            None
        }
    }
}

/// Applies a slash command and carries out its effects.
#[tracing::instrument(skip_all, fields(user = %command.user_id, channel = %command.channel_id))]
pub async fn command(adapter: Arc<SlackAdapter>, command: SlashCommand) {
    let Some(origin) = origin(&command.user_id, &command.channel_id) else {
        return;
    };
    let port = RequestPort::new(adapter.chat.clone(), command.response_url.as_deref());
    let input = Input::Said { text: command.text };
    act(&adapter, &port, &origin, input).await;
}

/// Presses a button (asking for its parameters in a modal first, when it needs some), or
/// applies a submitted modal.
#[tracing::instrument(skip_all)]
pub async fn interaction(adapter: Arc<SlackAdapter>, interaction: Interaction) {
    match interaction {
        Interaction::Press {
            user,
            channel,
            button,
            trigger_id,
            response_url,
        } => {
            let Some(origin) = origin(&user, &channel) else {
                return;
            };
            let port = RequestPort::new(adapter.chat.clone(), response_url.as_deref());
            let missing = adapter.engine.incidents().missing_parameters(button).await;
            if !missing.is_empty() {
                match modal::open(&adapter.chat, &trigger_id, button, &channel, &missing).await {
                    Ok(()) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not open the parameters modal");
                        let text = format!(
                            "This step needs {}: type /incident run … with them",
                            missing.join(", ")
                        );
                        let _ = port.reply_privately(&origin, &Message::text(text)).await;
                        return;
                    }
                }
            }
            let input = Input::Pressed {
                button,
                params: Default::default(),
            };
            act(&adapter, &port, &origin, input).await;
        }
        Interaction::Submit {
            user,
            channel,
            button,
            params,
            ..
        } => {
            let Some(origin) = origin(&user, &channel) else {
                return;
            };
            let port = RequestPort::new(adapter.chat.clone(), None);
            act(&adapter, &port, &origin, Input::Pressed { button, params }).await;
        }
    }
}

/// A :pushpin: on a message in a war room puts the message on the timeline.
#[tracing::instrument(skip_all)]
pub async fn event(adapter: Arc<SlackAdapter>, event: Event) {
    let Event::Reaction {
        user,
        reaction,
        channel,
        ts,
        ..
    } = event
    else {
        return;
    };
    if reaction != "pushpin" {
        return;
    }
    let Some(origin) = origin(&user, &channel) else {
        return;
    };
    let found = match message_at(&adapter, &channel, &ts).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            tracing::info!(%channel, %ts, "the pinned message is gone");
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not read the pinned message");
            return;
        }
    };
    let (author, said_at, text) = found;
    let input = Input::Pinned {
        author,
        at: said_at,
        text,
    };
    // A reaction has no response_url: answers go ephemerally to whoever pinned.
    let port = RequestPort::new(adapter.chat.clone(), None);
    act(&adapter, &port, &origin, input).await;
}

/// The author, time and text of the message `ts` in `channel`.
async fn message_at(
    adapter: &SlackAdapter,
    channel: &str,
    ts: &str,
) -> Result<Option<(UserId, DateTime<Utc>, String)>, crate::engine::port::ChatError> {
    let request = SlackApiConversationsHistoryRequest::new()
        .with_channel(channel.into())
        .with_latest(SlackTs(ts.to_owned()))
        .with_inclusive(true)
        .with_limit(1);
    let request = &request;
    let api = adapter.chat.api();
    let history = api
        .call("conversations.history", || async move {
            api.session().conversations_history(request).await
        })
        .await?;
    let Some(message) = history.messages.into_iter().find(|m| m.origin.ts.0 == ts) else {
        return Ok(None);
    };
    let Some(author) = message
        .sender
        .user
        .as_ref()
        .and_then(|u| UserId::parse(&u.0).ok())
    else {
        return Ok(None);
    };
    let Some(said_at) = ts_time(ts) else {
        return Ok(None);
    };
    let text = message.content.text.unwrap_or_default();
    Ok(Some((author, said_at, text)))
}

/// A Slack ts (`1531420618.000200`: seconds, then a sequence) as a time.
fn ts_time(ts: &str) -> Option<DateTime<Utc>> {
    let (secs, micros) = ts.split_once('.').unwrap_or((ts, "0"));
    let secs: i64 = secs.parse().ok()?;
    let micros: u32 = format!("{micros:0<6}").get(..6)?.parse().ok()?;
    DateTime::from_timestamp(secs, micros * 1000)
}

/// Hands one input to the engine and carries out what it answers through `port`.
async fn act(adapter: &SlackAdapter, port: &dyn ChatPort, origin: &Origin, input: Input) {
    let effects = adapter.engine.incidents().take(origin, input).await;
    adapter
        .engine
        .delivery()
        .dispatch(port, origin, effects)
        .await;
}

#[cfg(test)]
mod tests {
    use super::ts_time;

    #[test]
    fn slack_timestamps_are_times() {
        let t = ts_time("1531420618.000200").unwrap();
        assert_eq!(t.to_rfc3339(), "2018-07-12T18:36:58.000200+00:00");
        assert!(ts_time("soon").is_none());
    }
}
