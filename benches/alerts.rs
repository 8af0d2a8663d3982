//! The Alertmanager webhook under load (run with `cargo bench --bench alerts`): the real
//! `warroom serve` binary (SQLite file, the project's runbooks, chat to a file) on loopback,
//! posted to over plain HTTP/1.1 with one connection per delivery, as Alertmanager does.
//! Prints requests per second and p50/p99 latency for:
//! - new-group deliveries, one at a time (each declares an incident, plans its timers, creates
//!   the war room, posts the card, the alerts and the runbook or suggestions);
//! - repeat deliveries of known groups with known alerts, one at a time (nothing new recorded);
//! - new-group and repeat deliveries from 8 connections at once.
//!
//! On PostgreSQL too when `WARROOM_TEST_POSTGRES_URL` names a server (a fresh database is made).
//! `WARROOM_BENCH_ALERTS` changes the number of deliveries per figure (default 500).

// The integration tests' support; a bench uses a part of it.
#[allow(dead_code)]
#[path = "../tests/it/support/mod.rs"]
mod support;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::postgres;
use support::webhook;
use webhook::{Server, deliver};

const FIRING: &[u8] = include_bytes!("../tests/fixtures/alertmanager/alertmanager-firing.json");
const CONCURRENCY: usize = 8;

/// The body of group `group` with one alert.
fn body(group: usize) -> Vec<u8> {
    let mut n: serde_json::Value = serde_json::from_slice(FIRING).expect("the fixture");
    let name = format!("BenchAlert{group}");
    n["groupKey"] = format!("{{}}:{{alertname=\"{name}\"}}").into();
    n["commonLabels"]["alertname"] = name.clone().into();
    n["groupLabels"]["alertname"] = name.clone().into();
    n["commonAnnotations"]["summary"] = format!("Bench group {group}").into();
    n["alerts"][0]["labels"]["alertname"] = name.into();
    n["alerts"][0]["fingerprint"] = format!("{group:016x}").into();
    n.to_string().into_bytes()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Posts every body from `threads` connections at once; prints the figures.
fn measure(label: &str, server: &Server, bodies: Vec<Vec<u8>>, threads: usize) {
    let count = bodies.len();
    let queue = Arc::new(Mutex::new(bodies));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(count)));
    let address = server.address;
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let queue = queue.clone();
            let latencies = latencies.clone();
            std::thread::spawn(move || {
                loop {
                    let Some(body) = queue.lock().expect("the queue").pop() else {
                        break;
                    };
                    let sent = Instant::now();
                    let answer = deliver(address, &body);
                    let took = sent.elapsed();
                    assert_eq!(answer.status, 200, "{}", answer.body);
                    latencies.lock().expect("the latencies").push(took);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("a sender");
    }
    let elapsed = started.elapsed();
    let mut sorted = latencies.lock().expect("the latencies").clone();
    sorted.sort();
    println!(
        "{label:<48} {:>7.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   ({count} in {:.2} s)",
        count as f64 / elapsed.as_secs_f64(),
        percentile(&sorted, 0.50).as_secs_f64() * 1000.0,
        percentile(&sorted, 0.99).as_secs_f64() * 1000.0,
        elapsed.as_secs_f64(),
    );
}

fn run(backend: &str, url: &str, dir: &Path, count: usize) {
    let runbooks = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let server = Server::start(dir, url, &runbooks, "");
    println!("-- {backend}");
    measure(
        "new group, one at a time",
        &server,
        (0..count).map(body).collect(),
        1,
    );
    measure(
        "repeat of a known group, one at a time",
        &server,
        (0..count).map(body).collect(),
        1,
    );
    measure(
        &format!("new group, {CONCURRENCY} connections"),
        &server,
        (count..2 * count).map(body).collect(),
        CONCURRENCY,
    );
    measure(
        &format!("repeat of a known group, {CONCURRENCY} connections"),
        &server,
        (count..2 * count).map(body).collect(),
        CONCURRENCY,
    );
}

fn main() {
    let count: usize = std::env::var("WARROOM_BENCH_ALERTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("Alertmanager webhook, {count} deliveries per figure, {cores} cores");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("warroom.db").display());
    run("SQLite (file, WAL)", &url, dir.path(), count);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    if let Some((_, _, url)) = runtime.block_on(postgres::fresh_postgres("alerts bench", "bench")) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        run("PostgreSQL", &url, dir.path(), count);
    }
}
