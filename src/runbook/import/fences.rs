//! Code fences as people write them: the "closed by ```text" quirk, and Warroom's annotations
//! (` ```sh action=restart-api risk=write timeout=60s `).

use crate::domain::Risk;

/// A fence line: its character, its length and what follows it.
struct FenceLine<'a> {
    indent: &'a str,
    ch: char,
    len: usize,
    info: &'a str,
}

fn fence_line(line: &str) -> Option<FenceLine<'_>> {
    let rest = line.trim_start_matches([' ', '\t']);
    let indent = &line[..line.len() - rest.len()];
    let ch = rest.chars().next().filter(|&c| c == '`' || c == '~')?;
    let len = rest.chars().take_while(|&c| c == ch).count();
    if len < 3 {
        return None;
    }
    let info = rest[len..].trim();
    if ch == '`' && info.contains('`') {
        return None;
    }
    Some(FenceLine {
        indent,
        ch,
        len,
        info,
    })
}

/// Whether an info string is one word, so that the line may be a "closing" fence in disguise.
fn is_single_word(info: &str) -> bool {
    !info.is_empty()
        && info
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_+.#".contains(c))
}

/// Whether a line inside a code block looks like Markdown that a swallowing fence has eaten.
fn looks_like_markdown_structure(line: &str) -> bool {
    let t = line.trim_start();
    let hashes = t.chars().take_while(|&c| c == '#').count();
    (2..=6).contains(&hashes) && t[hashes..].starts_with(' ')
        || t.starts_with("- [ ]")
        || t.starts_with("- [x]")
}

/// Where quirk closers are: a line like ```` ```text ```` inside an open fence, which
/// CommonMark reads as code but whose author meant it to close the block.
fn quirk_closers(lines: &[&str], quirky: bool) -> (Vec<usize>, bool, bool) {
    let mut closers = Vec::new();
    let mut open: Option<(char, usize)> = None;
    let mut swallowed = false;
    let mut seen_quirk_in_block = false;
    for (i, line) in lines.iter().enumerate() {
        match (open, fence_line(line)) {
            (None, Some(f)) => {
                open = Some((f.ch, f.len));
                seen_quirk_in_block = false;
            }
            (Some((ch, len)), Some(f)) if f.ch == ch && f.len >= len && f.info.is_empty() => {
                open = None;
            }
            (Some((ch, len)), Some(f)) if f.ch == ch && f.len >= len && is_single_word(f.info) => {
                if quirky {
                    closers.push(i);
                    open = None;
                } else {
                    seen_quirk_in_block = true;
                }
            }
            (Some(_), _) if seen_quirk_in_block && looks_like_markdown_structure(line) => {
                swallowed = true;
            }
            _ => {}
        }
    }
    (closers, open.is_some(), swallowed)
}

/// Rewrites fences closed by a line carrying an info string (```` ```text ````) into plain
/// closing fences, when the text reads better that way: strictly parsed, a fence would stay
/// open to the end or swallow headings. Line numbers are kept.
pub fn repair_quirky_closers(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let (_, left_open, swallowed) = quirk_closers(&lines, false);
    if !left_open && !swallowed {
        return text.to_owned();
    }
    let (closers, _, _) = quirk_closers(&lines, true);
    if closers.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut next = closers.iter().peekable();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match (next.peek(), fence_line(line)) {
            (Some(&&at), Some(f)) if at == i => {
                next.next();
                out.push_str(f.indent);
                out.extend(std::iter::repeat_n(f.ch, f.len));
            }
            _ => out.push_str(line),
        }
    }
    out
}

/// Whether a fenced block opened on `block_source` (its text from the opening fence on) ends
/// with a closing fence.
pub fn is_closed(block_source: &str) -> bool {
    let mut lines = block_source.lines();
    let Some(opening) = lines.next().and_then(|l| {
        let at = l.find(['`', '~'])?;
        fence_line(&l[at..]).map(|f| (f.ch, f.len))
    }) else {
        return true;
    };
    let Some(last) = lines.rfind(|l| !l.trim().is_empty()) else {
        return false;
    };
    let last = last.trim_start_matches([' ', '\t', '>']);
    fence_line(last).is_some_and(|f| f.ch == opening.0 && f.len >= opening.1 && f.info.is_empty())
}

/// What a fence's info string says: its language and Warroom's annotations.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FenceInfo {
    /// The language word (`sh`, `bash`, `text`), lowercase; empty when none.
    pub language: String,
    /// `action=NAME`.
    pub action: Option<String>,
    /// `risk=read|write|dangerous`.
    pub risk: Option<Risk>,
    /// `timeout=60s`, in seconds.
    pub timeout_secs: Option<u64>,
    /// What was wrong with the annotations, one sentence each.
    pub problems: Vec<String>,
}

impl FenceInfo {
    /// Whether the block is marked as shell code.
    pub fn is_shell(&self) -> bool {
        matches!(
            self.language.as_str(),
            "sh" | "bash"
                | "shell"
                | "zsh"
                | "console"
                | "terminal"
                | "shell-session"
                | "shellsession"
        )
    }

    /// Whether the block is marked as SQL.
    pub fn is_sql(&self) -> bool {
        matches!(
            self.language.as_str(),
            "sql" | "psql" | "pgsql" | "postgresql" | "postgres" | "mysql" | "plpgsql"
        )
    }

    /// Whether the block names no language, so that only its text can tell what it holds.
    pub fn is_untyped(&self) -> bool {
        self.language.is_empty()
    }
}

/// Reads a timeout such as `60s`, `60`, `2m` or `1h` into seconds.
fn parse_timeout(value: &str) -> Option<u64> {
    let v = value.trim().to_ascii_lowercase();
    let digits_end = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let number: u64 = v[..digits_end].parse().ok()?;
    let factor = match &v[digits_end..] {
        "" | "s" | "sec" | "secs" | "seconds" => 1,
        "m" | "min" | "mins" | "minutes" => 60,
        "h" | "hr" | "hours" => 3600,
        _ => return None,
    };
    number.checked_mul(factor).filter(|&s| s > 0)
}

/// Reads a fence's info string.
pub fn parse_info(info: &str) -> FenceInfo {
    let mut out = FenceInfo::default();
    let info = info.trim().trim_start_matches('{').trim_end_matches('}');
    for (i, token) in info.split_whitespace().enumerate() {
        let Some((key, value)) = token.split_once('=') else {
            if i == 0 {
                out.language = token.trim_start_matches('.').to_ascii_lowercase();
            } else {
                out.problems.push(format!(
                    "fence annotation '{}' has no value (use key=value)",
                    shorten(token)
                ));
            }
            continue;
        };
        let value = value.trim_matches(['"', '\'']);
        match key.to_ascii_lowercase().as_str() {
            "action" if !value.is_empty() => out.action = Some(value.to_owned()),
            "action" => out
                .problems
                .push("fence annotation action= is empty".into()),
            "risk" => match value.parse::<Risk>() {
                Ok(risk) => out.risk = Some(risk),
                Err(()) => out.problems.push(format!(
                    "unknown risk '{}' in fence annotation (use read, write or dangerous)",
                    shorten(value)
                )),
            },
            "timeout" => match parse_timeout(value) {
                Some(secs) => out.timeout_secs = Some(secs),
                None => out.problems.push(format!(
                    "timeout '{}' in fence annotation is not a duration like 60s or 2m",
                    shorten(value)
                )),
            },
            other => out.problems.push(format!(
                "unknown fence annotation '{}' (known: action, risk, timeout)",
                shorten(other)
            )),
        }
    }
    out
}

/// A value cut short for a problem message.
fn shorten(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_closed_by_an_info_string_are_repaired() {
        let text = "```bash\nls\n```text\n\n## Next\n\n```bash\npwd\n```text\n";
        let fixed = repair_quirky_closers(text);
        assert_eq!(fixed, "```bash\nls\n```\n\n## Next\n\n```bash\npwd\n```\n");
    }

    #[test]
    fn correct_nested_examples_are_left_alone() {
        let text = "````markdown\n```bash\nls\n```\n````\n";
        assert_eq!(repair_quirky_closers(text), text);
        let text = "```markdown\nexample:\n```bash\n```\n";
        assert_eq!(repair_quirky_closers(text), text);
    }

    #[test]
    fn annotations_are_read() {
        let info = parse_info("sh action=restart-api risk=write timeout=60s");
        assert_eq!(info.language, "sh");
        assert_eq!(info.action.as_deref(), Some("restart-api"));
        assert_eq!(info.risk, Some(Risk::Write));
        assert_eq!(info.timeout_secs, Some(60));
        assert!(info.problems.is_empty());
    }

    #[test]
    fn bad_annotations_are_problems() {
        let info = parse_info("sh risk=maybe colour=red timeout=soon");
        assert_eq!(info.problems.len(), 3, "{:?}", info.problems);
        assert_eq!(info.risk, None);
    }

    #[test]
    fn closing_is_detected() {
        assert!(is_closed("```bash\nls\n```\n"));
        assert!(!is_closed("```bash\nls\n"));
        assert!(!is_closed("```bash\n"));
    }
}
