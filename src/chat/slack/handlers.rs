//! The HTTP endpoints Slack calls: `/slack/commands`, `/slack/interactions`, `/slack/events`.
//! Each checks the signature before reading the body (401 otherwise), reads it (400 when it
//! cannot), answers at once and leaves the work to a task, because Slack gives up after three
//! seconds. Each delivery is claimed in the database by its id, so a repeat acts once: events
//! (which Slack retries) before the answer, so that a failing database gets a 503 and a retry;
//! commands and interactions (which Slack does not retry) in their task.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Utc;

use super::inbound::{self, Event, InboundError, Interaction, SlashCommand};
use super::signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use super::{PLATFORM, SlackAdapter, work};
use crate::engine::ledger::DeliveryKind;

/// Old claims are forgotten once every this many claims.
const FORGET_EVERY: u64 = 1000;

/// The Slack routes, for the router of `warroom serve`.
pub fn routes(adapter: Arc<SlackAdapter>) -> Router {
    Router::new()
        .route("/slack/commands", post(commands))
        .route("/slack/interactions", post(interactions))
        .route("/slack/events", post(events))
        .with_state(adapter)
}

impl SlackAdapter {
    /// Checks the signature of a request; the refusal is a 401 with a plain reason.
    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), (StatusCode, String)> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let Some(verifier) = &self.verifier else {
            return Err((
                StatusCode::UNAUTHORIZED,
                "refused: no signing secret is configured (slack.signing_secret)\n".to_owned(),
            ));
        };
        verifier
            .verify(
                header(TIMESTAMP_HEADER),
                header(SIGNATURE_HEADER),
                body,
                Utc::now().timestamp(),
            )
            .map_err(|e| {
                tracing::warn!(reason = %e, "refused a Slack request: bad signature");
                (StatusCode::UNAUTHORIZED, format!("refused: {e}\n"))
            })
    }

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
async fn commands(
    State(adapter): State<Arc<SlackAdapter>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = adapter.verify(&headers, &body) {
        return r.into_response();
    }
    let command = match inbound::slash_command(&body) {
        Ok(c) => c,
        Err(e) => return refused(&e),
    };
    adapter.accept_command(command);
    StatusCode::OK.into_response()
}

#[tracing::instrument(skip_all, fields(kind = "interaction"))]
async fn interactions(
    State(adapter): State<Arc<SlackAdapter>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = adapter.verify(&headers, &body) {
        return r.into_response();
    }
    let interaction = match inbound::interaction(&body) {
        Ok(i) => i,
        Err(e) => return refused(&e),
    };
    adapter.accept_interaction(interaction);
    StatusCode::OK.into_response()
}

#[tracing::instrument(skip_all, fields(kind = "event", retry))]
async fn events(
    State(adapter): State<Arc<SlackAdapter>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = adapter.verify(&headers, &body) {
        return r.into_response();
    }
    if let Some(retry) = headers
        .get("x-slack-retry-num")
        .and_then(|v| v.to_str().ok())
    {
        let reason = headers
            .get("x-slack-retry-reason")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("unknown");
        tracing::Span::current().record("retry", retry);
        tracing::info!(retry, reason, "Slack delivers an event again");
    }
    let event = match inbound::event(&body) {
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
