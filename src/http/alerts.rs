//! `POST /alerts/alertmanager`: Alertmanager's webhook. Checks the secret (a bearer token or a
//! secret path segment, compared in constant time) from the head alone, before a byte of the
//! body is read; then refuses bodies over 1 MiB (413: a declared length at once, a longer body
//! as soon as it passes the limit) and payloads it cannot use (400, with the reason, logged),
//! records through the engine, carries the effects out through the chat port, and answers 503
//! when nothing could be recorded, so that Alertmanager tries again (deliveries are
//! idempotent). Alertmanager retries a 5xx but never a 4xx, so recording that runs out of
//! time (a database that is slow or away) is answered 503 before the request's own time
//! limit would answer 408.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::AppState;
use crate::alerts::Notification;
use crate::config::AlertSecrets;
use crate::engine::EngineError;
use crate::engine::alertmanager_actor;
use crate::engine::port::{ChatPort, Origin, RoomId};

/// The largest body accepted, in bytes.
pub const MAX_BODY: usize = 1024 * 1024;

/// How long recording a delivery may take by default: three quarters of the default
/// `http.request_timeout`.
const DEFAULT_BUDGET: Duration = Duration::from_secs(22);

/// What the webhook needs: its secrets, the chat to act in, the origin its effects carry, and
/// how long recording one delivery may take.
pub struct AlertWebhook {
    secrets: AlertSecrets,
    port: Arc<dyn ChatPort>,
    origin: Origin,
    budget: Duration,
}

impl AlertWebhook {
    /// A webhook guarded by `secrets`, acting through `port`; `room` is the chat room a
    /// failed effect is reported in (the announcements room or the lobby).
    pub fn new(secrets: AlertSecrets, port: Arc<dyn ChatPort>, room: String) -> AlertWebhook {
        let origin = Origin {
            room_id: RoomId::new(port.platform(), room),
            user: alertmanager_actor(),
        };
        AlertWebhook {
            secrets,
            port,
            origin,
            budget: DEFAULT_BUDGET,
        }
    }

    /// Gives recording (and carrying out the answers) at most `budget` from the request's
    /// arrival; after it the delivery is answered 503, to be sent again. `serve` gives three
    /// quarters of `http.request_timeout`, so that this answer comes before that limit's 408.
    pub fn with_budget(mut self, budget: Duration) -> AlertWebhook {
        self.budget = budget;
        self
    }

    /// Whether the request carries a configured secret: the bearer token, or the path segment.
    fn admits(&self, headers: &HeaderMap, path_secret: Option<&str>) -> bool {
        let bearer = bearer(headers);
        let matches = |given: Option<&str>, expected: &Option<SecretString>| match (given, expected)
        {
            (Some(given), Some(expected)) => {
                same_secret(given.as_bytes(), expected.expose_secret().as_bytes())
            }
            _ => false,
        };
        // Both are compared, whatever the first gave, so the time says nothing either.
        let by_token = matches(bearer, &self.secrets.token);
        let by_path = matches(path_secret, &self.secrets.path);
        by_token | by_path
    }
}

/// The token of an `Authorization: Bearer <token>` header (the scheme in any case).
pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
}

/// Compares a given secret with the expected one in time that depends only on the expected
/// one's length.
pub(super) fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let mut diff = u8::from(given.len() != expected.len());
    for (i, e) in expected.iter().enumerate() {
        let g = given.get(i).copied().unwrap_or(0);
        diff |= std::hint::black_box(g ^ e);
    }
    diff == 0
}

/// `POST /alerts/alertmanager` (secret in the Authorization header). The body is taken as a
/// stream, not as an extractor that reads it, so that the secret is checked first.
pub(super) async fn without_path(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    receive(state, &headers, None, body).await
}

/// `POST /alerts/alertmanager/{secret}`.
pub(super) async fn with_path(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    receive(state, &headers, Some(&secret), body).await
}

/// Reads a body of at most [`MAX_BODY`] bytes; a declared length over it is refused before
/// anything is read. The refusal is the status and its reason.
pub(super) async fn read_body(
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, (StatusCode, String)> {
    let too_large = || {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {MAX_BODY} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, MAX_BODY).await.map_err(|e| {
        let over = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if over {
            too_large()
        } else {
            (
                StatusCode::BAD_REQUEST,
                format!("the body could not be read: {e}"),
            )
        }
    })
}

#[tracing::instrument(skip_all, name = "alertmanager_webhook")]
async fn receive(
    state: AppState,
    headers: &HeaderMap,
    path_secret: Option<&str>,
    body: Body,
) -> Response {
    let arrived = tokio::time::Instant::now();
    let Some(webhook) = state.alerts.as_ref() else {
        return refuse(
            StatusCode::NOT_FOUND,
            "the Alertmanager webhook is not enabled",
        );
    };
    if !webhook.admits(headers, path_secret) {
        tracing::warn!("refused an Alertmanager delivery: missing or wrong secret");
        return refuse(
            StatusCode::UNAUTHORIZED,
            "missing or wrong credentials: send the configured bearer token or secret path",
        );
    }
    let body = match read_body(headers, body).await {
        Ok(body) => body,
        Err((status, reason)) => {
            tracing::warn!(%status, %reason, "refused an Alertmanager delivery's body");
            return refuse(status, &reason);
        }
    };
    let deadline = arrived + webhook.budget;
    let notification = match crate::alerts::parse(&body) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(reason = %e, bytes = body.len(), "refused an Alertmanager payload");
            return refuse(StatusCode::BAD_REQUEST, &e.to_string());
        }
    };
    let work = record(&state, webhook, &notification);
    match tokio::time::timeout_at(deadline, work).await {
        Ok(answer) => answer,
        Err(_) => {
            tracing::warn!(budget = ?webhook.budget, "an Alertmanager delivery ran out of time; asking for it again");
            let mut answer = refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "the delivery could not be recorded in time (the database is slow or away); send it again",
            );
            answer
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
            answer
        }
    }
}

/// Records one notification and carries out its answers: 200 with what happened, or the
/// status that says why not.
async fn record(state: &AppState, webhook: &AlertWebhook, notification: &Notification) -> Response {
    let engine = &state.engine;
    match engine.alerts().receive(&webhook.origin, notification).await {
        Ok((outcome, effects)) => {
            let failed = engine
                .delivery()
                .dispatch(webhook.port.as_ref(), &webhook.origin, effects)
                .await;
            tracing::info!(
                incident = ?outcome.incident.map(|n| n.to_string()),
                opened = outcome.opened,
                firing = outcome.firing,
                resolved = outcome.resolved,
                failed_effects = failed,
                "Alertmanager delivery recorded"
            );
            let body = json!({
                "status": "ok",
                "incident": outcome.incident.map(|n| n.to_string()),
                "opened": outcome.opened,
                "firing": outcome.firing,
                "resolved": outcome.resolved,
                "resolved_incident": outcome.resolved_incident,
            });
            (StatusCode::OK, Json(body)).into_response()
        }
        Err(e) => {
            // Alertmanager sends again after a 5xx: right when the database was away, useless
            // (but harmless) otherwise.
            let status = match &e {
                e if e.is_transient() => StatusCode::SERVICE_UNAVAILABLE,
                EngineError::Refused(_) | EngineError::Usage(_) => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            refuse(status, &e.sentence())
        }
    }
}

fn refuse(status: StatusCode, reason: &str) -> Response {
    (status, Json(json!({ "status": "error", "error": reason }))).into_response()
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_match_only_when_equal() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
        assert!(!same_secret(b"abcd", b"abc"));
        assert!(!same_secret(b"", b"abc"));
    }
}
