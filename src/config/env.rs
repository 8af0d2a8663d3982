//! The `WARROOM_*` environment variables as a figment provider, read from any list of pairs.

use figment::value::{Dict, Empty, Map, Tag, Value};
use figment::{Metadata, Profile, Provider};

use super::{ENV_NESTING, ENV_PREFIX};

/// `WARROOM_*` variables from any list of pairs, so tests need not touch the process
/// environment. Values stay strings (numbers are read from them where a number is wanted);
/// an empty value means "not set".
pub(super) struct EnvVars {
    vars: Vec<(String, String)>,
}

impl EnvVars {
    /// The `WARROOM_*` entries among `pairs`, keyed by their dotted lower-case names.
    pub(super) fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
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

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use crate::config::Config;
    use crate::config::testing::{env, file};

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
        assert_eq!(
            config
                .responders
                .iter()
                .map(crate::domain::UserId::as_str)
                .collect::<Vec<_>>(),
            ["alice", "bob", "carol"]
        );
        assert_eq!(config.slack.bot_token.unwrap().expose_secret(), "123456");
        assert_eq!(
            config.matrix.homeserver.as_deref(),
            Some("https://matrix.example.org")
        );
        assert_eq!(config.announce_room, None, "an empty variable unsets a key");
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
}
