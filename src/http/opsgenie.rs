//! `POST /opsgenie`: Opsgenie's Webhook integration, so that a page acknowledged in Opsgenie
//! acknowledges the incident here. Opsgenie does not sign its webhooks; the integration is
//! given a custom header, `Authorization: Bearer <secret>`, with `[notify]
//! opsgenie_webhook_secret`, compared in constant time (401 without it). Only the
//! `Acknowledge` action of an alert whose alias is Warroom's (`warroom/INC-7/bob`) changes
//! anything, as bob, like his acknowledge link; everything else is 200 and ignored.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::AppState;
use super::alerts::{bearer, read_body, same_secret};
use super::provider::acknowledge_page;

/// The part of an alert action that matters here.
#[derive(Deserialize)]
struct AlertAction {
    action: String,
    #[serde(default)]
    alert: Option<Alert>,
}

#[derive(Deserialize)]
struct Alert {
    #[serde(default)]
    alias: Option<String>,
}

/// `POST /opsgenie`.
#[tracing::instrument(skip_all, name = "opsgenie_webhook")]
pub(super) async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(secret) = &state.opsgenie else {
        return (
            StatusCode::NOT_FOUND,
            "this Warroom takes no Opsgenie webhooks: set [notify] opsgenie_webhook_secret",
        )
            .into_response();
    };
    let given = bearer(&headers).unwrap_or_default();
    if !same_secret(given.as_bytes(), secret.expose_secret().as_bytes()) {
        tracing::warn!("an Opsgenie webhook delivery without the secret was refused");
        return (
            StatusCode::UNAUTHORIZED,
            "the Authorization header does not carry this webhook's secret",
        )
            .into_response();
    }
    let body = match read_body(&headers, body).await {
        Ok(body) => body,
        Err(refusal) => return refusal.into_response(),
    };
    let action: AlertAction = match serde_json::from_slice(&body) {
        Ok(a) => a,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("not an Opsgenie alert action: {e}"),
            )
                .into_response();
        }
    };
    if action.action != "Acknowledge" {
        return (StatusCode::OK, "ignored: only Acknowledge is read").into_response();
    }
    let alias = action.alert.and_then(|a| a.alias);
    acknowledge_page(&state, "Opsgenie", alias.as_deref()).await
}
