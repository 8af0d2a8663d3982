//! Buttons as reactions: which emoji key stands for which button of a message. Matrix has no
//! buttons, so each actionable message lists its choices with a key, and the bot reacts with
//! the keys first so that a person only has to click one. A key follows from what a button
//! does (its [`ButtonRole`]), never from what its label says.

use crate::engine::message::{Block, Button, ButtonId, ButtonRole, Control, Message};

/// The key that adds a message to the incident's timeline.
pub const PIN_KEY: &str = "📌";

/// The keycaps for steps and choices 1 to 10.
const DIGITS: [&str; 10] = ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟"];

/// The emoji key of each button of a message that has one, in the order they appear; a key
/// two buttons would share goes to the first.
pub fn keys_of(message: &Message) -> Vec<(String, ButtonId)> {
    let mut out: Vec<(String, ButtonId)> = Vec::new();
    let buttons = message.blocks.iter().flat_map(|block| match block {
        Block::Actions(controls) => controls.as_slice(),
        _ => &[],
    });
    for control in buttons {
        if let Control::Button(button) = control
            && let Some(key) = key_for(button)
            && !out.iter().any(|(k, _)| k == key)
        {
            out.push((key.to_owned(), button.id));
        }
    }
    out
}

/// The key of one button, by its role: a step's Run takes the keycap of the step's number,
/// a suggested runbook's Attach that of its rank.
fn key_for(button: &Button) -> Option<&'static str> {
    match button.role.as_ref()? {
        ButtonRole::Acknowledge => Some("✅"),
        ButtonRole::Approve { .. } => Some("👍"),
        ButtonRole::Deny { .. } => Some("👎"),
        ButtonRole::Resolve => Some("🏁"),
        ButtonRole::Reopen => Some("🔁"),
        ButtonRole::Runbooks => Some("📖"),
        ButtonRole::Run { step } => digit(*step),
        ButtonRole::Attach { rank } => digit(*rank),
        ButtonRole::Status(_)
        | ButtonRole::Severity(_)
        | ButtonRole::Done { .. }
        | ButtonRole::Skip { .. } => None,
    }
}

fn digit(n: u32) -> Option<&'static str> {
    let i = usize::try_from(n).ok()?.checked_sub(1)?;
    DIGITS.get(i).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Status;
    use crate::engine::message::Span;

    /// The button id `b<n>`.
    fn b(n: i64) -> ButtonId {
        format!("b{n}").parse().expect("a button id")
    }

    fn button(id: i64, role: ButtonRole, label: &str) -> Control {
        Control::Button(Button::new(b(id), role, label))
    }

    #[test]
    fn the_card_acknowledges_with_a_check_mark_and_resolves_with_a_flag() {
        let card = Message {
            blocks: vec![
                Block::Header("INC-1".into()),
                Block::Actions(vec![
                    button(1, ButtonRole::Acknowledge, "Acknowledge"),
                    button(2, ButtonRole::Status(Status::Identified), "Identified"),
                    button(3, ButtonRole::Resolve, "Resolve"),
                ]),
            ],
        };
        assert_eq!(
            keys_of(&card),
            vec![("✅".to_owned(), b(1)), ("🏁".to_owned(), b(3))]
        );
    }

    #[test]
    fn run_buttons_take_the_keycap_of_their_step() {
        let runbook = Message {
            blocks: vec![
                Block::Text(vec![Span::Text("2. Check pods".into())]),
                Block::Actions(vec![
                    button(7, ButtonRole::Run { step: 2 }, "Run"),
                    button(8, ButtonRole::Done { step: 2 }, "Done"),
                    button(9, ButtonRole::Skip { step: 2 }, "Skip"),
                ]),
                Block::Text(vec![Span::Text("3. Restart".into())]),
                Block::Actions(vec![button(10, ButtonRole::Run { step: 3 }, "Run")]),
                Block::Text(vec![Span::Text("12. Far away".into())]),
                Block::Actions(vec![button(11, ButtonRole::Run { step: 12 }, "Run")]),
            ],
        };
        assert_eq!(
            keys_of(&runbook),
            vec![("2️⃣".to_owned(), b(7)), ("3️⃣".to_owned(), b(10))]
        );
    }

    #[test]
    fn approvals_are_thumbs_and_suggestions_are_numbered() {
        let request = || "r5".to_owned();
        let approval = Message {
            blocks: vec![Block::Actions(vec![
                button(4, ButtonRole::Approve { request: request() }, "Approve"),
                button(5, ButtonRole::Deny { request: request() }, "Deny"),
            ])],
        };
        assert_eq!(
            keys_of(&approval),
            vec![("👍".to_owned(), b(4)), ("👎".to_owned(), b(5))]
        );
        let suggestions = Message {
            blocks: vec![Block::Actions(vec![
                button(6, ButtonRole::Attach { rank: 1 }, "Attach 1"),
                button(7, ButtonRole::Attach { rank: 2 }, "Attach 2"),
            ])],
        };
        assert_eq!(
            keys_of(&suggestions),
            vec![("1️⃣".to_owned(), b(6)), ("2️⃣".to_owned(), b(7))]
        );
    }

    #[test]
    fn a_key_follows_the_role_whatever_the_label_says() {
        let relabelled = Message {
            blocks: vec![
                // The step's line says nothing of its number any more.
                Block::Text(vec![Span::Text("Restart the API servers".into())]),
                Block::Actions(vec![
                    button(1, ButtonRole::Acknowledge, "I'm on it"),
                    button(2, ButtonRole::Resolve, "Resolve incident"),
                    button(3, ButtonRole::Run { step: 4 }, "Execute"),
                    button(4, ButtonRole::Attach { rank: 2 }, "Use this runbook"),
                    button(
                        5,
                        ButtonRole::Approve {
                            request: "r1".into(),
                        },
                        "LGTM",
                    ),
                ]),
            ],
        };
        assert_eq!(
            keys_of(&relabelled),
            vec![
                ("✅".to_owned(), b(1)),
                ("🏁".to_owned(), b(2)),
                ("4️⃣".to_owned(), b(3)),
                ("2️⃣".to_owned(), b(4)),
                ("👍".to_owned(), b(5)),
            ]
        );
        // And a label that reads like another button's does not take its key.
        let misleading = Message {
            blocks: vec![Block::Actions(vec![
                button(6, ButtonRole::Status(Status::Mitigated), "Acknowledge"),
                button(7, ButtonRole::Done { step: 1 }, "Run"),
            ])],
        };
        assert!(keys_of(&misleading).is_empty());
    }

    #[test]
    fn a_button_without_a_role_has_no_key() {
        let mut old = Button::new(b(1), ButtonRole::Acknowledge, "Acknowledge");
        old.role = None;
        let message = Message {
            blocks: vec![Block::Actions(vec![Control::Button(old)])],
        };
        assert!(keys_of(&message).is_empty());
    }
}
