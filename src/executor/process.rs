//! The executor that starts real processes.

use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::process::Command;
use tokio::sync::Semaphore;

use super::environment::BaseEnvironment;
use super::group::ProcessGroup;
use super::output::{OutputTail, Pipes};
use super::program::ProgramPolicy;
use super::{ExecError, Executor, ExecutorSettings, Job, Outcome, Redactor, Runner};

/// How long output is still read once the process group is dead: only a process that
/// left the group can hold the pipes open past that, and it is not waited for.
const DRAIN_GRACE: Duration = Duration::from_millis(500);

/// Runs jobs as real processes: allowlisted programs only, argv without a shell, a cleared
/// environment, each in its own process group killed whole at the time limit.
#[derive(Debug)]
pub struct ProcessExecutor {
    programs: ProgramPolicy,
    runner: Runner,
    environment: BaseEnvironment,
    output_cap: usize,
    default_timeout: Duration,
    slots: Semaphore,
    running: AtomicUsize,
}

impl ProcessExecutor {
    /// An executor with these settings; the allowlisted variables are copied from
    /// Warroom's environment now, once.
    pub fn new(settings: ExecutorSettings) -> Self {
        let programs = ProgramPolicy::new(&settings.allowed_programs, &settings.search_path);
        let environment = BaseEnvironment::new(
            programs.search_path(),
            &settings.env_allowlist,
            std::env::vars_os(),
        );
        Self {
            programs,
            runner: settings.runner,
            environment,
            output_cap: settings.output_cap,
            default_timeout: settings.default_timeout,
            slots: Semaphore::new(settings.max_concurrent.max(1)),
            running: AtomicUsize::new(0),
        }
    }

    /// How many processes are running now (for metrics and tests).
    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// Refuses new jobs, and jobs still waiting for a slot, with [`ExecError::ShuttingDown`];
    /// running ones finish.
    pub fn close(&self) {
        self.slots.close();
    }

    fn command(&self, program: &std::path::Path, job: &Job) -> Result<Command, ExecError> {
        let mut command = Command::new(program);
        command
            .arg0(&job.argv[0])
            .args(&job.argv[1..])
            .env_clear()
            .envs(self.environment.for_job(&job.env)?)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        Ok(command)
    }
}

#[async_trait::async_trait]
impl Executor for ProcessExecutor {
    #[tracing::instrument(skip_all, fields(program = job.argv.first().map(String::as_str).unwrap_or("")))]
    async fn run(&self, job: &Job) -> Result<Outcome, ExecError> {
        let argv0 = job.argv.first().ok_or(ExecError::Empty)?;
        // Over ssh the allowlist still decides which program runs (there), and `ssh` runs here.
        let (program, sent) = match &self.runner {
            Runner::Local => (self.programs.resolve(argv0)?, None),
            Runner::Ssh { .. } => {
                if !self.programs.allows(argv0) {
                    return Err(ExecError::NotAllowed(argv0.clone()));
                }
                let ssh = self.programs.find("ssh").ok_or_else(|| ExecError::Spawn {
                    program: "ssh".to_owned(),
                    reason: "not found on the search path (install openssh-client)".to_owned(),
                })?;
                let mut over = job.clone();
                over.argv = self.runner.argv(&job.argv);
                (ssh, Some(over))
            }
        };
        let mut command = self.command(&program, sent.as_ref().unwrap_or(job))?;
        let timeout = if job.timeout.is_zero() {
            self.default_timeout
        } else {
            job.timeout
        };

        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| ExecError::ShuttingDown)?;
        let _running = Running::enter(&self.running);

        let started = Instant::now();
        let child = command
            .spawn()
            .map_err(|error| spawn_error(argv0, &error))?;
        let mut group = ProcessGroup::new(child).ok_or_else(|| ExecError::Spawn {
            program: argv0.clone(),
            reason: "it ended before it could be watched".to_owned(),
        })?;
        tracing::debug!(pgid = group.id(), "action started");

        let (stdout, stderr) = group.take_pipes();
        let mut pipes = Pipes::new(stdout, stderr);
        let mut tail = OutputTail::hiding(self.output_cap, Redactor::new(&job.secrets));
        let mut leader_exit = group.leader_exit();
        // `sleep`, not `sleep_until(started + timeout)`: a huge limit must not overflow.
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);

        let timed_out = loop {
            tokio::select! {
                biased;
                _ = &mut leader_exit => break false,
                () = &mut deadline => break true,
                () = pipes.read_into(&mut tail), if pipes.is_open() => {}
            }
        };
        // Timed out: the whole group. Exited: whatever the leader left behind — an action
        // is one process tree, and nothing it started outlives it.
        group.kill();
        pipes.drain_into(&mut tail, DRAIN_GRACE).await;
        let ending = group.reap().await;

        let outcome = Outcome {
            exit_code: ending.exit_code,
            signal: ending.signal,
            timed_out,
            truncated: tail.truncated(),
            output_bytes: tail.total(),
            dropped_bytes: tail.dropped(),
            output: tail.text(),
            duration: started.elapsed(),
            dry_run: false,
        };
        tracing::info!(
            exit_code = ?outcome.exit_code,
            signal = ?outcome.signal,
            timed_out,
            output_bytes = outcome.output_bytes,
            duration_ms = outcome.duration.as_millis() as u64,
            "action finished"
        );
        Ok(outcome)
    }

    fn name(&self) -> &'static str {
        "process"
    }

    fn location(&self) -> String {
        self.runner.describe()
    }
}

/// Counts a running process for as long as it lives, however the run ends.
struct Running<'a>(&'a AtomicUsize);

impl<'a> Running<'a> {
    fn enter(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Self(counter)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A reason fit for the chat; the log keeps the full error.
fn spawn_error(program: &str, error: &std::io::Error) -> ExecError {
    tracing::warn!(%error, program, "could not start an action");
    let reason = match error.kind() {
        std::io::ErrorKind::NotFound => "not found".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        kind => format!("the system refused ({kind})"),
    };
    ExecError::Spawn {
        program: program.to_owned(),
        reason,
    }
}
