//! The body of a request Slack signed, as one axum extractor ([`VerifiedBody`]) that every Slack
//! endpoint takes instead of a body: a request whose head shows it cannot be Slack's (no
//! signing secret, a missing signature or timestamp, a timestamp more than five minutes away)
//! is refused (401) before a byte of its body is read; the body is then read with a limit
//! ([`MAX_BODY`], 413) and a deadline ([`BODY_DEADLINE`], 408); the signature is checked over
//! it (401) before anything parses it.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::SlackAdapter;
use super::signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// The largest body read from Slack, in bytes. Commands and events are a few KiB; the largest
/// payloads are interactions, which carry the whole message the button sits on. Slack caps a
/// message at 50 blocks of at most 3,000 characters (150,000 characters); 256 KiB holds that
/// as JSON with room for the form encoding of its punctuation, and is an eighth of axum's
/// default (2 MiB). A request whose head is not Slack's is refused before any of it is read.
pub const MAX_BODY: usize = 256 * 1024;
/// How long a body may take to arrive once its head passed. Slack sends the body with the
/// head and gives up on an answer after three seconds.
pub const BODY_DEADLINE: Duration = Duration::from_secs(5);

/// A request's head and the body whose signature matched; the refusal otherwise.
#[derive(Debug)]
pub struct VerifiedBody {
    /// The request's headers (`X-Slack-Retry-Num` and the like).
    pub headers: HeaderMap,
    /// The raw body, signed by Slack.
    pub body: Bytes,
}

impl FromRequest<Arc<SlackAdapter>> for VerifiedBody {
    type Rejection = Response;

    async fn from_request(request: Request, adapter: &Arc<SlackAdapter>) -> Result<Self, Response> {
        let (parts, body) = request.into_parts();
        let headers = parts.headers;
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let (timestamp, signature) = (header(TIMESTAMP_HEADER), header(SIGNATURE_HEADER));
        let Some(verifier) = &adapter.verifier else {
            return Err(unauthorized(
                "no signing secret is configured (slack.signing_secret)",
            ));
        };
        verifier
            .check_head(timestamp, signature, Utc::now().timestamp())
            .map_err(|e| unauthorized(&e.to_string()))?;
        let body = read_body(body, adapter.body_deadline).await?;
        verifier
            .verify(timestamp, signature, &body, Utc::now().timestamp())
            .map_err(|e| unauthorized(&e.to_string()))?;
        Ok(VerifiedBody { headers, body })
    }
}

/// A 401 with its plain reason (never the secret or the expected signature).
fn unauthorized(reason: &str) -> Response {
    tracing::warn!(%reason, "refused a Slack request");
    (StatusCode::UNAUTHORIZED, format!("refused: {reason}\n")).into_response()
}

/// Reads a body of at most [`MAX_BODY`] bytes within `deadline` ([`BODY_DEADLINE`] when
/// serving).
async fn read_body(body: Body, deadline: Duration) -> Result<Bytes, Response> {
    let refuse = |status: StatusCode, reason: String| {
        tracing::warn!(%status, %reason, "refused a Slack request's body");
        (status, format!("{reason}\n")).into_response()
    };
    match tokio::time::timeout(deadline, axum::body::to_bytes(body, MAX_BODY)).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(e)) => {
            // The limit is met here or, for a body with no declared length, first by the
            // routes' RequestBodyLimitLayer, whose error comes wrapped once more.
            let over = std::iter::successors(std::error::Error::source(&e), |s| s.source())
                .any(|s| s.is::<http_body_util::LengthLimitError>());
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
            format!("the body did not arrive within {}", seconds(deadline)),
        )),
    }
}

/// `5 s`, or `200 ms` under a second.
fn seconds(deadline: Duration) -> String {
    if deadline < Duration::from_secs(1) {
        format!("{} ms", deadline.as_millis())
    } else {
        format!("{} s", deadline.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_body_names_the_deadline_in_seconds_or_milliseconds() {
        assert_eq!(seconds(BODY_DEADLINE), "5 s");
        assert_eq!(seconds(Duration::from_millis(300)), "300 ms");
    }
}
