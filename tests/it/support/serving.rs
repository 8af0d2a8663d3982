//! Starting a `warroom serve` for a test, reading what it says, and waiting for it to say
//! where it listens.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// Runs `command` (the `warroom` binary with its environment and any global options) as
/// `serve` on a free loopback port, stdin and stdout closed, stderr echoed under `tag`; waits
/// at most `within` until it says where it listens. The child, its address, and what it said
/// before.
pub fn start_serve(
    mut command: Command,
    tag: &'static str,
    within: Duration,
) -> (Child, SocketAddr, Vec<String>) {
    let mut child = command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        // Pages are printed there without a chat; the tests read the database or the chat.
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the warroom binary starts");
    let lines = read_stderr(&mut child, Echo::Stderr(tag));
    let (address, said) = said_until_serving(&mut child, &lines, within);
    (child, address, said)
}

/// Where a server's stderr lines are echoed besides the channel.
pub enum Echo {
    /// To the test's own stderr, each line after `[tag]`.
    Stderr(&'static str),
    /// To a file (read back by the test, or left for a person to look at).
    File(PathBuf),
}

/// Reads `child`'s piped stderr to its end on a thread of its own, so that the server never
/// blocks on a full pipe, echoing each line to `echo`; returns the lines. Once the address is
/// known nobody may listen any more: the thread keeps draining anyway.
pub fn read_stderr(child: &mut Child, echo: Echo) -> Receiver<String> {
    let stderr = child.stderr.take().expect("stderr is piped");
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        let mut file = match &echo {
            Echo::File(path) => Some(std::fs::File::create(path).expect("a log file")),
            Echo::Stderr(_) => None,
        };
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            match (&echo, file.as_mut()) {
                (Echo::Stderr(tag), _) => eprintln!("[{tag}] {line}"),
                (Echo::File(_), Some(file)) => {
                    let _ = writeln!(file, "{line}");
                }
                (Echo::File(_), None) => {}
            }
            let _ = lines.send(line);
        }
    });
    received
}

/// Reads the server's stderr lines (sent by the caller's reader thread) until its
/// `warroom: serving on http://ADDR` line, and returns ADDR. A server that says nothing of the
/// kind within `within` is killed, and the test fails with what it did say.
pub fn wait_until_serving(
    child: &mut Child,
    lines: &Receiver<String>,
    within: Duration,
) -> SocketAddr {
    said_until_serving(child, lines, within).0
}

/// The same, with every line the server said before (its start-up summary).
pub fn said_until_serving(
    child: &mut Child,
    lines: &Receiver<String>,
    within: Duration,
) -> (SocketAddr, Vec<String>) {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                if let Some(rest) = line.strip_prefix("warroom: serving on http://") {
                    let address = rest
                        .split_whitespace()
                        .next()
                        .and_then(|a| a.parse().ok())
                        .unwrap_or_else(|| panic!("no address in '{line}'"));
                    return (address, seen);
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
