//! Socket Mode: Warroom opens a websocket to Slack (`apps.connections.open` with the app
//! token) instead of receiving HTTP requests, for teams without a public URL. Envelopes are
//! acknowledged by slack-morphism's listener; their payloads go through the same readers,
//! delivery claims and work as the HTTP endpoints (the websocket itself is authenticated, so
//! there is no signature to check).

use std::future::Future;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use slack_morphism::prelude::*;

use super::SlackAdapter;
use super::inbound;
use crate::engine::port::ChatError;

/// Listens over Socket Mode until `stop` completes.
pub async fn run(
    adapter: Arc<SlackAdapter>,
    app_token: &SecretString,
    stop: impl Future<Output = ()>,
) -> Result<(), ChatError> {
    let environment = Arc::new(
        SlackClientEventsListenerEnvironment::new(adapter.chat.api().client().clone())
            .with_error_handler(on_error)
            .with_user_state(adapter.clone()),
    );
    let callbacks = SlackSocketModeListenerCallbacks::new()
        .with_command_events(on_command)
        .with_interaction_events(on_interaction)
        .with_push_events(on_push);
    let listener = SlackClientSocketModeListener::new(
        &SlackClientSocketModeConfig::new(),
        environment,
        callbacks,
    );
    let token = SlackApiToken::new(app_token.expose_secret().to_owned().into());
    listener.listen_for(&token).await.map_err(|e| {
        tracing::error!(error = %e, "Socket Mode: apps.connections.open failed");
        ChatError::Unavailable("Slack's Socket Mode could not be opened".into())
    })?;
    listener.start().await;
    tracing::info!("Slack Socket Mode connected");
    stop.await;
    listener.shutdown().await;
    Ok(())
}

fn on_error(
    error: Box<dyn std::error::Error + Send + Sync>,
    _client: Arc<SlackHyperClient>,
    _states: SlackClientEventsUserState,
) -> axum::http::StatusCode {
    tracing::warn!(%error, "Socket Mode: an envelope could not be handled");
    axum::http::StatusCode::OK
}

async fn adapter_of(states: &SlackClientEventsUserState) -> Option<Arc<SlackAdapter>> {
    states
        .read()
        .await
        .get_user_state::<Arc<SlackAdapter>>()
        .cloned()
}

async fn on_command(
    event: SlackCommandEvent,
    _client: Arc<SlackHyperClient>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<SlackCommandEventResponse> {
    if let Some(adapter) = adapter_of(&states).await {
        match inbound::command(event) {
            Ok(command) => adapter.accept_command(command),
            Err(e) => tracing::warn!(reason = %e, "Socket Mode: refused a command"),
        }
    }
    Ok(SlackCommandEventResponse::new(SlackMessageContent::new()))
}

async fn on_interaction(
    event: SlackInteractionEvent,
    _client: Arc<SlackHyperClient>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    let Some(adapter) = adapter_of(&states).await else {
        return Ok(());
    };
    match inbound::interaction_event(event) {
        Ok(interaction) => adapter.accept_interaction(interaction),
        Err(e) => tracing::warn!(reason = %e, "Socket Mode: refused an interaction"),
    }
    Ok(())
}

async fn on_push(
    event: SlackPushEventCallback,
    _client: Arc<SlackHyperClient>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    let Some(adapter) = adapter_of(&states).await else {
        return Ok(());
    };
    match inbound::push_event(event) {
        Ok(event) => {
            if let Err((_, why)) = adapter.accept_event(event).await {
                tracing::warn!(why, "Socket Mode: an event could not be claimed");
            }
        }
        Err(e) => tracing::warn!(reason = %e, "Socket Mode: refused an event"),
    }
    Ok(())
}
