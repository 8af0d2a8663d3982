//! Waiting for a `warroom serve` started by a test to say where it listens.

use std::net::SocketAddr;
use std::process::Child;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// Reads the server's stderr lines (sent by the caller's reader thread) until its
/// `warroom: serving on http://ADDR` line, and returns ADDR. A server that says nothing of the
/// kind within `within` is killed, and the test fails with what it did say.
pub fn wait_until_serving(
    child: &mut Child,
    lines: &Receiver<String>,
    within: Duration,
) -> SocketAddr {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                if let Some(rest) = line.strip_prefix("warroom: serving on http://") {
                    return rest
                        .split_whitespace()
                        .next()
                        .and_then(|a| a.parse().ok())
                        .unwrap_or_else(|| panic!("no address in '{line}'"));
                }
                seen.push(line);
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("warroom serve did not start ({e}); it said: {seen:#?}");
            }
        }
    }
}
