//! The status page's cost (run with `cargo bench --bench status_page`), printing figures: the
//! time to read the page from a SQLite file (`Engine::status_page`: the published incidents of
//! the last 90 days and their updates, in one transaction) and to render it as HTML and as
//! Atom, p50 and p99 over repeated reads, with a database of 10,000 incidents of which 300
//! fall in the page's window (30 of them still open), each with three status updates (one
//! public) and a service.
//!
//! `WARROOM_BENCH_INCIDENTS` changes the number of incidents; `WARROOM_BENCH_RECENT` how many
//! of them are in the window.

// The tests' engine builder; the rest of their support is not needed here.
#[allow(dead_code)]
#[path = "../tests/it/support/engine.rs"]
mod test_engine;

use std::time::Instant;

use chrono::Utc;
use warroom::domain::{EventKind, IncidentTitle, NoteText, Service, Severity, Status, UserId};
use warroom::engine::Settings;
use warroom::engine::status_page::StatusPageSettings;
use warroom::http::status::{render_atom, render_html};
use warroom::store::Told;

use test_engine::TestEngine;

#[allow(dead_code)]
#[path = "common/figures.rs"]
mod figures;
use figures::{env_number, show};

/// How many reads are measured.
const READS: usize = 300;

#[tokio::main]
async fn main() {
    let total = env_number("WARROOM_BENCH_INCIDENTS", 10_000);
    let recent = env_number("WARROOM_BENCH_RECENT", 300).min(total);
    let dir = tempfile::tempdir().expect("a temp dir");
    let services = ["checkout", "payments", "search", "login"]
        .iter()
        .map(|name| Service {
            name: (*name).to_owned(),
            title: name.to_uppercase(),
            owners: Vec::new(),
            runbooks: Vec::new(),
        })
        .collect::<Vec<_>>();
    let settings = Settings {
        services: services.clone(),
        status_page: Some(StatusPageSettings {
            title: "Bench status".into(),
            history_days: 90,
        }),
        ..Settings::default()
    };
    let engine = TestEngine::sqlite(dir.path())
        .settings(settings)
        .build()
        .await;
    let store = engine.store();
    let now = Utc::now();
    let alice = UserId::parse("alice").expect("a user");
    let started = Instant::now();
    for i in 0..total {
        // The old ones were resolved long ago; the recent ones within the page's window.
        let age = if i < total - recent {
            chrono::Duration::days(200 + (i % 100) as i64)
        } else {
            chrono::Duration::hours((total - i) as i64 % (24 * 80))
        };
        let at = now - age;
        let title =
            IncidentTitle::parse(&format!("Incident {i}: checkout errors")).expect("a title");
        let told = Told::nothing();
        let (mut incident, _) = store
            .declare_told(&title, Severity::P1, &alice, at, &told)
            .await
            .expect("declared");
        let mut kinds = vec![EventKind::ServicesChanged {
            services: vec![services[i % services.len()].name.clone()],
        }];
        for (n, public) in [(1, false), (2, true), (3, false)] {
            kinds.push(EventKind::StatusUpdate {
                text: NoteText::parse(&format!("Update {n} on incident {i}.")).expect("a note"),
                public,
                severity: Severity::P1,
                status: Status::Investigating,
                next_update: None,
            });
        }
        // The old ones are all resolved; of the recent ones nine in ten, the rest stay open.
        if i < total - recent || i % 10 != 0 {
            kinds.push(EventKind::StatusChanged {
                from: Status::Investigating,
                to: Status::Resolved,
                note: None,
            });
        }
        for (k, kind) in kinds.into_iter().enumerate() {
            let event = incident.event(
                kind,
                alice.clone(),
                at + chrono::Duration::minutes(k as i64 + 1),
            );
            incident.apply(&event);
            store
                .record_told(&incident, &event, &[])
                .await
                .expect("recorded");
        }
    }
    println!(
        "{total} incidents ({recent} in the last 90 days), 5 to 6 events each, written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut reads = Vec::with_capacity(READS);
    let mut htmls = Vec::with_capacity(READS);
    let mut atoms = Vec::with_capacity(READS);
    let mut shown = (0, 0, 0);
    for _ in 0..READS {
        let t = Instant::now();
        let page = engine
            .status_page()
            .await
            .expect("the page reads")
            .expect("the page is on");
        reads.push(t.elapsed());
        let t = Instant::now();
        let html = render_html(&page);
        htmls.push(t.elapsed());
        let t = Instant::now();
        let atom = render_atom(&page);
        atoms.push(t.elapsed());
        shown = (page.open.len() + page.past.len(), html.len(), atom.len());
    }
    println!(
        "the page shows {} incidents: {} bytes of HTML, {} of Atom",
        shown.0, shown.1, shown.2
    );
    show("read (store + build)", reads, 2);
    show("render HTML", htmls, 2);
    show("render Atom", atoms, 2);
}
