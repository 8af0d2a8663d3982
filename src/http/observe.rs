//! What every request gets on its way in and out: an id (the caller's `X-Request-Id` when it
//! is a plain token, else a new one), sent back in the answer; a span that carries it, so that
//! every log line of the request names it (and, inside the engine, the incident); and its
//! latency recorded for `/metrics` under its route's pattern, never its path (a path may
//! carry a secret: `/alerts/alertmanager/:secret`, `/ack/:token`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// The header that carries a request's id.
pub const REQUEST_ID: &str = "x-request-id";
/// The longest caller's id taken as it is.
const LONGEST_ID: usize = 64;

/// The middleware: see the module's note.
pub async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| plain_token(v))
        .map_or_else(new_id, str::to_owned);
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| route_label(m.as_str()));
    let method = request.method().as_str().to_owned();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        %method,
        %route,
        api_token = tracing::field::Empty
    );
    let mut response = next.run(request).instrument(span).await;
    crate::telemetry::http_request(route, method, response.status().as_u16(), started.elapsed());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// A route's pattern as a label: `/ack/{token}` becomes `/ack/:token`. Braces inside a label
/// value are valid Prometheus text, but some parsers of it (the `prometheus-parse` crate among
/// them) take them for the end of the label set.
fn route_label(pattern: &str) -> String {
    pattern.replace('{', ":").replace('}', "")
}

/// Whether a caller's id can be logged and echoed as it is: 1 to 64 letters, digits, `-`,
/// `_` or `.`.
fn plain_token(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= LONGEST_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A new id: unique in this process, and unlikely to meet another process's (its start time
/// and pid lead).
fn new_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let prefix = PREFIX.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        format!("{:x}{:05x}", std::process::id(), nanos & 0xfffff)
    });
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_tokens_are_taken_from_the_caller() {
        assert!(plain_token("req-7f3a_9.b"));
        assert!(!plain_token(""));
        assert!(!plain_token("a b"));
        assert!(!plain_token("x\ny"));
        assert!(!plain_token("\"><script>"));
        assert!(!plain_token(&"a".repeat(65)));
        assert!(plain_token(&"a".repeat(64)));
    }

    #[test]
    fn route_patterns_lose_their_braces() {
        assert_eq!(route_label("/ack/{token}"), "/ack/:token");
        assert_eq!(route_label("/healthz"), "/healthz");
    }

    #[test]
    fn new_ids_differ() {
        let (a, b) = (new_id(), new_id());
        assert_ne!(a, b);
        assert!(plain_token(&a), "{a}");
    }
}
