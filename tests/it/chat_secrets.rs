//! Secrets never come through the chat: a secret-looking parameter is not asked for, a value
//! or a note that holds a credential is refused, and none of them is stored anywhere.

use std::path::Path;

use crate::support::binary::warroom;

/// What the responders type: each line tries to hand Warroom a secret.
const SCRIPT: &str = "alice: /incident declare p2 API answers slowly\n\
alice@inc-1: /incident runbook attach api-actions\n\
alice@inc-1: /incident run 2\n\
alice@inc-1: /incident run 2 database_url=postgres://app:hunter2-db@db-1:5432/shop\n\
alice@inc-1: /incident run 2 database_url=plain-looking-value\n\
alice@inc-1: /incident note the bot token is xoxb-2222222222-3333333333-secretslacktokenvalue\n\
alice@inc-1: press b1 pod_name=AKIAIOSFODNN7SECRETX\n\
bob@lobby: /incident declare p1 keys leaked: AKIAIOSFODNN7SECRETY\n\
alice@inc-1: /incident note -----BEGIN RSA PRIVATE KEY----- MIIsecretkeybody\n\
alice@inc-1: /incident run 1 pod_name=api-7f9c\n";

/// The secrets the script types, none of which may be stored.
const TYPED: &[&str] = &[
    "hunter2-db",
    "plain-looking-value",
    "secretslacktokenvalue",
    "AKIAIOSFODNN7SECRETX",
    "AKIAIOSFODNN7SECRETY",
    "MIIsecretkeybody",
];

fn answers(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| l.contains("warroom · DRILL → alice:") || l.contains("→ bob:"))
        .collect()
}

#[test]
fn secrets_typed_in_chat_are_refused_and_never_stored() {
    let dir = tempfile::tempdir().expect("temp dir");
    let runbooks = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/action-runbooks");
    std::fs::write(
        dir.path().join("warroom.toml"),
        format!(
            "runbook_dirs = [{runbooks:?}]\n[actions]\nallowed_programs = [\"printf\", \"psql\"]\n"
        ),
    )
    .expect("config");
    let url = format!("sqlite://{}", dir.path().join("chat.db").display());
    let output = warroom(dir.path(), &url, &["console", "--simulated-clock"], SCRIPT);
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{out}");
    let said = answers(&out);

    // A secret-looking parameter is never asked for in the chat: the answer says how to
    // configure it instead.
    assert!(
        said.iter().any(|l| l.contains(
            "step 2 needs database_url, which looks like a secret: Warroom never asks for one in the chat. Ask whoever runs Warroom to add it to [actions.secrets] (database_url = { env = \"DATABASE_URL\" }"
        )),
        "{out}"
    );
    assert!(!out.contains("database_url=…"), "{out}");
    // Given anyway, with a password in it or not, it is refused.
    assert!(
        said.iter()
            .any(|l| l.contains("looks like a URL with a password, so Warroom did not read it")),
        "{out}"
    );
    assert!(
        said.iter().any(|l| l.contains(
            "database_url looks like a secret, so Warroom does not take it from the chat"
        )),
        "{out}"
    );
    // Tokens, key ids and keys are refused wherever they are typed: a note, a button's
    // value, a title.
    for kind in ["a Slack token", "an AWS access key id", "a private key"] {
        assert!(
            out.contains(&format!(
                "that holds what looks like {kind}, so Warroom did not read it"
            )),
            "{kind}: {out}"
        );
    }
    assert!(
        out.contains("warroom · DRILL → bob: that holds what looks like an AWS access key id"),
        "{out}"
    );
    assert!(
        !out.contains("room #inc-2"),
        "the leaked title opened nothing: {out}"
    );
    // An ordinary value still runs.
    assert!(out.contains("dry run: would run printf"), "{out}");

    // Warroom's answers never repeat a secret (the console echoes what was typed after `> `).
    for line in out.lines().filter(|l| !l.starts_with("> ")) {
        for secret in TYPED {
            assert!(!line.contains(secret), "{secret} shown: {line}");
        }
    }
    // And none is anywhere in the database: every file SQLite wrote, byte for byte.
    let mut scanned = 0;
    for entry in std::fs::read_dir(dir.path()).expect("dir") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if !name.starts_with("chat.db") {
            continue;
        }
        let bytes = std::fs::read(&path).expect("database file");
        scanned += bytes.len();
        for secret in TYPED {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} stored in {name}"
            );
        }
    }
    assert!(scanned > 0, "the database was written");
}
