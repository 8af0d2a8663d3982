//! Markdown to runbooks: ordinary runbooks as teams write them (one per incident heading,
//! Symptoms / Quick Fix / Verification sections, `# 1. Check …` shell blocks, checklists),
//! and Warroom-native ones with YAML front matter and annotated fences.
//!
//! Reading goes in small steps, one module each: refuse what is not a Markdown text, repair
//! mojibake ([`mojibake`]), split off front matter ([`front_matter`]), repair fences closed by
//! ```` ```text ```` ([`fences`]), parse with pulldown-cmark into blocks ([`blocks`]), find the
//! runbook headings ([`outline`], [`headings`]), and walk each runbook's blocks into steps
//! ([`walk`], [`shell`], [`command_lines`], [`meta`], [`prevention`], [`text`]); the word lists they share
//! are in [`vocabulary`].

mod blocks;
mod command_lines;
mod fences;
mod front_matter;
mod headings;
mod meta;
pub(crate) mod mojibake;
mod outline;
mod prevention;
mod shell;
mod statements;
mod text;
mod vocabulary;
mod walk;

use std::collections::HashSet;
use std::path::Path;

use super::{Imported, Problem};
use crate::domain::Runbook;
use blocks::{Block, Heading};
use front_matter::FrontMatter;
use headings::{Kind, classify};
use outline::Span;
use text::{clean_title, strip_decoration, tag_id};

/// Why a code step is only part of a shell construct, if it is (for lint).
pub use statements::fragment;

/// The largest runbook file read: 2 MiB.
pub const MAX_FILE_BYTES: usize = 2 * 1024 * 1024;

/// Reads the runbooks in one Markdown text; `file` names it in sources and problems.
pub fn import_markdown(file: &str, text: &str) -> Imported {
    let mut problems: Vec<(usize, String)> = Vec::new();
    let runbooks = read(file, text, &mut problems);
    problems.sort_by_key(|(line, _)| *line);
    Imported {
        runbooks,
        problems: problems
            .into_iter()
            .map(|(line, message)| Problem {
                file: file.to_owned(),
                line,
                message,
            })
            .collect(),
    }
}

/// The whole-file problem for text that is not a Markdown text, if any.
pub fn refusal(text: &str) -> Option<&'static str> {
    if text.len() > MAX_FILE_BYTES {
        Some("file is larger than 2 MiB, not read")
    } else if text.contains('\0') {
        Some("binary file, not read")
    } else if text.trim_start_matches('\u{feff}').trim().is_empty() {
        Some("empty file")
    } else {
        None
    }
}

fn read(file: &str, text: &str, problems: &mut Vec<(usize, String)>) -> Vec<Runbook> {
    if let Some(why) = refusal(text) {
        problems.push((0, why.to_owned()));
        return Vec::new();
    }
    let text = mojibake::repair_mojibake(text.trim_start_matches('\u{feff}'));
    let split = front_matter::split(&text);
    problems.extend(split.problem.clone());
    let front = split.yaml.as_deref().map(front_matter::parse);
    let body = fences::repair_quirky_closers(&split.body);
    let blocks = blocks::parse(&body);
    for block in &blocks {
        if let Block::Code(code) = block
            && !code.closed
        {
            problems.push((code.line, "code block opened here is never closed".into()));
        }
    }

    let mut runbooks = Vec::new();
    let (fm, fm_problems) = front.unwrap_or((None, Vec::new()));
    problems.extend(fm_problems);
    match fm {
        // Front matter makes the whole file one runbook.
        Some(fm) => {
            let span = Span {
                start: 0,
                end: blocks.len(),
                level: 0,
            };
            runbooks.push(build(file, &blocks, span, Some(&fm), problems));
        }
        None => {
            for span in outline::find(&blocks) {
                runbooks.push(build(file, &blocks, span, None, problems));
            }
            if runbooks.is_empty()
                && let Some(whole) = whole_file(file, &blocks)
            {
                runbooks.push(whole);
            }
        }
    }
    runbooks
}

/// File names and title words of pages about a collection rather than a procedure in it.
const NOT_PROCEDURES: &[&str] = &[
    "readme",
    "index",
    "contributing",
    "changelog",
    "license",
    "home",
    "runbook",
    "runbooks",
    "playbook",
    "playbooks",
    "docs",
    "documentation",
    "template",
    "summary",
];

/// A file with no heading the outline reads as a runbook, read as one runbook titled by its
/// first heading, as the runbook collections that keep one procedure per file write them
/// (`# Load Balancer Outage`, then prose, numbered actions and code under headings of the
/// author's own). Only when it has steps, and its first heading is not a page the importer
/// skips (a README, an index, a contacts page).
fn whole_file(file: &str, blocks: &[Block]) -> Option<Runbook> {
    let span = Span {
        start: 0,
        end: blocks.len(),
        level: 0,
    };
    let stem = Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if NOT_PROCEDURES.contains(&stem.trim_start_matches('_')) {
        return None;
    }
    let (_, first) = heading_of(blocks, span)?;
    let generic = first.text.split_whitespace().all(|w| {
        let w = w
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        w.is_empty() || NOT_PROCEDURES.contains(&w.as_str())
    });
    if generic || !matches!(classify(&first.text), Kind::Plain) {
        return None;
    }
    let mut ignored = Vec::new();
    let runbook = build(file, blocks, span, None, &mut ignored);
    (!runbook.steps.is_empty()).then_some(runbook)
}

/// A runbook's own heading and its block: the span's heading, or for a whole-file runbook its
/// first heading.
fn heading_of(blocks: &[Block], span: Span) -> Option<(usize, &Heading)> {
    let first = if span.level == 0 {
        (span.start..span.end).find(|&b| matches!(blocks[b], Block::Heading(_)))
    } else {
        Some(span.start)
    };
    match first.map(|b| (b, &blocks[b])) {
        Some((b, Block::Heading(h))) => Some((b, h)),
        _ => None,
    }
}

/// Builds one runbook from its span of blocks and maybe its front matter.
fn build(
    file: &str,
    blocks: &[Block],
    span: Span,
    fm: Option<&FrontMatter>,
    problems: &mut Vec<(usize, String)>,
) -> Runbook {
    let own = heading_of(blocks, span);
    let heading = own.map(|(_, h)| (h.text.as_str(), h.line));
    let line = if fm.is_some() {
        1
    } else {
        heading.map_or(1, |(_, l)| l)
    };
    // The walk starts under the runbook's own heading, which heads the steps right under it.
    // A whole-file runbook's first heading is its title unless it is a section (front matter
    // with `## Diagnosis` first); text before it is walked too.
    let title =
        own.filter(|(_, h)| span.level > 0 || !matches!(classify(&h.text), Kind::Section(_)));
    let found = walk::walk(blocks, span.start, span.end, title);
    problems.extend(found.problems);

    let title = fm
        .and_then(|f| f.title.clone())
        .or_else(|| {
            heading
                .map(|(t, _)| clean_title(t))
                .filter(|t| !t.is_empty())
        })
        .or_else(|| {
            heading
                .map(|(t, _)| strip_decoration(t))
                .filter(|t| !t.is_empty())
        })
        .or_else(|| {
            Path::new(file)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "Untitled runbook".to_owned());
    let id = fm
        .and_then(|f| f.id.clone())
        .or_else(|| heading.and_then(|(t, _)| tag_id(t)))
        .or_else(|| Some(crate::domain::slug(&title, usize::MAX)).filter(|s| !s.is_empty()))
        .unwrap_or_else(|| format!("runbook-{line}"));

    let mut seen = HashSet::new();
    let fm_alerts = fm.map(|f| f.alerts.clone()).unwrap_or_default();
    let alerts: Vec<String> = fm_alerts
        .into_iter()
        .chain(found.alerts)
        .filter(|a| seen.insert(a.clone()))
        .collect();
    if found.steps.is_empty() {
        problems.push((line, format!("runbook '{title}' has no steps")));
    }
    Runbook {
        id,
        title,
        source: format!("{file}:{line}"),
        alerts,
        keywords: fm.map(|f| f.keywords.clone()).unwrap_or_default(),
        symptoms: fm
            .and_then(|f| f.description.clone())
            .into_iter()
            .chain(found.symptoms)
            .collect(),
        severity: fm.and_then(|f| f.severity).or(found.severity),
        services: fm.map(|f| f.services.clone()).unwrap_or_default(),
        owner: fm.and_then(|f| f.owner.clone()).or(found.owner),
        steps: found.steps,
        prevention: found.prevention,
        facts: found.facts,
        contacts: found.contacts,
        about: found.about,
        quoted: found.quoted,
    }
}
