//! Messages as plain, deterministic terminal text.

use crate::engine::message::{Block, Control, Message, Span};

fn spans(out: &mut String, spans: &[Span]) {
    for span in spans {
        match span {
            Span::Text(t) | Span::Bold(t) => out.push_str(t),
            Span::Mention(u) => {
                out.push('@');
                out.push_str(u.as_str().trim_start_matches('@'));
            }
            Span::Code(c) => out.push_str(c),
        }
    }
}

fn control(out: &mut String, control: &Control) {
    match control {
        Control::Button(b) => out.push_str(&format!("[{} {}]", b.id, b.label)),
        Control::Select { label, options } => {
            out.push_str(label);
            out.push(':');
            for b in options {
                out.push_str(&format!(" [{} {}]", b.id, b.label));
            }
        }
    }
}

/// The lines of a message, without indentation.
pub fn lines(message: &Message) -> Vec<String> {
    let mut lines = Vec::new();
    for block in &message.blocks {
        let mut line = String::new();
        match block {
            Block::Header(h) => line.push_str(h),
            Block::Text(s) | Block::Context(s) => spans(&mut line, s),
            Block::Fields(fields) => {
                for (i, (label, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        line.push_str(" · ");
                    }
                    line.push_str(label);
                    line.push_str(": ");
                    spans(&mut line, value);
                }
            }
            Block::Code(code) => {
                lines.extend(code.lines().map(|l| format!("  {l}")));
                continue;
            }
            Block::Actions(controls) => {
                for (i, c) in controls.iter().enumerate() {
                    if i > 0 {
                        line.push(' ');
                    }
                    control(&mut line, c);
                }
            }
        }
        lines.extend(line.lines().map(str::to_owned));
    }
    lines
}

/// A message posted under a heading such as `[#inc-1] warroom:`: one line stays on the
/// heading's line, more go below it, indented.
pub fn under(heading: &str, message: &Message) -> String {
    let lines = lines(message);
    match lines.as_slice() {
        [one] => format!("{heading} {one}\n"),
        many => {
            let mut out = format!("{heading}\n");
            for l in many {
                out.push_str("    ");
                out.push_str(l);
                out.push('\n');
            }
            out
        }
    }
}
