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
        assert_eq!(k, ["alerts", "id", "source", "steps", "title"]);
        assert!(runbook["alerts"].as_array().is_some_and(|a| !a.is_empty()));
        for step in runbook["steps"].as_array().expect("steps") {
            let mut k = keys(step);
            k.sort_unstable();
            assert_eq!(k, ["command", "kind", "risk", "section", "title"]);
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
            assert!(
                matches!(step["risk"].as_str(), Some("read" | "write" | "dangerous"))
                    || step["risk"].is_null()
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
fn show_prints_a_runbook_and_an_unknown_id_fails() {
    let (out, _, ok) = run(&["runbooks", "show", "tls-certificate-expiring"]);
    assert!(ok);
    assert!(out.contains("id: tls-certificate-expiring"), "{out}");
    assert!(out.contains("Diagnose\n  1. "), "{out}");
    let (_, err, ok) = run(&["runbooks", "show", "no-such-runbook"]);
    assert!(!ok);
    assert!(
        err.contains("there is no runbook 'no-such-runbook'"),
        "{err}"
    );
}

#[test]
fn the_projects_runbooks_lint_clean() {
    let (out, err, ok) = run(&["runbooks", "lint", "runbooks"]);
    assert!(ok, "{out}{err}");
    assert_eq!(out, "23 runbooks, no problems\n");
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
