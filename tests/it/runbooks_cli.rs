//! `warroom runbooks …` as other tools call it: the exact JSON shapes, and lint's exit status.

use std::path::Path;

use serde_json::Value;

use crate::support::binary;

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> (String, String, bool) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = binary::warroom(crate_dir(), &binary::sqlite_url(dir.path()), args, "");
    (
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

/// Writes `text` as a configuration file in `dir`; its path, for `--config`.
fn config_file(dir: &Path, text: &str) -> String {
    let path = dir.join("warroom.toml");
    std::fs::write(&path, text).expect("written");
    path.display().to_string()
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn list_json_has_the_documented_shape() {
    let (out, err, ok) = run(&["runbooks", "list", "--json", "runbooks"]);
    assert!(ok, "{err}");
    let list: Value = serde_json::from_str(&out).expect("JSON");
    let list = list.as_array().expect("an array");
    assert_eq!(list.len(), 23);
    for runbook in list {
        let mut k = keys(runbook);
        k.sort_unstable();
        assert_eq!(
            k,
            [
                "alerts", "contacts", "facts", "id", "source", "steps", "title"
            ]
        );
        for fact in runbook["facts"].as_array().expect("facts") {
            let mut k = keys(fact);
            k.sort_unstable();
            assert_eq!(k, ["key", "value"]);
        }
        assert!(runbook["alerts"].as_array().is_some_and(|a| !a.is_empty()));
        for step in runbook["steps"].as_array().expect("steps") {
            let mut k = keys(step);
            k.sort_unstable();
            assert_eq!(
                k,
                [
                    "command", "details", "heading", "kind", "only_if", "risk", "runnable",
                    "section", "title", "why"
                ]
            );
            assert!(step["details"].is_array(), "{step}");
            // Every step of the shipped runbooks stands under one of its headings.
            assert!(step["heading"].is_string(), "{step}");
            assert!(step["only_if"].is_string() || step["only_if"].is_null());
            assert!(step["command"].is_string() || step["command"].is_null());
            assert_eq!(
                step["command"].is_null(),
                step["kind"] == "manual",
                "code exactly on code steps: {step}"
            );
            assert!(matches!(
                step["kind"].as_str(),
                Some("manual" | "command" | "script" | "sql")
            ));
            // Every piece of code has a risk; a person's task has none and never runs.
            assert_eq!(
                step["risk"].is_null(),
                step["kind"] == "manual",
                "a risk exactly on code steps: {step}"
            );
            assert!(
                matches!(step["risk"].as_str(), Some("read" | "write" | "dangerous"))
                    || step["risk"].is_null()
            );
            let runnable = step["runnable"].as_bool().expect("runnable is a bool");
            if runnable {
                assert_eq!(step["kind"], "command", "{step}");
            }
            assert_eq!(
                step["why"].is_string(),
                !runnable && step["kind"] != "manual",
                "a reason exactly when code does not run: {step}"
            );
        }
    }
    let pool = list
        .iter()
        .find(|r| r["id"] == "database-connection-pool-exhausted")
        .expect("the pool runbook");
    assert_eq!(
        pool["source"],
        "runbooks/database-connection-pool-exhausted.md:1"
    );
    assert_eq!(pool["alerts"][0], "DatabaseConnectionPoolExhausted");
}

#[test]
fn match_json_is_best_first_with_id_title_and_score() {
    let (out, err, ok) = run(&[
        "runbooks",
        "match",
        "--json",
        "--runbooks",
        "runbooks",
        "checkout",
        "API",
        "returns",
        "500s,",
        "too many clients already",
    ]);
    assert!(ok, "{err}");
    let matches: Value = serde_json::from_str(&out).expect("JSON");
    let matches = matches.as_array().expect("an array");
    assert!(!matches.is_empty() && matches.len() <= 3);
    assert_eq!(matches[0]["id"], "database-connection-pool-exhausted");
    let scores: Vec<f64> = matches
        .iter()
        .map(|m| {
            let mut k = keys(m);
            k.sort_unstable();
            assert_eq!(k, ["confidence", "id", "score", "title"]);
            let word = m["confidence"].as_str().expect("a word");
            assert!(["strong", "likely", "weak"].contains(&word), "{word}");
            m["score"].as_f64().expect("a number")
        })
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

#[test]
fn an_alert_name_in_the_text_wins() {
    let (out, _, ok) = run(&[
        "runbooks",
        "match",
        "--json",
        "--runbooks",
        "runbooks",
        "RedisDown",
    ]);
    assert!(ok);
    let matches: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(matches[0]["id"], "redis-failure");
    assert!(matches[0]["score"].as_f64().expect("score") >= 1000.0);
}

#[test]
fn unrelated_text_is_no_good_match() {
    let (out, _, ok) = run(&[
        "runbooks",
        "match",
        "--runbooks",
        "runbooks",
        "the",
        "coffee",
        "machine",
        "is",
        "broken",
    ]);
    assert!(ok);
    // The closest runbooks are still listed, each marked weak.
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("No good match."), "{out}");
    assert!(lines.all(|l| l.contains("  weak  ")), "{out}");
    let (json, _, _) = run(&[
        "runbooks",
        "match",
        "--json",
        "--runbooks",
        "runbooks",
        "lunch",
        "menu",
    ]);
    assert_eq!(json.trim(), "[]");
}

#[test]
fn a_path_that_is_not_there_fails_every_runbooks_command() {
    for args in [
        &["runbooks", "list", "/no/such/runbooks"][..],
        &["runbooks", "lint", "/no/such/runbooks"],
        &[
            "runbooks",
            "match",
            "--runbooks",
            "/no/such/runbooks",
            "disk full",
        ],
    ] {
        let (out, err, ok) = run(args);
        assert!(!ok, "{args:?}: {out}");
        assert_eq!(
            err, "warroom: /no/such/runbooks: no such file or folder\n",
            "{args:?}"
        );
    }
}

#[test]
fn show_prints_a_runbook_and_an_unknown_id_fails() {
    let (out, _, ok) = run(&["runbooks", "show", "tls-certificate-expiring"]);
    assert!(ok);
    assert!(out.contains("id: tls-certificate-expiring"), "{out}");
    assert!(out.contains("\nDiagnosis\n  1. "), "{out}");
    let (_, err, ok) = run(&["runbooks", "show", "no-such-runbook"]);
    assert!(!ok);
    assert!(
        err.contains("there is no runbook 'no-such-runbook'"),
        "{err}"
    );
}

#[test]
fn the_projects_runbooks_lint_clean_once_their_secrets_are_configured() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config_file(
        dir.path(),
        "[actions.secrets]\ndatabase_url = { env = \"DATABASE_URL\" }\ndatabase_replica_url = { env = \"DATABASE_REPLICA_URL\" }\n",
    );
    let (out, err, ok) = run(&[
        "--config", &config, "runbooks", "lint", "--strict", "runbooks",
    ]);
    assert!(ok, "{out}{err}");
    assert_eq!(out, "23 runbooks, no problems, no warnings\n");

    // Without them, Warroom would ask for the database's URL in the chat: warnings only.
    let (out, err, ok) = run(&["runbooks", "lint", "runbooks"]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("runbooks/database-down.md:28: warning: step 'Ask whether the primary accepts connections' takes database_url, which looks like a secret, and [actions.secrets] has no database_url: Warroom would ask for it in the chat\n"),
        "{out}"
    );
    assert!(
        out.ends_with("23 runbooks, no problems, 29 warnings\n"),
        "{out}"
    );
}

#[test]
fn lint_reports_file_and_line_and_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = dir.path().join("broken.md");
    std::fs::write(
        &broken,
        "---\nid: [unclosed\n---\n# Database down\n\n## Diagnosis\n```sh\npsql -c 'select 1'\n",
    )
    .expect("written");
    let path = broken.display().to_string();
    let (out, _, ok) = run(&["runbooks", "lint", &path]);
    assert!(!ok, "problems make lint fail");
    let lines: Vec<&str> = out.lines().collect();
    assert!(!lines.is_empty());
    for line in &lines {
        let rest = line
            .strip_prefix(&format!("{path}:"))
            .unwrap_or_else(|| panic!("not FILE:LINE: {line}"));
        let (number, message) = rest.split_once(": ").expect("LINE: message");
        assert!(number.parse::<usize>().is_ok(), "{line}");
        assert!(!message.is_empty());
    }
    assert!(
        out.contains(&format!("{path}:7:")),
        "the unclosed fence's line: {out}"
    );
}

/// `list --json` of one file as JSON steps: (kind, risk, runnable, why, command).
fn listed_steps(path: &str, extra: &[&str]) -> Vec<(String, Value, bool, Value, String)> {
    let mut args = extra.to_vec();
    args.extend(["runbooks", "list", "--json", path]);
    let (out, err, ok) = run(&args);
    assert!(ok, "{err}");
    let list: Value = serde_json::from_str(&out).expect("JSON");
    list.as_array()
        .expect("an array")
        .iter()
        .flat_map(|r| r["steps"].as_array().expect("steps").clone())
        .filter(|s| s["kind"] != "manual")
        .map(|s| {
            (
                s["kind"].as_str().expect("kind").to_owned(),
                s["risk"].clone(),
                s["runnable"].as_bool().expect("runnable"),
                s["why"].clone(),
                s["command"].as_str().expect("code").to_owned(),
            )
        })
        .collect()
}

#[test]
fn list_json_judges_public_runbooks_that_carry_no_annotation() {
    let gitlab = listed_steps(
        "tests/fixtures/runbooks/collections/gitlab/pgbouncer-saturation.md",
        &[],
    );
    let kinds: Vec<(&str, &Value, bool)> = gitlab
        .iter()
        .map(|(kind, risk, runnable, _, _)| (kind.as_str(), risk, *runnable))
        .collect();
    assert_eq!(
        kinds,
        [
            ("sql", &Value::from("dangerous"), false),
            ("command", &Value::from("write"), true),
            ("script", &Value::from("dangerous"), false),
        ],
        "{gitlab:#?}"
    );
    assert_eq!(gitlab[0].3, "SQL to copy into a database client");
    assert!(gitlab[1].4.starts_with("curl -o /tmp/sq.rb"), "{gitlab:#?}");
    assert_eq!(gitlab[1].3, Value::Null);
    assert_eq!(
        gitlab[2].3,
        "a script: loops, pipes, redirections and substitutions are shown to copy, never run"
    );

    let etcd = listed_steps(
        "tests/fixtures/runbooks/collections/openshift/etcdHighFsyncDurations.md",
        &[],
    );
    let defrag = etcd
        .iter()
        .find(|s| s.4 == "etcdctl defrag")
        .expect("the defrag step");
    assert_eq!(defrag.0, "command");
    assert_eq!(defrag.1, "dangerous");
    assert!(!defrag.2);
    assert_eq!(defrag.3, "dangerous: Warroom has no rule for `etcdctl`");
}

#[test]
fn list_json_takes_the_configured_raises_and_allowlist() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config_file(
        dir.path(),
        "[actions]\ndangerous_allowlist = [\"etcdctl defrag\"]\n\n[actions.risk]\ncount-connections-by-state = \"dangerous\"\n",
    );
    let etcd = listed_steps(
        "tests/fixtures/runbooks/collections/openshift/etcdHighFsyncDurations.md",
        &["--config", &config],
    );
    let defrag = etcd
        .iter()
        .find(|s| s.4 == "etcdctl defrag")
        .expect("defrag");
    assert_eq!(
        (&defrag.1, defrag.2, &defrag.3),
        (&Value::from("dangerous"), true, &Value::Null)
    );

    let pool = "runbooks/database-connection-pool-exhausted.md";
    let count = |steps: &[(String, Value, bool, Value, String)]| {
        steps
            .iter()
            .find(|s| s.4.contains("SELECT state, count(*)"))
            .cloned()
            .expect("the count step")
    };
    let annotated = count(&listed_steps(pool, &[]));
    assert_eq!((&annotated.1, annotated.2), (&Value::from("read"), true));
    let raised = count(&listed_steps(pool, &["--config", &config]));
    assert_eq!(
        (&raised.1, raised.2, &raised.3),
        (
            &Value::from("dangerous"),
            false,
            &Value::from(
                "dangerous: the configuration marks `count-connections-by-state` dangerous"
            )
        )
    );
}

#[test]
fn show_labels_each_code_step_and_says_why_it_will_not_run() {
    let (out, err, ok) = run(&["runbooks", "show", "database-connection-pool-exhausted"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("  1. Count connections by state [read · runs on a click]\n"),
        "{out}"
    );
    assert!(
        out.contains("  7. Restart the API to reset its pools [write · needs approval]\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "  10. Terminate sessions idle in a transaction for more than 5 minutes [dangerous · copy only]\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "\n       not run: dangerous: psql calls pg_terminate_backend, which ends other sessions\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "  12. Post on the status page that some requests fail and that a fix is in progress.\n"
        ),
        "a person's task has no label: {out}"
    );

    let (out, err, ok) = run(&[
        "runbooks",
        "show",
        "etcdhighfsyncdurations",
        "--runbooks",
        "tests/fixtures/runbooks/collections/openshift/etcdHighFsyncDurations.md",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains(
            "[dangerous · copy only]\n       etcdctl defrag\n       not run: dangerous: Warroom has no rule for `etcdctl`\n"
        ),
        "{out}"
    );
}

/// `runbooks lint FIXTURE` of tests/fixtures/runbooks/lint: its output and whether it passed.
fn lint_fixture(name: &str, extra: &[&str]) -> (String, bool) {
    let path = format!("tests/fixtures/runbooks/lint/{name}.md");
    let mut args = extra.to_vec();
    args.extend(["runbooks", "lint", &path]);
    let (out, err, ok) = run(&args);
    (format!("{out}{err}"), ok)
}

#[test]
fn lint_warns_about_each_step_that_will_not_run_and_why() {
    let file = "tests/fixtures/runbooks/lint";
    for (name, expected) in [
        (
            "no-rule",
            format!(
                "{file}/no-rule.md:7: warning: step 'Describe the under-replicated partitions' will not run: dangerous: Warroom has no rule for `kafka-topics` (mark it risk=dangerous if that is meant, or put the exact line in actions.dangerous_allowlist)\n"
            ),
        ),
        (
            "metacharacters",
            format!(
                "{file}/metacharacters.md:7: warning: step 'Find the API pods that are not running' will not run: a script: loops, pipes, redirections and substitutions are shown to copy, never run\n"
            ),
        ),
        (
            "sql",
            format!(
                "{file}/sql.md:6: warning: step 'Remove expired sessions' will not run: SQL to copy into a database client\n"
            ),
        ),
        (
            "fragment",
            format!(
                "{file}/fragment.md:8: warning: step 'Restart each worker' is a fragment of shell: it opens a construct it does not close (`done` is missing); keep a loop or condition whole in one code block\n\
                 {file}/fragment.md:15: warning: step 'Wait between them, then close the loop' is a fragment of shell: it starts with `done`, which ends or continues a construct opened elsewhere; keep a loop or condition whole in one code block\n"
            ),
        ),
        (
            "secret",
            format!(
                "{file}/secret.md:7: warning: step 'Count database connections' takes database_url, which looks like a secret, and [actions.secrets] has no database_url: Warroom would ask for it in the chat\n\
                 {file}/secret.md:9: warning: step 'Ask the admin API for its health' takes admin_api_token, which looks like a secret, and [actions.secrets] has no admin_api_token: Warroom would ask for it in the chat\n"
            ),
        ),
    ] {
        let (out, ok) = lint_fixture(name, &[]);
        assert!(ok, "warnings alone pass: {out}");
        let warnings = expected.lines().count();
        let summary = if warnings == 1 {
            "1 runbook, no problems, 1 warning\n".to_owned()
        } else {
            format!("1 runbook, no problems, {warnings} warnings\n")
        };
        assert_eq!(out, format!("{expected}{summary}"), "{name}");
        let path = format!("{file}/{name}.md");
        let (_, _, ok) = run(&["runbooks", "lint", "--strict", &path]);
        assert!(!ok, "--strict fails on warnings: {name}");
    }
}

#[test]
fn strict_lint_fails_on_warnings_and_configured_secrets_silence_them() {
    let (out, ok) = lint_fixture("secret", &[]);
    assert!(ok, "{out}");
    let path = "tests/fixtures/runbooks/lint/secret.md";
    let (out, err, ok) = run(&["runbooks", "lint", "--strict", path]);
    assert!(!ok, "--strict fails on warnings: {out}");
    assert_eq!(err, "1 runbook, no problems, 2 warnings\n");

    let dir = tempfile::tempdir().expect("temp dir");
    let config = config_file(
        dir.path(),
        "[actions.secrets]\ndatabase_url = { env = \"DATABASE_URL\" }\nadmin_api_token = { file = \"/run/secrets/admin_api_token\" }\n",
    );
    let (out, err, ok) = run(&["--config", &config, "runbooks", "lint", "--strict", path]);
    assert!(ok, "{out}{err}");
    assert_eq!(out, "1 runbook, no problems, no warnings\n");

    let (out, ok) = lint_fixture("clean", &[]);
    assert!(ok, "{out}");
    assert_eq!(
        out, "1 runbook, no problems, no warnings\n",
        "a step marked dangerous is meant to be copied"
    );
}

#[test]
fn oncall_shows_whom_each_severity_pages_and_warns_about_aliases_that_find_nobody() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The defaults with no rotations: every alias finds nobody, and `oncall` says so.
    let (out, err, ok) = run(&["oncall", "--at", "2026-01-05T14:00:00Z"]);
    assert!(ok, "{err}");
    assert!(out.contains("No on-call rotations are configured"), "{out}");
    assert!(
        out.contains(
            "P1: after 0m: nobody; after 5m: nobody; after 15m: group:engineering-managers"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "warning: oncall:primary finds nobody (no [[rotations]] entry has that name); it \
             pages no one at P0 after 0m, P1 after 0m, P2 after 0m"
        ),
        "{out}"
    );

    // With a rotation, its person is paged; a second alias still finds nobody.
    let config = config_file(
        dir.path(),
        "[[rotations]]\nname = \"primary\"\npeople = [\"dave\", \"erin\"]\n\
         handoff = \"monday 09:00\"\ntime_zone = \"UTC\"\nstart = \"2025-12-29\"\n",
    );
    let (out, err, ok) = run(&[
        "--config",
        &config,
        "oncall",
        "--at",
        "2026-01-05T14:00:00Z",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("primary: @erin until Mon 2026-01-12 09:00 (UTC)"),
        "{out}"
    );
    assert!(
        out.contains("P0: after 0m: @erin; after 5m: nobody"),
        "{out}"
    );
    assert!(!out.contains("warning: oncall:primary"), "{out}");
    assert!(
        out.contains("warning: oncall:secondary finds nobody"),
        "{out}"
    );

    let (_, err, ok) = run(&["oncall", "--at", "yesterday"]);
    assert!(!ok);
    assert!(err.contains("'yesterday' is not an RFC 3339 time"), "{err}");
}
