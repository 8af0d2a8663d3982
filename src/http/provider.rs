//! What the providers' webhooks share: acknowledging the incident of a page a provider says was
//! acknowledged there, and the answer that tells the provider whether to send it again.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::domain::parse_provider_key;
use crate::engine::Acked;

/// Acknowledges the incident of the page keyed `key` (`warroom/INC-7/bob`) as its person, on
/// `provider`'s word. Keys Warroom did not make, incidents acknowledged already or gone are
/// 200 (nothing to send again); a database that is away is 503 (send it again).
pub(super) async fn acknowledge_page(
    state: &AppState,
    provider: &str,
    key: Option<&str>,
) -> Response {
    let Some((incident, person)) = key.and_then(parse_provider_key) else {
        return (StatusCode::OK, "ignored: not an alert that Warroom opened").into_response();
    };
    match state
        .engine
        .escalation()
        .acknowledge_from_provider(incident, &person)
        .await
    {
        Ok(Acked::Now(_)) => {
            tracing::info!(%incident, %person, provider, "acknowledged at the provider");
            (
                StatusCode::OK,
                format!("{incident} acknowledged as {person}"),
            )
                .into_response()
        }
        Ok(Acked::Already(_)) => (
            StatusCode::OK,
            format!("{incident} needed no acknowledgement"),
        )
            .into_response(),
        Ok(Acked::Gone) => (StatusCode::OK, format!("there is no {incident}")).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, %incident, provider, "an acknowledgement was not recorded");
            let status = if e.is_transient() {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            (status, e.sentence()).into_response()
        }
    }
}
