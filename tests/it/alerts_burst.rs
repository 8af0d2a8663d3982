//! A burst of 500 Alertmanager deliveries at once to the real `warroom serve` (200 groups, each
//! delivered again, half of them with a new alert the third time), from 16 connections: one
//! incident per group, every alert on its timeline exactly once, nothing lost. On SQLite, and
//! on PostgreSQL with two replicas taking the deliveries in turn.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use warroom::domain::{EventKind, IncidentNumber};
use warroom::store::Store;

use crate::support::postgres;
use crate::support::webhook;
use webhook::{Server, deliver};

const FIRING: &[u8] = include_bytes!("../fixtures/alertmanager/alertmanager-firing.json");
const GROUPS: usize = 200;
const SENDERS: usize = 16;

/// The body of group `group` firing the alerts `fingerprints`.
fn body(group: usize, fingerprints: &[String]) -> Vec<u8> {
    let name = format!("BurstAlert{group}");
    webhook::group_body(
        FIRING,
        &[("alertname", &name)],
        &[("severity", "warning")],
        &format!("Burst {group}"),
        fingerprints,
    )
}

fn fingerprint(group: usize, which: char) -> String {
    format!("{group:04x}{which}")
}

/// The 500 deliveries, shuffled the same way every run.
fn deliveries() -> Vec<Vec<u8>> {
    let mut all = Vec::new();
    for g in 0..GROUPS {
        let a = fingerprint(g, 'a');
        all.push(body(g, std::slice::from_ref(&a)));
        all.push(body(g, std::slice::from_ref(&a)));
        if g.is_multiple_of(2) {
            all.push(body(g, &[a, fingerprint(g, 'b')]));
        }
    }
    assert_eq!(all.len(), 500);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in (1..all.len()).rev() {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = (seed >> 33) as usize % (i + 1);
        all.swap(i, j);
    }
    all
}

/// Sends every delivery from `SENDERS` threads, to the servers in turn; each must get 200.
fn burst(servers: &[&Server]) {
    let queue = Arc::new(Mutex::new(deliveries()));
    let addresses: Vec<_> = servers.iter().map(|s| s.address).collect();
    let started = Instant::now();
    let threads: Vec<_> = (0..SENDERS)
        .map(|t| {
            let queue = queue.clone();
            let address = addresses[t % addresses.len()];
            std::thread::spawn(move || {
                loop {
                    let Some(body) = queue.lock().expect("the queue").pop() else {
                        break;
                    };
                    let answer = deliver(address, &body);
                    assert_eq!(answer.status, 200, "{}", answer.body);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a sender finished");
    }
    let took = started.elapsed();
    println!(
        "500 deliveries in {:.2} s ({:.0}/s)",
        took.as_secs_f64(),
        500.0 / took.as_secs_f64()
    );
}

/// One incident per group, titled for it, with each of its alerts noted once.
async fn check(url: &str) {
    let store = Store::connect(url).await.expect("the database");
    let mut groups_seen = BTreeSet::new();
    for number in 1..=GROUPS as u32 {
        let n = IncidentNumber(number);
        let incident = store
            .incident(n)
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("{n} is missing"));
        let group: usize = incident
            .title
            .as_str()
            .strip_prefix("Burst ")
            .and_then(|g| g.parse().ok())
            .unwrap_or_else(|| panic!("{n} has the title {}", incident.title));
        assert!(groups_seen.insert(group), "group {group} has two incidents");
        let mut noted: BTreeMap<String, usize> = BTreeMap::new();
        let mut declared = 0;
        for event in store.timeline(n).await.expect("the timeline") {
            match event.kind {
                EventKind::Declared { .. } => declared += 1,
                EventKind::AlertsFiring { alerts, .. } => {
                    for alert in alerts {
                        *noted.entry(alert.fingerprint).or_default() += 1;
                    }
                }
                _ => {}
            }
        }
        assert_eq!(declared, 1, "{n}");
        let mut expected = BTreeMap::from([(fingerprint(group, 'a'), 1)]);
        if group.is_multiple_of(2) {
            expected.insert(fingerprint(group, 'b'), 1);
        }
        assert_eq!(noted, expected, "{n} (group {group})");
    }
    assert_eq!(groups_seen.len(), GROUPS);
    let extra = IncidentNumber(GROUPS as u32 + 1);
    assert!(
        store.incident(extra).await.expect("read").is_none(),
        "more incidents than groups"
    );
}

fn runbooks() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_500_deliveries_gives_one_incident_per_group_on_sqlite() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("warroom.db").display());
    let server = Server::start(dir.path(), &url, &runbooks(), "");
    tokio::task::block_in_place(|| burst(&[&server]));
    check(&url).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_500_deliveries_to_two_replicas_gives_one_incident_per_group_on_postgres() {
    let Some((_, _, url)) = postgres::fresh_postgres(
        "a_burst_of_500_deliveries_to_two_replicas_gives_one_incident_per_group_on_postgres",
        "alertburst",
    )
    .await
    else {
        return;
    };
    let one = tempfile::tempdir().expect("a temporary directory");
    let two = tempfile::tempdir().expect("a temporary directory");
    let first = Server::start(one.path(), &url, &runbooks(), "");
    let second = Server::start(two.path(), &url, &runbooks(), "");
    tokio::task::block_in_place(|| burst(&[&first, &second]));
    check(&url).await;
}
