//! Shell code as runbooks hold it: a fenced block split at its top-level statements (read
//! with the bash grammar, [`super::statements`]), each titled by the `# 2. Check database
//! performance` comment before it; loops, conditionals, functions, heredocs and pipelines kept
//! whole as one script; and which inline code spans are commands.

use super::command_lines::read_command;
use super::statements::{Statement, statements};
use super::vocabulary::KNOWN_CLIS;
use crate::domain::StepKind;

/// One command (or titled comment with no command) from a shell block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellStep {
    /// The title from the comment before it, when there is one.
    pub title: Option<String>,
    /// The command, whole; None for a numbered comment that no command follows.
    pub command: Option<String>,
    /// Whether the command is a script (a loop, conditional, function, heredoc, pipeline,
    /// list, redirection, substitution or assignment) rather than one program and its
    /// arguments: shown to copy, never run.
    pub script: bool,
    /// The line within the block, from 0.
    pub offset: usize,
}

/// Comments that join two commands rather than title one (`# or`).
fn is_connective(comment: &str) -> bool {
    let c = comment
        .trim_end_matches([':', ',', '.'])
        .to_ascii_lowercase();
    matches!(
        c.as_str(),
        "or" | "and" | "then" | "else" | "otherwise" | "alternatively" | "or alternatively"
    )
}

/// The title of a numbered comment (`1. Check current connections`, `Step 2: Restart`).
fn numbered(comment: &str) -> Option<&str> {
    let lower = comment.to_ascii_lowercase();
    let rest = if lower.starts_with("step ") {
        comment[5..].trim_start()
    } else {
        comment
    };
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    // `# 1. Title`, `# 2) Title`, `# 3: Title`; not `# 3 pods should be running`.
    let after = rest[digits..].strip_prefix(['.', ')', ':'])?;
    let title = after.trim_start_matches([' ', '-', '\t']);
    (after.starts_with([' ', '\t']) && !title.is_empty()).then_some(title)
}

/// A numbered comment waiting for its command.
struct Pending {
    title: String,
    offset: usize,
    used: bool,
    notes: Vec<String>,
}

impl Pending {
    /// A numbered comment that no command followed, as a manual step.
    fn into_manual(self) -> Option<ShellStep> {
        (!self.used).then(|| {
            let mut title = self.title;
            for note in self.notes.iter().filter(|n| !is_connective(n)) {
                title.push_str(" — ");
                title.push_str(note);
            }
            ShellStep {
                title: Some(title),
                command: None,
                script: false,
                offset: self.offset,
            }
        })
    }
}

/// Splits a shell block into commands, each titled by the comment before it. A block that
/// shows `$ ` prompts (a console session) takes only the lines after a prompt.
pub fn split(body: &str) -> Vec<ShellStep> {
    let lines: Vec<&str> = body.lines().collect();
    let prompts = lines.iter().any(|l| l.trim_start().starts_with("$ "));
    let extents = if prompts {
        Vec::new()
    } else {
        statements(body)
    };
    let mut steps = Vec::new();
    let mut pending: Option<Pending> = None;
    let mut sub: Option<String> = None;
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim();
        if trimmed.is_empty() {
            sub = None;
            i += 1;
            continue;
        }
        if trimmed.starts_with('#') && !trimmed.starts_with("#!") {
            let comment = trimmed.trim_start_matches('#').trim();
            if let Some(title) = numbered(comment) {
                steps.extend(pending.take().and_then(Pending::into_manual));
                pending = Some(Pending {
                    title: super::text::strip_counter(title).to_owned(),
                    offset: i,
                    used: false,
                    notes: Vec::new(),
                });
                sub = None;
            } else if !comment.is_empty() {
                if let Some(p) = pending.as_mut().filter(|p| !p.used) {
                    p.notes.push(comment.to_owned());
                }
                sub = Some(comment.to_owned()).filter(|c| !is_connective(c));
            }
            i += 1;
            continue;
        }
        if prompts && !trimmed.starts_with("$ ") {
            i += 1;
            continue;
        }
        let (command, script, next) = read_statement(&lines, i, prompts, &extents);
        let title = match (&mut pending, &sub) {
            (Some(p), Some(s)) => {
                p.used = true;
                Some(format!("{} — {s}", p.title))
            }
            (Some(p), None) => {
                p.used = true;
                Some(p.title.clone())
            }
            (None, s) => s.clone(),
        };
        if !command.is_empty() {
            steps.push(ShellStep {
                title,
                command: Some(command),
                script,
                offset: i,
            });
        }
        i = next;
    }
    steps.extend(pending.take().and_then(Pending::into_manual));
    steps
}

/// The statement that starts at line `i`: its text, whether it is a script, and the line
/// after it. A console session (`prompts`) reads the command after a `$ ` prompt line by
/// line; other blocks take the statement's extent from the grammar (`extents`).
fn read_statement(
    lines: &[&str],
    i: usize,
    prompts: bool,
    extents: &[Statement],
) -> (String, bool, usize) {
    match extents.iter().find(|s| s.first == i) {
        Some(s) if s.plain => {
            let (command, _) = read_command(lines, i, false);
            (command, false, s.last + 1)
        }
        Some(s) => {
            let text = lines[s.first..=s.last.min(lines.len() - 1)]
                .iter()
                .map(|l| l.trim_end())
                .collect::<Vec<_>>()
                .join("\n");
            (text, true, s.last + 1)
        }
        None => {
            let (command, next) = read_command(lines, i, prompts);
            let script = command_kind(&command) == StepKind::Script;
            (command, script, next)
        }
    }
}

/// What an inline command is: a [`StepKind::Command`] when it is one program with its
/// arguments, a [`StepKind::Script`] otherwise (`ps aux | grep gitaly`).
pub fn command_kind(command: &str) -> StepKind {
    match statements(command).as_slice() {
        [s] if s.plain => StepKind::Command,
        _ => StepKind::Script,
    }
}

/// Whether a block without a language holds commands: a `$ ` prompt, a `# 1. Title` comment,
/// a line that starts with a known program, an `export NAME=…`, or a shell loop closed by
/// its `done` (`for id in ${block_list} ; do` … `done`).
pub fn looks_like_commands(body: &str) -> bool {
    let lines: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let starts_known = |line: &str| {
        let line = line.strip_prefix("sudo ").unwrap_or(line);
        line.split_whitespace()
            .next()
            .is_some_and(|program| KNOWN_CLIS.contains(&program))
    };
    let exports = |line: &str| {
        line.strip_prefix("export ")
            .and_then(|rest| rest.split_once('='))
            .is_some_and(|(name, _)| is_variable_name(name))
    };
    let opens_loop = |line: &str| {
        ["for ", "while ", "until "]
            .iter()
            .any(|k| line.starts_with(k))
            && (line.ends_with("do") || line.ends_with("; do"))
    };
    let closes_loop = lines.iter().any(|l| *l == "done" || l.ends_with("; done"));
    lines.iter().any(|line| match line.strip_prefix('#') {
        Some(comment) => numbered(comment.trim_start_matches('#').trim()).is_some(),
        None => {
            line.starts_with("$ ")
                || starts_known(line)
                || exports(line)
                || (opens_loop(line) && closes_loop)
        }
    })
}

/// Whether `name` is a shell variable's name: a letter or `_`, then letters, digits or `_`.
fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether the paragraph right before a block without a language says that the block holds
/// commands (`The command I used to determine this was:`, `Run the following on each node:`),
/// which makes the block commands whatever programs it names. One that leads into output
/// (`You should see output like the following:`) does not.
pub fn announces_commands(lead: &str) -> bool {
    // The sentence that leads into the block: the paragraph's last.
    let lead = lead.trim();
    if !lead.ends_with(':') {
        return false;
    }
    let lead = lead.rsplit(". ").next().unwrap_or(lead);
    let words: Vec<String> = lead
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    let lower = lead.to_lowercase();
    has(&[
        "command", "commands", "run", "running", "execute", "type", "invoke",
    ]) && ![
        "output",
        "should see",
        "will see",
        "would see",
        "you see",
        "look like",
        "looks like",
        "shows",
        "returns",
        "result",
        "example",
        "response",
        "prints",
    ]
    .iter()
    .any(|p| lower.contains(p))
}

/// Whether a block without a language holds SQL to run: its first line (after a psql prompt
/// such as `gitlabhq_production=# `, comments left out) is a psql meta-command (`\set`,
/// `\x`) or starts with a statement keyword, and a statement in it ends with `;`.
pub fn looks_like_sql(body: &str) -> bool {
    const STATEMENTS: &[&str] = &[
        "select", "insert", "update", "delete", "create", "drop", "alter", "with", "explain",
        "vacuum", "analyze", "reindex", "truncate", "grant", "revoke",
    ];
    let lines: Vec<&str> = body
        .lines()
        .map(|l| strip_psql_prompt(l.trim()))
        .filter(|l| !l.is_empty() && !l.starts_with("--"))
        .collect();
    let Some(first) = lines.first() else {
        return false;
    };
    if first.starts_with('\\') && first.len() > 1 {
        return true;
    }
    let keyword = first
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    STATEMENTS.contains(&keyword.as_str()) && lines.iter().any(|l| l.trim_end().ends_with(';'))
}

/// A line without its psql prompt (`gitlabhq_production=# `, `db=> `), if it has one.
pub fn strip_psql_prompt(line: &str) -> &str {
    let Some((prompt, rest)) = line.split_once(['#', '>']) else {
        return line;
    };
    let is_prompt = prompt.strip_suffix(['=', '-']).is_some_and(|name| {
        !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_')
    });
    if is_prompt { rest.trim_start() } else { line }
}

/// The inline code span that is a command, when there is one: it starts with a known program
/// and has at least one argument (`psql` alone names a tool; SQL alone is not a shell command).
pub fn inline_command(codes: &[String]) -> Option<String> {
    codes.iter().find_map(|code| {
        let code = code.trim();
        let mut words = code.split_whitespace();
        let program = words.next()?;
        (KNOWN_CLIS.contains(&program) && words.next().is_some()).then(|| code.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands(body: &str) -> Vec<(Option<String>, Option<String>, usize)> {
        split(body)
            .into_iter()
            .map(|s| (s.title, s.command, s.offset))
            .collect()
    }

    #[test]
    fn a_block_without_a_language_can_be_sql() {
        for body in [
            "select pg_get_indexdef('idx'::regclass);\n",
            "-- the oldest\nSELECT xid\n  FROM pg_stat_activity;\n",
            "gitlabhq_production=# \\set FETCH_COUNT 1\ngitlabhq_production=# select ctid,* from users;\n",
        ] {
            assert!(looks_like_sql(body), "{body}");
        }
        for body in [
            "kubectl get pods\n",
            "update the config and restart\n",
            "ERROR: invalid page in block 4 of relation base/16401/33909\n",
            "\n",
        ] {
            assert!(!looks_like_sql(body), "{body}");
        }
        assert_eq!(strip_psql_prompt("db=> select 1;"), "select 1;");
        assert_eq!(strip_psql_prompt("# a comment"), "# a comment");
    }

    #[test]
    fn a_paragraph_can_say_that_the_block_after_it_is_commands() {
        for lead in [
            "The command I used to determine this was:",
            "Then run chef-client on all the workers:",
            "Execute the following on the primary:",
            "If the status page is green, check to see if the workers connect. The command I used to determine this was:",
        ] {
            assert!(announces_commands(lead), "{lead}");
        }
        for lead in [
            "You should see output like the following:",
            "You should see something like this for each host when you run it:",
            "Run this and it prints something like:",
            "The command I used was.",
            "The configuration looks like this:",
        ] {
            assert!(!announces_commands(lead), "{lead}");
        }
    }

    #[test]
    fn commands_are_titled_by_the_numbered_comment_before_them() {
        let body = "# 1. Check current connections\npsql $DATABASE_URL -c \"SELECT 1;\"\n\n# 2. Restart (2)\nkubectl rollout restart deployment/api\n";
        assert_eq!(
            commands(body),
            [
                (
                    Some("Check current connections".into()),
                    Some("psql $DATABASE_URL -c \"SELECT 1;\"".into()),
                    1
                ),
                (
                    Some("Restart".into()),
                    Some("kubectl rollout restart deployment/api".into()),
                    4
                ),
            ]
        );
    }

    #[test]
    fn quoted_strings_and_backslashes_keep_a_command_whole() {
        let body = "# 2. Kill idle\npsql $DATABASE_URL -c \"\n  SELECT pg_terminate_backend(pid)\n  FROM pg_stat_activity;\n\"\n\ncurl -X POST x \\\n  -H 'a: b' \\\n  -d '{}'\n";
        let steps = commands(body);
        assert_eq!(steps.len(), 2);
        assert_eq!(
            steps[0].1.as_deref(),
            Some(
                "psql $DATABASE_URL -c \"\n  SELECT pg_terminate_backend(pid)\n  FROM pg_stat_activity;\n\""
            )
        );
        assert_eq!(
            steps[1].1.as_deref(),
            Some("curl -X POST x \\\n  -H 'a: b' \\\n  -d '{}'")
        );
        assert_eq!(steps[1].0.as_deref(), Some("Kill idle"));
    }

    #[test]
    fn comments_without_commands_are_manual_steps() {
        let body = "# 3. Check token expiry\n# Review recent JWT changes\n\n# 4. Clear\nrm x # tidy\n# trailing note\n";
        let steps = commands(body);
        assert_eq!(
            steps[0],
            (
                Some("Check token expiry — Review recent JWT changes".into()),
                None,
                0
            )
        );
        assert_eq!(steps[1], (Some("Clear".into()), Some("rm x".into()), 4));
        assert_eq!(steps.len(), 2);
    }

    #[test]
    fn sub_comments_name_alternatives() {
        let body = "# 2. Rebuild\n# For iOS\nnpm run ios\n\n# For Android\nnpm run android\n# or\nnpm run both\n";
        let titles: Vec<_> = commands(body)
            .into_iter()
            .map(|s| s.0.unwrap_or_default())
            .collect();
        assert_eq!(
            titles,
            ["Rebuild — For iOS", "Rebuild — For Android", "Rebuild"]
        );
    }

    #[test]
    fn console_blocks_take_prompt_lines_only() {
        let steps = split("$ kubectl get pods\nNAME READY\napi 1/1\n");
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].command.as_deref(), Some("kubectl get pods"));
    }

    #[test]
    fn untyped_blocks_hold_commands_only_when_they_look_like_them() {
        assert!(looks_like_commands("kubectl get pods\n"));
        assert!(looks_like_commands("# 1. Check\nmy-tool --check\n"));
        assert!(looks_like_commands("$ ./deploy.sh\n"));
        assert!(!looks_like_commands("ERROR connection refused\nretrying\n"));
        assert!(!looks_like_commands("key: value\n"));
        assert!(looks_like_commands(
            "export CREDS=/opt/c.json\n/opt/thanos tools\n"
        ));
        assert!(looks_like_commands(
            "ids='a b'\nfor id in ${ids} ; do\n  /opt/thanos mark --id=\"${id}\"\ndone\n"
        ));
        // A loop quoted in prose, or an export of no variable, is not a script.
        assert!(!looks_like_commands("for each block, do the same\n"));
        assert!(!looks_like_commands("export 3d-models=done\n"));
    }

    #[test]
    fn inline_code_is_a_command_only_for_known_programs_with_arguments() {
        let codes = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            inline_command(&codes(&["lsof -p <pid>"])),
            Some("lsof -p <pid>".into())
        );
        assert_eq!(inline_command(&codes(&["psql", "mysql"])), None);
        assert_eq!(inline_command(&codes(&["SELECT * FROM t;"])), None);
    }
}
