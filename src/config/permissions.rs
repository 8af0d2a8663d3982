//! `[permissions]`: who may declare incidents and run runbook steps.

use std::fmt::Write as _;

use serde::Deserialize;

use super::fields;
use crate::domain::{Permissions, UserId};

/// Who may do what; empty lists let anyone.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct PermissionsConfig {
    /// Chat user ids who may declare incidents; empty: anyone.
    #[serde(deserialize_with = "fields::user_ids")]
    pub declare: Vec<UserId>,
    /// Chat user ids who may run runbook steps; empty: anyone.
    #[serde(deserialize_with = "fields::user_ids")]
    pub run: Vec<UserId>,
}

impl PermissionsConfig {
    /// The domain's permissions.
    pub fn permissions(&self) -> Permissions {
        Permissions {
            declare: self.declare.clone(),
            run: self.run.clone(),
        }
    }

    /// The section as `config show` prints it.
    pub(super) fn describe(&self, out: &mut String) {
        let list = |ids: &[UserId]| {
            let quoted: Vec<String> = ids.iter().map(|u| format!("{:?}", u.as_str())).collect();
            format!("[{}]", quoted.join(", "))
        };
        let _ = writeln!(out, "\n[permissions]");
        let _ = writeln!(out, "declare = {}", list(&self.declare));
        let _ = writeln!(out, "run = {}", list(&self.run));
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use crate::config::Config;

    fn load(text: &str) -> Result<Config, String> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        Config::load_from(Some(file.path()), Vec::new()).map_err(|e| e.to_string())
    }

    #[test]
    fn lists_are_read_checked_and_shown() {
        let config = load(
            "[permissions]\ndeclare = [\"alice\", \"@bob:example.org\"]\nrun = [\"U024BE7LH\"]\n",
        )
        .unwrap();
        let permissions = config.permissions.permissions();
        assert_eq!(permissions.declare.len(), 2);
        assert_eq!(permissions.run[0].as_str(), "U024BE7LH");
        let shown = config.describe();
        assert!(
            shown.contains("[permissions]\ndeclare = [\"alice\", \"@bob:example.org\"]\nrun = [\"U024BE7LH\"]\n"),
            "{shown}"
        );
        assert!(config.unknown_keys().is_empty());
    }

    #[test]
    fn a_bad_id_is_refused_and_a_misspelled_key_reported() {
        let bad = load("[permissions]\ndeclare = [\"two words\"]\n").unwrap_err();
        assert!(bad.contains("'two words' is not a user id"), "{bad}");
        let config = load("[permissions]\ndeclar = [\"alice\"]\n").unwrap();
        assert_eq!(config.unknown_keys(), ["permissions.declar"]);
        assert!(config.permissions.permissions().declare.is_empty());
    }
}
