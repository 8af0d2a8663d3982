//! How the fields that need more than serde's defaults are read: user id lists and paths.

use std::fmt;
use std::path::PathBuf;

use figment::value::magic::RelativePathBuf;
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use crate::domain::UserId;

/// Reads a list of user ids from a TOML array or a comma-separated string (for env vars).
pub(super) fn user_ids<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
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

/// Reads a path, taking a relative one from the folder of the file that gave it.
pub(super) fn relative_path<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<PathBuf>, D::Error> {
    Ok(Option::<RelativePathBuf>::deserialize(deserializer)?.map(|p| p.relative()))
}

/// Reads a list of paths: an array in the file (relative paths taken from the file's folder),
/// or a comma-separated string from the environment (relative to the current folder).
pub(super) fn relative_paths<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<PathBuf>, D::Error> {
    struct Paths;

    impl<'de> Visitor<'de> for Paths {
        type Value = Vec<PathBuf>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of paths, or paths separated by commas")
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            Ok(s.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
                .collect())
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(path) = seq.next_element::<RelativePathBuf>()? {
                out.push(path.relative());
            }
            Ok(out)
        }
    }

    deserializer.deserialize_any(Paths)
}
