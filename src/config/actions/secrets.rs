//! Where a secret parameter's value comes from (an environment variable or a file, never the
//! config file itself), and reading it at the moment an action needs it.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use figment::value::magic::RelativePathBuf;
use secrecy::SecretString;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::config::ConfigError;

/// Where a secret parameter's value is read from, each time an action needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretSource {
    /// An environment variable of Warroom's process (`{ env = "DATABASE_URL" }`).
    Env(String),
    /// A file, such as a mounted Kubernetes secret (`{ file = "/run/secrets/redis_url" }`); a
    /// relative path in the config file is taken from that file's folder.
    File(PathBuf),
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (key, value) = match self {
            SecretSource::Env(var) => ("env", var.clone()),
            SecretSource::File(path) => ("file", path.display().to_string()),
        };
        let value = serde_json::to_string(&value).unwrap_or_else(|_| "\"?\"".to_owned());
        write!(f, "{{ {key} = {value} }}")
    }
}

impl SecretSource {
    /// The secret's value now, for the parameter `key` (dotted, for errors): the variable's
    /// value, or the file's text without one trailing newline. Errors name the parameter and
    /// the variable or file, never the value.
    pub(crate) fn read(
        &self,
        key: &str,
        env: impl Fn(&str) -> Option<OsString>,
    ) -> Result<SecretString, ConfigError> {
        let fail = |origin: String, problem: &str| ConfigError::InvalidValue {
            key: key.to_owned(),
            origin,
            problem: problem.to_owned(),
        };
        let (text, origin) = match self {
            SecretSource::Env(var) => {
                let origin = format!("in environment variable {var}");
                let value = env(var).ok_or_else(|| fail(origin.clone(), "it is not set"))?;
                let text = value
                    .into_string()
                    .map_err(|_| fail(origin.clone(), "it is not valid UTF-8"))?;
                (text, origin)
            }
            SecretSource::File(path) => {
                let origin = format!("in {}", path.display());
                let text = std::fs::read_to_string(path).map_err(|e| {
                    let problem = match e.kind() {
                        std::io::ErrorKind::NotFound => "the file does not exist".to_owned(),
                        std::io::ErrorKind::InvalidData => "the file is not valid UTF-8".to_owned(),
                        _ => format!("the file cannot be read: {}", e.kind()),
                    };
                    fail(origin.clone(), &problem)
                })?;
                (text, origin)
            }
        };
        let text = text.strip_suffix('\n').unwrap_or(&text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text.trim().is_empty() {
            return Err(fail(origin, crate::config::fields::BLANK_SECRET));
        }
        Ok(SecretString::from(text.to_owned()))
    }
}

impl<'de> Deserialize<'de> for SecretSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Source;

        const EXPECTED: &str = "a secret's source: { env = \"VARIABLE\" } or { file = \"/path\" }";

        impl<'de> Visitor<'de> for Source {
            type Value = SecretSource;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(EXPECTED)
            }

            // Never echo the string: it may be the secret itself, written where it must not be.
            fn visit_str<E: de::Error>(self, _: &str) -> Result<SecretSource, E> {
                Err(E::custom(format!(
                    "expected {EXPECTED}; a secret's value never goes in the configuration"
                )))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SecretSource, A::Error> {
                let mut found = None;
                while let Some(key) = map.next_key::<String>()? {
                    let source = match key.as_str() {
                        "env" => SecretSource::Env(map.next_value::<String>()?),
                        "file" => {
                            SecretSource::File(map.next_value::<RelativePathBuf>()?.relative())
                        }
                        other => {
                            return Err(de::Error::custom(format!(
                                "`{other}` is not a secret's source: expected `env` or `file`"
                            )));
                        }
                    };
                    if found.replace(source).is_some() {
                        return Err(de::Error::custom(
                            "a secret has one source: `env` or `file`, not both",
                        ));
                    }
                }
                found.ok_or_else(|| de::Error::custom(format!("expected {EXPECTED}")))
            }
        }

        deserializer.deserialize_any(Source)
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn a_blank_secret_from_a_variable_or_a_file_is_refused_by_name() {
        let env = |value: &'static str| move |_: &str| Some(OsString::from(value));
        for blank in ["", " ", "\t", " \r\n"] {
            let err = SecretSource::Env("AM_TOKEN".into())
                .read("alerts.token", env(blank))
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("`alerts.token` in environment variable AM_TOKEN"),
                "{err}"
            );
            assert!(err.contains("empty"), "{err}");
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "  \n").unwrap();
        let err = SecretSource::File(path.clone())
            .read("actions.secrets.pg_url", |_| None)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("`actions.secrets.pg_url` in "), "{err}");
        assert!(err.contains("empty"), "{err}");
        // A secret that merely has spaces inside is kept as it is.
        std::fs::write(&path, "a b\n").unwrap();
        let read = SecretSource::File(path).read("k", |_| None).unwrap();
        assert_eq!(read.expose_secret(), "a b");
    }
}
