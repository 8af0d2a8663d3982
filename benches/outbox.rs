//! The outbox after a chat outage (run with `cargo bench --bench outbox`), printing figures:
//! 100 incidents are declared while the chat refuses every call (`ChatError::Unavailable`);
//! their effects pile up in the outbox while the delivery retries the lane heads with backoff
//! for 60 s (simulated: the engine runs on a `SimulatedClock` stepped 100 ms at a time); then
//! the chat is back and the figures are
//! - the drain rate: with every entry due, how fast `Engine::deliver_due` (a delivery
//!   worker's round) carries out the backlog, in effects per second of wall time;
//! - the time until the outbox is empty when the chat comes back, stepping the simulated clock
//!   as a worker would wait: dominated by the backoff, since after 60 s of failures each
//!   lane's head waits up to about a minute for its next attempt.
//!
//! The chat is an in-process port that answers at once (`WARROOM_BENCH_CHAT_DELAY_MS`, default
//! 0, adds a delay to every call), so the drain rate is the outbox's own ceiling: the store's
//! claims and marks and the engine's lookups. SQLite file, and PostgreSQL when
//! `WARROOM_TEST_POSTGRES_URL` is set (a fresh database per run on that server).

// The tests' engine builder; the rest of their support is not needed here.
#[allow(dead_code)]
#[path = "../tests/it/support/engine.rs"]
mod test_engine;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use sqlx::{AssertSqlSafe, Connection, Executor};
use warroom::domain::{Platform, UserId};
use warroom::engine::clock::Clock;
use warroom::engine::message::{FileUpload, Message};
use warroom::engine::port::{ChatError, ChatPort, MessageId, Origin, RoomId, RoomRef};
use warroom::store::Store;

use test_engine::{TestEngine, simulated_clock};

const INCIDENTS: usize = 100;
const OUTAGE: chrono::Duration = chrono::Duration::seconds(60);
const STEP: chrono::Duration = chrono::Duration::milliseconds(100);
const PLATFORM: Platform = Platform::Console;

/// A chat that refuses every call while down and answers at once (or after `delay`) otherwise.
struct FlakyChat {
    down: AtomicBool,
    delay: Duration,
    calls: AtomicUsize,
    refused: AtomicUsize,
}

impl FlakyChat {
    async fn call(&self) -> Result<String, ChatError> {
        if self.down.load(Ordering::SeqCst) {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Err(ChatError::Unavailable("the bench chat is down".into()));
        }
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        Ok(format!("m{}", self.calls.fetch_add(1, Ordering::Relaxed)))
    }
}

#[async_trait]
impl ChatPort for FlakyChat {
    fn platform(&self) -> Platform {
        PLATFORM
    }
    async fn create_room(
        &self,
        name: &str,
        _topic: &str,
        _private: bool,
    ) -> Result<RoomRef, ChatError> {
        let id = self.call().await?;
        Ok(RoomRef {
            id: RoomId::new(PLATFORM, id),
            name: name.to_owned(),
        })
    }
    async fn set_topic(&self, _room: &RoomRef, _topic: &str) -> Result<(), ChatError> {
        self.call().await.map(|_| ())
    }
    async fn invite(&self, _room: &RoomRef, _users: &[UserId]) -> Result<(), ChatError> {
        self.call().await.map(|_| ())
    }
    async fn post(&self, room: &RoomRef, _message: &Message) -> Result<MessageId, ChatError> {
        Ok(MessageId::new(room.id.clone(), self.call().await?))
    }
    async fn update(&self, _target: &MessageId, _message: &Message) -> Result<(), ChatError> {
        self.call().await.map(|_| ())
    }
    async fn reply_in_thread(
        &self,
        parent: &MessageId,
        _message: &Message,
    ) -> Result<MessageId, ChatError> {
        Ok(MessageId::new(parent.room().clone(), self.call().await?))
    }
    async fn reply_privately(&self, _origin: &Origin, _message: &Message) -> Result<(), ChatError> {
        self.call().await.map(|_| ())
    }
    async fn direct_message(&self, _user: &UserId, _message: &Message) -> Result<(), ChatError> {
        self.call().await.map(|_| ())
    }
    async fn pin(&self, _target: &MessageId) -> Result<(), ChatError> {
        self.call().await.map(|_| ())
    }
    async fn upload(&self, _room: &RoomRef, _file: &FileUpload) -> Result<(), ChatError> {
        self.call().await.map(|_| ())
    }
}

/// What one outage came to.
struct Outage {
    /// Entries waiting when the chat came back.
    backlog: i64,
    /// Failed attempts during the outage.
    retries: usize,
    /// Entries delivered after it.
    delivered: usize,
    /// Wall time of the deliveries once everything is due.
    drain: Duration,
    /// Simulated time from the chat's return until the outbox was empty.
    until_empty: chrono::Duration,
    /// Simulated time from the chat's return until the first delivery.
    until_first: chrono::Duration,
}

/// Declares `INCIDENTS` incidents while the chat is down, retries for `OUTAGE`, brings the
/// chat back; then either jumps the clock past every retry (`jump`, for the drain rate) or
/// steps it as a worker would wait (for the time until empty).
async fn outage(url: &str, delay: Duration, jump: bool) -> Outage {
    let store = Store::connect(url).await.expect("open the bench database");
    let clock = simulated_clock();
    let engine = TestEngine::store(store.clone())
        .clock(clock.clone())
        .build()
        .await;
    let chat = FlakyChat {
        down: AtomicBool::new(true),
        delay,
        calls: AtomicUsize::new(0),
        refused: AtomicUsize::new(0),
    };
    let origin = Origin {
        room_id: RoomId::new(PLATFORM, "lobby"),
        user: UserId::parse("alice").expect("user"),
    };
    for i in 0..INCIDENTS {
        let effects = engine
            .incidents()
            .handle_text(&origin, &format!("declare p2 outage bench incident {i}"))
            .await;
        engine.delivery().dispatch(&chat, &origin, effects).await;
    }
    // The outage: every due head is tried and fails, as often as the backoff allows.
    let mut retries = 0;
    let mut waited = chrono::Duration::zero();
    while waited < OUTAGE {
        let round = engine
            .delivery()
            .deliver_due(&chat, "bench")
            .await
            .expect("a round");
        assert_eq!(round.delivered, 0);
        retries += round.retrying;
        clock.advance(STEP);
        waited += STEP;
    }
    let backlog = store
        .outbox_backlog(PLATFORM, clock.now() - chrono::Duration::hours(1))
        .await
        .expect("backlog")
        .pending;
    chat.down.store(false, Ordering::SeqCst);
    let back = clock.now();

    let mut delivered = 0;
    let mut drain = Duration::ZERO;
    let mut first = None;
    if jump {
        clock.advance(chrono::Duration::minutes(2));
        let started = Instant::now();
        let round = engine
            .delivery()
            .deliver_due(&chat, "bench")
            .await
            .expect("a round");
        drain = started.elapsed();
        delivered += round.delivered;
        first = Some(back);
    } else {
        loop {
            let started = Instant::now();
            let round = engine
                .delivery()
                .deliver_due(&chat, "bench")
                .await
                .expect("a round");
            if round.delivered > 0 {
                drain += started.elapsed();
                first.get_or_insert(clock.now());
            }
            delivered += round.delivered;
            if store
                .outbox_next_due(PLATFORM)
                .await
                .expect("next")
                .is_none()
            {
                break;
            }
            clock.advance(STEP);
        }
    }
    let left = store
        .outbox_backlog(PLATFORM, clock.now() - chrono::Duration::hours(1))
        .await
        .expect("backlog")
        .pending;
    assert_eq!(left, 0, "the outbox was not emptied");
    Outage {
        backlog,
        retries,
        delivered,
        drain,
        until_empty: clock.now() - back,
        until_first: first.expect("something was delivered") - back,
    }
}

async fn fresh_postgres(base: &str, run: usize) -> Option<String> {
    let mut conn = sqlx::PgConnection::connect(base).await.ok()?;
    let name = format!("warroom_bench_outbox_{}_{run}", std::process::id());
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

async fn drop_postgres(base: &str, url: &str) {
    let Ok(mut conn) = sqlx::PgConnection::connect(base).await else {
        return;
    };
    let Some(name) = url::Url::parse(url)
        .ok()
        .map(|u| u.path().trim_start_matches('/').to_owned())
    else {
        return;
    };
    let _ = conn
        .execute(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .await;
}

/// Runs the outage twice on fresh databases: once for the drain rate, once for the time until
/// empty. `postgres` is the server to make the databases on; SQLite files in `dir` otherwise.
async fn bench(name: &str, delay: Duration, dir: &std::path::Path, postgres: Option<&str>) {
    for run in 0..2 {
        let jump = run == 0;
        let url = match postgres {
            Some(base) => fresh_postgres(base, run)
                .await
                .expect("a database on WARROOM_TEST_POSTGRES_URL's server"),
            None => format!(
                "sqlite://{}",
                dir.join(format!("outbox-{run}.db")).display()
            ),
        };
        let o = outage(&url, delay, jump).await;
        if let Some(base) = postgres {
            drop_postgres(base, &url).await;
        }
        if jump {
            println!(
                "{name:<9} {} entries waiting after 60 s ({} failed attempts); all due: {} delivered in {:.0} ms, {:.0} effects/s",
                o.backlog,
                o.retries,
                o.delivered,
                o.drain.as_secs_f64() * 1e3,
                o.delivered as f64 / o.drain.as_secs_f64()
            );
        } else {
            println!(
                "{name:<9} stepping the clock as a worker waits: first delivery {:.1} s after the chat is back, outbox empty after {:.1} s (deliveries took {:.0} ms of wall time)",
                o.until_first.num_milliseconds() as f64 / 1e3,
                o.until_empty.num_milliseconds() as f64 / 1e3,
                o.drain.as_secs_f64() * 1e3
            );
        }
    }
}

#[tokio::main]
async fn main() {
    let delay = Duration::from_millis(
        std::env::var("WARROOM_BENCH_CHAT_DELAY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    );
    println!(
        "Outbox benchmark: {INCIDENTS} incidents declared during a 60 s chat outage, chat calls take {} ms, {} CPUs",
        delay.as_millis(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let dir = tempfile::tempdir().expect("temp dir");
    bench("sqlite", delay, dir.path(), None).await;
    match std::env::var("WARROOM_TEST_POSTGRES_URL") {
        Ok(base) => bench("postgres", delay, dir.path(), Some(&base)).await,
        Err(_) => println!("postgres  skipped: WARROOM_TEST_POSTGRES_URL is not set"),
    }
}
