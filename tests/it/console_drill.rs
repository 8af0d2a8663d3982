//! `warroom console` as a newcomer first runs it: a drill, in a database of its own, where no
//! command runs and every message says DRILL; `--live` is the explicit way to make it real.

use std::path::Path;
use std::process::Output;

use crate::support::binary::{command_with_defaults, feed};

/// A runbook with one read step whose real output differs from the drill's description of it:
/// `printf '%s-%s\n' live proof` prints `live-proof`, which the drill never shows.
const RUNBOOK: &str = "---\nid: proof\ntitle: Proof of a run\nkeywords: [proof]\n---\n\n\
# Proof of a run\n\n## Diagnosis\n```sh action=proof risk=read\n# Print the proof\n\
printf '%s-%s\\n' live proof\n```\n";

const SCRIPT: &str = "alice: /incident declare p2 Proof of a run is needed\n\
alice@inc-1: /incident runbook attach proof\n\
alice@inc-1: /incident run 1\n\
alice@inc-1: /incident resolve proven\n";

/// A folder with `warroom.toml` (the runbook folder, `printf` allowed) and the runbook.
fn setup(dir: &Path, database: Option<&str>) {
    std::fs::create_dir_all(dir.join("runbooks")).expect("runbooks folder");
    std::fs::write(dir.join("runbooks/proof.md"), RUNBOOK).expect("runbook");
    let mut toml =
        String::from("runbook_dirs = [\"runbooks\"]\n[actions]\nallowed_programs = [\"printf\"]\n");
    if let Some(url) = database {
        toml.insert_str(0, &format!("database_url = {url:?}\n"));
    }
    std::fs::write(dir.join("warroom.toml"), toml).expect("config");
}

fn console(dir: &Path, args: &[&str]) -> Output {
    let mut command = command_with_defaults(dir);
    command.args(args);
    feed(command, SCRIPT)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The output with the wall clock's readings replaced (`21:17 UTC` → `HH:MM UTC`, `0.0 s` →
/// `N.N s`), so that a run on the real clock can be held to a golden transcript.
fn without_clock(out: &str) -> String {
    let times = regex::Regex::new(r"\b\d\d:\d\d UTC").expect("a pattern");
    let seconds = regex::Regex::new(r"\b\d+\.\d s\b").expect("a pattern");
    let out = times.replace_all(out, "HH:MM UTC");
    seconds.replace_all(&out, "N.N s").into_owned()
}

/// The lines Warroom itself said (posts, edits, replies, direct messages).
fn bot_lines(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| l.starts_with('[') && l.contains("] warroom"))
        .collect()
}

#[test]
fn the_console_is_a_drill_in_its_own_database_by_default() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Even with a live database configured, a drill keeps to its own file.
    let live = format!("sqlite://{}", dir.path().join("live.db").display());
    setup(dir.path(), Some(&live));
    let output = console(dir.path(), &["console"]);
    let (out, err) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{out}{err}");
    assert!(
        err.contains("warroom: drill — no command runs and nobody is paged; incidents are recorded in sqlite://warroom-drill.db"),
        "{err}"
    );
    assert!(dir.path().join("warroom-drill.db").exists());
    assert!(
        !dir.path().join("live.db").exists(),
        "the live database is untouched"
    );
    assert!(!dir.path().join("warroom.db").exists());

    // Every message Warroom posts is marked, and the run says it did not happen.
    let said = bot_lines(&out);
    assert!(said.len() >= 5, "{out}");
    for line in &said {
        assert!(line.contains("warroom · DRILL"), "unmarked: {line}\n{out}");
    }
    assert!(out.contains("drill: not run"), "{out}");
    assert!(
        !out.contains("live-proof"),
        "the command did not run: {out}"
    );
    assert!(!out.contains("exit code"), "{out}");
    crate::console::assert_golden("drill_default.out", &without_clock(&out));

    // The timeline and the post-mortem say so too, read from the drill's database.
    let pm = command_with_defaults(dir.path())
        .args(["postmortem", "INC-1", "--drill"])
        .output()
        .expect("postmortem runs");
    let markdown = text(&pm.stdout);
    assert!(pm.status.success(), "{}", text(&pm.stderr));
    assert!(
        markdown.starts_with("# DRILL · INC-1: Proof of a run is needed"),
        "{markdown}"
    );
    assert!(markdown.contains("> **A drill.**"), "{markdown}");
    assert!(
        markdown.contains("(a drill)"),
        "the declaration says so: {markdown}"
    );
    assert!(markdown.contains("r1: drill: not run"), "{markdown}");
    assert!(!markdown.contains("exit code"), "{markdown}");

    // Asked of the live database, the post-mortem points at the drill's.
    let pm = command_with_defaults(dir.path())
        .args(["postmortem", "INC-1"])
        .output()
        .expect("postmortem runs");
    assert!(!pm.status.success());
    assert!(
        text(&pm.stderr).contains("for a drill's: warroom postmortem INC-1 --drill"),
        "{}",
        text(&pm.stderr)
    );
}

#[test]
fn live_needs_a_named_database_and_then_runs_for_real_unmarked() {
    let dir = tempfile::tempdir().expect("temp dir");
    setup(dir.path(), None);
    let refused = console(dir.path(), &["console", "--live"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("--live needs a database named"),
        "{}",
        text(&refused.stderr)
    );
    assert!(
        !dir.path().join("warroom.db").exists(),
        "nothing was created"
    );

    let url = format!("sqlite://{}", dir.path().join("live.db").display());
    setup(dir.path(), Some(&url));
    let output = console(dir.path(), &["console", "--live"]);
    let (out, err) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{out}{err}");
    assert!(
        err.contains("warroom: LIVE — approved commands run on this host"),
        "{err}"
    );
    assert!(
        err.contains("the two-person rule holds only in Slack and Matrix"),
        "{err}"
    );
    assert!(out.contains("live-proof"), "the command ran: {out}");
    assert!(out.contains("exit code 0"), "{out}");
    assert!(!out.contains("DRILL"), "{out}");
    crate::console::assert_golden("live.out", &without_clock(&out));
    assert!(!dir.path().join("warroom-drill.db").exists());

    let pm = command_with_defaults(dir.path())
        .args(["postmortem", "INC-1"])
        .output()
        .expect("postmortem runs");
    let markdown = text(&pm.stdout);
    assert!(
        markdown.starts_with("# INC-1: Proof of a run is needed"),
        "{markdown}"
    );
    assert!(!markdown.contains("drill"), "{markdown}");
}

#[test]
fn a_rehearsal_on_a_simulated_clock_cannot_be_live() {
    let dir = tempfile::tempdir().expect("temp dir");
    setup(dir.path(), None);
    let output = console(dir.path(), &["console", "--live", "--simulated-clock"]);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("cannot be used with"),
        "{}",
        text(&output.stderr)
    );
}
