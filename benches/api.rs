//! The JSON API and the web view under load (run with `cargo bench --bench api`): the real
//! `warroom serve` binary on loopback over a database of 10,000 incidents and 1,000,000
//! timeline events (100 each: the declaration and 99 notes), one in twenty private, four in
//! five resolved. 50 clients, each on its own kept-alive connection, ask in turn for a page of
//! 50 open incidents, one incident, and one incident's timeline of 100 events (with a
//! responder's API token), and the web view's page of one incident (card, timeline and
//! post-mortem draft, with a responder's signed session cookie). Prints p50 and p99 of each,
//! and the requests per second, on SQLite and, when `WARROOM_TEST_POSTGRES_URL` names a
//! server, on PostgreSQL.
//!
//! `WARROOM_BENCH_INCIDENTS`, `WARROOM_BENCH_EVENTS` (per incident), `WARROOM_BENCH_CLIENTS`
//! and `WARROOM_BENCH_REQUESTS` (per client) change the sizes.

// The integration tests' support; a bench uses a part of it.
#[allow(dead_code)]
#[path = "../tests/it/support/mod.rs"]
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use sha2::{Digest, Sha256};
use warroom::domain::{EventKind, IncidentTitle, NoteText, Severity, UserId};
use warroom::store::{Store, Told};

use support::http_client::HttpClient;

#[allow(dead_code)]
#[path = "common/figures.rs"]
mod figures;
use figures::{env_number, percentile};

const TOKEN: &str = "wr_bench_responder_0c4f";
const SESSION_KEY: &str = "a-bench-session-key-of-forty-characters-00";

/// A responder's session cookie, signed as `serve` signs them.
fn session_cookie() -> String {
    use warroom::http::web::session::{SESSION, Session, Signer};
    let signer = Signer::new(SESSION_KEY.as_bytes()).expect("a key");
    let session = Session {
        sub: "bench".into(),
        name: "Bench".into(),
        role: "responder".into(),
        until: Utc::now() + chrono::Duration::hours(1),
        csrf: "bench-form-token".into(),
    };
    format!("{SESSION}={}", signer.sign(&session))
}

/// Bulk statements the store has no use for: a benchmark's shortcut to a million events.
macro_rules! seed_events {
    ($pool:expr, $incidents:expr, $events:expr) => {{
        let note = serde_json::to_string(&EventKind::Note {
            text: NoteText::parse("Error rate still at 4%; the rollback is half done.")
                .expect("a note"),
        })
        .expect("JSON");
        let at = Utc::now() - chrono::Duration::days(30);
        const ROWS: usize = 500;
        let mut tx = $pool.begin().await.expect("a transaction");
        for n in 1..=$incidents as i64 {
            let mut seq = 2_i64;
            while seq <= $events as i64 {
                let upto = (seq + ROWS as i64 - 1).min($events as i64);
                let mut sql = String::from(
                    "INSERT INTO timeline_events (incident_number, seq, at, actor, kind, data) VALUES ",
                );
                for (i, _) in (seq..=upto).enumerate() {
                    if i > 0 {
                        sql.push(',');
                    }
                    let b = i * 4;
                    sql.push_str(&format!("(${}, ${}, ${}, 'bob', 'note', ${})", b + 1, b + 2, b + 3, b + 4));
                }
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for s in seq..=upto {
                    query = query
                        .bind(n)
                        .bind(s)
                        .bind(at + chrono::Duration::seconds(s))
                        .bind(note.clone());
                }
                query.execute(&mut *tx).await.expect("events written");
                seq = upto + 1;
            }
        }
        let statements = [
            format!("UPDATE incidents SET version = {}", $events),
            "UPDATE incidents SET status = 'resolved', resolved_at = declared_at WHERE number % 5 <> 0"
                .to_owned(),
            "UPDATE incidents SET details = '{\"private\":true}' WHERE number % 20 = 3".to_owned(),
        ];
        for statement in statements {
            sqlx::query(sqlx::AssertSqlSafe(statement))
                .execute(&mut *tx)
                .await
                .expect("updated");
        }
        tx.commit().await.expect("committed");
    }};
}

/// 10,000 incidents with 100 events each in the database at `url`.
async fn seed(url: &str, incidents: usize, events: usize) {
    let started = Instant::now();
    let store = Store::connect(url).await.expect("the database");
    let alice = UserId::parse("alice").expect("a user");
    let at = Utc::now() - chrono::Duration::days(30);
    for i in 0..incidents {
        let title = IncidentTitle::parse(&format!("Checkout errors, wave {i}")).expect("a title");
        let severity = [Severity::P1, Severity::P2, Severity::P3][i % 3];
        store
            .declare_told(&title, severity, &alice, at, &Told::nothing())
            .await
            .expect("declared");
    }
    drop(store);
    if url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(url).await.expect("SQLite");
        seed_events!(pool, incidents, events);
    } else {
        let pool = sqlx::PgPool::connect(url).await.expect("PostgreSQL");
        seed_events!(pool, incidents, events);
    }
    println!(
        "{incidents} incidents, {} events written in {:.1} s",
        incidents * events,
        started.elapsed().as_secs_f64()
    );
}

/// Runs the load against a `serve` on `url` and prints the figures under `name`.
async fn measure(name: &str, dir: &Path, url: &str, incidents: usize) {
    let clients = env_number("WARROOM_BENCH_CLIENTS", 50);
    let per_client = env_number("WARROOM_BENCH_REQUESTS", 80);
    std::fs::write(
        dir.join("warroom.toml"),
        format!(
            "[[api_tokens]]\nname = \"bench\"\nsha256 = \"{}\"\nrole = \"responder\"\n\
             [http]\nmax_connections_per_peer = 0\n\
             [web]\nissuer = \"http://127.0.0.1:9\"\nbase_url = \"http://127.0.0.1:9\"\n\
             client_secret = {{ env = \"BENCH_OIDC_SECRET\" }}\n\
             session_key = {{ env = \"BENCH_SESSION_KEY\" }}\nresponder_groups = [\"sre\"]\n",
            hex::encode(Sha256::digest(TOKEN.as_bytes()))
        ),
    )
    .expect("config");
    let mut command = support::binary::command(dir);
    command
        .env("WARROOM_DATABASE_URL", url)
        .env("BENCH_OIDC_SECRET", "unused")
        .env("BENCH_SESSION_KEY", SESSION_KEY);
    let (mut child, address, _) =
        support::serving::start_serve(command, "api-bench", Duration::from_secs(60));
    let base = format!("http://{address}");
    let auth = format!("Bearer {TOKEN}");
    let cookie = session_cookie();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (base, auth, cookie) = (base.clone(), auth.clone(), cookie.clone());
        tasks.push(tokio::spawn(async move {
            let client = HttpClient::default();
            let mut times: [Vec<Duration>; 4] = Default::default();
            for r in 0..per_client {
                let n = (c * 7919 + r * 104_729) % incidents + 1;
                let which = r % 4;
                let path = match which {
                    0 => "/api/v1/incidents?limit=50".to_owned(),
                    1 => format!("/api/v1/incidents/INC-{n}"),
                    2 => format!("/api/v1/incidents/INC-{n}/timeline"),
                    _ => format!("/web/incidents/INC-{n}"),
                };
                let t = Instant::now();
                let answer = client
                    .get_with(
                        &format!("{base}{path}"),
                        &[("authorization", &auth), ("cookie", &cookie)],
                    )
                    .await;
                times[which].push(t.elapsed());
                assert_eq!(answer.status, 200, "{path}: {}", answer.body);
            }
            times
        }));
    }
    let mut all: [Vec<Duration>; 4] = Default::default();
    for task in tasks {
        let times = task.await.expect("a client");
        for (into, from) in all.iter_mut().zip(times) {
            into.extend(from);
        }
    }
    let elapsed = started.elapsed();
    let total: usize = all.iter().map(Vec::len).sum();
    println!(
        "{name}: {clients} clients, {total} requests in {:.1} s ({:.0} /s)",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    for (what, mut times) in [
        "a page of 50 open incidents",
        "one incident",
        "a timeline of 100 events",
        "the web view's incident page",
    ]
    .into_iter()
    .zip(all)
    {
        times.sort_unstable();
        println!(
            "  {what}: p50 {:.1} ms, p99 {:.1} ms",
            percentile(&times, 0.5).as_secs_f64() * 1000.0,
            percentile(&times, 0.99).as_secs_f64() * 1000.0
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::main]
async fn main() {
    let incidents = env_number("WARROOM_BENCH_INCIDENTS", 10_000);
    let events = env_number("WARROOM_BENCH_EVENTS", 100);
    let dir = tempfile::tempdir().expect("a temp dir");
    let url = format!("sqlite://{}", dir.path().join("warroom.db").display());
    seed(&url, incidents, events).await;
    measure("SQLite", dir.path(), &url, incidents).await;
    if let Some((_, _, url)) = support::postgres::fresh_postgres("api bench", "api_bench").await {
        seed(&url, incidents, events).await;
        measure("PostgreSQL", dir.path(), &url, incidents).await;
    }
}
