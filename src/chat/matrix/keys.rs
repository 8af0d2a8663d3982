//! Buttons as reactions: which emoji key stands for which button of a message. Matrix has no
//! buttons, so each actionable message lists its choices with a key, and the bot reacts with
//! the keys first so that a person only has to click one.

use crate::engine::message::{Block, Button, ButtonId, Control, Message, Span};

/// The key that adds a message to the incident's timeline.
pub const PIN_KEY: &str = "📌";

/// The keycaps for steps and choices 1 to 10.
const DIGITS: [&str; 10] = ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟"];

/// The emoji key of each button of a message that has one, in the order they appear.
pub fn keys_of(message: &Message) -> Vec<(String, ButtonId)> {
    let mut out: Vec<(String, ButtonId)> = Vec::new();
    let mut step: Option<u32> = None;
    for block in &message.blocks {
        match block {
            Block::Text(spans) => step = step_number(spans).or(step),
            Block::Actions(controls) => {
                for control in controls {
                    if let Control::Button(button) = control
                        && let Some(key) = key_for(button, step)
                        && !out.iter().any(|(k, _)| k == key)
                    {
                        out.push((key.to_owned(), button.id));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The key of one button: by what it does, or for a step's Run by the step's number.
fn key_for(button: &Button, step: Option<u32>) -> Option<&'static str> {
    let label = button.label.as_str();
    match label {
        "Acknowledge" => Some("✅"),
        "Approve" => Some("👍"),
        "Deny" => Some("👎"),
        "Resolve" => Some("🏁"),
        "Reopen" => Some("🔁"),
        "Runbooks" => Some("📖"),
        "Run" | "Request approval" => step.and_then(digit),
        _ => label
            .strip_prefix("Attach ")
            .and_then(|n| n.parse::<u32>().ok())
            .and_then(digit),
    }
}

fn digit(n: u32) -> Option<&'static str> {
    let i = usize::try_from(n).ok()?.checked_sub(1)?;
    DIGITS.get(i).copied()
}

/// The step number a runbook line starts with (`3. Restart API servers`).
fn step_number(spans: &[Span]) -> Option<u32> {
    let Some(Span::Text(first)) = spans.first() else {
        return None;
    };
    let (number, _) = first.split_once(". ")?;
    number.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::message::ButtonStyle;

    fn button(id: i64, label: &str) -> Control {
        Control::Button(Button {
            id: ButtonId(id),
            label: label.into(),
            style: ButtonStyle::Default,
            confirm: None,
        })
    }

    #[test]
    fn the_card_acknowledges_with_a_check_mark_and_resolves_with_a_flag() {
        let card = Message {
            blocks: vec![
                Block::Header("INC-1".into()),
                Block::Actions(vec![
                    button(1, "Acknowledge"),
                    button(2, "Identified"),
                    button(3, "Resolve"),
                ]),
            ],
        };
        assert_eq!(
            keys_of(&card),
            vec![
                ("✅".to_owned(), ButtonId(1)),
                ("🏁".to_owned(), ButtonId(3))
            ]
        );
    }

    #[test]
    fn run_buttons_take_the_keycap_of_their_step() {
        let runbook = Message {
            blocks: vec![
                Block::Text(vec![Span::Text("2. Check pods".into())]),
                Block::Actions(vec![button(7, "Run"), button(8, "Done"), button(9, "Skip")]),
                Block::Text(vec![Span::Text("3. Restart".into())]),
                Block::Actions(vec![button(10, "Run")]),
                Block::Text(vec![Span::Text("12. Far away".into())]),
                Block::Actions(vec![button(11, "Run")]),
            ],
        };
        assert_eq!(
            keys_of(&runbook),
            vec![
                ("2️⃣".to_owned(), ButtonId(7)),
                ("3️⃣".to_owned(), ButtonId(10))
            ]
        );
    }

    #[test]
    fn approvals_are_thumbs_and_suggestions_are_numbered() {
        let approval = Message {
            blocks: vec![Block::Actions(vec![
                button(4, "Approve"),
                button(5, "Deny"),
            ])],
        };
        assert_eq!(
            keys_of(&approval),
            vec![
                ("👍".to_owned(), ButtonId(4)),
                ("👎".to_owned(), ButtonId(5))
            ]
        );
        let suggestions = Message {
            blocks: vec![Block::Actions(vec![
                button(6, "Attach 1"),
                button(7, "Attach 2"),
            ])],
        };
        assert_eq!(
            keys_of(&suggestions),
            vec![
                ("1️⃣".to_owned(), ButtonId(6)),
                ("2️⃣".to_owned(), ButtonId(7))
            ]
        );
    }
}
