//! The cost of a `/metrics` scrape (run with `cargo bench --bench metrics`), printing figures,
//! p50 and p99 over 1,000 rounds, with a SQLite file of 10,000 incidents: the scrape itself
//! (rendering the recorder with the figures a busy process holds: HTTP routes, chat methods,
//! pages), and, apart, what `serve`'s figures task does every `[metrics] refresh_secs` (the
//! incidents by severity and status, each chat's outbox backlog). `WARROOM_BENCH_INCIDENTS`
//! changes the number of incidents.

// The tests' engine builder; the rest of their support is not needed here.
#[allow(dead_code)]
#[path = "../tests/it/support/engine.rs"]
mod test_engine;

use std::time::{Duration, Instant};

use chrono::Utc;
use warroom::domain::{EventKind, IncidentTitle, Severity, Status, UserId};
use warroom::store::Told;
use warroom::telemetry::{self, CallOutcome, PageOutcome};

use test_engine::TestEngine;

#[allow(dead_code)]
#[path = "common/figures.rs"]
mod figures;
use figures::show;

const SCRAPES: usize = 1_000;

#[tokio::main]
async fn main() {
    let total = figures::env_number("WARROOM_BENCH_INCIDENTS", 10_000);
    let scrape = telemetry::install().expect("the recorder installs");
    let dir = tempfile::tempdir().expect("a temp dir");
    let engine = TestEngine::sqlite(dir.path()).build().await;
    let store = engine.store();
    let alice = UserId::parse("alice").expect("a user");
    let now = Utc::now();
    let severities = [Severity::P0, Severity::P1, Severity::P2, Severity::P3];
    let started = Instant::now();
    for i in 0..total {
        let title = IncidentTitle::parse(&format!("Incident {i}")).expect("a title");
        let at = now - chrono::Duration::hours((total - i) as i64);
        let (mut incident, _) = store
            .declare_told(&title, severities[i % 4], &alice, at, &Told::nothing())
            .await
            .expect("declared");
        // All but one in fifty resolved; the rest spread over the open statuses.
        let to = match i % 50 {
            0 => Status::Identified,
            1 => Status::Mitigated,
            2 => Status::Investigating,
            _ => Status::Resolved,
        };
        if to != Status::Investigating {
            let event = incident.event(
                EventKind::StatusChanged {
                    from: Status::Investigating,
                    to,
                    note: None,
                },
                alice.clone(),
                at + chrono::Duration::minutes(30),
            );
            incident.apply(&event);
            store
                .record_told(&incident, &event, &[])
                .await
                .expect("recorded");
        }
    }
    println!(
        "{total} incidents written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // What a process that has served a while holds.
    for route in [
        "/healthz",
        "/metrics",
        "/alerts/alertmanager",
        "/slack/commands",
    ] {
        for status in [200, 401, 503] {
            telemetry::http_request(
                route.into(),
                "POST".into(),
                status,
                Duration::from_millis(3),
            );
        }
    }
    for method in ["chat.postMessage", "chat.update", "conversations.create"] {
        telemetry::chat_call("slack", method, Duration::from_millis(40), CallOutcome::Ok);
        telemetry::chat_call(
            "slack",
            method,
            Duration::from_millis(900),
            CallOutcome::Error,
        );
    }
    for level in 1..=3 {
        telemetry::page(level, "slack", PageOutcome::Delivered);
        telemetry::page(level, "ntfy", PageOutcome::Retrying);
    }
    let chats = ["console", "slack", "matrix"];
    let (mut counts, mut backlogs, mut keeps, mut renders) = (vec![], vec![], vec![], vec![]);
    let mut size = 0;
    for _ in 0..SCRAPES {
        let t = Instant::now();
        let incidents = engine.incident_counts().await.expect("counts");
        counts.push(t.elapsed());
        let t = Instant::now();
        let pending = engine.pending_counts().await.expect("backlog");
        backlogs.push(t.elapsed());
        let t = Instant::now();
        scrape.figures(Some((&incidents, &pending)), &chats, Utc::now());
        keeps.push(t.elapsed());
        let t = Instant::now();
        size = scrape.render().len();
        renders.push(t.elapsed());
    }
    println!("the scrape is {size} bytes");
    show("scrape (GET /metrics: render)", renders, 3);
    println!("the figures task, every refresh_secs (15 s by default), not on a scrape:");
    show("  incidents by severity and status", counts, 3);
    show("  outbox backlog", backlogs, 3);
    show("  keeping the figures", keeps, 3);
}
