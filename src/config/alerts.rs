//! `[alerts]`: the Alertmanager webhook. Whether it is on, the secret that guards it (a bearer
//! token or a secret path segment, each from an environment variable or a file), how labels
//! map to severities, and whether resolved alerts resolve incidents.

use std::collections::BTreeMap;
use std::fmt;

use secrecy::SecretString;
use serde::Deserialize;

use super::{ConfigError, SecretSource, key_line, quoted};
use crate::alerts::SeverityRules;
use crate::domain::Severity;

/// The `[alerts]` table.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct AlertsConfig {
    /// Whether `POST /alerts/alertmanager` is served.
    pub enabled: bool,
    /// Where the bearer token comes from (`Authorization: Bearer <token>`).
    pub token: Option<SecretSource>,
    /// Where the secret path segment comes from (`/alerts/alertmanager/<secret>`).
    pub path_secret: Option<SecretSource>,
    /// The label that carries an alert's severity.
    pub severity_label: String,
    /// That label's values and the incident severity each means (`critical = "p1"`), over
    /// the built-in ones (critical and page P1, error and warning P2, info P3).
    pub severities: BTreeMap<String, String>,
    /// Severities by alert name, which win over the label (`SiteDown = "p0"`).
    pub alertnames: BTreeMap<String, String>,
    /// The severity when neither the alert name nor the label says.
    pub default_severity: String,
    /// Whether a group whose alerts all resolved resolves its incident (else a button offers it).
    pub auto_resolve: bool,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        let rules = SeverityRules::default();
        AlertsConfig {
            enabled: false,
            token: None,
            path_secret: None,
            severity_label: rules.label,
            severities: BTreeMap::new(),
            alertnames: BTreeMap::new(),
            default_severity: rules.default.code().to_owned(),
            auto_resolve: false,
        }
    }
}

/// The secrets that guard the webhook, read at start-up. Neither `Debug` nor logs show them.
#[derive(Clone, Default)]
pub struct AlertSecrets {
    /// The bearer token, when one is configured.
    pub token: Option<SecretString>,
    /// The secret path segment, when one is configured.
    pub path: Option<SecretString>,
}

impl fmt::Debug for AlertSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlertSecrets")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("path", &self.path.as_ref().map(|_| "***"))
            .finish()
    }
}

impl AlertsConfig {
    /// Checks the table: severities that read, and a secret when the webhook is on.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        self.severity_rules()?;
        if self.enabled && self.token.is_none() && self.path_secret.is_none() {
            return Err(invalid(
                "alerts.enabled",
                "the webhook needs a secret: set alerts.token or alerts.path_secret \
                 (each { env = \"VARIABLE\" } or { file = \"/path\" })",
            ));
        }
        if self.severity_label.trim().is_empty() {
            return Err(invalid("alerts.severity_label", "it is empty"));
        }
        Ok(())
    }

    /// The severity mapping, lowercase label values.
    pub fn severity_rules(&self) -> Result<SeverityRules, ConfigError> {
        let severity = |key: String, raw: &str| {
            raw.parse::<Severity>()
                .map_err(|e| invalid(&key, &e.to_string()))
        };
        let mut by_value = SeverityRules::default().by_value;
        for (value, raw) in &self.severities {
            let s = severity(format!("alerts.severities.{value}"), raw)?;
            by_value.insert(value.trim().to_lowercase(), s);
        }
        let mut by_alertname = BTreeMap::new();
        for (name, raw) in &self.alertnames {
            by_alertname.insert(
                name.clone(),
                severity(format!("alerts.alertnames.{name}"), raw)?,
            );
        }
        Ok(SeverityRules {
            label: self.severity_label.trim().to_owned(),
            by_value,
            by_alertname,
            default: severity("alerts.default_severity".into(), &self.default_severity)?,
        })
    }

    /// Reads the configured secrets now (from the environment or files).
    pub fn secrets(&self) -> Result<AlertSecrets, ConfigError> {
        let env = |var: &str| std::env::var_os(var);
        Ok(AlertSecrets {
            token: self
                .token
                .as_ref()
                .map(|s| s.read("alerts.token", env))
                .transpose()?,
            path: self
                .path_secret
                .as_ref()
                .map(|s| s.read("alerts.path_secret", env))
                .transpose()?,
        })
    }

    pub(super) fn describe(&self, out: &mut String) {
        let source = |s: &Option<SecretSource>| s.as_ref().map(ToString::to_string);
        out.push_str("\n[alerts]\n");
        key_line(out, "enabled", Some(self.enabled.to_string()));
        key_line(out, "token", source(&self.token));
        key_line(out, "path_secret", source(&self.path_secret));
        key_line(out, "severity_label", Some(quoted(&self.severity_label)));
        key_line(
            out,
            "default_severity",
            Some(quoted(&self.default_severity)),
        );
        key_line(out, "auto_resolve", Some(self.auto_resolve.to_string()));
        out.push_str("\n[alerts.severities]\n");
        if let Ok(rules) = self.severity_rules() {
            for (k, v) in &rules.by_value {
                key_line(out, &quoted(k), Some(quoted(v.code())));
            }
        }
        out.push_str("\n[alerts.alertnames]\n");
        for (k, v) in &self.alertnames {
            key_line(out, &quoted(k), Some(quoted(v)));
        }
    }
}

/// A value that is the wrong kind for its key (shared by the config's tables).
pub(super) fn invalid(key: &str, problem: &str) -> ConfigError {
    ConfigError::InvalidValue {
        key: key.to_owned(),
        origin: "in the configuration".to_owned(),
        problem: problem.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;
    use crate::config::Config;
    use crate::config::testing::{file, no_env};

    #[test]
    fn alerts_are_off_by_default_and_map_critical_to_p1() {
        let config = Config::load_from(None, no_env()).unwrap();
        assert!(!config.alerts.enabled);
        assert!(!config.alerts.auto_resolve);
        let rules = config.alerts.severity_rules().unwrap();
        assert_eq!(rules.by_value["critical"], Severity::P1);
        assert_eq!(rules.by_value["warning"], Severity::P2);
        assert_eq!(rules.default, Severity::P2);
    }

    #[test]
    fn an_enabled_webhook_without_a_secret_is_refused() {
        let (_dir, path) = file("[alerts]\nenabled = true\n");
        let err = Config::load_from(Some(&path), no_env()).unwrap_err();
        assert!(err.to_string().contains("needs a secret"), "{err}");
    }

    #[test]
    fn the_environment_can_turn_the_webhook_on_with_a_token_source() {
        let vars = crate::config::testing::env(&[
            ("WARROOM_ALERTS__ENABLED", "true"),
            ("WARROOM_ALERTS__TOKEN__ENV", "AM_TOKEN"),
            ("WARROOM_ALERTS__AUTO_RESOLVE", "true"),
        ]);
        let config = Config::load_from(None, vars).unwrap();
        assert!(config.alerts.enabled && config.alerts.auto_resolve);
        assert_eq!(
            config.alerts.token,
            Some(SecretSource::Env("AM_TOKEN".into()))
        );
    }

    #[test]
    fn a_bad_severity_is_named_with_its_key() {
        let (_dir, path) = file("[alerts.alertnames]\nSiteDown = \"p9\"\n");
        let err = Config::load_from(Some(&path), no_env()).unwrap_err();
        assert!(
            err.to_string().contains("alerts.alertnames.SiteDown"),
            "{err}"
        );
    }

    #[test]
    fn secrets_come_from_files_and_never_show() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "tok-s3cret\n").unwrap();
        let text = format!(
            "[alerts]\nenabled = true\ntoken = {{ file = \"{}\" }}\n[alerts.alertnames]\nSiteDown = \"p0\"\n",
            dir.path().join("token").display()
        );
        let (_d, path) = file(&text);
        let config = Config::load_from(Some(&path), no_env()).unwrap();
        let secrets = config.alerts.secrets().unwrap();
        assert_eq!(
            secrets.token.as_ref().unwrap().expose_secret(),
            "tok-s3cret"
        );
        assert!(!format!("{secrets:?}").contains("s3cret"));
        assert!(!config.describe().contains("s3cret"));
        let rules = config.alerts.severity_rules().unwrap();
        assert_eq!(rules.by_alertname["SiteDown"], Severity::P0);
        assert!(
            config.unknown_keys().is_empty(),
            "{:?}",
            config.unknown_keys()
        );
    }
}
