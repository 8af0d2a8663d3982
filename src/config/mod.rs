//! Warroom's settings: built-in defaults, then a TOML file, then `WARROOM_*` environment
//! variables. Secrets are `secrecy` types so that no `Debug`, log line or error shows them.

mod actions;
mod alerts;
mod api;
mod digest;
mod env;
mod error;
mod escalation;
mod fields;
mod file;
mod http;
mod metrics;
mod notify;
mod permissions;
mod redact;
mod services;
mod slack;
mod status_page;
mod statuspage;
mod web;

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use figment::Figment;
use secrecy::SecretString;
use serde::Deserialize;

use env::EnvVars;
use error::invalid_value;
use file::{TomlFile, read_file};

use crate::domain::{Platform, UserId};

pub use actions::{ActionsConfig, SecretSource};
pub use alerts::{AlertSecrets, AlertsConfig};
pub use api::{ApiRole, ApiToken, ApiTokenConfig, api_tokens};
pub use digest::DigestConfig;
pub use error::ConfigError;
pub use escalation::{
    EscalationConfig, LevelConfig, OverrideConfig, RotationConfig, SeverityEscalation, rotations,
};
pub use http::HttpConfig;
pub use metrics::MetricsConfig;
pub use notify::{
    EmailConfig, NotifyConfig, NtfyContact, OPSGENIE_API_URL, OpsgenieContact,
    PAGERDUTY_EVENTS_URL, PagerdutyContact, PersonConfig, RuleConfig, WebhookContact, people,
};
pub use permissions::PermissionsConfig;
pub use services::{ServiceConfig, services};
pub use slack::{SlackConfig, SlackMode, SlackSecrets};
pub use status_page::StatusPageConfig;
pub use statuspage::{STATUSPAGE_API_URL, StatuspageConfig};
pub use web::WebConfig;

/// The file read from the current directory when no path is given.
pub const DEFAULT_FILE: &str = "warroom.toml";
/// The prefix of the environment variables that override the file.
pub const ENV_PREFIX: &str = "WARROOM_";
/// What separates nested keys in a variable name (`WARROOM_SLACK__BOT_TOKEN`).
pub const ENV_NESTING: &str = "__";

/// Everything Warroom can be told at start-up. Every field has a default, so no file is needed.
#[derive(Clone, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Where incidents live: `sqlite://…` (one machine) or `postgres://…` (several replicas).
    /// It may hold a password: show it with [`Config::database_url_redacted`].
    pub database_url: String,
    /// The name Warroom posts as.
    pub bot_name: String,
    /// The console's room for commands given outside a war room.
    pub lobby: String,
    /// The console's room for a one-line announcement of each new incident, and the one chat's
    /// when a single chat is configured and names none ([`Config::announce_rooms`]).
    pub announce_room: Option<String>,
    /// People invited to every war room.
    #[serde(deserialize_with = "fields::user_ids")]
    pub responders: Vec<UserId>,
    /// A post-mortem template to use instead of the built-in one; a relative path in the
    /// file is taken from the file's folder.
    #[serde(deserialize_with = "fields::relative_path")]
    pub postmortem_template: Option<PathBuf>,
    /// Files and folders of Markdown runbooks; relative paths in the file are taken from the
    /// file's folder.
    #[serde(deserialize_with = "fields::relative_paths")]
    pub runbook_dirs: Vec<PathBuf>,
    /// Slack credentials.
    pub slack: SlackConfig,
    /// Matrix credentials.
    pub matrix: MatrixConfig,
    /// How runbook commands run, and where their parameter values and secrets come from.
    pub actions: ActionsConfig,
    /// Paging levels and update reminders per severity (`[escalation.p1]`).
    pub escalation: EscalationConfig,
    /// On-call rotations that `oncall:<name>` targets page (`[[rotations]]`).
    pub rotations: Vec<RotationConfig>,
    /// How people are reached beyond chat when paged (`[[people]]`).
    pub people: Vec<PersonConfig>,
    /// The services incidents name and the status page shows (`[[services]]`).
    pub services: Vec<ServiceConfig>,
    /// Who may read the JSON API (`[[api_tokens]]`).
    pub api_tokens: Vec<ApiTokenConfig>,
    /// Whether `serve` answers the status page's routes, and how (`[status_page]`).
    pub status_page: StatusPageConfig,
    /// Whether `serve` answers `/metrics` (`[metrics]`).
    pub metrics: MetricsConfig,
    /// The web view and its sign-in (`[web]`).
    pub web: WebConfig,
    /// Atlassian Statuspage, when published incidents go there too (`[statuspage]`).
    pub statuspage: Option<StatuspageConfig>,
    /// When the daily digest of open incidents is posted (`[digest]`).
    pub digest: DigestConfig,
    /// What notifications beyond chat need (`[notify]`: the SMTP server).
    pub notify: NotifyConfig,
    /// Who may declare incidents and run steps (`[permissions]`).
    pub permissions: PermissionsConfig,
    /// The Alertmanager webhook (`[alerts]`).
    pub alerts: AlertsConfig,
    /// How `warroom serve` treats HTTP clients: timeouts and limits (`[http]`).
    pub http: HttpConfig,
    /// How long a delivery worker's claim on an outbox entry holds, in seconds: an entry in
    /// flight when its process died is taken over after this long (once).
    pub delivery_lease_secs: u64,
    /// Keys of the file that Warroom does not know, dotted (`slack.bot_tokn`); set by loading.
    #[serde(skip)]
    unknown_keys: Vec<String>,
    /// Whether the file or `WARROOM_DATABASE_URL` names the database (rather than the
    /// default); set by loading.
    #[serde(skip)]
    database_named: bool,
}

/// How Warroom talks to a Matrix homeserver.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct MatrixConfig {
    /// The homeserver's base URL.
    pub homeserver: Option<String>,
    /// The bot's user id (`@warroom:example.org`).
    pub user: Option<String>,
    /// The bot's password, for a password login.
    #[serde(deserialize_with = "fields::secret")]
    pub password: Option<SecretString>,
    /// An access token, instead of a password.
    #[serde(deserialize_with = "fields::secret")]
    pub access_token: Option<SecretString>,
    /// A file holding the password (a mounted secret), read at start-up.
    #[serde(deserialize_with = "fields::relative_path")]
    pub password_file: Option<PathBuf>,
    /// A file holding the access token, read at start-up.
    #[serde(deserialize_with = "fields::relative_path")]
    pub access_token_file: Option<PathBuf>,
    /// Who may give commands (Matrix user ids); empty: anyone in a room the bot serves.
    #[serde(deserialize_with = "fields::user_ids")]
    pub allowed_users: Vec<UserId>,
    /// Rooms (ids `!…` or aliases `#…`) the bot serves besides the war rooms it creates.
    #[serde(deserialize_with = "fields::room_ids")]
    pub rooms: Vec<String>,
    /// The room (its id, `!abc:example.org`) that gets a one-line announcement of each
    /// incident that lives in Matrix.
    pub announce_room: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://warroom.db".to_owned(),
            bot_name: "warroom".to_owned(),
            lobby: "lobby".to_owned(),
            announce_room: None,
            responders: Vec::new(),
            postmortem_template: None,
            runbook_dirs: vec![PathBuf::from("runbooks")],
            slack: SlackConfig::default(),
            matrix: MatrixConfig::default(),
            actions: ActionsConfig::default(),
            escalation: EscalationConfig::default(),
            rotations: Vec::new(),
            people: Vec::new(),
            services: Vec::new(),
            api_tokens: Vec::new(),
            status_page: StatusPageConfig::default(),
            metrics: MetricsConfig::default(),
            web: WebConfig::default(),
            statuspage: None,
            digest: DigestConfig::default(),
            notify: NotifyConfig::default(),
            permissions: PermissionsConfig::default(),
            alerts: AlertsConfig::default(),
            http: HttpConfig::default(),
            delivery_lease_secs: 60,
            unknown_keys: Vec::new(),
            database_named: false,
        }
    }
}

// By hand, because `database_url` is a plain string that may hold a password.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &self.database_url_redacted())
            .field("bot_name", &self.bot_name)
            .field("lobby", &self.lobby)
            .field("announce_room", &self.announce_room)
            .field("responders", &self.responders)
            .field("postmortem_template", &self.postmortem_template)
            .field("runbook_dirs", &self.runbook_dirs)
            .field(Platform::Slack.name(), &self.slack)
            .field(Platform::Matrix.name(), &self.matrix)
            .field("actions", &self.actions)
            .field("escalation", &self.escalation)
            .field("rotations", &self.rotations)
            .field("services", &self.services)
            .field("api_tokens", &self.api_tokens)
            .field("status_page", &self.status_page)
            .field("metrics", &self.metrics)
            .field("web", &self.web)
            .field("statuspage", &self.statuspage)
            .field("digest", &self.digest)
            .field("permissions", &self.permissions)
            .field("alerts", &self.alerts)
            .field("http", &self.http)
            .field("delivery_lease_secs", &self.delivery_lease_secs)
            .field("unknown_keys", &self.unknown_keys)
            .finish()
    }
}

impl Config {
    /// Loads the defaults, then `path` (which must exist) or else `./warroom.toml` when it
    /// exists, then the `WARROOM_*` variables of the process environment.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let env = std::env::vars_os().map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        });
        match path {
            Some(path) => Self::load_from(Some(path), env),
            None => match read_file(Path::new(DEFAULT_FILE)) {
                Err(ConfigError::MissingFile(_)) => Self::load_from(None, env),
                Err(e) => Err(e),
                Ok(text) => Self::from_layers(Some((Path::new(DEFAULT_FILE), &text)), env),
            },
        }
    }

    /// Loads the defaults, then exactly the file given (if any; it must exist), then the
    /// `WARROOM_*` entries among `env`. Nothing is read from the process environment.
    pub fn load_from(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        match path {
            Some(path) => {
                let text = read_file(path)?;
                Self::from_layers(Some((path, &text)), env)
            }
            None => Self::from_layers(None, env),
        }
    }

    fn from_layers(
        file: Option<(&Path, &str)>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let file = file
            .map(|(path, text)| TomlFile::parse(path, text))
            .transpose()?;
        let env: Vec<(String, String)> = env.into_iter().collect();
        let database_named = file.as_ref().is_some_and(|f| f.has_key("database_url"))
            || env
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("WARROOM_DATABASE_URL"));
        let mut figment = Figment::new();
        if let Some(file) = &file {
            figment = figment.merge(file);
        }
        let mut config: Config = figment
            .merge(EnvVars::from_pairs(env))
            .extract_lossy()
            .map_err(|e| invalid_value(&e))?;
        config.actions.check()?;
        config.slack.check()?;
        config.escalation.policies()?;
        rotations(&config.rotations)?;
        services(&config.services)?;
        api_tokens(&config.api_tokens)?;
        config.status_page.check()?;
        config.metrics.check()?;
        config.web.check()?;
        if let Some(statuspage) = &config.statuspage {
            statuspage.check(&config.services)?;
        }
        config.digest.time()?;
        config.alerts.check()?;
        config.http.check()?;
        config.unknown_keys = file.map(|f| f.unknown_keys()).unwrap_or_default();
        config.database_named = database_named;
        Ok(config)
    }

    /// Keys in the file that Warroom does not know and so ignored, dotted (`slack.bot_tokn`),
    /// for the caller to warn about. Environment variables are never counted here.
    pub fn unknown_keys(&self) -> &[String] {
        &self.unknown_keys
    }

    /// The known key an unknown one was probably meant to be (`slack.bot_tokn` →
    /// `slack.bot_token`), when one is close enough.
    pub fn suggest_key(unknown: &str) -> Option<String> {
        file::suggest_key(unknown)
    }

    /// Whether a database was named (in the file, by `WARROOM_DATABASE_URL`, or with
    /// [`Config::name_database`]) rather than left to the default `sqlite://warroom.db`.
    pub fn database_named(&self) -> bool {
        self.database_named
    }

    /// Uses `url` as the database, as `--database-url` names it.
    pub fn name_database(&mut self, url: &str) {
        self.database_url = url.to_owned();
        self.database_named = true;
    }

    /// The database URL with any password replaced by `***`, fit for logs and `config show`.
    pub fn database_url_redacted(&self) -> String {
        redact::redact_url(&self.database_url)
    }

    /// Where each chat announces its new incidents: `[slack] announce_room` and `[matrix]
    /// announce_room`; the top-level `announce_room` is the console's, and also the chat's
    /// when exactly one of Slack and Matrix is configured and names no room of its own. With
    /// both configured a top-level room would be a room of one of them only, so it must be
    /// named per chat.
    pub fn announce_rooms(&self) -> Result<BTreeMap<Platform, String>, ConfigError> {
        let mut rooms = BTreeMap::new();
        let chats = [
            (
                Platform::Slack,
                self.slack.enabled(),
                &self.slack.announce_room,
            ),
            (
                Platform::Matrix,
                self.matrix.homeserver.is_some(),
                &self.matrix.announce_room,
            ),
        ];
        let running: Vec<_> = chats.iter().filter(|(_, on, _)| *on).collect();
        for (platform, _, room) in &chats {
            if let Some(room) = room.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                rooms.insert(*platform, room.to_owned());
            }
        }
        let Some(shared) = self
            .announce_room
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        else {
            return Ok(rooms);
        };
        rooms.insert(Platform::Console, shared.to_owned());
        match running.as_slice() {
            [(platform, _, _)] => {
                rooms.entry(*platform).or_insert_with(|| shared.to_owned());
            }
            [_, _]
                if !rooms.contains_key(&Platform::Slack)
                    || !rooms.contains_key(&Platform::Matrix) =>
            {
                return Err(alerts::invalid(
                    "announce_room",
                    "Slack and Matrix are both configured, and a room id names a room in one of them only: set [slack] announce_room and [matrix] announce_room instead",
                ));
            }
            _ => {}
        }
        Ok(rooms)
    }

    /// The effective configuration as TOML-like text, secrets shown as `"***"` when set and
    /// action secrets as their source (`{ env = "DATABASE_URL" }`), never their values.
    pub fn describe(&self) -> String {
        let text = |s: &Option<String>| s.as_deref().map(quoted);
        let secret = |s: &Option<SecretString>| s.as_ref().map(|_| quoted("***"));
        let ids: Vec<String> = self.responders.iter().map(|r| quoted(r.as_str())).collect();
        let template = self.postmortem_template.as_ref();
        let mut out = String::new();
        let out = &mut out;
        key_line(
            out,
            "database_url",
            Some(quoted(&self.database_url_redacted())),
        );
        key_line(out, "bot_name", Some(quoted(&self.bot_name)));
        key_line(out, "lobby", Some(quoted(&self.lobby)));
        key_line(out, "announce_room", text(&self.announce_room));
        key_line(out, "responders", Some(format!("[{}]", ids.join(", "))));
        key_line(
            out,
            "postmortem_template",
            template.map(|p| quoted(&p.display().to_string())),
        );
        let dirs: Vec<String> = self
            .runbook_dirs
            .iter()
            .map(|p| quoted(&p.display().to_string()))
            .collect();
        key_line(out, "runbook_dirs", Some(format!("[{}]", dirs.join(", "))));
        self.slack.describe(out);
        out.push_str("\n[matrix]\n");
        key_line(out, "homeserver", text(&self.matrix.homeserver));
        key_line(out, "user", text(&self.matrix.user));
        key_line(out, "password", secret(&self.matrix.password));
        key_line(out, "access_token", secret(&self.matrix.access_token));
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| quoted(&p.display().to_string()));
        key_line(out, "password_file", path(&self.matrix.password_file));
        key_line(
            out,
            "access_token_file",
            path(&self.matrix.access_token_file),
        );
        let list = |items: &[String]| {
            let quoted: Vec<String> = items.iter().map(|i| quoted(i)).collect();
            Some(format!("[{}]", quoted.join(", ")))
        };
        let allowed: Vec<String> = (self.matrix.allowed_users.iter())
            .map(|u| u.as_str().to_owned())
            .collect();
        key_line(out, "allowed_users", list(&allowed));
        key_line(out, "rooms", list(&self.matrix.rooms));
        key_line(out, "announce_room", text(&self.matrix.announce_room));
        self.actions.describe(out);
        self.escalation.describe(out);
        escalation::describe_rotations(&self.rotations, out);
        services::describe_services(&self.services, out);
        api::describe_api_tokens(&self.api_tokens, out);
        self.status_page.describe(out);
        self.metrics.describe(out);
        self.web.describe(out);
        self.digest.describe(out);
        match &self.statuspage {
            Some(statuspage) => statuspage.describe(out),
            None => out.push_str("\n# [statuspage] is not set\n"),
        }
        self.permissions.describe(out);
        self.alerts.describe(out);
        self.http.describe(out);
        std::mem::take(out)
    }
}

fn key_line(out: &mut String, key: &str, value: Option<String>) {
    let _ = match value {
        Some(v) => writeln!(out, "{key} = {v}"),
        None => writeln!(out, "# {key} is not set"),
    };
}

/// A commented example `warroom.toml` with every key and its default.
pub fn example() -> &'static str {
    include_str!("../../templates/warroom.example.toml")
}

fn quoted(s: &str) -> String {
    // A JSON string is a valid TOML basic string.
    serde_json::to_string(s).unwrap_or_else(|_| "\"?\"".to_owned())
}

/// Helpers shared by the tests of this module's parts.
#[cfg(test)]
mod testing {
    use std::fs;
    use std::path::PathBuf;

    use super::example;

    pub(super) fn no_env() -> Vec<(String, String)> {
        Vec::new()
    }

    pub(super) fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The configuration of a file holding `text`, without environment variables.
    pub(super) fn load(text: &str) -> Result<super::Config, super::ConfigError> {
        let (_dir, path) = file(text);
        super::Config::load_from(Some(&path), no_env())
    }

    pub(super) fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("warroom.toml");
        fs::write(&path, text).unwrap();
        (dir, path)
    }

    /// The example file with every commented `key = value` line uncommented.
    pub(super) fn example_uncommented() -> String {
        example()
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(rest) if rest.contains(" = ") && !rest.starts_with(' ') => rest,
                _ => line,
            })
            .map(|line| format!("{line}\n"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::testing::{env, example_uncommented, file, no_env};
    use super::*;

    fn announce_rooms_of(text: &str) -> Result<BTreeMap<Platform, String>, ConfigError> {
        let (_dir, path) = file(text);
        Config::load_from(Some(&path), no_env())
            .unwrap()
            .announce_rooms()
    }

    #[test]
    fn each_chat_announces_in_its_own_room_and_a_shared_one_is_refused_with_two_chats() {
        const SLACK: &str = "[slack]\nbot_token = \"xoxb-1\"\n";
        const MATRIX: &str = "[matrix]\nhomeserver = \"http://127.0.0.1:9\"\n";
        // One chat: the top-level room is its room, and the console's.
        let rooms = announce_rooms_of(&format!("announce_room = \"C0INC\"\n{SLACK}")).unwrap();
        assert_eq!(
            rooms.get(&Platform::Slack).map(String::as_str),
            Some("C0INC")
        );
        assert_eq!(
            rooms.get(&Platform::Console).map(String::as_str),
            Some("C0INC")
        );
        assert_eq!(rooms.get(&Platform::Matrix), None);
        // Two chats and only a shared room: it would be a room of one of them only.
        let refused =
            announce_rooms_of(&format!("announce_room = \"C0INC\"\n{SLACK}{MATRIX}")).unwrap_err();
        let text = refused.to_string();
        assert!(
            text.contains("[slack] announce_room and [matrix] announce_room"),
            "{text}"
        );
        // Two chats, a room each.
        let rooms = announce_rooms_of(&format!(
            "{SLACK}announce_room = \"C0INC\"\n{MATRIX}announce_room = \"!inc:example.org\"\n"
        ))
        .unwrap();
        assert_eq!(
            rooms.get(&Platform::Slack).map(String::as_str),
            Some("C0INC")
        );
        assert_eq!(
            rooms.get(&Platform::Matrix).map(String::as_str),
            Some("!inc:example.org")
        );
        assert_eq!(rooms.get(&Platform::Console), None);
        // No room anywhere: no announcements; a blank one is none.
        assert!(announce_rooms_of(SLACK).unwrap().is_empty());
        assert!(
            announce_rooms_of("announce_room = \" \"\n")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn matrix_rooms_are_room_ids_or_aliases_and_people_are_user_ids() {
        let (_dir, path) = file(
            "responders = [\"alice\", \"@bob:example.org\"]\n[matrix]\nrooms = [\"!abc:example.org\", \"#ops:example.org\", \"!7w2Wln_0Nblh1cagFkhQ\"]\nallowed_users = \"@carol:example.org\"\n",
        );
        let config = Config::load_from(Some(&path), no_env()).unwrap();
        assert_eq!(
            config.matrix.rooms,
            [
                "!abc:example.org",
                "#ops:example.org",
                "!7w2Wln_0Nblh1cagFkhQ"
            ]
        );
        assert_eq!(
            config.matrix.allowed_users[0].as_str(),
            "@carol:example.org"
        );
        assert_eq!(config.responders[1].as_str(), "@bob:example.org");
        let (_dir, path) = file("[matrix]\nrooms = [\"#ops\"]\n");
        let refused = Config::load_from(Some(&path), no_env())
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("'#ops' is not a room id or alias"),
            "{refused}"
        );
        let (_dir, path) = file("responders = [\"two words\"]\n");
        let refused = Config::load_from(Some(&path), no_env())
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("'two words' is not a user id"),
            "{refused}"
        );
    }

    #[test]
    fn no_file_and_no_variables_give_the_defaults() {
        let config = Config::load_from(None, no_env()).unwrap();
        assert_eq!(config.database_url, "sqlite://warroom.db");
        assert_eq!(config.bot_name, "warroom");
        assert_eq!(config.lobby, "lobby");
        assert_eq!(config.announce_room, None);
        assert!(config.responders.is_empty());
        assert_eq!(config.postmortem_template, None);
        assert!(config.slack.bot_token.is_none());
        assert!(config.matrix.homeserver.is_none());
    }

    #[test]
    fn a_toml_file_overrides_the_defaults() {
        let (dir, path) = file(
            r#"
            bot_name = "incident-bot"
            announce_room = "incidents"
            responders = ["alice", "@bob:example.org"]
            postmortem_template = "pm.hbs"
            [slack]
            bot_token = "xoxb-from-file"
            "#,
        );
        let config = Config::load_from(Some(&path), no_env()).unwrap();
        assert_eq!(config.bot_name, "incident-bot");
        assert_eq!(config.lobby, "lobby");
        assert_eq!(config.announce_room.as_deref(), Some("incidents"));
        assert_eq!(
            config
                .responders
                .iter()
                .map(UserId::as_str)
                .collect::<Vec<_>>(),
            ["alice", "@bob:example.org"]
        );
        assert_eq!(config.postmortem_template, Some(dir.path().join("pm.hbs")));
        let token = config.slack.bot_token.unwrap();
        assert_eq!(token.expose_secret(), "xoxb-from-file");
    }

    #[test]
    fn debug_and_describe_never_show_a_secret() {
        let vars = env(&[
            (
                "WARROOM_DATABASE_URL",
                "postgres://warroom:pg-pass-1@db:5432/warroom",
            ),
            ("WARROOM_SLACK__BOT_TOKEN", "xoxb-token-2"),
            ("WARROOM_SLACK__SIGNING_SECRET", "signing-3"),
            ("WARROOM_MATRIX__PASSWORD", "matrix-pass-4"),
            ("WARROOM_MATRIX__ACCESS_TOKEN", "matrix-token-5"),
        ]);
        let config = Config::load_from(None, vars).unwrap();
        let shown = [
            format!("{config:?}"),
            format!("{config:#?}"),
            config.describe(),
        ];
        for text in &shown {
            for secret in [
                "pg-pass-1",
                "xoxb-token-2",
                "signing-3",
                "matrix-pass-4",
                "matrix-token-5",
            ] {
                assert!(!text.contains(secret), "{secret} in {text}");
            }
        }
        let described = config.describe();
        assert!(
            described.contains("database_url = \"postgres://warroom:***@db:5432/warroom\""),
            "{described}"
        );
        assert!(described.contains("bot_token = \"***\""), "{described}");
        assert!(described.contains("# homeserver is not set"), "{described}");
    }

    #[test]
    fn the_example_file_parses_to_the_defaults() {
        let (dir, path) = file(example());
        let mut config = Config::load_from(Some(&path), no_env()).unwrap();
        // A relative folder in a file is taken from the file's folder.
        assert_eq!(config.runbook_dirs, [dir.path().join("runbooks")]);
        config.runbook_dirs = Config::default().runbook_dirs;
        assert_eq!(config.describe(), Config::default().describe());
    }

    #[test]
    fn runbook_folders_come_from_the_environment_as_a_list() {
        let env = [(
            "WARROOM_RUNBOOK_DIRS".to_owned(),
            "team-a, /srv/runbooks".to_owned(),
        )];
        let config = Config::load_from(None, env).unwrap();
        assert_eq!(
            config.runbook_dirs,
            [PathBuf::from("team-a"), PathBuf::from("/srv/runbooks")]
        );
    }

    #[test]
    fn every_commented_key_of_the_example_is_valid_when_uncommented() {
        let (_dir, path) = file(&example_uncommented());
        let config = Config::load_from(Some(&path), no_env()).unwrap();
        assert_eq!(config.announce_room.as_deref(), Some("incidents"));
        assert!(config.postmortem_template.is_some());
        assert!(config.matrix.homeserver.is_some() && config.matrix.user.is_some());
        assert!(
            config.slack.bot_token.is_none(),
            "secrets have no example value"
        );
        for key in [
            "database_url",
            "bot_name",
            "lobby",
            "announce_room",
            "responders",
            "postmortem_template",
            "bot_token",
            "signing_secret",
            "homeserver",
            "user",
            "password",
            "access_token",
            "allowed_users",
            "rooms",
            "password_file",
            "access_token_file",
            "[actions]",
            "dry_run",
            "timeout",
            "max_concurrent",
            "request_expiry",
            "approvers",
            "allowed_programs",
            "env_allowlist",
            "dangerous_allowlist",
            "environment",
            "[actions.environments]",
            "[actions.secrets]",
            "[actions.patterns]",
            "[actions.risk]",
            "[escalation.p0]",
            "[escalation.p3]",
            "levels",
            "reminder",
            "[[rotations]]",
            "time_zone",
            "overrides",
            "[http]",
            "header_read_timeout",
            "request_timeout",
            "shutdown_timeout",
            "max_connections_per_peer",
            "max_concurrent_requests",
        ] {
            assert!(example().contains(key), "the example lacks {key}");
        }
    }
}
