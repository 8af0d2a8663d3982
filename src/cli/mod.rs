//! The command line: `warroom console`, `postmortem`, `runbooks`, `serve`, `oncall`,
//! `doctor`, `migrate`, `backup`, `config`.

mod actions;
mod doctor;
mod matrix;
mod report;
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
        /// Read the console's drill database (sqlite://warroom-drill.db) instead of the live
        /// one.
        #[arg(long)]
        drill: bool,
    },
    /// Reports on the incidents of a window: counts by severity and service, time to detect,
    /// acknowledge, mitigate and resolve (p50, p90), pages per person (night pages apart),
    /// runbook use and actions, as Markdown, JSON or HTML with charts.
    Report(report::ReportArgs),
    /// Makes a token for the JSON API: prints it once, and the `[[api_tokens]]` table (with
    /// its SHA-256, never the token) to add to warroom.toml.
    ApiToken {
        /// Who will hold it (`grafana`), for the logs.
        name: String,
        /// `viewer` (incidents that are not private) or `responder` (everything).
        #[arg(long, default_value = "viewer", value_parser = ["viewer", "responder"])]
        role: String,
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
    /// Checks the configuration, the database, each chat's credentials, scopes and rooms,
    /// the runbooks, the escalation targets and the allowed programs; names the fix for each
    /// problem and exits 1 if there is any.
    Doctor,
    /// Brings the database schema up to date, then exits.
    Migrate,
    /// Copies the SQLite database into a new file, consistent and whole, while Warroom may be
    /// running (SQLite's VACUUM INTO); PostgreSQL is backed up with pg_dump.
    Backup {
        /// The new file to write (it must not exist).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Shows the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigCommand,
    },
}

#[derive(Debug, Default, clap::Args)]
struct ConsoleArgs {
    /// Run for real: approved commands start on this host, pages go out, and incidents go to
    /// the configured database. Without it the console is a drill: nothing runs, nobody is
    /// paged, and incidents go to their own database (sqlite://warroom-drill.db unless
    /// --database-url or WARROOM_DATABASE_URL names one).
    #[arg(long, conflicts_with = "simulated_clock")]
    live: bool,
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
    // Colours only for a person at a terminal: a log file or journald gets plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
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
        let hint = Config::suggest_key(key)
            .map(|k| format!("; did you mean {k}?"))
            .unwrap_or_default();
        eprintln!(
            "warroom: warning: unknown key '{key}' in {} (ignored{hint})",
            file.display()
        );
    }
    if let Some(url) = &cli.database_url {
        config.name_database(url);
    }
    Ok(config)
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = load_config(&cli)?;
    let named = cli.database_url.as_deref();
    match cli.command {
        None => console_mode(&config, named, ConsoleArgs::default()).await,
        Some(Command::Console(args)) => console_mode(&config, named, args).await,
        Some(Command::Postmortem {
            incident,
            out,
            drill,
        }) => {
            let mut config = config;
            if drill {
                config.name_database(DRILL_DATABASE);
            }
            postmortem(&config, &incident, out.as_deref(), drill).await
        }
        Some(Command::Runbooks { action }) => runbooks::run(&config, action),
        Some(Command::ApiToken { name, role }) => api_token(&name, &role),
        Some(Command::Report(args)) => {
            let mut config = config;
            if args.drill && named.is_none() {
                config.name_database(DRILL_DATABASE);
            }
            report::run(&config, &args).await
        }
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
        Some(Command::Doctor) => {
            let file = cli
                .config
                .clone()
                .unwrap_or_else(|| PathBuf::from(config::DEFAULT_FILE));
            Ok(doctor::run(&config, &file).await)
        }
        Some(Command::Migrate) => {
            let store = open_store(&config).await?;
            for (version, description) in store.applied_migrations() {
                println!("applied {version} {description}");
            }
            if store.applied_migrations().is_empty() {
                println!("nothing to apply");
            }
            println!(
                "{} is up to date ({})",
                config.database_url_redacted(),
                store.backend()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Backup { out }) => backup(&config, &out).await,
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
    let shown = config.database_url_redacted();
    Store::connect(&config.database_url).await.map_err(|e| {
        // Most errors name the database already; the others get its name in front.
        let said = e.to_string();
        if said.contains(&shown) {
            anyhow::anyhow!(said)
        } else {
            anyhow::anyhow!("database {shown}: {said}")
        }
    })
}

/// Builds the engine from the configuration; a `drill` pages nobody beyond the chat and marks
/// its incidents as drills (its actions are dry runs: `config.actions.dry_run`).
pub(crate) async fn build_engine(
    config: &Config,
    clock: Arc<dyn Clock>,
    drill: bool,
) -> anyhow::Result<Engine> {
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
            .map(|(base_url, key)| crate::engine::AckLinks { base_url, key })
            .filter(|_| !drill),
        drill,
        services: crate::config::services(&config.services).context("[[services]]")?,
        status_page: config.status_page.enabled.then(|| {
            crate::engine::status_page::StatusPageSettings {
                title: config.status_page.title.trim().to_owned(),
                history_days: config.status_page.history_days,
            }
        }),
        digest_at: config.digest.time()?,
    };
    let engine = Engine::new(store, clock, settings, postmortem);
    let notifiers = crate::notify::Notifiers::from_config(config).context("[notify]")?;
    let engine = match notifiers {
        Some(notifiers) if !drill => engine.with_notifier(Arc::new(notifiers)),
        _ => engine,
    };
    // A drill publishes nothing: Statuspage tells the public.
    Ok(
        match crate::notify::StatuspagePublisher::from_config(config) {
            Some(publisher) if !drill => engine.with_publisher(Arc::new(publisher)),
            _ => engine,
        },
    )
}

/// `warroom api-token NAME`: 32 random bytes from the system as the token, and its table.
fn api_token(name: &str, role: &str) -> anyhow::Result<ExitCode> {
    use sha2::Digest;
    let table = |sha256: &str| {
        format!("[[api_tokens]]\nname = \"{name}\"\nsha256 = \"{sha256}\"\nrole = \"{role}\"\n")
    };
    // The name is checked as the configuration checks it.
    crate::config::api_tokens(&[crate::config::ApiTokenConfig {
        name: name.to_owned(),
        sha256: "0".repeat(64),
        role: crate::config::ApiRole::Viewer,
    }])
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let bytes = crate::http::web::session::random_bytes()
        .context("cannot read random bytes from /dev/urandom")?;
    let token = format!("wr_{}", hex::encode(bytes));
    let sha256 = hex::encode(sha2::Sha256::digest(token.as_bytes()));
    eprintln!("The token, shown only now; give it to {name} (Authorization: Bearer <token>):");
    println!("{token}");
    eprintln!("\nAdd this to warroom.toml (it holds the token's SHA-256, not the token):\n");
    eprint!("{}", table(&sha256));
    Ok(ExitCode::SUCCESS)
}

/// Where a drill keeps its incidents when no database is named on the command line or in
/// `WARROOM_DATABASE_URL`: a file of its own, never the live `warroom.db`.
pub const DRILL_DATABASE: &str = "sqlite://warroom-drill.db";

fn simulated_start(arg: &str) -> anyhow::Result<Option<DateTime<Utc>>> {
    if arg == "auto" {
        return Ok(None);
    }
    DateTime::parse_from_rfc3339(arg)
        .map(|t| Some(t.with_timezone(&Utc)))
        .with_context(|| format!("'{arg}' is not an RFC 3339 time like 2026-01-05T14:00:00Z"))
}

/// The console's configuration for a drill or a live run, after saying on stderr which it is.
fn console_config(config: &Config, named: Option<&str>, live: bool) -> anyhow::Result<Config> {
    let mut config = config.clone();
    if live {
        if !config.database_named() {
            bail!(
                "--live needs a database named: set database_url in the configuration, WARROOM_DATABASE_URL or --database-url (sqlite://warroom.db for a file here)"
            );
        }
        eprintln!(
            "warroom: LIVE — approved commands run on this host{}, pages go out, and incidents are recorded in {}. \
             Names typed here are not checked: the two-person rule holds only in Slack and Matrix.",
            if config.actions.dry_run {
                " (no: [actions] dry_run is set)"
            } else {
                ""
            },
            config.database_url_redacted()
        );
        return Ok(config);
    }
    config.name_database(named.unwrap_or(DRILL_DATABASE));
    config.actions.dry_run = true;
    eprintln!(
        "warroom: drill — no command runs and nobody is paged; incidents are recorded in {}. \
         `warroom console --live` runs for real.",
        config.database_url_redacted()
    );
    Ok(config)
}

async fn console_mode(
    config: &Config,
    named: Option<&str>,
    args: ConsoleArgs,
) -> anyhow::Result<ExitCode> {
    let config = console_config(config, named, args.live)?;
    let simulated = match &args.simulated_clock {
        Some(arg) => {
            let start = match simulated_start(arg)? {
                Some(start) => start,
                None => default_rehearsal_start(&config).await?,
            };
            Some(Arc::new(SimulatedClock::new(start)))
        }
        None => None,
    };
    let clock: Arc<dyn Clock> = match &simulated {
        Some(c) => c.clone(),
        None => Arc::new(SystemClock),
    };
    let engine = build_engine(&config, clock, !args.live).await?;
    let chat = ConsoleChat::new(Box::new(std::io::stdout()), &config.bot_name);
    let chat = if args.live { chat } else { chat.in_drill() };
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

/// `warroom backup --out FILE`: the database as it is, copied into a new file.
async fn backup(config: &Config, out: &Path) -> anyhow::Result<ExitCode> {
    let shown = config.database_url_redacted();
    let store = Store::connect_as_is(&config.database_url)
        .await
        .map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let started = std::time::Instant::now();
    store
        .backup_into(out)
        .await
        .map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    println!(
        "backed up {shown} to {} ({bytes} bytes, {:.1} s)",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

async fn postmortem(
    config: &Config,
    incident: &str,
    out: Option<&Path>,
    drill: bool,
) -> anyhow::Result<ExitCode> {
    let Ok(number) = incident.parse::<IncidentNumber>() else {
        bail!("'{incident}' is not an incident number like INC-7");
    };
    let engine = build_engine(config, Arc::new(SystemClock), false).await?;
    let markdown = engine.postmortems().markdown(number).await.map_err(|e| {
        // A drill's incidents are in their own database: say where, when there is one.
        let drills = !drill && Path::new("warroom-drill.db").exists();
        let hint = if drills {
            format!(" (for a drill's: warroom postmortem {number} --drill)")
        } else {
            String::new()
        };
        anyhow::anyhow!("{}{hint}", e.sentence())
    })?;
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
