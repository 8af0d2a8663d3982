//! One HTTP client for the notifiers, and what an answer means: 2xx taken; 429 a wait (its
//! `Retry-After`, else a minute); 5xx, a timeout or no connection a failure to try again; any
//! other answer a refusal for good, with what the server said.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as Hyper;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::engine::port::ChatError;

/// How long one call may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How much of an error answer is kept for the timeline.
const SHOWN: usize = 200;
/// The wait after a 429 that gave no `Retry-After`.
const DEFAULT_WAIT: Duration = Duration::from_secs(60);

/// A client for http and https URLs.
pub(super) struct Client {
    inner: Option<Hyper<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>>,
    /// Why there is no client (no root certificates), for every call.
    broken: Option<String>,
}

impl Client {
    pub(super) fn new() -> Client {
        crate::chat::install_tls_provider();
        match hyper_rustls::HttpsConnectorBuilder::new().with_native_roots() {
            Ok(builder) => {
                let connector = builder.https_or_http().enable_http1().build();
                Client {
                    inner: Some(Hyper::builder(TokioExecutor::new()).build(connector)),
                    broken: None,
                }
            }
            Err(e) => Client {
                inner: None,
                broken: Some(format!("no TLS root certificates: {e}")),
            },
        }
    }

    /// Sends `request`; `what` names the service for messages (`ntfy at ntfy.example.org`).
    pub(super) async fn send(
        &self,
        request: Request<Full<Bytes>>,
        what: &str,
    ) -> Result<(), ChatError> {
        self.send_for_body(request, what).await.map(drop)
    }

    /// [`Client::send`], with the body of a taken answer.
    pub(super) async fn send_for_body(
        &self,
        request: Request<Full<Bytes>>,
        what: &str,
    ) -> Result<Bytes, ChatError> {
        let Some(client) = &self.inner else {
            return Err(ChatError::Unavailable(
                self.broken.clone().unwrap_or_default(),
            ));
        };
        let answer = tokio::time::timeout(TIMEOUT, async {
            let response = client.request(request).await?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            Ok::<_, hyper_util::client::legacy::Error>((parts.status, parts.headers, body))
        })
        .await;
        match answer {
            Err(_) => Err(ChatError::Unavailable(format!(
                "{what} did not answer within {} s",
                TIMEOUT.as_secs()
            ))),
            Ok(Err(e)) => Err(ChatError::Unavailable(format!(
                "{what} cannot be reached: {e}"
            ))),
            Ok(Ok((status, headers, body))) => judge(status, &headers, &body, what).map(|()| body),
        }
    }
}

/// What an answer means (see the module's note).
fn judge(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    what: &str,
) -> Result<(), ChatError> {
    if status.is_success() {
        return Ok(());
    }
    let said: String = String::from_utf8_lossy(body)
        .chars()
        .filter(|c| !c.is_control())
        .take(SHOWN)
        .collect();
    let reason = format!("{what} answered {status}: {said}");
    if status == StatusCode::TOO_MANY_REQUESTS {
        let wait = headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(DEFAULT_WAIT, Duration::from_secs);
        return Err(ChatError::Throttled { wait, reason });
    }
    if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
        return Err(ChatError::Unavailable(reason));
    }
    Err(ChatError::Refused(reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_mean_taken_later_or_never() {
        let none = HeaderMap::new();
        assert!(judge(StatusCode::OK, &none, b"", "x").is_ok());
        assert!(matches!(
            judge(StatusCode::BAD_GATEWAY, &none, b"", "x"),
            Err(ChatError::Unavailable(_))
        ));
        let mut asked = HeaderMap::new();
        asked.insert("retry-after", "7".parse().unwrap());
        assert!(matches!(
            judge(StatusCode::TOO_MANY_REQUESTS, &asked, b"", "x"),
            Err(ChatError::Throttled { wait, .. }) if wait == Duration::from_secs(7)
        ));
        assert!(matches!(
            judge(StatusCode::TOO_MANY_REQUESTS, &none, b"", "x"),
            Err(ChatError::Throttled { wait, .. }) if wait == DEFAULT_WAIT
        ));
        match judge(
            StatusCode::FORBIDDEN,
            &none,
            b"{\"error\":\"forbidden\"}\n",
            "ntfy",
        ) {
            Err(ChatError::Refused(reason)) => {
                assert_eq!(
                    reason,
                    "ntfy answered 403 Forbidden: {\"error\":\"forbidden\"}"
                )
            }
            other => panic!("{other:?}"),
        }
    }
}
