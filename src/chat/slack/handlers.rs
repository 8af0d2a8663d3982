//! The HTTP endpoints Slack calls: `/slack/commands`, `/slack/interactions`, `/slack/events`.
//! Each refuses a request whose head shows it cannot be Slack's (no signing secret, a missing
//! signature or timestamp, a timestamp more than five minutes away: 401) before a byte of its
//! body is read; reads the body with a small limit ([`MAX_BODY`], 413) and a deadline
//! ([`BODY_DEADLINE`], 408); checks the signature over it (401); parses it (400 when it
//! cannot), answers at once and leaves the work to a task, because Slack gives up after three
//! seconds. Each delivery is claimed in the database by its id, so a repeat acts once: events
//! (which Slack retries) before the answer, so that a failing database gets a 503 and a retry;
//! commands and interactions (which Slack does not retry) in their task.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Utc;
use tower_http::limit::RequestBodyLimitLayer;

use super::inbound::{self, Event, InboundError, Interaction, SlashCommand};
use super::signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use super::{PLATFORM, SlackAdapter, work};
use crate::engine::ledger::DeliveryKind;

/// Old claims are forgotten once every this many claims.
const FORGET_EVERY: u64 = 1000;

/// The largest body read from Slack, in bytes. Commands and events are a few KiB; the largest
/// payloads are interactions, which carry the whole message the button sits on. Slack caps a
/// message at 50 blocks of at most 3,000 characters (150,000 characters); 256 KiB holds that
/// as JSON with room for the form encoding of its punctuation, and is an eighth of axum's
/// default (2 MiB). A request whose head is not Slack's is refused before any of it is read.
pub const MAX_BODY: usize = 256 * 1024;
/// How long a body may take to arrive once its head passed. Slack sends the body with the
/// head and gives up on an answer after three seconds.
pub const BODY_DEADLINE: Duration = Duration::from_secs(5);

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
    /// Reads a request Slack signed: the head is checked before the body is read, the
    /// signature over the body after. The refusal is a response with a plain reason.
    async fn verified(&self, headers: &HeaderMap, body: Body) -> Result<Bytes, Response> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let unauthorized = |reason: String| {
            tracing::warn!(%reason, "refused a Slack request");
            (StatusCode::UNAUTHORIZED, format!("refused: {reason}\n")).into_response()
        };
        let Some(verifier) = &self.verifier else {
            return Err(unauthorized(
                "no signing secret is configured (slack.signing_secret)".to_owned(),
            ));
        };
        let (timestamp, signature) = (header(TIMESTAMP_HEADER), header(SIGNATURE_HEADER));
        verifier
            .check_head(timestamp, signature, Utc::now().timestamp())
            .map_err(|e| unauthorized(e.to_string()))?;
        let body = read_body(body).await?;
        verifier
            .verify(timestamp, signature, &body, Utc::now().timestamp())
            .map_err(|e| unauthorized(e.to_string()))?;
        Ok(body)
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

/// Reads a body of at most [`MAX_BODY`] bytes within [`BODY_DEADLINE`].
async fn read_body(body: Body) -> Result<Bytes, Response> {
    let refuse = |status: StatusCode, reason: String| {
        tracing::warn!(%status, %reason, "refused a Slack request's body");
        (status, format!("{reason}\n")).into_response()
    };
    match tokio::time::timeout(BODY_DEADLINE, axum::body::to_bytes(body, MAX_BODY)).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(e)) => {
            let over = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            Err(if over {
                refuse(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the body is larger than {MAX_BODY} bytes"),
                )
            } else {
                refuse(
                    StatusCode::BAD_REQUEST,
                    format!("the body could not be read: {e}"),
                )
            })
        }
        Err(_) => Err(refuse(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the body did not arrive within {} s",
                BODY_DEADLINE.as_secs()
            ),
        )),
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
    body: Body,
) -> Response {
    let body = match adapter.verified(&headers, body).await {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
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
    body: Body,
) -> Response {
    let body = match adapter.verified(&headers, body).await {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
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
    body: Body,
) -> Response {
    let body = match adapter.verified(&headers, body).await {
        Ok(body) => body,
        Err(refusal) => return refusal,
    };
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
