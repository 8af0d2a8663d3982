//! Benchmarks that print figures (run with `cargo bench --bench executor`):
//! - executions per second of `/bin/true`, one after another and 8 at once;
//! - latency from the `run()` call until the process is running, measured by `date +%s%N`
//!   printing the time it started (so it includes exec and the dynamic loader), p50/p99;
//! - the whole `run()` of `/bin/true`, p50/p99.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use warroom::executor::{Executor, ExecutorSettings, Job, ProcessExecutor};

const SEQUENTIAL: usize = 500;
const CONCURRENT: usize = 1_000;
const TASKS: usize = 8;
const LATENCY_SAMPLES: usize = 300;

fn executor(max_concurrent: usize) -> ProcessExecutor {
    ProcessExecutor::new(ExecutorSettings {
        allowed_programs: vec!["/bin/true".into(), "date".into()],
        search_path: vec![PathBuf::from("/usr/bin"), PathBuf::from("/bin")],
        max_concurrent,
        ..ExecutorSettings::default()
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn sequential_true() {
    let executor = executor(1);
    let job = Job::new(["/bin/true"]);
    let mut times = Vec::with_capacity(SEQUENTIAL);
    let started = Instant::now();
    for _ in 0..SEQUENTIAL {
        let call = Instant::now();
        let outcome = executor.run(&job).await.expect("true runs");
        assert_eq!(outcome.exit_code, Some(0));
        times.push(call.elapsed());
    }
    let total = started.elapsed();
    times.sort();
    println!(
        "/bin/true one after another: {:>6.0} runs/s · run() p50 {:.2} ms, p99 {:.2} ms",
        SEQUENTIAL as f64 / total.as_secs_f64(),
        millis(percentile(&times, 0.50)),
        millis(percentile(&times, 0.99)),
    );
}

async fn concurrent_true() {
    let executor = Arc::new(executor(TASKS));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let executor = Arc::clone(&executor);
        tasks.push(tokio::spawn(async move {
            let job = Job::new(["/bin/true"]);
            for _ in 0..CONCURRENT / TASKS {
                let outcome = executor.run(&job).await.expect("true runs");
                assert_eq!(outcome.exit_code, Some(0));
            }
        }));
    }
    for task in tasks {
        task.await.expect("bench task");
    }
    let total = started.elapsed();
    println!(
        "/bin/true {TASKS} at once:        {:>6.0} runs/s",
        CONCURRENT as f64 / total.as_secs_f64(),
    );
}

async fn start_latency() {
    let executor = executor(1);
    let job = Job::new(["date", "+%s%N"]);
    let mut latencies = Vec::with_capacity(LATENCY_SAMPLES);
    for _ in 0..LATENCY_SAMPLES {
        let called = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970");
        let outcome = executor.run(&job).await.expect("date runs");
        let printed: u128 = outcome.output.trim().parse().expect("nanoseconds");
        let started = Duration::from_nanos(u64::try_from(printed).expect("fits"));
        latencies.push(started.saturating_sub(called));
    }
    latencies.sort();
    println!(
        "run() call to process running (date +%s%N): p50 {:.2} ms, p99 {:.2} ms",
        millis(percentile(&latencies, 0.50)),
        millis(percentile(&latencies, 0.99)),
    );
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    sequential_true().await;
    concurrent_true().await;
    start_latency().await;
}
