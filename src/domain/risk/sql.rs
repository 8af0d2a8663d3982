//! Just enough of a PostgreSQL lexer to classify what `psql -c` runs: keywords and function
//! calls, with comments, string literals, dollar quotes and quoted identifiers set aside so
//! that `SELECT 'DROP TABLE x'` stays a SELECT.

/// One significant piece of SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Token {
    /// A keyword or identifier, upper-cased (`SELECT`, `PG_TERMINATE_BACKEND`).
    Word(String),
    /// A `"quoted identifier"`, as written inside the quotes.
    QuotedName(String),
    /// A string literal, dollar-quoted body or `E'…'` string; the text does not matter.
    Literal,
    /// A number, a `$1` parameter or a runbook placeholder such as `<pid>`.
    Value,
    /// `;`, which ends a statement.
    End,
    /// Any other punctuation or operator character.
    Punct(char),
}

/// The SQL could not be read to its end (an unterminated string, comment or quote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Unreadable(pub &'static str);

/// The statements of `sql`, each as its tokens; empty statements are dropped.
pub(super) fn statements(sql: &str) -> Result<Vec<Vec<Token>>, Unreadable> {
    let tokens = tokens(sql)?;
    Ok(tokens
        .split(|token| *token == Token::End)
        .filter(|statement| !statement.is_empty())
        .map(<[Token]>::to_vec)
        .collect())
}

fn tokens(sql: &str) -> Result<Vec<Token>, Unreadable> {
    let chars: Vec<char> = sql.chars().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(c) = at(i) {
        match c {
            _ if c.is_whitespace() => i += 1,
            '-' if at(i + 1) == Some('-') => {
                while at(i).is_some_and(|c| c != '\n') {
                    i += 1;
                }
            }
            '/' if at(i + 1) == Some('*') => i = block_comment_end(&chars, i)?,
            '\'' => {
                i = quoted_end(&chars, i, '\'', false)
                    .ok_or(Unreadable("a string literal is not closed"))?;
                tokens.push(Token::Literal);
            }
            '"' => {
                let end = quoted_end(&chars, i, '"', false)
                    .ok_or(Unreadable("a quoted name is not closed"))?;
                let name: String = chars[i + 1..end - 1].iter().collect();
                tokens.push(Token::QuotedName(name.replace("\"\"", "\"")));
                i = end;
            }
            '$' => match dollar_tag(&chars, i) {
                Some(tag) => {
                    i = dollar_quote_end(&chars, i, &tag)
                        .ok_or(Unreadable("a dollar-quoted string is not closed"))?;
                    tokens.push(Token::Literal);
                }
                None => {
                    i += 1;
                    while at(i).is_some_and(|c| c.is_ascii_digit()) {
                        i += 1;
                    }
                    tokens.push(Token::Value);
                }
            },
            '<' if placeholder_end(&chars, i).is_some() => {
                i = placeholder_end(&chars, i).unwrap_or(i + 1);
                tokens.push(Token::Value);
            }
            ';' => {
                tokens.push(Token::End);
                i += 1;
            }
            _ if c.is_alphabetic() || c == '_' => {
                let start = i;
                while at(i).is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect::<String>().to_uppercase();
                if word == "E" && at(i) == Some('\'') {
                    i = quoted_end(&chars, i, '\'', true)
                        .ok_or(Unreadable("a string literal is not closed"))?;
                    tokens.push(Token::Literal);
                } else {
                    tokens.push(Token::Word(word));
                }
            }
            _ if c.is_ascii_digit() => {
                while at(i).is_some_and(|c| c.is_alphanumeric() || c == '.' || c == '_') {
                    i += 1;
                }
                tokens.push(Token::Value);
            }
            _ => {
                tokens.push(Token::Punct(c));
                i += 1;
            }
        }
    }
    Ok(tokens)
}

/// The index after a quoted run starting at `start`; a doubled quote is one literal quote,
/// and with `backslashes` (`E'…'` strings) a backslash escapes the next character.
fn quoted_end(chars: &[char], start: usize, quote: char, backslashes: bool) -> Option<usize> {
    let mut i = start + 1;
    loop {
        match *chars.get(i)? {
            '\\' if backslashes => i += 2,
            c if c == quote && chars.get(i + 1) == Some(&quote) => i += 2,
            c if c == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// The index after a `/* … */` comment starting at `start`; PostgreSQL comments nest.
fn block_comment_end(chars: &[char], start: usize) -> Result<usize, Unreadable> {
    let mut depth = 0usize;
    let mut i = start;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1)) {
            ('/', Some('*')) => {
                depth += 1;
                i += 2;
            }
            ('*', Some('/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Ok(i);
                }
            }
            _ => i += 1,
        }
    }
    Err(Unreadable("a comment is not closed"))
}

/// The `$tag$` opening a dollar-quoted string at `start`, if there is one.
fn dollar_tag(chars: &[char], start: usize) -> Option<String> {
    let mut i = start + 1;
    let first = *chars.get(i)?;
    if first.is_ascii_digit() {
        return None;
    }
    while chars
        .get(i)
        .is_some_and(|c| c.is_alphanumeric() || *c == '_')
    {
        i += 1;
    }
    (chars.get(i) == Some(&'$')).then(|| chars[start..=i].iter().collect())
}

fn dollar_quote_end(chars: &[char], start: usize, tag: &str) -> Option<usize> {
    let tag: Vec<char> = tag.chars().collect();
    let body = start + tag.len();
    (body..=chars.len().checked_sub(tag.len())?)
        .find(|&i| chars[i..i + tag.len()] == tag[..])
        .map(|i| i + tag.len())
}

/// The index after a runbook placeholder (`<pid>`, `<index-name>`) starting at `start`.
fn placeholder_end(chars: &[char], start: usize) -> Option<usize> {
    let inside = chars[start + 1..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == '-' || **c == '_')
        .count();
    (inside > 0 && chars.get(start + 1 + inside) == Some(&'>')).then_some(start + inside + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(sql: &str) -> Vec<String> {
        tokens(sql)
            .unwrap()
            .into_iter()
            .filter_map(|token| match token {
                Token::Word(word) => Some(word),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn literals_and_comments_hide_their_words() {
        assert_eq!(words("select 'DROP TABLE x'"), ["SELECT"]);
        assert_eq!(words("SELECT 'it''s' -- DROP TABLE x\n, 1"), ["SELECT"]);
        assert_eq!(words("SELECT /* DELETE /* nested */ FROM */ 1"), ["SELECT"]);
        assert_eq!(words("SELECT $$DELETE$$, $body$ x $$ y $body$"), ["SELECT"]);
        assert_eq!(words("SELECT E'\\' DROP'"), ["SELECT"]);
        assert_eq!(words("SELECT \"DROP\" FROM t"), ["SELECT", "FROM", "T"]);
    }

    #[test]
    fn placeholders_and_parameters_are_values() {
        assert_eq!(
            tokens("SELECT pg_cancel_backend(<pid>)").unwrap(),
            [
                Token::Word("SELECT".into()),
                Token::Word("PG_CANCEL_BACKEND".into()),
                Token::Punct('('),
                Token::Value,
                Token::Punct(')'),
            ]
        );
        assert_eq!(tokens("SELECT $1").unwrap()[1], Token::Value);
        assert_eq!(tokens("SELECT 1 < 2").unwrap()[2], Token::Punct('<'));
    }

    #[test]
    fn statements_split_on_semicolons_outside_literals() {
        let statements = statements("SELECT ';'; ; DELETE FROM t;").unwrap();
        assert_eq!(statements.len(), 2);
        assert_eq!(statements[1][0], Token::Word("DELETE".into()));
    }

    #[test]
    fn unterminated_pieces_are_unreadable() {
        assert!(statements("SELECT 'abc").is_err());
        assert!(statements("SELECT /* abc").is_err());
        assert!(statements("SELECT $x$ abc").is_err());
        assert!(statements("SELECT \"abc").is_err());
        assert!(statements("SELECT E'abc\\'").is_err());
    }
}
