//! Slack under load (run with `cargo bench --bench slack`), printing figures:
//! - the acknowledgement latency of signed slash commands, 200 sent at once, in rounds:
//!   p50, p99, max (Slack wants an answer within 3 s; the target here is p99 <= 20 ms), for
//!   `help` (light work behind each) and for `declare` (a war room made behind each);
//! - the latency from a slash command to the chat call it causes: `note` typed in a war room
//!   until the fake Slack receives the note's `chat.postMessage` there (which the outbox's
//!   delivery worker makes), p50, p99, max, one note at a time and 100 at once (in 100 rooms);
//! - declares per second end to end: from the first request of a round until every war room
//!   of the round exists with its card posted and pinned in the fake Slack, and each
//!   declaration is announced in the lobby it came from (a lobby per request);
//! - the same burst of declares typed in one channel: until every war room and pinned card;
//! - over Socket Mode, bursts of 100 `/incident help` envelopes written by the fake at once:
//!   p50, p99, max of the time from the burst leaving the fake until each acknowledgement
//!   arrives there (target p99 <= 10 ms). `WARROOM_BENCH_SOCKET_ONLY=1` measures only this.
//!
//! Warroom runs in this process on a SQLite file (or PostgreSQL when `WARROOM_BENCH_POSTGRES_URL`
//! names a fresh database), against the strict fake Slack of the tests, with the delivery worker
//! of `warroom serve` (`warroom::delivery::run`) carrying out the outbox. `WARROOM_BENCH_ROUNDS`
//! (default 5) and `WARROOM_BENCH_CONCURRENCY` (default 200) change the load.

// The integration tests' support; a bench uses a part of it.
#[allow(dead_code)]
#[path = "../tests/it/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use tokio::sync::Barrier;
use warroom::chat::slack::{ApiSettings, SignatureVerifier, SlackAdapter, SlackApi, SlackChat};
use warroom::domain::Platform;
use warroom::http::{AppState, router};
use warroom::store::Store;

use support::engine::TestEngine;
use support::fake_slack;
use support::http_client;

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

/// Envelopes in one Socket Mode burst.
const SOCKET_BURST: usize = 100;

/// Socket Mode: `rounds` bursts of [`SOCKET_BURST`] `/incident help` envelopes, each written by
/// the fake at once; prints the time from the burst leaving the fake until each
/// acknowledgement arrived there.
async fn socket_bursts(fake: &fake_slack::FakeSlack, adapter: &Arc<SlackAdapter>, rounds: u64) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let listening = adapter.clone();
    let socket = tokio::spawn(async move {
        let token = SecretString::from(fake_slack::APP_TOKEN);
        let stop = async {
            let _ = stopped.await;
        };
        listening.socket_mode(&token, stop).await
    });
    let until = Instant::now() + Duration::from_secs(30);
    while !fake.socket_connected() {
        assert!(Instant::now() < until, "no Socket Mode connection");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // slack-morphism's listener (used before Warroom opened the websocket itself) opened a
    // second connection 5 s after the first, and the fake sends to the latest: the bursts wait
    // for that to settle, so that figures before and after are taken alike.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let responses = fake.world(|w| w.responses.len());
    let mut latencies = Vec::new();
    for round in 0..rounds as usize {
        let payloads = (0..SOCKET_BURST)
            .map(|i| {
                let trigger = format!("s{round}.{i}.bench");
                serde_json::json!({
                    "token": "bench", "team_id": "T0001", "team_domain": "fake",
                    "channel_id": "C0GENERAL", "channel_name": "general",
                    "user_id": format!("U0S{i:04}"), "user_name": "bench",
                    "command": "/incident", "text": "help", "api_app_id": "A0FAKE",
                    "response_url": fake.response_url(&trigger), "trigger_id": trigger,
                })
            })
            .collect();
        let ids = fake.socket_burst("slash_commands", payloads);
        let took = fake
            .wait_for(
                "every acknowledgement of the burst",
                Duration::from_secs(60),
                |w| {
                    ids.iter()
                        .map(|id| Some(w.acked_at.get(id)?.duration_since(*w.sent_at.get(id)?)))
                        .collect::<Option<Vec<_>>>()
                },
            )
            .await;
        latencies.extend(took.into_iter().map(|d| d.as_secs_f64() * 1000.0));
        let target = responses + (round + 1) * SOCKET_BURST;
        fake.wait_for("every help answer", Duration::from_secs(600), |w| {
            (w.responses.len() >= target).then_some(())
        })
        .await;
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "Socket Mode acknowledgement latency, {rounds} bursts of {SOCKET_BURST} `help` envelopes: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 <= 10 ms)",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0.0)
    );
    let _ = stop.send(());
    let _ = socket.await;
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
        let (took, starts) = self
            .round_in(tag, self.concurrency, |_| "C0GENERAL".to_owned(), text)
            .await;
        (took, starts.into_iter().min().unwrap())
    }

    /// Sends `n` commands at once, the i-th typed in `channel(i)`; their latencies (ms) and
    /// when each left.
    async fn round_in(
        &self,
        tag: &str,
        n: usize,
        channel: impl Fn(usize) -> String,
        text: impl Fn(usize) -> String,
    ) -> (Vec<f64>, Vec<Instant>) {
        let barrier = Arc::new(Barrier::new(n));
        let ts = chrono::Utc::now().timestamp().to_string();
        let mut tasks = Vec::new();
        for i in 0..n {
            let body = serde_urlencoded::to_string([
                ("token", "bench".to_owned()),
                ("team_id", "T0001".to_owned()),
                ("command", "/incident".to_owned()),
                ("text", text(i)),
                ("user_id", format!("U0B{i:04}")),
                ("channel_id", channel(i)),
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
        let mut starts = Vec::new();
        let mut took = Vec::new();
        for t in tasks {
            let (start, elapsed) = t.await.unwrap();
            took.push(elapsed.as_secs_f64() * 1000.0);
            starts.push(start);
        }
        (took, starts)
    }

    /// When the fake Slack received the first successful `chat.postMessage` in `channel`
    /// whose arguments contain `marker`, looking at calls from index `from` on.
    fn posted_at(&self, from: usize, channel: &str, marker: &str) -> Option<Instant> {
        self.fake.world(|w| {
            w.calls.iter().skip(from).find_map(|c| {
                let hit = c.method == "chat.postMessage"
                    && c.error.is_none()
                    && c.args.get("channel").and_then(|v| v.as_str()) == Some(channel)
                    && serde_json::Value::Object(c.args.clone())
                        .to_string()
                        .contains(marker);
                hit.then_some(c.at)
            })
        })
    }

    /// Waits for the `chat.postMessage` of each `(channel, marker)`; the time (ms) from each
    /// `start` to it.
    async fn posted_after(
        &self,
        from: usize,
        wanted: &[(String, String)],
        starts: &[Instant],
    ) -> Vec<f64> {
        let deadline = Instant::now() + Duration::from_secs(600);
        let mut took = Vec::new();
        for ((channel, marker), start) in wanted.iter().zip(starts) {
            let at = loop {
                if let Some(at) = self.posted_at(from, channel, marker) {
                    break at;
                }
                assert!(
                    Instant::now() < deadline,
                    "no post of {marker} in {channel}"
                );
                tokio::time::sleep(Duration::from_millis(2)).await;
            };
            took.push(at.duration_since(*start).as_secs_f64() * 1000.0);
        }
        took
    }
}

fn report_delivery(what: &str, latencies: &mut [f64]) {
    latencies.sort_by(f64::total_cmp);
    println!(
        "{what} over {} notes: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        percentile(latencies, 0.5),
        percentile(latencies, 0.99),
        latencies.last().copied().unwrap_or(0.0)
    );
}

/// How many war rooms the latency figures spread their notes over, each declared from a lobby
/// channel of its own (so that no room waits for Slack's one message a second per channel).
const LATENCY_ROOMS: usize = 100;
/// Notes sent one at a time for the latency figure.
const LATENCY_NOTES: usize = 300;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let rounds = env_number("WARROOM_BENCH_ROUNDS", 5);
    let concurrency = env_number("WARROOM_BENCH_CONCURRENCY", 200) as usize;
    let dir = tempfile::tempdir().unwrap();
    let url = std::env::var("WARROOM_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let store = Store::connect(&url).await.expect("the database opens");
    let backend = store.backend();
    let engine = Arc::new(TestEngine::store(store.clone()).build().await);
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
    let chat = Arc::new(SlackChat::new(api));
    // The delivery worker of `warroom serve` carries out the outbox, as in production.
    tokio::spawn(warroom::delivery::run(
        engine.clone(),
        chat.clone(),
        "bench".to_owned(),
        std::future::pending::<()>(),
    ));
    let adapter = Arc::new(SlackAdapter::new(
        engine.clone(),
        chat,
        Some(SignatureVerifier::new(SecretString::from(SECRET))),
    ));
    socket_bursts(&fake, &adapter, rounds).await;
    if std::env::var_os("WARROOM_BENCH_SOCKET_ONLY").is_some() {
        return;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = router(AppState {
        engine: engine.clone(),
        alerts: None,
        slack: Some(adapter),
        chats: vec![Platform::Slack],
        pagerduty: None,
        opsgenie: None,
        metrics: None,
        api: None,
        web: None,
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

    // From a command to the chat call it causes: `note` typed in a war room until its line is
    // posted there. The war rooms are declared first, each from a lobby of its own.
    for i in 0..LATENCY_ROOMS {
        fake.add_channel(&format!("C0LOBBY{i:03}"), &format!("lobby-{i:03}"), &[]);
    }
    bench
        .round_in(
            "l",
            LATENCY_ROOMS,
            |i| format!("C0LOBBY{i:03}"),
            |i| format!("declare p3 latency room {i}"),
        )
        .await;
    let rooms: Vec<String> = fake
        .wait_for(
            "every latency war room, its card pinned and its announcement posted",
            Duration::from_secs(600),
            |w| {
                let mut rooms = Vec::new();
                for i in 0..LATENCY_ROOMS {
                    let lobby = w.channels.get(&format!("C0LOBBY{i:03}"))?;
                    if lobby.messages.is_empty() {
                        return None;
                    }
                    let name = format!("latency-room-{i}");
                    let room = w
                        .channels
                        .values()
                        .find(|c| !c.pins.is_empty() && c.name.ends_with(&name))?;
                    rooms.push(room.id.clone());
                }
                Some(rooms)
            },
        )
        .await;
    // Past Slack's one message a second in each room (the cards and suggestions just posted).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut acks = Vec::new();
    let mut delivered = Vec::new();
    let mut last_in_room = vec![None::<Instant>; LATENCY_ROOMS];
    for k in 0..LATENCY_NOTES {
        let r = k % LATENCY_ROOMS;
        if let Some(last) = last_in_room[r] {
            let free = last + Duration::from_millis(1100);
            tokio::time::sleep_until(free.into()).await;
        }
        let from = fake.world(|w| w.calls.len());
        let marker = format!("probe{k:05}x");
        let room = rooms[r].clone();
        let (took, starts) = bench
            .round_in(
                &format!("n{k}"),
                1,
                |_| room.clone(),
                |_| format!("note latency {marker}"),
            )
            .await;
        acks.extend(took);
        delivered.extend(
            bench
                .posted_after(from, &[(room.clone(), marker)], &starts)
                .await,
        );
        last_in_room[r] = Some(Instant::now());
    }
    report("acknowledgement latency, `note` in a war room", &mut acks);
    report_delivery(
        "from a `note` request to its chat.postMessage, one at a time",
        &mut delivered,
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut burst = Vec::new();
    for b in 0..3 {
        let from = fake.world(|w| w.calls.len());
        let (_, starts) = bench
            .round_in(
                &format!("b{b}"),
                LATENCY_ROOMS,
                |i| rooms[i].clone(),
                |i| format!("note burst b{b}r{i:03}x"),
            )
            .await;
        let wanted: Vec<(String, String)> = (0..LATENCY_ROOMS)
            .map(|i| (rooms[i].clone(), format!("b{b}r{i:03}x")))
            .collect();
        burst.extend(bench.posted_after(from, &wanted, &starts).await);
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    report_delivery(
        &format!(
            "from a `note` request to its chat.postMessage, {LATENCY_ROOMS} at once in {LATENCY_ROOMS} rooms (3 bursts)"
        ),
        &mut burst,
    );

    // Declares: the acknowledgements while 200 war rooms are being made, and the rate. Each
    // request of a round comes from a lobby of its own, where its announcement is posted.
    for i in LATENCY_ROOMS..concurrency {
        fake.add_channel(&format!("C0LOBBY{i:03}"), &format!("lobby-{i:03}"), &[]);
    }
    let lobby = |i: usize| format!("C0LOBBY{i:03}");
    let mut latencies = Vec::new();
    let mut rates = Vec::new();
    let mut declared = LATENCY_ROOMS;
    for round in 0..rounds {
        // Past Slack's one message a second in each lobby.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let (took, starts) = bench
            .round_in(&format!("d{round}"), concurrency, lobby, |i| {
                format!("declare p3 bench round {round} request {i}")
            })
            .await;
        let first = starts.into_iter().min().unwrap();
        latencies.extend(took);
        declared += concurrency;
        let target = declared;
        fake.wait_for(
            "every war room with its pinned card, and every announcement",
            Duration::from_secs(600),
            |w| {
                let pinned = w.channels.values().filter(|c| !c.pins.is_empty()).count();
                let announced = (0..concurrency).all(|i| {
                    let before = usize::from(i < LATENCY_ROOMS);
                    w.channels
                        .get(&lobby(i))
                        .is_some_and(|c| c.messages.len() > round as usize + before)
                });
                (pinned >= target && announced).then_some(())
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
        "declares per second end to end (war room created, topic set, invited, card posted and pinned, announced in its lobby): median {:.0}/s, worst round {:.0}/s",
        percentile(&rates, 0.5),
        rates[0]
    );

    // The same burst typed in one channel: its announcements there go out one a second (the
    // pace Slack allows per channel), so only the war rooms and cards are waited for.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (_, first) = bench
        .round("g", |i| format!("declare p3 bench general request {i}"))
        .await;
    declared += concurrency;
    let target = declared;
    fake.wait_for(
        "every war room of the burst with its pinned card",
        Duration::from_secs(900),
        |w| {
            let pinned = w.channels.values().filter(|c| !c.pins.is_empty()).count();
            (pinned >= target).then_some(())
        },
    )
    .await;
    let took = first.elapsed().as_secs_f64();
    println!(
        "{concurrency} declares at once from one channel: every war room made and its card pinned after {took:.2} s ({:.0}/s; the announcements there follow at one a second)",
        concurrency as f64 / took
    );
    let violations = fake.world(|w| w.violations.clone());
    assert!(
        violations.is_empty(),
        "Warroom broke Slack's rules: {violations:#?}"
    );
}
