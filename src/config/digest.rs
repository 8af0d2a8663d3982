//! `[digest]`: when the daily digest of open incidents goes to the announcements rooms.

use serde::Deserialize;

use super::alerts::invalid;
use super::{ConfigError, key_line, quoted};

/// The `[digest]` table.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct DigestConfig {
    /// The time of day, `HH:MM` in UTC; no digest when left out.
    pub at: Option<String>,
}

impl DigestConfig {
    /// The time, checked.
    pub fn time(&self) -> Result<Option<chrono::NaiveTime>, ConfigError> {
        match self.at.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => crate::engine::digest_time(text)
                .map(Some)
                .ok_or_else(|| invalid("digest.at", "expected a time of day like \"09:00\" (UTC)")),
        }
    }

    pub(super) fn describe(&self, out: &mut String) {
        out.push_str("\n[digest]\n");
        key_line(out, "at", self.at.as_deref().map(quoted));
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::testing::{file, no_env};

    #[test]
    fn the_digest_is_off_by_default_and_its_time_is_checked() {
        let config = Config::load_from(None, no_env()).unwrap();
        assert_eq!(config.digest.time().unwrap(), None);
        let (_dir, path) = file("[digest]\nat = \"09:30\"\n");
        let config = Config::load_from(Some(&path), no_env()).unwrap();
        assert_eq!(
            config.digest.time().unwrap(),
            chrono::NaiveTime::from_hms_opt(9, 30, 0)
        );
        let (_dir, path) = file("[digest]\nat = \"9am\"\n");
        let err = Config::load_from(Some(&path), no_env())
            .unwrap_err()
            .to_string();
        assert!(err.contains("digest.at"), "{err}");
    }
}
