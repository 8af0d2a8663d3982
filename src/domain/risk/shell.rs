//! From a command line to its words, refusing any shell syntax beyond one plain command.
//!
//! Warroom runs commands as argv, never through a shell, so a pipe, a redirection or a
//! substitution would not do what its author meant — and the rules could not reason about it
//! anyway. Runbook placeholders look like shell syntax and must not be mistaken for it:
//! `<pod-name>` is a placeholder, not a redirection, and `$DATABASE_URL` / `${VAR}` are words,
//! not substitutions.

use super::Classification;

/// The words of `command`, or why the rules will not look further.
pub(super) fn words(command: &str) -> Result<Vec<String>, Classification> {
    let command = command.replace("\r\n", "\n");
    if let Some(syntax) = shell_syntax(&command) {
        return Err(Classification::dangerous(format!(
            "the command {syntax}, which Warroom cannot reason about"
        )));
    }
    shell_words::split(&command).map_err(|_| {
        Classification::dangerous(
            "the command has an unbalanced quote, so Warroom cannot tell where its words end",
        )
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

/// What the first piece of shell syntax outside quotes does, phrased to follow "the command".
fn shell_syntax(command: &str) -> Option<&'static str> {
    let chars: Vec<char> = command.chars().collect();
    let next = |i: usize| chars.get(i + 1).copied();
    let mut quote = Quote::None;
    let mut word_start = true;
    let mut after_line_break = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Quote::Single => {
                if c == '\'' {
                    quote = Quote::None;
                }
            }
            Quote::Double => match c {
                '\\' => i += 1,
                '"' => quote = Quote::None,
                '`' => return Some(SUBSTITUTION),
                '$' if next(i) == Some('(') => return Some(SUBSTITUTION),
                _ => {}
            },
            Quote::None => {
                let starts_comment = word_start && c == '#';
                if after_line_break && !c.is_whitespace() && !starts_comment {
                    return Some("runs several commands, one per line");
                }
                match c {
                    '\\' => {
                        // An escaped character is literal; a backslash-newline joins lines.
                        word_start = word_start && next(i) == Some('\n');
                        i += 1;
                    }
                    '#' if word_start => {
                        while i + 1 < chars.len() && chars[i + 1] != '\n' {
                            i += 1;
                        }
                    }
                    '\n' => {
                        after_line_break = true;
                        word_start = true;
                    }
                    ' ' | '\t' => word_start = true,
                    '\'' => {
                        quote = Quote::Single;
                        word_start = false;
                    }
                    '"' => {
                        quote = Quote::Double;
                        word_start = false;
                    }
                    '<' => match placeholder_len(&chars[i..]) {
                        Some(len) => {
                            i += len - 1;
                            word_start = false;
                        }
                        None if next(i) == Some('<') => {
                            return Some("feeds a here-document with `<<`");
                        }
                        None => return Some("reads its input from a file with `<`"),
                    },
                    '>' if next(i) == Some('>') => {
                        return Some("appends its output to a file with `>>`");
                    }
                    '>' => return Some("redirects its output into a file with `>`"),
                    '|' if next(i) == Some('|') => {
                        return Some("chains a second command with `||`");
                    }
                    '|' => return Some("pipes into another program"),
                    '&' if next(i) == Some('&') => {
                        return Some("chains a second command with `&&`");
                    }
                    '&' => return Some("runs in the background with `&`"),
                    ';' => return Some("runs several commands separated by `;`"),
                    '(' | ')' => return Some("uses a subshell or grouping with parentheses"),
                    '`' => return Some(SUBSTITUTION),
                    '$' if next(i) == Some('(') => return Some(SUBSTITUTION),
                    _ => word_start = false,
                }
            }
        }
        i += 1;
    }
    // An unbalanced quote is reported by the tokeniser with its own reason.
    None
}

const SUBSTITUTION: &str = "runs a command substitution (`$(…)` or backticks)";

/// The length of a runbook placeholder such as `<pod-name>` at the start of `chars`: letters,
/// digits, `-` and `_` between angle brackets, nothing else.
fn placeholder_len(chars: &[char]) -> Option<usize> {
    let inside = chars
        .iter()
        .skip(1)
        .take_while(|c| c.is_ascii_alphanumeric() || **c == '-' || **c == '_')
        .count();
    (inside > 0 && chars.get(inside + 1) == Some(&'>')).then_some(inside + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(command: &str) -> String {
        match words(command) {
            Ok(words) => format!("words {words:?}"),
            Err(refusal) => refusal.reason,
        }
    }

    #[test]
    fn placeholders_are_words_not_redirections() {
        assert_eq!(
            words("kubectl logs <pod-name> -n <namespace>").unwrap(),
            ["kubectl", "logs", "<pod-name>", "-n", "<namespace>"]
        );
        assert_eq!(
            words("cat /proc/<pid>/limits").unwrap(),
            ["cat", "/proc/<pid>/limits"]
        );
        assert_eq!(
            words("kubectl set env deploy/x <flag-variable>=true").unwrap()[4],
            "<flag-variable>=true"
        );
    }

    #[test]
    fn a_placeholder_followed_by_a_redirection_is_still_a_redirection() {
        assert!(reason("cat <file>>out").contains("`>`"));
        assert!(reason("cat < file").contains("`<`"));
        assert!(reason("cat <my file>").contains("`<`"));
    }

    #[test]
    fn variables_are_words_but_substitutions_are_refused() {
        assert_eq!(
            words("psql \"$DATABASE_URL\" -c x").unwrap(),
            ["psql", "$DATABASE_URL", "-c", "x"]
        );
        assert!(words("echo ${HOME}").is_ok());
        assert!(reason("echo \"$(id)\"").contains("substitution"));
        assert!(reason("echo `id`").contains("substitution"));
        assert!(words("echo '$(id)'").is_ok());
    }

    #[test]
    fn shell_operators_inside_quotes_are_plain_text() {
        assert!(words("psql -c \"SELECT 1; SELECT 2 > 1 | 3 & 4\"").is_ok());
        assert!(words("curl -w 'a>b<c|d;e&f(g)'").is_ok());
        assert!(words("echo a\\|b").is_ok());
    }

    #[test]
    fn continuations_join_and_comments_are_ignored() {
        assert_eq!(
            words("kubectl get pods \\\n  -n x # all of them").unwrap(),
            ["kubectl", "get", "pods", "-n", "x"]
        );
        assert_eq!(words("df -h\r\n").unwrap(), ["df", "-h"]);
        assert!(words("df -h\n# and that is all\n").is_ok());
        assert!(reason("df -h\nrm -rf /").contains("one per line"));
        assert!(words("echo a#b").is_ok());
    }

    #[test]
    fn unbalanced_quotes_are_refused_with_their_own_reason() {
        assert!(reason("echo 'abc").contains("unbalanced quote"));
        assert!(reason("echo \"abc").contains("unbalanced quote"));
    }

    #[test]
    fn each_operator_is_named() {
        assert!(reason("a | b").contains("pipes"));
        assert!(reason("a || b").contains("`||`"));
        assert!(reason("a && b").contains("`&&`"));
        assert!(reason("a & b").contains("background"));
        assert!(reason("a ; b").contains("`;`"));
        assert!(reason("a >> b").contains("`>>`"));
        assert!(reason("a << b").contains("here-document"));
        assert!(reason("(a)").contains("subshell"));
    }
}
