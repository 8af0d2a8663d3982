//! The TOML file: read, parsed up front so that syntax errors are told apart from wrong
//! values, and checked for keys Warroom does not know.

use std::path::{Path, PathBuf};

use figment::providers::{Format, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Metadata, Profile, Provider, Source};
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};

use crate::domain::Platform;

use super::{
    ActionsConfig, AlertsConfig, Config, ConfigError, DigestConfig, EscalationConfig, HttpConfig,
    MatrixConfig, MetricsConfig, PermissionsConfig, RotationConfig, SeverityEscalation,
    SlackConfig, StatusPageConfig, StatuspageConfig, WebConfig,
};

/// The file's text; a file that is not there is [`ConfigError::MissingFile`].
pub(super) fn read_file(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => ConfigError::MissingFile(path.to_owned()),
        _ => ConfigError::Unreadable {
            path: path.to_owned(),
            source,
        },
    })
}

/// A TOML file parsed up front, so that syntax errors are told apart from wrong values.
pub(super) struct TomlFile {
    path: PathBuf,
    data: Dict,
}

impl TomlFile {
    /// Parses the text of the file at `path`; a syntax error names the line, never a value.
    pub(super) fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
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

    /// Whether the file sets the top-level key `key`.
    pub(super) fn has_key(&self, key: &str) -> bool {
        self.data.contains_key(key)
    }

    /// The file's keys that [`Config`] does not read, dotted (`slack.bot_tokn`), in order.
    /// A table Warroom does not know is one key; keys inside it are not listed, nor are the
    /// keys of tables named freely (`actions.environments.*`, `actions.secrets.*`, …).
    pub(super) fn unknown_keys(&self) -> Vec<String> {
        let sections = sections();
        let top = fields_of::<Config>();
        let mut unknown = Vec::new();
        for (key, value) in &self.data {
            if !top.contains(&key.as_str()) {
                unknown.push(key.clone());
                continue;
            }
            let known = sections.iter().find(|(name, _)| name == key);
            if let (Some((_, fields)), Value::Dict(_, table)) = (known, value) {
                let inner = table.keys().filter(|k| !fields.contains(&k.as_str()));
                unknown.extend(inner.map(|k| format!("{key}.{k}")));
            }
            unknown.extend(nested_unknown_keys(key, value));
        }
        unknown
    }
}

/// The tables whose keys are checked, with their fields.
fn sections() -> [(&'static str, &'static [&'static str]); 12] {
    [
        (Platform::Slack.name(), fields_of::<SlackConfig>()),
        (Platform::Matrix.name(), fields_of::<MatrixConfig>()),
        ("actions", fields_of::<ActionsConfig>()),
        ("escalation", fields_of::<EscalationConfig>()),
        ("permissions", fields_of::<PermissionsConfig>()),
        ("alerts", fields_of::<AlertsConfig>()),
        ("http", fields_of::<HttpConfig>()),
        ("status_page", fields_of::<StatusPageConfig>()),
        ("statuspage", fields_of::<StatuspageConfig>()),
        ("digest", fields_of::<DigestConfig>()),
        ("metrics", fields_of::<MetricsConfig>()),
        ("web", fields_of::<WebConfig>()),
    ]
}

/// The known key an unknown one (`slack.bot_tokn`) was probably meant to be
/// (`slack.bot_token`), if one is close enough.
pub(super) fn suggest_key(unknown: &str) -> Option<String> {
    let (prefix, last) = match unknown.rsplit_once('.') {
        Some((prefix, last)) => (Some(prefix), last),
        None => (None, unknown),
    };
    let fields: &[&str] = match prefix {
        None => fields_of::<Config>(),
        Some(p) if p.starts_with("rotations[") => fields_of::<RotationConfig>(),
        Some(p) if p.starts_with("escalation.") => fields_of::<SeverityEscalation>(),
        Some(p) => sections().iter().find(|(name, _)| *name == p)?.1,
    };
    let known = crate::domain::closest(last, fields.iter().copied())?;
    Some(match prefix {
        Some(p) => format!("{p}.{known}"),
        None => known.to_owned(),
    })
}

/// Unknown keys one level further down: in `[escalation.pN]` and in each `[[rotations]]`.
fn nested_unknown_keys(key: &str, value: &Value) -> Vec<String> {
    let unknown_in = |prefix: String, value: &Value, fields: &[&str]| -> Vec<String> {
        match value {
            Value::Dict(_, table) => table
                .keys()
                .filter(|k| !fields.contains(&k.as_str()))
                .map(|k| format!("{prefix}.{k}"))
                .collect(),
            _ => Vec::new(),
        }
    };
    match (key, value) {
        ("escalation", Value::Dict(_, table)) => {
            let severities = fields_of::<EscalationConfig>();
            let fields = fields_of::<SeverityEscalation>();
            table
                .iter()
                .filter(|(k, _)| severities.contains(&k.as_str()))
                .flat_map(|(k, v)| unknown_in(format!("escalation.{k}"), v, fields))
                .collect()
        }
        ("rotations", Value::Array(_, items)) => {
            let fields = fields_of::<RotationConfig>();
            items
                .iter()
                .enumerate()
                .flat_map(|(i, v)| unknown_in(format!("rotations[{i}]"), v, fields))
                .collect()
        }
        _ => Vec::new(),
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

/// The keys serde reads for `T`, as its derived `Deserialize` names them, so that the list
/// of known keys never drifts from the structs.
fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldNames(&mut fields));
    fields
}

/// A deserializer that reads nothing: it only notes the field names of the struct asked of it.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("only a struct's field names are read"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("the field names are noted"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use crate::config::testing::{env, example_uncommented, file, no_env};
    use crate::config::{Config, example};

    use super::*;

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

    /// The unknown keys reported for a file of this text.
    fn unknown_keys_in(text: &str) -> Vec<String> {
        let (_dir, path) = file(text);
        let config = Config::load_from(Some(&path), no_env()).unwrap();
        config.unknown_keys().to_vec()
    }

    #[test]
    fn a_misspelled_key_still_loads_and_is_reported() {
        let (_dir, path) = file(
            r#"
            bot_name = "incident-bot"
            lobbby = "ops"
            [slack]
            bot_tokn = "xoxb-1"
            [slak]
            bot_token = "xoxb-2"
            "#,
        );
        let config = Config::load_from(Some(&path), no_env()).unwrap();
        assert_eq!(config.bot_name, "incident-bot");
        assert_eq!(config.lobby, "lobby");
        assert!(config.slack.bot_token.is_none());
        assert_eq!(config.unknown_keys(), ["lobbby", "slack.bot_tokn", "slak"]);
        let meant: Vec<Option<String>> = config
            .unknown_keys()
            .iter()
            .map(|k| suggest_key(k))
            .collect();
        assert_eq!(
            meant,
            [
                Some("lobby".to_owned()),
                Some("slack.bot_token".to_owned()),
                Some("slack".to_owned())
            ]
        );
        assert_eq!(
            suggest_key("actions.timout").as_deref(),
            Some("actions.timeout")
        );
        assert_eq!(
            suggest_key("rotations[0].peple").as_deref(),
            Some("rotations[0].people")
        );
        assert_eq!(suggest_key("colour_scheme"), None);
    }

    #[test]
    fn misspelled_action_keys_are_reported_but_freely_named_tables_are_not() {
        let text = r#"
            [actions]
            timout = "30s"
            [actions.environments.production]
            namespace = "shop"
            [actions.secrets]
            database_url = { env = "DATABASE_URL" }
            [actions.risk]
            restart-api = "dangerous"
            "#;
        assert_eq!(unknown_keys_in(text), ["actions.timout"]);
    }

    #[test]
    fn a_correct_file_reports_no_unknown_keys() {
        let text = r#"
            bot_name = "incident-bot"
            responders = ["alice"]
            [slack]
            bot_token = "xoxb-1"
            [matrix]
            user = "@warroom:example.org"
            "#;
        assert_eq!(unknown_keys_in(text), Vec::<String>::new());
    }

    #[test]
    fn the_example_file_reports_no_unknown_keys_even_uncommented() {
        assert_eq!(unknown_keys_in(example()), Vec::<String>::new());
        assert_eq!(
            unknown_keys_in(&example_uncommented()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn environment_variables_are_never_reported_as_unknown_keys() {
        let vars = env(&[
            ("WARROOM_LOG", "debug"),
            ("WARROOM_CONFIG", "/etc/warroom.toml"),
            ("WARROOM_TEST_POSTGRES_URL", "postgres://localhost/test"),
            ("WARROOM_SLACK__BOT_TOKN", "xoxb-3"),
        ]);
        let (_dir, path) = file("bot_name = \"incident-bot\"\n");
        let with_file = Config::load_from(Some(&path), vars.clone()).unwrap();
        assert_eq!(with_file.unknown_keys(), Vec::<String>::new());
        let without_file = Config::load_from(None, vars).unwrap();
        assert_eq!(without_file.unknown_keys(), Vec::<String>::new());
    }
}
