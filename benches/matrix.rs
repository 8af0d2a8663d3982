//! Commands through a real Synapse: from alice's `!incident note …` message to the bot's answer
//! as alice's own sync sees it. Prints the latency of commands one at a time (p50, p99) and
//! the rate of a burst. Needs the Synapse of scripts/start-synapse.sh; says so and stops when
//! none answers.
//!
//!     export WARROOM_TEST_SYNAPSE_URL=$(scripts/start-synapse.sh)
//!     cargo bench --bench matrix

// The integration tests' support; a bench uses a part of it.
#[allow(dead_code)]
#[path = "../tests/it/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use scene::Scene;
use serde_json::Value;

use matrix::{Human, body};
use support::matrix;
use support::matrix_scene as scene;

/// Commands sent one at a time.
const SEQUENTIAL: usize = 100;
/// Commands sent back to back.
const BURST: usize = 200;

/// Alice's incremental sync of one room.
struct Follower {
    human: Human,
    since: String,
    filter: String,
}

impl Follower {
    async fn new(human: Human, room: &str) -> Follower {
        let filter = serde_json::json!({
            "room": { "rooms": [room], "timeline": { "limit": 100 } },
            "presence": { "not_types": ["*"] },
            "account_data": { "not_types": ["*"] },
        })
        .to_string();
        let filter: String = url::form_urlencoded::byte_serialize(filter.as_bytes()).collect();
        let first = human
            .call(
                "GET",
                &format!("/_matrix/client/v3/sync?timeout=0&filter={filter}"),
                None,
            )
            .await;
        let since = first["next_batch"]
            .as_str()
            .expect("a sync token")
            .to_owned();
        Follower {
            human,
            since,
            filter,
        }
    }

    /// The room's new timeline events, waiting up to 10 s for some.
    async fn next(&mut self, room: &str) -> Vec<Value> {
        let synced = self
            .human
            .call(
                "GET",
                &format!(
                    "/_matrix/client/v3/sync?timeout=10000&since={}&filter={}",
                    self.since, self.filter
                ),
                None,
            )
            .await;
        self.since = synced["next_batch"]
            .as_str()
            .expect("a sync token")
            .to_owned();
        synced["rooms"]["join"][room]["timeline"]["events"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Which `bench-N` marks the bot's answers carry.
fn answered(events: &[Value], bot: &str) -> Vec<usize> {
    events
        .iter()
        .filter(|e| e["sender"] == bot && e["type"] == "m.room.message")
        .filter_map(|e| {
            let text = body(e);
            let at = text.find("bench-")?;
            text[at + 6..]
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

#[tokio::main]
async fn main() {
    let Some(scene) = Scene::new("benches/matrix", "warroom-bot8", &[]).await else {
        return;
    };
    let room = scene.declare(&format!("Bench {}", scene.tag)).await;
    let mut follower = Follower::new(scene.alice.clone(), &room).await;
    let bot = scene.bot.clone();

    let mut latencies = Vec::with_capacity(SEQUENTIAL);
    for i in 0..SEQUENTIAL {
        let started = Instant::now();
        scene
            .alice
            .say(&room, &format!("!incident note bench-{i} sequential"))
            .await;
        loop {
            let events = follower.next(&room).await;
            if answered(&events, &bot).contains(&i) {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no answer to bench-{i}"
            );
        }
        latencies.push(started.elapsed());
    }
    latencies.sort();

    let started = Instant::now();
    let offset = SEQUENTIAL;
    for i in offset..offset + BURST {
        scene
            .alice
            .say(&room, &format!("!incident note bench-{i} burst"))
            .await;
    }
    let sent = started.elapsed();
    // A burst is more than one sync returns: look at the room's history instead.
    let mut seen: HashMap<usize, Duration> = HashMap::new();
    while seen.len() < BURST {
        let history = scene.alice.events(&room).await;
        for i in answered(&history, &bot) {
            if i >= offset {
                seen.entry(i).or_insert_with(|| started.elapsed());
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "only {} of {BURST} answers",
            seen.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let all = started.elapsed();

    println!(
        "matrix: {SEQUENTIAL} commands one at a time, message to answer through Synapse: p50 {} · p99 {} · max {}",
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
        ms(*latencies.last().expect("latencies")),
    );
    println!(
        "matrix: {BURST} commands back to back: sent in {:.2} s, all answered in {:.2} s = {:.1} commands/s",
        sent.as_secs_f64(),
        all.as_secs_f64(),
        BURST as f64 / all.as_secs_f64()
    );
}
