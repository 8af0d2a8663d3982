//! The command line: `warroom console`, `postmortem`, `runbooks`, `migrate`, `config`.

mod actions;
mod matrix;
mod runbooks;
pub mod serve;

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};

use crate::chat::console::{self, ConsoleChat, ConsoleOptions};
use crate::config::{self, Config};
use crate::domain::IncidentNumber;
use crate::engine::clock::{Clock, SimulatedClock, SystemClock};
use crate::engine::postmortem::PostmortemRenderer;
use crate::engine::{Engine, Settings};
use crate::store::Store;

/// Warroom: incident response from chat.
#[derive(Debug, Parser)]
#[command(name = "warroom", version, about)]
struct Cli {
    /// The configuration file (default: ./warroom.toml when it exists).
    #[arg(long, global = true, env = "WARROOM_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// The database: sqlite://PATH or postgres://… (default: sqlite://warroom.db).
    #[arg(
        long,
        global = true,
        env = "WARROOM_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Warroom on this terminal: reads `USER: TEXT` lines from stdin (the default command).
    Console(ConsoleArgs),
    /// Writes the post-mortem draft of an incident as Markdown.
    Postmortem {
        /// The incident, as INC-7.
        incident: String,
        /// Write to this file instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Lists, matches, shows and checks Markdown runbooks.
    Runbooks {
        #[command(subcommand)]
        action: runbooks::RunbooksCommand,
    },
    /// Serves HTTP (health) and fires escalation and reminder timers until SIGTERM or Ctrl-C.
    Serve {
        /// The address to listen on; port 0 picks a free one.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
    /// Shows who is on call in each rotation and whom each severity would page now, with a
    /// warning for every on-call alias that finds nobody.
    Oncall {
        /// Look at this time instead of now (RFC 3339, `2026-01-05T14:00:00Z`).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
    /// Brings the database schema up to date, then exits.
    Migrate,
    /// Shows the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigCommand,
    },
}

#[derive(Debug, Default, clap::Args)]
struct ConsoleArgs {
    /// Rehearse on a simulated clock that only `wait 10m` lines move. START is an RFC 3339
    /// time; without it the clock starts at 2026-01-05T14:00:00Z, or a minute after the last
    /// thing the database recorded when that is later.
    #[arg(long, value_name = "START", num_args = 0..=1, default_missing_value = "auto")]
    simulated_clock: Option<String>,
    /// Read this file instead of stdin.
    #[arg(long, value_name = "FILE")]
    script: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Prints a commented example warroom.toml.
    Example,
    /// Prints the configuration in effect, secrets hidden.
    Show,
}

/// Runs the command line; the process exits with what this returns.
pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("warroom: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("WARROOM_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let json = std::env::var("WARROOM_LOG_FORMAT").is_ok_and(|f| f == "json");
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let mut config = Config::load(cli.config.as_deref())?;
    let file = cli
        .config
        .as_deref()
        .unwrap_or(Path::new(config::DEFAULT_FILE));
    for key in config.unknown_keys() {
        eprintln!(
            "warroom: warning: unknown key '{key}' in {} (ignored)",
            file.display()
        );
    }
    if let Some(url) = &cli.database_url {
        config.database_url = url.clone();
    }
    Ok(config)
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = load_config(&cli)?;
    match cli.command {
        None => console_mode(&config, ConsoleArgs::default()).await,
        Some(Command::Console(args)) => console_mode(&config, args).await,
        Some(Command::Postmortem { incident, out }) => {
            postmortem(&config, &incident, out.as_deref()).await
        }
        Some(Command::Runbooks { action }) => runbooks::run(&config, action),
        Some(Command::Serve { listen }) => {
            serve::serve(&config, listen).await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Oncall { at }) => {
            let now = match at {
                Some(text) => DateTime::parse_from_rfc3339(&text)
                    .map(|t| t.with_timezone(&Utc))
                    .with_context(|| {
                        format!("'{text}' is not an RFC 3339 time like 2026-01-05T14:00:00Z")
                    })?,
                None => Utc::now(),
            };
            let policies = config.escalation.policies().context("[escalation]")?;
            let rotations = crate::config::rotations(&config.rotations).context("[[rotations]]")?;
            print!(
                "{}",
                crate::engine::paging_report(&policies, &rotations, &config.responders, now)
                    .plain_text()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Migrate) => {
            let store = open_store(&config).await?;
            println!(
                "{} is up to date ({})",
                config.database_url_redacted(),
                store.backend()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Config { action }) => {
            match action {
                ConfigCommand::Example => print!("{}", config::example()),
                ConfigCommand::Show => print!("{}", config.describe()),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    Store::connect(&config.database_url)
        .await
        .with_context(|| format!("database {}", config.database_url_redacted()))
}

/// Builds the engine from the configuration.
pub(crate) async fn build_engine(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Engine> {
    let store = open_store(config).await?;
    let postmortem = PostmortemRenderer::new(config.postmortem_template.as_deref())
        .context("post-mortem template")?;
    let library = runbooks::load_with_warnings(&runbooks::runbook_paths(config, &[]));
    let settings = Settings {
        responders: config.responders.clone(),
        announce_rooms: config.announce_rooms()?,
        runbooks: Arc::new(library),
        actions: Some(actions::action_settings(config)?),
        escalation: config.escalation.policies().context("[escalation]")?,
        rotations: crate::config::rotations(&config.rotations).context("[[rotations]]")?,
        permissions: config.permissions.permissions(),
        alerts: crate::engine::AlertSettings {
            severity: config.alerts.severity_rules().context("[alerts]")?,
            auto_resolve: config.alerts.auto_resolve,
        },
        delivery_lease: chrono::Duration::seconds(
            i64::try_from(config.delivery_lease_secs.clamp(1, 86_400)).unwrap_or(60),
        ),
        contacts: crate::config::people(&config.people, &config.notify).context("[[people]]")?,
        ack_links: config
            .notify
            .ack_links(|name| std::env::var_os(name))
            .context("[notify]")?
            .map(|(base_url, key)| crate::engine::AckLinks { base_url, key }),
    };
    let engine = Engine::new(store, clock, settings, postmortem);
    Ok(
        match crate::notify::Notifiers::from_config(config).context("[notify]")? {
            Some(notifiers) => engine.with_notifier(Arc::new(notifiers)),
            None => engine,
        },
    )
}

fn simulated_start(arg: &str) -> anyhow::Result<Option<DateTime<Utc>>> {
    if arg == "auto" {
        return Ok(None);
    }
    DateTime::parse_from_rfc3339(arg)
        .map(|t| Some(t.with_timezone(&Utc)))
        .with_context(|| format!("'{arg}' is not an RFC 3339 time like 2026-01-05T14:00:00Z"))
}

async fn console_mode(config: &Config, args: ConsoleArgs) -> anyhow::Result<ExitCode> {
    let simulated = match &args.simulated_clock {
        Some(arg) => {
            let start = match simulated_start(arg)? {
                Some(start) => start,
                None => default_rehearsal_start(config).await?,
            };
            Some(Arc::new(SimulatedClock::new(start)))
        }
        None => None,
    };
    let clock: Arc<dyn Clock> = match &simulated {
        Some(c) => c.clone(),
        None => Arc::new(SystemClock),
    };
    // A rehearsal never touches real systems: its actions are drills.
    let mut config = config.clone();
    if simulated.is_some() {
        config.actions.dry_run = true;
    }
    let engine = build_engine(&config, clock).await?;
    let chat = ConsoleChat::new(Box::new(std::io::stdout()), &config.bot_name);
    let stdin_is_terminal = std::io::stdin().is_terminal();
    let bad = match &args.script {
        Some(path) => {
            let file = tokio::fs::File::open(path)
                .await
                .with_context(|| format!("cannot read {}", path.display()))?;
            let options = ConsoleOptions {
                simulated,
                echo: true,
                lobby: config.lobby.clone(),
            };
            console::run(&engine, &chat, tokio::io::BufReader::new(file), &options).await?
        }
        None => {
            let options = ConsoleOptions {
                simulated,
                echo: !stdin_is_terminal,
                lobby: config.lobby.clone(),
            };
            let stdin = tokio::io::BufReader::new(tokio::io::stdin());
            console::run(&engine, &chat, stdin, &options).await?
        }
    };
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Where a rehearsal's clock starts when not told: a fixed Monday afternoon, or a minute after
/// the last thing recorded, so that a second rehearsal on the same database moves forward.
async fn default_rehearsal_start(config: &Config) -> anyhow::Result<DateTime<Utc>> {
    let fixed = DateTime::parse_from_rfc3339("2026-01-05T14:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .context("the built-in rehearsal start")?;
    let store = open_store(config).await?;
    let latest = store.latest_activity().await?;
    Ok(match latest {
        Some(t) if t >= fixed => t + chrono::Duration::minutes(1),
        _ => fixed,
    })
}

async fn postmortem(
    config: &Config,
    incident: &str,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let Ok(number) = incident.parse::<IncidentNumber>() else {
        bail!("'{incident}' is not an incident number like INC-7");
    };
    let engine = build_engine(config, Arc::new(SystemClock)).await?;
    let markdown = engine
        .postmortems()
        .markdown(number)
        .await
        .map_err(|e| anyhow::anyhow!(e.sentence()))?;
    match out {
        Some(path) => {
            tokio::fs::write(path, markdown)
                .await
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote the post-mortem of {number} to {}", path.display());
        }
        None => print!("{markdown}"),
    }
    Ok(ExitCode::SUCCESS)
}
