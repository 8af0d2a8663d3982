//! How the `[actions]` keys that need more than serde's defaults are read: durations, counts,
//! lists that the environment gives as one string, and tables keyed by parameter name.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, SeqAccess, Visitor};

use crate::domain::{HostPattern, ParamRules, normalize_param_name};
use crate::domain::{format_span, parse_span};

/// Reads a duration: `"30s"`, `"2m"`, `"1h30m"`, `"500ms"`, or a number of seconds.
pub(in crate::config) fn duration<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Duration, D::Error> {
    struct Span;

    impl Visitor<'_> for Span {
        type Value = Duration;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a duration such as \"30s\", \"2m\" or \"1h30m\"")
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<Duration, E> {
            parse_duration(s).map_err(E::custom)
        }

        fn visit_u64<E: de::Error>(self, n: u64) -> Result<Duration, E> {
            if n == 0 {
                return Err(E::custom("expected a duration of more than zero"));
            }
            Ok(Duration::from_secs(n))
        }

        fn visit_i64<E: de::Error>(self, n: i64) -> Result<Duration, E> {
            let n = u64::try_from(n).map_err(|_| E::custom("expected a positive duration"))?;
            self.visit_u64(n)
        }
    }

    deserializer.deserialize_any(Span)
}

/// A duration from `"30s"`, `"2m"`, `"1h30m"`, `"500ms"`, `"1d"`, or plain seconds (`"90"`);
/// more than zero.
pub(super) fn parse_duration(text: &str) -> Result<Duration, String> {
    match parse_span(text) {
        Some(span) if !span.is_zero() => Ok(span),
        Some(_) => Err("expected a duration of more than zero".to_owned()),
        None => Err("expected a duration such as \"30s\", \"2m\" or \"1h30m\"".to_owned()),
    }
}

/// A duration as [`parse_duration`] reads it back: `"30s"`, `"15m"`, `"1h30m"`.
pub(super) fn format_duration(span: Duration) -> String {
    format_span(span)
}

/// Reads a count of at least one, from a number or a numeric string.
pub(super) fn at_least_one<'de, D: Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    let n = usize::deserialize(deserializer)?;
    if n == 0 {
        return Err(de::Error::custom("expected 1 or more"));
    }
    Ok(n)
}

/// Reads a list of single words (program or variable names) from a TOML array, or from one
/// string separated by commas (for environment variables).
pub(super) fn words<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    fn checked(raw: &str) -> Result<String, String> {
        let word = raw.trim();
        if word.contains(|c: char| c.is_whitespace() || c.is_control()) {
            return Err("expected names without spaces (separate them with commas)".to_owned());
        }
        Ok(word.to_owned())
    }
    deserializer.deserialize_any(List(',', checked))
}

/// Reads a list of command lines from a TOML array, or from one string with one line per entry.
pub(super) fn lines<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    fn checked(raw: &str) -> Result<String, String> {
        Ok(raw.trim().to_owned())
    }
    deserializer.deserialize_any(List('\n', checked))
}

/// A list from an array, or from one string cut at a separator; blank items are left out.
struct List(char, fn(&str) -> Result<String, String>);

impl<'de> Visitor<'de> for List {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of strings")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        s.split(self.0)
            .filter(|item| !item.trim().is_empty())
            .map(|item| (self.1)(item).map_err(E::custom))
            .collect()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<String>()? {
            if !item.trim().is_empty() {
                items.push((self.1)(&item).map_err(de::Error::custom)?);
            }
        }
        Ok(items)
    }
}

/// Reads a table keyed by parameter name, normalising the names (`DATABASE_URL`,
/// `database-url` → `database_url`); two spellings of one name are an error.
pub(super) fn by_param<'de, D, T>(deserializer: D) -> Result<BTreeMap<String, T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let raw = BTreeMap::<String, T>::deserialize(deserializer)?;
    normalize_keys(raw)
}

fn normalize_keys<T, E: de::Error>(raw: BTreeMap<String, T>) -> Result<BTreeMap<String, T>, E> {
    let mut out = BTreeMap::new();
    for (key, value) in raw {
        let name = normalize_param_name(&key).ok_or_else(|| {
            E::custom(format!(
                "`{key}` is not a parameter name: use letters, digits, `_` and `-`"
            ))
        })?;
        if out.insert(name, value).is_some() {
            return Err(E::custom(format!(
                "`{key}` is another spelling of a parameter already given"
            )));
        }
    }
    Ok(out)
}

/// Reads `[actions.patterns]`: keys normalised, and every pattern compiled now, so that a
/// bad one stops start-up naming its parameter rather than failing the first run.
pub(super) fn patterns<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    let raw = BTreeMap::<String, String>::deserialize(deserializer)?;
    ParamRules::new(&raw).map_err(de::Error::custom)?;
    normalize_keys(raw)
}

/// Reads `[actions.hosts]`: per parameter, a list of allowed values (a TOML array, or one
/// string separated by commas for environment variables), each checked now so that a bad
/// entry stops start-up naming its parameter.
pub(super) fn hosts<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, Vec<String>>, D::Error> {
    struct Hosts(Vec<String>);

    impl<'de> Deserialize<'de> for Hosts {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            fn checked(raw: &str) -> Result<String, String> {
                let entry = raw.trim();
                HostPattern::parse(entry).map_err(|e| format!("`{entry}`: {e}"))?;
                Ok(entry.to_owned())
            }
            deserializer.deserialize_any(List(',', checked)).map(Hosts)
        }
    }

    let raw = BTreeMap::<String, Hosts>::deserialize(deserializer)?;
    normalize_keys(raw.into_iter().map(|(k, v)| (k, v.0)).collect())
}

/// Reads `[actions.environments]`: per environment, parameter values keyed by parameter name.
/// Numbers and booleans are taken as their text (`replicas = 3`).
pub(super) fn environments<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, BTreeMap<String, String>>, D::Error> {
    let raw = BTreeMap::<String, BTreeMap<String, Scalar>>::deserialize(deserializer)?;
    raw.into_iter()
        .map(|(env, values)| {
            let values = values.into_iter().map(|(k, v)| (k, v.0)).collect();
            Ok((env, normalize_keys(values)?))
        })
        .collect()
}

/// A string, number or boolean, as text.
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text(PhantomData<Scalar>);

        impl Visitor<'_> for Text {
            type Value = Scalar;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, a number or true/false")
            }

            fn visit_str<E: de::Error>(self, s: &str) -> Result<Scalar, E> {
                Ok(Scalar(s.to_owned()))
            }

            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Scalar, E> {
                Ok(Scalar(b.to_string()))
            }

            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Scalar, E> {
                Ok(Scalar(n.to_string()))
            }

            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Scalar, E> {
                Ok(Scalar(n.to_string()))
            }

            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Scalar, E> {
                Ok(Scalar(n.to_string()))
            }
        }

        deserializer.deserialize_any(Text(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_the_usual_forms_and_write_them_back() {
        for (text, secs) in [
            ("30s", 30),
            ("2m", 120),
            ("1h30m", 5400),
            ("90", 90),
            ("1d", 86_400),
        ] {
            let span = parse_duration(text).unwrap();
            assert_eq!(span, Duration::from_secs(secs), "{text}");
            assert_eq!(parse_duration(&format_duration(span)), Ok(span));
        }
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(format_duration(Duration::from_secs(900)), "15m");
        for bad in ["", "0s", "0", "soon", "30 parsecs", "-5s", "1.5h", "m"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
