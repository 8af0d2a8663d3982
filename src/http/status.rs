//! The status page of `warroom serve`: `/status` (HTML that needs no JavaScript, light and
//! dark), `/status.json` (the engine's [`StatusPage`] as it is) and `/status.atom` (an Atom
//! feed of the public updates). It only shows what the engine's page holds; what is
//! published is decided there (`src/engine/status_page.rs`).

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use super::AppState;
use crate::domain::escape_html as escape;
use crate::engine::status_page::{PublicIncident, ServiceState, StatusPage};

/// The most entries the feed carries.
const FEED_ENTRIES: usize = 100;

/// The page's own styles: system fonts, a light and a dark scheme, and states that say
/// themselves in words as well as colours.
const STYLE: &str = "\
:root{color-scheme:light dark;--bg:#ffffff;--fg:#1b1f24;--muted:#4b5563;--line:#d0d7de;\
--ok:#116329;--degraded:#7a4d00;--partial:#953800;--major:#a40e26;--card:#f6f8fa}\
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9da7b3;\
--line:#30363d;--ok:#3fb950;--degraded:#d29922;--partial:#f0883e;--major:#ff7b72;--card:#161b22}}\
body{margin:0 auto;max-width:46rem;padding:1rem;background:var(--bg);color:var(--fg);\
font:1rem/1.5 system-ui,-apple-system,'Segoe UI',sans-serif}\
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.2rem;margin-top:2rem;\
border-bottom:1px solid var(--line)}h3{font-size:1.05rem;margin:.2rem 0}\
a{color:inherit}.overall{font-weight:600;padding:.75rem 1rem;border-radius:.4rem;\
background:var(--card);border-left:.4rem solid currentColor}\
.services{list-style:none;padding:0;margin:0}.services li{display:flex;\
justify-content:space-between;gap:1rem;padding:.5rem 0;border-bottom:1px solid var(--line)}\
.operational{color:var(--ok)}.degraded_performance{color:var(--degraded)}\
.partial_outage{color:var(--partial)}.major_outage{color:var(--major)}\
.incident{background:var(--card);border:1px solid var(--line);border-radius:.4rem;\
padding:.75rem 1rem;margin:1rem 0}.meta,.updates time,footer{color:var(--muted)}\
.updates{padding-left:1.2rem;margin:.5rem 0 0}.updates li{margin:.4rem 0}";

/// `GET /status`: the page.
pub async fn html(State(state): State<AppState>) -> Response {
    match page(&state).await {
        Ok(page) => answer(
            "text/html; charset=utf-8",
            render_html(&page),
            &[(
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
            )],
        ),
        Err(response) => response,
    }
}

/// `GET /status.json`: the page as data.
pub async fn json(State(state): State<AppState>) -> Response {
    match page(&state).await {
        Ok(page) => match serde_json::to_string_pretty(&page) {
            Ok(body) => answer("application/json", body, &[]),
            Err(e) => {
                tracing::error!(error = %e, "the status page cannot be written as JSON");
                (StatusCode::INTERNAL_SERVER_ERROR, "cannot write the page\n").into_response()
            }
        },
        Err(response) => response,
    }
}

/// `GET /status.atom`: the public updates as an Atom feed, newest first.
pub async fn atom(State(state): State<AppState>) -> Response {
    match page(&state).await {
        Ok(page) => answer(
            "application/atom+xml; charset=utf-8",
            render_atom(&page),
            &[],
        ),
        Err(response) => response,
    }
}

/// The page, or the answer that says why there is none.
async fn page(state: &AppState) -> Result<StatusPage, Response> {
    match state.engine.status_page().await {
        Ok(Some(page)) => Ok(page),
        Ok(None) => Err((
            StatusCode::NOT_FOUND,
            "the status page is off; turn it on with [status_page] enabled = true\n",
        )
            .into_response()),
        Err(e) => {
            tracing::warn!(error = ?e, "the status page cannot be read");
            Err((
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "10")],
                "the status page cannot be read right now; try again in a moment\n",
            )
                .into_response())
        }
    }
}

fn answer(
    content_type: &'static str,
    body: String,
    extra: &[(header::HeaderName, &'static str)],
) -> Response {
    let mut response = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=30"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        body,
    )
        .into_response();
    for (name, value) in extra {
        response
            .headers_mut()
            .insert(name.clone(), header::HeaderValue::from_static(value));
    }
    response
}

fn minute(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// What the banner says of the whole.
fn overall_text(state: ServiceState) -> &'static str {
    match state {
        ServiceState::Operational => "All systems operational",
        ServiceState::DegradedPerformance => "Some systems are degraded",
        ServiceState::PartialOutage => "Partial outage",
        ServiceState::MajorOutage => "Major outage",
    }
}

/// The id an incident has on the page and in the feed (`INC-7`).
fn anchor(incident: &PublicIncident) -> String {
    escape(&incident.number)
}

/// The page as HTML: landmarks, headings in order, states in words.
pub fn render_html(page: &StatusPage) -> String {
    let title = escape(&page.title);
    let mut out = String::with_capacity(8 * 1024);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n<title>{title}</title>\n\
         <link rel=\"alternate\" type=\"application/atom+xml\" title=\"{title}\" href=\"/status.atom\">\n\
         <style>{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>{title}</h1>\n\
         <p class=\"overall {state}\" role=\"status\" id=\"overall\">{overall}</p>\n</header>\n<main>\n",
        state = state_class(page.overall),
        overall = overall_text(page.overall),
    );
    if !page.services.is_empty() {
        out.push_str(
            "<section aria-labelledby=\"services-heading\">\n\
             <h2 id=\"services-heading\">Services</h2>\n<ul class=\"services\">\n",
        );
        for service in &page.services {
            let _ = writeln!(
                out,
                "<li><span>{}</span> <span class=\"state {}\">{}</span></li>",
                escape(&service.title),
                state_class(service.state),
                service.state.label()
            );
        }
        out.push_str("</ul>\n</section>\n");
    }
    out.push_str(
        "<section aria-labelledby=\"open-heading\">\n<h2 id=\"open-heading\">Current incidents</h2>\n",
    );
    if page.open.is_empty() {
        out.push_str("<p>No current incidents.</p>\n");
    }
    for incident in &page.open {
        incident_html(&mut out, incident);
    }
    let _ = write!(
        out,
        "</section>\n<section aria-labelledby=\"past-heading\">\n\
         <h2 id=\"past-heading\">Past incidents (last {} days)</h2>\n",
        page.history_days
    );
    if page.past.is_empty() {
        out.push_str("<p>No incidents in this time.</p>\n");
    }
    for incident in &page.past {
        incident_html(&mut out, incident);
    }
    let _ = write!(
        out,
        "</section>\n</main>\n<footer>\n<p>Updated <time datetime=\"{}\">{}</time> · \
         <a href=\"/status.atom\">Atom feed</a> · <a href=\"/status.json\">JSON</a></p>\n\
         </footer>\n</body>\n</html>\n",
        page.generated_at.to_rfc3339(),
        minute(page.generated_at)
    );
    out
}

fn state_class(state: ServiceState) -> &'static str {
    match state {
        ServiceState::Operational => "operational",
        ServiceState::DegradedPerformance => "degraded_performance",
        ServiceState::PartialOutage => "partial_outage",
        ServiceState::MajorOutage => "major_outage",
    }
}

fn incident_html(out: &mut String, incident: &PublicIncident) {
    let id = anchor(incident);
    let _ = write!(
        out,
        "<article class=\"incident\" id=\"{id}\" aria-labelledby=\"{id}-title\">\n\
         <h3 id=\"{id}-title\">{}</h3>\n<p class=\"meta\"><span class=\"state {}\">",
        escape(&incident.title),
        state_class(incident.impact),
    );
    // An open incident says what it does and where the work stands; a past one that it ended.
    if incident.status.is_open() {
        let _ = write!(
            out,
            "{}</span> · {}",
            incident.impact.label(),
            incident.status
        );
    } else {
        out.push_str("Resolved</span>");
    }
    if !incident.services.is_empty() {
        let _ = write!(out, " · affects {}", escape(&incident.services.join(", ")));
    }
    let _ = write!(out, " · since {}", minute(incident.declared_at));
    if let Some(at) = incident.resolved_at {
        let _ = write!(out, " · resolved {}", minute(at));
    }
    out.push_str("</p>\n<ol class=\"updates\" reversed>\n");
    for update in &incident.updates {
        let _ = writeln!(
            out,
            "<li><time datetime=\"{}\">{}</time> <strong>{}</strong> — {}</li>",
            update.at.to_rfc3339(),
            minute(update.at),
            update.status,
            escape(&update.text)
        );
    }
    out.push_str("</ol>\n</article>\n");
}

/// The feed: one entry per public update, newest first, at most [`FEED_ENTRIES`].
pub fn render_atom(page: &StatusPage) -> String {
    let mut entries: Vec<(&PublicIncident, &crate::engine::status_page::PublicUpdate)> = page
        .open
        .iter()
        .chain(&page.past)
        .flat_map(|incident| incident.updates.iter().map(move |u| (incident, u)))
        .collect();
    entries.sort_by(|a, b| b.1.at.cmp(&a.1.at).then(b.1.seq.cmp(&a.1.seq)));
    entries.truncate(FEED_ENTRIES);
    let updated = entries.first().map_or(page.generated_at, |(_, u)| u.at);
    let title = escape(&page.title);
    let mut out = String::with_capacity(4 * 1024);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <feed xmlns=\"http://www.w3.org/2005/Atom\">\n<title>{title}</title>\n\
         <id>tag:warroom,2026:status</id>\n<updated>{}</updated>\n\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"/status.atom\"/>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"/status\"/>\n\
         <author><name>{title}</name></author>\n",
        updated.to_rfc3339()
    );
    for (incident, update) in entries {
        let _ = write!(
            out,
            "<entry>\n<id>tag:warroom,2026:{id}/{seq}</id>\n\
             <title>{id} · {status} — {title}</title>\n<updated>{at}</updated>\n\
             <link rel=\"alternate\" type=\"text/html\" href=\"/status#{id}\"/>\n\
             <content type=\"text\">{text}</content>\n</entry>\n",
            id = anchor(incident),
            seq = update.seq,
            status = update.status,
            title = escape(&incident.title),
            at = update.at.to_rfc3339(),
            text = escape(&update.text),
        );
    }
    out.push_str("</feed>\n");
    out
}
