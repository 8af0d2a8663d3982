//! Pages beyond chat under load (run with `cargo bench --bench notify`): the real `warroom
//! serve` binary (SQLite file, chat to a file) on loopback, whose P1 pages carol, on call, at
//! once; carol's contact is a signed webhook to a receiver in this process. Alertmanager
//! groups are posted at an even pace (1,000 in 60 s by default), each opening an incident.
//! Prints, from posting a group to its page arriving at the webhook receiver, p50, p99 and
//! the slowest, and how many arrived.
//!
//! `WARROOM_BENCH_NOTIFY` changes the number of groups (default 1000) and
//! `WARROOM_BENCH_NOTIFY_SECS` the time they are spread over (default 60).

// The integration tests' support; a bench uses a part of it.
#[allow(dead_code)]
#[path = "../tests/it/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use support::webhook::{Server, deliver};

const FIRING: &[u8] = include_bytes!("../tests/fixtures/alertmanager/alertmanager-firing.json");

/// When each incident's page arrived, by incident number.
type Arrivals = Arc<Mutex<HashMap<u64, Instant>>>;

/// The body of group `group` with one alert.
fn body(group: usize) -> Vec<u8> {
    let mut n: serde_json::Value = serde_json::from_slice(FIRING).expect("the fixture");
    let name = format!("NotifyBench{group}");
    n["groupKey"] = format!("{{}}:{{alertname=\"{name}\"}}").into();
    n["commonLabels"]["alertname"] = name.clone().into();
    n["groupLabels"]["alertname"] = name.clone().into();
    n["alerts"][0]["labels"]["alertname"] = name.into();
    n["alerts"][0]["fingerprint"] = format!("{group:016x}").into();
    n.to_string().into_bytes()
}

async fn receive(State(arrivals): State<Arrivals>, body: Bytes) -> StatusCode {
    let now = Instant::now();
    let page: serde_json::Value = serde_json::from_slice(&body).expect("a JSON page");
    let number = page["number"].as_u64().expect("an incident number");
    arrivals
        .lock()
        .expect("arrivals")
        .entry(number)
        .or_insert(now);
    StatusCode::NO_CONTENT
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let count = env_number("WARROOM_BENCH_NOTIFY", 1000) as usize;
    let spread = Duration::from_secs(env_number("WARROOM_BENCH_NOTIFY_SECS", 60));
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "Pages to a webhook, {count} Alertmanager groups over {} s, SQLite, {cores} cores",
        spread.as_secs()
    );

    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let arrivals: Arrivals = Arc::default();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a port");
    let hook = listener.local_addr().expect("an address");
    let app = axum::Router::new()
        .route("/page", post(receive))
        .with_state(arrivals.clone());
    runtime.spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("warroom.db").display());
    let more = format!(
        "[[people]]\n\
         id = \"carol\"\n\
         webhook = {{ url = \"http://{hook}/page\", secret = {{ env = \"BENCH_HOOK_SECRET\" }} }}\n\
         [[rotations]]\n\
         name = \"primary\"\n\
         people = [\"carol\"]\n\
         start = \"2025-12-01\"\n"
    );
    let runbooks = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let server = Server::start_with(
        dir.path(),
        &url,
        &runbooks,
        &more,
        &[("BENCH_HOOK_SECRET", "bench-secret-9f2c")],
    );

    let pace = spread / u32::try_from(count.max(1)).unwrap_or(u32::MAX);
    let started = Instant::now();
    let mut sent: HashMap<u64, Instant> = HashMap::with_capacity(count);
    for group in 0..count {
        let due = started + pace * u32::try_from(group).unwrap_or(u32::MAX);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let body = body(group);
        let at = Instant::now();
        let answer = deliver(server.address, &body);
        assert_eq!(answer.status, 200, "{}", answer.body);
        let json: serde_json::Value = serde_json::from_str(&answer.body).expect("JSON");
        let number = json["incident"]
            .as_str()
            .and_then(|s| s.strip_prefix("INC-"))
            .and_then(|n| n.parse().ok())
            .expect("an incident");
        sent.insert(number, at);
    }
    let posted = started.elapsed();
    // Until every page arrived, or a minute after the last post.
    let deadline = Instant::now() + Duration::from_secs(60);
    while arrivals.lock().expect("arrivals").len() < count && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let arrived = arrivals.lock().expect("arrivals").clone();
    let mut latencies: Vec<Duration> = sent
        .iter()
        .filter_map(|(n, at)| arrived.get(n).map(|got| got.saturating_duration_since(*at)))
        .collect();
    latencies.sort();
    if latencies.is_empty() {
        println!("no page arrived");
        return;
    }
    println!(
        "group posted → page at the webhook   p50 {:>7.1} ms   p99 {:>7.1} ms   max {:>7.1} ms   ({} of {count} arrived; posting took {:.1} s)",
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        latencies.len(),
        posted.as_secs_f64(),
    );
}
