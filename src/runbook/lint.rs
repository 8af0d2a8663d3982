//! What `warroom runbooks lint` warns about in runbooks that loaded: code steps Warroom will
//! not run although their author may expect it to, fragments of shell that a split left
//! behind, and commands that take a secret nobody configured (Warroom would ask for it in
//! the chat). Warnings, not problems: the runbooks still load and work as copy-only steps.

use std::collections::BTreeSet;

use super::Problem;
use super::import::fragment;
use crate::domain::{
    CommandTemplate, Risk, RiskPolicy, Runbook, Step, StepKind, fit, looks_secret,
};

/// The warnings about `runbooks`, in file and line order, judged with `policy`; `secrets` are
/// the parameter names `[actions.secrets]` configures (normalised: `database_url`).
pub fn warnings(
    runbooks: &[Runbook],
    policy: &RiskPolicy,
    secrets: &BTreeSet<String>,
) -> Vec<Problem> {
    let mut found = Vec::new();
    for runbook in runbooks {
        let file = runbook.file();
        for step in &runbook.steps {
            for message in step_warnings(step, policy, secrets) {
                found.push(Problem {
                    file: file.to_owned(),
                    line: step.line,
                    message,
                });
            }
        }
    }
    found.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    found
}

/// The most characters of a step's title a warning shows (some titles are paragraphs).
const TITLE_CHARS: usize = 60;

/// The warnings about one step.
fn step_warnings(step: &Step, policy: &RiskPolicy, secrets: &BTreeSet<String>) -> Vec<String> {
    let Some(verdict) = policy.verdict(step) else {
        return Vec::new();
    };
    let code = step.command.as_deref().unwrap_or_default();
    let mut out = Vec::new();
    if step.kind == StepKind::Script
        && let Some(why) = fragment(code)
    {
        return vec![format!(
            "step '{}' is a fragment of shell: it {why}; keep a loop or condition whole in one code block",
            fit(&step.title, TITLE_CHARS)
        )];
    }
    // An author who marks a step dangerous expects it shown and never run.
    if let Some(refusal) = &verdict.refusal
        && step.risk != Some(Risk::Dangerous)
    {
        let remedy = if step.kind == StepKind::Command {
            " (mark it risk=dangerous if that is meant, or put the exact line in actions.dangerous_allowlist)"
        } else {
            ""
        };
        out.push(format!(
            "step '{}' will not run: {refusal}{remedy}",
            fit(&step.title, TITLE_CHARS)
        ));
    }
    if verdict.runs()
        && let Ok(template) = CommandTemplate::parse(code)
    {
        for name in template.params() {
            if looks_secret(&name) && !secrets.contains(&name) {
                out.push(format!(
                    "step '{}' takes {name}, which looks like a secret, and [actions.secrets] has no {name}: Warroom would ask for it in the chat",
                    fit(&step.title, TITLE_CHARS)
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::import_markdown;

    /// Lint's warnings about one runbook whose Diagnosis section holds `code` in `fence`.
    fn lint(fence: &str, code: &str, secrets: &[&str]) -> Vec<String> {
        let text = format!("# Database\n\n## Diagnosis\n\n```{fence}\n{code}\n```\n");
        let imported = import_markdown("db.md", &text);
        assert!(imported.problems.is_empty(), "{:?}", imported.problems);
        let secrets = secrets.iter().map(|s| s.to_string()).collect();
        warnings(&imported.runbooks, &RiskPolicy::built_in(), &secrets)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_command_that_will_not_run_is_reported_with_why_unless_marked_dangerous() {
        let found = lint("sh", "# Spin it\nfrobnicate --now\nkubectl get pods", &[]);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].starts_with(
                "db.md:7: step 'Spin it' will not run: dangerous: Warroom has no rule for `frobnicate` (mark it risk=dangerous"
            ),
            "{}",
            found[0]
        );
        let found = lint("sh risk=read", "kubectl delete pod <pod>", &[]);
        assert!(
            found[0].contains("will not run: dangerous: kubectl delete"),
            "{found:?}"
        );
        assert_eq!(
            lint("sh risk=dangerous", "kubectl delete pod <pod>", &[]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn scripts_sql_and_fragments_are_reported() {
        let found = lint("sh", "kubectl get pods | grep api", &[]);
        assert!(
            found[0].contains("will not run: a script: loops, pipes"),
            "{found:?}"
        );
        let found = lint("sql", "SELECT 1;", &[]);
        assert!(found[0].contains("will not run: SQL to copy"), "{found:?}");
        let found = lint("sh", "done", &[]);
        assert_eq!(found.len(), 1, "a fragment is said once: {found:?}");
        assert!(
            found[0].contains("is a fragment of shell: it starts with `done`"),
            "{found:?}"
        );
    }

    #[test]
    fn a_secret_looking_parameter_needs_a_configured_secret() {
        let code = "psql \"$DATABASE_URL\" -c 'SELECT 1'\ncurl -H \"Authorization: Bearer $API_TOKEN\" https://api.internal/health";
        let found = lint("sh", code, &[]);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[0].contains("takes database_url, which looks like a secret, and [actions.secrets] has no database_url"), "{}", found[0]);
        assert!(found[1].contains("takes api_token"), "{}", found[1]);
        assert_eq!(
            lint("sh", code, &["database_url", "api_token"]),
            Vec::<String>::new()
        );
    }
}
