//! `GET /ack/<token>` and `POST /ack/<token>`: a page's acknowledge link, opened on a phone.
//! The GET shows what the link would do and one button; the button's POST acknowledges. The
//! GET changes nothing, because mail scanners and chat previews open links by themselves, and
//! an incident acknowledged by a robot pages nobody else. Plain HTML, no script, nothing
//! cached or indexed. A link that is forged, expired or used already gets a plain page saying
//! so, and nothing changes.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::domain::escape_html as escape;
use crate::engine::{LinkOutcome, LinkRefusal};

/// `GET /ack/<token>`: what the link would do, with the button that does it.
pub async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    answer(state.engine.escalation().check_link(&token).await)
}

/// `POST /ack/<token>`: acknowledges, once.
pub async fn follow(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    answer(state.engine.escalation().follow_link(&token).await)
}

/// The page for what a link came to. The button posts back to the page's own URL, so a
/// `public_url` with a path prefix works too.
fn answer(outcome: Result<LinkOutcome, crate::engine::EngineError>) -> Response {
    let (status, title, body) = match outcome {
        Ok(LinkOutcome::Ready(link, incident)) => (
            StatusCode::OK,
            format!("Acknowledge {}?", incident.number),
            format!(
                "<p><strong>{} ({}): {}</strong></p>\
                 <p>You were paged (level {}) as {}. Acknowledging stops the escalation and \
                 tells the war room.</p>\
                 <form method=\"post\"><button type=\"submit\">Acknowledge as {}</button>\
                 </form>",
                incident.number,
                incident.severity,
                escape(incident.title.as_str()),
                link.level,
                escape(link.person.as_str()),
                escape(link.person.as_str()),
            ),
        ),
        Ok(LinkOutcome::Acknowledged(link, incident)) => (
            StatusCode::OK,
            format!("{} acknowledged", incident.number),
            format!(
                "<p>{} ({}): {} is acknowledged as {}. The war room has been told; \
                 join it to take over.</p>",
                incident.number,
                incident.severity,
                escape(incident.title.as_str()),
                escape(link.person.as_str()),
            ),
        ),
        Ok(LinkOutcome::Moot(_, incident)) => {
            let state = match &incident.acknowledged {
                _ if !incident.status.is_open() => format!("is {}", incident.status),
                Some((who, at)) => format!(
                    "was acknowledged by {} at {} UTC",
                    escape(who.as_str()),
                    at.format("%H:%M")
                ),
                None => "needs no acknowledgement".to_owned(),
            };
            (
                StatusCode::OK,
                format!("{} needs nothing", incident.number),
                format!(
                    "<p>{} ({}): {} {state}. Nothing was changed.</p>",
                    incident.number,
                    incident.severity,
                    escape(incident.title.as_str()),
                ),
            )
        }
        Ok(LinkOutcome::Refused(refusal)) => {
            let status = match &refusal {
                LinkRefusal::Off | LinkRefusal::Gone => StatusCode::NOT_FOUND,
                LinkRefusal::Invalid(crate::domain::LinkError::Expired(_)) => StatusCode::GONE,
                LinkRefusal::Invalid(_) => StatusCode::FORBIDDEN,
                LinkRefusal::Used(_) => StatusCode::CONFLICT,
            };
            (
                status,
                "Link refused".to_owned(),
                format!(
                    "<p>{}. Nothing was changed. Acknowledge in the war room with \
                     <code>ack</code>.</p>",
                    escape(&refusal_text(&refusal))
                ),
            )
        }
        Err(error) => {
            tracing::warn!(error = ?error, "an acknowledge link could not be followed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again".to_owned(),
                "<p>Warroom cannot reach its database right now, so nothing was changed. Try \
                 the link again in a moment, or acknowledge in the war room with \
                 <code>ack</code>.</p>"
                    .to_owned(),
            )
        }
    };
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <title>{title} · Warroom</title></head>\
         <body style=\"font-family: system-ui, sans-serif; max-width: 32rem; margin: 2rem auto; \
         padding: 0 1rem; line-height: 1.5\"><h1>{title}</h1>{body}</body></html>\n",
        title = escape(&title),
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
            ),
            (header::HeaderName::from_static("x-robots-tag"), "noindex"),
        ],
        page,
    )
        .into_response()
}

/// Why a link does nothing, in a sentence without a full stop.
fn refusal_text(refusal: &LinkRefusal) -> String {
    match refusal {
        LinkRefusal::Off => "This Warroom does not acknowledge from links".to_owned(),
        LinkRefusal::Invalid(e) => {
            let mut text = e.to_string();
            text[..1].make_ascii_uppercase();
            text
        }
        LinkRefusal::Used(at) => format!(
            "This link was used already, at {} UTC",
            at.format("%Y-%m-%d %H:%M")
        ),
        LinkRefusal::Gone => "The incident of this link does not exist".to_owned(),
    }
}
