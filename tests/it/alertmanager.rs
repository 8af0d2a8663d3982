//! A real Prometheus Alertmanager (Debian's `prometheus-alertmanager`, started on loopback by
//! `scripts/start-alertmanager.sh`) whose webhook receiver is the real `warroom serve`: alerts
//! posted to Alertmanager's API declare an incident with the runbook that lists the alert,
//! firing again adds only the new alert, and resolving puts the resolve on the timeline.
//!
//! Skipped, with a line saying so, only when the binary is missing and
//! `WARROOM_TEST_REQUIRE_ALERTMANAGER` is not set (`.ci/run` sets it, so CI fails instead).
//! When `WARROOM_TEST_ALERTMANAGER_PORT` names the port of an Alertmanager the script already
//! started (`.ci/run` does), that one is pointed at this test's server by a config reload.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use warroom::domain::{EventKind, IncidentNumber, Status};
use warroom::store::Store;

use crate::support::webhook;
use webhook::{Server, post};

const REQUIRE: &str = "WARROOM_TEST_REQUIRE_ALERTMANAGER";
const PORT: &str = "WARROOM_TEST_ALERTMANAGER_PORT";
/// Deliveries come after group_wait / group_interval (1 s each) and Alertmanager's own ticks.
const DEADLINE: Duration = Duration::from_secs(60);

fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn installed() -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| dir.join("prometheus-alertmanager").is_file())
    })
}

/// An Alertmanager started (or reloaded) by the project's script; stopped on drop if this
/// test started it.
struct Alertmanager {
    address: SocketAddr,
    port: u16,
    dir: PathBuf,
    owned: bool,
}

impl Alertmanager {
    fn start(receiver: &str, dir: &Path) -> Alertmanager {
        let (port, owned) = match std::env::var(PORT) {
            Ok(port) => (port.parse().expect("a port number"), false),
            Err(_) => {
                let free = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
                (free.local_addr().expect("its address").port(), true)
            }
        };
        let am_dir = if owned {
            dir.to_owned()
        } else {
            std::env::temp_dir().join(format!("warroom-alertmanager-{port}"))
        };
        let out = Command::new(project().join("scripts/start-alertmanager.sh"))
            .arg(receiver)
            .env("AM_PORT", port.to_string())
            // A reused Alertmanager still holds the (resolved) alerts of earlier runs; grouped
            // by run too, they never join this run's group.
            .env("AM_GROUP_BY", "alertname, run")
            .env("AM_DIR", &am_dir)
            .output()
            .expect("the start script runs");
        assert!(
            out.status.success(),
            "start-alertmanager.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let url = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        assert_eq!(url, format!("http://127.0.0.1:{port}"));
        Alertmanager {
            address: ([127, 0, 0, 1], port).into(),
            port,
            dir: am_dir,
            owned,
        }
    }

    /// Posts alerts to Alertmanager's API, as Prometheus does.
    fn post_alerts(&self, alerts: serde_json::Value) {
        let answer = post(
            self.address,
            "/api/v2/alerts",
            &[],
            alerts.to_string().as_bytes(),
        );
        assert_eq!(answer.status, 200, "Alertmanager said {}", answer.body);
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        if self.owned {
            let _ = Command::new(project().join("scripts/stop-alertmanager.sh"))
                .env("AM_PORT", self.port.to_string())
                .env("AM_DIR", &self.dir)
                .status();
        }
    }
}

fn alert(pod: &str, run: &str, resolved: bool) -> serde_json::Value {
    let mut alert = serde_json::json!({
        "labels": {
            "alertname": "DatabaseConnectionPoolExhausted",
            "severity": "critical",
            "service": "api-server",
            "pod": pod,
            "run": run,
        },
        "annotations": { "summary": "DB connection pool exhausted on api-server" },
    });
    if resolved {
        alert["endsAt"] = (Utc::now() - chrono::Duration::seconds(1))
            .to_rfc3339()
            .into();
    }
    alert
}

/// Waits until the incident's timeline satisfies `done`, and returns it.
async fn wait_for(
    store: &Store,
    what: &str,
    done: impl Fn(&[EventKind]) -> bool,
) -> Vec<EventKind> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let kinds: Vec<EventKind> = store
            .timeline(IncidentNumber(1))
            .await
            .expect("the timeline")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        if done(&kinds) {
            return kinds;
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not happen in time; the timeline: {kinds:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn firing_fingerprints(kinds: &[EventKind]) -> Vec<Vec<String>> {
    kinds
        .iter()
        .filter_map(|k| match k {
            EventKind::AlertsFiring { alerts, .. } => {
                Some(alerts.iter().map(|a| a.labels["pod"].clone()).collect())
            }
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn alertmanager_declares_once_adds_new_alerts_and_notes_the_resolve() {
    if !installed() && std::env::var_os(REQUIRE).is_none() {
        println!(
            "skipped: prometheus-alertmanager is not installed (scripts/start-alertmanager.sh \
             --install-only installs it; set {REQUIRE}=1 to fail instead of skipping)"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("warroom.db").display());
    let server = Server::start(dir.path(), &url, &project().join("runbooks"), "");
    let am = Alertmanager::start(&server.webhook_url(), dir.path());
    let store = Store::connect(&url).await.expect("the database");
    let run = format!("{}", Utc::now().timestamp_nanos_opt().unwrap_or_default());

    am.post_alerts(serde_json::json!([alert("api-1", &run, false)]));
    let kinds = wait_for(&store, "the declaration with the runbook", |k| {
        k.iter()
            .any(|e| matches!(e, EventKind::RunbookAttached { .. }))
    })
    .await;
    let EventKind::RunbookAttached { runbook } = kinds
        .iter()
        .find(|e| matches!(e, EventKind::RunbookAttached { .. }))
        .expect("attached")
    else {
        unreachable!()
    };
    assert_eq!(runbook.id, "database-connection-pool-exhausted");
    assert_eq!(firing_fingerprints(&kinds), [["api-1"]]);

    // Firing again, with a second alert of the same group: Alertmanager sends the group with
    // both; only the new one is noted, on the same incident.
    am.post_alerts(serde_json::json!([
        alert("api-1", &run, false),
        alert("api-2", &run, false)
    ]));
    let kinds = wait_for(&store, "the second alert", |k| {
        firing_fingerprints(k).len() >= 2
    })
    .await;
    assert_eq!(firing_fingerprints(&kinds), [["api-1"], ["api-2"]]);
    assert!(
        store
            .incident(IncidentNumber(2))
            .await
            .expect("read")
            .is_none(),
        "the same group opened a second incident"
    );

    am.post_alerts(serde_json::json!([
        alert("api-1", &run, true),
        alert("api-2", &run, true)
    ]));
    let kinds = wait_for(&store, "the resolve", |k| {
        k.iter()
            .any(|e| matches!(e, EventKind::AlertsResolved { all: true, .. }))
    })
    .await;
    let resolved: usize = kinds
        .iter()
        .map(|k| match k {
            EventKind::AlertsResolved { alerts, .. } => alerts.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(resolved, 2);
    let incident = store
        .incident(IncidentNumber(1))
        .await
        .expect("read")
        .expect("INC-1");
    assert_eq!(incident.status, Status::Investigating);
    let chat = webhook::chat_with(dir.path(), &["Resolve incident]"]);
    assert!(chat.contains("Resolve incident]"), "{chat}");
}
