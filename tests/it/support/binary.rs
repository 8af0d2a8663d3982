//! Runs the `warroom` binary as a user would, with no WARROOM_* variables from outside: the
//! one way the tests spawn it.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The `warroom` binary as a command that runs in `dir` and sees none of the test run's own
/// WARROOM_* variables: every test spawns it through this, then adds what it configures.
pub fn command(dir: &Path) -> Command {
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
    let mut child = command
        .env("WARROOM_DATABASE_URL", database_url)
        .args(args)
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
