//! A strict fake of Atlassian Statuspage's REST API v1, for the one page of a test. Every
//! request is checked against Statuspage's published OpenAPI description
//! (tests/fixtures/statuspage): the path and method must be an operation there, the
//! `Authorization: OAuth <key>` header must carry the page's key, and the JSON body must fit
//! the operation's request schema (no property the schema lacks, every enum value one it
//! lists, every type right). What does not fit is a violation the test fails on, answered as
//! Statuspage would (401, 404, 422). Incidents are kept as Statuspage keeps them, with their
//! updates and component states. A test can make the next calls fail (500, 429) for the
//! outage case.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Call {
    /// `POST`, `PATCH`…
    pub method: String,
    /// The path without `/v1`.
    pub path: String,
    /// The JSON body (`null` without one).
    pub body: Value,
    /// The status it was answered with.
    pub status: u16,
}

/// An incident on the fake page.
#[derive(Debug, Clone)]
pub struct PageIncident {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its status (`investigating`…).
    pub status: String,
    /// Its impact override.
    pub impact: String,
    /// Component id → status.
    pub components: BTreeMap<String, String>,
    /// Its updates, oldest first: (status, body).
    pub updates: Vec<(String, String)>,
}

#[derive(Default)]
struct World {
    calls: Vec<Call>,
    violations: Vec<String>,
    incidents: BTreeMap<String, PageIncident>,
    /// Answers for the next calls, before anything else: 500 or 429.
    failures: Vec<u16>,
    next_id: u32,
}

struct Shared {
    spec: Value,
    key: String,
    page: String,
    components: Vec<String>,
    world: Mutex<World>,
}

/// The fake, serving on a loopback port until the test ends.
pub struct FakeStatuspage {
    /// Its API's base URL, `http://127.0.0.1:PORT/v1`.
    pub url: String,
    shared: Arc<Shared>,
}

impl FakeStatuspage {
    /// Serves one page, `page`, with the components `components`, for the key `key`.
    pub async fn start(page: &str, key: &str, components: &[&str]) -> FakeStatuspage {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/statuspage/statuspage_openapi.json");
        let spec: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("the spec reads"))
                .expect("the spec is JSON");
        let shared = Arc::new(Shared {
            spec,
            key: key.to_owned(),
            page: page.to_owned(),
            components: components.iter().map(|c| (*c).to_owned()).collect(),
            world: Mutex::default(),
        });
        let app = Router::new().fallback(answer).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeStatuspage {
            url: format!("http://{address}/v1"),
            shared,
        }
    }

    /// The next calls are answered with these statuses (500, 429) before anything else.
    pub fn fail_next(&self, statuses: &[u16]) {
        self.world(|w| w.failures.extend_from_slice(statuses));
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.world(|w| w.calls.clone())
    }

    /// What did not fit the API description.
    pub fn violations(&self) -> Vec<String> {
        self.world(|w| w.violations.clone())
    }

    /// The page's incidents.
    pub fn incidents(&self) -> Vec<PageIncident> {
        self.world(|w| w.incidents.values().cloned().collect())
    }

    fn world<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        f(&mut self.shared.world.lock().unwrap())
    }
}

async fn answer(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri
        .path()
        .strip_prefix("/v1")
        .unwrap_or(uri.path())
        .to_owned();
    let parsed: Value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).unwrap_or(Value::String("<not JSON>".into()))
    };
    let mut world = shared.world.lock().unwrap();
    let (status, reply) = respond(&shared, &mut world, &method, &path, &headers, &parsed);
    world.calls.push(Call {
        method: method.to_string(),
        path,
        body: parsed,
        status: status.as_u16(),
    });
    let mut response = (status, axum::Json(reply)).into_response();
    if status == StatusCode::TOO_MANY_REQUESTS {
        response
            .headers_mut()
            .insert("retry-after", "1".parse().unwrap());
    }
    response
}

fn error(status: StatusCode, text: &str) -> (StatusCode, Value) {
    (status, json!({ "error": text }))
}

fn respond(
    shared: &Shared,
    world: &mut World,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &Value,
) -> (StatusCode, Value) {
    if !world.failures.is_empty() {
        let status = world.failures.remove(0);
        return error(
            StatusCode::from_u16(status).unwrap(),
            "the fake was told to fail",
        );
    }
    let expected = format!("OAuth {}", shared.key);
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return error(StatusCode::UNAUTHORIZED, "Could not authenticate");
    }
    let Some((template, params, operation)) = operation(&shared.spec, method, path) else {
        world.violations.push(format!(
            "{method} {path}: no such operation in the API description"
        ));
        return error(
            StatusCode::NOT_FOUND,
            "The requested resource could not be found.",
        );
    };
    if params.get("page_id") != Some(&shared.page) {
        return error(
            StatusCode::NOT_FOUND,
            "The requested resource could not be found.",
        );
    }
    if let Some(reference) =
        operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()
    {
        let json_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/json"));
        if !json_type {
            world.violations.push(format!(
                "{method} {path}: the body is not sent as application/json"
            ));
        }
        let schema = resolve(&shared.spec, reference);
        let mut problems = Vec::new();
        check(&shared.spec, body, schema, "", &mut problems);
        if !problems.is_empty() {
            world
                .violations
                .extend(problems.iter().map(|p| format!("{method} {path}: {p}")));
            return error(StatusCode::BAD_REQUEST, &problems.join("; "));
        }
    }
    let incident = &body["incident"];
    for id in incident["component_ids"].as_array().into_iter().flatten() {
        let id = id.as_str().unwrap_or_default();
        if !shared.components.iter().any(|c| c == id) {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("Component {id} could not be found"),
            );
        }
    }
    match (method.as_str(), template) {
        ("POST", "/pages/{page_id}/incidents") => {
            let Some(name) = incident["name"].as_str().filter(|n| !n.is_empty()) else {
                return error(StatusCode::UNPROCESSABLE_ENTITY, "Name can't be blank");
            };
            world.next_id += 1;
            let id = format!("inc{:09}", world.next_id);
            let mut made = PageIncident {
                id: id.clone(),
                name: name.to_owned(),
                status: "investigating".into(),
                impact: "none".into(),
                components: BTreeMap::new(),
                updates: Vec::new(),
            };
            apply(&mut made, incident);
            let reply = incident_json(&made, &shared.page);
            world.incidents.insert(id, made);
            (StatusCode::CREATED, reply)
        }
        ("PATCH", "/pages/{page_id}/incidents/{incident_id}") => {
            let Some(found) = params
                .get("incident_id")
                .and_then(|id| world.incidents.get_mut(id))
            else {
                return error(
                    StatusCode::NOT_FOUND,
                    "The requested resource could not be found.",
                );
            };
            apply(found, incident);
            (StatusCode::OK, incident_json(found, &shared.page))
        }
        _ => {
            world.violations.push(format!(
                "{method} {path}: the fake does not play this operation"
            ));
            error(StatusCode::NOT_IMPLEMENTED, "not played by the fake")
        }
    }
}

/// Applies a create's or a change's fields as Statuspage does: a new update whenever a body
/// or a status comes.
fn apply(incident: &mut PageIncident, given: &Value) {
    if let Some(name) = given["name"].as_str() {
        incident.name = name.to_owned();
    }
    if let Some(impact) = given["impact_override"].as_str() {
        incident.impact = impact.to_owned();
    }
    for (id, status) in given["components"].as_object().into_iter().flatten() {
        incident
            .components
            .insert(id.clone(), status.as_str().unwrap_or_default().to_owned());
    }
    let status = given["status"].as_str().map(str::to_owned);
    let body = given["body"].as_str().map(str::to_owned);
    if let Some(status) = &status {
        incident.status = status.clone();
    }
    if status.is_some() || body.is_some() {
        incident
            .updates
            .push((incident.status.clone(), body.unwrap_or_default()));
    }
}

fn incident_json(incident: &PageIncident, page: &str) -> Value {
    let components: Vec<Value> = incident
        .components
        .iter()
        .map(|(id, status)| json!({ "id": id, "status": status, "page_id": page }))
        .collect();
    let updates: Vec<Value> = incident
        .updates
        .iter()
        .rev()
        .map(|(status, body)| json!({ "status": status, "body": body, "incident_id": incident.id }))
        .collect();
    json!({
        "id": incident.id,
        "name": incident.name,
        "status": incident.status,
        "impact": incident.impact,
        "impact_override": incident.impact,
        "page_id": page,
        "components": components,
        "incident_updates": updates,
        "shortlink": format!("https://stspg.io/{}", incident.id),
        "created_at": "2026-12-07T14:00:00.000Z",
        "updated_at": "2026-12-07T14:00:00.000Z",
    })
}

/// The operation of the API description that `method` and `path` name, with its path
/// template and the values of its path parameters.
fn operation<'s>(
    spec: &'s Value,
    method: &Method,
    path: &str,
) -> Option<(&'s str, BTreeMap<String, String>, &'s Value)> {
    let asked: Vec<&str> = path.trim_matches('/').split('/').collect();
    for (template, operations) in spec["paths"].as_object()? {
        let parts: Vec<&str> = template.trim_matches('/').split('/').collect();
        if parts.len() != asked.len() {
            continue;
        }
        let mut params = BTreeMap::new();
        let fits = parts.iter().zip(&asked).all(|(part, given)| {
            match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) => {
                    params.insert(name.to_owned(), (*given).to_owned());
                    !given.is_empty()
                }
                None => part == given,
            }
        });
        if !fits {
            continue;
        }
        let found = &operations[method.as_str().to_ascii_lowercase()];
        if found.is_object() {
            return Some((template.as_str(), params, found));
        }
    }
    None
}

fn resolve<'s>(spec: &'s Value, reference: &str) -> &'s Value {
    let name = reference.trim_start_matches("#/components/schemas/");
    &spec["components"]["schemas"][name]
}

/// Checks `value` against `schema`, strictly: an object may hold only the properties the
/// schema lists. `components`, a map from component ids to statuses, is described by one
/// example id in the description: every entry is checked against that example's schema.
fn check(spec: &Value, value: &Value, schema: &Value, at: &str, problems: &mut Vec<String>) {
    let schema = match schema["$ref"].as_str() {
        Some(reference) => resolve(spec, reference),
        None => schema,
    };
    let kind = schema["type"].as_str().unwrap_or("object");
    let fits = match kind {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        _ => true,
    };
    if !fits {
        problems.push(format!("{at}: expected {kind}, found {value}"));
        return;
    }
    if let Some(choices) = schema["enum"].as_array()
        && !choices.contains(value)
    {
        problems.push(format!(
            "{at}: {value} is not one of {}",
            Value::Array(choices.clone())
        ));
    }
    match value {
        Value::Object(fields) => {
            let properties = schema["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for required in schema["required"].as_array().into_iter().flatten() {
                let name = required.as_str().unwrap_or_default();
                if !fields.contains_key(name) {
                    problems.push(format!("{at}.{name}: required"));
                }
            }
            let is_map = at.ends_with(".components") && properties.len() == 1;
            for (name, field) in fields {
                let property = if is_map {
                    properties.values().next()
                } else {
                    properties.get(name)
                };
                match property {
                    Some(property) => {
                        check(spec, field, property, &format!("{at}.{name}"), problems);
                    }
                    None => problems.push(format!("{at}.{name}: not in the API description")),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check(
                    spec,
                    item,
                    &schema["items"],
                    &format!("{at}[{i}]"),
                    problems,
                );
            }
        }
        _ => {}
    }
}
