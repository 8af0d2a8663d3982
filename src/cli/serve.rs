//! `warroom serve`: the HTTP endpoints and the timer scheduler in one process, until SIGTERM or
//! Ctrl-C, then a graceful stop that waits at most `http.shutdown_timeout`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use secrecy::SecretString;
use tokio::net::TcpListener;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::watch;

use crate::chat::console::ConsoleChat;
use crate::chat::slack::SlackAdapter;
use crate::config::{Config, HttpConfig, SlackMode};
use crate::engine::Engine;
use crate::engine::clock::SystemClock;
use crate::engine::port::ChatPort;
use crate::http::alerts::AlertWebhook;
use crate::http::server::Limits;
use crate::http::{AppState, limited, router};

/// What the rest of the process (scheduler, deliveries, Matrix, Socket Mode) gets after the
/// HTTP connections' stop deadline before the process exits anyway.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// A running `warroom serve`: its listener is bound, its engine built, its signals handled.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    engine: Arc<Engine>,
    slack: Option<Arc<SlackAdapter>>,
    /// The app token, when Slack's events come over Socket Mode instead of HTTP.
    slack_socket: Option<SecretString>,
    /// The chats pages and reminders go to, the first also for alerts.
    chats: Vec<Arc<dyn ChatPort>>,
    alerts: Option<Arc<AlertWebhook>>,
    /// PagerDuty's webhook secret, when `/pagerduty` takes its deliveries.
    pagerduty: Option<Arc<SecretString>>,
    /// Opsgenie's webhook secret, when `/opsgenie` takes its deliveries.
    opsgenie: Option<Arc<SecretString>>,
    owner: String,
    terminate: Signal,
    matrix: Option<crate::chat::matrix::MatrixBot>,
    http: HttpConfig,
    /// The metrics recorder, when `/metrics` is on, and how often its database figures are
    /// read.
    metrics: Option<(crate::telemetry::Scrape, Duration)>,
    /// The tokens that may read the JSON API.
    api: Option<Arc<crate::http::api::ApiAccess>>,
    /// The web view, when `[web]` turns it on.
    web: Option<Arc<crate::http::web::WebView>>,
}

impl Application {
    /// Opens the database, builds the engine and binds `listen` (port 0 picks a free port).
    pub async fn build(config: &Config, listen: SocketAddr) -> anyhow::Result<Application> {
        // Before anything that records: the engine, the chats.
        let metrics = config
            .metrics
            .enabled
            .then(crate::telemetry::install)
            .flatten()
            .map(|scrape| (scrape, config.metrics.refresh()));
        let engine = super::build_engine(config, Arc::new(SystemClock), false).await?;
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let address = listener.local_addr().context("the bound address")?;
        // Installed now, so that a SIGTERM right after start-up stops the server gracefully
        // instead of killing it.
        let terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
        let engine = Arc::new(engine);
        let (slack, slack_socket) = match slack_adapter(config, &engine)? {
            Some((adapter, socket)) => (Some(adapter), socket),
            None => (None, None),
        };
        let matrix = super::matrix::bot(&config.matrix, engine.clone()).await?;
        // Each incident's pages and reminders go to the chat that holds its war room; alerts
        // open their war rooms in the first chat (Slack, else Matrix). Without a chat they are
        // lines on stdout (and timeline events in the database).
        let mut chats: Vec<Arc<dyn ChatPort>> = Vec::new();
        if let Some(adapter) = &slack {
            chats.push(adapter.chat());
        }
        if let Some(bot) = &matrix {
            chats.push(bot.chat());
        }
        if chats.is_empty() {
            chats.push(Arc::new(ConsoleChat::new(
                Box::new(std::io::stdout()),
                &config.bot_name,
            )));
        }
        let alerts = if config.alerts.enabled {
            let secrets = config.alerts.secrets().context("[alerts]")?;
            let rooms = config.announce_rooms()?;
            let room = rooms
                .get(&chats[0].platform())
                .unwrap_or(&config.lobby)
                .clone();
            Some(Arc::new(
                AlertWebhook::new(secrets, chats[0].clone(), room)
                    .with_budget(config.http.request_timeout * 3 / 4),
            ))
        } else {
            None
        };
        let webhook_secret = |source: &Option<crate::config::SecretSource>, key: &str| {
            source
                .as_ref()
                .map(|s| s.read(key, |name| std::env::var_os(name)).map(Arc::new))
                .transpose()
                .context("[notify]")
        };
        let pagerduty = webhook_secret(
            &config.notify.pagerduty_webhook_secret,
            "notify.pagerduty_webhook_secret",
        )?;
        let opsgenie = webhook_secret(
            &config.notify.opsgenie_webhook_secret,
            "notify.opsgenie_webhook_secret",
        )?;
        Ok(Application {
            listener,
            address,
            engine,
            slack,
            slack_socket,
            chats,
            alerts,
            pagerduty,
            opsgenie,
            owner: owner_id(),
            terminate,
            matrix,
            http: config.http.clone(),
            metrics,
            api: crate::http::api::ApiAccess::new(
                crate::config::api_tokens(&config.api_tokens).context("[[api_tokens]]")?,
            ),
            web: crate::http::web::WebView::from_config(&config.web, |source, key| {
                source
                    .read(key, |name| std::env::var_os(name))
                    .map_err(|e| e.to_string())
            })
            .map_err(|e| anyhow::anyhow!("[web]: {e}"))?,
        })
    }

    /// The port the listener is bound to.
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The address the listener is bound to.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves HTTP and fires timers until SIGTERM or Ctrl-C; then lets requests in flight
    /// finish for at most `http.shutdown_timeout` (their connections are dropped after it),
    /// stops the scheduler after its current round, and returns. Whatever is still running
    /// a little after that deadline is dropped.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Application {
            listener,
            engine,
            slack,
            slack_socket,
            chats,
            alerts,
            pagerduty,
            opsgenie,
            owner,
            mut terminate,
            matrix,
            http: http_config,
            metrics,
            api,
            web,
            ..
        } = self;
        let (stop, stopped) = watch::channel(false);
        let signals = async move {
            tokio::select! {
                _ = terminate.recv() => tracing::info!("SIGTERM: stopping"),
                _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C: stopping"),
            }
            let _ = stop.send(true);
        };
        let wait_for_stop = |mut rx: watch::Receiver<bool>| async move {
            // An error means the sender is gone, which also means stop.
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let app = limited(
            router(AppState {
                engine: engine.clone(),
                alerts,
                // Over Socket Mode, Slack's HTTP endpoints stay closed.
                slack: slack.clone().filter(|_| slack_socket.is_none()),
                chats: chats.iter().map(|c| c.platform()).collect(),
                pagerduty,
                opsgenie,
                metrics: metrics.as_ref().map(|(scrape, _)| scrape.clone()),
                api,
                web,
            }),
            &http_config,
        );
        let limits = Limits::fitted(&http_config);
        let http_stop = wait_for_stop(stopped.clone());
        let http =
            async move { crate::http::server::serve(listener, app, &limits, http_stop).await };
        let matrix = async {
            if let Some(bot) = matrix {
                bot.run(wait_for_stop(stopped.clone())).await;
            }
        };
        let socket_stop = wait_for_stop(stopped.clone());
        let socket = async move {
            if let (Some(adapter), Some(token)) = (slack, slack_socket)
                && let Err(e) = adapter.socket_mode(&token, socket_stop).await
            {
                tracing::error!(error = %e, "Slack Socket Mode is not running");
                eprintln!("warroom: Slack Socket Mode is not running: {e}");
            }
        };
        // One delivery worker per chat carries out its outbox.
        let deliveries = futures_util::future::join_all(chats.iter().map(|chat| {
            crate::delivery::run(
                engine.clone(),
                chat.clone(),
                owner.clone(),
                wait_for_stop(stopped.clone()),
            )
        }));
        // Runs cut short by a crash are settled by a job of their own.
        let sweep = crate::sweep::run(
            engine.clone(),
            chats.clone(),
            wait_for_stop(stopped.clone()),
        );
        let figures = {
            let (engine, stop) = (engine.clone(), wait_for_stop(stopped.clone()));
            let platforms = chats.iter().map(|c| c.platform()).collect();
            async move {
                if let Some((scrape, every)) = metrics {
                    crate::http::metrics::collect(engine, scrape, platforms, every, stop).await;
                }
            }
        };
        let scheduler = crate::scheduler::run(engine, chats, owner, wait_for_stop(stopped.clone()));
        let signals = tokio::spawn(signals);
        let everything =
            async { tokio::join!(http, scheduler, matrix, socket, deliveries, sweep, figures) };
        let deadline = async {
            wait_for_stop(stopped.clone()).await;
            tokio::time::sleep(http_config.shutdown_timeout + STOP_GRACE).await;
        };
        let served = tokio::select! {
            (served, (), (), (), _, (), ()) = everything => served,
            () = deadline => {
                tracing::warn!("still stopping after http.shutdown_timeout; exiting anyway");
                Ok(())
            }
        };
        signals.abort();
        served.context("the HTTP server failed")
    }
}

/// The Slack adapter when a bot token is configured, and the app token when it listens over
/// Socket Mode: secrets are read now, so that a missing one stops the start-up with its name.
fn slack_adapter(
    config: &Config,
    engine: &Arc<Engine>,
) -> anyhow::Result<Option<(Arc<SlackAdapter>, Option<SecretString>)>> {
    if !config.slack.enabled() {
        return Ok(None);
    }
    let secrets = config.slack.secrets().context("[slack]")?;
    let adapter = SlackAdapter::from_config(engine.clone(), &config.slack, &secrets)
        .map_err(|e| anyhow::anyhow!("[slack]: {e}"))?;
    let socket = match config.slack.mode {
        SlackMode::Socket => secrets.app_token,
        SlackMode::Http => None,
    };
    Ok(Some((Arc::new(adapter), socket)))
}

/// This machine's name (`localhost` when it has none).
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::env::var("HOSTNAME"))
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Names this process in timer claims: host, process id and a random part, so that a restarted
/// process on the same host never passes for its predecessor.
fn owner_id() -> String {
    let host = hostname();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{host}-{}-{nanos:08x}", std::process::id())
}

/// `warroom serve --listen ADDR`.
pub(super) async fn serve(config: &Config, listen: SocketAddr) -> anyhow::Result<()> {
    let app = Application::build(config, listen).await?;
    for line in app.summary(config) {
        eprintln!("warroom: {line}");
    }
    print_paging(config)?;
    eprintln!(
        "warroom: serving on http://{} (database: {})",
        app.address(),
        config.database_url_redacted()
    );
    app.run_until_stopped().await
}

impl Application {
    /// What this process serves, said at start-up: the chats, the alert webhook, the
    /// runbooks, where actions run, and who is paged beyond the chat.
    fn summary(&self, config: &Config) -> Vec<String> {
        let mut chats = Vec::new();
        if self.slack.is_some() {
            chats.push(match config.slack.mode {
                SlackMode::Http => {
                    "Slack (HTTP: /slack/commands, /slack/interactions, /slack/events)".to_owned()
                }
                SlackMode::Socket => "Slack (Socket Mode)".to_owned(),
            });
        }
        if self.matrix.is_some() {
            chats.push(format!(
                "Matrix as {} at {}",
                config.matrix.user.as_deref().unwrap_or("?"),
                config.matrix.homeserver.as_deref().unwrap_or("?")
            ));
        }
        let chats = if chats.is_empty() {
            "none: pages and reminders are written to stdout".to_owned()
        } else {
            chats.join(" and ")
        };
        let alerts = if self.alerts.is_some() {
            "POST /alerts/alertmanager declares incidents"
        } else {
            "off ([alerts] enabled = false)"
        };
        let actions = if config.actions.dry_run {
            "dry runs: nothing starts ([actions] dry_run)".to_owned()
        } else {
            format!(
                "approved steps run on this host ({}), {} allowed",
                hostname(),
                match config.actions.allowed_programs.len() {
                    1 => "1 program".to_owned(),
                    n => format!("{n} programs"),
                }
            )
        };
        let providers = config
            .people
            .iter()
            .filter(|p| {
                p.email.is_some()
                    || p.ntfy.is_some()
                    || p.webhook.is_some()
                    || p.pagerduty.is_some()
                    || p.opsgenie.is_some()
            })
            .count();
        vec![
            format!("chats: {chats}"),
            format!("alerts: {alerts}"),
            format!(
                "runbooks: {} loaded from {}",
                self.engine.runbook_count(),
                config
                    .runbook_dirs
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!("actions: {actions}"),
            format!(
                "pages beyond the chat: {}",
                match providers {
                    0 => "none ([[people]] names no email, ntfy, webhook, PagerDuty or Opsgenie)"
                        .to_owned(),
                    1 => "1 person".to_owned(),
                    n => format!("{n} people"),
                }
            ),
            format!(
                "status page: {}; Statuspage: {}",
                if config.status_page.enabled {
                    "/status, /status.json, /status.atom"
                } else {
                    "off ([status_page] enabled = false)"
                },
                match &config.statuspage {
                    Some(page) => format!(
                        "page {} ({} of the services have a component there)",
                        page.page_id,
                        page.components.len()
                    ),
                    None => "off (no [statuspage])".to_owned(),
                }
            ),
        ]
    }
}

/// Says at start-up whom an incident declared now would page, level by level, with a warning
/// for every on-call alias that finds nobody (`warroom oncall` shows the same), and whether a
/// person's declaration pages at all.
fn print_paging(config: &Config) -> anyhow::Result<()> {
    let policies = config.escalation.policies()?;
    let rotations = crate::config::rotations(&config.rotations)?;
    let report = crate::engine::paging_report(
        &policies,
        &rotations,
        &config.responders,
        chrono::Utc::now(),
    );
    for line in report.plain_text().lines().filter(|l| !l.trim().is_empty()) {
        eprintln!("warroom: {line}");
    }
    if policies.commander_acknowledges {
        eprintln!(
            "warroom: a person who declares acknowledges by declaring, so only incidents from alerts page ([escalation] commander_acknowledges)"
        );
    }
    Ok(())
}
