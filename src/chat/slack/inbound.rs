//! What Slack sends Warroom, read from a verified body: slash commands (a form), interactions
//! (a form with one JSON `payload`) and Events API callbacks (JSON). Only the fields Warroom
//! uses are read; a body without them is malformed.

use std::collections::HashMap;

use serde::Deserialize;

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

/// A slash command (`/incident declare p1 …`).
#[derive(Debug, Clone, Deserialize)]
pub struct SlashCommand {
    /// `/incident`.
    pub command: String,
    /// What follows the command.
    #[serde(default)]
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
    let command: SlashCommand =
        serde_urlencoded::from_bytes(body).map_err(|_| InboundError::Malformed("slash command"))?;
    if command.user_id.is_empty() || command.channel_id.is_empty() || command.trigger_id.is_empty()
    {
        return Err(InboundError::Malformed("slash command"));
    }
    Ok(command)
}

#[derive(Debug, Deserialize)]
struct Form {
    payload: String,
}

#[derive(Debug, Deserialize)]
struct Id {
    id: String,
}

#[derive(Debug, Deserialize)]
struct RawInteraction {
    #[serde(rename = "type")]
    kind: String,
    user: Id,
    channel: Option<Id>,
    container: Option<Container>,
    trigger_id: String,
    response_url: Option<String>,
    #[serde(default)]
    actions: Vec<RawAction>,
    view: Option<RawView>,
}

#[derive(Debug, Deserialize)]
struct Container {
    channel_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawAction {
    action_id: String,
    value: Option<String>,
    selected_option: Option<Choice>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    value: String,
}

#[derive(Debug, Deserialize)]
struct RawView {
    callback_id: Option<String>,
    private_metadata: Option<String>,
    state: Option<ViewState>,
}

#[derive(Debug, Deserialize)]
struct ViewState {
    values: HashMap<String, HashMap<String, InputValue>>,
}

#[derive(Debug, Deserialize)]
struct InputValue {
    value: Option<String>,
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
        params: std::collections::BTreeMap<String, String>,
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
    let form: Form =
        serde_urlencoded::from_bytes(body).map_err(|_| InboundError::Malformed("interaction"))?;
    interaction_payload(&form.payload)
}

/// Reads an interaction's JSON payload (what the form carries, or a Socket Mode envelope).
pub fn interaction_payload(payload: &str) -> Result<Interaction, InboundError> {
    let malformed = || InboundError::Malformed("interaction");
    let raw: RawInteraction = serde_json::from_str(payload).map_err(|_| malformed())?;
    if raw.trigger_id.is_empty() {
        return Err(malformed());
    }
    match raw.kind.as_str() {
        "block_actions" => {
            let action = raw.actions.first().ok_or_else(malformed)?;
            let chosen = action
                .selected_option
                .as_ref()
                .map(|c| c.value.as_str())
                .or(action.value.as_deref());
            let offered = action.action_id.parse::<ButtonId>().is_ok()
                || action.action_id.starts_with("select-b");
            let button = chosen
                .filter(|_| offered)
                .and_then(|v| v.parse::<ButtonId>().ok())
                .ok_or_else(|| {
                    InboundError::UnknownAction(action.action_id.chars().take(40).collect())
                })?;
            let channel = raw
                .channel
                .map(|c| c.id)
                .or(raw.container.and_then(|c| c.channel_id))
                .ok_or_else(malformed)?;
            Ok(Interaction::Press {
                user: raw.user.id,
                channel,
                button,
                trigger_id: raw.trigger_id,
                response_url: raw.response_url,
            })
        }
        "view_submission" => {
            let view = raw.view.ok_or_else(malformed)?;
            if view.callback_id.as_deref() != Some(RUN_MODAL) {
                return Err(InboundError::UnknownAction(
                    view.callback_id
                        .unwrap_or_default()
                        .chars()
                        .take(40)
                        .collect(),
                ));
            }
            let context: ModalContext = view
                .private_metadata
                .as_deref()
                .and_then(|m| serde_json::from_str(m).ok())
                .ok_or_else(malformed)?;
            let button = context
                .button
                .parse::<ButtonId>()
                .map_err(|_| malformed())?;
            let params: std::collections::BTreeMap<String, String> = view
                .state
                .map(|s| s.values)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(block, inputs)| {
                    let value = inputs.into_values().find_map(|i| i.value)?;
                    Some((block, value.trim().to_owned()))
                })
                .collect();
            Ok(Interaction::Submit {
                user: raw.user.id,
                channel: context.channel,
                button,
                params,
                trigger_id: raw.trigger_id,
            })
        }
        other => Err(InboundError::UnknownAction(
            other.chars().take(40).collect(),
        )),
    }
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

#[derive(Debug, Deserialize)]
struct RawEnvelope {
    #[serde(rename = "type")]
    kind: String,
    challenge: Option<String>,
    event_id: Option<String>,
    event: Option<RawEvent>,
}

#[derive(Debug, Deserialize)]
struct RawEvent {
    #[serde(rename = "type")]
    kind: String,
    user: Option<String>,
    reaction: Option<String>,
    item: Option<RawItem>,
}

#[derive(Debug, Deserialize)]
struct RawItem {
    #[serde(rename = "type")]
    kind: String,
    channel: Option<String>,
    ts: Option<String>,
}

/// Reads an Events API body.
pub fn event(body: &[u8]) -> Result<Event, InboundError> {
    let malformed = || InboundError::Malformed("event");
    let raw: RawEnvelope = serde_json::from_slice(body).map_err(|_| malformed())?;
    match raw.kind.as_str() {
        "url_verification" => Ok(Event::UrlVerification {
            challenge: raw.challenge.ok_or_else(malformed)?,
        }),
        "event_callback" => {
            let event_id = raw
                .event_id
                .filter(|e| !e.is_empty())
                .ok_or_else(malformed)?;
            let event = raw.event.ok_or_else(malformed)?;
            if event.kind != "reaction_added" {
                return Ok(Event::Other {
                    event_id: Some(event_id),
                });
            }
            let item = event.item.ok_or_else(malformed)?;
            if item.kind != "message" {
                return Ok(Event::Other {
                    event_id: Some(event_id),
                });
            }
            Ok(Event::Reaction {
                event_id,
                user: event.user.ok_or_else(malformed)?,
                reaction: event.reaction.ok_or_else(malformed)?,
                channel: item.channel.ok_or_else(malformed)?,
                ts: item.ts.ok_or_else(malformed)?,
            })
        }
        _ => Ok(Event::Other {
            event_id: raw.event_id,
        }),
    }
}

#[cfg(test)]
#[path = "inbound_tests.rs"]
mod tests;
