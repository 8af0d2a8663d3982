//! `[metrics]`: whether `warroom serve` answers `/metrics`. On by default: it shows counts and
//! latencies under labels (severity, status, chat, route, escalation level), never a title, a
//! name or a secret, like `/healthz` shows the outbox.

use serde::Deserialize;

use super::alerts::invalid;
use super::{ConfigError, key_line};

/// The `[metrics]` table.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct MetricsConfig {
    /// Whether `serve` answers `/metrics` (404 when off).
    pub enabled: bool,
    /// How often the database's figures (incidents by severity and status, outbox backlog)
    /// are read, in seconds: a scrape itself never reads the database.
    pub refresh_secs: u64,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            enabled: true,
            refresh_secs: 15,
        }
    }
}

impl MetricsConfig {
    /// Checks the refresh (1 s to an hour).
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        if !(1..=3600).contains(&self.refresh_secs) {
            return Err(invalid(
                "metrics.refresh_secs",
                "expected 1 to 3600 seconds",
            ));
        }
        Ok(())
    }

    /// How often the database's figures are read.
    pub fn refresh(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.refresh_secs)
    }

    pub(super) fn describe(&self, out: &mut String) {
        out.push_str("\n[metrics]\n");
        key_line(out, "enabled", Some(self.enabled.to_string()));
        key_line(out, "refresh_secs", Some(self.refresh_secs.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::testing::{env, no_env};

    #[test]
    fn it_is_on_by_default_and_can_be_turned_off() {
        assert!(Config::load_from(None, no_env()).unwrap().metrics.enabled);
        let vars = env(&[("WARROOM_METRICS__ENABLED", "false")]);
        assert!(!Config::load_from(None, vars).unwrap().metrics.enabled);
        let vars = env(&[("WARROOM_METRICS__REFRESH_SECS", "0")]);
        let err = Config::load_from(None, vars).unwrap_err().to_string();
        assert!(err.contains("metrics.refresh_secs"), "{err}");
    }
}
