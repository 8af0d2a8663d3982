//! `warroom doctor` with the Slack setup guide's configuration against the strict fake Slack
//! (it passes), then broken three ways (a wrong token, a missing scope, a bad runbook), each
//! named with its fix; then a database with a migration pending, an allowed program that is
//! not installed, and a Matrix bot checked against a real Synapse.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::json;

use crate::support::binary::command;
use crate::support::fake_slack::{BOT, FakeSlack};
use crate::support::matrix::{self, Human};
use crate::support::slack_world::{SECRET, TOKEN};

/// The guide's configuration (docs/SLACK_SETUP.md, step 3), pointed at the fake, with a
/// rotation so that every severity pages someone and one allowed program that is installed.
fn slack_config(dir: &Path, api_url: &str) {
    std::fs::create_dir_all(dir.join("runbooks")).expect("runbooks");
    std::fs::write(
        dir.join("runbooks/disk.md"),
        "# Disk full\n\n## Symptoms\n- disk usage alert\n\n## Fix\n```sh\ndf -h\n```\n",
    )
    .expect("runbook");
    std::fs::write(
        dir.join("warroom.toml"),
        format!(
            r#"responders = ["U024BE7LH"]

[slack]
announce_room = "C0123ABC"
api_url = "{api_url}"

[actions]
allowed_programs = ["df"]

[[rotations]]
name = "primary"
people = ["U024BE7LH"]
handoff = "monday 09:00"
start = "2026-01-05"

[[rotations]]
name = "secondary"
people = ["U024BE7LH"]
handoff = "monday 09:00"
start = "2026-01-05"
"#
        ),
    )
    .expect("config");
}

fn doctor(dir: &Path, token: &str) -> (String, bool) {
    let out: Output = command(dir)
        .env("WARROOM_SLACK__BOT_TOKEN", token)
        .env("WARROOM_SLACK__SIGNING_SECRET", SECRET)
        .arg("doctor")
        .output()
        .expect("doctor runs");
    (
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        out.status.success(),
    )
}

fn migrate(dir: &Path) {
    let out = command(dir).arg("migrate").output().expect("migrate runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_passes_the_guide_s_setup_and_names_each_way_it_breaks() {
    let slack = FakeSlack::start(TOKEN).await;
    slack.add_channel("C0123ABC", "incidents", &[BOT]);
    let dir = tempfile::tempdir().expect("temp dir");
    slack_config(dir.path(), &slack.api_url);
    migrate(dir.path());
    let path = dir.path().to_path_buf();
    let run = |token: &'static str| {
        let path = path.clone();
        tokio::task::spawn_blocking(move || doctor(&path, token))
    };

    let (said, ok) = run(TOKEN).await.expect("doctor");
    assert!(ok, "{said}");
    for line in [
        "ok    configuration warroom.toml",
        "ok    database sqlite://warroom.db (sqlite), schema up to date",
        "ok    slack: the bot token is warroom (UBOT) in Warroom Test",
        "ok    slack: all 11 scopes granted",
        "ok    slack: the bot is in the announce channel C0123ABC",
        "ok    runbooks: 1 runbook from runbooks",
        "ok    escalation: every target finds someone now",
        "ok    actions: 1 allowed program found on PATH",
        "no problems",
    ] {
        assert!(said.contains(line), "{line:?} missing:\n{said}");
    }

    // 1. A wrong token.
    let (said, ok) = run("xoxb-not-the-token").await.expect("doctor");
    assert!(!ok, "{said}");
    assert!(
        said.contains("FAIL  slack: auth.test refused the bot token: invalid_auth\n      fix: set WARROOM_SLACK__BOT_TOKEN to the app's Bot User OAuth Token"),
        "{said}"
    );
    assert!(
        !said.contains("xoxb-not-the-token"),
        "the token is never shown: {said}"
    );

    // 2. A scope the app was installed without.
    slack.revoke_scope("pins:write");
    let (said, ok) = run(TOKEN).await.expect("doctor");
    assert!(!ok, "{said}");
    assert!(
        said.contains(
            "FAIL  slack: the token lacks pins:write\n      fix: add them under OAuth & Permissions"
        ),
        "{said}"
    );
    assert!(said.contains("1 problem\n"), "{said}");

    // 3. A runbook that does not load, and the bot out of the announcement channel.
    slack.add_channel("C0123ABC", "incidents", &["U024BE7LH"]);
    std::fs::write(
        dir.path().join("runbooks/broken.md"),
        "---\nid: [unclosed\n---\n# Broken\n",
    )
    .expect("broken runbook");
    let (said, ok) = run(TOKEN).await.expect("doctor");
    assert!(!ok, "{said}");
    assert!(said.contains("FAIL  runbooks: "), "{said}");
    assert!(said.contains("broken.md"), "{said}");
    assert!(
        said.contains("FAIL  slack: the bot is not in the announce channel C0123ABC\n      fix: in that channel: /invite @warroom"),
        "{said}"
    );
    assert!(said.contains("3 problems\n"), "{said}");

    // 4. Slack down: named, and the other checks still run.
    slack.go_down();
    let (said, ok) = run(TOKEN).await.expect("doctor");
    assert!(!ok, "{said}");
    assert!(said.contains("FAIL  slack: "), "{said}");
    assert!(said.contains("auth.test"), "{said}");
    assert!(
        said.contains("ok    database sqlite://warroom.db"),
        "{said}"
    );
}

#[test]
fn a_pending_migration_a_missing_program_and_a_typo_are_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("warroom.toml"),
        "lobbby = \"ops\"\n[actions]\nallowed_programs = [\"df\", \"no-such-program-here\"]\n",
    )
    .expect("config");
    // A database made by the previous version: the newest migration not applied yet.
    migrate(dir.path());
    let db = dir.path().join("warroom.db");
    let deleted = Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('DELETE FROM _sqlx_migrations WHERE version=(SELECT max(version) FROM _sqlx_migrations)'); c.commit()",
        ])
        .arg(&db)
        .status()
        .expect("python3 runs");
    assert!(deleted.success());
    let out = command(dir.path()).arg("doctor").output().expect("doctor");
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success());
    assert!(
        said.contains(
            "FAIL  unknown key 'lobbby' in warroom.toml is ignored\n      fix: rename it to lobby"
        ),
        "{said}"
    );
    // The newest migration, as doctor names it: `20261208000016 digests`.
    let newest = std::fs::read_dir(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite"),
    )
    .expect("the migrations")
    .filter_map(|e| e.ok()?.file_name().into_string().ok())
    .max()
    .expect("a migration");
    let (version, name) = newest
        .trim_end_matches(".sql")
        .split_once('_')
        .expect("VERSION_name.sql");
    let pending = format!(
        "FAIL  database sqlite://warroom.db: 1 migration pending: {version} {}\n      fix: warroom migrate",
        name.replace('_', " ")
    );
    assert!(said.contains(&pending), "{pending:?} missing:\n{said}");
    assert!(
        said.contains("FAIL  actions: no-such-program-here is allowed but not found on PATH"),
        "{said}"
    );
    // The default escalation names rotations this configuration does not have.
    assert!(
        said.contains("FAIL  escalation: oncall:primary finds nobody"),
        "{said}"
    );
    // Doctor changed nothing: the migration is still pending.
    let again = command(dir.path()).arg("doctor").output().expect("doctor");
    assert!(String::from_utf8_lossy(&again.stdout).contains("1 migration pending"));
}

#[tokio::test]
async fn doctor_logs_the_matrix_bot_in_and_finds_a_room_it_is_not_in() {
    let _turn = matrix::share_synapse().await;
    let test = "doctor_logs_the_matrix_bot_in_and_finds_a_room_it_is_not_in";
    let Some(url) = matrix::synapse(test).await else {
        return;
    };
    let bot_name = "warroom-bot12";
    let bot = matrix::mxid(bot_name);
    let alice = Human::login(&url, "alice").await;
    let joined = alice
        .create_room(json!({"name": format!("doctor {}", matrix::nonce()), "invite": [bot]}))
        .await;
    Human::login(&url, bot_name).await.join(&joined).await;
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("warroom.toml"),
        format!(
            "[actions]\nallowed_programs = [\"df\"]\n[matrix]\nhomeserver = {url:?}\nuser = {bot:?}\nrooms = [{joined:?}, \"#nobody-made-this:localhost\"]\n"
        ),
    )
    .expect("config");
    migrate(dir.path());
    let doctor_with = |password: String| {
        let path = dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            let out = command(&path)
                .env("WARROOM_MATRIX__PASSWORD", password)
                .arg("doctor")
                .output()
                .expect("doctor");
            (
                String::from_utf8_lossy(&out.stdout).into_owned(),
                out.status.success(),
            )
        })
    };
    let (said, ok) = doctor_with(format!("{bot_name}-password"))
        .await
        .expect("doctor");
    assert!(!ok, "{said}");
    assert!(
        said.contains(&format!(
            "ok    matrix: logged in as {bot} (password) at {url}"
        )),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "ok    matrix: the bot is in {joined} and may post"
        )),
        "{said}"
    );
    assert!(
        said.contains("FAIL  matrix: #nobody-made-this:localhost does not resolve"),
        "{said}"
    );
    // A wrong password is named, and never shown.
    let (said, ok) = doctor_with("wrong-password-123".to_owned())
        .await
        .expect("doctor");
    assert!(!ok);
    assert!(
        said.contains(&format!(
            "FAIL  matrix: the password login as {bot} was refused: M_FORBIDDEN"
        )),
        "{said}"
    );
    assert!(!said.contains("wrong-password-123"), "{said}");
}
