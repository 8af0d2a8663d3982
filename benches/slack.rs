//! Slack under load (run with `cargo bench --bench slack`), printing figures:
//! - the acknowledgement latency of signed slash commands, 200 sent at once, in rounds:
//!   p50, p99, max (Slack wants an answer within 3 s; the target here is p99 <= 20 ms);
//! - declares per second end to end: from the first request of a round until every war room
//!   of the round exists with its card posted and pinned in the fake Slack.
//!
//! Warroom runs in this process on a SQLite file (or PostgreSQL when `WARROOM_BENCH_POSTGRES_URL`
//! names a fresh database), against the strict fake Slack of the tests. `WARROOM_BENCH_ROUNDS`
//! (default 5) and `WARROOM_BENCH_CONCURRENCY` (default 200) change the load.

#[path = "../tests/support/fake_slack/mod.rs"]
mod fake_slack;
#[path = "../tests/support/http_client.rs"]
mod http_client;

use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use tokio::sync::Barrier;
use warroom::chat::slack::{ApiSettings, SignatureVerifier, SlackAdapter, SlackApi, SlackChat};
use warroom::engine::clock::SystemClock;
use warroom::engine::postmortem::PostmortemRenderer;
use warroom::engine::{Engine, Settings};
use warroom::http::{AppState, router};
use warroom::store::Store;

const TOKEN: &str = "xoxb-bench";
const SECRET: &str = "bench-signing-secret";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let rounds = env_number("WARROOM_BENCH_ROUNDS", 5);
    let concurrency = env_number("WARROOM_BENCH_CONCURRENCY", 200) as usize;
    let dir = tempfile::tempdir().unwrap();
    let url = std::env::var("WARROOM_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let store = Store::connect(&url).await.expect("the database opens");
    let backend = store.backend();
    let engine = Arc::new(Engine::new(
        store.clone(),
        Arc::new(SystemClock),
        Settings::default(),
        PostmortemRenderer::new(None).unwrap(),
    ));
    let fake = fake_slack::FakeSlack::start(TOKEN).await;
    fake.add_channel("C0GENERAL", "general", &[]);
    let api = SlackApi::new(
        ApiSettings {
            api_url: fake.api_url.clone(),
            max_retries: 3,
            post_interval: Duration::from_millis(1000),
        },
        &SecretString::from(TOKEN),
    )
    .unwrap();
    let adapter = Arc::new(SlackAdapter::new(
        engine.clone(),
        Arc::new(SlackChat::new(api)),
        SignatureVerifier::new(SecretString::from(SECRET)),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = router(AppState {
        engine: engine.clone(),
        slack: Some(adapter),
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let endpoint = format!("http://{address}/slack/commands");
    let signer = SignatureVerifier::new(SecretString::from(SECRET));
    let client = http_client::HttpClient::default();

    println!(
        "Slack benchmark: {rounds} rounds of {concurrency} signed /incident declare at once, {backend}, {} CPUs",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut latencies = Vec::new();
    let mut rates = Vec::new();
    let mut declared = 0usize;
    for round in 0..rounds {
        let barrier = Arc::new(Barrier::new(concurrency));
        let ts = chrono::Utc::now().timestamp().to_string();
        let mut tasks = Vec::new();
        for i in 0..concurrency {
            let body = serde_urlencoded::to_string([
                ("command", "/incident".to_owned()),
                (
                    "text",
                    format!("declare p3 bench round {round} request {i}"),
                ),
                ("user_id", format!("U0B{i:04}")),
                ("channel_id", "C0GENERAL".to_owned()),
                ("response_url", fake.response_url(&format!("r{round}-{i}"))),
                ("trigger_id", format!("{round}.{i}.bench")),
            ])
            .unwrap();
            let signature = signer.sign(&ts, body.as_bytes());
            let headers = vec![
                ("x-slack-request-timestamp", ts.clone()),
                ("x-slack-signature", signature),
            ];
            let (client, endpoint, barrier) = (client.clone(), endpoint.clone(), barrier.clone());
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                let start = Instant::now();
                let answer = client
                    .post(
                        &endpoint,
                        &headers,
                        "application/x-www-form-urlencoded",
                        body,
                    )
                    .await;
                assert_eq!(answer.status, 200, "{answer:?}");
                (start, start.elapsed())
            }));
        }
        let mut first = None::<Instant>;
        for t in tasks {
            let (start, took) = t.await.unwrap();
            latencies.push(took.as_secs_f64() * 1000.0);
            first = Some(first.map_or(start, |f| f.min(start)));
        }
        declared += concurrency;
        let target = declared;
        fake.wait_for(
            "every war room with its pinned card",
            Duration::from_secs(600),
            |w| {
                let pinned = w.channels.values().filter(|c| !c.pins.is_empty()).count();
                (pinned >= target).then_some(())
            },
        )
        .await;
        let took = first.unwrap().elapsed().as_secs_f64();
        rates.push(concurrency as f64 / took);
        println!(
            "  round {}: {concurrency} declares done end to end in {took:.2} s ({:.0}/s)",
            round + 1,
            concurrency as f64 / took
        );
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "acknowledgement latency over {} requests: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 <= 20 ms)",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0.0)
    );
    rates.sort_by(f64::total_cmp);
    println!(
        "declares per second end to end (war room created, topic set, card posted and pinned): median {:.0}/s, worst round {:.0}/s",
        percentile(&rates, 0.5),
        rates[0]
    );
    let violations = fake.world(|w| w.violations.clone());
    assert!(
        violations.is_empty(),
        "Warroom broke Slack's rules: {violations:#?}"
    );
}
