//! How the fields that need more than serde's defaults are read: user id lists, paths and
//! secrets given by value.

use std::fmt;
use std::path::PathBuf;

use figment::value::magic::RelativePathBuf;
use secrecy::SecretString;
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use crate::domain::UserId;

/// Reads a list of user ids from a TOML array or a comma-separated string (for env vars).
pub(super) fn user_ids<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<UserId>, D::Error> {
    deserializer.deserialize_any(Ids {
        what: "user id",
        example: "[\"alice\", \"bob\"]",
        read: |raw| UserId::parse(raw).map_err(|e| e.to_string()),
    })
}

/// Reads a list of Matrix room ids or aliases from a TOML array or a comma-separated string:
/// an id starts with `!` (`!abc:example.org`; rooms of version 12 have no `:server` part), an
/// alias with `#` and names its server (`#ops:example.org`).
pub(super) fn room_ids<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    deserializer.deserialize_any(Ids {
        what: "room id or alias",
        example: "[\"!abc:example.org\", \"#ops:example.org\"]",
        read: |raw| {
            let raw = raw.trim();
            let id = raw.starts_with('!') && raw.len() > 1;
            let alias = raw.starts_with('#') && raw.contains(':');
            if (id || alias) && !raw.chars().any(char::is_control) {
                Ok(raw.to_owned())
            } else {
                Err("a room is named by its id (`!…`) or an alias (`#name:server`)".to_owned())
            }
        },
    })
}

/// A list of ids, each read by `read`: a TOML array, or one string with commas between them
/// (how an environment variable gives a list).
struct Ids<T> {
    /// What one id is, for messages (`user id`).
    what: &'static str,
    /// A list of them, for messages.
    example: &'static str,
    /// Reads one id, or says why it is not one.
    read: fn(&str) -> Result<T, String>,
}

impl<T> Ids<T> {
    fn checked<E: de::Error>(&self, raw: &str) -> Result<T, E> {
        let shown: String = raw
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(40)
            .collect();
        let what = self.what;
        if raw.trim().contains(char::is_whitespace) {
            return Err(E::custom(format!(
                "'{shown}' is not a {what}: ids have no spaces (separate them with commas)"
            )));
        }
        (self.read)(raw).map_err(|e| E::custom(format!("'{shown}' is not a {what}: {e}")))
    }
}

impl<'de, T> Visitor<'de> for Ids<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a list of {}s such as {}", self.what, self.example)
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
            .map(|id| self.checked(id))
            .collect()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut ids = Vec::new();
        while let Some(id) = seq.next_element::<String>()? {
            ids.push(self.checked(&id)?);
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

/// What a blank secret is told; the same words whether it came by value or from a file.
pub(super) const BLANK_SECRET: &str =
    "it is empty (or only white space): give the secret, or leave the key out";

/// Reads a secret given by value, refusing one that is empty or only white space: a signing
/// secret of `""` would make any request signed with the empty key pass. The error never
/// shows the value. (An empty environment variable still means "not set".)
pub(super) fn secret<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SecretString>, D::Error> {
    match Option::<SecretString>::deserialize(deserializer)? {
        Some(value)
            if secrecy::ExposeSecret::expose_secret(&value)
                .trim()
                .is_empty() =>
        {
            Err(de::Error::custom(BLANK_SECRET))
        }
        other => Ok(other),
    }
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

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::testing::{env, file, no_env};

    #[test]
    fn a_blank_matrix_password_or_token_is_refused_at_load_by_name() {
        for key in ["password", "access_token"] {
            let (_d, path) = file(&format!("[matrix]\n{key} = \"\"\n"));
            let err = Config::load_from(Some(&path), no_env())
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(&format!("`matrix.{key}` in ")), "{err}");
            assert!(err.contains("empty"), "{err}");
            let var = format!("WARROOM_MATRIX__{}", key.to_ascii_uppercase());
            let err = Config::load_from(None, env(&[(&var, "  ")]))
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(&format!("`matrix.{key}` in environment variable {var}")),
                "{err}"
            );
        }
    }
}
