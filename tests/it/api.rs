//! The JSON API of the real `warroom serve`, over the drills a console script leaves (a P1
//! with a runbook, a P2, a private P0): every route answers 401 without a token or with one
//! nobody listed, 403 where a viewer's token does not reach (a private incident, on-call, the
//! runbooks), 404 for what is not there; every 200 answer is checked against the OpenAPI
//! description the server itself serves (with the `jsonschema` crate); filters and paging;
//! the API is off without tokens; a database that refuses connections is a 503 in words.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Child;
use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::console::{ROTATIONS, rehearse, stderr, with_runbooks};
use crate::support::binary::{self, sqlite_url};
use crate::support::postgres;
use crate::support::serving;
use crate::support::webhook::{Answer, get};

const VIEWER: &str = "wr_viewer_5b1c0e";
const RESPONDER: &str = "wr_responder_77a9d2";

fn sha256(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A `warroom serve` over the transcript's drills, with `tokens` as its `[[api_tokens]]`;
/// killed when dropped.
struct Api {
    child: Child,
    address: SocketAddr,
    spec: Value,
}

impl Drop for Api {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, tokens: &str) -> Api {
    start_on(dir, &sqlite_url(dir), tokens)
}

fn start_on(dir: &Path, url: &str, tokens: &str) -> Api {
    std::fs::write(dir.join("warroom.toml"), format!("{ROTATIONS}\n{tokens}")).expect("config");
    with_runbooks(dir);
    let script = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts/report.txt"),
    )
    .expect("the script");
    let output = rehearse(dir, url, &script);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let mut command = binary::command(dir);
    command.env("WARROOM_DATABASE_URL", url);
    let (child, address, _) = serving::start_serve(command, "api", Duration::from_secs(30));
    let described = get(address, "/api/v1/openapi.json", &[]);
    assert_eq!(described.status, 200, "{described:?}");
    let spec = serde_json::from_str(&described.body).expect("the description is JSON");
    Api {
        child,
        address,
        spec,
    }
}

fn tokens() -> String {
    format!(
        "[[api_tokens]]\nname = \"dashboard\"\nsha256 = \"{}\"\n\n\
         [[api_tokens]]\nname = \"oncall-bot\"\nsha256 = \"{}\"\nrole = \"responder\"\n",
        sha256(VIEWER),
        sha256(RESPONDER)
    )
}

impl Api {
    fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let auth = token.map(|t| format!("Authorization: Bearer {t}"));
        let headers: Vec<&str> = auth.iter().map(String::as_str).collect();
        get(self.address, path, &headers)
    }

    /// The answer's body as JSON, checked against the schema the description gives for
    /// `route`'s answers with this status.
    fn checked(&self, route: &str, answer: &Answer) -> Value {
        let body: Value = serde_json::from_str(&answer.body)
            .unwrap_or_else(|e| panic!("{route}: not JSON ({e}): {answer:?}"));
        let errors = self.mismatches(route, answer.status, &body);
        assert!(
            errors.is_empty(),
            "{route} ({}) does not match its schema: {errors:#?}\n{body:#}",
            answer.status
        );
        body
    }

    /// How `body` differs from the schema of `route`'s answers with `status`.
    fn mismatches(&self, route: &str, status: u16, body: &Value) -> Vec<String> {
        let status = status.to_string();
        let schema = &self.spec["paths"][route]["get"]["responses"][&status]["content"]["application/json"]
            ["schema"];
        assert!(
            !schema.is_null(),
            "{route} answered {status}, which its description does not list"
        );
        let mut document = schema.clone();
        document["components"] = self.spec["components"].clone();
        // Formats (date-time) are asserted, not only annotated.
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&document)
            .unwrap_or_else(|e| panic!("{route}: the described schema does not compile: {e}"));
        validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }
}

/// Every secured route with a path the description names it by.
const ROUTES: [(&str, &str); 7] = [
    ("/api/v1/incidents", "/api/v1/incidents"),
    ("/api/v1/incidents/INC-1", "/api/v1/incidents/{number}"),
    (
        "/api/v1/incidents/INC-1/timeline",
        "/api/v1/incidents/{number}/timeline",
    ),
    (
        "/api/v1/incidents/INC-1/postmortem",
        "/api/v1/incidents/{number}/postmortem",
    ),
    ("/api/v1/oncall", "/api/v1/oncall"),
    ("/api/v1/runbooks", "/api/v1/runbooks"),
    ("/api/v1/runbooks/checkout-errors", "/api/v1/runbooks/{id}"),
];

#[test]
fn every_route_refuses_strangers_keeps_private_incidents_from_viewers_and_matches_its_schema() {
    let dir = tempfile::tempdir().expect("temp dir");
    let api = start(dir.path(), &tokens());
    let described: Vec<&String> = api.spec["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .collect();
    assert_eq!(described.len(), ROUTES.len(), "{described:?}");

    // 401: no token, a token nobody listed, a scheme that is not Bearer.
    for (path, route) in ROUTES {
        for token in [None, Some("wr_nobody")] {
            let answer = api.get(path, token);
            assert_eq!(answer.status, 401, "{path} {token:?}: {answer:?}");
            assert!(
                answer
                    .header("www-authenticate")
                    .is_some_and(|h| h.starts_with("Bearer")),
                "{answer:?}"
            );
            api.checked(route, &answer);
        }
        let basic = get(api.address, path, &["Authorization: Basic d2FycjpwYXNz"]);
        assert_eq!(basic.status, 401, "{path}: {basic:?}");
    }

    // Everything a responder may read is there and matches its schema.
    for (path, route) in ROUTES {
        let answer = api.get(path, Some(RESPONDER));
        assert_eq!(answer.status, 200, "{path}: {answer:?}");
        if route.ends_with("postmortem") {
            assert!(
                answer
                    .header("content-type")
                    .is_some_and(|t| t.starts_with("text/markdown"))
            );
            assert!(
                answer.body.contains("INC-1: Checkout returns 500s"),
                "{}",
                answer.body
            );
        } else {
            api.checked(route, &answer);
        }
    }
    let all = api.checked(
        "/api/v1/incidents",
        &api.get("/api/v1/incidents?status=all", Some(RESPONDER)),
    );
    let numbers: Vec<&str> = all["incidents"]
        .as_array()
        .expect("incidents")
        .iter()
        .map(|i| i["number"].as_str().expect("a number"))
        .collect();
    assert_eq!(numbers, ["INC-3", "INC-2", "INC-1"]);

    // A viewer: the private INC-3 is not listed and is 403 whole; on-call and runbooks too.
    let listed = api.checked(
        "/api/v1/incidents",
        &api.get("/api/v1/incidents?status=all", Some(VIEWER)),
    );
    let numbers: Vec<&str> = listed["incidents"]
        .as_array()
        .expect("incidents")
        .iter()
        .map(|i| i["number"].as_str().expect("a number"))
        .collect();
    assert_eq!(numbers, ["INC-2", "INC-1"]);
    for (path, route) in [
        ("/api/v1/incidents/INC-3", "/api/v1/incidents/{number}"),
        (
            "/api/v1/incidents/INC-3/timeline",
            "/api/v1/incidents/{number}/timeline",
        ),
        (
            "/api/v1/incidents/INC-3/postmortem",
            "/api/v1/incidents/{number}/postmortem",
        ),
        ("/api/v1/oncall", "/api/v1/oncall"),
        ("/api/v1/runbooks", "/api/v1/runbooks"),
        ("/api/v1/runbooks/checkout-errors", "/api/v1/runbooks/{id}"),
    ] {
        let answer = api.get(path, Some(VIEWER));
        assert_eq!(answer.status, 403, "{path}: {answer:?}");
        let said = api.checked(route, &answer);
        assert!(
            said["error"]
                .as_str()
                .is_some_and(|e| e.contains("responder")),
            "{said}"
        );
        assert!(!answer.body.contains("Deploy token leaked"), "{answer:?}");
    }
    // What a viewer may read of INC-1.
    let one = api.checked(
        "/api/v1/incidents/{number}",
        &api.get("/api/v1/incidents/INC-1", Some(VIEWER)),
    );
    // The check itself can fail: a wrong type, a field missing, in the flattened part too.
    let route = "/api/v1/incidents/{number}";
    for (field, wrong) in [
        ("severity", json!(1)),
        ("declared_at", json!("yesterday")),
        ("runbooks", json!("none")),
    ] {
        let mut broken = one.clone();
        broken[field] = wrong;
        assert!(
            !api.mismatches(route, 200, &broken).is_empty(),
            "{field} was not checked"
        );
    }
    let mut missing = one.clone();
    missing.as_object_mut().expect("an object").remove("title");
    assert!(!api.mismatches(route, 200, &missing).is_empty());
    assert_eq!(one["title"], "Checkout returns 500s for customers");
    assert_eq!(one["severity"], "P1");
    assert_eq!(one["status"], "resolved");
    assert_eq!(one["services"], json!(["checkout"]));
    assert_eq!(one["acknowledged_by"], "frank");
    assert_eq!(one["runbooks"][0]["runbook"], "checkout-errors");
    assert_eq!(one["runbooks"][0]["steps"][0]["state"], "done");
    assert_eq!(one["runbooks"][0]["steps"][3]["state"], "skipped");
    let timeline = api.checked(
        "/api/v1/incidents/{number}/timeline",
        &api.get("/api/v1/incidents/INC-1/timeline", Some(VIEWER)),
    );
    let kinds: Vec<&str> = timeline["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["type"].as_str().expect("a type"))
        .collect();
    assert_eq!(kinds.first(), Some(&"declared"));
    assert!(
        kinds.contains(&"acknowledged") && kinds.contains(&"paged"),
        "{kinds:?}"
    );

    // 404: what is not there, said in JSON.
    for (path, route) in [
        ("/api/v1/incidents/INC-99", "/api/v1/incidents/{number}"),
        ("/api/v1/incidents/seven", "/api/v1/incidents/{number}"),
        (
            "/api/v1/incidents/INC-99/timeline",
            "/api/v1/incidents/{number}/timeline",
        ),
        (
            "/api/v1/incidents/INC-99/postmortem",
            "/api/v1/incidents/{number}/postmortem",
        ),
        ("/api/v1/runbooks/no-such-runbook", "/api/v1/runbooks/{id}"),
    ] {
        let answer = api.get(path, Some(RESPONDER));
        assert_eq!(answer.status, 404, "{path}: {answer:?}");
        api.checked(route, &answer);
    }
    let nowhere = api.get("/api/v1/nowhere", Some(RESPONDER));
    assert_eq!(nowhere.status, 404, "{nowhere:?}");
    assert!(nowhere.body.contains("openapi.json"), "{nowhere:?}");

    // Who is on call: the rotations of the configuration, and whom P1 pages first.
    let oncall = api.checked(
        "/api/v1/oncall",
        &api.get("/api/v1/oncall", Some(RESPONDER)),
    );
    let names: Vec<&str> = oncall["rotations"]
        .as_array()
        .expect("rotations")
        .iter()
        .map(|r| r["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(names, ["primary", "secondary"]);
    // The runbook with each step's effective risk.
    let runbook = api.checked(
        "/api/v1/runbooks/{id}",
        &api.get("/api/v1/runbooks/checkout-errors", Some(RESPONDER)),
    );
    assert_eq!(runbook["step_list"][0]["risk"], "read");
    assert_eq!(runbook["step_list"][0]["label"], "read");
}

#[test]
fn filters_page_and_bad_filters_are_400() {
    let dir = tempfile::tempdir().expect("temp dir");
    let api = start(dir.path(), &tokens());
    let route = "/api/v1/incidents";
    let numbers = |body: &Value| -> Vec<String> {
        body["incidents"]
            .as_array()
            .expect("incidents")
            .iter()
            .map(|i| i["number"].as_str().expect("a number").to_owned())
            .collect()
    };
    let p2 = api.checked(
        route,
        &api.get("/api/v1/incidents?severity=P2", Some(RESPONDER)),
    );
    assert_eq!(numbers(&p2), ["INC-2"]);
    let open = api.checked(route, &api.get("/api/v1/incidents", Some(RESPONDER)));
    assert_eq!(numbers(&open), ["INC-3", "INC-2"], "open by default");
    let resolved = api.checked(
        route,
        &api.get("/api/v1/incidents?status=resolved", Some(RESPONDER)),
    );
    assert_eq!(numbers(&resolved), ["INC-1"]);
    let checkout = api.checked(
        route,
        &api.get(
            "/api/v1/incidents?status=all&service=checkout",
            Some(RESPONDER),
        ),
    );
    assert_eq!(numbers(&checkout), ["INC-1"]);
    // Paging: one at a time, following next_before.
    let mut path = "/api/v1/incidents?status=all&limit=1".to_owned();
    let mut seen = Vec::new();
    loop {
        let page = api.checked(route, &api.get(&path, Some(RESPONDER)));
        seen.extend(numbers(&page));
        match page["next_before"].as_str() {
            Some(before) => path = format!("/api/v1/incidents?status=all&limit=1&before={before}"),
            None => break,
        }
        assert!(seen.len() <= 3, "{seen:?}");
    }
    assert_eq!(seen, ["INC-3", "INC-2", "INC-1"]);
    for bad in [
        "status=closed",
        "severity=P9",
        "before=yesterday",
        "limit=0",
        "limit=201",
    ] {
        let answer = api.get(&format!("/api/v1/incidents?{bad}"), Some(RESPONDER));
        assert_eq!(answer.status, 400, "{bad}: {answer:?}");
        let said = api.checked(route, &answer);
        assert!(said["error"].is_string(), "{said}");
    }
}

#[test]
fn without_tokens_the_api_is_off() {
    let dir = tempfile::tempdir().expect("temp dir");
    let api = start(dir.path(), "");
    for (path, route) in ROUTES {
        let answer = api.get(path, Some(RESPONDER));
        assert_eq!(answer.status, 404, "{path}: {answer:?}");
        let said = api.checked(route, &answer);
        assert!(
            said["error"]
                .as_str()
                .is_some_and(|e| e.contains("[[api_tokens]]")),
            "{said}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_that_refuses_connections_is_a_503_then_the_api_is_back() {
    let Some((server, name, url)) = postgres::fresh_postgres("api", "api").await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let api = tokio::task::block_in_place(|| start_on(dir.path(), &url, &tokens()));
    let read = |path: &str| tokio::task::block_in_place(|| api.get(path, Some(RESPONDER)));
    assert_eq!(read("/api/v1/incidents/INC-1").status, 200);

    postgres::allow_connections(&server, &name, false).await;
    for (path, route) in [
        ("/api/v1/incidents", "/api/v1/incidents"),
        ("/api/v1/incidents/INC-1", "/api/v1/incidents/{number}"),
        (
            "/api/v1/incidents/INC-1/timeline",
            "/api/v1/incidents/{number}/timeline",
        ),
    ] {
        let answer = read(path);
        assert_eq!(answer.status, 503, "{path}: {answer:?}");
        let said = api.checked(route, &answer);
        assert!(
            said["error"]
                .as_str()
                .is_some_and(|e| e.contains("database")),
            "{said}"
        );
    }
    // What needs no database still answers.
    assert_eq!(read("/api/v1/runbooks").status, 200);

    postgres::allow_connections(&server, &name, true).await;
    let back = read("/api/v1/incidents?status=all");
    assert_eq!(back.status, 200, "{back:?}");
    assert_eq!(
        api.checked("/api/v1/incidents", &back)["incidents"][0]["number"],
        "INC-3"
    );
}
