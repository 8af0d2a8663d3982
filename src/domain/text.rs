//! Validated text from people: incident titles, notes, reasons, user ids.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The most characters an incident title may have; it must fit a channel topic and a card header.
pub const MAX_TITLE_CHARS: usize = 200;
/// The most characters a note or reason may have.
pub const MAX_NOTE_CHARS: usize = 4000;

/// Why a piece of text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing but whitespace.
    #[error("the {0} is empty")]
    Empty(&'static str),
    /// Longer than allowed.
    #[error("the {what} has {len} characters; the most is {max}")]
    TooLong {
        /// Which text.
        what: &'static str,
        /// Its length in characters.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Holds a control character such as an escape or a NUL.
    #[error("the {what} contains a control character (U+{code:04X}); remove it")]
    ControlCharacter {
        /// Which text.
        what: &'static str,
        /// The character's code point.
        code: u32,
    },
}

fn check(
    what: &'static str,
    raw: &str,
    max: usize,
    allow_newlines: bool,
) -> Result<String, TextError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(TextError::Empty(what));
    }
    let len = text.chars().count();
    if len > max {
        return Err(TextError::TooLong { what, len, max });
    }
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && !(allow_newlines && matches!(c, '\n' | '\t')))
    {
        return Err(TextError::ControlCharacter {
            what,
            code: c as u32,
        });
    }
    Ok(text.to_owned())
}

/// The one-line title of an incident: 1 to 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IncidentTitle(String);

impl IncidentTitle {
    /// Checks and trims a title.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        check("title", raw, MAX_TITLE_CHARS, false).map(Self)
    }

    /// The title as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IncidentTitle {
    type Error = TextError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<IncidentTitle> for String {
    fn from(t: IncidentTitle) -> Self {
        t.0
    }
}

impl fmt::Display for IncidentTitle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Free text for the timeline (a note, a reason): up to 4,000 characters, newlines and tabs allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NoteText(String);

impl NoteText {
    /// Checks and trims a note.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        check("note", raw, MAX_NOTE_CHARS, true).map(Self)
    }

    /// Checks a reason; the same rules as a note, named for the message.
    pub fn parse_reason(raw: &str) -> Result<Self, TextError> {
        check("reason", raw, MAX_NOTE_CHARS, true).map(Self)
    }

    /// The note as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for NoteText {
    type Error = TextError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<NoteText> for String {
    fn from(t: NoteText) -> Self {
        t.0
    }
}

impl fmt::Display for NoteText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person as their chat knows them: a console name (`alice`), a Slack id (`U024BE7LH`) or a
/// Matrix id (`@alice:example.org`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserId(String);

/// The most characters a user id may have (Matrix allows 255).
pub const MAX_USER_ID_CHARS: usize = 255;

impl UserId {
    /// Checks a user id: 1 to 255 characters, no whitespace or control characters.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let id = check("user name", raw, MAX_USER_ID_CHARS, false)?;
        if let Some(c) = id.chars().find(|c| c.is_whitespace()) {
            return Err(TextError::ControlCharacter {
                what: "user name",
                code: c as u32,
            });
        }
        Ok(Self(id))
    }

    /// Warroom itself, the actor of what it does on its own.
    pub fn warroom() -> Self {
        Self("warroom".to_owned())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Reads a mention as a chat writes it: `<@U024BE7LH>`, `<@U024BE7LH|alice>`,
    /// `@alice:example.org` (kept whole: that is a Matrix id) or `@alice`.
    pub fn from_mention(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if let Some(inner) = raw.strip_prefix("<@").and_then(|r| r.strip_suffix('>')) {
            let id = inner.split('|').next().unwrap_or_default();
            return Self::parse(id).ok();
        }
        let name = raw.strip_prefix('@')?;
        if name.contains(':') {
            Self::parse(raw).ok()
        } else {
            Self::parse(name).ok()
        }
    }
}

impl TryFrom<String> for UserId {
    type Error = TextError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<UserId> for String {
    fn from(u: UserId) -> Self {
        u.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `text` cut to at most `max` characters, ending in `…` when it was cut.
pub fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `1 step`, `0 steps`, `5 steps`: a count with its noun, plural when it is not one.
pub fn plural(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// A lowercase, hyphenated ASCII form of a text, for war-room names and runbook ids: letters
/// of every script are transliterated (`Überweisungen hängen` → `uberweisungen-hangen`,
/// `障害` → `zhang-hai`), everything else (spaces, punctuation, emoji) separates words; at most
/// `max` characters, cut at a word boundary when it can be.
pub fn slug(text: &str, max: usize) -> String {
    fn separate(out: &mut String) {
        if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if c.is_alphanumeric() {
            // One letter may read as several words (`障害` → `Zhang Hai `).
            let plain = deunicode::deunicode_char(c).unwrap_or("");
            for p in plain.chars() {
                if p.is_ascii_alphanumeric() {
                    out.push(p.to_ascii_lowercase());
                } else {
                    separate(&mut out);
                }
            }
        } else {
            separate(&mut out);
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.len() > max {
        let cut = out[..=max].rfind('-').filter(|&i| i > 0).unwrap_or(max);
        out.truncate(cut);
        while out.ends_with('-') {
            out.pop();
        }
    }
    out
}

/// Text for HTML (Matrix messages, the pages `serve` shows): `&`, `<`, `>`, `"` and `'`
/// escaped.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }

    #[test]
    fn a_title_is_trimmed() {
        assert_eq!(
            IncidentTitle::parse("  API down ").unwrap().as_str(),
            "API down"
        );
    }

    #[test]
    fn a_ten_thousand_character_title_is_refused_with_its_length() {
        let err = IncidentTitle::parse(&"x".repeat(10_000)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the title has 10000 characters; the most is 200"
        );
    }

    #[test]
    fn control_characters_are_refused_in_titles_but_newlines_pass_in_notes() {
        let err = IncidentTitle::parse("API \u{1b}[31mdown").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the title contains a control character (U+001B); remove it"
        );
        assert!(NoteText::parse("line one\nline two").is_ok());
        assert!(NoteText::parse("bell \u{7}").is_err());
    }

    #[test]
    fn mentions_of_every_chat_become_user_ids() {
        let id = |s| UserId::from_mention(s).map(|u| u.0);
        assert_eq!(id("@bob").as_deref(), Some("bob"));
        assert_eq!(id("<@U024BE7LH>").as_deref(), Some("U024BE7LH"));
        assert_eq!(id("<@U024BE7LH|bob>").as_deref(), Some("U024BE7LH"));
        assert_eq!(id("@bob:example.org").as_deref(), Some("@bob:example.org"));
        assert_eq!(id("bob"), None);
        assert_eq!(id("@"), None);
    }

    #[test]
    fn slugs_are_lowercase_hyphenated_and_bounded() {
        assert_eq!(
            slug("Checkout API returns 500s!", 80),
            "checkout-api-returns-500s"
        );
        assert_eq!(slug("🚨 DB — down", 80), "db-down");
        assert_eq!(slug("Überweisungen hängen", 80), "uberweisungen-hangen");
        assert_eq!(slug("Café Menu Timeout", 80), "cafe-menu-timeout");
        assert_eq!(slug("Straße Œuvre Ærø", 80), "strasse-oeuvre-aero");
        assert_eq!(slug("障害 対応", 80), "zhang-hai-dui-ying");
        let long = slug(&"word ".repeat(40), 20);
        assert!(long.len() <= 20, "{long}");
        assert!(!long.ends_with('-'));
    }
}
