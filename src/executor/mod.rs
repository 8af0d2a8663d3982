//! The executor: runs one approved runbook action as a real process — an argv, never a
//! shell line — with a cleared environment, a time limit and a cap on the output it keeps.
//!
//! [`ProcessExecutor`] starts the process; [`DryRunExecutor`] only says what it would run,
//! for drills. Which actions may run at all, and who approved them, is the engine's job;
//! the executor enforces the last line: the program allowlist.

mod dry_run;
mod environment;
mod group;
mod output;
mod process;
mod program;
mod redact;
mod runner;
mod settings;

use std::fmt;
use std::time::Duration;

pub use dry_run::{DryRunExecutor, shell_quote};
pub use process::ProcessExecutor;
pub use redact::{MIN_CORE, Redactor};
pub use runner::Runner;
pub use settings::{ExecutorSettings, program_found};

/// One process to run: argv (never a shell line), extra environment, and a time limit.
#[derive(Clone, PartialEq, Eq)]
pub struct Job {
    /// The program (a bare name or an allowed absolute path) and its arguments, each passed
    /// to the program as one literal argument.
    pub argv: Vec<String>,
    /// Variables set in the child on top of the allowlisted ones.
    pub env: Vec<(String, String)>,
    /// How long the process may run; zero means the executor's default.
    pub timeout: Duration,
    /// Values of the secrets the job carries: each, and its base64 forms, become `***` in
    /// the output (see [`Redactor`]).
    pub secrets: Vec<String>,
}

impl Job {
    /// A job with no extra environment and the executor's default time limit.
    pub fn new<I, S>(argv: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            argv: argv.into_iter().map(Into::into).collect(),
            env: Vec::new(),
            timeout: Duration::ZERO,
            secrets: Vec::new(),
        }
    }
}

// By hand, because `env` and `secrets` carry credentials: only names and a count are shown.
impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let env: Vec<&str> = self.env.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("Job")
            .field("argv", &self.argv)
            .field("env", &env)
            .field("timeout", &self.timeout)
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The exit code; `None` when killed by a signal or the timeout.
    pub exit_code: Option<i32>,
    /// The signal that ended the process, if one did.
    pub signal: Option<i32>,
    /// The time limit ran out and the process group was killed.
    pub timed_out: bool,
    /// Stdout and stderr interleaved as they arrived (best effort), lossy UTF-8, only the
    /// last `output_cap` bytes, the job's secrets replaced by `***`.
    pub output: String,
    /// How many bytes the process wrote in all.
    pub output_bytes: u64,
    /// How many of them, from the start, `output` leaves out (0 unless `truncated`).
    pub dropped_bytes: u64,
    /// True when `output` lost its beginning.
    pub truncated: bool,
    /// From start to reaping (time spent waiting for a free slot not included).
    pub duration: Duration,
    /// Nothing was started: a drill.
    pub dry_run: bool,
}

impl Outcome {
    /// The process ran to completion and exited 0 (a dry run counts as success).
    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out
    }
}

/// Why a job did not run. The `Display` text is safe to show in the chat.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The program is not on the allowlist (or names a path that is not exactly allowed).
    #[error("program {0:?} is not on the list of programs Warroom may run")]
    NotAllowed(String),
    /// The process could not start (not found, permission); the message is safe to show.
    #[error("could not start {program:?}: {reason}")]
    Spawn {
        /// `argv[0]` as the job gave it.
        program: String,
        /// What went wrong, in words.
        reason: String,
    },
    /// The argv is empty.
    #[error("the action has no command to run")]
    Empty,
    /// The job tries to set a variable the executor controls or refuses (PATH, LD_*, …), or
    /// a malformed one.
    #[error("the action may not set the environment variable {0:?}")]
    EnvNotAllowed(String),
    /// The executor was closed for shut-down; nothing was started.
    #[error("Warroom is shutting down; the action was not started")]
    ShuttingDown,
}

/// Something that carries out a job: real processes, or a drill that only describes them.
#[async_trait::async_trait]
pub trait Executor: Send + Sync {
    /// Runs the job to its end (or its time limit) and says how it went.
    async fn run(&self, job: &Job) -> Result<Outcome, ExecError>;
    /// A short name for logs and the timeline ("process", "dry-run").
    fn name(&self) -> &'static str;
    /// Where its jobs run, for the war room (`the bot's host`, `db-1 (ssh)`).
    fn location(&self) -> String {
        "the bot's host".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_shows_its_variable_names_but_never_their_values() {
        let mut job = Job::new(["psql", "-c", "SELECT 1"]);
        job.env = vec![("PGPASSWORD".into(), "hunter2".into())];
        job.secrets = vec!["correct-horse".into()];
        let shown = format!("{job:?}");
        assert!(
            shown.contains("PGPASSWORD") && shown.contains("SELECT 1"),
            "{shown}"
        );
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("correct-horse"), "{shown}");
    }
}
