//! The engine's messages as Block Kit: mrkdwn with Slack's mentions, buttons whose action id
//! and value are the engine's button ids, confirm dialogs where the engine asks a question, and
//! every Block Kit limit kept (long text split, long messages cut into pages).

use serde_json::{Value, json};

use super::limits::{self, fit};
use crate::engine::message::{Block, Button, ButtonStyle, Control, Message, Span};

/// A message ready for Slack: the fallback text and its blocks, in pages of at most 50.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The plain-text fallback shown in notifications.
    pub text: String,
    /// The blocks, in pages that each fit one message.
    pub pages: Vec<Vec<Value>>,
}

/// Renders a message; it takes as many pages as it needs.
pub fn render(message: &Message) -> Rendered {
    let mut blocks = Vec::new();
    for block in &message.blocks {
        render_block(block, &mut blocks);
    }
    let pages = if blocks.is_empty() {
        vec![Vec::new()]
    } else {
        blocks
            .chunks(limits::MESSAGE_BLOCKS)
            .map(<[Value]>::to_vec)
            .collect()
    };
    Rendered {
        text: fallback(message),
        pages,
    }
}

/// Renders a message into one page, for an edit: what does not fit is replaced by a line
/// saying how much was left out.
pub fn render_one(message: &Message) -> (String, Vec<Value>) {
    let mut rendered = render(message);
    let mut blocks = std::mem::take(&mut rendered.pages[0]);
    let more: usize = rendered.pages.iter().skip(1).map(Vec::len).sum();
    if more > 0 {
        blocks.pop();
        blocks.push(context(&format!(
            "_{} more blocks did not fit in one Slack message_",
            more + 1
        )));
    }
    (rendered.text, blocks)
}

/// The `text` of a message: one line per text block, in Slack's markup like the blocks, so
/// that text from people or alerts is escaped (a title of `<!channel>` pings nobody) while
/// Warroom's own mentions stay mentions. Code and buttons are left to the blocks.
fn fallback(message: &Message) -> String {
    let mut out = String::new();
    for block in &message.blocks {
        if let Some(line) = fallback_line(block) {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&line);
        }
    }
    if out.is_empty() {
        out = escape(&message.plain_text());
    }
    fit_escaped(&out, limits::FALLBACK_TEXT)
}

/// A text block as one line of escaped text with Slack mentions; `None` for code and actions.
fn fallback_line(block: &Block) -> Option<String> {
    fn spans(out: &mut String, spans: &[Span]) {
        for span in spans {
            match span {
                Span::Text(t) | Span::Bold(t) => out.push_str(&escape(t)),
                Span::Code(c) => {
                    out.push('`');
                    out.push_str(&escape(c));
                    out.push('`');
                }
                Span::Mention(_) | Span::Group(_) => out.push_str(&mention(span)),
            }
        }
    }
    let mut out = String::new();
    match block {
        Block::Header(h) => out.push_str(&escape(h)),
        Block::Text(s) | Block::Context(s) => spans(&mut out, s),
        Block::Fields(fields) => {
            for (i, (label, value)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(" · ");
                }
                out.push_str(&escape(label));
                out.push_str(": ");
                spans(&mut out, value);
            }
        }
        Block::Code(_) | Block::Actions(_) => return None,
    }
    Some(out)
}

/// Escaped text cut to at most `max` characters, ending in `…` when it was cut, and never
/// inside an entity (`&amp;`) or a mention (`<@U…>`), which would leave a stray `&` or `<`.
pub fn fit_escaped(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    if let Some(open) = out.rfind('<')
        && !out[open..].contains('>')
    {
        out.truncate(open);
    }
    if let Some(amp) = out.rfind('&')
        && !out[amp..].contains(';')
    {
        out.truncate(amp);
    }
    out.push('…');
    out
}

fn render_block(block: &Block, out: &mut Vec<Value>) {
    match block {
        Block::Header(text) => out.push(json!({
            "type": "header",
            "text": plain(&fit(text, limits::HEADER_TEXT)),
        })),
        Block::Text(spans) => {
            for part in limits::chunks(&mrkdwn(spans), limits::SECTION_TEXT) {
                out.push(section(&part));
            }
        }
        Block::Fields(fields) => {
            let fields: Vec<Value> = fields
                .iter()
                .map(|(label, value)| {
                    let text = format!("*{}*\n{}", escape(label), mrkdwn(value));
                    json!({"type": "mrkdwn", "text": fit(&text, limits::FIELD_TEXT)})
                })
                .collect();
            for group in fields.chunks(limits::SECTION_FIELDS) {
                out.push(json!({"type": "section", "fields": group}));
            }
        }
        Block::Code(code) => {
            // The fence takes 6 characters of each section's 3000.
            for part in limits::chunks(code, limits::SECTION_TEXT - 8) {
                let part = part.replace("```", "`\u{200b}``");
                out.push(section(&format!("```{}```", escape(&part))));
            }
        }
        Block::Actions(controls) => {
            let elements: Vec<Value> = controls.iter().flat_map(control).collect();
            for group in elements.chunks(limits::ACTIONS_ELEMENTS) {
                out.push(json!({"type": "actions", "elements": group}));
            }
        }
        Block::Context(spans) => out.push(context(&mrkdwn(spans))),
    }
}

fn section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": fit(text, limits::SECTION_TEXT)}})
}

fn context(text: &str) -> Value {
    json!({"type": "context", "elements": [{"type": "mrkdwn", "text": fit(text, limits::SECTION_TEXT)}]})
}

fn plain(text: &str) -> Value {
    json!({"type": "plain_text", "text": text, "emoji": true})
}

fn control(control: &Control) -> Vec<Value> {
    match control {
        Control::Button(b) => vec![button(b)],
        Control::Select { label, options } => {
            let Some(first) = options.first() else {
                return Vec::new();
            };
            let options: Vec<Value> = options
                .iter()
                .take(limits::SELECT_OPTIONS)
                .map(|o| {
                    json!({
                        "text": plain(&fit(&o.label, limits::BUTTON_TEXT)),
                        "value": o.id.to_string(),
                    })
                })
                .collect();
            vec![json!({
                "type": "static_select",
                "action_id": format!("select-{}", first.id),
                "placeholder": plain(&fit(label, limits::BUTTON_TEXT)),
                "options": options,
            })]
        }
    }
}

fn button(b: &Button) -> Value {
    let label = fit(&b.label, limits::BUTTON_TEXT);
    let mut value = json!({
        "type": "button",
        "action_id": fit(&b.id.to_string(), limits::ACTION_ID),
        "value": fit(&b.id.to_string(), limits::BUTTON_VALUE),
        "text": plain(&label),
    });
    match b.style {
        ButtonStyle::Default => {}
        ButtonStyle::Primary => value["style"] = json!("primary"),
        ButtonStyle::Danger => value["style"] = json!("danger"),
    }
    if let Some(question) = &b.confirm {
        value["confirm"] = json!({
            "title": plain(&fit(&format!("{label}?"), limits::CONFIRM_TITLE)),
            "text": plain(&fit(question, limits::CONFIRM_TEXT)),
            "confirm": plain(&fit(&label, limits::CONFIRM_BUTTON)),
            "deny": plain("Cancel"),
        });
    }
    value
}

/// Spans as Slack mrkdwn: text escaped, people as `<@U…>`, groups as `<!subteam^S…>`.
pub fn mrkdwn(spans: &[Span]) -> String {
    let mut out = String::new();
    for span in spans {
        match span {
            Span::Text(t) => out.push_str(&escape(t)),
            Span::Bold(t) if t.trim().is_empty() => out.push_str(&escape(t)),
            Span::Bold(t) => {
                out.push('*');
                out.push_str(&escape(&t.replace('*', "∗")));
                out.push('*');
            }
            Span::Code(c) => {
                out.push('`');
                out.push_str(&escape(&c.replace('`', "'")));
                out.push('`');
            }
            Span::Mention(_) | Span::Group(_) => out.push_str(&mention(span)),
        }
    }
    out
}

/// A person as `<@U…>` and a group as `<!subteam^S…>` when they are Slack ids, else as
/// escaped `@name` text; any other span as escaped text.
fn mention(span: &Span) -> String {
    match span {
        Span::Mention(user) => {
            let id = user.as_str();
            if is_slack_id(id, &['U', 'W']) {
                format!("<@{id}>")
            } else {
                format!("@{}", escape(id.trim_start_matches('@')))
            }
        }
        Span::Group(group) => {
            if is_slack_id(group, &['S']) {
                format!("<!subteam^{group}>")
            } else {
                format!("@{}", escape(group))
            }
        }
        Span::Text(t) | Span::Bold(t) | Span::Code(t) => escape(t),
    }
}

/// Whether `id` looks like a Slack id starting with one of `first` (`U024BE7LH`).
pub fn is_slack_id(id: &str, first: &[char]) -> bool {
    id.len() >= 2
        && id.len() <= 24
        && id.starts_with(first)
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Escapes the three characters Slack's mrkdwn reserves.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserId;
    use crate::engine::message::ButtonId;

    fn button(id: i64, label: &str, style: ButtonStyle) -> Control {
        Control::Button(Button {
            id: ButtonId::from_row(id),
            role: None,
            label: label.into(),
            style,
            confirm: (style == ButtonStyle::Danger).then(|| "q".repeat(400)),
        })
    }

    #[test]
    fn people_and_groups_become_slack_mentions_and_text_is_escaped() {
        let spans = vec![
            Span::Mention(UserId::parse("U024BE7LH").unwrap()),
            Span::Text(" & <b> ".into()),
            Span::Group("S0614TZR7".into()),
            Span::Text(" ".into()),
            Span::Group("sre".into()),
            Span::Text(" ".into()),
            Span::Mention(UserId::parse("alice").unwrap()),
            Span::Code("a`b".into()),
        ];
        assert_eq!(
            mrkdwn(&spans),
            "<@U024BE7LH> &amp; &lt;b&gt; <!subteam^S0614TZR7> @sre @alice`a'b`"
        );
    }

    #[test]
    fn the_fallback_text_escapes_what_people_wrote_and_keeps_warrooms_mentions() {
        let msg = Message {
            blocks: vec![
                Block::Header("INC-1 — <!channel> db down <!subteam^S123>".into()),
                Block::Text(vec![
                    Span::Text("paging ".into()),
                    Span::Mention(UserId::parse("U024BE7LH").unwrap()),
                    Span::Text(" ".into()),
                    Span::Group("S0614TZR7".into()),
                    Span::Text(" <!here> & <@U0EVE>".into()),
                    Span::Code("<!everyone>".into()),
                ]),
                Block::Fields(vec![(
                    "<!here>".into(),
                    vec![Span::Bold("<@U0BOB>".into())],
                )]),
                Block::Code("<!channel>".into()),
            ],
        };
        assert_eq!(
            render(&msg).text,
            "INC-1 — &lt;!channel&gt; db down &lt;!subteam^S123&gt;\n\
             paging <@U024BE7LH> <!subteam^S0614TZR7> &lt;!here&gt; &amp; &lt;@U0EVE&gt;\
             `&lt;!everyone&gt;`\n\
             &lt;!here&gt;: &lt;@U0BOB&gt;"
        );
        // Only code: the plain text, escaped.
        let code = Message {
            blocks: vec![Block::Code("<!channel>".into())],
        };
        assert_eq!(render(&code).text, "&lt;!channel&gt;");
    }

    #[test]
    fn escaped_text_is_never_cut_inside_an_entity_or_a_mention() {
        assert_eq!(fit_escaped("a &amp; b", 20), "a &amp; b");
        assert_eq!(fit_escaped("ab &amp; c", 6), "ab …");
        assert_eq!(fit_escaped("ab <@U024BE7LH> c", 8), "ab …");
        assert_eq!(fit_escaped("ab &lt;!here&gt;", 9), "ab &lt;!…");
        for max in 1..40 {
            let cut = fit_escaped(&escape("x <!channel> & <@U1> y"), max);
            assert!(cut.chars().count() <= max, "{cut}");
            assert!(!cut.contains('<') && !cut.contains('>'), "{cut}");
            let amps = cut.matches('&').count();
            let entities = cut.matches("&lt;").count()
                + cut.matches("&gt;").count()
                + cut.matches("&amp;").count();
            assert_eq!(amps, entities, "{cut}");
        }
    }

    #[test]
    fn buttons_carry_their_id_and_danger_asks_to_confirm() {
        let msg = Message {
            blocks: vec![Block::Actions(vec![
                button(3, "Acknowledge", ButtonStyle::Primary),
                button(4, &"R".repeat(100), ButtonStyle::Danger),
            ])],
        };
        let page = &render(&msg).pages[0];
        let elements = page[0]["elements"].as_array().unwrap();
        assert_eq!(elements[0]["action_id"], "b3");
        assert_eq!(elements[0]["value"], "b3");
        assert_eq!(elements[0]["style"], "primary");
        assert!(elements[0].get("confirm").is_none());
        let text = elements[1]["text"]["text"].as_str().unwrap();
        assert_eq!(text.chars().count(), 75);
        let confirm = &elements[1]["confirm"];
        assert!(confirm["title"]["text"].as_str().unwrap().chars().count() <= 100);
        assert_eq!(
            confirm["text"]["text"].as_str().unwrap().chars().count(),
            300
        );
        assert!(confirm["confirm"]["text"].as_str().unwrap().chars().count() <= 30);
    }

    #[test]
    fn long_messages_are_paged_and_every_limit_is_kept() {
        let mut blocks = vec![Block::Header("H".repeat(400))];
        blocks.push(Block::Actions(
            (0..60)
                .map(|i| button(i, "Run", ButtonStyle::Default))
                .collect(),
        ));
        blocks.push(Block::Code("line\n".repeat(2000)));
        blocks.push(Block::Fields(
            (0..23)
                .map(|i| (format!("f{i}"), vec![Span::Text("v".into())]))
                .collect(),
        ));
        for i in 0..70 {
            blocks.push(Block::Text(vec![Span::Text(format!("item {i}"))]));
        }
        let rendered = render(&Message { blocks });
        assert!(rendered.pages.len() >= 2);
        let all: Vec<&Value> = rendered.pages.iter().flatten().collect();
        for page in &rendered.pages {
            assert!(page.len() <= 50);
        }
        assert_eq!(
            all[0]["text"]["text"].as_str().unwrap().chars().count(),
            150
        );
        let actions: Vec<&&Value> = all.iter().filter(|b| b["type"] == "actions").collect();
        assert_eq!(actions.len(), 3);
        assert!(
            actions
                .iter()
                .all(|a| a["elements"].as_array().unwrap().len() <= 25)
        );
        for b in &all {
            if let Some(t) = b["text"]["text"].as_str() {
                assert!(t.chars().count() <= 3000);
            }
            if let Some(f) = b["fields"].as_array() {
                assert!(f.len() <= 10);
            }
        }
        let (_, one) = render_one(&Message {
            blocks: (0..70)
                .map(|i| Block::Text(vec![Span::Text(i.to_string())]))
                .collect(),
        });
        assert_eq!(one.len(), 50);
        assert!(
            one[49]["elements"][0]["text"]
                .as_str()
                .unwrap()
                .contains("21 more")
        );
    }
}
