//! Chat-neutral messages: what the engine says, before an adapter renders it as Block Kit,
//! Matrix HTML or terminal text.

use serde::{Deserialize, Serialize};

pub use crate::domain::ButtonId;
use crate::domain::{Action, Severity, Status, UserId};

/// A message: blocks in order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Message {
    /// The blocks, top to bottom.
    pub blocks: Vec<Block>,
}

/// One part of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Block {
    /// A bold title line.
    Header(String),
    /// A paragraph.
    Text(Vec<Span>),
    /// Labelled values, shown as a grid where the chat can.
    Fields(Vec<(String, Vec<Span>)>),
    /// Preformatted text (command output, a timeline).
    Code(String),
    /// Buttons and selects.
    Actions(Vec<Control>),
    /// Small print under the rest.
    Context(Vec<Span>),
}

/// A run of text inside a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Span {
    /// Plain text.
    Text(String),
    /// Emphasised text.
    Bold(String),
    /// A person, rendered as the chat's mention (and notifying them).
    Mention(UserId),
    /// Inline code.
    Code(String),
    /// A user group by the chat's id or name (Slack `S0614TZR7`), notifying its members.
    Group(String),
}

/// Something to press.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Control {
    /// One button.
    Button(Button),
    /// A choice of several, each a button behind the scenes (Slack shows a select menu).
    Select {
        /// What is being chosen.
        label: String,
        /// The choices.
        options: Vec<Button>,
    },
}

/// A button: its id, what it does, what it says and how it looks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    /// The id a press carries back.
    pub id: ButtonId,
    /// What pressing it does, for chats that offer buttons their own way (Matrix gives each
    /// role its emoji key). The views always set it; `None` only in a message written to the
    /// outbox before buttons had roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<ButtonRole>,
    /// What it says.
    pub label: String,
    /// How it looks.
    pub style: ButtonStyle,
    /// A question to ask before acting, for buttons that change much (chats that can ask it in
    /// a dialog do; the others just act).
    pub confirm: Option<String>,
}

/// What a button does, whatever its label says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ButtonRole {
    /// Acknowledge the incident.
    Acknowledge,
    /// Move the incident to a status.
    Status(Status),
    /// Resolve the incident.
    Resolve,
    /// Open a resolved incident again.
    Reopen,
    /// Change the incident's severity.
    Severity(Severity),
    /// Show the runbooks that fit the incident.
    Runbooks,
    /// Attach the suggested runbook of this rank (1 is the best match).
    Attach {
        /// Its place among the suggestions, from 1.
        rank: u32,
    },
    /// Run a runbook step's command.
    Run {
        /// The step's number.
        step: u32,
    },
    /// Mark a runbook step done.
    Done {
        /// The step's number.
        step: u32,
    },
    /// Skip a runbook step.
    Skip {
        /// The step's number.
        step: u32,
    },
    /// Approve an action request.
    Approve {
        /// The request's id (`r5`).
        request: String,
    },
    /// Deny an action request.
    Deny {
        /// The request's id (`r5`).
        request: String,
    },
}

impl ButtonRole {
    /// The role of a button that carries `action`. `None` for an attach, whose role needs the
    /// suggestion's rank ([`ButtonRole::Attach`]), and for actions no view offers as a button.
    pub fn of(action: &Action) -> Option<ButtonRole> {
        Some(match action {
            Action::Ack => ButtonRole::Acknowledge,
            Action::Status { status, .. } => ButtonRole::Status(*status),
            Action::Resolve { .. } => ButtonRole::Resolve,
            Action::Reopen { .. } => ButtonRole::Reopen,
            Action::Severity { severity, .. } => ButtonRole::Severity(*severity),
            Action::Runbook { .. } => ButtonRole::Runbooks,
            Action::Run { step, .. } => ButtonRole::Run { step: *step },
            Action::StepDone { step, .. } => ButtonRole::Done { step: *step },
            Action::StepSkip { step, .. } => ButtonRole::Skip { step: *step },
            Action::Approve { request } => ButtonRole::Approve {
                request: request.clone(),
            },
            Action::Deny { request, .. } => ButtonRole::Deny {
                request: request.clone(),
            },
            _ => return None,
        })
    }
}

impl Button {
    /// A neutral button that asks nothing before acting.
    pub fn new(id: ButtonId, role: ButtonRole, label: impl Into<String>) -> Button {
        Button {
            id,
            role: Some(role),
            label: label.into(),
            style: ButtonStyle::Default,
            confirm: None,
        }
    }

    /// The button in another style.
    pub fn styled(self, style: ButtonStyle) -> Button {
        Button { style, ..self }
    }

    /// The button asking `question` before it acts.
    pub fn confirming(self, question: impl Into<String>) -> Button {
        Button {
            confirm: Some(question.into()),
            ..self
        }
    }
}

/// How a button looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ButtonStyle {
    /// Neutral.
    Default,
    /// The expected next step.
    Primary,
    /// Something to think twice about.
    Danger,
}

/// A file to post into a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileUpload {
    /// The file name (`INC-7-postmortem.md`).
    pub name: String,
    /// A title shown with it.
    pub title: String,
    /// Its MIME type.
    pub mime: &'static str,
    /// The content.
    pub content: String,
}

impl Message {
    /// A message of one plain paragraph.
    pub fn text(text: impl Into<String>) -> Self {
        Message {
            blocks: vec![Block::Text(vec![Span::Text(text.into())])],
        }
    }

    /// A message of one paragraph of spans.
    pub fn spans(spans: Vec<Span>) -> Self {
        Message {
            blocks: vec![Block::Text(spans)],
        }
    }

    /// Everyone the message mentions, once each, in order.
    pub fn mentions(&self) -> Vec<&UserId> {
        let mut out: Vec<&UserId> = Vec::new();
        for block in &self.blocks {
            let spans: Vec<&Span> = match block {
                Block::Text(s) | Block::Context(s) => s.iter().collect(),
                Block::Fields(fields) => fields.iter().flat_map(|(_, s)| s.iter()).collect(),
                _ => Vec::new(),
            };
            for span in spans {
                if let Span::Mention(u) = span
                    && !out.contains(&u)
                {
                    out.push(u);
                }
            }
        }
        out
    }

    /// The message as plain text without markup, for logs and chats that only take text.
    pub fn plain_text(&self) -> String {
        let mut out = String::new();
        for block in &self.blocks {
            if !out.is_empty() {
                out.push('\n');
            }
            match block.plain_line() {
                Some(line) => out.push_str(&line),
                None => match block {
                    Block::Code(c) => out.push_str(c),
                    Block::Actions(controls) => {
                        let labels: Vec<&str> = controls
                            .iter()
                            .map(|c| match c {
                                Control::Button(b) => b.label.as_str(),
                                Control::Select { label, .. } => label.as_str(),
                            })
                            .collect();
                        out.push_str(&labels.join(" | "));
                    }
                    _ => {}
                },
            }
        }
        out
    }
}

impl Block {
    /// A text block (header, paragraph, fields, context) as one plain line: mentions as
    /// `@name`, inline code in backticks. `None` for code and actions, which each chat lays
    /// out its own way.
    pub fn plain_line(&self) -> Option<String> {
        fn spans(out: &mut String, spans: &[Span]) {
            for span in spans {
                match span {
                    Span::Text(t) | Span::Bold(t) => out.push_str(t),
                    Span::Mention(u) => {
                        out.push('@');
                        out.push_str(u.as_str().trim_start_matches('@'));
                    }
                    Span::Group(g) => {
                        out.push('@');
                        out.push_str(g);
                    }
                    Span::Code(c) => {
                        out.push('`');
                        out.push_str(c);
                        out.push('`');
                    }
                }
            }
        }
        let mut out = String::new();
        match self {
            Block::Header(h) => out.push_str(h),
            Block::Text(s) | Block::Context(s) => spans(&mut out, s),
            Block::Fields(fields) => {
                for (i, (label, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" · ");
                    }
                    out.push_str(label);
                    out.push_str(": ");
                    spans(&mut out, value);
                }
            }
            Block::Code(_) | Block::Actions(_) => return None,
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn button_ids_read_and_print_as_b_n() {
        assert_eq!("b12".parse::<ButtonId>().map(ButtonId::row), Ok(12));
        assert_eq!(ButtonId::from_row(3).to_string(), "b3");
        assert!("b".parse::<ButtonId>().is_err());
        assert!("12".parse::<ButtonId>().is_err());
        assert!("b99999999999999999999".parse::<ButtonId>().is_err());
    }

    #[test]
    fn a_button_written_before_roles_reads_back_without_one() {
        let old = r#"{"id":3,"label":"Acknowledge","style":"primary","confirm":null}"#;
        let button: Button = serde_json::from_str(old).unwrap();
        assert_eq!(button.role, None);
        let new = Button::new(ButtonId::from_row(4), ButtonRole::Run { step: 2 }, "Run");
        let back: Button = serde_json::from_str(&serde_json::to_string(&new).unwrap()).unwrap();
        assert_eq!(back, new);
    }

    #[test]
    fn mentions_are_collected_once_from_every_block() {
        let alice = UserId::parse("alice").unwrap();
        let msg = Message {
            blocks: vec![
                Block::Text(vec![Span::Mention(alice.clone())]),
                Block::Fields(vec![(
                    "Commander".into(),
                    vec![Span::Mention(alice.clone())],
                )]),
            ],
        };
        assert_eq!(msg.mentions(), vec![&alice]);
        assert_eq!(msg.plain_text(), "@alice\nCommander: @alice");
    }
}
