//! The runbook importer on bad input: every case gives a problem with its file and line, the
//! runbooks that could be read still load, and nothing panics.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use warroom::domain::Risk;
use warroom::runbook::{Imported, Problem, import_markdown, load_paths};

use crate::support::fuzz;

/// A small good runbook, to show that it still loads beside bad input.
const GOOD: &str = "## Disk Full\n\n### Symptoms\n\n- Disk at 100%\n\n### Quick Fix\n\n```bash\n# 1. Check usage\ndf -h\n```\n";

fn problems(imported: &Imported) -> Vec<(usize, &str)> {
    imported
        .problems
        .iter()
        .map(|p| (p.line, p.message.as_str()))
        .collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("folder");
    }
    fs::write(&path, bytes).expect("write");
    path
}

#[test]
fn binary_files_are_refused_and_the_others_still_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a-image.md", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    write(
        dir.path(),
        "b-garbage.md",
        &[0xff, 0xfe, 0x01, 0x02, 0x9d, 0x81],
    );
    write(dir.path(), "c-good.md", GOOD.as_bytes());
    let loaded = load_paths(&[dir.path().to_path_buf()]);
    assert_eq!(loaded.runbooks.len(), 1);
    let found: Vec<(String, usize, &str)> = loaded
        .problems
        .iter()
        .map(|p| {
            (
                p.file.rsplit('/').next().unwrap_or("").to_owned(),
                p.line,
                p.message.as_str(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("a-image.md".to_owned(), 0, "binary file, not read"),
            ("b-garbage.md".to_owned(), 0, "binary file, not read"),
        ]
    );
    let text = import_markdown("x.md", "## A\0B\n");
    assert_eq!(problems(&text), [(0, "binary file, not read")]);
}

#[test]
fn latin1_files_are_read_as_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let latin1: Vec<u8> = GOOD
        .replace("Disk Full", "Caf\u{e9} Disk Full")
        .chars()
        .map(|c| c as u8)
        .collect();
    let path = write(dir.path(), "latin1.md", &latin1);
    let loaded = load_paths(&[path]);
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    assert_eq!(loaded.runbooks[0].title, "Café Disk Full");
}

#[test]
fn empty_files_are_a_problem() {
    assert_eq!(problems(&import_markdown("e.md", "")), [(0, "empty file")]);
    assert_eq!(
        problems(&import_markdown("e.md", " \n\t\n")),
        [(0, "empty file")]
    );
}

#[test]
fn a_five_megabyte_file_is_refused_quickly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let line = "- `kubectl get pods` in a very long runbook line that repeats\n";
    let big = line.repeat(5 * 1024 * 1024 / line.len() + 1);
    let path = write(dir.path(), "huge.md", big.as_bytes());
    let started = Instant::now();
    let loaded = load_paths(std::slice::from_ref(&path));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        loaded.problems,
        [Problem {
            file: path.to_string_lossy().into_owned(),
            line: 0,
            message: "file is larger than 2 MiB, not read".into(),
        }]
    );
    let started = Instant::now();
    let text = import_markdown("huge.md", &big);
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(
        problems(&text),
        [(0, "file is larger than 2 MiB, not read")]
    );
}

#[test]
fn an_unclosed_fence_is_a_problem_at_its_opening_line() {
    let text = format!("{GOOD}\n## API Down\n\n### Quick Fix\n\n```bash\nkubectl get pods\n");
    let imported = import_markdown("open.md", &text);
    assert_eq!(imported.runbooks.len(), 2);
    assert_eq!(
        problems(&imported),
        [(18, "code block opened here is never closed")]
    );
}

#[test]
fn invalid_front_matter_yaml_is_a_problem_with_its_line_and_the_markdown_still_loads() {
    let text = format!("---\nid: disk\ntitle: [unclosed\nowner: x\n---\n{GOOD}");
    let imported = import_markdown("fm.md", &text);
    assert_eq!(imported.problems.len(), 1, "{:?}", imported.problems);
    assert!(
        imported.problems[0]
            .message
            .starts_with("front matter is not valid YAML")
    );
    assert!(
        (3..=5).contains(&imported.problems[0].line),
        "{:?}",
        imported.problems
    );
    assert_eq!(imported.runbooks.len(), 1);
    assert_eq!(imported.runbooks[0].id, "disk-full");
}

#[test]
fn wrong_front_matter_fields_are_problems_and_the_rest_is_kept() {
    let text = format!(
        "---\nid: disk\nalerts: DiskFull\nseverity: purple\nkeyword: [x]\nweight: 3\n---\n{GOOD}"
    );
    let imported = import_markdown("fm.md", &text);
    let found = problems(&imported);
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(found[0].0, 3);
    assert!(found[0].1.contains("alerts must be a list"));
    assert_eq!(found[1].0, 4);
    assert!(found[1].1.contains("unknown severity 'purple'"));
    assert_eq!(found[2].0, 5);
    // A typo is reported; another tool's key (`weight`, Hugo's) is not.
    assert!(
        found[2]
            .1
            .contains("unknown front matter key 'keyword' (did you mean 'keywords'?)")
    );
    assert_eq!(imported.runbooks[0].id, "disk");
    assert!(imported.runbooks[0].alerts.is_empty());
}

#[test]
fn front_matter_that_is_never_closed_is_a_problem() {
    let imported = import_markdown("fm.md", &format!("---\nid: disk\n{GOOD}"));
    assert_eq!(
        problems(&imported),
        [(1, "front matter opened here is never closed with ---")]
    );
    assert_eq!(imported.runbooks.len(), 1);
}

#[test]
fn duplicate_ids_across_files_keep_both_the_second_qualified_by_its_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = write(dir.path(), "a.md", GOOD.as_bytes());
    let second = write(
        dir.path(),
        "b/Again Notes.md",
        format!("# Notes\n\n{GOOD}").as_bytes(),
    );
    let third = write(dir.path(), "c/again-notes.md", GOOD.as_bytes());
    let loaded = load_paths(&[dir.path().to_path_buf()]);
    let ids: Vec<&str> = loaded.runbooks.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "disk-full",
            "again-notes.disk-full",
            "again-notes.disk-full-2"
        ]
    );
    assert_eq!(loaded.runbooks[0].source, format!("{}:1", first.display()));
    assert_eq!(loaded.runbooks[1].source, format!("{}:3", second.display()));
    assert_eq!(
        loaded.problems,
        [
            Problem {
                file: second.to_string_lossy().into_owned(),
                line: 3,
                message: format!(
                    "runbook id 'disk-full' is taken (first at {}:1); this one is listed as 'again-notes.disk-full'",
                    first.display()
                ),
            },
            Problem {
                file: third.to_string_lossy().into_owned(),
                line: 1,
                message: format!(
                    "runbook id 'disk-full' is taken (first at {}:1); this one is listed as 'again-notes.disk-full-2'",
                    first.display()
                ),
            },
        ]
    );
    // The qualified id is one `runbook attach` reads.
    let library = warroom::runbook::Library::new(loaded.runbooks);
    assert!(library.get("again-notes.disk-full-2").is_some());
    assert!(warroom::domain::parse("runbook attach again-notes.disk-full-2").is_ok());
}

#[test]
fn bad_fence_annotations_are_problems_at_the_fence() {
    let text = "## Api Down\n\n### Quick Fix\n\n```sh action=restart risk=maybe colour=red\nkubectl rollout restart deployment/api\n```\n\n```sh risk=dangerous\nredis-cli FLUSHDB\n```\n";
    let imported = import_markdown("fence.md", text);
    assert_eq!(
        problems(&imported),
        [
            (
                5,
                "unknown risk 'maybe' in fence annotation (use read, write or dangerous)"
            ),
            (
                5,
                "unknown fence annotation 'colour' (known: action, risk, timeout)"
            ),
        ]
    );
    let steps = &imported.runbooks[0].steps;
    assert_eq!(steps[0].action.as_deref(), Some("restart"));
    assert_eq!(steps[0].risk, None);
    assert_eq!(steps[1].risk, Some(Risk::Dangerous));
}

#[test]
fn a_runbook_with_no_steps_is_loaded_with_a_lint_problem() {
    let text = "# Runbooks\n\n## Cache Cold\n\n### Symptoms\n\n- Slow first page\n";
    let imported = import_markdown("lint.md", text);
    assert_eq!(imported.runbooks.len(), 1);
    assert_eq!(
        problems(&imported),
        [(3, "runbook 'Cache Cold' has no steps")]
    );
}

#[test]
fn a_missing_path_is_a_problem_named_as_given() {
    let loaded = load_paths(&[PathBuf::from("no/such/runbooks")]);
    assert_eq!(
        loaded.problems,
        [Problem {
            file: "no/such/runbooks".into(),
            line: 0,
            message: "no such file or folder".into(),
        }]
    );
}

#[test]
fn folders_are_read_recursively_in_path_order_markdown_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rename = |name: &str| GOOD.replace("Disk Full", name);
    write(dir.path(), "b/two.md", rename("Two").as_bytes());
    write(dir.path(), "a.markdown", rename("One").as_bytes());
    write(dir.path(), "c/d/three.MD", rename("Three").as_bytes());
    write(dir.path(), "notes.txt", rename("Not Markdown").as_bytes());
    write(dir.path(), ".drafts/hidden.md", rename("Hidden").as_bytes());
    write(
        dir.path(),
        "README.md",
        b"# Runbooks\n\nHow we keep them.\n\n## Contacts\n\n- #sre\n",
    );
    let loaded = load_paths(&[dir.path().to_path_buf()]);
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    let titles: Vec<&str> = loaded.runbooks.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(titles, ["One", "Two", "Three"]);
}

#[test]
fn deep_nesting_does_not_crash() {
    for text in [
        "- ".repeat(20_000),
        "> ".repeat(20_000),
        "#".repeat(50_000),
        "[".repeat(50_000),
    ] {
        let _ = import_markdown("deep.md", &format!("## T\n### Quick Fix\n{text}x\n"));
    }
}

#[test]
fn large_repetitive_files_import_in_reasonable_time() {
    let shapes = [
        "###### Symptoms\n",
        "## Incident\n### Fix\n- `kubectl get pods`\n",
        "- `SomeAlertName` alert\n",
        "```bash\n# 1. Step\nls \\\n",
        "```text\n## Heading\n",
    ];
    for shape in shapes {
        let text = shape.repeat(1_000_000 / shape.len());
        let started = Instant::now();
        let _ = import_markdown("big.md", &text);
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{shape:?}: {:?}",
            started.elapsed()
        );
    }
}

/// Markdown-ish text: runbook-shaped lines in any order.
fn markdownish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("## Incident\n".to_owned()),
        Just("### Symptoms\n".to_owned()),
        Just("### Quick Fix (2)\n".to_owned()),
        Just("## Option 2: more\n".to_owned()),
        Just("```bash\n".to_owned()),
        Just("```text\n".to_owned()),
        Just("```\n".to_owned()),
        Just("```sh action=x risk=write timeout=9s\n".to_owned()),
        Just("# 1. Check\n".to_owned()),
        Just("psql -c \"\n".to_owned()),
        Just("kubectl get pods \\\n".to_owned()),
        Just("- [ ] done\n".to_owned()),
        Just("- **Alerts:**\n    - `DiskFull` alert\n".to_owned()),
        Just("1. **Step:** `curl -X POST x`\n".to_owned()),
        Just("---\n".to_owned()),
        Just("id: x\nalerts: [A\n".to_owned()),
        Just("ðŸš¨ â€ Ã\n".to_owned()),
        "[ -~]{0,20}\n",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(fuzz::cases(256)))]

    #[test]
    fn the_importer_never_panics_on_any_string(text in any::<String>()) {
        let _ = import_markdown("any.md", &text);
    }

    #[test]
    fn the_importer_never_panics_on_markdownish_text(text in markdownish()) {
        let imported = import_markdown("md.md", &text);
        for problem in &imported.problems {
            prop_assert_eq!(problem.file.as_str(), "md.md");
        }
        for runbook in &imported.runbooks {
            prop_assert!(!runbook.id.is_empty());
            prop_assert!(runbook.source.starts_with("md.md:"));
        }
    }
}
