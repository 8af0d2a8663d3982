//! A template as people read it: one line of shell words, placeholders as `<name>`, each word
//! quoted only when it must be. Reading the line back gives the same template.

use super::Piece;

/// One argv element as a person would type it.
pub(super) fn show_element(element: &[Piece]) -> String {
    show_element_as(element, |name, out| {
        out.push('<');
        out.push_str(name);
        out.push('>');
    })
}

/// One argv element as a person would type it, each parameter written by `param`.
pub(super) fn show_element_as(element: &[Piece], param: impl Fn(&str, &mut String)) -> String {
    let literal: String = element
        .iter()
        .filter_map(|p| match p {
            Piece::Text(t) => Some(t.as_str()),
            Piece::Param(_) => None,
        })
        .collect();
    if element
        .iter()
        .all(|p| matches!(p, Piece::Text(t) if t.is_empty()))
    {
        return "\"\"".to_owned();
    }
    if literal.chars().all(is_plain) {
        return pieces(element, &param, |t, out| out.push_str(t));
    }
    if looks_like_placeholder(&literal) {
        // Only backslashes keep `\<name>` from reading back as a placeholder.
        return pieces(element, &param, |t, out| {
            for c in t.chars() {
                match c {
                    '\n' => out.push_str("'\n'"),
                    c if is_plain(c) => out.push(c),
                    c => {
                        out.push('\\');
                        out.push(c);
                    }
                }
            }
        });
    }
    let needs_escape = |c: char| matches!(c, '"' | '\\' | '$' | '`');
    if !literal.contains(needs_escape) || literal.contains('\'') {
        let body = pieces(element, &param, |t, out| {
            for c in t.chars() {
                if needs_escape(c) {
                    out.push('\\');
                }
                out.push(c);
            }
        });
        return format!("\"{body}\"");
    }
    format!("'{}'", pieces(element, &param, |t, out| out.push_str(t)))
}

/// The element's pieces, parameters written by `param` and text by `text`.
fn pieces(
    element: &[Piece],
    param: impl Fn(&str, &mut String),
    text: impl Fn(&str, &mut String),
) -> String {
    let mut out = String::new();
    for piece in element {
        match piece {
            Piece::Text(t) => text(t, &mut out),
            Piece::Param(name) => param(name, &mut out),
        }
    }
    out
}

/// Characters that mean nothing to a shell anywhere in a word.
fn is_plain(c: char) -> bool {
    c.is_alphanumeric() || "_./:=@%+,-".contains(c)
}

/// Whether text could read back as a placeholder (`<name>`, `{{name}}`) inside quotes.
fn looks_like_placeholder(text: &str) -> bool {
    text.contains("{{")
        || text
            .split('<')
            .skip(1)
            .any(|after| after.starts_with(|c: char| c.is_ascii_alphabetic()))
}
