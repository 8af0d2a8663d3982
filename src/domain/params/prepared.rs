//! A command with its values decided: the argv an approver approves. Every value is in place
//! except those of secrets, which are named and read only when the command runs, so the
//! request can be stored and shown without them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::display::show_element_as;
use super::{ParamError, Piece};

/// What a secret is shown as.
pub const HIDDEN: &str = "***";

/// The argv of a request: literal text, and the names of the secrets that go into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PreparedCommand {
    args: Vec<Vec<Part>>,
}

/// A run of text, or where a secret's value goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Part {
    Text(String),
    /// The normalised name of a secret parameter.
    Secret(String),
}

impl PreparedCommand {
    /// From argv elements whose parameters are all secrets (values already put in as text).
    pub(super) fn from_elements(elements: Vec<Vec<Piece>>) -> PreparedCommand {
        let args = elements
            .into_iter()
            .map(|element| {
                let mut parts: Vec<Part> = Vec::new();
                for piece in element {
                    match (piece, parts.last_mut()) {
                        (Piece::Text(t), Some(Part::Text(before))) => before.push_str(&t),
                        (Piece::Text(t), _) => parts.push(Part::Text(t)),
                        (Piece::Param(name), _) => parts.push(Part::Secret(name)),
                    }
                }
                parts
            })
            .collect();
        PreparedCommand { args }
    }

    /// How many argv elements it has.
    pub fn arg_count(&self) -> usize {
        self.args.len()
    }

    /// The secrets it needs, each once, in order of appearance.
    pub fn secrets(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for part in self.args.iter().flatten() {
            if let Part::Secret(name) = part
                && !names.contains(name)
            {
                names.push(name.clone());
            }
        }
        names
    }

    /// The command as people see it and approve it: one line of shell words, every value
    /// filled in, each secret as `***`.
    pub fn shown(&self) -> String {
        let shown: Vec<String> = self
            .args
            .iter()
            .map(|parts| {
                let pieces: Vec<Piece> = parts
                    .iter()
                    .map(|p| match p {
                        Part::Text(t) => Piece::Text(t.clone()),
                        Part::Secret(name) => Piece::Param(name.clone()),
                    })
                    .collect();
                show_element_as(&pieces, |_, out| out.push_str(HIDDEN))
            })
            .collect();
        shown.join(" ")
    }

    /// The argv to run, with each secret's value from `secrets` (keyed by normalised name).
    /// Missing secrets are listed together; a secret's value is checked for control
    /// characters. The result holds secrets: never log it.
    pub fn argv(&self, secrets: &BTreeMap<String, String>) -> Result<Vec<String>, ParamError> {
        let needed = self.secrets();
        let missing: Vec<String> = needed
            .iter()
            .filter(|name| !secrets.contains_key(*name))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(ParamError::Missing(missing));
        }
        // Checked here, not by the rules: a secret's value is never shown, even when the
        // configuration no longer calls it a secret.
        for name in &needed {
            if secrets[name].chars().any(char::is_control) {
                return Err(ParamError::Invalid {
                    name: name.clone(),
                    shown: None,
                    rule: "it contains a control character".to_owned(),
                });
            }
        }
        Ok(self
            .args
            .iter()
            .map(|parts| {
                parts
                    .iter()
                    .map(|p| match p {
                        Part::Text(t) => t.as_str(),
                        Part::Secret(name) => secrets[name].as_str(),
                    })
                    .collect()
            })
            .collect())
    }
}
