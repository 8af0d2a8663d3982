//! One HTTP request and its whole answer, for the checks `warroom doctor` makes of each chat
//! (Slack's `auth.test`, Matrix's `whoami`): the adapters' own clients hide what a check
//! needs, such as the `x-oauth-scopes` header.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// How long one check may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(10);

/// An answer.
#[derive(Debug)]
pub struct Answer {
    /// Its status.
    pub status: StatusCode,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: Bytes,
}

impl Answer {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Sends `method url` with a bearer `token` (none when empty) and an optional body of `content_type`; the
/// answer, or why there was none, as a sentence that never holds the token.
pub async fn request(
    method: Method,
    url: &str,
    token: &str,
    body: Option<(&str, Vec<u8>)>,
) -> Result<Answer, String> {
    super::install_tls_provider();
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| format!("no TLS root certificates: {e}"))?
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let mut builder = Request::builder().method(method).uri(url);
    if !token.is_empty() {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    let payload = match body {
        Some((content_type, bytes)) => {
            builder = builder.header("content-type", content_type);
            Bytes::from(bytes)
        }
        None => Bytes::new(),
    };
    let request = builder
        .body(Full::new(payload))
        .map_err(|e| format!("{url}: {e}"))?;
    let answer = tokio::time::timeout(TIMEOUT, async {
        let response = client.request(request).await.map_err(|e| {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                text = format!("{text}: {cause}");
                source = cause.source();
            }
            text
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok::<_, String>(Answer {
            status,
            headers,
            body,
        })
    })
    .await
    .map_err(|_| format!("no answer from {url} within {} s", TIMEOUT.as_secs()))?;
    answer.map_err(|e| format!("{url}: {e}"))
}
