//! Runbook commands as templates: argv elements of literal text and named parameters
//! (`<pod-name>`, `$DATABASE_URL`, `${DATABASE_URL}`, `{{service}}`), and the rules a value
//! must pass before it takes a parameter's place.
//!
//! A command is split into elements once, by the shell's quoting rules; values are put into
//! elements afterwards and no shell ever reads them, so a value can neither add an argument
//! nor run anything. Whatever needs a shell to mean what it says (pipes, redirections, `;`,
//! `$(…)`, backticks) makes the command unparsable instead of being passed on as text. Globs
//! (`*`), `~` and brace expansion are not expanded: they reach the program as written.

mod destination;
mod display;
mod hosts;
mod name;
mod parse;
mod prepared;
mod rules;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

pub use hosts::HostPattern;
pub use name::{looks_secret, normalize_param_name};
pub use prepared::{HIDDEN, PreparedCommand};
pub use rules::{DEFAULT_PATTERN, ParamError, ParamRules};

/// A runbook command split into argv elements (shell-words rules, backslash-newline joined), each
/// a sequence of literal text and parameters. Values are substituted into elements AFTER
/// splitting and are never re-read by a shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandTemplate {
    elements: Vec<Element>,
}

/// One argv element: text and parameters, in order. Empty for an empty argument (`""`).
type Element = Vec<Piece>;

/// A run of literal text or one parameter within an element.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    /// A normalised parameter name (`pod_name`).
    Param(String),
}

/// Why a runbook command cannot be a template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// Nothing but whitespace and comments.
    #[error("the command is empty")]
    Empty,
    /// A `'` or `"` that is never closed.
    #[error("the command has a {0} quote that is never closed")]
    UnclosedQuote(char),
    /// A backslash as the very last character: it escapes nothing.
    #[error("the command ends with a backslash that continues nothing")]
    TrailingBackslash,
    /// A second command on another line, not joined by a backslash at the line's end.
    #[error("the command has words on several lines; end a line with `\\` to continue it")]
    SeveralCommands,
    /// Shell syntax that only a shell could carry out (a pipe, a redirection, `;`, `$(…)`).
    #[error(
        "the command uses {0}, which needs a shell; Warroom runs one program with its \
         arguments, never a shell"
    )]
    NeedsShell(&'static str),
    /// A `$` expansion that is not a plain variable (`$1`, `${X:-y}`, `$'…'`); the text, cut short.
    #[error(
        "`{0}` is not a placeholder Warroom can fill; write `$NAME`, `${{NAME}}`, `<name>` \
         or `{{{{name}}}}`"
    )]
    UnsupportedExpansion(String),
}

impl CommandTemplate {
    /// Splits `command` into argv elements and finds its placeholders.
    pub fn parse(command: &str) -> Result<CommandTemplate, TemplateError> {
        parse::split(command).map(|elements| CommandTemplate { elements })
    }

    /// Unique normalised parameter names, in order of first appearance.
    pub fn params(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for piece in self.elements.iter().flatten() {
            if let Piece::Param(name) = piece
                && !names.contains(name)
            {
                names.push(name.clone());
            }
        }
        names
    }

    /// How many argv elements the command has; rendering never changes it.
    pub fn arg_count(&self) -> usize {
        self.elements.len()
    }

    /// The program to run, when the first element is plain text (`kubectl`); `None` when a
    /// parameter is part of it, so that a value can never choose the program.
    pub fn program(&self) -> Option<&str> {
        match self.elements.first().map(Vec::as_slice) {
            Some([Piece::Text(program)]) => Some(program),
            _ => None,
        }
    }

    /// The parameters that form a host, URL or path here (see the `destination` module for
    /// the positions that count), in order of first appearance.
    pub fn destinations(&self) -> Vec<String> {
        destination::destinations(&self.elements)
    }

    /// The argv with every value in place but the secrets' (see [`ParamRules::with_secrets`]),
    /// which stay named: what an approver approves and what later runs. Keys of `values` are
    /// normalised names (as [`CommandTemplate::params`] gives them); secrets need no value.
    ///
    /// All missing parameters are reported together; then each value is checked: a trusted
    /// parameter's for control characters only, any other's against its allowed values
    /// (`[actions.hosts]`) or its pattern. A parameter that forms a host, URL or path
    /// ([`CommandTemplate::destinations`]) and is not trusted may, by default, hold neither `@`
    /// nor `:`; and when the command also sends a secret, it must have allowed values, so that
    /// no person or alert label decides where the secret goes.
    pub fn prepare(
        &self,
        values: &BTreeMap<String, String>,
        rules: &ParamRules,
    ) -> Result<PreparedCommand, ParamError> {
        let params = self.params();
        let secrets: Vec<&String> = params.iter().filter(|n| rules.is_secret(n)).collect();
        let missing: Vec<String> = params
            .iter()
            .filter(|name| !rules.is_secret(name) && !values.contains_key(*name))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(ParamError::Missing(missing));
        }
        let destinations = self.destinations();
        for name in params.iter().filter(|n| !rules.is_secret(n)) {
            let value = &values[name];
            rules.check_rendered(name, value)?;
            if rules.is_trusted(name) || !destinations.contains(name) {
                continue;
            }
            if let Some(secret) = secrets.first()
                && !rules.has_hosts(name)
            {
                return Err(ParamError::NeedsAllowList {
                    name: name.clone(),
                    secret: (*secret).clone(),
                });
            }
            rules.check_destination(name, value)?;
        }
        let elements = self
            .elements
            .iter()
            .map(|element| {
                element
                    .iter()
                    .map(|piece| match piece {
                        Piece::Param(name) if !rules.is_secret(name) => {
                            Piece::Text(values[name].clone())
                        }
                        other => other.clone(),
                    })
                    .collect()
            })
            .collect();
        Ok(PreparedCommand::from_elements(elements))
    }

    /// The argv with every parameter's value in place, secrets' too (from `values`): as
    /// [`CommandTemplate::prepare`] and then [`PreparedCommand::argv`]. The result may hold
    /// secrets: never log it; log [`CommandTemplate::preview`] instead.
    pub fn render(
        &self,
        values: &BTreeMap<String, String>,
        rules: &ParamRules,
    ) -> Result<Vec<String>, ParamError> {
        let prepared = self.prepare(values, rules)?;
        let secrets = prepared
            .secrets()
            .into_iter()
            .filter_map(|name| values.get(&name).map(|v| (name, v.clone())))
            .collect();
        prepared.argv(&secrets)
    }

    /// The command as shown to people, on one line, placeholders as `<name>`. Parsing it
    /// again gives the same template.
    pub fn display(&self) -> String {
        let shown: Vec<String> = self
            .elements
            .iter()
            .map(|e| display::show_element(e))
            .collect();
        shown.join(" ")
    }

    /// The command as it would run, for a drill or a log line: values given in `values` are
    /// filled in, except those of secret parameters (see [`ParamRules::with_secrets`]), which
    /// stay `<name>` like parameters without a value.
    pub fn preview(&self, values: &BTreeMap<String, String>, rules: &ParamRules) -> String {
        let filled: Vec<Element> = self
            .elements
            .iter()
            .map(|element| {
                let mut out: Element = Vec::new();
                for piece in element {
                    let text = match piece {
                        Piece::Param(name) => match values.get(name) {
                            Some(value) if !rules.is_secret(name) => value.as_str(),
                            _ => {
                                out.push(piece.clone());
                                continue;
                            }
                        },
                        Piece::Text(text) => text.as_str(),
                    };
                    match out.last_mut() {
                        Some(Piece::Text(before)) => before.push_str(text),
                        _ => out.push(Piece::Text(text.to_owned())),
                    }
                }
                out
            })
            .collect();
        CommandTemplate { elements: filled }.display()
    }
}

impl fmt::Display for CommandTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}
