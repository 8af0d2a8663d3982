//! The HTTP side of `warroom serve`: an axum router with `GET /healthz`, the Alertmanager
//! webhook (`alerts.rs`) and, when Slack is configured, Slack's endpoints (src/chat/slack).

pub mod alerts;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

use crate::engine::Engine;
use crate::store::StoreError;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The engine, and through it the store.
    pub engine: Arc<Engine>,
    /// The Alertmanager webhook, when `[alerts]` enables it.
    pub alerts: Option<Arc<alerts::AlertWebhook>>,
    /// The Slack endpoints' adapter, when Slack is configured in HTTP mode.
    pub slack: Option<Arc<crate::chat::slack::SlackAdapter>>,
}

/// The routes of `warroom serve`.
pub fn router(state: AppState) -> Router {
    let slack = state.slack.clone();
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route(
            "/alerts/alertmanager",
            post(alerts::without_path).layer(DefaultBodyLimit::max(alerts::MAX_BODY)),
        )
        .route(
            "/alerts/alertmanager/{secret}",
            post(alerts::with_path).layer(DefaultBodyLimit::max(alerts::MAX_BODY)),
        )
        .with_state(state);
    match slack {
        Some(adapter) => router.merge(crate::chat::slack::routes(adapter)),
        None => router,
    }
}

/// The body of `/healthz`.
#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    database: String,
}

/// 200 when the database answers a cheap query, 503 with a plain reason when it does not.
#[tracing::instrument(skip_all)]
async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    match state.engine.store().ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(Health {
                status: "ok",
                database: "ok".into(),
            }),
        ),
        Err(error) => {
            tracing::warn!(error = ?error, "health check: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "degraded",
                    database: plain_reason(&error).into(),
                }),
            )
        }
    }
}

/// A reason fit for a load balancer's log: no URL, no driver text.
fn plain_reason(error: &StoreError) -> &'static str {
    match error {
        StoreError::Unavailable(_) => "unreachable",
        StoreError::ReadOnly => "read-only",
        StoreError::Corrupt(_) => "damaged",
        _ => "failing",
    }
}
