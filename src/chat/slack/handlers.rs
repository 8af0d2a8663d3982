//! The HTTP endpoints Slack calls: `/slack/commands`, `/slack/interactions`, `/slack/events`.
//! Each checks the signature before reading the body (401 otherwise), reads it (400 when it
//! cannot), claims the delivery in the database (a repeat is acknowledged and dropped), answers
//! at once and leaves the work to a task, because Slack gives up after three seconds.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Utc;

use super::inbound::{self, Event, InboundError};
use super::signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use super::{PLATFORM, SlackAdapter, work};
use crate::store::DeliveryKind;

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
        self.verifier
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
            let store = self.engine.store().clone();
            tokio::spawn(async move {
                let before = Utc::now() - chrono::Duration::days(1);
                if let Err(e) = store.forget_deliveries(before).await {
                    tracing::warn!(error = ?e, "could not forget old Slack deliveries");
                }
            });
        }
        self.engine
            .store()
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
    match adapter
        .claim(&command.trigger_id, DeliveryKind::Command)
        .await
    {
        Ok(true) => {
            tokio::spawn(work::command(adapter.clone(), command));
            StatusCode::OK.into_response()
        }
        Ok(false) => {
            tracing::info!("a slash command delivered again: dropped");
            StatusCode::OK.into_response()
        }
        Err(r) => r.into_response(),
    }
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
    match adapter
        .claim(interaction.delivery_id(), DeliveryKind::Interaction)
        .await
    {
        Ok(true) => {
            tokio::spawn(work::interaction(adapter.clone(), interaction));
            StatusCode::OK.into_response()
        }
        Ok(false) => {
            tracing::info!("an interaction delivered again: dropped");
            StatusCode::OK.into_response()
        }
        Err(r) => r.into_response(),
    }
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
        Event::Reaction { ref event_id, .. } => {
            match adapter.claim(event_id, DeliveryKind::Event).await {
                Ok(true) => {
                    tokio::spawn(work::event(adapter.clone(), event));
                    StatusCode::OK.into_response()
                }
                Ok(false) => {
                    tracing::info!("an event delivered again: dropped");
                    StatusCode::OK.into_response()
                }
                Err(r) => r.into_response(),
            }
        }
    }
}
