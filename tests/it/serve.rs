//! `warroom serve` run as an operator runs it: the real binary on port 0, its address read from
//! its start-up line, `/healthz` polled with a deadline, stopped with SIGTERM (or killed with
//! SIGKILL), and its timers checked in the database.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use chrono::Utc;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use warroom::domain::{EventKind, IncidentNumber, IncidentTitle, Severity, TimerKind, UserId};
use warroom::store::Store;

use crate::support::binary;
use crate::support::postgres;
use crate::support::serving;
use binary::{sqlite_url, warroom};

/// How long a server may take to say it is serving.
const START_DEADLINE: Duration = Duration::from_secs(30);
/// How long to wait for timers to fire or a process to stop: more than the 60 s lease that a
/// crashed replica may leave on a timer.
const DEADLINE: Duration = Duration::from_secs(90);
/// The pause between two looks at something that is not there yet.
const POLL: Duration = Duration::from_millis(50);

/// A running `warroom serve`; killed when dropped, if still running.
struct Server {
    child: Child,
    address: SocketAddr,
}

impl Server {
    /// Starts `warroom serve --listen 127.0.0.1:0` on `database_url` and waits for the line
    /// that says where it listens.
    fn start(dir: &Path, database_url: &str) -> Server {
        Server::start_saying(dir, database_url, &[]).0
    }

    /// The same with more environment variables, and what it said at start-up.
    fn start_saying(dir: &Path, database_url: &str, env: &[(&str, &str)]) -> (Server, Vec<String>) {
        let mut command = crate::support::binary::command(dir);
        command
            .envs(env.iter().copied())
            .env("WARROOM_DATABASE_URL", database_url);
        let (child, address, said) = serving::start_serve(command, "serve", START_DEADLINE);
        (Server { child, address }, said)
    }

    fn pid(&self) -> Pid {
        Pid::from_raw(i32::try_from(self.child.id()).expect("a pid"))
    }

    /// Sends SIGTERM and waits for the process to end.
    fn stop(mut self) -> ExitStatus {
        kill(self.pid(), Signal::SIGTERM).expect("SIGTERM sent");
        wait_with_deadline(&mut self.child)
    }

    /// Kills the process at once, as a crash or an OOM killer would.
    fn crash(mut self) {
        kill(self.pid(), Signal::SIGKILL).expect("SIGKILL sent");
        wait_with_deadline(&mut self.child);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn wait_with_deadline(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(status) = child.try_wait().expect("the process can be waited for") {
            return status;
        }
        assert!(Instant::now() < deadline, "warroom serve did not stop");
        std::thread::sleep(POLL);
    }
}

/// `GET path` over a plain HTTP/1.1 connection: the status code and the body.
fn get(address: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not HTTP: {response:?}")))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// Polls `/healthz` until it answers 200, within the deadline.
fn wait_healthy(address: SocketAddr) -> String {
    let deadline = Instant::now() + START_DEADLINE;
    loop {
        match get(address, "/healthz") {
            Ok((200, body)) => return body,
            other => assert!(
                Instant::now() < deadline,
                "/healthz never answered 200: {other:?}"
            ),
        }
        std::thread::sleep(POLL);
    }
}

/// The `paged` events of an incident, as (level, late_secs).
async fn pages(store: &Store, incident: IncidentNumber) -> Vec<(u32, i64)> {
    store
        .timeline(incident)
        .await
        .expect("the timeline")
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::Paged {
                level, late_secs, ..
            } => Some((level, late_secs)),
            _ => None,
        })
        .collect()
}

#[test]
fn serve_answers_healthz_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = Server::start(dir.path(), &sqlite_url(dir.path()));
    let body = wait_healthy(server.address);
    assert_eq!(
        body,
        r#"{"status":"ok","database":"ok","outbox":{"pending":0,"oldest_secs":0,"failing":{},"undelivered_pages":0}}"#
    );
    let status = server.stop();
    assert!(status.success(), "warroom serve exited with {status}");
}

#[test]
fn serve_says_at_start_what_it_serves() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::create_dir_all(dir.path().join("runbooks")).expect("runbooks");
    std::fs::write(
        dir.path().join("runbooks/disk.md"),
        "# Disk full\n\n## Fix\n```sh\ndf -h\n```\n",
    )
    .expect("runbook");
    std::fs::write(
        dir.path().join("warroom.toml"),
        "[actions]\ndry_run = true\nallowed_programs = [\"df\"]\n",
    )
    .expect("config");
    let (server, said) = Server::start_saying(
        dir.path(),
        &sqlite_url(dir.path()),
        &[("WARROOM_LOG", "debug")],
    );
    for line in [
        "warroom: chats: none: pages and reminders are written to stdout",
        "warroom: alerts: off ([alerts] enabled = false)",
        "warroom: runbooks: 1 loaded from runbooks",
        "warroom: actions: dry runs: nothing starts ([actions] dry_run)",
        "warroom: pages beyond the chat: none ([[people]] names no email, ntfy, webhook, PagerDuty or Opsgenie)",
    ] {
        assert!(said.iter().any(|l| l == line), "{line:?} not in {said:#?}");
    }
    assert!(
        said.iter().any(|l| l.starts_with("warroom: P1: after 0m:")),
        "whom each severity pages: {said:#?}"
    );
    // The log lines (at debug, the database's queries), without colour codes: stderr is
    // not a terminal.
    assert!(said.iter().any(|l| l.contains(" DEBUG ")), "{said:#?}");
    assert!(said.iter().all(|l| !l.contains('\u{1b}')), "{said:#?}");
    assert!(server.stop().success());
}

#[tokio::test]
async fn a_crash_leaves_timers_that_fire_late_once_after_restart() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = sqlite_url(dir.path());
    // Declared 20 minutes ago: level 1 pages at once (in the console), levels 2 (+5 min) and
    // 3 (+15 min) are overdue, the first reminder (+30 min) is pending.
    let start = (Utc::now() - chrono::Duration::minutes(20)).to_rfc3339();
    let declared = warroom(
        dir.path(),
        &url,
        &["console", &format!("--simulated-clock={start}")],
        "alice: /incident declare p1 Checkout down\n",
    );
    assert!(
        declared.status.success(),
        "the console failed: {}",
        String::from_utf8_lossy(&declared.stderr)
    );

    let first = Server::start(dir.path(), &url);
    first.crash();

    let second = Server::start(dir.path(), &url);
    let store = Store::connect(&url).await.expect("the database");
    let incident = IncidentNumber(1);
    let deadline = Instant::now() + DEADLINE;
    let fired = loop {
        let fired = pages(&store, incident).await;
        let levels: Vec<u32> = fired.iter().map(|(level, _)| *level).collect();
        if levels.contains(&2) && levels.contains(&3) {
            break fired;
        }
        assert!(
            Instant::now() < deadline,
            "levels 2 and 3 were not paged: {fired:?}"
        );
        tokio::time::sleep(POLL).await;
    };
    let status = second.stop();
    assert!(status.success(), "warroom serve exited with {status}");

    // Read again after the stop: nothing fired twice in the meantime.
    let fired_after = pages(&store, incident).await;
    assert!(fired_after.len() >= fired.len());
    for level in 1..=3 {
        let times = fired_after.iter().filter(|(l, _)| *l == level).count();
        assert_eq!(
            times, 1,
            "level {level} paged {times} times: {fired_after:?}"
        );
    }
    for (level, late) in &fired_after {
        if *level >= 2 {
            assert!(*late >= 60, "level {level} says it was {late} s late");
        }
    }
}

#[tokio::test]
async fn two_replicas_fire_each_of_a_thousand_timers_once() {
    let Some((server, name, url)) =
        postgres::fresh_postgres("two_replicas_fire_each_of_a_thousand_timers_once", "serve").await
    else {
        return;
    };
    let store = Store::connect(&url).await.expect("the database");
    let title = IncidentTitle::parse("Checkout down").expect("a title");
    let by = UserId::parse("alice").expect("a user");
    let now = Utc::now();
    let mut incidents = Vec::new();
    for i in 0..250 {
        let (incident, _) = store
            .declare(
                &title,
                Severity::P0,
                &by,
                now - chrono::Duration::minutes(60),
            )
            .await
            .expect("declared");
        // P0 pages four levels; all 1,000 pages come due within the next 10 s.
        let timers: Vec<_> = (1..=4u32)
            .map(|level| {
                let spread = chrono::Duration::milliseconds(i64::from(level - 1) * 2_500 + i * 10);
                (TimerKind::Page { level }, now + spread)
            })
            .collect();
        store
            .schedule_timers(incident.number, &timers)
            .await
            .expect("scheduled");
        incidents.push(incident.number);
    }

    let dir = tempfile::tempdir().expect("a temporary directory");
    let one = Server::start(dir.path(), &url);
    let two = Server::start(dir.path(), &url);

    let count = |all: &HashMap<IncidentNumber, Vec<(u32, i64)>>| -> usize {
        all.values().map(Vec::len).sum()
    };
    let deadline = Instant::now() + DEADLINE;
    let mut all = HashMap::new();
    loop {
        all.clear();
        for &n in &incidents {
            all.insert(n, pages(&store, n).await);
        }
        if count(&all) >= 1_000 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of 1,000 pages fired",
            count(&all)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(one.stop().success(), "replica one failed");
    assert!(two.stop().success(), "replica two failed");

    all.clear();
    for &n in &incidents {
        all.insert(n, pages(&store, n).await);
    }
    assert_eq!(count(&all), 1_000);
    for (n, fired) in &all {
        let mut levels: Vec<u32> = fired.iter().map(|(l, _)| *l).collect();
        levels.sort_unstable();
        assert_eq!(levels, vec![1, 2, 3, 4], "{n} was paged {levels:?}");
    }

    drop(store);
    if let Ok(mut admin) = PgConnection::connect(&server).await {
        let _ = sqlx::query(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await;
    }
}
