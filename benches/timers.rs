//! The timer scheduler under load (run with `cargo bench --bench timers`), printing figures:
//! - lateness (fired_at - due_at) of 100,000 page timers in a SQLite file, due over 60 s, fired
//!   by the in-process scheduler: p50, p99, max;
//! - CPU time used over 10 s of idle once everything fired (the scheduler must not poll busily);
//! - resident memory (VmRSS).
//!
//! `WARROOM_BENCH_TIMERS` changes the number of timers (a multiple of 4: each P0 incident pages
//! four levels); `WARROOM_BENCH_MARGIN_SECS` the time left for setting them up before the first
//! one is due (default 60).

// The tests' engine builder; the rest of their support is not needed here.
#[allow(dead_code)]
#[path = "../tests/it/support/engine.rs"]
mod test_engine;

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use warroom::chat::console::ConsoleChat;
use warroom::domain::{IncidentTitle, Severity, TimerKind, UserId};
use warroom::engine::port::ChatPort;
use warroom::store::{Store, Told};

use test_engine::TestEngine;

/// Over how long the timers come due.
const SPREAD: Duration = Duration::from_secs(60);
/// How long to watch the idle scheduler.
const IDLE: Duration = Duration::from_secs(10);

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// utime + stime of this process, in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')').expect("a stat line") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks: f64 =
        fields[11].parse::<f64>().expect("utime") + fields[12].parse::<f64>().expect("stime");
    // CLK_TCK is 100 on every Linux this runs on.
    ticks / 100.0
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let timers = env_number("WARROOM_BENCH_TIMERS", 100_000) / 4 * 4;
    let margin = Duration::from_secs(env_number("WARROOM_BENCH_MARGIN_SECS", 60));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("timers.db").display());
    let store = Store::connect(&url).await.expect("the bench database");

    let setup = Instant::now();
    let first_due = Utc::now() + chrono::Duration::from_std(margin).expect("margin");
    let title = IncidentTitle::parse("Checkout down").expect("a title");
    let by = UserId::parse("alice").expect("a user");
    let incidents = timers / 4;
    let step = SPREAD.as_secs_f64() / timers as f64;
    for i in 0..incidents {
        // Declared with nothing told: the timers below are the pages under test.
        let told = Told::nothing();
        let (incident, _) = store
            .declare_told(
                &title,
                Severity::P0,
                &by,
                Utc::now() - chrono::Duration::hours(1),
                &told,
            )
            .await
            .expect("declared");
        // Interleaved: incident i pages level L at slot (L-1)*incidents + i, so every incident
        // is paged four times across the minute.
        let planned: Vec<_> = (1..=4u64)
            .map(|level| {
                let slot = (level - 1) * incidents + i;
                let offset = chrono::Duration::microseconds((slot as f64 * step * 1e6) as i64);
                (
                    TimerKind::Page {
                        level: level as u32,
                    },
                    first_due + offset,
                )
            })
            .collect();
        store
            .schedule_timers(incident.number, &planned)
            .await
            .expect("scheduled");
    }
    let setup_secs = setup.elapsed().as_secs_f64();
    let left = (first_due - Utc::now()).as_seconds_f64();
    println!(
        "set up {incidents} incidents and {timers} timers in {setup_secs:.1} s; \
         the first is due in {left:.1} s"
    );
    if left < 0.0 {
        println!(
            "  (set-up overran the margin: the first timers are late before the scheduler starts)"
        );
    }

    let engine = Arc::new(TestEngine::store(store.clone()).build().await);
    let port: Arc<dyn ChatPort> = Arc::new(ConsoleChat::new(Box::new(io::sink()), "warroom"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let scheduler = tokio::spawn(warroom::scheduler::run(
        engine.clone(),
        vec![port],
        format!("bench-{}", std::process::id()),
        async {
            let _ = stopped.await;
        },
    ));

    let started = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if store.next_due().await.expect("next due").is_none() {
            break;
        }
        assert!(
            started.elapsed() < margin + SPREAD + Duration::from_secs(600),
            "timers still pending after 10 minutes past the last due time"
        );
    }
    let run_secs = started.elapsed().as_secs_f64();

    let mut lateness = store.timer_lateness().await.expect("lateness");
    lateness.sort_by(f64::total_cmp);
    assert_eq!(lateness.len() as u64, timers, "every timer fired");
    println!(
        "fired {} timers ({run_secs:.1} s after the scheduler started); lateness: \
         p50 {:.3} s, p99 {:.3} s, max {:.3} s",
        lateness.len(),
        percentile(&lateness, 0.50),
        percentile(&lateness, 0.99),
        lateness[lateness.len() - 1],
    );

    let cpu_before = cpu_seconds();
    let idle_start = Instant::now();
    tokio::time::sleep(IDLE).await;
    let cpu = cpu_seconds() - cpu_before;
    println!(
        "idle: {cpu:.3} s of CPU over {:.1} s ({:.2} %); VmRSS {} MiB",
        idle_start.elapsed().as_secs_f64(),
        100.0 * cpu / idle_start.elapsed().as_secs_f64(),
        rss_kib() / 1024
    );

    let _ = stop.send(());
    scheduler.await.expect("the scheduler stops");
}
