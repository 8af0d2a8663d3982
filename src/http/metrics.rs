//! `GET /metrics`: Prometheus's text format, from the recorder `warroom serve` installed
//! (`crate::telemetry`), and the task that keeps its database figures current ([`collect`]).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::domain::Platform;
use crate::engine::Engine;
use crate::telemetry::Scrape;

/// The scrape; 404 when `[metrics] enabled = false`. It reads nothing from the database.
pub async fn scrape(State(state): State<AppState>) -> Response {
    let Some(scrape) = &state.metrics else {
        return (
            StatusCode::NOT_FOUND,
            "metrics are off; turn them on with [metrics] enabled = true\n",
        )
            .into_response();
    };
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        scrape.render(),
    )
        .into_response()
}

/// Reads the database's figures into `scrape` now and then every `every` until `stop`: the
/// incidents by severity and status and each chat's outbox backlog. A database that does not
/// answer leaves the last figures standing and is counted
/// (`warroom_database_figures_errors_total`).
pub async fn collect(
    engine: Arc<Engine>,
    scrape: Scrape,
    chats: Vec<Platform>,
    every: Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    let names: Vec<&str> = chats.iter().map(|c| c.name()).collect();
    let rounds = async {
        loop {
            let figures = match (
                engine.incident_counts().await,
                engine.pending_counts().await,
            ) {
                (Ok(incidents), Ok(pending)) => Some((incidents, pending)),
                (Err(e), _) | (_, Err(e)) => {
                    tracing::warn!(error = ?e, "/metrics: the database's figures cannot be read");
                    None
                }
            };
            scrape.figures(
                figures.as_ref().map(|(i, p)| (i.as_slice(), p.as_slice())),
                &names,
                engine.clock().now(),
            );
            tokio::time::sleep(every).await;
        }
    };
    tokio::select! {
        () = rounds => {}
        () = stop => {}
    }
}
