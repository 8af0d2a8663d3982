//! `warroom serve` against clients that do not play along: idle and slow-loris sockets, one peer
//! holding many connections, unauthenticated requests that declare a body and never send it,
//! cleartext HTTP/2, and SIGTERM while a client holds a request open. The server is the real
//! binary with short `[http]` timeouts, so that each case ends in seconds. Nothing here asserts
//! on how fast something happens: only that it happens within a generous bound.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use secrecy::SecretString;
use socket2::{Domain, Socket, Type};
use warroom::chat::slack::SignatureVerifier;

use crate::support::webhook;
use webhook::{PATH_SECRET, Server, TOKEN};

/// The signing secret of the test servers' Slack.
const SIGNING_SECRET: &str = "http-limits-signing-secret";
/// Long enough for anything that should happen to happen, even on a loaded machine.
const BOUND: Duration = Duration::from_secs(30);
/// Where the hostile clients connect from; `/healthz` is asked from 127.0.0.1.
const HOSTILE: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

fn runbooks() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks")
}

/// A `warroom serve` with the webhook on, Slack in HTTP mode (its Web API pointing nowhere:
/// nothing here makes Warroom call it) and `http` as the `[http]` table.
fn start(dir: &Path, http: &str) -> Server {
    let extra = format!(
        "\n[slack]\nbot_token = \"xoxb-http-limits\"\nsigning_secret = {SIGNING_SECRET:?}\n\
         api_url = \"http://127.0.0.1:9/api\"\n\n[http]\n{http}\n"
    );
    let url = format!("sqlite://{}", dir.join("warroom.db").display());
    Server::start(dir, &url, &runbooks(), &extra)
}

/// A socket to `to` from `from` (any loopback address works as a source on Linux); an error
/// when the server's backlog is full.
fn connect_from(from: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.bind(&SocketAddr::new(from, 0).into())?;
    socket.connect_timeout(&to.into(), Duration::from_secs(2))?;
    Ok(socket.into())
}

fn connect(to: SocketAddr) -> TcpStream {
    connect_from(IpAddr::V4(Ipv4Addr::LOCALHOST), to).expect("connects")
}

/// Reads until the server closes the connection, for at most `within`: `true` when it did
/// (end of stream or a reset), `false` when the socket was still open at the end.
fn closed_within(mut stream: &TcpStream, within: Duration) -> bool {
    let until = Instant::now() + within;
    let mut buf = [0u8; 4096];
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        stream.set_read_timeout(Some(left)).expect("a read timeout");
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false;
            }
            Err(_) => return true,
        }
    }
}

/// Writes `head`, then reads what comes back within `within`: the status line's code, or
/// `None` when nothing came (or the connection closed without an answer).
fn status_of(stream: &mut TcpStream, head: &str, within: Duration) -> Option<u16> {
    stream.write_all(head.as_bytes()).expect("the head is sent");
    stream
        .set_read_timeout(Some(within))
        .expect("a read timeout");
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    while !raw.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&raw);
    text.strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
}

/// `GET /healthz` from 127.0.0.1: its status, or `None` when it got no answer within `BOUND`.
fn healthz(address: SocketAddr) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&address, BOUND).ok()?;
    let head = format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    status_of(&mut stream, &head, BOUND)
}

#[test]
fn idle_slow_and_finished_keep_alive_sockets_are_closed() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = start(
        dir.path(),
        "header_read_timeout = \"1s\"\nrequest_timeout = \"5s\"",
    );
    let address = server.address;

    // Connected, and nothing sent.
    let idle = connect(address);
    // One request answered over keep-alive, then nothing.
    let mut kept = connect(address);
    let head = format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\n\r\n");
    assert_eq!(status_of(&mut kept, &head, BOUND), Some(200));
    // Slow loris: a header line now and then, never the blank line that ends the head.
    let slow = connect(address);
    let mut writer = slow.try_clone().expect("a second handle");
    let dripping = std::thread::spawn(move || {
        let _ =
            writer.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\n").as_bytes());
        let until = Instant::now() + BOUND;
        while Instant::now() < until {
            if writer.write_all(b"X-Slow: 1\r\n").is_err() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        false
    });

    assert!(closed_within(&idle, BOUND), "an idle socket stayed open");
    assert!(
        closed_within(&kept, BOUND),
        "an idle keep-alive socket stayed open"
    );
    assert!(
        closed_within(&slow, BOUND),
        "a slow-loris socket stayed open"
    );
    assert!(
        dripping.join().expect("the dripping thread"),
        "the slow loris could write for the whole bound"
    );
    assert_eq!(healthz(address), Some(200));
}

#[test]
fn one_peer_over_its_cap_cannot_stop_healthz() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // Timeouts far away, so that only the cap can close the excess.
    let server = start(
        dir.path(),
        "header_read_timeout = \"60s\"\nrequest_timeout = \"60s\"\nmax_connections_per_peer = 8",
    );
    let address = server.address;
    // As in the report: far fewer descriptors than the client opens sockets.
    let limited = std::process::Command::new("prlimit")
        .arg(format!("--pid={}", server.pid()))
        .arg("--nofile=256:256")
        .status()
        .expect("prlimit (util-linux) runs");
    assert!(limited.success(), "prlimit failed");

    let mut held = Vec::new();
    for i in 0..400 {
        // A server that stopped accepting leaves later ones waiting in its backlog.
        let Ok(mut stream) = connect_from(HOSTILE, address) else {
            break;
        };
        if i % 2 == 0 {
            // Half-sent GETs without credentials.
            let _ = stream.write_all(b"GET /alerts/alertmanager HTTP/1.1\r\nHost: x\r\n");
        }
        held.push(stream);
    }
    assert_eq!(
        healthz(address),
        Some(200),
        "/healthz did not answer while one peer held 400 sockets"
    );
    // The excess was closed by the server, not left waiting: look again at the sockets still
    // open until at most the cap is left, within the bound.
    assert_eq!(held.len(), 400, "the server stopped accepting");
    let until = Instant::now() + BOUND;
    let mut open: Vec<&TcpStream> = held.iter().collect();
    while open.len() > 8 && Instant::now() < until {
        open.retain(|s| !closed_within(s, Duration::from_millis(50)));
    }
    assert!(
        open.len() <= 8,
        "{} of 400 sockets are still open",
        open.len()
    );
    // The webhook still takes deliveries.
    let answer = webhook::post(
        address,
        &format!("/alerts/alertmanager/{PATH_SECRET}"),
        &[],
        b"{}",
    );
    assert_eq!(answer.status, 400, "{answer:?}");
}

#[test]
fn a_wrong_token_with_a_declared_body_is_refused_before_the_body() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = start(
        dir.path(),
        "header_read_timeout = \"60s\"\nrequest_timeout = \"3s\"",
    );
    let address = server.address;
    for (what, path, auth) in [
        ("a wrong token", "/alerts/alertmanager", "Bearer nope"),
        ("no token", "/alerts/alertmanager", "Basic eDp5"),
        (
            "a wrong path secret",
            "/alerts/alertmanager/nope",
            "Bearer nope",
        ),
    ] {
        let mut stream = connect(address);
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: {auth}\r\n\
             Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        );
        assert_eq!(status_of(&mut stream, &head, BOUND), Some(401), "{what}");
    }

    // The right token and a declared body over the limit: refused without reading it.
    let mut stream = connect(address);
    let head = format!(
        "POST /alerts/alertmanager HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        2 * 1024 * 1024
    );
    assert_eq!(status_of(&mut stream, &head, BOUND), Some(413));

    // The right token and a body that never comes: the request's time runs out.
    let mut stream = connect(address);
    let head = format!(
        "POST /alerts/alertmanager HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    );
    assert_eq!(status_of(&mut stream, &head, BOUND), Some(408));
}

#[test]
fn unsigned_or_stale_slack_requests_are_refused_before_their_body() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = start(
        dir.path(),
        "header_read_timeout = \"60s\"\nrequest_timeout = \"60s\"",
    );
    let address = server.address;
    let now = chrono::Utc::now().timestamp();
    let stale = (now - 3600).to_string();
    let fresh = now.to_string();
    for path in ["/slack/commands", "/slack/interactions", "/slack/events"] {
        for (what, headers, length, expected) in [
            ("unsigned", String::new(), 100_000, 401),
            (
                "no timestamp",
                "X-Slack-Signature: v0=00\r\n".to_owned(),
                100_000,
                401,
            ),
            (
                "stale",
                format!("X-Slack-Request-Timestamp: {stale}\r\nX-Slack-Signature: v0=00\r\n"),
                100_000,
                401,
            ),
            ("unsigned and 2 MiB", String::new(), 2 * 1024 * 1024, 0),
            (
                "fresh but over the limit",
                format!("X-Slack-Request-Timestamp: {fresh}\r\nX-Slack-Signature: v0=00\r\n"),
                2 * 1024 * 1024,
                413,
            ),
            (
                "fresh, and the body never comes",
                format!("X-Slack-Request-Timestamp: {fresh}\r\nX-Slack-Signature: v0=00\r\n"),
                1000,
                408,
            ),
        ] {
            let mut stream = connect(address);
            let head = format!(
                "POST {path} HTTP/1.1\r\nHost: {address}\r\n{headers}\
                 Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n"
            );
            let status = status_of(&mut stream, &head, BOUND);
            match expected {
                // Refused either way, as long as it is refused without the body.
                0 => assert!(
                    matches!(status, Some(401 | 413)),
                    "{path}, {what}: {status:?}"
                ),
                code => assert_eq!(status, Some(code), "{path}, {what}"),
            }
        }
    }

    // A request Slack signed still gets in.
    let body = r#"{"type":"url_verification","challenge":"c-42","token":"x"}"#;
    let signature =
        SignatureVerifier::new(SecretString::from(SIGNING_SECRET)).sign(&fresh, body.as_bytes());
    let answer = webhook::post(
        address,
        "/slack/events",
        &[
            &format!("X-Slack-Request-Timestamp: {fresh}"),
            &format!("X-Slack-Signature: {signature}"),
        ],
        body.as_bytes(),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(answer.body.contains("c-42"), "{answer:?}");
}

#[test]
fn cleartext_http2_is_not_served() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = start(dir.path(), "");
    let mut stream = connect(server.address);
    // The prior-knowledge preface, then an empty SETTINGS frame.
    let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    hello.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    stream.write_all(&hello).expect("the preface is sent");
    stream
        .set_read_timeout(Some(BOUND))
        .expect("a read timeout");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    // An HTTP/2 server answers with its own SETTINGS frame (type 4 in the fourth byte).
    let http2 = answer.len() >= 9 && answer[3] == 4;
    assert!(!http2, "answered in HTTP/2: {answer:?}");
}

#[test]
fn sigterm_with_a_request_held_open_exits_within_the_deadline() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut server = start(
        dir.path(),
        "header_read_timeout = \"60s\"\nrequest_timeout = \"60s\"\nshutdown_timeout = \"1s\"",
    );
    let address = server.address;
    // An authenticated delivery whose body never comes, and a half-sent head.
    let mut held = connect(address);
    let head = format!(
        "POST /alerts/alertmanager HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    );
    held.write_all(head.as_bytes()).expect("the head is sent");
    let mut half = connect(address);
    half.write_all(b"GET /healthz HTTP/1.1\r\n")
        .expect("half a head is sent");
    // Give the server a moment to start working on the request.
    std::thread::sleep(Duration::from_millis(300));
    let pid = Pid::from_raw(i32::try_from(server.pid()).expect("a pid"));
    kill(pid, Signal::SIGTERM).expect("SIGTERM sent");
    let status = server.wait_for_exit(BOUND);
    assert!(
        status.is_some(),
        "warroom serve was still running {BOUND:?} after SIGTERM"
    );
    assert!(status.unwrap().success(), "exit status {status:?}");
    assert!(closed_within(&held, BOUND));
    drop(half);
}
