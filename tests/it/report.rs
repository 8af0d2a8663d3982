//! `warroom report`, run as a user runs it, over the drills a console script leaves: the
//! Markdown held to a golden file, the JSON's figures, night pages in another zone, the HTML
//! page, and bad arguments and an unreachable database answered in one line each.

use std::path::Path;
use std::process::Output;

use crate::console::{ROTATIONS, assert_golden, rehearse, stderr, stdout, with_runbooks};
use crate::support::binary::{self, sqlite_url};

/// The transcript's three drills, in a database in `dir`.
fn rehearsed(dir: &Path) -> String {
    std::fs::write(dir.join("warroom.toml"), ROTATIONS).expect("config");
    with_runbooks(dir);
    let script = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts/report.txt"),
    )
    .expect("the script");
    let url = sqlite_url(dir);
    let output = rehearse(dir, &url, &script);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    url
}

fn report(dir: &Path, url: &str, args: &[&str]) -> Output {
    binary::command(dir)
        .env("WARROOM_DATABASE_URL", url)
        .arg("report")
        .args(args)
        .output()
        .expect("warroom report runs")
}

const DAY: [&str; 4] = ["--since", "2026-01-05", "--until", "2026-01-06"];

#[test]
fn the_report_of_a_rehearsal_counts_pages_durations_runbooks_and_actions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = rehearsed(dir.path());

    let md = report(dir.path(), &url, &[&DAY[..], &["--drill"]].concat());
    assert!(md.status.success(), "{}", stderr(&md));
    let md = stdout(&md);
    assert_golden("report.md", &md);

    let json = report(
        dir.path(),
        &url,
        &[&DAY[..], &["--drill", "--format", "json"]].concat(),
    );
    assert!(json.status.success(), "{}", stderr(&json));
    let json: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("JSON");
    assert_eq!(json["incidents"], 3);
    // INC-2 is mitigated, INC-3 investigating: both still open.
    assert_eq!(json["open"], 2);
    assert_eq!(json["on_drills"], true);
    // Level 1 paged erin at once for each; for INC-1 level 2 paged frank at 5 minutes, and
    // frank acknowledged at 7.
    let pages: Vec<(String, u64, u64)> = json["pages"]
        .as_array()
        .expect("pages")
        .iter()
        .map(|p| {
            (
                p["person"].as_str().expect("a person").to_owned(),
                p["pages"].as_u64().expect("pages"),
                p["night"].as_u64().expect("night"),
            )
        })
        .collect();
    assert_eq!(pages, [("erin".into(), 3, 0), ("frank".into(), 1, 0)]);
    let duration = |name: &str| {
        json["durations"]
            .as_array()
            .expect("durations")
            .iter()
            .find(|d| d["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    // INC-1 was acknowledged at 7 minutes and INC-2 at 1 (nearest rank: the lower is p50).
    assert_eq!(duration("acknowledge")["count"], 2);
    assert_eq!(duration("acknowledge")["p50_secs"], 60);
    assert_eq!(duration("acknowledge")["p90_secs"], 420);
    // INC-1's impact started at 13:52, and it was detected when declared at 14:00.
    assert_eq!(duration("detect")["count"], 1);
    assert_eq!(duration("detect")["p50_secs"], 480);
    assert_eq!(duration("resolve")["count"], 1);
    let runbook = &json["runbooks"][0];
    assert_eq!(runbook["runbook"], "checkout-errors");
    assert_eq!(runbook["attached"], 1);
    assert_eq!(runbook["skipped"], 1);
    // The private drill's title is not shown.
    let titles: Vec<&str> = json["list"]
        .as_array()
        .expect("list")
        .iter()
        .map(|i| i["title"].as_str().expect("a title"))
        .collect();
    assert_eq!(
        titles,
        [
            "(private)",
            "Search results are slow",
            "Checkout returns 500s for customers"
        ]
    );

    // In Tokyo 14:00 UTC is 23:00: every page was at night there.
    let tokyo = report(
        dir.path(),
        &url,
        &[
            &DAY[..],
            &["--drill", "--format", "json", "--timezone", "Asia/Tokyo"],
        ]
        .concat(),
    );
    let tokyo: serde_json::Value = serde_json::from_str(&stdout(&tokyo)).expect("JSON");
    assert_eq!(tokyo["pages"][0]["night"], 3);
    assert_eq!(tokyo["pages"][1]["night"], 1);

    // Without --drill, the drills are only counted as left out.
    let live = report(dir.path(), &url, &DAY);
    assert!(live.status.success(), "{}", stderr(&live));
    assert!(
        stdout(&live).contains("0 incidents (0 still open); 3 drills left out"),
        "{}",
        stdout(&live)
    );

    // The HTML page: charts in SVG, numbers in tables, no script, written to a file.
    let page = dir.path().join("report.html");
    let html = report(
        dir.path(),
        &url,
        &[
            &DAY[..],
            &[
                "--drill",
                "--format",
                "html",
                "--out",
                page.to_str().expect("a path"),
            ],
        ]
        .concat(),
    );
    assert!(html.status.success(), "{}", stderr(&html));
    assert!(stderr(&html).contains("wrote the report of 3 incidents"));
    let html = std::fs::read_to_string(&page).expect("the page");
    assert!(html.starts_with("<!doctype html>"), "{html}");
    assert_eq!(html.matches("<svg role=\"img\"").count(), 4, "{html}");
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("<th scope=\"col\">at night</th>"), "{html}");
}

#[test]
fn bad_arguments_and_an_unreachable_database_are_one_clear_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = sqlite_url(dir.path());
    for (args, said) in [
        (vec!["--since", "last month"], "is neither a span like 30d"),
        (
            vec!["--timezone", "Mars/Olympus"],
            "'Mars/Olympus' is not an IANA time zone",
        ),
        (
            vec!["--since", "2026-02-01", "--until", "2026-01-01"],
            "is not before --until",
        ),
        (vec!["--format", "pdf"], "invalid value 'pdf'"),
    ] {
        let out = report(dir.path(), &url, &args);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr(&out).contains(said), "{args:?}: {}", stderr(&out));
    }
    let out = report(dir.path(), "postgres://warroom@127.0.0.1:9/none", &[]);
    assert!(!out.status.success());
    let said = stderr(&out);
    assert!(said.contains("refused"), "{said}");
    assert_eq!(said.trim().lines().count(), 1, "{said}");
}
