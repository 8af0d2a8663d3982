//! 300 Alertmanager deliveries (100 groups, each delivered three times, half of them with a
//! second alert the third time) while the database goes away at random moments: on SQLite the
//! `warroom serve` process is killed with SIGKILL and started again; on PostgreSQL a cluster
//! of the test's own is stopped at once (`pg_ctl stop -m immediate`) and started again while
//! `serve` stays up. The senders retry as Alertmanager does until they get 200. Afterwards not
//! one incident may be half-built: each group has exactly one incident with its alerts noted
//! once each, the runbook its alert names attached once, its timers, and its war room.
//! The run prints the deliveries, faults, retries and half-built incidents it saw;
//! `WARROOM_FAULT_SEED=<n>` picks other fault times and delivery orders.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::Connection;
use warroom::domain::Platform;
use warroom::domain::{EventKind, IncidentNumber};
use warroom::store::Store;

use crate::support::webhook;
use webhook::{Server, TOKEN};

const GROUPS: usize = 100;
/// A short delivery lease, so that what a killed process had claimed is taken over soon.
const LEASE: &[(&str, &str)] = &[("WARROOM_DELIVERY_LEASE_SECS", "3")];
const SENDERS: usize = 8;
const TEMPLATE: &[u8] =
    include_bytes!("../fixtures/alertmanager/alertmanager-firing-higherrorrate.json");

fn fingerprint(group: usize, which: char) -> String {
    format!("{group:04x}{which}")
}

/// Group `group` firing `fingerprints`; every group's alert is `HighErrorRate`, which the
/// shipped runbook `high-error-rate` lists.
fn body(group: usize, fingerprints: &[String]) -> Vec<u8> {
    let instance = format!("web-{group}");
    webhook::group_body(
        TEMPLATE,
        &[("alertname", "HighErrorRate"), ("instance", &instance)],
        &[("severity", "critical")],
        &format!("Faults {group}"),
        fingerprints,
    )
}

/// The generator's seed: `WARROOM_FAULT_SEED` when set (to measure over more runs), else
/// the test's own.
fn seed(default: u64) -> u64 {
    std::env::var("WARROOM_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// A small deterministic generator, so that a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// The 300 deliveries, shuffled.
fn deliveries(rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut all = Vec::new();
    for g in 0..GROUPS {
        let a = fingerprint(g, 'a');
        all.push(body(g, std::slice::from_ref(&a)));
        all.push(body(g, std::slice::from_ref(&a)));
        if g.is_multiple_of(2) {
            all.push(body(g, &[a, fingerprint(g, 'b')]));
        } else {
            all.push(body(g, std::slice::from_ref(&a)));
        }
    }
    for i in (1..all.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        all.swap(i, j);
    }
    all
}

/// One try: the status, or `None` when the server could not be reached or hung up.
fn try_deliver(address: SocketAddr, body: &[u8]) -> Option<u16> {
    let auth = format!("Authorization: Bearer {TOKEN}");
    webhook::try_post(address, "/alerts/alertmanager", &[&auth], body).map(|a| a.status)
}

/// What the senders saw.
#[derive(Default)]
struct Tally {
    tries: AtomicUsize,
    refused: AtomicUsize,
}

/// Sends every delivery from `SENDERS` threads to whatever address `address` holds at the
/// moment, each until it is answered 200 (Alertmanager retries 5xx and failed connections).
fn send_all(address: &Arc<Mutex<SocketAddr>>, bodies: Vec<Vec<u8>>, tally: &Arc<Tally>) {
    let queue = Arc::new(Mutex::new(bodies));
    let threads: Vec<_> = (0..SENDERS)
        .map(|_| {
            let queue = queue.clone();
            let address = address.clone();
            let tally = tally.clone();
            std::thread::spawn(move || {
                loop {
                    let Some(body) = queue.lock().expect("the queue").pop() else {
                        break;
                    };
                    let until = Instant::now() + Duration::from_secs(120);
                    loop {
                        tally.tries.fetch_add(1, Ordering::Relaxed);
                        let at = *address.lock().expect("the address");
                        match try_deliver(at, &body) {
                            Some(200) => break,
                            Some(status) if status < 500 => {
                                panic!("a delivery was refused for good with {status}")
                            }
                            _ => {
                                tally.refused.fetch_add(1, Ordering::Relaxed);
                                assert!(Instant::now() < until, "a delivery never got through");
                                std::thread::sleep(Duration::from_millis(50));
                            }
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a sender finished");
    }
}

fn runbooks() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks")
}

/// Why an incident is half-built, if it is.
async fn half_built(
    store: &Store,
    url: &str,
    n: IncidentNumber,
    expected: &BTreeMap<usize, Vec<String>>,
) -> Result<usize, String> {
    let incident = store
        .incident(n)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("missing")?;
    let group: usize = incident
        .title
        .as_str()
        .strip_prefix("Faults ")
        .and_then(|g| g.parse().ok())
        .ok_or_else(|| format!("titled {}", incident.title))?;
    let mut declared = 0;
    let mut attached = 0;
    let mut noted: BTreeMap<String, usize> = BTreeMap::new();
    for event in store.timeline(n).await.map_err(|e| e.to_string())? {
        match event.kind {
            EventKind::Declared { .. } => declared += 1,
            EventKind::RunbookAttached { .. } => attached += 1,
            EventKind::AlertsFiring { alerts, .. } => {
                for alert in alerts {
                    *noted.entry(alert.fingerprint).or_default() += 1;
                }
            }
            _ => {}
        }
    }
    let want: BTreeMap<String, usize> = expected[&group].iter().map(|f| (f.clone(), 1)).collect();
    if declared != 1 || attached != 1 || noted != want {
        return Err(format!(
            "group {group}: declared {declared}, runbooks {attached}, alerts {noted:?}"
        ));
    }
    if store
        .war_room(Platform::Console, n)
        .await
        .map_err(|e| e.to_string())?
        .is_none()
    {
        return Err(format!("group {group}: no war room"));
    }
    let timers = count_timers(url, n).await;
    if timers == 0 {
        return Err(format!("group {group}: no timers"));
    }
    Ok(group)
}

async fn count_timers(url: &str, n: IncidentNumber) -> i64 {
    let query = "SELECT COUNT(*) FROM timers WHERE incident_number = $1";
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url)
            .await
            .expect("connects");
        sqlx::query_scalar(query)
            .bind(i64::from(n.0))
            .fetch_one(&mut c)
            .await
            .expect("counted")
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.expect("connects");
        sqlx::query_scalar(query)
            .bind(i64::from(n.0))
            .fetch_one(&mut c)
            .await
            .expect("counted")
    }
}

/// Checks every incident once the outbox had time to make the war rooms; returns how many
/// were half-built (and prints why).
async fn check(url: &str) -> usize {
    let store = Store::connect(url).await.expect("the database");
    let mut expected = BTreeMap::new();
    for g in 0..GROUPS {
        let mut fps = vec![fingerprint(g, 'a')];
        if g.is_multiple_of(2) {
            fps.push(fingerprint(g, 'b'));
        }
        expected.insert(g, fps);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut broken = Vec::new();
        let mut groups = Vec::new();
        for number in 1..=GROUPS as u32 {
            match half_built(&store, url, IncidentNumber(number), &expected).await {
                Ok(group) => groups.push(group),
                Err(why) => broken.push(format!("INC-{number}: {why}")),
            }
        }
        groups.sort_unstable();
        groups.dedup();
        let extra = store
            .incident(IncidentNumber(GROUPS as u32 + 1))
            .await
            .expect("read")
            .is_some();
        if extra {
            broken.push("more incidents than groups".into());
        }
        if (broken.is_empty() && groups.len() == GROUPS) || Instant::now() > deadline {
            for why in &broken {
                println!("half-built: {why}");
            }
            return broken.len() + (GROUPS - groups.len().min(GROUPS));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_half_built_incident_when_serve_is_killed_mid_burst_on_sqlite() {
    let dir = tempfile::tempdir().expect("a directory");
    let url = format!("sqlite://{}", dir.path().join("warroom.db").display());
    let mut rng = Rng(seed(0x5eed_0001));
    let bodies = deliveries(&mut rng);
    let server = Server::start_with(dir.path(), &url, &runbooks(), "", LEASE);
    let address = Arc::new(Mutex::new(server.address));
    let server = Arc::new(Mutex::new(Some(server)));
    let tally = Arc::new(Tally::default());
    let done = Arc::new(AtomicBool::new(false));
    let kills = Arc::new(AtomicUsize::new(0));
    let killer = {
        let (server, address, done, kills) =
            (server.clone(), address.clone(), done.clone(), kills.clone());
        let dir = dir.path().to_owned();
        let url = url.clone();
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50 + rng.below(200)));
                let mut slot = server.lock().expect("the server");
                drop(slot.take()); // SIGKILL, wherever it was
                kills.fetch_add(1, Ordering::Relaxed);
                let next = Server::start_with(&dir, &url, &runbooks(), "", LEASE);
                *address.lock().expect("the address") = next.address;
                *slot = Some(next);
            }
        })
    };
    let started = Instant::now();
    tokio::task::block_in_place(|| send_all(&address, bodies, &tally));
    done.store(true, Ordering::Relaxed);
    killer.join().expect("the killer stopped");
    let half_built = check(&url).await;
    println!(
        "SQLite: {} deliveries, {} kills of serve, {} tries ({} failed and retried), {half_built} half-built incidents, {:.1} s",
        GROUPS * 3,
        kills.load(Ordering::Relaxed),
        tally.tries.load(Ordering::Relaxed),
        tally.refused.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    assert!(
        kills.load(Ordering::Relaxed) >= 3,
        "too few faults to mean anything"
    );
    assert_eq!(half_built, 0);
}

/// The test's own PostgreSQL cluster (stopping the shared one would break other tests).
struct OwnCluster {
    base: PathBuf,
}

impl OwnCluster {
    const PORT: &str = "55439";

    fn script(&self, name: &str) -> Command {
        let mut command = Command::new(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("scripts")
                .join(name),
        );
        command
            .env("PG_PORT", Self::PORT)
            .env("PG_BASE", &self.base)
            .env("PG_DB", "warroom_faults");
        command
    }

    fn start(&self) -> String {
        let out = self
            .script("start-postgres.sh")
            .output()
            .expect("start-postgres.sh runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    fn stop(&self) {
        let out = self
            .script("stop-postgres.sh")
            .output()
            .expect("stop-postgres.sh runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = self.script("stop-postgres.sh").output();
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_half_built_incident_when_postgres_stops_mid_burst() {
    // Runs where the PostgreSQL tests run (the same binaries make its own cluster).
    if std::env::var("WARROOM_TEST_POSTGRES_URL").is_err() {
        println!("skipped on PostgreSQL: set WARROOM_TEST_POSTGRES_URL to run it");
        return;
    }
    let base = std::env::temp_dir().join(format!("warroom-pg-faults-{}", std::process::id()));
    let cluster = Arc::new(OwnCluster { base });
    let url = cluster.start();
    // The test clusters trade durability for speed (`synchronous_commit = off`), which loses
    // commits already acknowledged when the server stops at once; this one must keep them.
    {
        let mut admin = sqlx::PgConnection::connect(&url).await.expect("connects");
        for statement in [
            "ALTER SYSTEM SET synchronous_commit = 'on'",
            "SELECT pg_reload_conf()",
        ] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                .execute(&mut admin)
                .await
                .expect("durable commits");
        }
    }
    let dir = tempfile::tempdir().expect("a directory");
    let mut rng = Rng(seed(0x5eed_0002));
    let bodies = deliveries(&mut rng);
    let server = Server::start_with(dir.path(), &url, &runbooks(), "", LEASE);
    let address = Arc::new(Mutex::new(server.address));
    let tally = Arc::new(Tally::default());
    let done = Arc::new(AtomicBool::new(false));
    let stops = Arc::new(AtomicUsize::new(0));
    let stopper = {
        let (cluster, done, stops) = (cluster.clone(), done.clone(), stops.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50 + rng.below(300)));
                cluster.stop();
                stops.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(100 + rng.below(400)));
                cluster.start();
            }
        })
    };
    let started = Instant::now();
    tokio::task::block_in_place(|| send_all(&address, bodies, &tally));
    done.store(true, Ordering::Relaxed);
    stopper.join().expect("the stopper stopped");
    let half_built = check(&url).await;
    println!(
        "PostgreSQL: {} deliveries, {} stops of the server, {} tries ({} failed and retried), {half_built} half-built incidents, {:.1} s",
        GROUPS * 3,
        stops.load(Ordering::Relaxed),
        tally.tries.load(Ordering::Relaxed),
        tally.refused.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    drop(server);
    assert!(
        stops.load(Ordering::Relaxed) >= 3,
        "too few faults to mean anything"
    );
    assert_eq!(half_built, 0);
}
