//! Runbooks: reading the Markdown runbooks teams already keep, and matching them to incidents.
//! Uses the domain's runbook model; knows nothing of chats, the store or the engine.

pub mod import;
pub mod library;
pub mod lint;
pub mod listing;
pub mod matching;

use std::fmt;

pub use import::import_markdown;
pub use library::load_paths;
pub use lint::warnings;
pub use matching::{Confidence, Library, Match, MatchReason, Query};

/// Something wrong in a runbook file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, as it was named when read.
    pub file: String,
    /// The line, from 1 (0 when the problem is with the whole file).
    pub line: usize,
    /// What is wrong, as one sentence.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// What reading runbooks gave: the runbooks that loaded, and the problems found on the way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// The runbooks that loaded.
    pub runbooks: Vec<crate::domain::Runbook>,
    /// Everything wrong, in file and line order.
    pub problems: Vec<Problem>,
}

/// A query from typed words: the words are the text, and words shaped like alert names
/// (`DatabaseDown`, `KubePodCrashLooping`: a capital, then letters and digits with another
/// capital) also count as alert names.
pub fn query_from_text(text: &str) -> Query {
    let alerts = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| {
            w.len() >= 4
                && w.starts_with(|c: char| c.is_ascii_uppercase())
                && w.chars().skip(1).any(|c| c.is_ascii_uppercase())
                && w.chars().any(|c| c.is_ascii_lowercase())
        })
        .map(str::to_owned)
        .collect();
    Query {
        text: text.to_owned(),
        alerts,
        labels: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_shaped_like_alert_names_are_alerts_too() {
        let q = query_from_text("DatabaseDown fired, also HighCPU and API");
        assert_eq!(q.alerts, ["DatabaseDown", "HighCPU"]);
        assert_eq!(q.text, "DatabaseDown fired, also HighCPU and API");
    }
}
