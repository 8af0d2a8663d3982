//! The modal that asks for a Run button's parameters (views.open), one text input per
//! parameter, within Block Kit's modal limits.

use serde_json::json;
use slack_morphism::prelude::*;

use super::inbound::{ModalContext, RUN_MODAL};
use super::limits::{self, fit};
use super::port::SlackChat;
use crate::engine::message::ButtonId;
use crate::engine::port::ChatError;

/// Opens the parameters modal for `button` (pressed in `channel`).
pub async fn open(
    chat: &SlackChat,
    trigger_id: &str,
    button: ButtonId,
    channel: &str,
    params: &[String],
) -> Result<(), ChatError> {
    let context = ModalContext {
        button: button.to_string(),
        channel: channel.to_owned(),
    };
    let metadata = serde_json::to_string(&context).unwrap_or_default();
    if metadata.chars().count() > limits::PRIVATE_METADATA {
        return Err(ChatError::Refused("the modal's context is too long".into()));
    }
    let blocks: Vec<serde_json::Value> = params
        .iter()
        .take(limits::MODAL_BLOCKS)
        .map(|name| {
            json!({
                "type": "input",
                "block_id": name,
                "label": {"type": "plain_text", "text": fit(name, 2000)},
                "element": {"type": "plain_text_input", "action_id": "value"},
            })
        })
        .collect();
    let view = json!({
        "type": "modal",
        "callback_id": RUN_MODAL,
        "title": {"type": "plain_text", "text": fit("Run a step", limits::MODAL_TITLE)},
        "submit": {"type": "plain_text", "text": fit("Run", limits::MODAL_TITLE)},
        "close": {"type": "plain_text", "text": fit("Cancel", limits::MODAL_TITLE)},
        "private_metadata": metadata,
        "blocks": blocks,
    });
    let view: SlackView = serde_json::from_value(view)
        .map_err(|e| ChatError::Refused(format!("the modal could not be built: {e}")))?;
    let request = SlackApiViewsOpenRequest::new(trigger_id.into(), view);
    let request = &request;
    let api = chat.api();
    api.call("views.open", || async move {
        api.session().views_open(request).await
    })
    .await?;
    Ok(())
}
