//! The fake's HTTP side: the Web API methods, the file upload URLs and the response_urls.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::{Call, Shared, World, blocks, methods, scopes};

/// The arguments of a call, from the query, a form or a JSON body.
fn arguments(
    headers: &HeaderMap,
    query: Option<String>,
    body: &[u8],
) -> Result<Map<String, Value>, String> {
    let mut args = Map::new();
    if let Some(q) = query {
        for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
            args.insert(k.into_owned(), Value::String(v.into_owned()));
        }
    }
    if body.is_empty() {
        return Ok(args);
    }
    let kind = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .replace(' ', "");
    if kind.starts_with("application/json") {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => args.extend(map),
            _ => return Err("invalid_json".into()),
        }
    } else if kind.starts_with("application/x-www-form-urlencoded") {
        for (k, v) in url::form_urlencoded::parse(body) {
            args.insert(k.into_owned(), Value::String(v.into_owned()));
        }
    } else {
        return Err("invalid_form_data".into());
    }
    Ok(args)
}

fn answer(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

pub(super) async fn api(
    State(shared): State<Arc<Shared>>,
    Path(method): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut response = respond(&shared, &method, query, &headers, &body);
    if response.status() == StatusCode::OK {
        let granted = shared.scopes.lock().unwrap().join(",");
        if let Ok(value) = axum::http::HeaderValue::from_str(&granted) {
            response.headers_mut().insert("x-oauth-scopes", value);
        }
    }
    let held = shared.world.lock().unwrap().held.contains(&method);
    // A held call is done but not answered until the test releases its method.
    while held && shared.world.lock().unwrap().held.contains(&method) {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    response
}

/// Carries out one call and says what Slack would answer.
fn respond(
    shared: &Shared,
    method: &str,
    query: Option<String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let method = method.to_owned();
    let args = match arguments(headers, query, body) {
        Ok(a) => a,
        Err(e) => return answer(StatusCode::OK, json!({"ok": false, "error": e})),
    };
    let mut world = shared.world.lock().unwrap();
    let record = |w: &mut World, error: Option<String>| {
        w.calls.push(Call {
            method: method.clone(),
            args: args.clone(),
            error,
            at: Instant::now(),
        });
    };
    if shared.down.load(std::sync::atomic::Ordering::SeqCst) {
        record(&mut world, Some("down".into()));
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [("connection", "close")],
            "Slack is down",
        )
            .into_response();
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // Socket Mode connections are opened with the app token, everything else with the bot's.
    let expected = if method == "apps.connections.open" {
        &shared.app_token
    } else {
        &shared.token
    };
    if bearer != Some(expected.as_str()) {
        let error = if bearer.is_none() {
            "not_authed"
        } else {
            "invalid_auth"
        };
        world.violations.push(format!("{method}: {error}"));
        record(&mut world, Some(error.into()));
        return answer(StatusCode::OK, json!({"ok": false, "error": error}));
    }
    if method != "apps.connections.open"
        && let Some(server_error) = world.flake()
    {
        if server_error {
            record(&mut world, Some("flaked_500".into()));
            return (StatusCode::INTERNAL_SERVER_ERROR, "Slack had a moment").into_response();
        }
        record(&mut world, Some("flaked_429".into()));
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1".to_owned())],
            axum::Json(json!({"ok": false, "error": "ratelimited"})),
        )
            .into_response();
    }
    if let Some((left, retry_after)) = world.rate_limited.get_mut(&method)
        && *left > 0
    {
        *left -= 1;
        let retry_after = *retry_after;
        world.limited_at.push((method.clone(), Instant::now()));
        record(&mut world, Some("ratelimited".into()));
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", retry_after.to_string())],
            axum::Json(json!({"ok": false, "error": "ratelimited"})),
        )
            .into_response();
    }
    let private = match method.as_str() {
        "conversations.create" => methods::text(&args, "is_private") == "true",
        _ => world
            .channels
            .get(&methods::text(&args, "channel"))
            .is_some_and(|c| c.is_private),
    };
    if let Some(scope) = scopes::needed_for(&method, private) {
        let granted = shared.scopes.lock().unwrap().clone();
        if !granted.iter().any(|g| g == scope) {
            record(&mut world, Some("missing_scope".into()));
            return answer(
                StatusCode::OK,
                json!({"ok": false, "error": "missing_scope", "needed": scope, "provided": granted.join(",")}),
            );
        }
    }
    let Some(spec) = shared.spec.method(&method).cloned() else {
        world.violations.push(format!("{method}: no such method"));
        record(&mut world, Some("unknown_method".into()));
        return answer(
            StatusCode::OK,
            json!({"ok": false, "error": "unknown_method"}),
        );
    };
    if let Err(problem) = spec.check_args(&args) {
        world.violations.push(format!("{method}: {problem}"));
        record(&mut world, Some("invalid_arguments".into()));
        return answer(
            StatusCode::OK,
            json!({"ok": false, "error": "invalid_arguments", "detail": problem}),
        );
    }
    let result = if method == "apps.connections.open" {
        Ok(json!({"url": shared.socket_url}))
    } else {
        methods::call(&mut world, &shared.base, &method, &args)
    };
    match result {
        Ok(body) => {
            let mut body = body;
            body["ok"] = json!(true);
            spec.check_response(&method, &body);
            record(&mut world, None);
            answer(StatusCode::OK, body)
        }
        Err(methods::Refusal { error, violation }) => {
            if violation {
                world.violations.push(format!("{method}: {error}"));
            }
            record(&mut world, Some(error.clone()));
            answer(StatusCode::OK, json!({"ok": false, "error": error}))
        }
    }
}

pub(super) async fn upload(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mut world = shared.world.lock().unwrap();
    let Some(upload) = world.uploads.get_mut(&id) else {
        world
            .violations
            .push(format!("upload to an unknown url {id}"));
        return (StatusCode::NOT_FOUND, "no such upload").into_response();
    };
    if body.len() != upload.length {
        let problem = format!(
            "upload of {} bytes where files.getUploadURLExternal was told {}",
            body.len(),
            upload.length
        );
        world.violations.push(problem.clone());
        return (StatusCode::BAD_REQUEST, problem).into_response();
    }
    upload.content = Some(body.to_vec());
    (StatusCode::OK, format!("OK - {}", body.len())).into_response()
}

pub(super) async fn response_url(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let mut world = shared.world.lock().unwrap();
    let Ok(value) = serde_json::from_slice::<Value>(&body) else {
        world
            .violations
            .push("a response_url post that is not JSON".into());
        return (StatusCode::BAD_REQUEST, "invalid_payload").into_response();
    };
    if let Some(b) = value.get("blocks")
        && let Err(e) = blocks::check(b, 50)
    {
        world
            .violations
            .push(format!("response_url: invalid_blocks: {e}"));
        return (StatusCode::BAD_REQUEST, "invalid_blocks").into_response();
    }
    world.responses.push((id, value));
    (StatusCode::OK, "ok").into_response()
}
