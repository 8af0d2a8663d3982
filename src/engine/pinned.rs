//! Messages pinned to the timeline: a chat message (a 📌 reaction in Matrix) becomes a note that
//! keeps who wrote it and when, recorded by the person who pinned it.

use chrono::{DateTime, Utc};

use super::Engine;
use super::effect::Effect;
use super::port::Origin;
use crate::domain::{Action, Command, MAX_NOTE_CHARS, NoteText, UserId};

impl Engine {
    /// Adds what `author` said at `said_at` to the timeline of the war room the pin came from,
    /// as a note by the person who pinned it.
    pub async fn pin_to_timeline(
        &self,
        origin: &Origin,
        author: &UserId,
        said_at: DateTime<Utc>,
        text: &str,
    ) -> Vec<Effect> {
        let text = pinned_note(author, said_at, text);
        match NoteText::parse(&text) {
            Ok(text) => {
                let command = Command {
                    incident: None,
                    action: Action::Note { text },
                };
                self.apply(origin, command).await
            }
            Err(e) => vec![Effect::reply(format!("that message cannot be pinned: {e}"))],
        }
    }
}

/// `📌 @bob:hs at 2026-01-05 14:03:07 UTC: the pool is at 100/100`, cut to fit a note.
fn pinned_note(author: &UserId, said_at: DateTime<Utc>, text: &str) -> String {
    let head = format!(
        "📌 {author} at {} UTC: ",
        said_at.format("%Y-%m-%d %H:%M:%S")
    );
    let room = MAX_NOTE_CHARS.saturating_sub(head.chars().count() + 1);
    let mut body: String = text
        .trim()
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect();
    if body.chars().count() > room {
        body = body.chars().take(room).collect();
        body.push('…');
    }
    format!("{head}{body}")
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_pinned_note_names_the_author_and_the_original_time() {
        let bob = UserId::parse("@bob:hs").unwrap();
        let at = Utc.with_ymd_and_hms(2026, 1, 5, 14, 3, 7).unwrap();
        assert_eq!(
            pinned_note(&bob, at, "pool at 100/100"),
            "📌 @bob:hs at 2026-01-05 14:03:07 UTC: pool at 100/100"
        );
        let long = "x".repeat(MAX_NOTE_CHARS * 2);
        let note = pinned_note(&bob, at, &long);
        assert_eq!(note.chars().count(), MAX_NOTE_CHARS);
        assert!(NoteText::parse(&note).is_ok());
    }
}
