//! Prevention items: kept as sentences for post-mortem follow-ups, not as steps. Nested items
//! and commands finish their parent's sentence (`After updates involving: a, b`).

use super::shell::split;
use super::text::one_line;

/// Adds a prevention item: a new entry at the top level, or the end of its parent's entry
/// when nested. Returns the entry it went into, for items nested under it.
pub fn add_item(entries: &mut Vec<String>, parent: Option<usize>, text: &str) -> Option<usize> {
    match parent.and_then(|p| entries.get_mut(p).map(|e| (p, e))) {
        Some((index, entry)) => {
            entry.push_str(if entry.ends_with(':') { " " } else { ", " });
            entry.push_str(text);
            Some(index)
        }
        None => {
            entries.push(text.to_owned());
            Some(entries.len() - 1)
        }
    }
}

/// Completes an entry that ends with a colon (`When switching branches:`) with the commands
/// of the block shown under it.
pub fn add_commands(entry: &mut String, body: &str) {
    if !entry.ends_with(':') {
        return;
    }
    let commands: Vec<String> = split(body)
        .into_iter()
        .filter_map(|s| s.command)
        .map(|c| format!("`{}`", one_line(&c)))
        .collect();
    if !commands.is_empty() {
        entry.push(' ');
        entry.push_str(&commands.join(", "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_items_and_commands_finish_their_parent() {
        let mut entries = Vec::new();
        let top = add_item(&mut entries, None, "After updates involving:");
        add_item(&mut entries, top, "`a`");
        add_item(&mut entries, top, "`b`");
        let next = add_item(&mut entries, None, "When switching branches:");
        add_commands(&mut entries[next.unwrap_or(0)], "# clean\nnpm run clean\n");
        assert_eq!(
            entries,
            [
                "After updates involving: `a`, `b`",
                "When switching branches: `npm run clean`"
            ]
        );
    }
}
