//! The web view of `warroom serve` at `/web`, server-rendered with no script, behind sign-in
//! with OpenID Connect (`oidc.rs`) and a signed session cookie (`session.rs`). Off unless
//! `[web] issuer` is set. A person in one of `responder_groups` sees every incident; one in
//! `viewer_groups` sees the incidents that are not private; anyone else is refused at sign-in.
//! Every answer carries a strict Content-Security-Policy and is not cached; the one write
//! (signing out) is a POST that must carry the session's form token.

mod oidc;
mod pages;
pub mod session;

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::AppState;
use crate::config::WebConfig;
use crate::domain::Severity;
use crate::engine::browse::IncidentQuery;
use crate::store::Listing;
use session::{LOGIN, Login, SESSION, Session, Signer, cookie, random_token, set_cookie};

/// The web view's settings and sign-in.
#[derive(Debug)]
pub struct WebView {
    oidc: oidc::Oidc,
    signer: Signer,
    secure: bool,
    session_hours: u32,
    responder_groups: Vec<String>,
    viewer_groups: Vec<String>,
}

impl WebView {
    /// The view `config` describes, with its secrets read; `None` when it is off.
    pub fn from_config(
        config: &WebConfig,
        secret: impl Fn(&crate::config::SecretSource, &str) -> Result<SecretString, String>,
    ) -> Result<Option<Arc<WebView>>, String> {
        let (Some(issuer), Some(base)) = (&config.issuer, &config.base_url) else {
            return Ok(None);
        };
        let read = |source: &Option<crate::config::SecretSource>, key: &str| match source {
            Some(source) => secret(source, key),
            None => Err(format!("{key} is not set")),
        };
        let client_secret = read(&config.client_secret, "web.client_secret")?;
        let key = read(&config.session_key, "web.session_key")?;
        let signer = Signer::new(key.expose_secret().as_bytes()).ok_or_else(|| {
            format!(
                "web.session_key must be {} characters or more",
                session::MIN_KEY
            )
        })?;
        let base = base.trim_end_matches('/');
        let secure = base.starts_with("https://");
        if !secure {
            tracing::warn!(
                base_url = base,
                "web.base_url is plain http: session cookies are not Secure; use https outside a test"
            );
        }
        let oidc = oidc::Oidc::new(
            issuer,
            &config.client_id,
            client_secret,
            format!("{base}/web/callback"),
            &config.groups_claim,
        )?;
        Ok(Some(Arc::new(WebView {
            oidc,
            signer,
            secure,
            session_hours: config.session_hours,
            responder_groups: config.responder_groups.clone(),
            viewer_groups: config.viewer_groups.clone(),
        })))
    }

    /// The role of a person in `groups`: responder wins over viewer; `None` for neither.
    fn role(&self, groups: &[String]) -> Option<&'static str> {
        let any = |wanted: &[String]| groups.iter().any(|g| wanted.contains(g));
        if any(&self.responder_groups) {
            Some("responder")
        } else if any(&self.viewer_groups) {
            Some("viewer")
        } else {
            None
        }
    }

    /// The session the request's cookie holds, if it is signed and current.
    fn session(&self, headers: &HeaderMap) -> Option<Session> {
        let value = cookie(headers, SESSION)?;
        self.signer.read(value, Utc::now(), |s: &Session| s.until)
    }
}

/// The headers every answer of the view carries.
fn guarded(mut response: Response, secure: bool) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if secure {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// A page in words with a status.
fn plain(view: &WebView, status: StatusCode, title: &str, text: &str) -> Response {
    guarded(
        (status, axum::response::Html(pages::message(title, text))).into_response(),
        view.secure,
    )
}

/// 303 to `to`, with cookies to set.
fn see_other(to: &str, cookies: &[String]) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response();
    for c in cookies {
        if let Ok(value) = HeaderValue::from_str(c) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// The answer when the view is off.
fn off() -> Response {
    (
        StatusCode::NOT_FOUND,
        "the web view is off; set [web] issuer and the rest of [web] to sign in with OpenID Connect\n",
    )
        .into_response()
}

/// Where a person goes back to after signing in: a path of the view, nothing else.
fn safe_return(to: Option<&str>) -> String {
    match to {
        Some(path)
            if (path == "/web" || path.starts_with("/web/") || path.starts_with("/web?"))
                && !path.contains("//")
                && !path.contains('\\') =>
        {
            path.to_owned()
        }
        _ => "/web".to_owned(),
    }
}

/// The filters of the incident list.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    status: Option<String>,
    severity: Option<String>,
    service: Option<String>,
}

/// `GET /web`: the incident list, filtered by status, severity and service.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ListParams>,
    uri: axum::http::Uri,
) -> Response {
    let (view, session) = match signed_in_to(&state, &headers, &uri, None) {
        Ok(found) => found,
        Err(r) => return *r,
    };
    let view = &view;
    let listing = match params.status.as_deref().unwrap_or("open") {
        "resolved" => Listing::Resolved,
        "all" => Listing::All,
        _ => Listing::Open,
    };
    let severity = params
        .severity
        .as_deref()
        .and_then(|s| s.parse::<Severity>().ok());
    let service = params
        .service
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let query = IncidentQuery {
        listing,
        severity,
        service: service.clone(),
        private: session.responder(),
        before: None,
        limit: 100,
    };
    match state.engine.incident_page(&query).await {
        Ok(incidents) => {
            let filters = pages::Filters {
                status: listing.name(),
                severity,
                service: service.as_deref(),
            };
            guarded(
                axum::response::Html(pages::incident_list(&session, &filters, &incidents))
                    .into_response(),
                view.secure,
            )
        }
        Err(e) => {
            tracing::warn!(error = ?e, "the web view could not read the incidents");
            plain(
                view,
                StatusCode::SERVICE_UNAVAILABLE,
                "Cannot read the incidents",
                &e.sentence(),
            )
        }
    }
}

/// The signed-in session, or the answer that sends the person to sign in (back to `uri`).
fn signed_in(
    view: &WebView,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
) -> Result<Session, Box<Response>> {
    view.session(headers).ok_or_else(|| {
        let back = safe_return(uri.path_and_query().map(|p| p.as_str()));
        let to = format!(
            "/web/login?return_to={}",
            url::form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()
        );
        Box::new(guarded(see_other(&to, &[]), view.secure))
    })
}

/// The view and the request's session; or the answer: 404 when the view is off, to sign-in
/// without a session, and 403 (saying `responders_only`) for a viewer where only responders
/// may look.
fn signed_in_to(
    state: &AppState,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
    responders_only: Option<&str>,
) -> Result<(Arc<WebView>, Session), Box<Response>> {
    let view = state.web.clone().ok_or_else(|| Box::new(off()))?;
    let session = signed_in(&view, headers, uri)?;
    match responders_only {
        Some(said) if !session.responder() => Err(Box::new(plain(
            &view,
            StatusCode::FORBIDDEN,
            "For responders",
            said,
        ))),
        _ => Ok((view, session)),
    }
}

/// The incident numbered `number`, if the session may see it; else the page that says why.
async fn visible_incident(
    state: &AppState,
    view: &WebView,
    session: &Session,
    number: &str,
) -> Result<crate::domain::Incident, Response> {
    let missing = || {
        plain(
            view,
            StatusCode::NOT_FOUND,
            "No such incident",
            &format!("There is no incident {number}."),
        )
    };
    let Ok(n) = number.parse::<crate::domain::IncidentNumber>() else {
        return Err(missing());
    };
    match state.engine.incident(n).await {
        Ok(Some(i)) if i.details.private && !session.responder() => Err(plain(
            view,
            StatusCode::FORBIDDEN,
            "A private incident",
            &format!("{n} is private: only responders see it."),
        )),
        Ok(Some(i)) => Ok(i),
        Ok(None) => Err(missing()),
        Err(e) => Err(plain(
            view,
            StatusCode::SERVICE_UNAVAILABLE,
            "Cannot read the incident",
            &e.sentence(),
        )),
    }
}

/// What an incident page's timeline shows.
#[derive(Debug, Default, Deserialize)]
pub struct IncidentParams {
    show: Option<String>,
}

/// `GET /web/incidents/{number}`: the card, runbook progress, the timeline (filtered by
/// `show`: all, changes, notes, pages, actions) and the post-mortem draft.
pub async fn incident(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(number): axum::extract::Path<String>,
    Query(params): Query<IncidentParams>,
    uri: axum::http::Uri,
) -> Response {
    let (view, session) = match signed_in_to(&state, &headers, &uri, None) {
        Ok(found) => found,
        Err(r) => return *r,
    };
    let view = &view;
    let incident = match visible_incident(&state, view, &session, &number).await {
        Ok(i) => i,
        Err(r) => return r,
    };
    let timeline = match state.engine.timeline(incident.number).await {
        Ok(t) => t,
        Err(e) => {
            return plain(
                view,
                StatusCode::SERVICE_UNAVAILABLE,
                "Cannot read the incident",
                &e.sentence(),
            );
        }
    };
    let show = params
        .show
        .as_deref()
        .filter(|s| matches!(*s, "changes" | "notes" | "pages" | "actions"))
        .unwrap_or("all");
    guarded(
        axum::response::Html(pages::incident_page(&session, &incident, &timeline, show))
            .into_response(),
        view.secure,
    )
}

/// `GET /web/incidents/{number}/postmortem.md`: the draft as a file.
pub async fn postmortem(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(number): axum::extract::Path<String>,
    uri: axum::http::Uri,
) -> Response {
    draft(&state, &headers, &number, &uri, false).await
}

/// `GET /web/incidents/{number}/postmortem`: the draft to read.
pub async fn postmortem_preview(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(number): axum::extract::Path<String>,
    uri: axum::http::Uri,
) -> Response {
    draft(&state, &headers, &number, &uri, true).await
}

/// The post-mortem draft of `number`, as a page (`preview`) or as a file.
async fn draft(
    state: &AppState,
    headers: &HeaderMap,
    number: &str,
    uri: &axum::http::Uri,
    preview: bool,
) -> Response {
    let (view, session) = match signed_in_to(state, headers, uri, None) {
        Ok(found) => found,
        Err(r) => return *r,
    };
    let view = &view;
    let incident = match visible_incident(state, view, &session, number).await {
        Ok(i) => i,
        Err(r) => return r,
    };
    match state.engine.postmortems().markdown(incident.number).await {
        Ok(markdown) if preview => guarded(
            axum::response::Html(pages::postmortem_preview(&session, &incident, &markdown))
                .into_response(),
            view.secure,
        ),
        Ok(markdown) => guarded(
            (
                StatusCode::OK,
                [
                    (
                        header::CONTENT_TYPE,
                        "text/markdown; charset=utf-8".to_owned(),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{}-postmortem.md\"", incident.number),
                    ),
                ],
                markdown,
            )
                .into_response(),
            view.secure,
        ),
        Err(e) => plain(
            view,
            StatusCode::SERVICE_UNAVAILABLE,
            "Cannot write the draft",
            &e.sentence(),
        ),
    }
}

/// `GET /web/oncall`: who is on call now and next.
pub async fn oncall(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let (view, session) = match signed_in_to(
        &state,
        &headers,
        &uri,
        Some("Who is on call is shown to responders."),
    ) {
        Ok(found) => found,
        Err(r) => return *r,
    };
    let view = &view;
    let at = state.engine.clock().now();
    let (rotations, pages) = state.engine.on_call_now(at);
    guarded(
        axum::response::Html(pages::on_call(&session, at, &rotations, &pages)).into_response(),
        view.secure,
    )
}

/// `GET /web/runbooks`: the library with each step's effective risk.
pub async fn runbooks(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let (view, session) = match signed_in_to(
        &state,
        &headers,
        &uri,
        Some("The runbook library is shown to responders."),
    ) {
        Ok(found) => found,
        Err(r) => return *r,
    };
    let view = &view;
    let catalog = state.engine.runbook_catalog();
    guarded(
        axum::response::Html(pages::runbooks(&session, &catalog)).into_response(),
        view.secure,
    )
}

/// The report's window.
#[derive(Debug, Default, Deserialize)]
pub struct ReportParams {
    days: Option<u32>,
}

/// `GET /web/report?days=30`: the report over the last days (1 to 366), real incidents.
pub async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ReportParams>,
    uri: axum::http::Uri,
) -> Response {
    let (view, session) = match signed_in_to(
        &state,
        &headers,
        &uri,
        Some("The report names people; it is shown to responders."),
    ) {
        Ok(found) => found,
        Err(r) => return *r,
    };
    let view = &view;
    let days = params.days.unwrap_or(30).clamp(1, 366);
    let until = state.engine.clock().now();
    let window = crate::engine::report::Window {
        since: until - chrono::Duration::days(i64::from(days)),
        until,
        zone: chrono_tz::UTC,
        drills: false,
    };
    match state.engine.report(window).await {
        Ok(found) => guarded(
            axum::response::Html(pages::report(
                &session,
                &crate::engine::report::html(&found),
            ))
            .into_response(),
            view.secure,
        ),
        Err(e) => plain(
            view,
            StatusCode::SERVICE_UNAVAILABLE,
            "Cannot read the report",
            &e.sentence(),
        ),
    }
}

/// `GET /web/login`: to the provider, with a sign-in cookie to come back with.
#[derive(Debug, Deserialize)]
pub struct LoginParams {
    return_to: Option<String>,
}

/// `GET /web/login`.
pub async fn login(State(state): State<AppState>, Query(params): Query<LoginParams>) -> Response {
    let Some(view) = state.web.as_ref() else {
        return off();
    };
    match view
        .oidc
        .start(safe_return(params.return_to.as_deref()))
        .await
    {
        Ok((to, login)) => {
            let cookie = set_cookie(LOGIN, &view.signer.sign(&login), 600, view.secure);
            guarded(see_other(&to, &[cookie]), view.secure)
        }
        Err(why) => plain(view, StatusCode::BAD_GATEWAY, "Cannot sign in", &why),
    }
}

/// What the provider sends back.
#[derive(Debug, Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /web/callback`: checks the state against the sign-in cookie, exchanges the code,
/// checks the ID token, maps the groups to a role and sets the session.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<CallbackParams>,
) -> Response {
    let Some(view) = state.web.as_ref() else {
        return off();
    };
    let refuse = |why: &str| plain(view, StatusCode::FORBIDDEN, "Not signed in", why);
    if let Some(error) = &params.error {
        let said = params.error_description.as_deref().unwrap_or("");
        return refuse(&format!("The provider said: {error} {said}"));
    }
    let Some(login) =
        cookie(&headers, LOGIN).and_then(|c| view.signer.read(c, Utc::now(), |l: &Login| l.until))
    else {
        return refuse(
            "This sign-in was not started here, or took longer than 10 minutes. Start again.",
        );
    };
    let (Some(code), Some(returned)) = (params.code, params.state) else {
        return refuse("The provider sent no code.");
    };
    use subtle::ConstantTimeEq;
    if !bool::from(returned.as_bytes().ct_eq(login.state.as_bytes())) {
        return refuse("The sign-in's state does not match. Start again.");
    }
    let identity = match view.oidc.finish(code, &login).await {
        Ok(identity) => identity,
        Err(why) => return refuse(&why),
    };
    let Some(role) = view.role(&identity.groups) else {
        tracing::info!(sub = %identity.sub, groups = ?identity.groups, "a sign-in in no group of [web] was refused");
        return refuse(&format!(
            "{} is signed in at the provider but in none of the groups Warroom lets in.",
            identity.name
        ));
    };
    let csrf = match random_token() {
        Ok(token) => token,
        Err(e) => {
            tracing::error!(error = %e, "no random bytes for a session's form token");
            return plain(
                view,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Not signed in",
                "Warroom could not read random bytes from the system; try again.",
            );
        }
    };
    tracing::info!(sub = %identity.sub, role, "signed in to the web view");
    let session = Session {
        sub: identity.sub,
        name: identity.name,
        role: role.to_owned(),
        until: Utc::now() + chrono::Duration::hours(i64::from(view.session_hours)),
        csrf,
    };
    let max_age = i64::from(view.session_hours) * 3600;
    let cookies = [
        set_cookie(SESSION, &view.signer.sign(&session), max_age, view.secure),
        set_cookie(LOGIN, "", 0, view.secure),
    ];
    guarded(see_other(&login.return_to, &cookies), view.secure)
}

/// The sign-out form.
#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

/// `POST /web/logout`: only with the session's form token (a page of another site cannot
/// sign anyone out); the session cookie is deleted.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    let Some(view) = state.web.as_ref() else {
        return off();
    };
    use subtle::ConstantTimeEq;
    match view.session(&headers) {
        Some(session) if bool::from(form.csrf.as_bytes().ct_eq(session.csrf.as_bytes())) => {
            let gone = set_cookie(SESSION, "", 0, view.secure);
            let mut response = plain(
                view,
                StatusCode::OK,
                "Signed out",
                "You are signed out of Warroom.",
            );
            if let Ok(value) = HeaderValue::from_str(&gone) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Some(_) => plain(
            view,
            StatusCode::FORBIDDEN,
            "Not signed out",
            "The form's token does not match your session.",
        ),
        None => guarded(see_other("/web", &[]), view.secure),
    }
}

/// The view's routes.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/web", get(list))
        .route("/web/incidents/{number}", get(incident))
        .route("/web/incidents/{number}/postmortem.md", get(postmortem))
        .route(
            "/web/incidents/{number}/postmortem",
            get(postmortem_preview),
        )
        .route("/web/oncall", get(oncall))
        .route("/web/runbooks", get(runbooks))
        .route("/web/report", get(report))
        .route("/web/login", get(login))
        .route("/web/callback", get(callback))
        .route("/web/logout", post(logout))
}

#[cfg(test)]
mod tests {
    use super::safe_return;

    #[test]
    fn only_paths_of_the_view_are_returned_to() {
        assert_eq!(safe_return(Some("/web?status=all")), "/web?status=all");
        assert_eq!(
            safe_return(Some("/web/incidents/INC-3")),
            "/web/incidents/INC-3"
        );
        for elsewhere in [
            "https://evil.example",
            "//evil.example/web",
            "/web//evil.example",
            "/webhook",
            "/web\\evil",
            "",
        ] {
            assert_eq!(safe_return(Some(elsewhere)), "/web", "{elsewhere}");
        }
        assert_eq!(safe_return(None), "/web");
    }
}
