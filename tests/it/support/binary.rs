//! Runs the `warroom` binary as a user would, with no WARROOM_* variables from outside: the
//! one way the tests spawn it.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The setting under which a person's declaration pages the on-call chain like any other:
/// the tests of paging were written for it, and set it unless they test the default (where
/// the declarer acknowledges by declaring; see [`command_with_defaults`]).
pub const PAGES_ON_DECLARE: (&str, &str) = ("WARROOM_ESCALATION__COMMANDER_ACKNOWLEDGES", "false");

/// The `warroom` binary as a command that runs in `dir` and sees none of the test run's own
/// WARROOM_* variables, with [`PAGES_ON_DECLARE`]: every test spawns it through this (or
/// [`command_with_defaults`]), then adds what it configures.
pub fn command(dir: &Path) -> Command {
    let mut command = command_with_defaults(dir);
    command.env(PAGES_ON_DECLARE.0, PAGES_ON_DECLARE.1);
    command
}

/// The same without [`PAGES_ON_DECLARE`]: Warroom as a newcomer runs it.
pub fn command_with_defaults(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_warroom"));
    for (key, _) in std::env::vars() {
        if key.starts_with("WARROOM_") {
            command.env_remove(key);
        }
    }
    command.current_dir(dir);
    command
}

/// Runs `warroom ARGS` in `dir` on `database_url`, feeding it `stdin`.
pub fn warroom(dir: &Path, database_url: &str, args: &[&str], stdin: &str) -> Output {
    let mut command = command(dir);
    command.env("WARROOM_DATABASE_URL", database_url).args(args);
    feed(command, stdin)
}

/// Runs `command` to its end with `stdin` as its input; its output.
pub fn feed(mut command: Command, stdin: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the warroom binary starts");
    let written = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    // A warroom that stops at start-up (a damaged database) closes its stdin unread.
    if let Err(e) = written {
        assert_eq!(
            e.kind(),
            std::io::ErrorKind::BrokenPipe,
            "writing stdin: {e}"
        );
    }
    child.wait_with_output().expect("warroom finishes")
}

/// A `sqlite://` URL for `warroom.db` in `dir`.
pub fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("warroom.db").display())
}
