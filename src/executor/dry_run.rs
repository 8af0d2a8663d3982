//! The drill executor: says what it would run and starts nothing.

use std::time::Duration;

use super::{ExecError, Executor, Job, Outcome, Redactor};

/// For drills and demos: every job "succeeds" without starting a process, and its output
/// says what would have run (its secrets as `***`).
#[derive(Debug, Clone, Copy, Default)]
pub struct DryRunExecutor;

#[async_trait::async_trait]
impl Executor for DryRunExecutor {
    async fn run(&self, job: &Job) -> Result<Outcome, ExecError> {
        if job.argv.is_empty() {
            return Err(ExecError::Empty);
        }
        let line: Vec<String> = job.argv.iter().map(|arg| shell_quote(arg)).collect();
        let output =
            Redactor::new(&job.secrets).scrub(&format!("dry run: would run {}", line.join(" ")));
        Ok(Outcome {
            exit_code: Some(0),
            signal: None,
            timed_out: false,
            output_bytes: 0,
            dropped_bytes: 0,
            output,
            truncated: false,
            duration: Duration::ZERO,
            dry_run: true,
        })
    }

    fn name(&self) -> &'static str {
        "dry-run"
    }

    fn location(&self) -> String {
        "nowhere (a drill)".to_owned()
    }
}

/// One argument as a POSIX shell would need it written to mean exactly this string: bare
/// when it is only safe characters, else in single quotes. For showing argv to people;
/// Warroom itself never hands a line to a shell.
pub fn shell_quote(arg: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !arg.is_empty() && arg.chars().all(safe) {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_drill_never_shows_a_secret() {
        let mut job = Job::new([
            "psql",
            "postgres://app:hunter2-pw@db/shop",
            "-c",
            "SELECT 1",
        ]);
        job.secrets = vec!["postgres://app:hunter2-pw@db/shop".into()];
        let outcome = DryRunExecutor.run(&job).await.unwrap();
        assert_eq!(outcome.output, "dry run: would run psql *** -c 'SELECT 1'");
    }

    #[test]
    fn plain_arguments_stay_bare_and_others_are_single_quoted() {
        assert_eq!(
            shell_quote("deployment/api-server"),
            "deployment/api-server"
        );
        assert_eq!(shell_quote("--kubeconfig=/etc/x"), "--kubeconfig=/etc/x");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("; rm -rf /"), "'; rm -rf /'");
        assert_eq!(shell_quote("$(id)"), "'$(id)'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
