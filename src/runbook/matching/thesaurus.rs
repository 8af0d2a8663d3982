//! The incident vocabulary of `thesaurus.toml`, read into lookups on stems.
//!
//! The file is compiled in and read once; the tables here are what the tokenizer consults:
//! each stem of a group's word maps to the stem of the group's concept, each compound's stem
//! to the stems it stands for, each two-word phrase to the stems it means. Words of a phrase
//! or compound meaning go through the groups too, so `"open files" = "file descriptor"` and
//! `oomkilled = "memory kill"` land on the same terms as the words typed alone.

use std::collections::{BTreeMap, HashMap};

use rust_stemmers::Stemmer;
use serde::Deserialize;

/// The data, as written.
const SOURCE: &str = include_str!("thesaurus.toml");

/// `thesaurus.toml` as written: concept → other words; phrase → meaning; compound → meaning.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Data {
    pub groups: BTreeMap<String, Vec<String>>,
    pub phrases: BTreeMap<String, String>,
    pub compounds: BTreeMap<String, String>,
}

impl Data {
    /// The compiled-in file; it is checked by the tests, so a failure here is a build defect.
    pub(super) fn compiled_in() -> Result<Data, toml::de::Error> {
        toml::from_str(SOURCE)
    }
}

/// The lookups the tokenizer uses.
#[derive(Debug, Default)]
pub(super) struct Thesaurus {
    /// A word's stem → the stems it is read as (a group's concept, or a compound's words).
    pub words: HashMap<String, Vec<String>>,
    /// First lowercase word → second → the stems the two are read as.
    pub phrases: HashMap<String, HashMap<String, Vec<String>>>,
    /// Lowercase words with digits that must not be split where letters meet digits (`k8s`).
    pub whole: Vec<String>,
    /// Stems the data gives two meanings (a word in two groups, say) and phrases not of two
    /// words; the first reading in
    /// file order is kept. Empty for a well-formed file.
    pub problems: Vec<String>,
}

impl Thesaurus {
    /// Reads the data through `stemmer`.
    pub(super) fn build(data: &Data, stemmer: &Stemmer) -> Thesaurus {
        let stem = |word: &str| stemmer.stem(&word.to_lowercase()).into_owned();
        let mut out = Thesaurus::default();
        let mut concept_of: HashMap<String, String> = HashMap::new();
        for (concept, others) in &data.groups {
            let concept_stem = stem(concept);
            let mut seen = Vec::new();
            for word in std::iter::once(concept).chain(others) {
                let s = stem(word);
                if seen.contains(&s) {
                    continue;
                }
                match concept_of.get(&s) {
                    Some(earlier) if *earlier != concept_stem => out.problems.push(s.clone()),
                    Some(_) => {}
                    None => {
                        concept_of.insert(s.clone(), concept_stem.clone());
                    }
                }
                seen.push(s);
                out.note_whole(word);
            }
        }
        let read = |meaning: &str| -> Vec<String> {
            meaning
                .split_whitespace()
                .map(|w| {
                    let s = stem(w);
                    concept_of.get(&s).cloned().unwrap_or(s)
                })
                .collect()
        };
        for (word, meaning) in &data.compounds {
            let s = stem(word);
            if concept_of.contains_key(&s) || out.words.contains_key(&s) {
                out.problems.push(s.clone());
                continue;
            }
            out.words.insert(s, read(meaning));
            out.note_whole(word);
        }
        for (s, concept) in &concept_of {
            out.words.insert(s.clone(), vec![concept.clone()]);
        }
        for (phrase, meaning) in &data.phrases {
            let mut words = phrase.split_whitespace().map(str::to_lowercase);
            if let (Some(a), Some(b), None) = (words.next(), words.next(), words.next()) {
                out.phrases.entry(a).or_default().insert(b, read(meaning));
            } else {
                out.problems.push(phrase.clone());
            }
        }
        out.problems.sort();
        out.problems.dedup();
        out
    }

    fn note_whole(&mut self, word: &str) {
        if word.chars().any(|c| c.is_ascii_digit()) {
            self.whole.push(word.to_lowercase());
        }
    }
}
