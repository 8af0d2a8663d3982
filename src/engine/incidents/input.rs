//! The one way in: everything a person gives Warroom, from any chat, is an [`Input`], and
//! [`Engine::take`] is where every adapter hands it over. Adapters only translate their
//! platform's payloads into inputs and the effects back into their platform's calls.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::domain::{MAX_NOTE_CHARS, UserId, credential_in};
use crate::engine::Incidents;
use crate::engine::effect::Effect;
use crate::engine::message::ButtonId;
use crate::engine::port::Origin;

/// What a person gave Warroom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Words: a command (`ack`, `declare p1 …`), typed after `/incident`, `!incident` or on a
    /// console line. `press b3 [name=value…]` is a press, in every chat alike.
    Said {
        /// The words.
        text: String,
    },
    /// A button pressed, with the values a Run button's step asks for (a form's fields; a
    /// value may hold spaces).
    Pressed {
        /// The button.
        button: ButtonId,
        /// Parameter values by name.
        params: BTreeMap<String, String>,
    },
    /// A chat message put on the timeline of the war room it was written in (📌 on Slack and
    /// Matrix); the origin's user is whoever pinned it.
    Pinned {
        /// Who wrote the message.
        author: UserId,
        /// When they wrote it.
        at: DateTime<Utc>,
        /// What it said.
        text: String,
    },
}

impl Incidents<'_> {
    /// Takes one input from a person and returns what to carry out at once (the answers; what
    /// follows a change is in the outbox already).
    pub async fn take(&self, origin: &Origin, input: Input) -> Vec<Effect> {
        if let Some(kind) = input.credential() {
            tracing::warn!(user = %origin.user, kind, "refused an input that holds a credential");
            return vec![Effect::reply(refuse_credential(kind))];
        }
        match input {
            Input::Said { text } => match press_words(&text) {
                Some(rest) => self.press(origin, rest).await,
                None => self.handle_text(origin, &text).await,
            },
            Input::Pressed { button, params } => {
                let mut checked = BTreeMap::new();
                for (name, value) in params {
                    match crate::domain::parameter(&name, value.trim()) {
                        Ok((name, value)) => {
                            checked.insert(name, value);
                        }
                        Err(e) => return vec![Effect::reply(e)],
                    }
                }
                self.press_button(origin, button, checked).await
            }
            Input::Pinned { author, at, text } => {
                self.quote(origin, author, at, &fit_note(&text)).await
            }
        }
    }
}

impl Input {
    /// The kind of credential the input holds (`"a Slack token"`), if any: in its words, a
    /// value given with a button, or a pinned message.
    fn credential(&self) -> Option<&'static str> {
        match self {
            Input::Said { text } | Input::Pinned { text, .. } => credential_in(text),
            Input::Pressed { params, .. } => params.values().find_map(|v| credential_in(v)),
        }
    }
}

/// The answer to an input that holds a credential: nothing of it was read or kept.
fn refuse_credential(kind: &str) -> String {
    format!(
        "that holds what looks like {kind}, so Warroom did not read it and kept nothing of it. \
         If others saw it, rotate it. Secrets reach Warroom through [actions.secrets] in its \
         configuration, never through the chat."
    )
}

/// `press b3 …` (any case): the words after `press`, when the words are a press.
fn press_words(words: &str) -> Option<&str> {
    let trimmed = words.trim_start();
    let (verb, rest) = trimmed
        .split_once(char::is_whitespace)
        .unwrap_or((trimmed, ""));
    verb.eq_ignore_ascii_case("press").then_some(rest.trim())
}

/// A pinned message's text cut to what a note holds, with `…` where it was cut, and without
/// control characters other than line breaks.
fn fit_note(text: &str) -> String {
    let mut body: String = text
        .trim()
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect();
    if body.chars().count() > MAX_NOTE_CHARS {
        body = body.chars().take(MAX_NOTE_CHARS - 1).collect();
        body.push('…');
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn press_is_a_verb_in_any_case_and_takes_the_button_and_its_parameters() {
        assert_eq!(press_words(" press b3"), Some("b3"));
        assert_eq!(
            press_words("PRESS b3 pod_name=api-1"),
            Some("b3 pod_name=api-1")
        );
        assert_eq!(press_words("press"), Some(""));
        assert_eq!(press_words("pressure is high"), None);
        assert_eq!(press_words("note press b3"), None);
    }

    #[test]
    fn a_long_pinned_message_is_cut_to_a_note() {
        let long = "x".repeat(MAX_NOTE_CHARS + 50);
        let fitted = fit_note(&long);
        assert_eq!(fitted.chars().count(), MAX_NOTE_CHARS);
        assert!(fitted.ends_with('…'));
        assert_eq!(fit_note(" a\u{7}b\nc "), "ab\nc");
    }
}
