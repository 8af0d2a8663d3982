//! `warroom runbooks list | match | show | lint`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use serde::Serialize;

use crate::config::Config;
use crate::domain::{RiskPolicy, Runbook};
use crate::runbook::lint::warnings;
use crate::runbook::listing::listing;
use crate::runbook::{Confidence, Imported, Library, MatchReason, load_paths, query_from_text};

/// The runbook commands.
#[derive(Debug, Subcommand)]
pub enum RunbooksCommand {
    /// Lists the runbooks in PATHs (files or folders; default: the configured runbook_dirs).
    List {
        /// Print JSON: [{"id","title","source","alerts","steps":[{"title","section","kind",
        /// "command","risk","runnable","why"}]}], judged with the configuration's [actions].
        #[arg(long)]
        json: bool,
        /// Files or folders of runbooks.
        paths: Vec<PathBuf>,
    },
    /// Shows the runbooks that best fit TEXT (an incident title, symptoms, alert names).
    Match {
        /// Print JSON: [{"id","title","score","confidence"}], best first; confidence is
        /// strong, likely or weak, and a weak first match means no good match.
        #[arg(long)]
        json: bool,
        /// A file or folder of runbooks (repeatable; default: the configured runbook_dirs).
        #[arg(long = "runbooks", value_name = "PATH")]
        runbooks: Vec<PathBuf>,
        /// What to match.
        #[arg(required = true)]
        text: Vec<String>,
    },
    /// Shows one runbook.
    Show {
        /// The runbook's id.
        id: String,
        /// A file or folder of runbooks (repeatable; default: the configured runbook_dirs).
        #[arg(long = "runbooks", value_name = "PATH")]
        runbooks: Vec<PathBuf>,
    },
    /// Checks runbook files; prints FILE:LINE: message for each problem and exits 1 if any,
    /// and FILE:LINE: warning: message for steps that will not run, fragments of shell and
    /// secrets the configuration does not name.
    Lint {
        /// Exit 1 on warnings too.
        #[arg(long)]
        strict: bool,
        /// Files or folders of runbooks.
        paths: Vec<PathBuf>,
    },
}

/// One match in `match --json`.
#[derive(Debug, Serialize)]
struct MatchedRunbook<'a> {
    id: &'a str,
    title: &'a str,
    score: f64,
    confidence: &'static str,
}

/// The runbook folders to read: the given ones, else the configured ones. The default folder
/// is skipped when it does not exist, so Warroom runs anywhere without complaint.
pub fn runbook_paths(config: &Config, given: &[PathBuf]) -> Vec<PathBuf> {
    if !given.is_empty() {
        return given.to_vec();
    }
    let default = [PathBuf::from("runbooks")];
    if config.runbook_dirs == default && !Path::new("runbooks").exists() {
        return Vec::new();
    }
    config.runbook_dirs.clone()
}

/// The paths a `runbooks` command reads ([`runbook_paths`]); a file or folder named on the
/// command line that is not there is an error, not an empty list.
fn paths_to_read(config: &Config, given: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    if let Some(missing) = given.iter().find(|p| !p.exists()) {
        anyhow::bail!("{}: no such file or folder", missing.display());
    }
    Ok(runbook_paths(config, given))
}

/// Reads runbooks and warns on stderr about what could not be read.
pub fn load_with_warnings(paths: &[PathBuf]) -> Library {
    let Imported { runbooks, problems } = load_paths(paths);
    for problem in &problems {
        eprintln!("warroom: runbooks: {problem}");
    }
    Library::new(runbooks)
}

/// Runs a runbook command.
pub fn run(config: &Config, command: RunbooksCommand) -> anyhow::Result<ExitCode> {
    match command {
        RunbooksCommand::List { json, paths } => {
            let library = load_with_warnings(&paths_to_read(config, &paths)?);
            if json {
                let listed = listing(library.runbooks(), &config.actions.risk_policy());
                println!("{}", serde_json::to_string_pretty(&listed).context("JSON")?);
            } else if library.runbooks().is_empty() {
                println!("No runbooks.");
            } else {
                for r in library.runbooks() {
                    println!("{}  {}", r.id, r.title);
                    let alerts = if r.alerts.is_empty() {
                        "no alerts".to_owned()
                    } else {
                        format!("alerts: {}", r.alerts.join(", "))
                    };
                    println!(
                        "    {} · {alerts} · {}",
                        counted(r.steps.len(), "step"),
                        r.source
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        RunbooksCommand::Match {
            json,
            runbooks,
            text,
        } => {
            let library = load_with_warnings(&paths_to_read(config, &runbooks)?);
            let query = query_from_text(&text.join(" "));
            let matches = library.best(&query, 3);
            if json {
                let out: Vec<MatchedRunbook> = matches
                    .iter()
                    .map(|m| MatchedRunbook {
                        id: &m.id,
                        title: &m.title,
                        score: m.score,
                        confidence: m.confidence.word(),
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&out).context("JSON")?);
            } else {
                if matches
                    .first()
                    .is_none_or(|m| m.confidence == Confidence::Weak)
                {
                    println!("No good match.");
                }
                for m in &matches {
                    let why = match &m.reason {
                        MatchReason::Alert(a) => format!(" (alert {a})"),
                        MatchReason::Text => String::new(),
                        MatchReason::Service(s) => format!(" (service {s})"),
                    };
                    let word = m.confidence.word();
                    println!("{:>8.2}  {word:<6}  {}  {}{why}", m.score, m.id, m.title);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        RunbooksCommand::Show { id, runbooks } => {
            let library = load_with_warnings(&paths_to_read(config, &runbooks)?);
            match library.get(&id) {
                Some(runbook) => {
                    print!("{}", show(runbook, &config.actions.risk_policy()));
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    eprintln!("warroom: there is no runbook '{id}' (see warroom runbooks list)");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        RunbooksCommand::Lint { strict, paths } => {
            let paths = paths_to_read(config, &paths)?;
            let Imported { runbooks, problems } = load_paths(&paths);
            let secrets = config.actions.secrets.keys().cloned().collect();
            let warnings = warnings(&runbooks, &config.actions.risk_policy(), &secrets);
            for problem in &problems {
                println!("{problem}");
            }
            for warning in &warnings {
                println!(
                    "{}:{}: warning: {}",
                    warning.file, warning.line, warning.message
                );
            }
            let summary = format!(
                "{}, {}, {}",
                counted(runbooks.len(), "runbook"),
                counted(problems.len(), "problem"),
                counted(warnings.len(), "warning")
            );
            if problems.is_empty() && (warnings.is_empty() || !strict) {
                println!("{summary}");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("{summary}");
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

/// `n things`, or `no things`.
fn counted(n: usize, thing: &str) -> String {
    match n {
        0 => format!("no {thing}s"),
        n => crate::domain::plural(n, thing),
    }
}

/// A runbook as text for the terminal, each code step with the risk Warroom gives it, what it
/// would do with it, and why it would not run it.
fn show(r: &Runbook, policy: &RiskPolicy) -> String {
    let mut out = format!(
        "{}\n{}\nid: {}\n",
        r.title,
        "=".repeat(r.title.chars().count()),
        r.id
    );
    out.push_str(&format!("source: {}\n", r.source));
    if let Some(severity) = r.severity {
        out.push_str(&format!("severity: {severity}\n"));
    }
    if let Some(owner) = &r.owner {
        out.push_str(&format!("owner: {owner}\n"));
    }
    if !r.alerts.is_empty() {
        out.push_str(&format!("alerts: {}\n", r.alerts.join(", ")));
    }
    for fact in &r.facts {
        out.push_str(&format!("{}: {}\n", fact.key, fact.value));
    }
    if !r.contacts.is_empty() {
        out.push_str("\nContacts\n");
        for c in &r.contacts {
            out.push_str(&format!("  - {c}\n"));
        }
    }
    if !r.about.is_empty() {
        out.push_str("\nAbout\n");
        for paragraph in &r.about {
            out.push_str(&format!("  {}\n", crate::domain::fit(paragraph, 300)));
        }
    }
    if !r.symptoms.is_empty() {
        out.push_str("\nSymptoms\n");
        for s in &r.symptoms {
            out.push_str(&format!("  - {s}\n"));
        }
    }
    // The author's order, under the author's headings and conditions.
    let (mut heading, mut only_if) = (None, None);
    for (index, step) in r.steps.iter().enumerate() {
        if step.heading.is_some() && step.heading.as_deref() != heading {
            heading = step.heading.as_deref();
            out.push_str(&format!("\n{}\n", heading.unwrap_or_default()));
            only_if = None;
        }
        if step.only_if.as_deref() != only_if {
            only_if = step.only_if.as_deref();
            if let Some(condition) = only_if {
                out.push_str(&format!("  only if: {condition}\n"));
            }
        }
        let verdict = policy.verdict(step);
        let label = verdict
            .as_ref()
            .map(|v| match v.label() {
                "read" => " [read · runs on a click]".to_owned(),
                label => format!(" [{} · {label}]", v.risk),
            })
            .unwrap_or_default();
        out.push_str(&format!("  {}. {}{label}\n", index + 1, step.title));
        for detail in &step.details {
            out.push_str(&format!("       - {detail}\n"));
        }
        if let Some(command) = &step.command {
            for line in command.lines() {
                out.push_str(&format!("       {line}\n"));
            }
            if let Some(refusal) = verdict.and_then(|v| v.refusal) {
                out.push_str(&format!("       not run: {refusal}\n"));
            }
        }
    }
    if !r.prevention.is_empty() {
        out.push_str("\nPrevention\n");
        for p in &r.prevention {
            out.push_str(&format!("  - {p}\n"));
        }
    }
    out
}
