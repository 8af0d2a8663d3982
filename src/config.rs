//! Warroom's settings: built-in defaults, then a TOML file, then `WARROOM_*` environment
//! variables. Secrets are `secrecy` types so that no `Debug`, log line or error shows them.

use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use figment::providers::{Format, Toml};
use figment::value::magic::RelativePathBuf;
use figment::value::{Dict, Empty, Map, Tag, Value};
use figment::{Figment, Metadata, Profile, Provider, Source};
use secrecy::SecretString;
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use crate::domain::UserId;

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
    /// A room that gets a one-line announcement of each new incident; `None`: no announcements.
    pub announce_room: Option<String>,
    /// People invited to every war room.
    #[serde(deserialize_with = "user_ids")]
    pub responders: Vec<String>,
    /// A post-mortem template to use instead of the built-in one; a relative path in the
    /// file is taken from the file's folder.
    #[serde(deserialize_with = "relative_path")]
    pub postmortem_template: Option<PathBuf>,
    /// Slack credentials.
    pub slack: SlackConfig,
    /// Matrix credentials.
    pub matrix: MatrixConfig,
}

/// How Warroom talks to Slack.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct SlackConfig {
    /// The bot's OAuth token (`xoxb-…`).
    pub bot_token: Option<SecretString>,
    /// The secret that signs Slack's requests to Warroom.
    pub signing_secret: Option<SecretString>,
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
    pub password: Option<SecretString>,
    /// An access token, instead of a password.
    pub access_token: Option<SecretString>,
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
            slack: SlackConfig::default(),
            matrix: MatrixConfig::default(),
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
            .field("slack", &self.slack)
            .field("matrix", &self.matrix)
            .finish()
    }
}

/// Why the configuration could not be loaded. Each reads as one sentence and never shows a value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file named on the command line is not there.
    #[error("the config file {} does not exist", .0.display())]
    MissingFile(PathBuf),
    /// The file is there but could not be read.
    #[error("cannot read the config file {}: {source}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not TOML.
    #[error("the config file {} is not valid TOML: {problem}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// What is wrong and where (line and column).
        problem: String,
    },
    /// A key has a value of the wrong kind.
    #[error("`{key}` {origin} is not valid: {problem}")]
    InvalidValue {
        /// The key, dotted (`slack.bot_token`).
        key: String,
        /// Where the value came from (`in warroom.toml`, `in environment variable WARROOM_…`).
        origin: String,
        /// What was expected.
        problem: String,
    },
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
        let mut figment = Figment::new();
        if let Some((path, text)) = file {
            figment = figment.merge(TomlFile::parse(path, text)?);
        }
        figment
            .merge(EnvVars::from_pairs(env))
            .extract_lossy()
            .map_err(|e| invalid_value(&e))
    }

    /// The database URL with any password replaced by `***`, fit for logs and `config show`.
    pub fn database_url_redacted(&self) -> String {
        redact_url(&self.database_url)
    }

    /// The effective configuration as TOML-like text, secrets shown as `"***"` when set.
    pub fn describe(&self) -> String {
        let text = |s: &Option<String>| s.as_deref().map(quoted);
        let secret = |s: &Option<SecretString>| s.as_ref().map(|_| quoted("***"));
        let ids: Vec<String> = self.responders.iter().map(|r| quoted(r)).collect();
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
        out.push_str("\n[slack]\n");
        key_line(out, "bot_token", secret(&self.slack.bot_token));
        key_line(out, "signing_secret", secret(&self.slack.signing_secret));
        out.push_str("\n[matrix]\n");
        key_line(out, "homeserver", text(&self.matrix.homeserver));
        key_line(out, "user", text(&self.matrix.user));
        key_line(out, "password", secret(&self.matrix.password));
        key_line(out, "access_token", secret(&self.matrix.access_token));
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
    include_str!("../templates/warroom.example.toml")
}

fn quoted(s: &str) -> String {
    // A JSON string is a valid TOML basic string.
    serde_json::to_string(s).unwrap_or_else(|_| "\"?\"".to_owned())
}

fn read_file(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => ConfigError::MissingFile(path.to_owned()),
        _ => ConfigError::Unreadable {
            path: path.to_owned(),
            source,
        },
    })
}

fn redact_url(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        // Not a URL we understand: hide whatever might be credentials.
        return match raw.rfind('@') {
            Some(at) => format!("***{}", &raw[at..]),
            None => raw.to_owned(),
        };
    };
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    let secret_key = |k: &str| {
        let k = k.to_ascii_lowercase();
        ["password", "secret", "token"]
            .iter()
            .any(|s| k.contains(s))
    };
    if url.query_pairs().any(|(k, _)| secret_key(&k)) {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if secret_key(&k) { "***".into() } else { v };
                (k.into_owned(), v.into_owned())
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string().replace("%2A%2A%2A", "***")
}

/// A TOML file parsed up front, so that syntax errors are told apart from wrong values.
struct TomlFile {
    path: PathBuf,
    data: Dict,
}

impl TomlFile {
    fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let data = Toml::from_str::<Dict>(text).map_err(|e| {
            // The error's own Display quotes the offending line, which may hold a secret.
            let position = e.span().map(|span| {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                format!("line {line}, column {column}: ")
            });
            ConfigError::Syntax {
                path: path.to_owned(),
                problem: format!(
                    "{}{}",
                    position.unwrap_or_default(),
                    e.message().trim().replace('\n', "; ")
                ),
            }
        })?;
        Ok(TomlFile {
            path: path.to_owned(),
            data,
        })
    }
}

impl Provider for TomlFile {
    fn metadata(&self) -> Metadata {
        Metadata::from("config file", Source::File(self.path.clone()))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.data.clone()))
    }
}

/// `WARROOM_*` variables from any list of pairs, so tests need not touch the process
/// environment. Values stay strings (numbers are read from them where a number is wanted);
/// an empty value means "not set".
struct EnvVars {
    vars: Vec<(String, String)>,
}

impl EnvVars {
    fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let vars = pairs
            .into_iter()
            .filter_map(|(name, value)| {
                name.get(..ENV_PREFIX.len())
                    .filter(|p| p.eq_ignore_ascii_case(ENV_PREFIX))?;
                let keys: Vec<String> = name[ENV_PREFIX.len()..]
                    .split(ENV_NESTING)
                    .map(|k| k.trim().to_ascii_lowercase())
                    .collect();
                if keys.iter().any(String::is_empty) {
                    return None;
                }
                Some((keys.join("."), value))
            })
            .collect();
        EnvVars { vars }
    }
}

impl Provider for EnvVars {
    fn metadata(&self) -> Metadata {
        Metadata::named("environment variable").interpolater(|_: &Profile, keys: &[&str]| {
            format!(
                "{ENV_PREFIX}{}",
                keys.join(ENV_NESTING).to_ascii_uppercase()
            )
        })
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut root = Dict::new();
        for (dotted, raw) in &self.vars {
            let value = if raw.is_empty() {
                Value::Empty(Tag::Default, Empty::None)
            } else {
                Value::from(raw.clone())
            };
            let keys: Vec<&str> = dotted.split('.').collect();
            insert_nested(&mut root, &keys, value);
        }
        Ok(Profile::Default.collect(root))
    }
}

fn insert_nested(dict: &mut Dict, keys: &[&str], value: Value) {
    match keys {
        [] => {}
        [last] => {
            dict.insert((*last).to_owned(), value);
        }
        [first, rest @ ..] => {
            let child = dict
                .entry((*first).to_owned())
                .or_insert_with(|| Value::from(Dict::new()));
            if !matches!(child, Value::Dict(..)) {
                *child = Value::from(Dict::new());
            }
            if let Value::Dict(_, inner) = child {
                insert_nested(inner, rest, value);
            }
        }
    }
}

/// Turns figment's error into one sentence naming the key and its source, without the value.
fn invalid_value(error: &figment::Error) -> ConfigError {
    use figment::error::{Actual, Kind};
    let found = |actual: &Actual| match actual {
        Actual::Bool(_) => "true or false",
        Actual::Unsigned(_) | Actual::Signed(_) => "an integer",
        Actual::Float(_) => "a decimal number",
        Actual::Char(_) | Actual::Str(_) => "a string",
        Actual::Seq => "a list",
        Actual::Map => "a table",
        Actual::Unit | Actual::Option => "nothing",
        _ => "another kind of value",
    };
    let mut problem = match &error.kind {
        Kind::Message(message) => message.clone(),
        Kind::InvalidType(actual, expected) => {
            format!("expected {expected}, found {}", found(actual))
        }
        Kind::InvalidValue(_, expected) => format!("expected {expected}"),
        Kind::InvalidLength(len, expected) => format!("expected {expected}, found {len} items"),
        Kind::UnknownVariant(_, choices) => format!("expected one of {}", choices.join(", ")),
        Kind::UnknownField(field, _) => format!("`{field}` is not a known key"),
        Kind::MissingField(field) => format!("`{field}` is missing"),
        _ => "the value is not supported".to_owned(),
    };
    let more = error.count().saturating_sub(1);
    if more > 0 {
        let _ = write!(problem, " (and {more} more problems)");
    }
    let origin = match &error.metadata {
        Some(meta) => match &meta.source {
            Some(Source::File(path)) => format!("in {}", path.display()),
            _ => {
                let profile = error.profile.clone().unwrap_or_default();
                format!(
                    "in {} {}",
                    meta.name,
                    meta.interpolate(&profile, &error.path)
                )
            }
        },
        None => "in the configuration".to_owned(),
    };
    ConfigError::InvalidValue {
        key: error.path.join("."),
        origin,
        problem,
    }
}

/// Reads a list of user ids from a TOML array or a comma-separated string (for env vars).
fn user_ids<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    struct UserIds;

    fn checked<E: de::Error>(raw: &str) -> Result<String, E> {
        let shown: String = raw
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(40)
            .collect();
        if raw.trim().contains(char::is_whitespace) {
            return Err(E::custom(format!(
                "'{shown}' is not a user id: ids have no spaces (separate them with commas)"
            )));
        }
        UserId::parse(raw)
            .map(|id| id.as_str().to_owned())
            .map_err(|e| E::custom(format!("'{shown}' is not a user id: {e}")))
    }

    impl<'de> Visitor<'de> for UserIds {
        type Value = Vec<String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of user ids such as [\"alice\", \"bob\"]")
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            let s = s.trim();
            let s = s
                .strip_prefix('[')
                .and_then(|s| s.strip_suffix(']'))
                .unwrap_or(s);
            s.split(',')
                .map(|id| id.trim().trim_matches(|c| c == '"' || c == '\''))
                .filter(|id| !id.is_empty())
                .map(checked)
                .collect()
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut ids = Vec::new();
            while let Some(id) = seq.next_element::<String>()? {
                ids.push(checked(&id)?);
            }
            Ok(ids)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
    }

    deserializer.deserialize_any(UserIds)
}

fn relative_path<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<PathBuf>, D::Error> {
    Ok(Option::<RelativePathBuf>::deserialize(deserializer)?.map(|p| p.relative()))
}

#[cfg(test)]
mod tests {
    use std::fs;

    use secrecy::ExposeSecret;

    use super::*;

    fn no_env() -> Vec<(String, String)> {
        Vec::new()
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("warroom.toml");
        fs::write(&path, text).unwrap();
        (dir, path)
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
        assert_eq!(config.responders, ["alice", "@bob:example.org"]);
        assert_eq!(config.postmortem_template, Some(dir.path().join("pm.hbs")));
        let token = config.slack.bot_token.unwrap();
        assert_eq!(token.expose_secret(), "xoxb-from-file");
    }

    #[test]
    fn environment_variables_override_the_file() {
        let (_dir, path) = file("bot_name = \"from-file\"\nannounce_room = \"incidents\"\n");
        let vars = env(&[
            ("WARROOM_BOT_NAME", "from-env"),
            ("WARROOM_DATABASE_URL", "postgres://u:pw@db/warroom"),
            ("WARROOM_RESPONDERS", "alice, bob,carol"),
            ("WARROOM_SLACK__BOT_TOKEN", "123456"),
            ("WARROOM_MATRIX__HOMESERVER", "https://matrix.example.org"),
            ("WARROOM_ANNOUNCE_ROOM", ""),
            ("WARROOM_CONFIG", "/etc/warroom.toml"),
            ("HOME", "/root"),
        ]);
        let config = Config::load_from(Some(&path), vars).unwrap();
        assert_eq!(config.bot_name, "from-env");
        assert_eq!(config.database_url, "postgres://u:pw@db/warroom");
        assert_eq!(config.responders, ["alice", "bob", "carol"]);
        assert_eq!(config.slack.bot_token.unwrap().expose_secret(), "123456");
        assert_eq!(
            config.matrix.homeserver.as_deref(),
            Some("https://matrix.example.org")
        );
        assert_eq!(config.announce_room, None, "an empty variable unsets a key");
    }

    #[test]
    fn a_value_of_the_wrong_kind_names_the_key_and_the_file() {
        let (_dir, path) = file("responders = 5\n");
        let err = Config::load_from(Some(&path), no_env()).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("`responders` in "), "{text}");
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("found an integer"), "{text}");
    }

    #[test]
    fn a_bad_variable_is_named_as_the_environment_spells_it() {
        let vars = env(&[("WARROOM_RESPONDERS", "alice,bad id,bob")]);
        let err = Config::load_from(None, vars).unwrap_err().to_string();
        assert!(
            err.starts_with("`responders` in environment variable WARROOM_RESPONDERS"),
            "{err}"
        );
        let vars = env(&[("WARROOM_SLACK__BOT_TOKEN", "")]);
        assert!(Config::load_from(None, vars).is_ok());
        let vars = env(&[("WARROOM_BOT_NAME", "")]);
        let err = Config::load_from(None, vars).unwrap_err().to_string();
        assert_eq!(
            err,
            "`bot_name` in environment variable WARROOM_BOT_NAME is not valid: \
             expected a string, found nothing"
        );
    }

    #[test]
    fn a_wrong_secret_or_broken_toml_is_reported_without_the_secret() {
        let (_dir, path) = file("[matrix]\npassword = [\"hunter2-secret\"]\n");
        let err = Config::load_from(Some(&path), no_env())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("`matrix.password` in "), "{err}");
        assert!(!err.contains("hunter2"), "{err}");

        let (_dir, path) = file("bot_name = \"ok\"\n[slack]\nbot_token = \"xoxb-secret\n");
        let err = Config::load_from(Some(&path), no_env()).unwrap_err();
        assert!(matches!(err, ConfigError::Syntax { .. }), "{err:?}");
        let err = err.to_string();
        assert!(err.contains("line 3"), "{err}");
        assert!(!err.contains("xoxb-secret"), "{err}");
    }

    #[test]
    fn a_given_path_that_does_not_exist_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope.toml");
        let err = Config::load_from(Some(&path), no_env()).unwrap_err();
        assert!(matches!(err, ConfigError::MissingFile(_)));
        assert_eq!(
            err.to_string(),
            format!("the config file {} does not exist", path.display())
        );
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
    fn database_urls_lose_passwords_in_credentials_and_query() {
        assert_eq!(redact_url("sqlite://warroom.db"), "sqlite://warroom.db");
        assert_eq!(redact_url("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(
            redact_url("postgres://app:s3cr%40t@db/warroom?sslmode=require"),
            "postgres://app:***@db/warroom?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://db/warroom?user=app&password=s3cret"),
            "postgres://db/warroom?user=app&password=***"
        );
        assert_eq!(
            redact_url("postgres://app@db/warroom"),
            "postgres://app@db/warroom"
        );
    }

    #[test]
    fn the_example_file_parses_to_the_defaults() {
        let (_dir, path) = file(example());
        let config = Config::load_from(Some(&path), no_env()).unwrap();
        assert_eq!(config.describe(), Config::default().describe());
    }

    #[test]
    fn every_commented_key_of_the_example_is_valid_when_uncommented() {
        let uncommented: String = example()
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(rest) if rest.contains(" = ") && !rest.starts_with(' ') => rest,
                _ => line,
            })
            .map(|line| format!("{line}\n"))
            .collect();
        let (_dir, path) = file(&uncommented);
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
        ] {
            assert!(example().contains(key), "the example lacks {key}");
        }
    }
}
