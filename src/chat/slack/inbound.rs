//! What Slack sends Warroom, read into slack-morphism's typed events and narrowed to what
//! Warroom acts on: slash commands (a form, [`SlackCommandEvent`]), interactions (a form with
//! one JSON `payload`, [`SlackInteractionEvent`]) and Events API callbacks (JSON,
//! [`SlackPushEvent`]). Socket Mode envelopes carry the same typed payloads and go through the
//! same narrowing ([`command`], [`interaction_event`], [`push_event`]). A body the typed events
//! reject, or without a field Warroom needs, is malformed.

use std::collections::BTreeMap;

use serde::Deserialize;
use slack_morphism::prelude::*;

use crate::engine::message::ButtonId;

/// Why a body could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InboundError {
    /// Not the form or JSON Slack sends, or a field Warroom needs is missing.
    #[error("the request body is not a Slack {0} Warroom can read")]
    Malformed(&'static str),
    /// An interaction names an action Warroom never offered.
    #[error("Warroom does not know the action '{0}'")]
    UnknownAction(String),
}

/// A slash command (`/incident declare p1 …`), narrowed from [`SlackCommandEvent`].
#[derive(Debug, Clone)]
pub struct SlashCommand {
    /// `/incident`.
    pub command: String,
    /// What follows the command.
    pub text: String,
    /// Who typed it.
    pub user_id: String,
    /// Where.
    pub channel_id: String,
    /// Where to answer, up to five times in 30 minutes.
    pub response_url: Option<String>,
    /// Unique per invocation: the delivery's id.
    pub trigger_id: String,
}

/// Reads a slash command's form body.
pub fn slash_command(body: &[u8]) -> Result<SlashCommand, InboundError> {
    let event: SlackCommandEvent =
        serde_urlencoded::from_bytes(body).map_err(|_| InboundError::Malformed("slash command"))?;
    command(event)
}

/// Narrows a typed slash command (from a form or a Socket Mode envelope); empty ids are
/// malformed.
pub fn command(event: SlackCommandEvent) -> Result<SlashCommand, InboundError> {
    if event.user_id.0.is_empty() || event.channel_id.0.is_empty() || event.trigger_id.0.is_empty()
    {
        return Err(InboundError::Malformed("slash command"));
    }
    Ok(SlashCommand {
        command: event.command.0,
        text: event.text.unwrap_or_default(),
        user_id: event.user_id.0,
        channel_id: event.channel_id.0,
        response_url: Some(event.response_url.0.to_string()),
        trigger_id: event.trigger_id.0,
    })
}

/// The form an interaction arrives in: one field, the JSON payload.
#[derive(Debug, Deserialize)]
struct InteractionForm {
    payload: String,
}

/// Only the `type` of a payload the typed events rejected, to tell an interaction or event
/// Warroom never handles from a malformed one.
#[derive(Debug, Deserialize)]
struct Kind {
    #[serde(rename = "type")]
    kind: String,
}

/// The callback id of Warroom's modal that asks for a Run button's parameters.
pub const RUN_MODAL: &str = "warroom-run";

/// What a modal for parameters carries through Slack and back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct ModalContext {
    /// The Run button pressed.
    pub button: String,
    /// The channel it was pressed in.
    pub channel: String,
}

/// An interaction Warroom acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interaction {
    /// A button (or a select's option) was pressed.
    Press {
        /// Who pressed it.
        user: String,
        /// In which channel.
        channel: String,
        /// Which button.
        button: ButtonId,
        /// For opening a modal, and the delivery's id.
        trigger_id: String,
        /// Where to answer.
        response_url: Option<String>,
    },
    /// The parameters modal was submitted: the Run button, and the values typed for it.
    Submit {
        /// Who submitted it.
        user: String,
        /// The channel the button was in.
        channel: String,
        /// The Run button.
        button: ButtonId,
        /// The values typed, by parameter name (a value may hold spaces).
        params: BTreeMap<String, String>,
        /// The delivery's id.
        trigger_id: String,
    },
}

impl Interaction {
    /// The id that makes a repeat of this delivery recognisable.
    pub fn delivery_id(&self) -> &str {
        match self {
            Interaction::Press { trigger_id, .. } | Interaction::Submit { trigger_id, .. } => {
                trigger_id
            }
        }
    }
}

/// Reads an interaction's form body; actions Warroom never offered are refused.
pub fn interaction(body: &[u8]) -> Result<Interaction, InboundError> {
    let form: InteractionForm =
        serde_urlencoded::from_bytes(body).map_err(|_| InboundError::Malformed("interaction"))?;
    match serde_json::from_str::<SlackInteractionEvent>(&form.payload) {
        Ok(event) => interaction_event(event),
        Err(_) => Err(rejected_interaction(&form.payload)),
    }
}

/// Why a payload the typed interactions rejected is refused: a kind Warroom acts on is
/// malformed; any other kind (one slack-morphism does not model) was never offered.
fn rejected_interaction(payload: &str) -> InboundError {
    match serde_json::from_str::<Kind>(payload) {
        Ok(Kind { kind }) if kind != "block_actions" && kind != "view_submission" => {
            InboundError::UnknownAction(kind.chars().take(40).collect())
        }
        _ => InboundError::Malformed("interaction"),
    }
}

/// Narrows a typed interaction (from a form or a Socket Mode envelope).
pub fn interaction_event(event: SlackInteractionEvent) -> Result<Interaction, InboundError> {
    match event {
        SlackInteractionEvent::BlockActions(pressed) => press(pressed),
        SlackInteractionEvent::ViewSubmission(submitted) => submission(submitted),
        other => Err(InboundError::UnknownAction(
            interaction_kind(&other).to_owned(),
        )),
    }
}

/// The wire name of an interaction Warroom does not act on.
fn interaction_kind(event: &SlackInteractionEvent) -> &'static str {
    match event {
        SlackInteractionEvent::BlockActions(_) => "block_actions",
        SlackInteractionEvent::BlockSuggestion(_) => "block_suggestion",
        SlackInteractionEvent::DialogSubmission(_) => "dialog_submission",
        SlackInteractionEvent::MessageAction(_) => "message_action",
        SlackInteractionEvent::Shortcut(_) => "shortcut",
        SlackInteractionEvent::ViewSubmission(_) => "view_submission",
        SlackInteractionEvent::ViewClosed(_) => "view_closed",
    }
}

/// A button or a select's option, when it is one Warroom offered.
fn press(event: SlackInteractionBlockActionsEvent) -> Result<Interaction, InboundError> {
    let malformed = || InboundError::Malformed("interaction");
    let user = event.user.ok_or_else(malformed)?.id.0;
    if event.trigger_id.0.is_empty() {
        return Err(malformed());
    }
    let action = event
        .actions
        .as_deref()
        .and_then(<[_]>::first)
        .ok_or_else(malformed)?;
    let button = offered_button(action)?;
    let channel = event
        .channel
        .map(|c| c.id.0)
        .or_else(|| container_channel(event.container))
        .ok_or_else(malformed)?;
    Ok(Interaction::Press {
        user,
        channel,
        button,
        trigger_id: event.trigger_id.0,
        response_url: event.response_url.map(|u| u.0.to_string()),
    })
}

/// The button an action names: Warroom's buttons carry their id as `action_id` and `value`,
/// its selects `select-b…` with the chosen button as the option's value.
fn offered_button(action: &SlackInteractionActionInfo) -> Result<ButtonId, InboundError> {
    let action_id = action.action_id.0.as_str();
    let chosen = action
        .selected_option
        .as_ref()
        .map(|c| c.value.as_str())
        .or(action.value.as_deref());
    let offered = action_id.parse::<ButtonId>().is_ok() || action_id.starts_with("select-b");
    chosen
        .filter(|_| offered)
        .and_then(|v| v.parse::<ButtonId>().ok())
        .ok_or_else(|| InboundError::UnknownAction(action_id.chars().take(40).collect()))
}

/// The channel of the message a button sits on, from the interaction's container.
fn container_channel(container: SlackInteractionActionContainer) -> Option<String> {
    match container {
        SlackInteractionActionContainer::Message(m) => m.channel_id.map(|c| c.0),
        SlackInteractionActionContainer::MessageAttachment(m) => m.channel_id.map(|c| c.0),
        SlackInteractionActionContainer::View(_) => None,
    }
}

/// The parameters modal submitted.
fn submission(event: SlackInteractionViewSubmissionEvent) -> Result<Interaction, InboundError> {
    let malformed = || InboundError::Malformed("interaction");
    let trigger_id = event
        .trigger_id
        .map(|t| t.0)
        .filter(|t| !t.is_empty())
        .ok_or_else(malformed)?;
    let (callback_id, metadata) = match &event.view.view {
        SlackView::Modal(modal) => (modal.callback_id.as_ref(), modal.private_metadata.as_ref()),
        SlackView::Home(home) => (home.callback_id.as_ref(), home.private_metadata.as_ref()),
    };
    let callback_id = callback_id.map(|c| c.0.as_str()).unwrap_or_default();
    if callback_id != RUN_MODAL {
        return Err(InboundError::UnknownAction(
            callback_id.chars().take(40).collect(),
        ));
    }
    let context: ModalContext = metadata
        .and_then(|m| serde_json::from_str(m).ok())
        .ok_or_else(malformed)?;
    let button = context
        .button
        .parse::<ButtonId>()
        .map_err(|_| malformed())?;
    let params = event
        .view
        .state_params
        .state
        .map(|s| s.values)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(block, inputs)| {
            let value = inputs.into_values().find_map(|i| i.value)?;
            Some((block.0, value.trim().to_owned()))
        })
        .collect();
    Ok(Interaction::Submit {
        user: event.user.id.0,
        channel: context.channel,
        button,
        params,
        trigger_id,
    })
}

/// An Events API delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Slack checks the URL: answer with the challenge.
    UrlVerification {
        /// What to send back.
        challenge: String,
    },
    /// Someone reacted to a message.
    Reaction {
        /// The event's id, for deduplication.
        event_id: String,
        /// Who reacted.
        user: String,
        /// The emoji's name (`pushpin`).
        reaction: String,
        /// The channel of the message.
        channel: String,
        /// The message's ts.
        ts: String,
    },
    /// Anything else, acknowledged and left alone.
    Other {
        /// The event's id, when it has one.
        event_id: Option<String>,
    },
}

/// Reads an Events API body.
pub fn event(body: &[u8]) -> Result<Event, InboundError> {
    let malformed = || InboundError::Malformed("event");
    match serde_json::from_slice::<SlackPushEvent>(body) {
        Ok(SlackPushEvent::UrlVerification(check)) => Ok(Event::UrlVerification {
            challenge: check.challenge,
        }),
        Ok(SlackPushEvent::EventCallback(callback)) => push_event(callback),
        Ok(SlackPushEvent::AppRateLimited(_)) => Ok(Event::Other { event_id: None }),
        // A kind of delivery slack-morphism does not model is left alone, as before; one it
        // models but rejected is malformed.
        Err(_) => match serde_json::from_slice::<Kind>(body) {
            Ok(Kind { kind })
                if !matches!(
                    kind.as_str(),
                    "url_verification" | "event_callback" | "app_rate_limited"
                ) =>
            {
                Ok(Event::Other { event_id: None })
            }
            _ => Err(malformed()),
        },
    }
}

/// Narrows a typed event callback (from the Events API or a Socket Mode envelope).
pub fn push_event(callback: SlackPushEventCallback) -> Result<Event, InboundError> {
    let malformed = || InboundError::Malformed("event");
    let event_id = Some(callback.event_id.0)
        .filter(|e| !e.is_empty())
        .ok_or_else(malformed)?;
    let other = |event_id| {
        Ok(Event::Other {
            event_id: Some(event_id),
        })
    };
    match callback.event {
        SlackEventCallbackBody::ReactionAdded(reaction) => match reaction.item {
            SlackReactionsItem::Message(message) => Ok(Event::Reaction {
                event_id,
                user: reaction.user.0,
                reaction: reaction.reaction.0,
                channel: message.origin.channel.ok_or_else(malformed)?.0,
                ts: message.origin.ts.0,
            }),
            SlackReactionsItem::File(_) => other(event_id),
        },
        // slack-morphism keeps a `reaction_added` it could not read as untyped JSON: on a
        // message, that is a reaction Warroom needs and cannot read.
        SlackEventCallbackBody::Unknown(raw)
            if raw["type"] == "reaction_added"
                && raw["item"]["type"].as_str().is_none_or(|t| t == "message") =>
        {
            Err(malformed())
        }
        _ => other(event_id),
    }
}

#[cfg(test)]
#[path = "inbound_tests.rs"]
mod tests;
