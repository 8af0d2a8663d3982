//! Pushes through an ntfy server, published as JSON to the server's root (ntfy's "publish as
//! JSON"), which carries any title safely: `{topic, title, message, priority, tags}` with a
//! bearer token when the server wants one.

use std::ffi::OsString;

use axum::body::Bytes;
use axum::http::{Method, Request, header};
use http_body_util::Full;
use secrecy::ExposeSecret;

use super::http::Client;
use crate::config::NtfyContact;
use crate::domain::Severity;
use crate::engine::effect::PageNote;
use crate::engine::port::ChatError;

/// ntfy's priority for a page of this severity: 5 (urgent, which breaks through do-not-disturb
/// where the phone allows it) for P0 and P1, 4 (high) for P2, 3 (default) for P3.
fn priority(severity: Severity) -> u8 {
    match severity {
        Severity::P0 | Severity::P1 => 5,
        Severity::P2 => 4,
        Severity::P3 => 3,
    }
}

/// The JSON ntfy is published. With an acknowledge link, tapping the notification opens the
/// link's page, and its Acknowledge button POSTs the link from the phone: one tap.
pub(super) fn message(contact: &NtfyContact, page: &PageNote) -> serde_json::Value {
    let mut message = serde_json::json!({
        "topic": contact.topic.trim(),
        "title": page.headline(),
        "message": page.body(),
        "priority": priority(page.severity),
        "tags": ["rotating_light", page.severity.to_string().to_lowercase()],
    });
    if let Some(link) = &page.ack_link {
        message["click"] = serde_json::json!(link);
        message["actions"] = serde_json::json!([{
            "action": "http",
            "label": "Acknowledge",
            "url": link,
            "method": "POST",
            "clear": true,
        }]);
    }
    message
}

pub(super) async fn send(
    client: &Client,
    contact: &NtfyContact,
    page: &PageNote,
    env: fn(&str) -> Option<OsString>,
) -> Result<(), ChatError> {
    let server = contact.server.trim().trim_end_matches('/');
    let host = url::Url::parse(server)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let what = format!("ntfy at {host}");
    let body = serde_json::to_vec(&message(contact, page))
        .map_err(|e| ChatError::Refused(format!("the push could not be written: {e}")))?;
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(format!("{server}/"))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = &contact.token {
        let token = super::secret(token, "ntfy.token", env)?;
        request = request.header(
            header::AUTHORIZATION,
            format!("Bearer {}", token.expose_secret()),
        );
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| ChatError::Refused(format!("the push could not be addressed: {e}")))?;
    client.send(request, &what).await
}
