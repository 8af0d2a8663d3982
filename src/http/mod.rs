//! The HTTP side of `warroom serve`: an axum router with `GET /healthz`, the Alertmanager
//! webhook (`alerts.rs`), pages' acknowledge links (`ack.rs`), PagerDuty's and Opsgenie's
//! webhooks (`pagerduty.rs`, `opsgenie.rs`), the status page (`status.rs`, when
//! `[status_page]` turns it on), `/metrics` (`metrics.rs`), the JSON API (`api/`, when
//! `[[api_tokens]]` lists any) and, when Slack is configured,
//! Slack's endpoints (src/chat/slack); what every request gets: a request id, a span and its
//! latency recorded ([`observe`](observe::observe)), and the limits ([`limited`]); and the
//! accept loop (`server.rs`).

pub mod ack;
pub mod alerts;
pub mod api;
pub mod metrics;
pub mod observe;
pub mod opsgenie;
pub mod pagerduty;
mod provider;
pub mod server;
pub mod status;
pub mod web;

#[cfg(test)]
mod provider_tests;
#[cfg(test)]
pub(crate) mod router_tests;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::error_handling::HandleErrorLayer;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{BoxError, Json, Router};
use serde::Serialize;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;
use tower_http::timeout::TimeoutLayer;

use crate::config::HttpConfig;
use crate::domain::Platform;

use crate::engine::Engine;
use crate::engine::EngineError;
use crate::engine::ledger::StoreError;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The engine, and through it the store.
    pub engine: Arc<Engine>,
    /// The Alertmanager webhook, when `[alerts]` enables it.
    pub alerts: Option<Arc<alerts::AlertWebhook>>,
    /// The Slack endpoints' adapter, when Slack is configured in HTTP mode.
    pub slack: Option<Arc<crate::chat::slack::SlackAdapter>>,
    /// The chats whose outboxes this process delivers, for `/healthz`.
    pub chats: Vec<Platform>,
    /// The signing secret of PagerDuty's webhook (`[notify] pagerduty_webhook_secret`), when
    /// `/pagerduty` takes its deliveries.
    pub pagerduty: Option<Arc<secrecy::SecretString>>,
    /// The secret Opsgenie's webhook integration sends (`[notify] opsgenie_webhook_secret`),
    /// when `/opsgenie` takes its deliveries.
    pub opsgenie: Option<Arc<secrecy::SecretString>>,
    /// The process's metrics recorder, when `/metrics` is served (`[metrics] enabled`).
    pub metrics: Option<crate::telemetry::Scrape>,
    /// The tokens that may read the JSON API, when `[[api_tokens]]` lists any.
    pub api: Option<Arc<api::ApiAccess>>,
    /// The web view and its sign-in, when `[web] issuer` is set.
    pub web: Option<Arc<web::WebView>>,
}

/// The routes of `warroom serve`.
pub fn router(state: AppState) -> Router {
    let slack = state.slack.clone();
    let router = Router::new()
        .route("/healthz", get(healthz))
        // The body limit (1 MiB) is applied by the handler once the secret is checked, so
        // that nothing about the body is looked at before.
        .route("/alerts/alertmanager", post(alerts::without_path))
        .route("/alerts/alertmanager/{secret}", post(alerts::with_path))
        .route("/ack/{token}", get(ack::show).post(ack::follow))
        .route("/pagerduty", post(pagerduty::receive))
        .route("/opsgenie", post(opsgenie::receive))
        .route("/status", get(status::html))
        .route("/status.json", get(status::json))
        .route("/status.atom", get(status::atom))
        .route("/metrics", get(metrics::scrape))
        .merge(api::routes())
        .merge(web::routes())
        .with_state(state);
    let router = match slack {
        Some(adapter) => router.merge(crate::chat::slack::routes(adapter)),
        None => router,
    };
    // Outermost but for `limited`: every routed request gets its id, span and latency.
    router.layer(axum::middleware::from_fn(observe::observe))
}

/// `router` with the limits every request gets: at most `http.request_timeout` from its head
/// to its answer (408 after, body reading included), and at most
/// `http.max_concurrent_requests` at once over all routes (more are answered 503 at once
/// rather than queued, so a flood of slow requests cannot delay the others further).
pub fn limited(router: Router, http: &HttpConfig) -> Router {
    router.layer(
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(overloaded))
            .layer(LoadShedLayer::new())
            .layer(GlobalConcurrencyLimitLayer::new(
                http.max_concurrent_requests,
            ))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                http.request_timeout,
            )),
    )
}

/// The answer when `http.max_concurrent_requests` are in flight already.
async fn overloaded(error: BoxError) -> axum::response::Response {
    tracing::warn!(error = %error, "refused a request: http.max_concurrent_requests are in flight");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(axum::http::header::RETRY_AFTER, "1")],
        "too many requests in flight; try again\n",
    )
        .into_response()
}

/// The body of `/healthz`.
#[derive(Debug, Serialize)]
struct Health {
    /// `ok`; `degraded` while a chat fails (still 200); `failing` when the database does (503).
    status: &'static str,
    database: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    outbox: Option<OutboxHealth>,
}

/// What waits to be told to the chats.
#[derive(Debug, Serialize)]
struct OutboxHealth {
    /// Entries not delivered yet, over every chat.
    pending: i64,
    /// The age of the oldest of them, in seconds.
    oldest_secs: i64,
    /// Per chat that fails: its last failure, and since when it has been failing.
    failing: BTreeMap<String, String>,
    /// Pages tried and not delivered yet, over every chat.
    undelivered_pages: i64,
    /// Entries refused for good in the last hour, per chat that had any.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    refused_last_hour: BTreeMap<String, i64>,
}

/// 200 when the database answers (`degraded` while a chat's deliveries fail), 503 with a plain
/// reason when it does not.
#[tracing::instrument(skip_all)]
async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let engine = &state.engine;
    let fail = |error: EngineError| {
        tracing::warn!(error = ?error, "health check: the database does not answer");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "failing",
                database: plain_reason(&error).into(),
                outbox: None,
            }),
        )
    };
    // A write, not only `SELECT 1`: a read-only, damaged, locked or full database answers
    // reads but cannot record an incident.
    if let Err(error) = engine.probe_write().await {
        return fail(error);
    }
    let now = state.engine.clock().now();
    let mut outbox = OutboxHealth {
        pending: 0,
        oldest_secs: 0,
        failing: BTreeMap::new(),
        undelivered_pages: 0,
        refused_last_hour: BTreeMap::new(),
    };
    for chat in &state.chats {
        let backlog = match engine
            .outbox_backlog(*chat, now - chrono::Duration::hours(1))
            .await
        {
            Ok(b) => b,
            Err(error) => return fail(error),
        };
        outbox.pending += backlog.pending;
        outbox.undelivered_pages += backlog.undelivered_pages;
        if let Some(oldest) = backlog.oldest {
            outbox.oldest_secs = outbox.oldest_secs.max((now - oldest).num_seconds().max(0));
        }
        if let Some((reason, since)) = backlog.failing {
            outbox.failing.insert(
                chat.to_string(),
                format!(
                    "{reason} (waiting since {} UTC)",
                    since.format("%Y-%m-%d %H:%M:%S")
                ),
            );
        }
        if backlog.refused > 0 {
            outbox
                .refused_last_hour
                .insert(chat.to_string(), backlog.refused);
        }
    }
    let status = if outbox.failing.is_empty() {
        "ok"
    } else {
        "degraded"
    };
    (
        StatusCode::OK,
        Json(Health {
            status,
            database: "ok".into(),
            outbox: Some(outbox),
        }),
    )
}

/// A reason fit for a load balancer's log: no URL, no driver text.
fn plain_reason(error: &EngineError) -> &'static str {
    match error {
        EngineError::Store(StoreError::Unavailable(_)) => "unreachable",
        EngineError::Store(StoreError::ReadOnly) => "read-only",
        EngineError::Store(StoreError::Locked(_)) => "locked",
        EngineError::Store(StoreError::Full) => "disk full",
        EngineError::Store(StoreError::Corrupt(_)) => "damaged",
        _ => "failing",
    }
}
