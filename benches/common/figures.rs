//! What the benchmarks share to print figures: sizes from the environment, and percentiles of
//! measured times.

use std::time::Duration;

/// The number in environment variable `name`, or `default`.
pub fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `p`th quantile (0 to 1) of `sorted` times, by nearest rank.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Prints `what: p50 …, p99 …` of `times` in milliseconds with `decimals` places.
pub fn show(what: &str, mut times: Vec<Duration>, decimals: usize) {
    times.sort_unstable();
    println!(
        "{what}: p50 {:.decimals$} ms, p99 {:.decimals$} ms",
        percentile(&times, 0.5).as_secs_f64() * 1000.0,
        percentile(&times, 0.99).as_secs_f64() * 1000.0
    );
}
