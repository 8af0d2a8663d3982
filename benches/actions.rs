//! Benchmarks of running runbook steps through the engine (run with
//! `cargo bench --bench actions`): the latency from an approval to the process start, and
//! how many trivial read actions run per second, request to recorded result.

// The tests' engine builder; the rest of their support is not needed here.
#[allow(dead_code)]
#[path = "../tests/it/support/engine.rs"]
mod test_engine;

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use warroom::chat::console::ConsoleChat;
use warroom::domain::Platform;
use warroom::domain::{EventKind, IncidentNumber, ParamRules, UserId};
use warroom::engine::port::{Origin, RoomId};
use warroom::engine::{ActionSettings, Settings};
use warroom::executor::{ExecutorSettings, ProcessExecutor};
use warroom::runbook::{Library, import_markdown};

use test_engine::TestEngine;

const RUNBOOK: &str = "---\nid: bench\ntitle: Bench actions\nalerts: [BenchAlert]\n---\n\n# Bench actions\n\n## Mitigation\n```sh action=stamp risk=write\n# Print the start time\ndate +%s%N\n```\n\n## Diagnosis\n```sh action=nothing risk=read\n# Do nothing\ntrue\n```\n";

fn origin(user: &str, room: &str) -> Origin {
    Origin {
        room_id: RoomId::new(Platform::Console, room),
        user: UserId::parse(user).expect("user"),
    }
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let imported = import_markdown("bench.md", RUNBOOK);
    let executor = Arc::new(ProcessExecutor::new(ExecutorSettings {
        allowed_programs: vec!["date".into(), "true".into()],
        max_concurrent: 8,
        ..ExecutorSettings::default()
    }));
    let actions = ActionSettings {
        environment: None,
        approvers: Vec::new(),
        request_expiry: chrono::Duration::minutes(15),
        on_call_may_approve: false,
        default_timeout: Duration::from_secs(10),
        dangerous_allowlist: Vec::new(),
        raised: BTreeMap::new(),
        values: BTreeMap::new(),
        secrets: BTreeSet::new(),
        read_secret: Arc::new(|_: &str| Ok(None)),
        rules: Arc::new(ParamRules::new(&BTreeMap::new()).expect("rules")),
        executor,
    };
    let engine = TestEngine::url(&url)
        .settings(Settings {
            runbooks: Arc::new(Library::new(imported.runbooks)),
            actions: Some(actions),
            ..Settings::default()
        })
        .build()
        .await;
    let chat = ConsoleChat::new(Box::new(io::sink()), "warroom");
    let alice = origin("alice", "lobby");
    for text in ["declare p1 bench", "runbook INC-1 attach bench"] {
        let effects = engine.incidents().handle_text(&alice, text).await;
        engine.delivery().dispatch(&chat, &alice, effects).await;
    }
    let (alice, bob) = (origin("alice", "inc-1"), origin("bob", "inc-1"));

    // Approval to process start: bob asks, alice approves; the process prints its start time.
    const APPROVALS: usize = 200;
    let mut latencies = Vec::new();
    for i in 1..=APPROVALS {
        let effects = engine.incidents().handle_text(&bob, "run 1").await;
        engine.delivery().dispatch(&chat, &bob, effects).await;
        let before = now_ns();
        let effects = engine
            .incidents()
            .handle_text(&alice, &format!("approve r{i}"))
            .await;
        engine.delivery().dispatch(&chat, &alice, effects).await;
        let timeline = engine
            .store()
            .timeline(IncidentNumber(1))
            .await
            .expect("timeline");
        let started: u128 = timeline
            .iter()
            .rev()
            .find_map(|e| match &e.kind {
                EventKind::ActionFinished { output, .. } => output.trim().parse().ok(),
                _ => None,
            })
            .expect("a stamped run");
        latencies.push(started.saturating_sub(before) as f64 / 1e6);
    }
    latencies.sort_by(f64::total_cmp);

    // Trivial read actions one after another: request, run, record, post.
    const RUNS: usize = 300;
    let started = Instant::now();
    for _ in 0..RUNS {
        let effects = engine.incidents().handle_text(&bob, "run 2").await;
        engine.delivery().dispatch(&chat, &bob, effects).await;
    }
    let rate = RUNS as f64 / started.elapsed().as_secs_f64();

    println!(
        "approval to process start ({APPROVALS} approvals): p50 {:.2} ms, p99 {:.2} ms, worst {:.2} ms",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1]
    );
    println!(
        "read action `true` end to end (request, run, timeline, output): {rate:.0} runs/s over {RUNS}"
    );
}
