//! The HTTP endpoints Slack calls: `/slack/commands`, `/slack/interactions`, `/slack/events`.
//! Each takes a [`VerifiedBody`] (refused from its head before the body is read, then read
//! with a limit and a deadline, then its signature checked: see `verified.rs`), parses it (400
//! when it cannot), answers at once and leaves the work to a task, because Slack gives up after
//! three seconds. Each delivery is claimed in the database by its id, so a repeat acts once:
//! events (which Slack retries) before the answer, so that a failing database gets a 503 and a
//! retry; commands and interactions (which Slack does not retry) in their task.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Utc;
use tower_http::limit::RequestBodyLimitLayer;

use super::inbound::{self, Event, InboundError, Interaction, SlashCommand};
use super::verified::{MAX_BODY, VerifiedBody};
use super::{PLATFORM, SlackAdapter, work};
use crate::engine::ledger::DeliveryKind;

/// Old claims are forgotten once every this many claims.
const FORGET_EVERY: u64 = 1000;

/// The Slack routes, for the router of `warroom serve`. A declared length over [`MAX_BODY`]
/// is refused (413) before the handler runs; a longer body, as soon as it passes the limit.
pub fn routes(adapter: Arc<SlackAdapter>) -> Router {
    Router::new()
        .route("/slack/commands", post(commands))
        .route("/slack/interactions", post(interactions))
        .route("/slack/events", post(events))
        .with_state(adapter)
        .layer(RequestBodyLimitLayer::new(MAX_BODY))
}

impl SlackAdapter {
    /// Claims a delivery: `Ok(true)` the first time. A database that fails is a 503, so that
    /// Slack tries again later.
    async fn claim(
        &self,
        id: &str,
        kind: DeliveryKind,
    ) -> Result<bool, (StatusCode, &'static str)> {
        // Slack retries for minutes, a signature lives five: a day of claims is plenty.
        let n = self
            .claimed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n.is_multiple_of(FORGET_EVERY) {
            let ledger = self.ledger.clone();
            tokio::spawn(async move {
                let before = Utc::now() - chrono::Duration::days(1);
                if let Err(e) = ledger.forget_deliveries(before).await {
                    tracing::warn!(error = ?e, "could not forget old Slack deliveries");
                }
            });
        }
        self.ledger
            .claim_delivery(PLATFORM, id, kind, Utc::now())
            .await
            .map_err(|e| {
                tracing::error!(error = ?e, "cannot record a Slack delivery");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the database cannot be reached; try again\n",
                )
            })
    }
}

impl SlackAdapter {
    /// Works on a slash command in a task. Slack does not retry commands, so the claim can
    /// wait for the task: the answer does not queue behind database writes.
    pub(super) fn accept_command(self: &Arc<Self>, command: SlashCommand) {
        let adapter = self.clone();
        tokio::spawn(async move {
            if adapter
                .claimed_first(&command.trigger_id, DeliveryKind::Command)
                .await
            {
                work::command(adapter.clone(), command).await;
            }
        });
    }

    /// Works on an interaction in a task, once per delivery.
    pub(super) fn accept_interaction(self: &Arc<Self>, interaction: Interaction) {
        let adapter = self.clone();
        tokio::spawn(async move {
            let id = interaction.delivery_id().to_owned();
            if adapter.claimed_first(&id, DeliveryKind::Interaction).await {
                work::interaction(adapter.clone(), interaction).await;
            }
        });
    }

    /// Claims an event and works on it in a task; `Ok(false)` for a repeat or an event that
    /// needs no work.
    pub(super) async fn accept_event(
        self: &Arc<Self>,
        event: Event,
    ) -> Result<bool, (StatusCode, &'static str)> {
        let Event::Reaction { ref event_id, .. } = event else {
            return Ok(false);
        };
        if !self.claim(event_id, DeliveryKind::Event).await? {
            tracing::info!("an event delivered again: dropped");
            return Ok(false);
        }
        tokio::spawn(work::event(self.clone(), event));
        Ok(true)
    }

    /// Claims a delivery inside the task that works on it: `true` when this is its first
    /// arrival; a repeat, or a database that fails (logged), is `false`.
    async fn claimed_first(&self, id: &str, kind: DeliveryKind) -> bool {
        // A task spawned from a handler would run next on its worker, ahead of requests still
        // waiting for their answer; stepping back first lets those answers go out.
        tokio::task::yield_now().await;
        match self.claim(id, kind).await {
            Ok(true) => true,
            Ok(false) => {
                tracing::info!(?kind, "a Slack delivery arrived again: dropped");
                false
            }
            Err(_) => false,
        }
    }
}

fn refused(e: &InboundError) -> Response {
    tracing::warn!(reason = %e, "refused a Slack request");
    (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response()
}

#[tracing::instrument(skip_all, fields(kind = "command"))]
async fn commands(State(adapter): State<Arc<SlackAdapter>>, request: VerifiedBody) -> Response {
    match inbound::slash_command(&request.body) {
        Ok(command) => {
            adapter.accept_command(command);
            StatusCode::OK.into_response()
        }
        Err(e) => refused(&e),
    }
}

#[tracing::instrument(skip_all, fields(kind = "interaction"))]
async fn interactions(State(adapter): State<Arc<SlackAdapter>>, request: VerifiedBody) -> Response {
    match inbound::interaction(&request.body) {
        Ok(interaction) => {
            adapter.accept_interaction(interaction);
            StatusCode::OK.into_response()
        }
        Err(e) => refused(&e),
    }
}

#[tracing::instrument(skip_all, fields(kind = "event", retry))]
async fn events(State(adapter): State<Arc<SlackAdapter>>, request: VerifiedBody) -> Response {
    log_retry(&request.headers);
    let event = match inbound::event(&request.body) {
        Ok(e) => e,
        Err(e) => return refused(&e),
    };
    match event {
        Event::UrlVerification { challenge } => {
            axum::Json(serde_json::json!({ "challenge": challenge })).into_response()
        }
        Event::Other { .. } => StatusCode::OK.into_response(),
        event @ Event::Reaction { .. } => match adapter.accept_event(event).await {
            Ok(_) => StatusCode::OK.into_response(),
            Err(r) => r.into_response(),
        },
    }
}

/// Notes an event Slack delivers again (`X-Slack-Retry-Num`, `X-Slack-Retry-Reason`).
fn log_retry(headers: &HeaderMap) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(retry) = header("x-slack-retry-num") {
        let reason = header("x-slack-retry-reason").unwrap_or("unknown");
        tracing::Span::current().record("retry", retry);
        tracing::info!(retry, reason, "Slack delivers an event again");
    }
}
