//! `POST /pagerduty`: PagerDuty's v3 webhook, so that a page acknowledged in PagerDuty
//! acknowledges the incident here. Only `incident.acknowledged` events of alerts Warroom
//! opened (their `incident_key` is Warroom's `warroom/INC-7/bob`) change anything; the
//! acknowledgement is the paged person's, as with an acknowledge link. Every other event is
//! answered 200 and ignored, so that PagerDuty does not send it again. A delivery whose
//! `X-PagerDuty-Signature` does not match the subscription's secret gets 401; a database that
//! is away gets 503, and PagerDuty sends the event again later.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::alerts::read_body;
use super::provider::acknowledge_page;
use crate::notify::{WEBHOOK_SIGNATURE_HEADER, webhook_signed};

/// The part of a v3 webhook delivery that matters here.
#[derive(Deserialize)]
struct Delivery {
    event: Event,
}

#[derive(Deserialize)]
struct Event {
    event_type: String,
    #[serde(default)]
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    incident_key: Option<String>,
}

/// `POST /pagerduty`.
#[tracing::instrument(skip_all, name = "pagerduty_webhook")]
pub(super) async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(secret) = &state.pagerduty else {
        return (
            StatusCode::NOT_FOUND,
            "this Warroom takes no PagerDuty webhooks: set [notify] pagerduty_webhook_secret",
        )
            .into_response();
    };
    let body = match read_body(&headers, body).await {
        Ok(body) => body,
        Err(refusal) => return refusal.into_response(),
    };
    let signature = headers
        .get(WEBHOOK_SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    if !signature.is_some_and(|s| webhook_signed(secret, s, &body)) {
        tracing::warn!("a PagerDuty webhook delivery with no valid signature was refused");
        return (
            StatusCode::UNAUTHORIZED,
            "X-PagerDuty-Signature does not match this webhook's secret",
        )
            .into_response();
    }
    let delivery: Delivery = match serde_json::from_slice(&body) {
        Ok(d) => d,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("not a PagerDuty v3 webhook delivery: {e}"),
            )
                .into_response();
        }
    };
    if delivery.event.event_type != "incident.acknowledged" {
        return (
            StatusCode::OK,
            "ignored: only incident.acknowledged is read",
        )
            .into_response();
    }
    let key = delivery.event.data.and_then(|d| d.incident_key);
    acknowledge_page(&state, "PagerDuty", key.as_deref()).await
}
