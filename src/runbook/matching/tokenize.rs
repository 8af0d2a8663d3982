//! Text to the terms that matching compares: the same rules for runbooks and for incidents, so
//! `DatabaseConnectionPoolExhausted`, "db connections exhausted" and "Database connection pool
//! exhausted" meet on the same terms.
//!
//! The rules, in order:
//! 1. Split on anything that is not a letter or digit, then split each run where the case turns
//!    (`OOMKilled` → oom killed, `HTTPServer` → http server; not before a last capital of a
//!    short abbreviation: `DoS`, `SaaS`) and where letters meet digits
//!    (`db2` → db 2, `500s` → 500 s), unless the whole run is a known token (`k8s`, `5xx`, `p99`);
//!    lowercase the pieces.
//! 2. Read a two-word phrase of the thesaurus as its meaning (`log in` → login, `too many` →
//!    exhausted).
//! 3. Drop one-letter pieces, stop words, and bare numbers other than HTTP status codes (a count,
//!    a percentage or a host number says nothing about the kind of incident); a status code
//!    becomes its meaning (`502` → error, `401` → unauthorized) and `p99` becomes latency.
//! 4. Stem with Snowball English, then read the stem through the thesaurus (`thesaurus.toml`):
//!    a word of a group becomes the group's concept (`db` → database, `slow` → latency), a
//!    compound the words it stands for (`oomkilled` → memory kill).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};

use super::thesaurus::{Data, Thesaurus};
use super::words::{STOP_WORDS, status_code};

/// The terms of `text`, in order, repeats kept (term frequency counts them).
pub(super) fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    push_terms(text, &mut out);
    out
}

/// Appends the terms of `text` to `out`.
pub(super) fn push_terms(text: &str, out: &mut Vec<String>) {
    let rules = Rules::get();
    let pieces = pieces(text, rules);
    let mut i = 0;
    while i < pieces.len() {
        if let Some(next) = pieces.get(i + 1)
            && let Some(meaning) = rules.phrases.get(&pieces[i]).and_then(|p| p.get(next))
        {
            out.extend(meaning.iter().cloned());
            i += 2;
            continue;
        }
        rules.push_word(&pieces[i], out);
        i += 1;
    }
}

/// The tables, stemmed once so that lookups happen on stems and cover every inflection.
struct Rules {
    stemmer: Stemmer,
    stop: HashSet<&'static str>,
    /// Whole lowercase runs that are tokens in their own right and must not be split.
    whole: HashSet<String>,
    /// Stem → the stems it is read as.
    words: HashMap<String, Vec<String>>,
    /// First lowercase word → second → the stems the two are read as.
    phrases: HashMap<String, HashMap<String, Vec<String>>>,
}

impl Rules {
    fn get() -> &'static Rules {
        static RULES: OnceLock<Rules> = OnceLock::new();
        RULES.get_or_init(Rules::build)
    }

    fn build() -> Rules {
        let stemmer = Stemmer::create(Algorithm::English);
        // The file is compiled in and its tests parse it, so it cannot fail at run time;
        // should it ever, matching goes on with plain stems rather than stop.
        let thesaurus = Data::compiled_in()
            .map(|data| Thesaurus::build(&data, &stemmer))
            .unwrap_or_default();
        Rules {
            stemmer,
            stop: STOP_WORDS.iter().copied().collect(),
            whole: thesaurus.whole.into_iter().collect(),
            words: thesaurus.words,
            phrases: thesaurus.phrases,
        }
    }

    /// Appends the terms of one lowercase piece.
    fn push_word(&self, piece: &str, out: &mut Vec<String>) {
        if piece.bytes().all(|b| b.is_ascii_digit()) {
            for word in status_code(piece).into_iter().flatten() {
                self.push_stem(self.stemmer.stem(word).into_owned(), out);
            }
            return;
        }
        if is_percentile(piece) {
            self.push_stem(self.stemmer.stem("latency").into_owned(), out);
            return;
        }
        if piece.chars().count() < 2 || self.stop.contains(piece) {
            return;
        }
        self.push_stem(self.stemmer.stem(piece).into_owned(), out);
    }

    /// Appends a stem as the thesaurus reads it.
    fn push_stem(&self, stem: String, out: &mut Vec<String>) {
        match self.words.get(&stem) {
            Some(meaning) => out.extend(meaning.iter().cloned()),
            None => out.push(stem),
        }
    }
}

/// `p99`, `p95`, `p999`: a latency percentile.
fn is_percentile(piece: &str) -> bool {
    piece.len() >= 3 && piece.starts_with('p') && piece[1..].bytes().all(|b| b.is_ascii_digit())
}

/// Lowercase pieces of `text` (rule 1), phrases not yet joined nor stop words dropped.
fn pieces(text: &str, rules: &Rules) -> Vec<String> {
    let mut out = Vec::new();
    for run in text.split(|c: char| !c.is_alphanumeric()) {
        if run.is_empty() {
            continue;
        }
        let lower = run.to_lowercase();
        if rules.whole.contains(lower.as_str()) || is_percentile(&lower) {
            out.push(lower);
        } else {
            split_run(run, &mut out);
        }
    }
    out
}

/// Splits one alphanumeric run where the case turns and where letters meet digits, keeping a
/// status class whole (`Http5xxRatio` → http 5xx ratio).
fn split_run(run: &str, out: &mut Vec<String>) {
    let chars: Vec<char> = run.chars().collect();
    let is_class_tail = |i: usize| {
        chars[i - 1].is_ascii_digit()
            && (i < 2 || !chars[i - 2].is_numeric())
            && chars[i..].len() >= 2
            && chars[i..i + 2].iter().all(|c| c.eq_ignore_ascii_case(&'x'))
            && !chars.get(i + 2).is_some_and(|c| c.is_lowercase())
    };
    let mut start = 0;
    for i in 1..chars.len() {
        let (prev, cur) = (chars[i - 1], chars[i]);
        let next_is_lower = chars.get(i + 1).is_some_and(|c| c.is_lowercase());
        // A last capital after lowercase ends an abbreviation (`DoS`, `SaaS`, `QoS`) rather
        // than starting a word.
        let last_capital = i + 1 == chars.len() && chars[start].is_uppercase() && i - start <= 3;
        let boundary = (prev.is_lowercase() && cur.is_uppercase() && !last_capital)
            || (prev.is_uppercase() && cur.is_uppercase() && next_is_lower)
            || (prev.is_numeric() != cur.is_numeric() && !is_class_tail(i));
        if boundary {
            out.push(chars[start..i].iter().collect::<String>().to_lowercase());
            start = i;
        }
    }
    out.push(chars[start..].iter().collect::<String>().to_lowercase());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Vec<String> {
        terms(text)
    }

    #[test]
    fn camel_case_alert_names_become_words() {
        assert_eq!(
            t("DatabaseConnectionPoolExhausted"),
            t("database connection pool exhausted")
        );
        assert_eq!(t("OOMKilled"), t("oom killed"));
        assert_eq!(t("HTTPServerErrors"), t("http server errors"));
        assert_eq!(t("Http5xxRatioHigh"), t("http 5xx ratio high"));
        assert_eq!(t("HTTP5XXRate"), t("http 5xx rate"));
        assert_eq!(t("IRP-DoS"), t("irp dos"));
        assert_eq!(t("DDoS"), t("dos"));
        assert_eq!(t("SaaS vendor"), t("saas vendor"));
        assert_eq!(t("isReady"), t("is ready"));
    }

    #[test]
    fn inflections_meet_on_one_stem() {
        assert_eq!(t("connections failing"), t("connection fails"));
        assert_eq!(t("certificates expired"), t("certificate expires"));
    }

    #[test]
    fn stop_words_one_letters_and_plain_numbers_are_dropped() {
        assert!(t("the is of a to it").is_empty());
        assert!(t("disk at 100% on db-2").contains(&"disk".to_owned()));
        assert!(
            !t("disk at 100% on db-2")
                .iter()
                .any(|w| w == "100" || w == "2")
        );
        assert!(t("we can't").is_empty());
    }

    #[test]
    fn abbreviations_read_as_the_words_they_stand_for() {
        assert_eq!(t("db"), t("database"));
        assert_eq!(t("k8s"), t("kubernetes"));
        assert_eq!(t("cert"), t("certificate"));
        assert_eq!(t("conns"), t("connections"));
        assert!(t("oom").iter().any(|w| t("memory").contains(w)));
    }

    #[test]
    fn status_codes_and_percentiles_carry_their_meaning() {
        let errors = t("error");
        assert!(t("500s").iter().any(|w| errors.contains(w)));
        assert!(t("5xx").iter().any(|w| errors.contains(w)));
        assert_eq!(t("500s"), t("502"));
        assert!(t("p99").iter().any(|w| t("latency").contains(w)));
        assert!(t("401").iter().any(|w| t("unauthorized").contains(w)));
    }

    #[test]
    fn a_two_word_phrase_reads_as_one_word() {
        assert_eq!(t("users can't log in"), t("users login"));
    }

    #[test]
    fn non_latin_text_is_kept() {
        assert_eq!(t("Datenbank überlastet").len(), 2);
    }
}
