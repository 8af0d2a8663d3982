//! Finding the runbooks that fit an incident.
//!
//! An alert wins outright: a runbook that lists one of the query's alert names (its `alerts`, or
//! an `alertname` label; case-insensitive, exact) scores [`ALERT_SCORE`] plus its text
//! relevance, so it ranks above every text match.
//!
//! Otherwise text decides. Runbooks and query go through one tokenizer (see `tokenize`), which
//! reads words through the incident thesaurus (`thesaurus.toml`: `outage`, `down` and
//! `unreachable` are one term), and each runbook is scored with BM25F (weights in `bm25`) over
//! the fields that describe the incident (title, keywords and services, alert names, symptoms)
//! and, saturated apart and worth at most a tenth as much, the fields that say what to do (step
//! titles, step code, prevention), against the query's text, alert names and descriptive label
//! values. The score is then made comparable across queries:
//!
//! `relevance = score / ceiling × known / (known + unknown)`
//!
//! where `ceiling` is what a runbook saturating every query term the library knows would score,
//! and `known / (known + unknown)` the share of the query's distinct terms that some runbook
//! has: a runbook that covers what the library knows of the query scores near 1, and a query
//! mostly about other things (`the coffee machine is broken`) is scaled down.
//!
//! Every runbook that shares a term with the query is a candidate, and each match says how sure
//! it is ([`Confidence`]): likely when it has a query term in its title, keywords or alert names
//! and its relevance is at least [`GOOD_MATCH`], or half that when it has two or more such
//! terms; strong when it also reaches [`STRONG_MATCH`], or lists the query's alert; weak
//! otherwise. A weak first match means no good match. Ties go by id.

mod bm25;
mod thesaurus;
mod tokenize;
mod words;

use std::collections::HashMap;

use crate::domain::Runbook;

use bm25::{Field, Fields, Index};

/// What an alert match scores before its text relevance is added: above any text match.
pub const ALERT_SCORE: f64 = 1000.0;

/// The least text relevance (a fraction of what the query could score) of a good match.
pub const GOOD_MATCH: f64 = 0.2;

/// The least text relevance of a strong match.
pub const STRONG_MATCH: f64 = 0.4;

/// Labels whose values say where or how bad, not what is wrong, and so are not matched as text.
#[rustfmt::skip]
const ROUTING_LABELS: &[&str] = &[
    "severity", "priority", "instance", "job", "team", "receiver", "prometheus", "cluster",
    "region", "zone", "env", "environment", "namespace", "pod", "container", "endpoint",
    "runbook_url", "dashboard", "generatorurl", "fingerprint",
];

/// What to match runbooks against.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// It is one of the runbooks of a service the incident names (`[[services]] runbooks`, or
    /// the runbook's own `services`).
    Service(String),
}

/// How sure a match is, in a word a responder reads next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    /// Shares little with the query: shown so there is something to look at, not a
    /// suggestion. A first match that is weak means "no good match".
    Weak,
    /// A good match (see [`GOOD_MATCH`]).
    Likely,
    /// It lists the query's alert name, or its text covers most of the query
    /// ([`STRONG_MATCH`]).
    Strong,
}

impl Confidence {
    /// The word shown next to a match: `strong`, `likely` or `weak`.
    pub fn word(self) -> &'static str {
        match self {
            Confidence::Strong => "strong",
            Confidence::Likely => "likely",
            Confidence::Weak => "weak",
        }
    }
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
    /// How sure the match is.
    pub confidence: Confidence,
}

/// A set of runbooks, indexed for matching.
#[derive(Debug, Clone, Default)]
pub struct Library {
    runbooks: Vec<Runbook>,
    by_id: HashMap<String, usize>,
    /// Lowercase alert name → the runbooks that list it, in load order.
    by_alert: HashMap<String, Vec<usize>>,
    index: Index,
}

impl Library {
    /// Indexes runbooks (ids are unique; a later duplicate is dropped).
    pub fn new(runbooks: Vec<Runbook>) -> Library {
        let mut kept = Vec::with_capacity(runbooks.len());
        let mut by_id = HashMap::new();
        for runbook in runbooks {
            if !by_id.contains_key(&runbook.id) {
                by_id.insert(runbook.id.clone(), kept.len());
                kept.push(runbook);
            }
        }
        let mut by_alert: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, runbook) in kept.iter().enumerate() {
            for alert in &runbook.alerts {
                let docs = by_alert.entry(alert.to_lowercase()).or_default();
                if docs.last() != Some(&i) {
                    docs.push(i);
                }
            }
        }
        let fields: Vec<Fields> = kept.iter().map(fields).collect();
        Library {
            index: Index::build(&fields),
            runbooks: kept,
            by_id,
            by_alert,
        }
    }

    /// Every runbook, in load order.
    pub fn runbooks(&self) -> &[Runbook] {
        &self.runbooks
    }

    /// One runbook by id.
    pub fn get(&self, id: &str) -> Option<&Runbook> {
        self.by_id.get(id).map(|&i| &self.runbooks[i])
    }

    /// The best matches, at most `limit`, best first, each with its confidence: every
    /// runbook that shares a term with the query or lists one of its alert names is a
    /// candidate, however weak. When the first is [`Confidence::Weak`] (or there is none),
    /// nothing fits well.
    pub fn best(&self, query: &Query, limit: usize) -> Vec<Match> {
        if limit == 0 || self.runbooks.is_empty() {
            return Vec::new();
        }
        let relevance = self.relevance(query);
        let alerts = self.listed_alerts(query);
        let mut matches: Vec<(f64, usize, MatchReason, Confidence)> = relevance
            .into_iter()
            .zip(alerts)
            .enumerate()
            .filter_map(|(doc, ((relevance, confidence), alert))| match alert {
                Some(name) => Some((
                    ALERT_SCORE + relevance,
                    doc,
                    MatchReason::Alert(name),
                    Confidence::Strong,
                )),
                None => {
                    (relevance > 0.0).then_some((relevance, doc, MatchReason::Text, confidence))
                }
            })
            .collect();
        matches.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| self.runbooks[a.1].id.cmp(&self.runbooks[b.1].id))
        });
        matches.truncate(limit);
        matches
            .into_iter()
            .map(|(score, doc, reason, confidence)| Match {
                id: self.runbooks[doc].id.clone(),
                title: self.runbooks[doc].title.clone(),
                score,
                reason,
                confidence,
            })
            .collect()
    }

    /// Each runbook's text relevance to the query (see the module docs), and how sure a match
    /// it is.
    fn relevance(&self, query: &Query) -> Vec<(f64, Confidence)> {
        let mut relevance = vec![(0.0, Confidence::Weak); self.runbooks.len()];
        let scored = self.index.score(&query_terms(query));
        if scored.ceiling > 0.0 {
            let coverage = scored.known as f64 / (scored.known + scored.unknown) as f64;
            for hit in &scored.hits {
                let r = hit.score / scored.ceiling * coverage;
                relevance[hit.doc] = (r, confidence(r, hit.named));
            }
        }
        relevance
    }

    /// For each runbook, the first of the query's alert names that it lists, as it spells it.
    fn listed_alerts(&self, query: &Query) -> Vec<Option<String>> {
        let mut listed = vec![None; self.runbooks.len()];
        for name in query_alerts(query) {
            let wanted = name.to_lowercase();
            for &doc in self.by_alert.get(&wanted).into_iter().flatten() {
                listed[doc].get_or_insert_with(|| {
                    let alerts = &self.runbooks[doc].alerts;
                    let spelled = alerts.iter().find(|a| a.to_lowercase() == wanted);
                    spelled.cloned().unwrap_or_else(|| name.clone())
                });
            }
        }
        listed
    }
}

/// How sure a text match is. A good match ([`Confidence::Likely`]) names at least one query
/// term in its title, keywords or alert names and reaches [`GOOD_MATCH`], or half of it when
/// it names two or more (two named terms are evidence enough even when a long query says more
/// besides); a strong one also reaches [`STRONG_MATCH`]. Anything else is weak.
fn confidence(relevance: f64, named: usize) -> Confidence {
    let good = match named {
        0 => false,
        1 => relevance >= GOOD_MATCH,
        _ => relevance >= GOOD_MATCH / 2.0,
    };
    if !good {
        Confidence::Weak
    } else if relevance >= STRONG_MATCH {
        Confidence::Strong
    } else {
        Confidence::Likely
    }
}

/// A runbook's terms per field, in the order [`bm25`] weighs them.
fn fields(runbook: &Runbook) -> Fields {
    let mut out: Fields = std::array::from_fn(|_| Vec::new());
    tokenize::push_terms(&runbook.title, &mut out[Field::Title as usize]);
    for word in runbook.keywords.iter().chain(&runbook.services) {
        tokenize::push_terms(word, &mut out[Field::Keywords as usize]);
    }
    for alert in &runbook.alerts {
        tokenize::push_terms(alert, &mut out[Field::Alerts as usize]);
    }
    for symptom in &runbook.symptoms {
        tokenize::push_terms(symptom, &mut out[Field::Symptoms as usize]);
    }
    for prose in &runbook.about {
        tokenize::push_terms(prose, &mut out[Field::About as usize]);
    }
    for quote in &runbook.quoted {
        tokenize::push_terms(quote, &mut out[Field::Quoted as usize]);
    }
    for step in &runbook.steps {
        tokenize::push_terms(&step.title, &mut out[Field::Steps as usize]);
        for detail in &step.details {
            tokenize::push_terms(detail, &mut out[Field::Steps as usize]);
        }
        if let Some(code) = &step.command {
            tokenize::push_terms(code, &mut out[Field::Code as usize]);
        }
    }
    for item in &runbook.prevention {
        tokenize::push_terms(item, &mut out[Field::Prevention as usize]);
    }
    out
}

/// The alert names of a query: its `alerts`, and any `alertname` label.
fn query_alerts(query: &Query) -> impl Iterator<Item = String> + '_ {
    let labelled = query
        .labels
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("alertname"))
        .map(|(_, value)| value.clone());
    query.alerts.iter().cloned().chain(labelled)
}

/// The terms of a query: its text, alert names and the values of its descriptive labels.
fn query_terms(query: &Query) -> Vec<String> {
    let mut terms = tokenize::terms(&query.text);
    for alert in &query.alerts {
        tokenize::push_terms(alert, &mut terms);
    }
    for (name, value) in &query.labels {
        if !ROUTING_LABELS.contains(&name.to_ascii_lowercase().as_str()) {
            tokenize::push_terms(value, &mut terms);
        }
    }
    terms
}

#[cfg(test)]
mod tests;
