//! Splitting a runbook command into argv elements by the shell's quoting rules (as the
//! `shell-words` crate does), while noting where placeholders stand. Whatever needs a shell
//! to mean what it says (pipes, redirections, `$(…)`) is refused rather than passed on as text.

use super::name::{MAX_NAME_CHARS, normalize_param_name};
use super::{Element, Piece, TemplateError};

/// The most characters of an offending expansion quoted in an error.
const MAX_SHOWN: usize = 40;

/// The argv elements of `command`.
pub(super) fn split(command: &str) -> Result<Vec<Element>, TemplateError> {
    let mut parser = Parser {
        chars: command.chars().collect(),
        at: 0,
        elements: Vec::new(),
        word: None,
        ended_line: false,
    };
    parser.run()?;
    if parser.elements.is_empty() {
        return Err(TemplateError::Empty);
    }
    Ok(parser.elements)
}

struct Parser {
    chars: Vec<char>,
    at: usize,
    elements: Vec<Element>,
    /// The element being read; `Some` even when empty (`""` is an argument).
    word: Option<Element>,
    /// Whether an unescaped newline followed the words read so far.
    ended_line: bool,
}

impl Parser {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    fn run(&mut self) -> Result<(), TemplateError> {
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' | '\r' => {
                    self.finish_word();
                    self.at += 1;
                }
                '\n' => {
                    self.finish_word();
                    self.ended_line = !self.elements.is_empty();
                    self.at += 1;
                }
                '#' if self.word.is_none() => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.at += 1;
                    }
                }
                '\\' => match (self.peek(1), self.peek(2)) {
                    (None, _) => return Err(TemplateError::TrailingBackslash),
                    (Some('\n'), _) => self.at += 2,
                    (Some('\r'), Some('\n')) => self.at += 3,
                    (Some(next), _) => {
                        self.push_char(next)?;
                        self.at += 2;
                    }
                },
                '\'' => {
                    self.start_word()?;
                    self.single_quoted()?;
                }
                '"' => {
                    self.start_word()?;
                    self.double_quoted()?;
                }
                '$' => self.dollar(false)?,
                '<' | '{' if self.placeholder()? => {}
                '<' => return Err(shell("a redirection `<`")),
                '>' => return Err(shell("a redirection `>`")),
                '|' => return Err(shell("a pipe `|`")),
                '&' => return Err(shell("`&`")),
                ';' => return Err(shell("`;`")),
                '(' | ')' => return Err(shell("parentheses")),
                '`' => return Err(shell("command substitution (backticks)")),
                _ => {
                    self.push_char(c)?;
                    self.at += 1;
                }
            }
        }
        self.finish_word();
        Ok(())
    }

    /// Reads `'…'` from its opening quote. Nothing is special inside but runbook placeholders
    /// (`'{"replicas":<replicas>}'`): `$` stays text, as in a shell.
    fn single_quoted(&mut self) -> Result<(), TemplateError> {
        self.at += 1;
        loop {
            match self.peek(0) {
                None => return Err(TemplateError::UnclosedQuote('\'')),
                Some('\'') => {
                    self.at += 1;
                    return Ok(());
                }
                Some('<' | '{') if self.placeholder()? => {}
                Some(c) => {
                    self.push_char(c)?;
                    self.at += 1;
                }
            }
        }
    }

    /// Reads `"…"` from its opening quote: `$NAME` and placeholders are parameters; a backslash
    /// escapes only `$`, `` ` ``, `"`, `\` and a newline.
    fn double_quoted(&mut self) -> Result<(), TemplateError> {
        self.at += 1;
        loop {
            match self.peek(0) {
                None => return Err(TemplateError::UnclosedQuote('"')),
                Some('"') => {
                    self.at += 1;
                    return Ok(());
                }
                Some('\\') => match (self.peek(1), self.peek(2)) {
                    (None, _) => return Err(TemplateError::UnclosedQuote('"')),
                    (Some('\n'), _) => self.at += 2,
                    (Some('\r'), Some('\n')) => self.at += 3,
                    (Some(next @ ('$' | '`' | '"' | '\\')), _) => {
                        self.push_char(next)?;
                        self.at += 2;
                    }
                    (Some(_), _) => {
                        self.push_char('\\')?;
                        self.at += 1;
                    }
                },
                Some('$') => self.dollar(true)?,
                Some('`') => return Err(shell("command substitution (backticks)")),
                Some('<' | '{') if self.placeholder()? => {}
                Some(c) => {
                    self.push_char(c)?;
                    self.at += 1;
                }
            }
        }
    }

    /// Reads what starts with `$`: `$NAME` or `${NAME}` is a parameter; `$(…)`, `$1`, `${X:-y}`
    /// and the like are refused; a `$` that starts nothing is text.
    fn dollar(&mut self, quoted: bool) -> Result<(), TemplateError> {
        match self.peek(1) {
            Some('(') => Err(shell("command substitution `$(…)`")),
            Some('{') => {
                let close = (self.at + 2..self.chars.len()).find(|&i| self.chars[i] == '}');
                let inner: Option<String> =
                    close.map(|end| self.chars[self.at + 2..end].iter().collect());
                match (close, inner.as_deref().filter(|n| is_shell_name(n))) {
                    (Some(end), Some(name)) => {
                        let name = name.to_owned();
                        self.push_param(&name)?;
                        self.at = end + 1;
                        Ok(())
                    }
                    _ => Err(self.unsupported(close.map_or(self.chars.len(), |end| end + 1))),
                }
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let len = self.chars[self.at + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                    .count();
                let name: String = self.chars[self.at + 1..self.at + 1 + len].iter().collect();
                if normalize_param_name(&name).is_none() {
                    return Err(self.unsupported(self.at + 1 + len)); // `$_`
                }
                self.push_param(&name)?;
                self.at += 1 + len;
                Ok(())
            }
            Some(c) if c.is_ascii_digit() || "@*#?$!-".contains(c) => {
                Err(self.unsupported(self.at + 2))
            }
            Some('\'') if !quoted => Err(self.unsupported(self.at + 2)),
            _ => {
                self.push_char('$')?;
                self.at += 1;
                Ok(())
            }
        }
    }

    /// Reads a `<name>` or `{{name}}` placeholder at the cursor; false (nothing read) when
    /// there is none, so that `a < b` in a quoted SQL string or a Go template stays text.
    fn placeholder(&mut self) -> Result<bool, TemplateError> {
        let rest = &self.chars[self.at..];
        let found = if rest.first() == Some(&'<') {
            let len = name_len(&rest[1..]);
            (len > 0 && rest.get(1 + len) == Some(&'>')).then(|| (1, len, 1 + len + 1))
        } else if rest.starts_with(&['{', '{']) {
            let spaces = rest[2..].iter().take_while(|c| **c == ' ').count();
            let start = 2 + spaces;
            let len = name_len(&rest[start..]);
            let after = rest[start + len..]
                .iter()
                .take_while(|c| **c == ' ')
                .count();
            let close = start + len + after;
            (len > 0 && rest[close..].starts_with(&['}', '}'])).then(|| (start, len, close + 2))
        } else {
            None
        };
        let Some((start, len, consumed)) = found else {
            return Ok(false);
        };
        let name: String = rest[start..start + len].iter().collect();
        self.push_param(&name)?;
        self.at += consumed;
        Ok(true)
    }

    fn unsupported(&self, end: usize) -> TemplateError {
        let text: String = self.chars[self.at..end.min(self.chars.len())]
            .iter()
            .take(MAX_SHOWN)
            .collect();
        TemplateError::UnsupportedExpansion(text)
    }

    fn start_word(&mut self) -> Result<&mut Element, TemplateError> {
        if self.word.is_none() && self.ended_line {
            return Err(TemplateError::SeveralCommands);
        }
        Ok(self.word.get_or_insert_with(Vec::new))
    }

    fn push_char(&mut self, c: char) -> Result<(), TemplateError> {
        let word = self.start_word()?;
        match word.last_mut() {
            Some(Piece::Text(text)) => text.push(c),
            _ => word.push(Piece::Text(c.to_string())),
        }
        Ok(())
    }

    fn push_param(&mut self, raw: &str) -> Result<(), TemplateError> {
        let name = normalize_param_name(raw).ok_or_else(|| {
            TemplateError::UnsupportedExpansion(raw.chars().take(MAX_SHOWN).collect())
        })?;
        self.start_word()?.push(Piece::Param(name));
        Ok(())
    }

    fn finish_word(&mut self) {
        if let Some(word) = self.word.take() {
            self.elements.push(word);
        }
    }
}

fn shell(what: &'static str) -> TemplateError {
    TemplateError::NeedsShell(what)
}

/// A shell variable name, as `${…}` holds it.
fn is_shell_name(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s.chars().any(|c| c.is_ascii_alphanumeric())
        && s.len() <= MAX_NAME_CHARS
}

/// The length of a placeholder name at the start of `chars` (a letter, then letters, digits,
/// `_` and `-`); 0 when there is none or it is too long to be one.
fn name_len(chars: &[char]) -> usize {
    if !chars.first().is_some_and(char::is_ascii_alphabetic) {
        return 0;
    }
    let len = chars
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == '_' || **c == '-')
        .count();
    if len > MAX_NAME_CHARS { 0 } else { len }
}
