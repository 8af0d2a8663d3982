//! Block Kit's limits (Slack drops a message that breaks one, so Warroom keeps to them), and
//! cutting text to fit.

/// Blocks in one message.
pub const MESSAGE_BLOCKS: usize = 50;
/// Blocks in one modal.
pub const MODAL_BLOCKS: usize = 100;
/// Elements in one actions block.
pub const ACTIONS_ELEMENTS: usize = 25;
/// Characters of a button's text.
pub const BUTTON_TEXT: usize = 75;
/// Characters of a button's value.
pub const BUTTON_VALUE: usize = 2000;
/// Characters of an action id.
pub const ACTION_ID: usize = 255;
/// Characters of a section's text.
pub const SECTION_TEXT: usize = 3000;
/// Fields in one section.
pub const SECTION_FIELDS: usize = 10;
/// Characters of one field.
pub const FIELD_TEXT: usize = 2000;
/// Characters of a header.
pub const HEADER_TEXT: usize = 150;
/// Elements in one context block.
pub const CONTEXT_ELEMENTS: usize = 10;
/// Characters of a confirm dialog's title.
pub const CONFIRM_TITLE: usize = 100;
/// Characters of a confirm dialog's text.
pub const CONFIRM_TEXT: usize = 300;
/// Characters of a confirm dialog's buttons.
pub const CONFIRM_BUTTON: usize = 30;
/// Characters of a modal's title, submit and close texts.
pub const MODAL_TITLE: usize = 24;
/// Characters of a modal's private metadata.
pub const PRIVATE_METADATA: usize = 3000;
/// Options of one select menu.
pub const SELECT_OPTIONS: usize = 100;
/// Characters of the plain-text fallback of a message that has blocks.
pub const FALLBACK_TEXT: usize = 3000;

/// `text` cut to at most `max` characters, ending in `…` when it was cut.
pub use crate::domain::fit;

/// `text` in pieces of at most `max` characters, broken at a newline where one is near.
pub fn chunks(text: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest: Vec<char> = text.chars().collect();
    while rest.len() > max {
        let window = &rest[..max];
        let cut = window
            .iter()
            .rposition(|&c| c == '\n')
            .filter(|&i| i >= max / 2)
            .map_or(max, |i| i + 1);
        out.push(rest[..cut].iter().collect());
        rest.drain(..cut);
    }
    if !rest.is_empty() || out.is_empty() {
        out.push(rest.into_iter().collect());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_with_an_ellipsis_and_counted_in_characters() {
        assert_eq!(fit("short", 75), "short");
        let cut = fit(&"é".repeat(100), 75);
        assert_eq!(cut.chars().count(), 75);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn long_text_is_chunked_at_newlines() {
        let text = format!("{}\n{}", "a".repeat(2500), "b".repeat(2500));
        let parts = chunks(&text, 3000);
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.chars().count() <= 3000));
        assert_eq!(parts.concat(), text);
        assert_eq!(chunks("", 10), [""]);
        assert_eq!(chunks(&"x".repeat(25), 10).len(), 3);
    }
}
