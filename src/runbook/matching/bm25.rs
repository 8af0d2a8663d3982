//! BM25F relevance over a runbook's fields, with an inverted index built once so that scoring a
//! query only walks the postings of its own terms.
//!
//! BM25F (Robertson & Zaragoza) folds the fields into one pseudo term frequency before the
//! saturation: `tf' = Σ weight_f · tf_f / (1 − b_f + b_f · len_f / avglen_f)`, and a term adds
//! `idf · tf' · (k1 + 1) / (tf' + k1)`. Here the fields that describe the incident (title to
//! symptoms) and those that say what to do (steps, code, prevention) each get their own `tf'`,
//! saturated apart, and a term adds
//! `idf · (k1 + 1) · (sat(tf'_described) + s · sat(tf'_procedure)) / (1 + s)` with
//! `sat(x) = x / (x + k1)` and `s` = [`BODY_SHARE`]: a long procedure that repeats a word cannot
//! outweigh a title, yet a runbook that describes itself only in its steps can still be found.
//! The idf counts the runbooks that have the term in their describing fields (see `build`).
//! Since both `tf'` do not depend on the query, they are stored in the postings.

use std::collections::HashMap;

/// The fields a runbook is matched on, in the order of [`Fields`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    /// Its title.
    Title,
    /// Its keywords and services.
    Keywords,
    /// The alert names it lists.
    Alerts,
    /// Its symptoms.
    Symptoms,
    /// Its prose about the incident (overview, meaning).
    About,
    /// The output and log lines it quotes.
    Quoted,
    /// The titles of its steps (what a person does, in words).
    Steps,
    /// The code of its steps: commands, scripts, SQL.
    Code,
    /// Its prevention items.
    Prevention,
}

/// How many fields there are.
pub(super) const FIELDS: usize = 9;

/// A document's terms per field, indexed by [`Field`].
pub(super) type Fields = [Vec<String>; FIELDS];

/// The fields before this one name what the runbook is for; the rest describe it.
const NAMED: usize = Field::Symptoms as usize;

/// How much a term in each field counts. A title says what the runbook is for; keywords were
/// chosen for matching; alert names are terse; symptoms, and the runbook's prose about the
/// incident, describe it in prose; the output and log lines it quotes are what a responder
/// pastes, specific like an alert name (on the paraphrases, 1.0 gave 92 right at top-1, 1.5
/// to 3.0 gave 94). Steps and prevention say what to do about it, so their words are about the incident only in
/// part; code mostly names tools and flags, and counts least.
const WEIGHTS: [f64; FIELDS] = [3.0, 2.0, 1.5, 1.0, 1.0, 1.5, 1.0, 0.2, 0.5];

/// Length normalisation per field; lists of keywords and alerts are long because a runbook
/// covers more, not because each entry is diluted, so they are normalised less.
const B: [f64; FIELDS] = [0.75, 0.3, 0.3, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75];

/// Term-frequency saturation.
const K1: f64 = 3.0;

/// The fields from this one on say what to do rather than what is wrong.
const BODY: usize = Field::Steps as usize;

/// What the fields that say what to do can add to a term, at most, against 1 for the fields
/// that describe the incident: they are saturated apart, so long procedures cannot outweigh a
/// title.
const BODY_SHARE: f64 = 0.1;

/// An inverted index: term → the documents that contain it, with their pseudo term frequency.
#[derive(Debug, Clone, Default)]
pub(super) struct Index {
    terms: HashMap<String, Term>,
    docs: usize,
}

#[derive(Debug, Clone)]
struct Term {
    idf: f64,
    postings: Vec<Posting>,
}

#[derive(Debug, Clone, Copy)]
struct Posting {
    doc: u32,
    /// BM25F's pseudo term frequency `tf'` over the fields that describe the incident (title
    /// to symptoms).
    tf: f32,
    /// The same over the fields that say what to do (steps, code, prevention).
    body: f32,
    /// Whether the term is in one of the fields chosen to describe the runbook (title, keywords,
    /// alerts) rather than only in its symptoms.
    named: bool,
}

/// A document that shares terms with a query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Hit {
    /// The document's position.
    pub doc: usize,
    /// Its BM25F score, positive.
    pub score: f64,
    /// How many distinct query terms it has in its title, keywords or alert names.
    pub named: usize,
}

/// The documents that share a term with a query, and the most the query could score.
#[derive(Debug, Clone, Default)]
pub(super) struct Scored {
    /// In document order.
    pub hits: Vec<Hit>,
    /// The score of a document that saturates every query term that some document has:
    /// `Σ idf · (k1 + 1)`.
    pub ceiling: f64,
    /// How many distinct query terms some document has.
    pub known: usize,
    /// How many distinct query terms no document has.
    pub unknown: usize,
}

impl Index {
    /// Indexes documents given as terms per field.
    pub(super) fn build(docs: &[Fields]) -> Index {
        let n = docs.len();
        let mut avg = [0.0f64; FIELDS];
        for doc in docs {
            for (f, terms) in doc.iter().enumerate() {
                avg[f] += terms.len() as f64;
            }
        }
        for a in &mut avg {
            *a /= n.max(1) as f64;
        }

        let mut postings: HashMap<String, Vec<Posting>> = HashMap::new();
        let mut counts: HashMap<&str, [u32; FIELDS]> = HashMap::new();
        for (d, doc) in docs.iter().enumerate() {
            counts.clear();
            for (f, terms) in doc.iter().enumerate() {
                for term in terms {
                    counts.entry(term.as_str()).or_default()[f] += 1;
                }
            }
            let norms: [f64; FIELDS] = std::array::from_fn(|f| {
                if avg[f] > 0.0 {
                    1.0 - B[f] + B[f] * doc[f].len() as f64 / avg[f]
                } else {
                    1.0
                }
            });
            for (term, tf) in &counts {
                let pseudo = |fields: std::ops::Range<usize>| -> f64 {
                    fields
                        .map(|f| WEIGHTS[f] * f64::from(tf[f]) / norms[f])
                        .sum()
                };
                postings
                    .entry((*term).to_owned())
                    .or_default()
                    .push(Posting {
                        doc: d as u32,
                        tf: pseudo(0..BODY) as f32,
                        body: pseudo(BODY..FIELDS) as f32,
                        named: tf[..NAMED].iter().any(|&n| n > 0),
                    });
            }
        }

        let terms = postings
            .into_iter()
            .map(|(term, postings)| {
                // How rare a term is, judged where runbooks describe incidents: procedures
                // share their verbs and tools (check, restart, kubectl) across every kind of
                // incident, and counting them would make those words look common when they
                // describe one. A term only procedures use is judged over all fields.
                let described = postings.iter().filter(|p| p.tf > 0.0).count();
                let idf = idf(
                    n,
                    if described > 0 {
                        described
                    } else {
                        postings.len()
                    },
                );
                (term, Term { idf, postings })
            })
            .collect();
        Index { terms, docs: n }
    }

    /// Scores every document against the distinct terms of a query.
    pub(super) fn score(&self, query: &[String]) -> Scored {
        let mut distinct: Vec<&str> = query.iter().map(String::as_str).collect();
        distinct.sort_unstable();
        distinct.dedup();

        let mut scored = Scored::default();
        let mut sums = vec![(0.0f64, 0usize); self.docs];
        let mut touched = Vec::new();
        for term in distinct {
            let Some(entry) = self.terms.get(term) else {
                scored.unknown += 1;
                continue;
            };
            scored.known += 1;
            scored.ceiling += entry.idf * (K1 + 1.0);
            for posting in &entry.postings {
                let doc = posting.doc as usize;
                let (tf, body) = (f64::from(posting.tf), f64::from(posting.body));
                if sums[doc].0 == 0.0 {
                    touched.push(doc);
                }
                let saturated = tf / (tf + K1) + BODY_SHARE * body / (body + K1);
                sums[doc].0 += entry.idf * (K1 + 1.0) * saturated / (1.0 + BODY_SHARE);
                sums[doc].1 += usize::from(posting.named);
            }
        }
        touched.sort_unstable();
        scored.hits = touched
            .into_iter()
            .map(|doc| Hit {
                doc,
                score: sums[doc].0,
                named: sums[doc].1,
            })
            .collect();
        scored
    }
}

/// BM25's idf, which stays positive even for a term in every document.
fn idf(docs: usize, with_term: usize) -> f64 {
    let (n, df) = (docs as f64, with_term as f64);
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(title: &str, symptoms: &str) -> Fields {
        let words = |s: &str| s.split_whitespace().map(str::to_owned).collect();
        let mut fields: Fields = std::array::from_fn(|_| Vec::new());
        fields[Field::Title as usize] = words(title);
        fields[Field::Symptoms as usize] = words(symptoms);
        fields
    }

    fn q(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn a_title_term_outweighs_the_same_term_in_symptoms() {
        let index = Index::build(&[doc("disk full", "slow"), doc("latency", "disk noisy")]);
        let hits = index.score(&q("disk")).hits;
        assert_eq!(hits.len(), 2);
        assert!(hits[0].score > hits[1].score);
        assert_eq!((hits[0].named, hits[1].named), (1, 0));
    }

    #[test]
    fn rarer_terms_count_more() {
        let index = Index::build(&[doc("api down", ""), doc("api slow", ""), doc("api dns", "")]);
        let down = index.score(&q("down")).hits[0].score;
        let api = index.score(&q("api")).hits[0].score;
        assert!(down > api);
    }

    #[test]
    fn scores_stay_below_the_ceiling_and_unknown_terms_are_counted_apart() {
        let index = Index::build(&[doc("disk full", "disk disk disk")]);
        let known = index.score(&q("disk"));
        assert!(known.hits[0].score > 0.0 && known.hits[0].score < known.ceiling);
        let more = index.score(&q("disk coffee disk"));
        assert_eq!(more.hits, known.hits);
        assert_eq!(
            (more.ceiling, more.known, more.unknown),
            (known.ceiling, 1, 1)
        );
    }

    #[test]
    fn an_empty_index_scores_nothing() {
        let scored = Index::build(&[]).score(&q("disk"));
        assert!(scored.hits.is_empty());
    }
}
