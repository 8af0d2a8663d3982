//! Messages as plain, deterministic terminal text.

use crate::engine::message::{Block, Control, Message};

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
        match block {
            Block::Code(code) => lines.extend(code.lines().map(|l| format!("  {l}"))),
            Block::Actions(controls) => {
                let mut line = String::new();
                for (i, c) in controls.iter().enumerate() {
                    if i > 0 {
                        line.push(' ');
                    }
                    control(&mut line, c);
                }
                lines.push(line);
            }
            text => {
                let line = text.plain_line().unwrap_or_default();
                lines.extend(line.lines().map(str::to_owned));
            }
        }
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
