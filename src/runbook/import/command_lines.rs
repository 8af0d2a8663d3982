//! One shell command across lines: backslash continuations, quotes spanning lines, pipes
//! and `&&` at a line's end, heredocs; trailing `# comments` and `$ ` prompts removed.

/// The most lines one command spans; past it, an open quote is taken as a stray apostrophe.
const MAX_COMMAND_LINES: usize = 200;

/// Where a command's text stands after `text`: inside quotes, and where a comment starts.
#[derive(Default)]
struct Quotes {
    single: bool,
    double: bool,
}

/// Reads one physical line into `quotes`, returning it without a trailing `# comment`.
fn scan_line<'a>(line: &'a str, quotes: &mut Quotes) -> &'a str {
    let mut escaped = false;
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
            prev_space = false;
            continue;
        }
        match c {
            '\\' if !quotes.single => escaped = true,
            '\'' if !quotes.double => quotes.single = !quotes.single,
            '"' if !quotes.single => quotes.double = !quotes.double,
            '#' if !quotes.single && !quotes.double && prev_space => return line[..i].trim_end(),
            _ => {}
        }
        prev_space = c.is_whitespace();
    }
    line.trim_end()
}

/// Whether a line (comment already removed) asks for the next one: a backslash, or a pipe
/// or `&&` at its end.
fn continues(line: &str) -> bool {
    let trailing = line.chars().rev().take_while(|&c| c == '\\').count();
    trailing % 2 == 1 || line.ends_with("&&") || line.ends_with("||") || line.ends_with('|')
}

/// The word that ends a heredoc started on this line (`<<EOF`, `<<-'END'`).
fn heredoc_end(line: &str) -> Option<String> {
    let at = line.find("<<")?;
    let rest = line[at + 2..].trim_start_matches('-').trim_start();
    if rest.starts_with('<') {
        return None;
    }
    let word: String = rest
        .trim_start_matches(['\'', '"'])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some(word)
}

/// Reads one command starting at `lines[start]`; returns it and the index after it.
pub fn read_command(lines: &[&str], start: usize, prompt: bool) -> (String, usize) {
    let first = strip_prompt(lines[start], prompt);
    let mut quotes = Quotes::default();
    let mut parts = vec![scan_line(first, &mut quotes).to_owned()];
    let mut i = start + 1;
    if let Some(end) = heredoc_end(&parts[0]) {
        while i < lines.len() {
            parts.push(lines[i].trim_end().to_owned());
            i += 1;
            if lines[i - 1].trim() == end {
                break;
            }
        }
        return (parts.join("\n"), i);
    }
    while (quotes.single || quotes.double || continues(parts.last().map_or("", String::as_str)))
        && i < lines.len()
        && parts.len() < MAX_COMMAND_LINES
    {
        parts.push(scan_line(lines[i], &mut quotes).to_owned());
        i += 1;
    }
    if quotes.single || quotes.double {
        // A quote that never closes is a stray apostrophe, not a multi-line string.
        let mut quotes = Quotes::default();
        return (scan_line(first, &mut quotes).to_owned(), start + 1);
    }
    (parts.join("\n").trim_end().to_owned(), i)
}

/// A `$ ` prompt removed, when the block shows prompts.
fn strip_prompt(line: &str, prompt: bool) -> &str {
    let t = line.trim_start();
    match t.strip_prefix("$ ") {
        Some(rest) if prompt => rest,
        _ => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (String, usize) {
        let lines: Vec<&str> = text.lines().collect();
        read_command(&lines, 0, false)
    }

    #[test]
    fn a_quote_spanning_lines_keeps_them() {
        assert_eq!(
            read("psql -c \"\n  SELECT 1;\n\"\nls"),
            ("psql -c \"\n  SELECT 1;\n\"".into(), 3)
        );
    }

    #[test]
    fn backslashes_pipes_and_heredocs_continue() {
        assert_eq!(read("a \\\n  b\nc").0, "a \\\n  b");
        assert_eq!(read("a |\n  b\nc").0, "a |\n  b");
        assert_eq!(
            read("cat <<EOF\nx # kept\nEOF\nls").0,
            "cat <<EOF\nx # kept\nEOF"
        );
    }

    #[test]
    fn comments_and_prompts_are_removed() {
        assert_eq!(read("npx expo run:ios  # or android").0, "npx expo run:ios");
        assert_eq!(read("curl https://x/#/a").0, "curl https://x/#/a");
        let lines = ["$ kubectl get pods"];
        assert_eq!(read_command(&lines, 0, true).0, "kubectl get pods");
    }

    #[test]
    fn a_stray_apostrophe_ends_the_command_at_its_line() {
        assert_eq!(read("echo don't\nls\n"), ("echo don't".into(), 1));
    }
}
