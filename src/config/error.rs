//! Why the configuration could not be loaded, told in one sentence that never shows a value.

use std::fmt::Write as _;
use std::path::PathBuf;

use figment::Source;

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

/// Turns figment's error into one sentence naming the key and its source, without the value.
pub(super) fn invalid_value(error: &figment::Error) -> ConfigError {
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

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::testing::{file, no_env};

    use super::*;

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
}
