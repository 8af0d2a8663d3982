//! Benchmarks that print figures (run with `cargo bench --bench engine`):
//! - commands applied per second through the engine, on SQLite and (when
//!   `WARROOM_TEST_POSTGRES_URL` is set) on PostgreSQL, alone and with the console port;
//! - post-mortem render time for an incident with 10,000 timeline events.

// The tests' engine builder; the rest of their support is not needed here.
#[allow(dead_code)]
#[path = "../tests/it/support/engine.rs"]
mod test_engine;

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use sqlx::{AssertSqlSafe, Connection, Executor};
use warroom::chat::console::ConsoleChat;
use warroom::domain::Platform;
use warroom::domain::{
    EventKind, Incident, IncidentNumber, IncidentTitle, NoteText, Severity, UserId,
};
use warroom::engine::port::{Origin, RoomId};
use warroom::engine::postmortem::PostmortemRenderer;

use test_engine::TestEngine;

const COMMANDS: usize = 5_000;
const INCIDENTS: usize = 20;

fn origin(room: &str, user: &str) -> Origin {
    Origin {
        room_id: RoomId::new(Platform::Console, room),
        user: UserId::parse(user).expect("user"),
    }
}

/// The i-th command of the mix: mostly notes, with severity changes between them.
fn command(i: usize) -> String {
    match i % 4 {
        0 => format!("note step {i}: checked the dashboards, error rate unchanged"),
        1 => "sev p2 looks narrower than we thought".to_owned(),
        2 => format!("note step {i}: rolled one pod"),
        _ => "sev p1 wider again".to_owned(),
    }
}

async fn commands_per_second(name: &str, url: &str) {
    let engine = TestEngine::url(url).build().await;
    let chat = ConsoleChat::new(Box::new(io::sink()), "warroom");
    // Declare the incidents and open their war rooms through the console port.
    let mut rooms = Vec::new();
    for i in 0..INCIDENTS {
        let lobby = origin("lobby", "alice");
        let effects = engine
            .incidents()
            .handle_text(&lobby, &format!("declare p1 bench incident {i}"))
            .await;
        engine.delivery().dispatch(&chat, &lobby, effects).await;
        rooms.push(format!("inc-{}", i + 1));
    }

    let started = Instant::now();
    for i in 0..COMMANDS {
        let who = origin(&rooms[i % INCIDENTS], "bob");
        let effects = engine
            .incidents()
            .handle_text(&who, &command(i / INCIDENTS))
            .await;
        assert!(
            !effects
                .iter()
                .any(|e| matches!(e, warroom::engine::effect::Effect::Reply { .. })),
            "a bench command was refused: {effects:?}"
        );
    }
    let apply = started.elapsed();

    let started = Instant::now();
    for i in 0..COMMANDS {
        let who = origin(&rooms[i % INCIDENTS], "carol");
        let effects = engine
            .incidents()
            .handle_text(&who, &command(i / INCIDENTS))
            .await;
        engine.delivery().dispatch(&chat, &who, effects).await;
    }
    let with_chat = started.elapsed();

    let engine = Arc::new(engine);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..8 {
        let engine = engine.clone();
        let rooms = rooms.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..COMMANDS / 8 {
                let who = origin(&rooms[(t + i * 8) % INCIDENTS], "dave");
                engine
                    .incidents()
                    .handle_text(&who, &format!("note concurrent {t}-{i}"))
                    .await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("bench task");
    }
    let concurrent = started.elapsed();

    let rate = |d: Duration| COMMANDS as f64 / d.as_secs_f64();
    println!(
        "{name:<10} apply: {:>7.0} commands/s ({:.1} µs each) · apply + console port: {:>7.0} commands/s · 8 concurrent tasks (notes): {:>7.0} commands/s",
        rate(apply),
        apply.as_secs_f64() * 1e6 / COMMANDS as f64,
        rate(with_chat),
        rate(concurrent),
    );
}

fn big_timeline(events: usize) -> (Incident, Vec<warroom::domain::TimelineEvent>) {
    let start = Utc
        .with_ymd_and_hms(2026, 1, 5, 14, 0, 0)
        .single()
        .expect("time");
    let title = IncidentTitle::parse("Checkout API returns 500s").expect("title");
    let alice = UserId::parse("alice").expect("user");
    let (mut incident, first) =
        Incident::declare(IncidentNumber(1), title, Severity::P1, alice.clone(), start);
    let mut timeline = vec![first];
    for i in 1..events {
        let kind = EventKind::Note {
            text: NoteText::parse(&format!("observation {i}: p99 latency | error rate steady"))
                .expect("note"),
        };
        let event = incident.event(
            kind,
            alice.clone(),
            start + chrono::Duration::seconds(i as i64),
        );
        incident.apply(&event);
        timeline.push(event);
    }
    (incident, timeline)
}

fn render_time() {
    let renderer = PostmortemRenderer::new(None).expect("built-in template");
    let (incident, timeline) = big_timeline(10_000);
    let now = Utc::now();
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..21 {
        let started = Instant::now();
        let out = renderer.render(&incident, &timeline, now).expect("render");
        times.push(started.elapsed());
        size = out.len();
    }
    times.sort();
    println!(
        "post-mortem render, 10,000 events: median {:.1} ms, worst {:.1} ms ({} KiB of Markdown)",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
        size / 1024
    );
}

async fn fresh_postgres(base: &str) -> Option<String> {
    let mut conn = sqlx::PgConnection::connect(base).await.ok()?;
    let name = format!("warroom_bench_{}", std::process::id());
    conn.execute(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
        .await
        .ok()?;
    conn.execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .ok()?;
    let mut url = url::Url::parse(base).ok()?;
    url.set_path(&name);
    Some(url.to_string())
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    render_time();
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    commands_per_second("sqlite", &sqlite).await;
    match std::env::var("WARROOM_TEST_POSTGRES_URL") {
        Ok(base) => match fresh_postgres(&base).await {
            Some(url) => commands_per_second("postgres", &url).await,
            None => println!("postgres   skipped: cannot create a database on that server"),
        },
        Err(_) => println!("postgres   skipped: WARROOM_TEST_POSTGRES_URL is not set"),
    }
}
