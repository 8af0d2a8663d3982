//! The engine's messages as Matrix message content: a plain `body`, Matrix HTML in
//! `formatted_body`, pills for mentions and `m.mentions` so that the people mentioned are
//! notified. Buttons become a line of choices, each with its emoji key and its id.

use serde_json::{Value, json};

use crate::domain::UserId;
use crate::engine::message::{Block, ButtonId, Control, Message, Span};

/// A rendered message: plain text, HTML and the Matrix ids it mentions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The plain `body`.
    pub plain: String,
    /// The `formatted_body` (`org.matrix.custom.html`).
    pub html: String,
    /// The Matrix user ids mentioned, for `m.mentions`.
    pub mentions: Vec<String>,
}

/// Whether a user id is a Matrix id (`@alice:example.org`), which gets a pill and a mention.
pub fn is_matrix_id(user: &str) -> bool {
    user.starts_with('@') && user.find(':').is_some_and(|i| i > 1 && i + 1 < user.len())
}

/// The matrix.to link of a person: the pill that clients show as their name.
pub fn pill(user: &str) -> String {
    format!(
        "<a href=\"https://matrix.to/#/{}\">{}</a>",
        escape(user),
        escape(user)
    )
}

/// Escapes text for HTML.
pub use crate::domain::escape_html as escape;

/// Renders a message; `keys` are the emoji keys of its buttons (see [`super::keys`]).
pub fn render(message: &Message, keys: &[(String, ButtonId)]) -> Rendered {
    let mut plain = Vec::new();
    let mut html = String::new();
    for block in &message.blocks {
        match block {
            Block::Header(text) => {
                plain.push(text.clone());
                html.push_str(&format!("<h4>{}</h4>", escape(text)));
            }
            Block::Text(spans) => {
                plain.push(plain_spans(spans));
                html.push_str(&format!("<p>{}</p>", html_spans(spans)));
            }
            Block::Context(spans) => {
                plain.push(plain_spans(spans));
                html.push_str(&format!("<p><em>{}</em></p>", html_spans(spans)));
            }
            Block::Fields(fields) => {
                let mut items = String::new();
                for (label, value) in fields {
                    plain.push(format!("{label}: {}", plain_spans(value)));
                    items.push_str(&format!(
                        "<li><b>{}</b>: {}</li>",
                        escape(label),
                        html_spans(value)
                    ));
                }
                html.push_str(&format!("<ul>{items}</ul>"));
            }
            Block::Code(code) => {
                plain.push(code.clone());
                html.push_str(&format!("<pre><code>{}</code></pre>", escape(code)));
            }
            Block::Actions(controls) => {
                let line = choices(controls, keys);
                html.push_str(&format!("<p>{}</p>", escape(&line)));
                plain.push(line);
            }
        }
    }
    if message
        .blocks
        .iter()
        .any(|b| matches!(b, Block::Actions(c) if !c.is_empty()))
    {
        let hint = "React with a key, or type !incident press <id> (e.g. !incident press b3).";
        plain.push(hint.to_owned());
        html.push_str(&format!("<p><em>{}</em></p>", escape(hint)));
    }
    let mentions = message
        .mentions()
        .into_iter()
        .map(UserId::as_str)
        .filter(|u| is_matrix_id(u))
        .map(str::to_owned)
        .collect();
    Rendered {
        plain: plain.join("\n"),
        html,
        mentions,
    }
}

/// `✅ Acknowledge [b3] · Identified [b4] · Severity: P0 [b7], P2 [b8]`.
fn choices(controls: &[Control], keys: &[(String, ButtonId)]) -> String {
    let key_of = |id: ButtonId| keys.iter().find(|(_, b)| *b == id).map(|(k, _)| k.as_str());
    let one = |id: ButtonId, label: &str| match key_of(id) {
        Some(key) => format!("{key} {label} [{id}]"),
        None => format!("{label} [{id}]"),
    };
    let parts: Vec<String> = controls
        .iter()
        .map(|control| match control {
            Control::Button(b) => one(b.id, &b.label),
            Control::Select { label, options } => {
                let options: Vec<String> = options.iter().map(|o| one(o.id, &o.label)).collect();
                format!("{label}: {}", options.join(", "))
            }
        })
        .collect();
    parts.join(" · ")
}

fn plain_spans(spans: &[Span]) -> String {
    Block::Text(spans.to_vec()).plain_line().unwrap_or_default()
}

fn html_spans(spans: &[Span]) -> String {
    let mut out = String::new();
    for span in spans {
        match span {
            Span::Text(t) => out.push_str(&escape(t)),
            Span::Bold(t) => out.push_str(&format!("<b>{}</b>", escape(t))),
            Span::Code(c) => out.push_str(&format!("<code>{}</code>", escape(c))),
            Span::Mention(user) if is_matrix_id(user.as_str()) => {
                out.push_str(&pill(user.as_str()))
            }
            Span::Mention(user) => out.push_str(&escape(&format!("@{user}"))),
            // Matrix has no user groups: the group's name, as people know it.
            Span::Group(group) => out.push_str(&escape(&format!("@{group}"))),
        }
    }
    out
}

/// The content of an `m.room.message` of this kind (`m.text`, `m.notice`).
pub fn content(msgtype: &str, rendered: &Rendered) -> Value {
    json!({
        "msgtype": msgtype,
        "body": rendered.plain,
        "format": "org.matrix.custom.html",
        "formatted_body": rendered.html,
        "m.mentions": { "user_ids": rendered.mentions },
    })
}

/// The content of an edit (`m.replace`) of `event_id` to show `rendered`. Nobody is notified
/// again by an edit: the outer `m.mentions` is empty.
pub fn edit(event_id: &str, msgtype: &str, rendered: &Rendered) -> Value {
    json!({
        "msgtype": msgtype,
        "body": format!("* {}", rendered.plain),
        "format": "org.matrix.custom.html",
        "formatted_body": format!("* {}", rendered.html),
        "m.mentions": {},
        "m.new_content": content(msgtype, rendered),
        "m.relates_to": { "rel_type": "m.replace", "event_id": event_id },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Severity;
    use crate::engine::message::{Button, ButtonRole, ButtonStyle};

    fn alice() -> UserId {
        UserId::parse("@alice:localhost").unwrap()
    }

    #[test]
    fn mentions_become_pills_and_m_mentions() {
        let message = Message::spans(vec![
            Span::Text("Paging ".into()),
            Span::Mention(alice()),
            Span::Text(" <now>".into()),
        ]);
        let r = render(&message, &[]);
        assert_eq!(r.plain, "Paging @alice:localhost <now>");
        assert_eq!(
            r.html,
            "<p>Paging <a href=\"https://matrix.to/#/@alice:localhost\">@alice:localhost</a> &lt;now&gt;</p>"
        );
        assert_eq!(r.mentions, ["@alice:localhost"]);
    }

    #[test]
    fn names_that_are_not_matrix_ids_are_not_pills() {
        let message = Message::spans(vec![Span::Mention(UserId::parse("bob").unwrap())]);
        let r = render(&message, &[]);
        assert_eq!(r.plain, "@bob");
        assert!(r.mentions.is_empty());
        assert!(!r.html.contains("matrix.to"));
    }

    #[test]
    fn buttons_are_listed_with_their_keys_and_ids() {
        let message = Message {
            blocks: vec![
                Block::Header("INC-1 · P1".into()),
                Block::Code("kubectl get pods".into()),
                Block::Actions(vec![
                    Control::Button(
                        Button::new(
                            ButtonId::from_row(3),
                            ButtonRole::Acknowledge,
                            "Acknowledge",
                        )
                        .styled(ButtonStyle::Primary),
                    ),
                    Control::Select {
                        label: "Severity".into(),
                        options: vec![Button::new(
                            ButtonId::from_row(7),
                            ButtonRole::Severity(Severity::P0),
                            "P0",
                        )],
                    },
                ]),
            ],
        };
        let r = render(&message, &[("✅".into(), ButtonId::from_row(3))]);
        assert!(
            r.plain.contains("✅ Acknowledge [b3] · Severity: P0 [b7]"),
            "{}",
            r.plain
        );
        assert!(r.plain.contains("!incident press"), "{}", r.plain);
        assert!(
            r.html
                .starts_with("<h4>INC-1 · P1</h4><pre><code>kubectl get pods</code></pre>")
        );
    }

    #[test]
    fn an_edit_replaces_the_event_and_notifies_nobody_again() {
        let r = render(&Message::spans(vec![Span::Mention(alice())]), &[]);
        let edit = edit("$card", "m.text", &r);
        assert_eq!(edit["m.relates_to"]["rel_type"], "m.replace");
        assert_eq!(edit["m.relates_to"]["event_id"], "$card");
        assert_eq!(edit["m.new_content"]["body"], "@alice:localhost");
        assert_eq!(edit["m.mentions"], json!({}));
    }
}
