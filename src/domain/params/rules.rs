//! What a value must look like before it takes a parameter's place. Values typed by people or
//! taken from alert labels must match a pattern (the default one, or the parameter's own from
//! the config); values of trusted parameters (set by the config itself, or secrets) are only
//! kept free of control characters, because they are URLs and the like that no narrow pattern
//! fits. A parameter listed in `[actions.hosts]` takes only the values listed there.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;

use super::hosts::HostPattern;
use super::name::normalize_param_name;

/// The pattern a value typed by a person or taken from an alert label must match when its
/// parameter has none of its own: no leading `-` (no option injection), no whitespace, no shell
/// or quoting characters, at most 253 characters (a DNS name's limit). On top of it, the
/// default rule refuses a `..` path segment (`x/../../etc`), and, for a parameter that forms a
/// host, URL or path in its command, `@` and `:` (see [`super::CommandTemplate::destinations`]).
pub const DEFAULT_PATTERN: &str = r"^[A-Za-z0-9][A-Za-z0-9._:/@+=,%-]{0,252}$";

/// The most characters of a refused value shown in an error.
const MAX_SHOWN: usize = 40;

/// Why a command could not be given its values, or a pattern could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// Parameters without a value, in order of appearance: all of them, not just the first.
    #[error("{}", missing_sentence(.0))]
    Missing(Vec<String>),
    /// A value its rule refuses.
    #[error("{}", invalid_sentence(.name, .shown.as_deref(), .rule))]
    Invalid {
        /// The parameter.
        name: String,
        /// The value with control characters escaped, at most 40 characters; `None` for a
        /// secret parameter, whose value is never shown.
        shown: Option<String>,
        /// What is wrong with it, as a clause (`it starts with '-', …`).
        rule: String,
    },
    /// A parameter that decides where a command connects (a host, URL or path) in a command
    /// that also sends a secret, with no allowed values configured for it.
    #[error(
        "<{name}> decides where the secret <{secret}> is sent (it forms a host, URL or path \
         in this command), so Warroom takes its value only from the configuration or from the \
         values allowed for it in [actions.hosts] ({name} = [\"host.example.internal\"]); \
         none are configured"
    )]
    NeedsAllowList {
        /// The parameter.
        name: String,
        /// A secret the command sends.
        secret: String,
    },
    /// A configured allowed value (`[actions.hosts]`) that cannot be used.
    #[error("the allowed value `{entry}` for <{name}> in [actions.hosts] cannot be used: {reason}")]
    BadHost {
        /// The parameter, as configured.
        name: String,
        /// The entry.
        entry: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A configured pattern that is not a regular expression, or is for a name that cannot
    /// be a parameter.
    #[error("the validation pattern for <{name}> cannot be used: {reason}")]
    BadPattern {
        /// The parameter, as configured.
        name: String,
        /// What is wrong with the pattern.
        reason: String,
    },
}

fn missing_sentence(names: &[String]) -> String {
    let shown: Vec<String> = names.iter().map(|n| format!("<{n}>")).collect();
    match shown.as_slice() {
        [] => "no value is missing".to_owned(),
        [one] => format!("no value for {one}"),
        [first @ .., last] => format!("no values for {} and {last}", first.join(", ")),
    }
}

fn invalid_sentence(name: &str, shown: Option<&str>, rule: &str) -> String {
    match shown {
        Some(shown) => format!("the value '{shown}' for <{name}> is refused: {rule}"),
        None => format!("the secret value for <{name}> is refused: {rule}"),
    }
}

/// Per-parameter validation patterns (anchored regular expressions), with
/// [`DEFAULT_PATTERN`] for parameters that have none, and which parameters are trusted.
///
/// Trust belongs to a parameter's name: a parameter is trusted when the config gives its value
/// (an environment value or a secret). Whoever fills a template must therefore take a trusted
/// parameter's value from the config only, never from a person; values from people are checked
/// with [`ParamRules::check`], which trusts no name.
#[derive(Debug, Clone, Default)]
pub struct ParamRules {
    patterns: BTreeMap<String, Pattern>,
    trusted: BTreeSet<String>,
    secrets: BTreeSet<String>,
    hosts: BTreeMap<String, Vec<HostPattern>>,
}

#[derive(Debug, Clone)]
struct Pattern {
    source: String,
    regex: Regex,
}

impl ParamRules {
    /// Rules from `patterns`, keyed by parameter name (normalised here: `pod-name` and
    /// `pod_name` are one). Each pattern must match a whole value, whether or not it says `^…$`.
    pub fn new(patterns: &BTreeMap<String, String>) -> Result<ParamRules, ParamError> {
        let mut rules = ParamRules::default();
        for (raw, source) in patterns {
            let bad = |reason: String| ParamError::BadPattern {
                name: raw.clone(),
                reason,
            };
            let name = normalize_param_name(raw).ok_or_else(|| {
                bad("it is not a parameter name (letters, digits, `_` and `-`)".to_owned())
            })?;
            // Compiled alone first, so that `a)|(b` cannot escape the anchoring group below.
            Regex::new(source).map_err(|e| bad(regex_problem(&e)))?;
            let regex =
                Regex::new(&format!(r"\A(?:{source})\z")).map_err(|e| bad(regex_problem(&e)))?;
            let pattern = Pattern {
                source: source.clone(),
                regex,
            };
            if rules.patterns.insert(name, pattern).is_some() {
                return Err(bad(
                    "another spelling of this name has a pattern too".to_owned()
                ));
            }
        }
        Ok(rules)
    }

    /// These rules with `names` trusted: their values come from the config (not from people)
    /// and are checked for control characters only.
    pub fn with_trusted<S: AsRef<str>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.trusted
            .extend(names.into_iter().map(|n| normalized(n.as_ref())));
        self
    }

    /// These rules with `names` trusted and secret: also never shown in an error or preview.
    pub fn with_secrets<S: AsRef<str>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        let names: Vec<String> = names.into_iter().map(|n| normalized(n.as_ref())).collect();
        self.trusted.extend(names.iter().cloned());
        self.secrets.extend(names);
        self
    }

    /// These rules with allowed values (`[actions.hosts]`) for parameters, keyed by parameter
    /// name (normalised here): a listed parameter takes only a value that one of its entries
    /// matches (see [`HostPattern`]), whatever its pattern says.
    pub fn with_hosts(
        mut self,
        hosts: &BTreeMap<String, Vec<String>>,
    ) -> Result<ParamRules, ParamError> {
        for (raw, entries) in hosts {
            let bad = |entry: &str, reason: String| ParamError::BadHost {
                name: raw.clone(),
                entry: entry.to_owned(),
                reason,
            };
            let name = normalize_param_name(raw).ok_or_else(|| {
                bad(
                    raw,
                    "it is not a parameter name (letters, digits, `_` and `-`)".to_owned(),
                )
            })?;
            let parsed = entries
                .iter()
                .map(|e| HostPattern::parse(e).map_err(|reason| bad(e, reason)))
                .collect::<Result<Vec<_>, _>>()?;
            self.hosts.entry(name).or_default().extend(parsed);
        }
        Ok(self)
    }

    /// Whether `name` has allowed values in `[actions.hosts]`.
    pub fn has_hosts(&self, name: &str) -> bool {
        self.hosts.contains_key(&normalized(name))
    }

    /// Whether `name`'s value comes from the config and so is checked for control characters only.
    pub fn is_trusted(&self, name: &str) -> bool {
        self.trusted.contains(&normalized(name))
    }

    /// Whether `name`'s value is a secret, never shown.
    pub fn is_secret(&self, name: &str) -> bool {
        self.secrets.contains(&normalized(name))
    }

    /// The pattern a typed value of `name` must match, for help text.
    pub fn pattern(&self, name: &str) -> &str {
        self.patterns
            .get(&normalized(name))
            .map_or(DEFAULT_PATTERN, |p| p.source.as_str())
    }

    /// Checks a value typed by a person or taken from an alert label against the parameter's
    /// pattern (or [`DEFAULT_PATTERN`]), whether or not the parameter is trusted.
    pub fn check(&self, name: &str, value: &str) -> Result<(), ParamError> {
        self.check_as(name, value, false)
    }

    /// Checks a value about to be rendered: a trusted parameter's for control characters only,
    /// any other's as [`ParamRules::check`] does.
    pub(super) fn check_rendered(&self, name: &str, value: &str) -> Result<(), ParamError> {
        self.check_as(name, value, self.is_trusted(name))
    }

    fn check_as(&self, name: &str, value: &str, trusted: bool) -> Result<(), ParamError> {
        let name = normalized(name);
        let refuse = |rule: String| ParamError::Invalid {
            shown: (!self.secrets.contains(&name)).then(|| shown(value)),
            name: name.clone(),
            rule,
        };
        // No pattern lets a control character (a newline, an escape, a NUL) through.
        if value.chars().any(char::is_control) {
            return Err(refuse("it contains a control character".to_owned()));
        }
        if trusted {
            return Ok(());
        }
        if let Some(allowed) = self.hosts.get(&name) {
            if allowed.iter().any(|h| h.matches(value)) {
                return Ok(());
            }
            let listed: Vec<String> = allowed.iter().map(ToString::to_string).collect();
            return Err(refuse(format!(
                "it is not one of the values [actions.hosts] allows for it ({})",
                listed.join(", ")
            )));
        }
        match self.patterns.get(&name) {
            Some(pattern) if pattern.regex.is_match(value) => Ok(()),
            Some(pattern) => Err(refuse(format!(
                "it does not match the pattern `{}` set for <{name}>",
                pattern.source
            ))),
            None => default_rule(value).map_err(refuse),
        }
    }
}

impl ParamRules {
    /// Checks a value from a person or an alert label for a parameter that forms a host, URL
    /// or path in its command: unless the parameter has allowed values or a pattern of its own,
    /// it may hold neither `@` (a user, or another host) nor `:` (a port, or a scheme).
    pub(super) fn check_destination(&self, name: &str, value: &str) -> Result<(), ParamError> {
        let name = normalized(name);
        if self.hosts.contains_key(&name) || self.patterns.contains_key(&name) {
            return Ok(());
        }
        match value.chars().find(|c| matches!(c, '@' | ':')) {
            None => Ok(()),
            Some(c) => Err(ParamError::Invalid {
                shown: Some(shown(value)),
                rule: format!(
                    "it contains '{c}', which a parameter that forms a host, URL or path may \
                     not hold; list the values it may take in [actions.hosts] ({name} = [\"…\"])"
                ),
                name,
            }),
        }
    }
}

fn normalized(name: &str) -> String {
    normalize_param_name(name).unwrap_or_else(|| name.to_owned())
}

/// [`DEFAULT_PATTERN`], by hand so that the error says which character is wrong.
fn default_rule(value: &str) -> Result<(), String> {
    const ALLOWED: &str = "values start with a letter or digit and hold only letters, digits \
                           and . _ : / @ + = , % -";
    let mut chars = value.chars();
    let problem = match chars.next() {
        None => "it is empty".to_owned(),
        Some('-') => "it starts with '-', which a program would take for an option".to_owned(),
        Some(c) if !c.is_ascii_alphanumeric() => format!("it starts with {}", describe(c)),
        Some(_) => match chars.find(|&c| !c.is_ascii_alphanumeric() && !"._:/@+=,%-".contains(c)) {
            Some(c) => format!("it contains {}", describe(c)),
            None if value.len() > 253 => "it is longer than 253 characters".to_owned(),
            None if value.split('/').any(|segment| segment == "..") => {
                "it has a `..` path segment, which could leave the folder it names".to_owned()
            }
            None => return Ok(()),
        },
    };
    Err(format!("{problem}; {ALLOWED}"))
}

fn describe(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        c if c.is_whitespace() => "whitespace".to_owned(),
        '\'' => "a single quote".to_owned(),
        '"' => "a double quote".to_owned(),
        '`' => "a backtick".to_owned(),
        c => format!("'{c}'"),
    }
}

/// A value fit for an error message: control characters escaped, cut to 40 characters.
fn shown(value: &str) -> String {
    let escaped: String = value
        .chars()
        .flat_map(|c| {
            let text = if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            };
            text.chars().collect::<Vec<_>>()
        })
        .collect();
    if escaped.chars().count() <= MAX_SHOWN {
        return escaped;
    }
    let mut cut: String = escaped.chars().take(MAX_SHOWN - 1).collect();
    cut.push('…');
    cut
}

/// The one line of a regex error that says what is wrong (its Display spans several lines).
fn regex_problem(error: &regex::Error) -> String {
    let text = error.to_string();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map_or_else(|| text.replace('\n', " ").trim().to_owned(), str::to_owned)
}
