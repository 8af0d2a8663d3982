//! The JSON API at `/api/v1/…`: reads only. Every route but `/api/v1/openapi.json` needs
//! `Authorization: Bearer <token>` with a token whose SHA-256 is listed in `[[api_tokens]]`
//! (compared in constant time). A `viewer` sees incidents that are not private; a `responder`
//! sees every incident, who is on call, and the runbooks. Without tokens the API is off (404).
//! The OpenAPI description is generated from the handlers and types here (`utoipa`).

pub mod schema;

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi};

use super::AppState;
use crate::config::{ApiRole, ApiToken};
use crate::domain::{Incident, IncidentNumber, Severity};
use crate::engine::browse::{IncidentQuery, MAX_PAGE};
use crate::store::Listing;
use schema::{
    Event, FirstPageOut, IncidentDetail, IncidentPage, IncidentSummary, OnCall, Problem, Rotation,
    RunbookDetail, RunbookProgress, RunbookStep, RunbookSummary, Runbooks, StepProgress, Timeline,
};

/// The tokens that may read the API.
#[derive(Debug, Clone)]
pub struct ApiAccess {
    tokens: Vec<ApiToken>,
}

impl ApiAccess {
    /// Access for `tokens`; `None` (the API is off) when there are none.
    pub fn new(tokens: Vec<ApiToken>) -> Option<Arc<ApiAccess>> {
        (!tokens.is_empty()).then(|| Arc::new(ApiAccess { tokens }))
    }

    /// The token whose hash `presented` has, compared with each in constant time.
    fn holder(&self, presented: &str) -> Option<&ApiToken> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = None;
        for token in &self.tokens {
            if bool::from(token.sha256.ct_eq(&digest)) {
                found = Some(token);
            }
        }
        found
    }
}

/// A refusal as the API answers it: a status and one sentence in JSON.
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = (self.0, Json(Problem { error: self.1 })).into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"warroom\""),
            );
        }
        response
    }
}

fn not_found(what: impl Into<String>) -> Refusal {
    Refusal(StatusCode::NOT_FOUND, what.into())
}

fn forbidden(what: &str) -> Refusal {
    Refusal(
        StatusCode::FORBIDDEN,
        format!("{what} needs a responder's token; this one is a viewer's"),
    )
}

/// Who is asking: the token's holder and role.
struct Reader {
    role: ApiRole,
}

impl Reader {
    fn sees_private(&self) -> bool {
        self.role == ApiRole::Responder
    }
}

/// The reader the request's bearer token names, or the refusal: 404 when the API is off, 401
/// without a token or with one nobody listed.
fn reader(state: &AppState, headers: &HeaderMap) -> Result<Reader, Refusal> {
    let Some(access) = &state.api else {
        return Err(not_found(
            "the API is off; list a token in [[api_tokens]] (warroom api-token makes one)",
        ));
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(presented) = presented else {
        return Err(Refusal(
            StatusCode::UNAUTHORIZED,
            "send Authorization: Bearer <token>".into(),
        ));
    };
    match access.holder(presented) {
        Some(token) => {
            tracing::Span::current().record("api_token", token.name.as_str());
            Ok(Reader { role: token.role })
        }
        None => Err(Refusal(
            StatusCode::UNAUTHORIZED,
            "that token is not listed in [[api_tokens]]".into(),
        )),
    }
}

/// The database could not answer: 503, said plainly.
fn unavailable(error: &crate::engine::EngineError) -> Refusal {
    tracing::warn!(error = ?error, "the API could not read the database");
    Refusal(StatusCode::SERVICE_UNAVAILABLE, error.sentence())
}

/// The incident numbered in the path, if the reader may see it.
async fn visible(state: &AppState, reader: &Reader, number: &str) -> Result<Incident, Refusal> {
    let Ok(n) = number.parse::<IncidentNumber>() else {
        return Err(not_found(format!(
            "'{number}' is not an incident number like INC-7"
        )));
    };
    match state.engine.incident(n).await {
        Ok(Some(i)) if i.details.private && !reader.sees_private() => {
            Err(forbidden(&format!("{n}, a private incident,")))
        }
        Ok(Some(i)) => Ok(i),
        Ok(None) => Err(not_found(format!("there is no {n}"))),
        Err(e) => Err(unavailable(&e)),
    }
}

/// The incident numbered in the path, if the request's token may see it.
async fn readable(
    state: &AppState,
    headers: &HeaderMap,
    number: &str,
) -> Result<Incident, Refusal> {
    let reader = reader(state, headers)?;
    visible(state, &reader, number).await
}

/// Nothing, if the request's token is a responder's; else why not.
fn responder(state: &AppState, headers: &HeaderMap, what: &str) -> Result<(), Refusal> {
    if reader(state, headers)?.sees_private() {
        Ok(())
    } else {
        Err(forbidden(what))
    }
}

/// The filters of `GET /api/v1/incidents`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `open` (the default), `resolved` or `all`.
    status: Option<String>,
    /// Only this severity (`P1`).
    severity: Option<String>,
    /// Only incidents naming this service.
    service: Option<String>,
    /// Only incidents numbered below this one (`INC-41`): the next page.
    before: Option<String>,
    /// At most this many (1 to 200; 50 by default).
    limit: Option<usize>,
}

/// Incidents, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/incidents",
    params(ListParams),
    responses(
        (status = 200, description = "A page of incidents", body = IncidentPage),
        (status = 400, description = "A filter that means nothing", body = Problem),
        (status = 401, description = "No token, or one not listed", body = Problem),
        (status = 404, description = "The API is off", body = Problem),
        (status = 503, description = "The database cannot be read right now", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn incidents(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ListParams>,
) -> Response {
    let reader = match reader(&state, &headers) {
        Ok(r) => r,
        Err(refusal) => return refusal.into_response(),
    };
    let bad = |what: String| Refusal(StatusCode::BAD_REQUEST, what).into_response();
    let listing = match params.status.as_deref().unwrap_or("open") {
        "open" => Listing::Open,
        "resolved" => Listing::Resolved,
        "all" => Listing::All,
        other => return bad(format!("status '{other}' is not open, resolved or all")),
    };
    let severity = match params.severity.as_deref().map(str::parse::<Severity>) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(_)) => return bad("severity is P0, P1, P2 or P3".into()),
    };
    let before = match params.before.as_deref().map(str::parse::<IncidentNumber>) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(())) => return bad("before is an incident number like INC-41".into()),
    };
    let limit = params.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return bad(format!("limit is 1 to {MAX_PAGE}"));
    }
    let query = IncidentQuery {
        listing,
        severity,
        service: params.service,
        private: reader.sees_private(),
        before,
        limit,
    };
    match state.engine.incident_page(&query).await {
        Ok(page) => {
            let next_before = (page.len() == limit)
                .then(|| page.last().map(|i| i.number.to_string()))
                .flatten();
            Json(IncidentPage {
                incidents: page.iter().map(IncidentSummary::from).collect(),
                next_before,
            })
            .into_response()
        }
        Err(e) => unavailable(&e).into_response(),
    }
}

/// One incident.
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{number}",
    params(("number" = String, Path, description = "The incident, as INC-7")),
    responses(
        (status = 200, description = "The incident", body = IncidentDetail),
        (status = 401, description = "No token, or one not listed", body = Problem),
        (status = 403, description = "A private incident, and a viewer's token", body = Problem),
        (status = 404, description = "No such incident, or the API is off", body = Problem),
        (status = 503, description = "The database cannot be read right now", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn incident(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Response {
    let found = readable(&state, &headers, &number).await;
    match found {
        Ok(i) => Json(IncidentDetail::from(&i)).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// An incident's timeline, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{number}/timeline",
    params(("number" = String, Path, description = "The incident, as INC-7")),
    responses(
        (status = 200, description = "The timeline", body = Timeline),
        (status = 401, description = "No token, or one not listed", body = Problem),
        (status = 403, description = "A private incident, and a viewer's token", body = Problem),
        (status = 404, description = "No such incident, or the API is off", body = Problem),
        (status = 503, description = "The database cannot be read right now", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn timeline(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Response {
    let found = readable(&state, &headers, &number).await;
    let incident = match found {
        Ok(i) => i,
        Err(refusal) => return refusal.into_response(),
    };
    match state.engine.timeline(incident.number).await {
        Ok(events) => Json(Timeline {
            incident: incident.number.to_string(),
            events: events.iter().map(Event::from).collect(),
        })
        .into_response(),
        Err(e) => unavailable(&e).into_response(),
    }
}

/// An incident's post-mortem draft, as Markdown.
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{number}/postmortem",
    params(("number" = String, Path, description = "The incident, as INC-7")),
    responses(
        (status = 200, description = "The draft", content_type = "text/markdown", body = String),
        (status = 401, description = "No token, or one not listed", body = Problem),
        (status = 403, description = "A private incident, and a viewer's token", body = Problem),
        (status = 404, description = "No such incident, or the API is off", body = Problem),
        (status = 503, description = "The database cannot be read right now", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn postmortem(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Response {
    let found = readable(&state, &headers, &number).await;
    let incident = match found {
        Ok(i) => i,
        Err(refusal) => return refusal.into_response(),
    };
    match state.engine.postmortems().markdown(incident.number).await {
        Ok(markdown) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
            markdown,
        )
            .into_response(),
        Err(e) => unavailable(&e).into_response(),
    }
}

/// Who is on call in each rotation, until when and who is next, and whom each severity's
/// first level pages now.
#[utoipa::path(
    get,
    path = "/api/v1/oncall",
    responses(
        (status = 200, description = "On call now", body = OnCall),
        (status = 401, description = "No token, or one not listed", body = Problem),
        (status = 403, description = "A viewer's token", body = Problem),
        (status = 404, description = "The API is off", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn oncall(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(refusal) = responder(&state, &headers, "who is on call") {
        return refusal.into_response();
    }
    let at = state.engine.clock().now();
    let (rotations, pages) = state.engine.on_call_now(at);
    Json(OnCall {
        at,
        rotations: rotations.iter().map(Rotation::from).collect(),
        first_pages: pages.iter().map(FirstPageOut::from).collect(),
    })
    .into_response()
}

/// The runbook library.
#[utoipa::path(
    get,
    path = "/api/v1/runbooks",
    responses(
        (status = 200, description = "Every runbook", body = Runbooks),
        (status = 401, description = "No token, or one not listed", body = Problem),
        (status = 403, description = "A viewer's token", body = Problem),
        (status = 404, description = "The API is off", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn runbooks(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(refusal) = responder(&state, &headers, "the runbook library") {
        return refusal.into_response();
    }
    Json(Runbooks {
        runbooks: state
            .engine
            .runbook_catalog()
            .iter()
            .map(RunbookSummary::from)
            .collect(),
    })
    .into_response()
}

/// One runbook with each step's effective risk under this configuration.
#[utoipa::path(
    get,
    path = "/api/v1/runbooks/{id}",
    params(("id" = String, Path, description = "The runbook's id")),
    responses(
        (status = 200, description = "The runbook", body = RunbookDetail),
        (status = 401, description = "No token, or one not listed", body = Problem),
        (status = 403, description = "A viewer's token", body = Problem),
        (status = 404, description = "No such runbook, or the API is off", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn runbook(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(refusal) = responder(&state, &headers, "the runbook library") {
        return refusal.into_response();
    }
    let catalog = state.engine.runbook_catalog();
    match catalog.iter().find(|e| e.runbook.id == id) {
        Some(entry) => Json(RunbookDetail::from(entry)).into_response(),
        None => not_found(format!("there is no runbook '{id}'")).into_response(),
    }
}

/// Anything else under `/api/`.
pub async fn unknown() -> Response {
    not_found("no such API route; see /api/v1/openapi.json").into_response()
}

/// The bearer scheme every secured route names.
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The API's description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Warroom API",
        description = "Reads of Warroom's incidents, timelines, post-mortems, on-call and runbooks."
    ),
    paths(incidents, incident, timeline, postmortem, oncall, runbooks, runbook),
    components(schemas(
        Problem,
        IncidentPage,
        IncidentSummary,
        IncidentDetail,
        RunbookProgress,
        StepProgress,
        Timeline,
        Event,
        OnCall,
        Rotation,
        FirstPageOut,
        Runbooks,
        RunbookSummary,
        RunbookDetail,
        RunbookStep
    )),
    modifiers(&Bearer)
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`: the description, open to all.
pub async fn openapi() -> Response {
    match ApiDoc::openapi().to_pretty_json() {
        Ok(text) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            text,
        )
            .into_response(),
        Err(e) => Refusal(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// The API's routes.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/incidents", get(incidents))
        .route("/api/v1/incidents/{number}", get(incident))
        .route("/api/v1/incidents/{number}/timeline", get(timeline))
        .route("/api/v1/incidents/{number}/postmortem", get(postmortem))
        .route("/api/v1/oncall", get(oncall))
        .route("/api/v1/runbooks", get(runbooks))
        .route("/api/v1/runbooks/{id}", get(runbook))
        .route("/api/{*rest}", get(unknown))
}
