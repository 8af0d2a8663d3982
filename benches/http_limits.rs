//! What a single unauthenticated client can do to `warroom serve`, measured on the real binary
//! started under `prlimit --nofile=1024:1024` (as the report that found it did), with the
//! default `[http]` settings:
//!
//! - stalling: how many idle (or half-sent) connections from one address (and, for the cap
//!   over all clients, from 40) it takes before `GET /healthz` from another address misses a
//!   1 s deadline, adding 100 at a time up to 2,000;
//! - memory: the server's resident memory (VmRSS now, VmHWM the peak) after 400 connections
//!   without credentials each send the head of a 1 MiB Alertmanager delivery and 1 MiB − 1
//!   byte of it, from one address and spread over eight; and after 200 stale unsigned Slack
//!   posts of 2 MiB.
//!
//! `WARROOM_BENCH_BIN=/path/to/warroom` measures another build (an older commit's) instead of
//! this one. Run with `cargo bench --bench http_limits`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};

const TOKEN: &str = "bench-token";
const SIGNING_SECRET: &str = "bench-signing-secret";
const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

struct Server {
    child: Child,
    address: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> PathBuf {
    std::env::var_os("WARROOM_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_warroom")))
}

/// `warroom serve` with the webhook and Slack (HTTP mode, its Web API pointing nowhere) on,
/// allowed 1,024 open files.
fn start() -> Server {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = format!(
        "database_url = \"sqlite://{}\"\nrunbook_dirs = []\n\
         [alerts]\nenabled = true\ntoken = {{ env = \"BENCH_ALERTS_TOKEN\" }}\n\
         [slack]\nbot_token = \"xoxb-bench\"\nsigning_secret = {SIGNING_SECRET:?}\n\
         api_url = \"http://127.0.0.1:9/api\"\n",
        dir.path().join("warroom.db").display()
    );
    std::fs::write(dir.path().join("warroom.toml"), config).expect("the config");
    let mut command = Command::new("prlimit");
    for (key, _) in std::env::vars() {
        if key.starts_with("WARROOM_") {
            command.env_remove(key);
        }
    }
    let mut child = command
        .arg("--nofile=1024:1024")
        .arg("--")
        .arg(binary())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env("BENCH_ALERTS_TOKEN", TOKEN)
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("prlimit (util-linux) and the warroom binary start");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let address = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("warroom serve says where it listens");
        if let Some(rest) = line.strip_prefix("warroom: serving on http://") {
            break rest
                .split_whitespace()
                .next()
                .and_then(|a| a.parse().ok())
                .expect("an address");
        }
    };
    Server {
        child,
        address,
        _dir: dir,
    }
}

fn connect_from(from: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.bind(&SocketAddr::new(from, 0).into())?;
    socket.connect_timeout(&to.into(), Duration::from_secs(1))?;
    Ok(socket.into())
}

/// Whether `GET /healthz` is answered (any status) within `deadline`.
fn healthz_within(address: SocketAddr, deadline: Duration) -> bool {
    let start = Instant::now();
    let Ok(mut stream) = connect_from(LOCAL, address) else {
        return false;
    };
    let head = format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    if stream.write_all(head.as_bytes()).is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    let left = deadline.saturating_sub(start.elapsed());
    if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
        return false;
    }
    matches!(stream.read(&mut buf), Ok(n) if n > 0 && buf.starts_with(b"HTTP/1.1"))
}

/// Memory of a process in KiB: (VmRSS, VmHWM).
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The pid of `warroom` itself: `prlimit` execs it, so the child is it.
fn pid(server: &Server) -> u32 {
    server.child.id()
}

/// Connections needed before `/healthz` misses 1 s, or `None` when it never did up to 2,000;
/// opened from `sources` addresses (127.0.2.1 and on), 100 at a time, round robin.
fn stall(half_sent: bool, sources: u8) -> Option<usize> {
    let server = start();
    let mut held = Vec::new();
    while held.len() < 2000 {
        for _ in 0..100 {
            let i = held.len() % usize::from(sources);
            let source = IpAddr::V4(Ipv4Addr::new(127, 0, 2, 1 + i as u8));
            // A full backlog refuses (or times out) new ones: the server stopped accepting.
            let Ok(mut stream) = connect_from(source, server.address) else {
                break;
            };
            if half_sent {
                let _ = stream.write_all(b"GET /alerts/alertmanager HTTP/1.1\r\nHost: x\r\n");
            }
            held.push(stream);
        }
        if !healthz_within(server.address, Duration::from_secs(1)) {
            return Some(held.len());
        }
    }
    None
}

/// Opens `connections` from `sources` addresses (round robin), each sending `head` and then
/// `body_bytes` of body without finishing it; returns the server's (VmRSS, VmHWM) in MiB once
/// every writer is done or stuck, with the connections still open.
fn flood(
    server: &Server,
    sources: u8,
    connections: usize,
    head: &str,
    body_bytes: usize,
) -> (f64, f64) {
    let (done_tx, done_rx) = mpsc::channel();
    let (hold_tx, hold_rx) = mpsc::channel::<TcpStream>();
    for i in 0..connections {
        let source = IpAddr::V4(Ipv4Addr::new(
            127,
            0,
            1,
            1 + (i % usize::from(sources)) as u8,
        ));
        let address = server.address;
        let head = head.to_owned();
        let done = done_tx.clone();
        let hold = hold_tx.clone();
        std::thread::spawn(move || {
            if let Ok(mut stream) = connect_from(source, address) {
                let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
                if stream.write_all(head.as_bytes()).is_ok() {
                    let chunk = vec![b' '; 64 * 1024];
                    let mut left = body_bytes;
                    while left > 0 {
                        let n = left.min(chunk.len());
                        if stream.write_all(&chunk[..n]).is_err() {
                            break;
                        }
                        left -= n;
                    }
                }
                let _ = hold.send(stream);
            }
            let _ = done.send(());
        });
    }
    drop(done_tx);
    drop(hold_tx);
    let held: Vec<TcpStream> = hold_rx.iter().collect();
    while done_rx.recv().is_ok() {}
    // Let the server take in what is in its socket buffers.
    std::thread::sleep(Duration::from_secs(2));
    let (rss, hwm) = memory(pid(server));
    drop(held);
    (rss as f64 / 1024.0, hwm as f64 / 1024.0)
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is read from the command line.
    println!("binary: {}", binary().display());
    for (what, half_sent) in [("idle", false), ("half-sent GETs", true)] {
        for sources in [1u8, 40] {
            match stall(half_sent, sources) {
                Some(n) => println!(
                    "stall: {what} from {sources} address(es): /healthz missed 1 s at {n} connections"
                ),
                None => println!(
                    "stall: {what} from {sources} address(es): /healthz answered within 1 s up to 2,000 connections"
                ),
            }
        }
    }
    let alert_head = "POST /alerts/alertmanager HTTP/1.1\r\nHost: x\r\n\
                      Content-Type: application/json\r\nContent-Length: 1048576\r\n\r\n";
    for sources in [1u8, 8] {
        let server = start();
        std::thread::sleep(Duration::from_secs(1));
        let (idle, _) = memory(pid(&server));
        let (rss, hwm) = flood(&server, sources, 400, alert_head, 1024 * 1024 - 1);
        println!(
            "memory: 400 unauthenticated 1 MiB alert bodies from {sources} address(es): \
             VmRSS {:.0} MiB before, {rss:.0} MiB after, peak {hwm:.0} MiB",
            idle as f64 / 1024.0
        );
    }
    let server = start();
    std::thread::sleep(Duration::from_secs(1));
    let (idle, _) = memory(pid(&server));
    let stale = chrono::Utc::now().timestamp() - 3600;
    let slack_head = format!(
        "POST /slack/commands HTTP/1.1\r\nHost: x\r\nX-Slack-Request-Timestamp: {stale}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 2097152\r\n\r\n"
    );
    let (rss, hwm) = flood(&server, 8, 200, &slack_head, 2 * 1024 * 1024);
    println!(
        "memory: 200 stale unsigned 2 MiB Slack posts from 8 addresses: \
         VmRSS {:.0} MiB before, {rss:.0} MiB after, peak {hwm:.0} MiB",
        idle as f64 / 1024.0
    );
}
