//! Checks the built-in rules against every annotated command in the project's `runbooks/`:
//! the rules may be stricter than a runbook's author, never laxer about a command that only
//! reads.

use std::fs;
use std::path::Path;

use super::classify;
use crate::domain::Risk;

/// One annotated fence: where it is, what its author said, and its command.
struct Annotated {
    place: String,
    risk: Risk,
    command: String,
}

/// Every ```` ```sh action=… risk=… ```` block in `runbooks/*.md`, with `#` comment lines
/// dropped and backslash continuations joined.
fn annotated_commands() -> Vec<Annotated> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let mut files: Vec<_> = fs::read_dir(&folder)
        .expect("the runbooks folder is readable")
        .map(|entry| entry.expect("a runbooks entry is readable").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    files.sort();
    let mut found = Vec::new();
    for path in files {
        let text = fs::read_to_string(&path).expect("a runbook is readable");
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let mut open: Option<(usize, Risk, Vec<&str>)> = None;
        for (number, line) in text.lines().enumerate() {
            let fence = line.trim_start().starts_with("```");
            match open.take() {
                Some((start, risk, lines)) if fence => found.push(Annotated {
                    place: format!("{name}:{}", start + 1),
                    risk,
                    command: joined(&lines),
                }),
                Some((start, risk, mut lines)) => {
                    if !line.trim_start().starts_with('#') {
                        lines.push(line);
                    }
                    open = Some((start, risk, lines));
                }
                None if fence => open = annotated_risk(line).map(|risk| (number, risk, Vec::new())),
                None => {}
            }
        }
    }
    found
}

/// The `risk=` of a fence line that also names an `action=`.
fn annotated_risk(fence: &str) -> Option<Risk> {
    let mut words = fence.split_whitespace();
    if !fence.contains("action=") {
        return None;
    }
    words.find_map(|word| match word.strip_prefix("risk=")? {
        "read" => Some(Risk::Read),
        "write" => Some(Risk::Write),
        "dangerous" => Some(Risk::Dangerous),
        other => panic!("unknown annotated risk {other:?} in {fence:?}"),
    })
}

fn joined(lines: &[&str]) -> String {
    let mut command = String::new();
    for line in lines {
        let line = line.trim();
        match line.strip_suffix('\\') {
            Some(continued) => {
                command.push_str(continued.trim_end());
                command.push(' ');
            }
            None => {
                command.push_str(line);
                command.push('\n');
            }
        }
    }
    command.trim().to_owned()
}

#[test]
fn the_rules_never_call_a_runbook_change_a_read() {
    let commands = annotated_commands();
    assert!(
        commands.len() >= 200,
        "only {} annotated commands found",
        commands.len()
    );
    let mut stricter = Vec::new();
    let mut laxer = Vec::new();
    for annotated in &commands {
        let classified = classify(&annotated.command);
        let row = format!(
            "| {} | {} | {} | `{}` | {} |",
            annotated.place, annotated.risk, classified.risk, annotated.command, classified.reason
        );
        if classified.risk > annotated.risk {
            stricter.push(row);
        } else if classified.risk < annotated.risk {
            laxer.push((annotated.risk, classified.risk, row));
        }
    }
    println!("{} annotated commands checked", commands.len());
    println!("\nStricter than the annotation ({}):", stricter.len());
    println!("| where | annotated | rules | command | reason |");
    for row in &stricter {
        println!("{row}");
    }
    println!(
        "\nLaxer than the annotation ({}; the annotation tightens these):",
        laxer.len()
    );
    for (_, _, row) in &laxer {
        println!("{row}");
    }
    let called_read: Vec<&String> = laxer
        .iter()
        .filter(|(_, classified, _)| *classified == Risk::Read)
        .map(|(_, _, row)| row)
        .collect();
    assert!(
        called_read.is_empty(),
        "the rules call these changes reads:\n{}",
        called_read
            .iter()
            .map(|row| row.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn fences_are_read_with_comments_dropped_and_continuations_joined() {
    assert_eq!(
        joined(&["kubectl get pods \\", "  -n x", ""]),
        "kubectl get pods -n x"
    );
    assert_eq!(
        annotated_risk("```sh action=a risk=write timeout=5s"),
        Some(Risk::Write)
    );
    assert_eq!(annotated_risk("```sh risk=write"), None);
    assert_eq!(annotated_risk("```sh"), None);
}
