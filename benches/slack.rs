//! Slack under load (run with `cargo bench --bench slack`), printing figures:
//! - the acknowledgement latency of signed slash commands, 200 sent at once, in rounds:
//!   p50, p99, max (Slack wants an answer within 3 s; the target here is p99 <= 20 ms), for
//!   `help` (light work behind each) and for `declare` (a war room made behind each);
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

fn report(what: &str, latencies: &mut [f64]) {
    latencies.sort_by(f64::total_cmp);
    println!(
        "{what} over {} requests: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 <= 20 ms)",
        latencies.len(),
        percentile(latencies, 0.5),
        percentile(latencies, 0.99),
        latencies.last().copied().unwrap_or(0.0)
    );
}

/// Sends rounds of signed slash commands at once.
struct Bench<'a> {
    fake: &'a fake_slack::FakeSlack,
    client: http_client::HttpClient,
    endpoint: String,
    signer: SignatureVerifier,
    concurrency: usize,
}

impl Bench<'_> {
    /// Sends `concurrency` commands at once; their latencies (ms) and when the first left.
    async fn round(&self, tag: &str, text: impl Fn(usize) -> String) -> (Vec<f64>, Instant) {
        let barrier = Arc::new(Barrier::new(self.concurrency));
        let ts = chrono::Utc::now().timestamp().to_string();
        let mut tasks = Vec::new();
        for i in 0..self.concurrency {
            let body = serde_urlencoded::to_string([
                ("command", "/incident".to_owned()),
                ("text", text(i)),
                ("user_id", format!("U0B{i:04}")),
                ("channel_id", "C0GENERAL".to_owned()),
                (
                    "response_url",
                    self.fake.response_url(&format!("{tag}-{i}")),
                ),
                ("trigger_id", format!("{tag}.{i}.bench")),
            ])
            .unwrap();
            let signature = self.signer.sign(&ts, body.as_bytes());
            let headers = vec![
                ("x-slack-request-timestamp", ts.clone()),
                ("x-slack-signature", signature),
            ];
            let (client, endpoint, barrier) =
                (self.client.clone(), self.endpoint.clone(), barrier.clone());
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
        let mut took = Vec::new();
        for t in tasks {
            let (start, elapsed) = t.await.unwrap();
            took.push(elapsed.as_secs_f64() * 1000.0);
            first = Some(first.map_or(start, |f| f.min(start)));
        }
        (took, first.unwrap())
    }
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
        Some(SignatureVerifier::new(SecretString::from(SECRET))),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = router(AppState {
        engine: engine.clone(),
        alerts: None,
        slack: Some(adapter),
        chats: vec!["slack".into()],
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let endpoint = format!("http://{address}/slack/commands");
    let signer = SignatureVerifier::new(SecretString::from(SECRET));
    let client = http_client::HttpClient::default();

    println!(
        "Slack benchmark: {rounds} rounds of {concurrency} signed slash commands at once, {backend}, {} CPUs",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let bench = Bench {
        fake: &fake,
        client,
        endpoint,
        signer,
        concurrency,
    };
    // One round first, unmeasured, opens the client's connections, as a busy Slack keeps
    // them open; its figures are printed apart.
    let (mut cold, _) = bench.round("warm", |_| "help".to_owned()).await;
    let mut answered = concurrency;
    fake.wait_for("every help answer", Duration::from_secs(600), |w| {
        (w.responses.len() >= concurrency).then_some(())
    })
    .await;
    report(
        "acknowledgement latency, `help`, new connections",
        &mut cold,
    );
    // Acknowledgements while the work behind them is light: `help` is answered privately
    // through the response_url.
    let mut latencies = Vec::new();
    for round in 0..rounds {
        let (took, _) = bench
            .round(&format!("h{round}"), |_| "help".to_owned())
            .await;
        latencies.extend(took);
        answered += concurrency;
        let target = answered;
        fake.wait_for("every help answer", Duration::from_secs(600), |w| {
            (w.responses.len() >= target).then_some(())
        })
        .await;
    }
    report("acknowledgement latency, `help`", &mut latencies);

    // Declares: the acknowledgements while 200 war rooms are being made, and the rate.
    let mut latencies = Vec::new();
    let mut rates = Vec::new();
    let mut declared = 0usize;
    for round in 0..rounds {
        let (took, first) = bench
            .round(&format!("d{round}"), |i| {
                format!("declare p3 bench round {round} request {i}")
            })
            .await;
        latencies.extend(took);
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
        let took = first.elapsed().as_secs_f64();
        rates.push(concurrency as f64 / took);
        println!(
            "  round {}: {concurrency} declares done end to end in {took:.2} s ({:.0}/s)",
            round + 1,
            concurrency as f64 / took
        );
    }
    report("acknowledgement latency, `declare`", &mut latencies);
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
