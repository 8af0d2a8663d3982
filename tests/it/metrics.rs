//! `/metrics` and the logs of the real `warroom serve`: the scrape parses as Prometheus's text
//! format (with the `prometheus-parse` crate, and `promtool check metrics` when it is
//! installed), its figures follow an incident that alerts open and resolve, no secret of a
//! path reaches a label, a database that refuses connections leaves the scrape served; JSON
//! log lines carry the request's id and the incident's number.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use prometheus_parse::{Sample, Scrape, Value};

use crate::support::postgres;
use crate::support::webhook::{self, PATH_SECRET, Server, deliver, get};

const FIRING: &[u8] = include_bytes!("../fixtures/alertmanager/alertmanager-firing.json");
const RESOLVED: &[u8] = include_bytes!("../fixtures/alertmanager/alertmanager-resolved.json");
/// The servers of these tests read the database's figures every second.
const REFRESH: (&str, &str) = ("WARROOM_METRICS__REFRESH_SECS", "1");

fn runbooks() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks")
}

/// The scrape, parsed, and its text.
fn scrape(server: &Server) -> (Scrape, String) {
    let answer = get(server.address, "/metrics", &[]);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(
        answer
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/plain; version=0.0.4")),
        "{answer:?}"
    );
    let lines = answer.body.lines().map(|l| Ok(l.to_owned()));
    let parsed = Scrape::parse(lines).expect("the scrape parses as Prometheus text");
    promtool_agrees(&answer.body);
    (parsed, answer.body)
}

/// The first scrape in which `ready` holds, or the one after 20 s: the database's figures
/// arrive within a second.
fn scrape_until(server: &Server, ready: impl Fn(&Scrape) -> bool) -> (Scrape, String) {
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let (parsed, text) = scrape(server);
        if ready(&parsed) || Instant::now() > until {
            return (parsed, text);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `promtool check metrics` finds no problem in `text`, when promtool is installed (required
/// where `WARROOM_TEST_REQUIRE_PROMTOOL` is set, as `.ci/run` sets it).
fn promtool_agrees(text: &str) {
    let Ok(mut child) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        assert!(
            std::env::var_os("WARROOM_TEST_REQUIRE_PROMTOOL").is_none(),
            "promtool is required (WARROOM_TEST_REQUIRE_PROMTOOL) and is not installed"
        );
        eprintln!("promtool is not installed: the scrape is checked by prometheus-parse only");
        return;
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("promtool reads the scrape");
    let out = child.wait_with_output().expect("promtool runs");
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The sample of `metric` with every label of `labels`.
fn sample<'a>(scrape: &'a Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<&'a Sample> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
}

/// A gauge's or a counter's value, 0 when absent.
fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    match sample(scrape, metric, labels).map(|s| &s.value) {
        Some(Value::Gauge(v) | Value::Counter(v) | Value::Untyped(v)) => *v,
        Some(other) => panic!("{metric} is not a single value: {other:?}"),
        None => 0.0,
    }
}

/// How many observations a histogram holds (its `+Inf` bucket), 0 when absent.
fn observations(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    match sample(scrape, metric, labels).map(|s| &s.value) {
        Some(Value::Histogram(buckets)) => buckets
            .iter()
            .find(|b| b.less_than.is_infinite())
            .map_or(0.0, |b| b.count),
        Some(other) => panic!("{metric} is not a histogram: {other:?}"),
        None => 0.0,
    }
}

const P1_OPEN: [(&str, &str); 2] = [("severity", "P1"), ("status", "investigating")];
const P1_RESOLVED: [(&str, &str); 2] = [("severity", "P1"), ("status", "resolved")];

#[test]
fn the_scrape_follows_an_incident_from_declaration_to_resolution() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("warroom.db").display());
    let server = Server::start_with(
        dir.path(),
        &url,
        &runbooks(),
        "auto_resolve = true",
        &[
            ("WARROOM_LOG_FORMAT", "json"),
            ("WARROOM_LOG", "info"),
            REFRESH,
        ],
    );

    let (before, _) = scrape_until(&server, |s| {
        sample(s, "warroom_incidents", &P1_OPEN).is_some()
    });
    assert_eq!(value(&before, "warroom_build_info", &[]), 1.0);
    let version = [("version", env!("CARGO_PKG_VERSION"))];
    assert!(sample(&before, "warroom_build_info", &version).is_some());
    // Every severity and status is there from the start, at 0.
    for severity in ["P0", "P1", "P2", "P3"] {
        for status in ["investigating", "identified", "mitigated", "resolved"] {
            let labels = [("severity", severity), ("status", status)];
            assert!(
                sample(&before, "warroom_incidents", &labels).is_some(),
                "{labels:?}"
            );
            assert_eq!(value(&before, "warroom_incidents", &labels), 0.0);
        }
    }
    assert!(sample(&before, "warroom_outbox_pending", &[("chat", "console")]).is_some());
    assert!(value(&before, "warroom_database_figures_timestamp_seconds", &[]) > 1.7e9);

    // Alertmanager opens INC-1 (a P1), through the path with the secret; the caller names the
    // request.
    let opened = webhook::post(
        server.address,
        &format!("/alerts/alertmanager/{PATH_SECRET}"),
        &["X-Request-Id: scrape-test-1"],
        FIRING,
    );
    assert_eq!(opened.status, 200, "{opened:?}");
    assert_eq!(opened.header("x-request-id"), Some("scrape-test-1"));
    let (open, text) = scrape_until(&server, |s| value(s, "warroom_incidents", &P1_OPEN) == 1.0);
    assert_eq!(value(&open, "warroom_incidents", &P1_OPEN), 1.0);
    assert_eq!(
        value(
            &open,
            "warroom_incidents_declared_total",
            &[("severity", "P1")]
        ),
        1.0
    );
    let route = [
        ("route", "/alerts/alertmanager/:secret"),
        ("method", "POST"),
        ("status", "200"),
    ];
    assert_eq!(
        observations(&open, "warroom_http_request_duration_seconds", &route),
        1.0
    );
    assert!(
        !text.contains(PATH_SECRET),
        "a path's secret reached a label:\n{text}"
    );
    let p1 = [("severity", "P1")];
    assert_eq!(
        observations(&open, "warroom_time_to_resolve_seconds", &p1),
        0.0
    );

    // The alert resolves, and with auto_resolve so does the incident.
    let resolved = deliver(server.address, RESOLVED);
    assert_eq!(resolved.status, 200, "{resolved:?}");
    let (after, _) = scrape_until(&server, |s| {
        value(s, "warroom_incidents", &P1_RESOLVED) == 1.0
    });
    assert_eq!(value(&after, "warroom_incidents", &P1_OPEN), 0.0);
    assert_eq!(value(&after, "warroom_incidents", &P1_RESOLVED), 1.0);
    assert_eq!(
        observations(&after, "warroom_time_to_resolve_seconds", &p1),
        1.0
    );
    // A request without an id of its own is given one.
    let bare = get(server.address, "/healthz", &[]);
    assert!(
        bare.header("x-request-id").is_some_and(|id| !id.is_empty()),
        "{bare:?}"
    );
    // A caller's id that is not a plain token is replaced.
    let odd = get(server.address, "/healthz", &["X-Request-Id: a b <c>"]);
    assert!(
        odd.header("x-request-id")
            .is_some_and(|id| !id.contains(' ') && !id.contains('<')),
        "{odd:?}"
    );
    let (last, _) = scrape(&server);
    let scrapes = [("route", "/metrics"), ("status", "200")];
    assert!(observations(&last, "warroom_http_request_duration_seconds", &scrapes) >= 3.0);

    // The log: one JSON object a line; what the request did names the request and INC-1.
    drop(server);
    let log = std::fs::File::open(dir.path().join("serve.log")).expect("the log");
    let lines: Vec<serde_json::Value> = std::io::BufReader::new(log)
        .lines()
        .map(|l| l.expect("a line"))
        .filter(|l| !l.starts_with("warroom: "))
        .map(|l| serde_json::from_str(&l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let in_request = |l: &&serde_json::Value| {
        l["spans"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["request_id"] == "scrape-test-1"))
    };
    let declared = lines
        .iter()
        .filter(in_request)
        .find(|l| l["fields"]["message"] == "declared from alerts")
        .unwrap_or_else(|| panic!("no declaration in the request's log: {lines:#?}"));
    assert_eq!(declared["fields"]["incident"], "INC-1", "{declared:#}");
    assert_eq!(declared["level"], "INFO");
    assert!(
        lines.iter().filter(in_request).count() >= 2,
        "the request's lines all carry its id"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_that_refuses_connections_still_leaves_a_scrape() {
    let Some((server_url, name, url)) = postgres::fresh_postgres("metrics", "metrics").await else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = Server::start_with(dir.path(), &url, &runbooks(), "", &[REFRESH]);
    assert_eq!(deliver(server.address, FIRING).status, 200);
    let (first, _) = tokio::task::block_in_place(|| {
        scrape_until(&server, |s| value(s, "warroom_incidents", &P1_OPEN) == 1.0)
    });
    assert_eq!(value(&first, "warroom_incidents", &P1_OPEN), 1.0);
    let errors = "warroom_database_figures_errors_total";
    assert_eq!(value(&first, errors, &[]), 0.0);

    postgres::allow_connections(&server_url, &name, false).await;
    let (second, _) =
        tokio::task::block_in_place(|| scrape_until(&server, |s| value(s, errors, &[]) >= 1.0));
    assert!(value(&second, errors, &[]) >= 1.0);
    // The last figures stand, and this process's own are still there.
    assert_eq!(value(&second, "warroom_incidents", &P1_OPEN), 1.0);
    let p1 = [("severity", "P1")];
    assert_eq!(value(&second, "warroom_incidents_declared_total", &p1), 1.0);
    let read_at = value(&second, "warroom_database_figures_timestamp_seconds", &[]);

    postgres::allow_connections(&server_url, &name, true).await;
    let (third, _) = tokio::task::block_in_place(|| {
        scrape_until(&server, |s| {
            value(s, "warroom_database_figures_timestamp_seconds", &[]) > read_at
        })
    });
    assert!(
        value(&third, "warroom_database_figures_timestamp_seconds", &[]) > read_at,
        "the database is back, and its figures are read again"
    );
}

#[test]
fn metrics_can_be_turned_off() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("warroom.db").display());
    let server = Server::start_with(
        dir.path(),
        &url,
        &runbooks(),
        "",
        &[("WARROOM_METRICS__ENABLED", "false")],
    );
    let answer = get(server.address, "/metrics", &[]);
    assert_eq!(answer.status, 404, "{answer:?}");
    assert!(answer.body.contains("[metrics] enabled"), "{answer:?}");
}
