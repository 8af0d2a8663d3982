//! `[slack]`: how Warroom talks to Slack. Secrets come from the environment or from files
//! (mounted secrets); the file may name a secret's file but should never hold its value.

use std::fmt::Write as _;
use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

use super::ConfigError;
use super::actions::SecretSource;

/// The Web API's address unless the config says otherwise.
pub const DEFAULT_API_URL: &str = "https://slack.com/api";

/// How Slack's events reach Warroom.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SlackMode {
    /// Slack posts to `/slack/commands`, `/slack/interactions` and `/slack/events`.
    #[default]
    Http,
    /// Warroom opens a Socket Mode websocket (no public URL needed); needs an app token.
    Socket,
}

/// How Warroom talks to Slack.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct SlackConfig {
    /// The bot's OAuth token (`xoxb-…`).
    #[serde(deserialize_with = "super::fields::secret")]
    pub bot_token: Option<SecretString>,
    /// A file holding the bot token, instead of `bot_token`.
    #[serde(deserialize_with = "super::fields::relative_path")]
    pub bot_token_file: Option<PathBuf>,
    /// The secret that signs Slack's requests to Warroom.
    #[serde(deserialize_with = "super::fields::secret")]
    pub signing_secret: Option<SecretString>,
    /// A file holding the signing secret, instead of `signing_secret`.
    #[serde(deserialize_with = "super::fields::relative_path")]
    pub signing_secret_file: Option<PathBuf>,
    /// The app-level token (`xapp-…`) that opens Socket Mode connections.
    #[serde(deserialize_with = "super::fields::secret")]
    pub app_token: Option<SecretString>,
    /// A file holding the app token, instead of `app_token`.
    #[serde(deserialize_with = "super::fields::relative_path")]
    pub app_token_file: Option<PathBuf>,
    /// The Web API's base URL, without a trailing slash.
    pub api_url: Option<String>,
    /// `http` (the default) or `socket`.
    pub mode: SlackMode,
    /// Times a call that Slack answered with 429 is tried again after its Retry-After.
    pub max_retries: Option<u32>,
    /// The least time between two messages in one channel, in milliseconds (Slack: about 1 s).
    pub post_interval_ms: Option<u64>,
    /// The channel (its id, `C0123ABC`) that gets a one-line announcement of each incident
    /// that lives in Slack.
    pub announce_room: Option<String>,
}

/// Slack's settings with every secret read: what `warroom serve` needs to start the adapter.
#[derive(Clone, Debug)]
pub struct SlackSecrets {
    /// The bot token.
    pub bot_token: SecretString,
    /// The signing secret; needed for HTTP mode only (Socket Mode has no signed requests).
    pub signing_secret: Option<SecretString>,
    /// The app token, for Socket Mode.
    pub app_token: Option<SecretString>,
}

impl SlackConfig {
    /// Whether Slack is configured at all (a bot token from anywhere).
    pub fn enabled(&self) -> bool {
        self.bot_token.is_some() || self.bot_token_file.is_some()
    }

    /// The Web API base URL in use.
    pub fn api_url(&self) -> &str {
        self.api_url
            .as_deref()
            .unwrap_or(DEFAULT_API_URL)
            .trim_end_matches('/')
    }

    /// Reads the secrets: each from its value or its file; errors name the key, never a value.
    pub fn secrets(&self) -> Result<SlackSecrets, ConfigError> {
        let bot_token = secret("slack.bot_token", &self.bot_token, &self.bot_token_file)?
            .ok_or_else(|| missing("slack.bot_token", "WARROOM_SLACK__BOT_TOKEN"))?;
        let signing_secret = secret(
            "slack.signing_secret",
            &self.signing_secret,
            &self.signing_secret_file,
        )?;
        if self.mode == SlackMode::Http && signing_secret.is_none() {
            return Err(missing(
                "slack.signing_secret",
                "WARROOM_SLACK__SIGNING_SECRET",
            ));
        }
        let app_token = secret("slack.app_token", &self.app_token, &self.app_token_file)?;
        if self.mode == SlackMode::Socket && app_token.is_none() {
            return Err(missing("slack.app_token", "WARROOM_SLACK__APP_TOKEN"));
        }
        Ok(SlackSecrets {
            bot_token,
            signing_secret,
            app_token,
        })
    }

    /// Checks what can be checked without reading secrets: the API URL.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        if let Some(raw) = &self.api_url {
            let ok = url::Url::parse(raw)
                .map(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .unwrap_or(false);
            if !ok {
                return Err(ConfigError::InvalidValue {
                    key: "slack.api_url".into(),
                    origin: "in the configuration".into(),
                    problem: "expected an http(s) URL such as https://slack.com/api".into(),
                });
            }
        }
        Ok(())
    }

    /// `[slack]` for `config show`: secrets as `"***"`, files by path.
    pub(super) fn describe(&self, out: &mut String) {
        let secret = |s: &Option<SecretString>| s.as_ref().map(|_| "\"***\"".to_owned());
        let path =
            |p: &Option<PathBuf>| p.as_ref().map(|p| super::quoted(&p.display().to_string()));
        out.push_str("\n[slack]\n");
        super::key_line(out, "bot_token", secret(&self.bot_token));
        super::key_line(out, "bot_token_file", path(&self.bot_token_file));
        super::key_line(out, "signing_secret", secret(&self.signing_secret));
        super::key_line(out, "signing_secret_file", path(&self.signing_secret_file));
        super::key_line(out, "app_token", secret(&self.app_token));
        super::key_line(out, "app_token_file", path(&self.app_token_file));
        super::key_line(out, "api_url", Some(super::quoted(self.api_url())));
        let mode = match self.mode {
            SlackMode::Http => "http",
            SlackMode::Socket => "socket",
        };
        super::key_line(out, "mode", Some(super::quoted(mode)));
        let _ = writeln!(out, "max_retries = {}", self.max_retries.unwrap_or(3));
        let _ = writeln!(
            out,
            "post_interval_ms = {}",
            self.post_interval_ms.unwrap_or(1000)
        );
        let room = self.announce_room.as_deref().map(super::quoted);
        super::key_line(out, "announce_room", room);
    }
}

fn missing(key: &str, var: &str) -> ConfigError {
    ConfigError::InvalidValue {
        key: key.to_owned(),
        origin: "in the configuration".to_owned(),
        problem: format!("it is needed for Slack: set {var} (or {key}_file)"),
    }
}

fn secret(
    key: &str,
    value: &Option<SecretString>,
    file: &Option<PathBuf>,
) -> Result<Option<SecretString>, ConfigError> {
    match (value, file) {
        (Some(_), Some(_)) => Err(ConfigError::InvalidValue {
            key: key.to_owned(),
            origin: "in the configuration".to_owned(),
            problem: format!("give either {key} or {key}_file, not both"),
        }),
        (Some(v), None) => Ok(Some(v.clone())),
        (None, Some(path)) => SecretSource::File(path.clone())
            .read(key, |_| None)
            .map(Some),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use crate::config::Config;
    use crate::config::testing::{env, file};

    #[test]
    fn slack_secrets_come_from_files_and_the_environment_and_stay_hidden() {
        let dir = tempfile::tempdir().unwrap();
        let secret_file = dir.path().join("signing");
        std::fs::write(&secret_file, "sign-me-7\n").unwrap();
        let (_d, path) = file(&format!(
            "[slack]\nsigning_secret_file = {:?}\napi_url = \"http://127.0.0.1:9/api/\"\nmode = \"http\"\n",
            secret_file.display().to_string()
        ));
        let config =
            Config::load_from(Some(&path), env(&[("WARROOM_SLACK__BOT_TOKEN", "xoxb-9")])).unwrap();
        assert!(config.slack.enabled());
        assert_eq!(config.slack.api_url(), "http://127.0.0.1:9/api");
        let secrets = config.slack.secrets().unwrap();
        assert_eq!(secrets.signing_secret.unwrap().expose_secret(), "sign-me-7");
        assert_eq!(secrets.bot_token.expose_secret(), "xoxb-9");
        let shown = config.describe();
        assert!(
            !shown.contains("sign-me-7") && !shown.contains("xoxb-9"),
            "{shown}"
        );
        assert!(shown.contains("bot_token = \"***\""), "{shown}");
    }

    #[test]
    fn socket_mode_without_an_app_token_is_refused_by_name() {
        let vars = env(&[
            ("WARROOM_SLACK__BOT_TOKEN", "xoxb-1"),
            ("WARROOM_SLACK__SIGNING_SECRET", "s"),
            ("WARROOM_SLACK__MODE", "socket"),
        ]);
        let config = Config::load_from(None, vars).unwrap();
        let err = config.slack.secrets().unwrap_err().to_string();
        assert!(
            err.contains("slack.app_token") && err.contains("WARROOM_SLACK__APP_TOKEN"),
            "{err}"
        );
        // Socket Mode needs no signing secret; HTTP mode does.
        let vars = env(&[
            ("WARROOM_SLACK__BOT_TOKEN", "xoxb-1"),
            ("WARROOM_SLACK__APP_TOKEN", "xapp-1"),
            ("WARROOM_SLACK__MODE", "socket"),
        ]);
        let config = Config::load_from(None, vars).unwrap();
        assert!(config.slack.secrets().unwrap().signing_secret.is_none());
        let vars = env(&[("WARROOM_SLACK__BOT_TOKEN", "xoxb-1")]);
        let config = Config::load_from(None, vars).unwrap();
        let err = config.slack.secrets().unwrap_err().to_string();
        assert!(err.contains("WARROOM_SLACK__SIGNING_SECRET"), "{err}");
    }

    #[test]
    fn an_empty_or_blank_secret_is_refused_at_load_by_name() {
        // In the file: refused however it is blank.
        for blank in ["", " ", "\\t\\n "] {
            for key in ["signing_secret", "bot_token", "app_token"] {
                let (_d, path) = file(&format!("[slack]\n{key} = \"{blank}\"\n"));
                let err = Config::load_from(Some(&path), env(&[]))
                    .unwrap_err()
                    .to_string();
                assert!(err.starts_with(&format!("`slack.{key}` in ")), "{err}");
                assert!(err.contains("empty"), "{err}");
            }
        }
        // From the environment: a single space is refused and the variable is named.
        let vars = env(&[
            ("WARROOM_SLACK__BOT_TOKEN", "xoxb-1"),
            ("WARROOM_SLACK__SIGNING_SECRET", " "),
        ]);
        let err = Config::load_from(None, vars).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "`slack.signing_secret` in environment variable WARROOM_SLACK__SIGNING_SECRET"
            ),
            "{err}"
        );
        // From a file: a file holding only white space is refused by name.
        let dir = tempfile::tempdir().unwrap();
        let secret_file = dir.path().join("signing");
        std::fs::write(&secret_file, " \n").unwrap();
        let (_d, path) = file(&format!(
            "[slack]\nsigning_secret_file = {:?}\n",
            secret_file.display().to_string()
        ));
        let config =
            Config::load_from(Some(&path), env(&[("WARROOM_SLACK__BOT_TOKEN", "xoxb-9")])).unwrap();
        let err = config.slack.secrets().unwrap_err().to_string();
        assert!(err.starts_with("`slack.signing_secret` in "), "{err}");
        assert!(err.contains("empty"), "{err}");
    }

    #[test]
    fn a_bad_api_url_is_refused() {
        let vars = env(&[("WARROOM_SLACK__API_URL", "slack.com")]);
        let err = Config::load_from(None, vars).unwrap_err().to_string();
        assert!(err.contains("slack.api_url"), "{err}");
    }
}
