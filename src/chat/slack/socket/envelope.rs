//! One Socket Mode frame: its payload read as slack-morphism's typed events
//! ([`SlackCommandEvent`], [`SlackInteractionEvent`], [`SlackPushEventCallback`]), narrowed
//! by the same readers as over HTTP and handed to the same delivery claims and work, and the
//! envelope acknowledged. A slash command's acknowledgement carries an empty response payload
//! (as slack-morphism's listener sent before); the others are bare. An envelope whose payload
//! cannot be read is still acknowledged (it would read no better when sent again) and the
//! refusal logged.
//!
//! The envelope around the payload ([`Frame`]) is read here: slack-morphism 2.31 has typed
//! envelopes (`SlackSocketModeEvent`) but keeps them in a private module, so only its
//! listener can name them.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;
use slack_morphism::prelude::*;
use tokio::sync::mpsc::UnboundedSender;
use tokio_tungstenite::tungstenite::Message;

use super::super::SlackAdapter;
use super::super::inbound;

/// What the connection does after a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Goes on reading.
    Read,
    /// Slack will close this connection: open the next one.
    Refresh,
}

/// A Socket Mode frame from Slack, by its `type`.
// A frame lives only while it is dispatched: boxing the large payloads would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Frame {
    /// The connection is ready.
    Hello {
        /// How many connections the app has open.
        num_connections: Option<u32>,
    },
    /// Slack will close this connection soon (`refresh_requested`, `warning`, …).
    Disconnect {
        /// Why.
        reason: String,
    },
    /// A slash command.
    SlashCommands(Envelope<SlackCommandEvent>),
    /// A button press, a modal's submission.
    Interactive(Envelope<SlackInteractionEvent>),
    /// An Events API delivery.
    EventsApi(Envelope<SlackPushEventCallback>),
}

/// An envelope: its id (for the acknowledgement) and its typed payload.
#[derive(Debug, Deserialize)]
struct Envelope<T> {
    envelope_id: String,
    payload: T,
}

/// Only the id of an envelope whose payload could not be read, to acknowledge it.
#[derive(Debug, Deserialize)]
struct EnvelopeId {
    envelope_id: String,
}

/// Acts on one text frame; acknowledgements go to `acks`.
pub fn handle(adapter: &Arc<SlackAdapter>, text: &str, acks: &UnboundedSender<Message>) -> Next {
    let frame = match serde_json::from_str::<Frame>(text) {
        Ok(frame) => frame,
        Err(e) => {
            unreadable(text, &e, acks);
            return Next::Read;
        }
    };
    match frame {
        Frame::Hello { num_connections } => {
            tracing::debug!(?num_connections, "Socket Mode: hello");
        }
        Frame::Disconnect { reason } => {
            tracing::info!(%reason, "Socket Mode: Slack refreshes the connection");
            return Next::Refresh;
        }
        Frame::SlashCommands(envelope) => command(adapter, envelope, acks),
        Frame::Interactive(envelope) => interaction(adapter, envelope, acks),
        Frame::EventsApi(envelope) => event(adapter, envelope, acks.clone()),
    }
    Next::Read
}

/// A slash command: handed to its task, then acknowledged with an empty response payload.
fn command(
    adapter: &Arc<SlackAdapter>,
    envelope: Envelope<SlackCommandEvent>,
    acks: &UnboundedSender<Message>,
) {
    match inbound::command(envelope.payload) {
        Ok(command) => adapter.accept_command(command),
        Err(e) => tracing::warn!(reason = %e, "Socket Mode: refused a command"),
    }
    let payload = SlackCommandEventResponse::new(SlackMessageContent::new());
    send(
        acks,
        &json!({"envelope_id": envelope.envelope_id, "payload": payload}),
    );
}

/// A button press or a modal's submission: handed to its task, then acknowledged.
fn interaction(
    adapter: &Arc<SlackAdapter>,
    envelope: Envelope<SlackInteractionEvent>,
    acks: &UnboundedSender<Message>,
) {
    match inbound::interaction_event(envelope.payload) {
        Ok(interaction) => adapter.accept_interaction(interaction),
        Err(e) => tracing::warn!(reason = %e, "Socket Mode: refused an interaction"),
    }
    bare_ack(acks, envelope.envelope_id);
}

/// An Events API delivery: claimed in the database before its acknowledgement, as over HTTP,
/// in a task of its own so that the frames behind it are not held up.
fn event(
    adapter: &Arc<SlackAdapter>,
    envelope: Envelope<SlackPushEventCallback>,
    acks: UnboundedSender<Message>,
) {
    let id = envelope.envelope_id;
    let event = match inbound::push_event(envelope.payload) {
        Ok(event) => event,
        Err(e) => {
            tracing::warn!(reason = %e, "Socket Mode: refused an event");
            bare_ack(&acks, id);
            return;
        }
    };
    let adapter = adapter.clone();
    tokio::spawn(async move {
        if let Err((_, why)) = adapter.accept_event(event).await {
            tracing::warn!(why, "Socket Mode: an event could not be claimed");
        }
        bare_ack(&acks, id);
    });
}

/// A frame that is not a Socket Mode envelope Warroom can read (a payload the typed events
/// reject, a type it does not know): acknowledged when it names an envelope, and logged.
fn unreadable(text: &str, error: &serde_json::Error, acks: &UnboundedSender<Message>) {
    tracing::warn!(%error, "Socket Mode: a frame could not be read");
    if let Ok(EnvelopeId { envelope_id }) = serde_json::from_str(text) {
        bare_ack(acks, envelope_id);
    }
}

/// Acknowledges an envelope without a payload.
fn bare_ack(acks: &UnboundedSender<Message>, id: String) {
    send(acks, &json!({ "envelope_id": id }));
}

/// Queues an acknowledgement for the connection's writer.
fn send(acks: &UnboundedSender<Message>, ack: &impl Serialize) {
    match serde_json::to_string(ack) {
        Ok(frame) => {
            // A closed channel means the connection is gone; Slack sends the envelope again.
            let _ = acks.send(Message::text(frame));
        }
        Err(e) => {
            tracing::error!(error = %e, "Socket Mode: an acknowledgement could not be written")
        }
    }
}
