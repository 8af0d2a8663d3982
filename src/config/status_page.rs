//! `[status_page]`: whether `warroom serve` answers `/status`, `/status.json` and
//! `/status.atom`, what the page is called, and how many days of past incidents it shows. Off
//! by default: a status page is for the public, and publishing is a choice.

use serde::Deserialize;

use super::alerts::invalid;
use super::{ConfigError, key_line, quoted};

/// The most days of history the page shows.
pub const MAX_HISTORY_DAYS: u32 = 365;

/// The `[status_page]` table.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct StatusPageConfig {
    /// Whether `serve` answers the status page's routes (404 when off).
    pub enabled: bool,
    /// The page's heading and the feed's title.
    pub title: String,
    /// How many days of resolved incidents it shows.
    pub history_days: u32,
}

impl Default for StatusPageConfig {
    fn default() -> Self {
        StatusPageConfig {
            enabled: false,
            title: "Service status".to_owned(),
            history_days: 90,
        }
    }
}

impl StatusPageConfig {
    /// Checks the title (one line, 1 to 80 characters) and the history (1 to 365 days).
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > 80 || title.chars().any(char::is_control) {
            return Err(invalid(
                "status_page.title",
                "expected one line of 1 to 80 characters",
            ));
        }
        if !(1..=MAX_HISTORY_DAYS).contains(&self.history_days) {
            return Err(invalid(
                "status_page.history_days",
                "expected 1 to 365 days",
            ));
        }
        Ok(())
    }

    pub(super) fn describe(&self, out: &mut String) {
        out.push_str("\n[status_page]\n");
        key_line(out, "enabled", Some(self.enabled.to_string()));
        key_line(out, "title", Some(quoted(&self.title)));
        key_line(out, "history_days", Some(self.history_days.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::testing::{env, file, no_env};

    #[test]
    fn it_is_off_by_default_and_checked_when_set() {
        let page = Config::load_from(None, no_env()).unwrap().status_page;
        assert!(!page.enabled);
        assert_eq!(page.history_days, 90);
        let (_dir, path) = file("[status_page]\nenabled = true\ntitle = \"Acme status\"\n");
        let config = Config::load_from(Some(&path), no_env()).unwrap();
        assert!(config.status_page.enabled);
        assert_eq!(config.status_page.title, "Acme status");
        let vars = env(&[("WARROOM_STATUS_PAGE__HISTORY_DAYS", "400")]);
        let err = Config::load_from(None, vars).unwrap_err().to_string();
        assert!(err.contains("status_page.history_days"), "{err}");
        let (_dir, path) = file("[status_page]\ntitle = \"\"\n");
        let err = Config::load_from(Some(&path), no_env())
            .unwrap_err()
            .to_string();
        assert!(err.contains("status_page.title"), "{err}");
    }
}
