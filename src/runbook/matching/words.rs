//! The words the tokenizer drops, and what HTTP status codes mean. Words that mean the same
//! thing in incident language are data, in `thesaurus.toml`.

/// Words that say nothing about the kind of incident: English function words, contraction
/// leftovers (`can't` → can), hedges and chat filler, and URL fragments. Words that occur in
/// error messages responders paste (`already`, `too`, `no`) are content, except where
/// a phrase of the thesaurus reads them first.
#[rustfmt::skip]
pub(super) const STOP_WORDS: &[&str] = &[
    // function words
    "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as",
    "at", "be", "been", "before", "being", "both", "but", "by", "could", "did", "do", "does",
    "doing", "during", "each", "either", "every", "for", "from", "further", "had", "has", "have",
    "having", "he", "her", "here", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its",
    "itself", "me", "more", "most", "my", "nor", "not", "now", "of", "on", "once", "only", "or",
    "other", "our", "ours", "out", "over", "own", "same", "she", "should", "so", "some", "such",
    "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those",
    "through", "to", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where",
    "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your",
    // contraction leftovers
    "can", "cannot", "don", "doesn", "didn", "isn", "aren", "wasn", "weren", "won", "couldn",
    "shouldn", "wouldn", "ll", "re", "ve",
    // hedges, chat filler, verbs that only report ("the API returns 500s") and "fine", which
    // says what is not wrong
    "anyone", "apparently", "completely", "everyone", "everywhere", "fine", "get", "gets", "getting",
    "go", "goes", "going", "got", "just", "keep", "keeps", "like", "looks", "lot", "lots", "many",
    "maybe", "much", "please", "really", "return", "returned", "returning", "returns", "seem",
    "seems", "someone", "something", "still", "suddenly", "think", "totally", "us", "went",
    // URL fragments
    "com", "net", "org", "www",
];

/// What an HTTP status code in text means; `None` for any other number.
pub(super) fn status_code(digits: &str) -> Option<&'static [&'static str]> {
    match digits {
        "401" => Some(&["unauthorized"]),
        "403" => Some(&["forbidden"]),
        "429" => Some(&["rate", "limit"]),
        _ if digits.len() == 3 && (digits.starts_with('4') || digits.starts_with('5')) => {
            Some(&["error"])
        }
        _ => None,
    }
}
