//! Reading runbook files and folders from disk.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::import::{MAX_FILE_BYTES, import_markdown, mojibake::decode_cp1252};
use super::{Imported, Problem};
use crate::domain::slug;

/// How deep folders are searched for runbooks.
const MAX_DEPTH: usize = 32;

/// Reads every runbook under the given files and folders.
///
/// Folders are searched recursively for `*.md` and `*.markdown` (hidden entries and
/// symbolic links to folders are skipped), in path order; a file named directly is read
/// whatever its extension. Runbook ids are unique across the set: a later runbook with an
/// id already loaded is dropped, with a problem.
pub fn load_paths(paths: &[PathBuf]) -> Imported {
    let mut out = Imported::default();
    let mut first_seen: HashMap<String, String> = HashMap::new();
    for path in paths {
        let name = path.to_string_lossy().into_owned();
        let files = match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let mut files = Vec::new();
                let mut problems = Vec::new();
                collect_markdown(path, 0, &mut files, &mut problems);
                out.problems.extend(problems);
                files.sort();
                files
            }
            Ok(meta) if meta.is_file() => vec![path.clone()],
            Ok(_) => {
                out.problems
                    .push(whole_file(&name, "not a regular file, not read".into()));
                continue;
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                out.problems
                    .push(whole_file(&name, "no such file or folder".into()));
                continue;
            }
            Err(err) => {
                out.problems
                    .push(whole_file(&name, format!("cannot be read: {err}")));
                continue;
            }
        };
        for file in files {
            load_file(&file, &mut first_seen, &mut out);
        }
    }
    out
}

/// Reads one file into `out`. A runbook whose id is already loaded (two files with the same
/// title, such as copies of one template) is kept under an id qualified by its file
/// (`irp-ransomware.incident-response-playbook-template`), and lint says so.
fn load_file(path: &Path, first_seen: &mut HashMap<String, String>, out: &mut Imported) {
    let name = path.to_string_lossy().into_owned();
    let text = match read_text(path) {
        Ok(text) => text,
        Err(why) => {
            out.problems.push(whole_file(&name, why));
            return;
        }
    };
    let imported = import_markdown(&name, &text);
    let mut problems = imported.problems;
    for mut runbook in imported.runbooks {
        if let Some(first) = first_seen.get(&runbook.id) {
            let qualified = qualified(&runbook.id, path, first_seen);
            problems.push(Problem {
                file: name.clone(),
                line: line_of(&runbook.source),
                message: format!(
                    "runbook id '{}' is taken (first at {first}); this one is listed as '{qualified}'",
                    runbook.id
                ),
            });
            runbook.id = qualified;
        }
        first_seen.insert(runbook.id.clone(), runbook.source.clone());
        out.runbooks.push(runbook);
    }
    problems.sort_by_key(|p| p.line);
    out.problems.extend(problems);
}

/// `id` qualified by the name of the file it is in, unique among `taken`, at most 64
/// characters (what `runbook attach` reads).
fn qualified(id: &str, path: &Path, taken: &HashMap<String, String>) -> String {
    const MAX: usize = 64;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy())
        .unwrap_or_default();
    let file = slug(&stem, 30);
    let cut = |text: String, max: usize| -> String {
        let end = text
            .char_indices()
            .map(|(i, c)| i + c.len_utf8())
            .take_while(|&end| end <= max)
            .last()
            .unwrap_or(0);
        text[..end].trim_end_matches(['-', '.']).to_owned()
    };
    let base = cut(format!("{file}.{id}"), MAX);
    let mut candidate = base.clone();
    let mut n = 2;
    while taken.contains_key(&candidate) {
        candidate = format!("{}-{n}", cut(base.clone(), MAX - 4));
        n += 1;
    }
    candidate
}

/// The line of a `file:LINE` source.
fn line_of(source: &str) -> usize {
    source
        .rsplit_once(':')
        .and_then(|(_, line)| line.parse().ok())
        .unwrap_or(0)
}

fn whole_file(name: &str, message: String) -> Problem {
    Problem {
        file: name.to_owned(),
        line: 0,
        message,
    }
}

/// Reads a file as text: refused when over 2 MiB (without reading it), binary (NUL bytes,
/// or control characters once read as Windows-1252 because it is not UTF-8).
fn read_text(path: &Path) -> Result<String, String> {
    let too_large = || "file is larger than 2 MiB, not read".to_owned();
    let mut file = fs::File::open(path).map_err(|e| format!("cannot be read: {e}"))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > MAX_FILE_BYTES as u64 {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    (&mut file)
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot be read: {e}"))?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    if bytes.contains(&0) {
        return Err("binary file, not read".into());
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(err) => {
            let text = decode_cp1252(err.as_bytes());
            let binary = text.chars().any(|c| {
                (c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c'))
                    || matches!(c, '\u{81}' | '\u{8d}' | '\u{8f}' | '\u{90}' | '\u{9d}')
            });
            if binary {
                Err("binary file, not read".into())
            } else {
                Ok(text)
            }
        }
    }
}

/// Whether a file name is a Markdown file.
fn is_markdown(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
}

/// Collects the Markdown files under a folder.
fn collect_markdown(
    dir: &Path,
    depth: usize,
    files: &mut Vec<PathBuf>,
    problems: &mut Vec<Problem>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            let name = dir.to_string_lossy();
            problems.push(whole_file(&name, format!("cannot be read: {err}")));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            collect_markdown(&path, depth + 1, files, problems);
        } else if is_markdown(&path) && (kind.is_file() || path.is_file()) {
            files.push(path);
        }
    }
}
