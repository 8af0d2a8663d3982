//! Where a shell block's top-level statements start and end, read with the bash grammar
//! (tree-sitter-bash) rather than line patterns: a `for … done` loop, an `if … fi`, a function,
//! a heredoc or a pipeline over several lines is one statement, and only a plain command (one
//! program and its arguments) is one Warroom could run.

use std::cell::RefCell;
use std::sync::LazyLock;

use regex::Regex;
use tree_sitter::{Node, Parser};

/// One top-level statement of a block: its lines (from 0, both included) and whether it is a
/// plain command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statement {
    /// Its first line.
    pub first: usize,
    /// Its last line.
    pub last: usize,
    /// One program with its arguments: no pipe, list, redirection, substitution, assignment
    /// or compound command, and nothing else on its lines.
    pub plain: bool,
}

/// A runbook's placeholder (`<namespace>`, `<statefulset|deployment>`), which the shell would
/// read as redirections.
static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<([A-Za-z_][A-Za-z0-9_.:/|-]*)>").expect("a valid pattern"));

/// Node kinds inside a command that make it more than a program and its arguments.
const NOT_PLAIN: &[&str] = &[
    "variable_assignment",
    "command_substitution",
    "process_substitution",
    "file_redirect",
    "heredoc_redirect",
    "herestring_redirect",
    "ERROR",
];

/// Words that start a compound or declaration command, or close one: a line starting with one
/// is never one program and its arguments, even where the grammar recovers it as one (`fi`).
const NOT_A_PROGRAM: &[&str] = &[
    "for", "while", "until", "if", "case", "select", "function", "then", "do", "done", "fi",
    "esac", "else", "elif", "export", "local", "declare", "readonly", "typeset", "unset",
];

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// The top-level statements of `body`, in order; statements that share a line are merged
/// into one that is not plain. Empty when the grammar cannot be loaded.
pub fn statements(body: &str) -> Vec<Statement> {
    let masked = masked(body);
    one_command_a_line(&masked).unwrap_or_else(|| statements_by_grammar(&masked))
}

/// Why `body` is a fragment of shell rather than whole code, if it is: it starts by closing or
/// continuing a construct opened elsewhere (`done`, `fi`, `}`), or it opens one it does not
/// close (a loop without `done`). Any other error is not called a fragment: a runbook's own
/// notation may not be shell.
pub fn fragment(body: &str) -> Option<String> {
    let masked = masked(body);
    let first = masked
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'))?
        .split_whitespace()
        .next()?
        .trim_end_matches(';');
    if CLOSING.contains(&first) {
        return Some(format!(
            "starts with `{first}`, which ends or continues a construct opened elsewhere"
        ));
    }
    // Without a final line break the grammar gives up on an open loop instead of naming
    // what it lacks.
    let tree = parsed(&format!("{masked}\n"))?;
    let missing = first_missing(tree.root_node())?;
    CLOSING
        .contains(&missing.as_str())
        .then(|| format!("opens a construct it does not close (`{missing}` is missing)"))
}

/// Words that end or continue a compound command, or a group. A missing `;` or word is not
/// one: text that is not shell (a PromQL query) reads that way.
const CLOSING: &[&str] = &[
    "done", "fi", "esac", "then", "do", "else", "elif", "}", ")", ";;", "]]",
];

/// `body` with each placeholder made a word of the same length, so lines and columns stay,
/// and each character beyond ASCII made as many `x` as it has bytes: the grammar's scanner
/// looks some characters up in C's `isdigit`, which reads out of bounds (and can crash the
/// process) for a code point beyond 255, as after `{` in `echo {🚨}`. To the shell such a
/// character is part of a word either way.
fn masked(body: &str) -> std::borrow::Cow<'_, str> {
    let placeheld = PLACEHOLDER.replace_all(body, |c: &regex::Captures| {
        format!("_{}_", c[1].replace('|', "_"))
    });
    if placeheld.is_ascii() {
        return placeheld;
    }
    let mut out = String::with_capacity(placeheld.len());
    for c in placeheld.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.extend(std::iter::repeat_n('x', c.len_utf8()));
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The bash grammar's reading of `masked`; None when the grammar cannot be loaded.
fn parsed(masked: &str) -> Option<tree_sitter::Tree> {
    PARSER.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            let mut parser = Parser::new();
            parser
                .set_language(&tree_sitter_bash::LANGUAGE.into())
                .ok()?;
            *cell = Some(parser);
        }
        cell.as_mut()?.parse(masked.as_bytes(), None)
    })
}

/// The kind of the first token the grammar had to supply (a missing `done`, `fi` or `}`).
fn first_missing(node: Node<'_>) -> Option<String> {
    if node.is_missing() {
        return Some(node.kind().to_owned());
    }
    if !node.has_error() {
        return None;
    }
    let mut cursor = node.walk();
    let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
    children.into_iter().find_map(first_missing)
}

/// The top-level statements of `masked` (placeholders already words), as the grammar reads
/// them.
fn statements_by_grammar(masked: &str) -> Vec<Statement> {
    let Some(tree) = parsed(masked) else {
        return Vec::new();
    };
    let root = tree.root_node();
    let mut cursor = root.walk();
    let mut found: Vec<Statement> = Vec::new();
    for node in root.named_children(&mut cursor) {
        if node.kind() == "comment" {
            continue;
        }
        let end = node.end_position();
        let first = node.start_position().row;
        let last = if end.column == 0 && end.row > first {
            end.row - 1
        } else {
            end.row
        };
        let program = masked[node.start_byte()..node.end_byte()]
            .split_whitespace()
            .next()
            .unwrap_or_default();
        let plain = node.kind() == "command"
            && !contains(node, NOT_PLAIN)
            && !NOT_A_PROGRAM.contains(&program);
        match found.last_mut() {
            Some(previous) if previous.last >= first => {
                previous.last = previous.last.max(last);
                previous.plain = false;
            }
            _ => found.push(Statement { first, last, plain }),
        }
    }
    found
}

/// The statements of a block that has nothing for the grammar to decide: no quotes,
/// escapes, operators, substitutions, braces, assignments or compound-command words, so each
/// line that is not blank or a comment is one plain command. None when the grammar must read it.
fn one_command_a_line(body: &str) -> Option<Vec<Statement>> {
    let mut found = Vec::new();
    for (row, line) in body.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let special = |c: char| "|&;<>()$`\\\"'{}#".contains(c);
        let first = line.split_whitespace().next().unwrap_or_default();
        // `=` makes an assignment only in the first word (`--since=10m` is an argument).
        if line.contains(special) || first.contains('=') || NOT_A_PROGRAM.contains(&first) {
            return None;
        }
        found.push(Statement {
            first: row,
            last: row,
            plain: true,
        });
    }
    Some(found)
}

/// Whether `node` or any node under it is of one of `kinds` (or is a parse error).
fn contains(node: Node<'_>, kinds: &[&str]) -> bool {
    if node.is_error() || node.is_missing() || kinds.contains(&node.kind()) {
        return true;
    }
    let mut cursor = node.walk();
    node.children(&mut cursor)
        .any(|child| contains(child, kinds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(body: &str) -> Vec<(usize, usize, bool)> {
        statements(body)
            .into_iter()
            .map(|s| (s.first, s.last, s.plain))
            .collect()
    }

    #[test]
    fn a_loop_is_one_statement_and_not_plain() {
        let body = "kubectl get pods -n <namespace>\nfor pod in $(kubectl get pods -o name); do\n  kubectl delete \"$pod\"\ndone\nkubectl get nodes\n";
        assert_eq!(spans(body), [(0, 0, true), (1, 3, false), (4, 4, true)]);
    }

    #[test]
    fn conditionals_functions_heredocs_and_pipelines_stay_whole() {
        let body = "if [[ -z \"$X\" ]]; then\n  echo none\nfi\nf() {\n  echo hi\n}\ncat <<EOF > /tmp/x\nline\nEOF\nps aux |\n  grep gitaly\n";
        assert_eq!(
            spans(body),
            [(0, 2, false), (3, 5, false), (6, 8, false), (9, 10, false)]
        );
    }

    #[test]
    fn continued_commands_and_quotes_over_lines_are_one_plain_command() {
        let body = "curl -X POST x \\\n  -H 'a: b' \\\n  -d '{}'\npsql -c \"\n  SELECT 1;\n\"\n";
        assert_eq!(spans(body), [(0, 2, true), (3, 5, true)]);
    }

    #[test]
    fn substitutions_assignments_lists_and_shared_lines_are_not_plain() {
        for body in [
            "kubectl logs $(kubectl get pods -o name | head -1)",
            "export KUBECONFIG=/etc/kube",
            "FILTER=gzip oc get pods",
            "kubectl get pods && kubectl get nodes",
            "kubectl get pods; kubectl get nodes",
            "kubectl get pods > pods.txt",
        ] {
            assert_eq!(spans(body), [(0, 0, false)], "{body}");
        }
    }

    #[test]
    fn blocks_of_plain_lines_agree_with_the_grammar() {
        for body in [
            "kubectl get pods -n shop\n\n# look\nkubectl describe pod api-1 -n shop\n",
            "systemctl status nginx\njournalctl -u nginx --since=today\n",
            "kubectl get pods -n <namespace>\n",
        ] {
            let masked = PLACEHOLDER.replace_all(body, |c: &regex::Captures| {
                format!("_{}_", c[1].replace('|', "_"))
            });
            let quick = one_command_a_line(&masked).expect("plain lines");
            assert_eq!(quick, statements_by_grammar(&masked), "{body}");
        }
        for body in [
            "echo a | b",
            "do x",
            "X=1 y",
            "a \\\n b",
            "f() { a; }",
            "a 'q r'",
        ] {
            assert_eq!(one_command_a_line(body), None, "{body}");
        }
    }

    #[test]
    fn broken_shell_is_never_a_plain_command() {
        // An unclosed loop, an unclosed quote, a stray `fi`: copy only, never run.
        for body in [
            "for pod in a b; do\n  kubectl delete pod $pod\n",
            "kubectl get pods -l 'app=api\n",
            "fi\nkubectl get pods\n",
        ] {
            let found = statements(body);
            assert!(!found.is_empty(), "{body}");
            assert!(!found[0].plain, "{body}: {found:?}");
        }
    }

    #[test]
    fn closings_and_unclosed_constructs_are_fragments_and_whole_code_is_not() {
        for (body, says) in [
            ("done\n", "starts with `done`"),
            ("# end of the loop\nfi\n", "starts with `fi`"),
            ("}\n", "starts with `}`"),
            ("done < pods.txt\n", "starts with `done`"),
            (
                "for pod in <pods>; do\n  kubectl delete pod $pod\n",
                "`done` is missing",
            ),
            ("if true; then\n  kubectl get pods\n", "`fi` is missing"),
            (
                "for pod in <pods>; do\n  kubectl rollout restart deployment/$pod -n jobs",
                "`done` is missing",
            ),
        ] {
            let found = fragment(body).unwrap_or_else(|| panic!("{body:?} is a fragment"));
            assert!(found.contains(says), "{body:?}: {found}");
        }
        for body in [
            "for pod in a b; do\n  kubectl get pod $pod\ndone\n",
            "kubectl get pods -l app=<app> | grep -v Running\n",
            "echo done\n",
            "psql \"$DATABASE_URL\" -c 'SELECT 1'\n",
            "sum(rate(etcd_disk_wal_fsync_duration_seconds_bucket[5m])) by (instance)\n",
        ] {
            assert_eq!(fragment(body), None, "{body:?}");
        }
    }

    #[test]
    fn characters_beyond_ascii_never_reach_the_scanner_s_isdigit() {
        // These crashed the process (SIGSEGV in the grammar's scanner) before masking.
        for c in ['\u{10FFFF}', '\u{1F6A8}', '\u{FFFF}', 'é'] {
            for text in [
                format!("echo {{{c}}}"),
                format!("{{{c}"),
                format!("for x in {{{c}..2}}; do :; done"),
            ] {
                let found = statements(&text);
                assert_eq!(found.len(), 1, "{text:?}: {found:?}");
            }
        }
        // Lines stay where they were, and a word with such characters is still a word.
        let found = statements("echo café\nkubectl get pods -l app=naïve\n");
        assert_eq!(found.len(), 2);
        assert!(found.iter().all(|s| s.plain), "{found:?}");
        assert_eq!((found[1].first, found[1].last), (1, 1));
    }

    #[test]
    fn placeholders_are_words_and_comments_are_not_statements() {
        let body = "# 1. Look\nkubectl get <statefulset|deployment> -n <ns> # the set\n";
        assert_eq!(spans(body), [(1, 1, true)]);
    }
}
