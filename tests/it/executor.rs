//! The executor against real processes: allowlist, argv without a shell, a cleared
//! environment, time limits that kill the whole process group, and the output cap.
//!
//! Programs come from /usr/bin and /bin. `sh` is allowlisted here only to build scenarios
//! (a process that leaves children behind); Warroom's own policy never allows it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use warroom::executor::{
    DryRunExecutor, ExecError, Executor, ExecutorSettings, Job, Outcome, ProcessExecutor,
};

/// A variable of the test process that must never reach a child.
const SECRET: &str = "WARROOM_EXECUTOR_TEST_SECRET";

fn settings(allowed: &[&str]) -> ExecutorSettings {
    ExecutorSettings {
        allowed_programs: allowed.iter().map(|p| (*p).to_owned()).collect(),
        search_path: vec![PathBuf::from("/usr/bin"), PathBuf::from("/bin")],
        ..ExecutorSettings::default()
    }
}

fn executor(allowed: &[&str]) -> ProcessExecutor {
    ProcessExecutor::new(settings(allowed))
}

fn job(argv: &[&str], timeout: Duration) -> Job {
    Job {
        timeout,
        ..Job::new(argv.iter().copied())
    }
}

async fn run(executor: &impl Executor, argv: &[&str]) -> Outcome {
    executor
        .run(&Job::new(argv.iter().copied()))
        .await
        .unwrap_or_else(|e| panic!("{argv:?} should run: {e}"))
}

/// Processes of the group that are still alive (zombies are dead: they only wait to be
/// reaped by whoever adopted them).
fn live_members_of_group(pgid: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            // "pid (comm) state ppid pgrp …" — comm may hold spaces and parentheses.
            let Some((_, rest)) = stat.rsplit_once(')') else {
                return false;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            fields.len() > 2 && fields[2] == pgid.to_string() && !matches!(fields[0], "Z" | "X")
        })
        .collect()
}

/// SIGKILL is delivered at once but a process takes a moment to finish dying.
async fn assert_group_dies(pgid: i32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let alive = live_members_of_group(pgid);
        if alive.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "processes {alive:?} of group {pgid} survived"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn first_line_number(output: &str) -> i32 {
    output
        .lines()
        .next()
        .and_then(|line| line.trim().parse().ok())
        .unwrap_or_else(|| panic!("expected a pid on the first line of {output:?}"))
}

#[tokio::test]
async fn echo_prints_and_exits_zero() {
    let outcome = run(&executor(&["echo"]), &["echo", "hello warroom"]).await;
    assert_eq!(outcome.exit_code, Some(0));
    assert_eq!(outcome.signal, None);
    assert_eq!(outcome.output, "hello warroom\n");
    assert_eq!(outcome.output_bytes, 14);
    assert!(outcome.succeeded() && !outcome.timed_out && !outcome.truncated && !outcome.dry_run);
}

#[tokio::test]
async fn a_zero_time_limit_means_the_default_and_a_huge_one_is_fine() {
    let executor = executor(&["true"]);
    for timeout in [Duration::ZERO, Duration::MAX] {
        let outcome = executor
            .run(&job(&["true"], timeout))
            .await
            .expect("true runs");
        assert!(outcome.succeeded(), "{timeout:?}: {outcome:?}");
    }
}

#[tokio::test]
async fn a_failing_command_reports_its_exit_code_and_its_stderr() {
    let executor = executor(&["test", "ls"]);
    let outcome = run(&executor, &["test", "1", "=", "2"]).await;
    assert_eq!(outcome.exit_code, Some(1));
    assert!(!outcome.succeeded());

    let outcome = run(&executor, &["ls", "/nonexistent-warroom-path"]).await;
    assert_eq!(outcome.exit_code, Some(2));
    assert!(
        outcome.output.contains("nonexistent-warroom-path"),
        "{:?}",
        outcome.output
    );
}

#[tokio::test]
async fn a_program_not_on_the_allowlist_is_refused_and_nothing_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("ran");
    let executor = executor(&["echo"]);
    let result = executor
        .run(&Job::new(["touch", marker.to_str().expect("utf-8")]))
        .await;
    assert!(
        matches!(&result, Err(ExecError::NotAllowed(p)) if p == "touch"),
        "{result:?}"
    );
    assert!(!marker.exists());
    assert_eq!(executor.running(), 0);
}

#[tokio::test]
async fn argv0_with_a_path_is_refused_unless_it_is_exactly_an_allowed_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("ran");
    let marker = marker.to_str().expect("utf-8");
    let by_name = executor(&["touch"]);
    for argv0 in [
        "/usr/bin/touch",
        "./touch",
        "../bin/touch",
        "/usr/bin/../bin/touch",
    ] {
        let result = by_name.run(&Job::new([argv0, marker])).await;
        assert!(
            matches!(result, Err(ExecError::NotAllowed(_))),
            "{argv0}: {result:?}"
        );
    }
    assert!(!Path::new(marker).exists());

    let by_path = executor(&["/usr/bin/touch"]);
    let outcome = run(&by_path, &["/usr/bin/touch", marker]).await;
    assert_eq!(outcome.exit_code, Some(0));
    assert!(Path::new(marker).exists());
}

#[tokio::test]
async fn an_allowed_program_that_cannot_start_says_why() {
    let missing = executor(&["warroom-no-such-program"]);
    let result = missing.run(&Job::new(["warroom-no-such-program"])).await;
    assert!(
        matches!(&result, Err(ExecError::Spawn { reason, .. }) if reason.contains("not found")),
        "{result:?}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let not_executable = dir.path().join("tool");
    std::fs::write(&not_executable, "not a program").expect("write");
    let path = not_executable.to_str().expect("utf-8");
    let result = executor(&[path]).run(&Job::new([path])).await;
    assert!(
        matches!(&result, Err(ExecError::Spawn { reason, .. }) if reason == "permission denied"),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_empty_argv_is_refused_by_both_executors() {
    let empty = Job::new(Vec::<String>::new());
    assert!(matches!(
        executor(&["echo"]).run(&empty).await,
        Err(ExecError::Empty)
    ));
    assert!(matches!(
        DryRunExecutor.run(&empty).await,
        Err(ExecError::Empty)
    ));
}

#[tokio::test]
async fn the_environment_is_cleared_except_the_allowlist_and_the_job_env() {
    // Setting a variable in a running multi-threaded test is unsound, so the test runs
    // itself again in a child process whose environment holds the secret.
    if std::env::var_os(SECRET).is_none() {
        let child = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "the_environment_is_cleared_except_the_allowlist_and_the_job_env",
                "--exact",
                "--nocapture",
            ])
            .env(SECRET, "hunter2")
            .env("TZ", "Europe/Berlin")
            .output()
            .expect("the test binary starts");
        assert!(
            child.status.success(),
            "the test in a child process failed:\n{}{}",
            String::from_utf8_lossy(&child.stdout),
            String::from_utf8_lossy(&child.stderr)
        );
        return;
    }

    let mut job = Job::new(["env"]);
    job.env = vec![("WARROOM_JOB_VAR".into(), "from the job".into())];
    let outcome = executor(&["env"]).run(&job).await.expect("env runs");
    let vars: Vec<(&str, &str)> = outcome
        .output
        .lines()
        .filter_map(|line| line.split_once('='))
        .collect();
    let allowed = [
        "PATH",
        "HOME",
        "LANG",
        "LC_ALL",
        "TZ",
        "KUBECONFIG",
        "PGPASSFILE",
        "WARROOM_JOB_VAR",
    ];
    for (name, _) in &vars {
        assert!(allowed.contains(name), "{name} leaked into the child");
    }
    assert!(!outcome.output.contains(SECRET) && !outcome.output.contains("hunter2"));
    assert!(vars.contains(&("PATH", "/usr/bin:/bin")), "{vars:?}");
    assert!(vars.contains(&("TZ", "Europe/Berlin")), "{vars:?}");
    assert!(
        vars.contains(&("WARROOM_JOB_VAR", "from the job")),
        "{vars:?}"
    );
}

#[tokio::test]
async fn a_job_may_not_set_the_loader_or_the_path() {
    for name in ["LD_PRELOAD", "PATH"] {
        let mut job = Job::new(["env"]);
        job.env = vec![(name.into(), "/tmp/evil".into())];
        let result = executor(&["env"]).run(&job).await;
        assert!(
            matches!(&result, Err(ExecError::EnvNotAllowed(n)) if n == name),
            "{result:?}"
        );
    }
}

#[tokio::test]
async fn shell_syntax_in_arguments_reaches_the_program_as_literal_arguments() {
    let probes = [
        "; rm -rf /",
        "$(id)",
        "`id`",
        "a\nb",
        "--kubeconfig=/etc/x",
        "$HOME",
        "*",
        "'quoted' \"twice\"",
        "",
        "| cat /etc/passwd",
    ];
    let mut argv = vec!["printf", "%s\\n"];
    argv.extend(probes);
    let outcome = run(&executor(&["printf"]), &argv).await;
    let expected: String = probes.iter().map(|p| format!("{p}\n")).collect();
    assert_eq!(outcome.output, expected);
    assert_eq!(outcome.exit_code, Some(0));
}

#[tokio::test]
async fn a_process_past_its_time_limit_is_killed() {
    let started = Instant::now();
    let outcome = executor(&["sleep"])
        .run(&job(&["sleep", "600"], Duration::from_secs(1)))
        .await
        .expect("sleep runs");
    assert!(outcome.timed_out);
    assert_eq!(outcome.exit_code, None);
    assert_eq!(outcome.signal, Some(9));
    assert!(!outcome.succeeded());
    assert!(started.elapsed() < Duration::from_secs(20), "{outcome:?}");
}

#[tokio::test]
async fn the_time_limit_kills_the_children_too() {
    let outcome = executor(&["sh"])
        .run(&job(
            &["sh", "-c", "echo $$; sleep 600 & sleep 600"],
            Duration::from_secs(1),
        ))
        .await
        .expect("sh runs");
    assert!(outcome.timed_out, "{outcome:?}");
    assert_group_dies(first_line_number(&outcome.output)).await;
}

#[tokio::test]
async fn what_a_finished_process_left_running_is_killed_and_not_waited_for() {
    let started = Instant::now();
    let outcome = executor(&["sh"])
        .run(&job(
            &["sh", "-c", "echo $$; sleep 600 &"],
            Duration::from_secs(300),
        ))
        .await
        .expect("sh runs");
    assert_eq!(outcome.exit_code, Some(0), "{outcome:?}");
    assert!(!outcome.timed_out);
    assert!(started.elapsed() < Duration::from_secs(60), "{outcome:?}");
    assert_group_dies(first_line_number(&outcome.output)).await;
}

#[tokio::test]
async fn a_process_that_left_the_group_cannot_hold_the_run_open() {
    // `setsid` takes the sleep out of the group, out of reach of the kill, still holding
    // the output pipe: the run ends after the short drain grace, not when the sleep does.
    let started = Instant::now();
    let outcome = executor(&["sh"])
        .run(&job(
            &["sh", "-c", "setsid sleep 30 & echo $!"],
            Duration::from_secs(300),
        ))
        .await
        .expect("sh runs");
    let escaped = first_line_number(&outcome.output);
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(escaped),
        nix::sys::signal::Signal::SIGKILL,
    );
    assert_eq!(outcome.exit_code, Some(0), "{outcome:?}");
    assert!(started.elapsed() < Duration::from_secs(20), "{outcome:?}");
}

#[tokio::test]
async fn dropping_a_run_half_way_kills_its_process_group() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("pid");
    let made = std::process::Command::new("/usr/bin/mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let fifo_arg = fifo.to_str().expect("utf-8");
    let executor = executor(&["sh"]);
    let job = job(
        &[
            "sh",
            "-c",
            r#"sleep 600 & echo $$ > "$0"; sleep 600"#,
            fifo_arg,
        ],
        Duration::from_secs(600),
    );
    // The shell writes its pid into the FIFO once its children run; reading it waits for
    // exactly that. Then the run is dropped unfinished.
    let pgid = tokio::select! {
        result = executor.run(&job) => panic!("the run ended by itself: {result:?}"),
        pid = tokio::fs::read_to_string(&fifo) => pid.expect("read the fifo"),
    };
    let pgid: i32 = pgid.trim().parse().expect("a pid");
    assert_eq!(executor.running(), 0);
    assert_group_dies(pgid).await;
}

#[tokio::test]
async fn only_the_last_64_kib_of_a_long_output_are_kept() {
    let outcome = run(&executor(&["seq"]), &["seq", "1", "3000000"]).await;
    let all_bytes: u64 = (1..=3_000_000u64)
        .map(|n| n.to_string().len() as u64 + 1)
        .sum();
    assert_eq!(outcome.output_bytes, all_bytes);
    assert!(outcome.truncated);
    assert_eq!(outcome.output.len(), 64 * 1024);
    assert!(outcome.output.ends_with("2999999\n3000000\n"));
    assert_eq!(outcome.exit_code, Some(0));
}

#[tokio::test]
async fn a_hundred_megabytes_of_output_are_counted_but_not_kept() {
    let outcome = run(
        &executor(&["head"]),
        &["head", "-c", "100000000", "/dev/zero"],
    )
    .await;
    assert_eq!(outcome.output_bytes, 100_000_000);
    assert_eq!(outcome.output.len(), 64 * 1024);
    assert!(outcome.truncated);
}

#[tokio::test]
async fn no_more_than_max_concurrent_processes_run_at_once() {
    let executor = Arc::new(ProcessExecutor::new(ExecutorSettings {
        max_concurrent: 2,
        ..settings(&["sh"])
    }));
    let job = Job::new(["sh", "-c", "date +%s%N; sleep 0.3; date +%s%N"]);
    let runs: Vec<_> = (0..6)
        .map(|_| {
            let (executor, job) = (Arc::clone(&executor), job.clone());
            tokio::spawn(async move { executor.run(&job).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for run in runs {
        outcomes.push(run.await.expect("the run task"));
    }

    // Each process printed its own start and end; count how many overlapped.
    let mut edges: Vec<(u128, i32)> = Vec::new();
    for outcome in outcomes {
        let outcome = outcome.expect("sh runs");
        let times: Vec<u128> = outcome
            .output
            .lines()
            .map(|l| l.parse().expect("nanoseconds"))
            .collect();
        assert_eq!(times.len(), 2, "{outcome:?}");
        edges.push((times[0], 1));
        edges.push((times[1], -1));
    }
    edges.sort_by_key(|&(at, delta)| (at, delta));
    let mut running = 0;
    let mut most = 0;
    for (_, delta) in edges {
        running += delta;
        most = most.max(running);
    }
    assert!(most <= 2, "{most} processes ran at once");
    assert_eq!(executor.running(), 0);
}

#[tokio::test]
async fn a_closed_executor_starts_nothing_new() {
    let executor = executor(&["echo"]);
    executor.close();
    let result = executor.run(&Job::new(["echo", "late"])).await;
    assert!(matches!(result, Err(ExecError::ShuttingDown)), "{result:?}");
}

#[tokio::test]
async fn a_dry_run_starts_nothing_and_says_what_it_would_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("would be created");
    let marker = marker.to_str().expect("utf-8");
    let outcome = run(&DryRunExecutor, &["touch", marker]).await;
    assert!(!Path::new(marker).exists());
    assert!(outcome.dry_run && outcome.succeeded());
    assert_eq!(
        outcome.output,
        format!("dry run: would run touch '{marker}'")
    );
    assert_eq!(DryRunExecutor.name(), "dry-run");

    let outcome = run(
        &DryRunExecutor,
        &[
            "kubectl",
            "rollout",
            "restart",
            "deployment/api-server",
            "-n",
            "it's prod",
        ],
    )
    .await;
    assert_eq!(
        outcome.output,
        r"dry run: would run kubectl rollout restart deployment/api-server -n 'it'\''s prod'"
    );
}
