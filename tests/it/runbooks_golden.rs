//! The importer against the step lists written by hand, from reading the Markdown, for 56
//! runbooks of seven public collections and of `runbooks/` (tests/fixtures/runbooks/golden,
//! whose README is the spec). The code steps — commands, scripts and SQL, in order, by kind and
//! first line — and every step with its heading and condition are held to the goldens by
//! ratchets: what agrees now must keep agreeing.

use std::fs;
use std::path::Path;

use serde::Deserialize;
use warroom::domain::{Runbook, StepKind};
use warroom::runbook::import_markdown;

const GOLDEN: &str = "tests/fixtures/runbooks/golden";

#[derive(Deserialize)]
struct GoldenFile {
    #[serde(default)]
    runbook: Vec<GoldenRunbook>,
}

#[derive(Deserialize)]
struct GoldenRunbook {
    file: String,
    title: String,
    #[serde(default)]
    facts: Vec<(String, String)>,
    #[serde(default)]
    contacts: Vec<String>,
    #[serde(default)]
    step: Vec<GoldenStep>,
}

#[derive(Deserialize)]
struct GoldenStep {
    kind: String,
    text: String,
    #[serde(default)]
    heading: Option<String>,
    #[serde(default)]
    only_if: Option<String>,
}

/// Every golden runbook, with the file it names.
fn goldens() -> Vec<GoldenRunbook> {
    let mut names: Vec<_> = fs::read_dir(GOLDEN)
        .expect("the golden folder")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    names.sort();
    let all: Vec<GoldenRunbook> = names
        .iter()
        .flat_map(|path| {
            let text = fs::read_to_string(path).expect("a golden file");
            let file: GoldenFile =
                toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            file.runbook
        })
        .collect();
    assert!(all.len() >= 56, "only {} golden runbooks", all.len());
    all
}

/// Every runbook the importer reads from the file a golden names.
fn imported_all(golden: &GoldenRunbook) -> Vec<Runbook> {
    let path = Path::new("tests/fixtures/runbooks").join(&golden.file);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    import_markdown(&path.to_string_lossy(), &text).runbooks
}

/// The runbook a golden names: the file's runbook with its title, or the file's only one.
fn imported(golden: &GoldenRunbook) -> Option<Runbook> {
    let runbooks = imported_all(golden);
    let titled = runbooks.iter().position(|r| r.title == golden.title);
    match (titled, runbooks.len()) {
        (Some(i), _) => Some(runbooks[i].clone()),
        (None, 1) => runbooks.into_iter().next(),
        _ => None,
    }
}

/// The first line of a step's code, trimmed, without a `$ ` prompt.
fn first_line(code: &str) -> String {
    let line = code.lines().next().unwrap_or_default().trim();
    line.strip_prefix("$ ").unwrap_or(line).trim().to_owned()
}

/// The code steps of a golden: kind and first line, in order.
fn golden_code(golden: &GoldenRunbook) -> Vec<(String, String)> {
    golden
        .step
        .iter()
        .filter(|s| s.kind != "manual")
        .map(|s| (s.kind.clone(), first_line(&s.text)))
        .collect()
}

/// The code steps the importer made: kind and first line, in order.
fn imported_code(runbook: &Runbook) -> Vec<(String, String)> {
    runbook
        .steps
        .iter()
        .filter(|s| s.kind != StepKind::Manual)
        .filter_map(|s| Some((s.kind.name().to_owned(), first_line(s.command.as_deref()?))))
        .collect()
}

#[test]
fn no_script_or_sql_a_person_wrote_is_imported_as_a_command_warroom_would_run() {
    let mut wrong = Vec::new();
    let mut checked = 0;
    for golden in goldens() {
        // The golden's runbook, or every runbook of the file when it is not found by title.
        let runbooks = imported(&golden).map_or_else(|| imported_all(&golden), |r| vec![r]);
        let made: Vec<(String, String)> = runbooks.iter().flat_map(imported_code).collect();
        let want = golden_code(&golden);
        for (i, (kind, line)) in want.iter().enumerate() {
            if kind == "command" {
                continue;
            }
            checked += 1;
            // The golden step is the n-th code step with this first line: so is its import.
            let n = want[..i].iter().filter(|(_, l)| l == line).count();
            let twin = made.iter().filter(|(_, l)| l == line).nth(n);
            if twin.is_some_and(|(k, _)| k == "command") {
                wrong.push(format!("{}: {kind} `{line}`", golden.file));
            }
        }
    }
    assert!(
        checked >= 50,
        "only {checked} scripts and SQL blocks checked"
    );
    assert!(
        wrong.is_empty(),
        "imported as runnable commands: {wrong:#?}"
    );
}

#[test]
fn code_steps_come_in_the_author_s_order_with_the_golden_kind_and_text() {
    let mut agree = Vec::new();
    let mut differ = Vec::new();
    let (mut golden_steps, mut matched_steps) = (0, 0);
    for golden in goldens() {
        let want = golden_code(&golden);
        let got = imported(&golden)
            .map(|r| imported_code(&r))
            .unwrap_or_default();
        golden_steps += want.len();
        matched_steps += common(&want, &got);
        if want == got {
            agree.push(golden.file.clone());
        } else {
            differ.push(format!(
                "{} ({}):\n  golden:   {want:?}\n  imported: {got:?}",
                golden.file, golden.title
            ));
        }
    }
    eprintln!(
        "code steps: {matched_steps} of {golden_steps} in order; runbooks agreeing: {} of {}",
        agree.len(),
        agree.len() + differ.len()
    );
    // A ratchet while issue 15 is under way: what agrees now must keep agreeing. Raise these
    // numbers as the importer learns; the goldens are not to be edited to fit it.
    assert!(
        agree.len() >= AGREEING_RUNBOOKS && matched_steps >= MATCHED_CODE_STEPS,
        "{} runbooks agree (at least {AGREEING_RUNBOOKS} should), {matched_steps} code steps \
         match (at least {MATCHED_CODE_STEPS} should); the others:\n{}",
        agree.len(),
        differ.join("\n")
    );
}

/// Runbooks whose code steps agree with their golden, at the last count.
const AGREEING_RUNBOOKS: usize = 41;
/// Golden code steps found in order, at the last count.
const MATCHED_CODE_STEPS: usize = 198;

#[test]
fn facts_and_contacts_are_kept_as_the_runbook_s_own_not_as_steps() {
    let (mut facts, mut facts_found, mut contacts, mut contacts_found) = (0, 0, 0, 0);
    let mut extra = 0;
    for golden in goldens() {
        let runbook = imported(&golden);
        let (got_facts, got_contacts) = runbook
            .as_ref()
            .map(|r| (r.facts.clone(), r.contacts.clone()))
            .unwrap_or_default();
        let keys: Vec<Vec<String>> = got_facts
            .iter()
            .map(|f| words(&f.key, usize::MAX))
            .collect();
        facts += golden.facts.len();
        facts_found += golden
            .facts
            .iter()
            .filter(|(key, _)| keys.contains(&words(key, usize::MAX)))
            .count();
        let wanted: Vec<Vec<String>> = golden
            .facts
            .iter()
            .map(|(k, _)| words(k, usize::MAX))
            .collect();
        extra += keys.iter().filter(|k| !wanted.contains(k)).count();
        let firsts: Vec<Vec<String>> = got_contacts.iter().map(|c| words(c, 5)).collect();
        contacts += golden.contacts.len();
        contacts_found += golden
            .contacts
            .iter()
            .filter(|c| firsts.contains(&words(c, 5)))
            .count();
        // A fact or contact is never also a step.
        if let Some(r) = &runbook {
            for fact in &r.facts {
                let line = format!("{}: {}", fact.key, fact.value);
                assert!(
                    !r.steps.iter().any(|s| s.title == line),
                    "{}: fact {line:?} is a step too",
                    golden.file
                );
            }
        }
    }
    eprintln!(
        "facts: {facts_found} of {facts} found ({extra} more imported); contacts: \
         {contacts_found} of {contacts} found"
    );
    assert!(
        facts_found >= FACTS_FOUND && contacts_found >= CONTACTS_FOUND,
        "facts {facts_found} (at least {FACTS_FOUND}), contacts {contacts_found} (at least \
         {CONTACTS_FOUND})"
    );
}

/// Golden facts whose key the importer found, at the last count.
const FACTS_FOUND: usize = 42;
/// Golden contacts the importer found (by their first five words), at the last count.
const CONTACTS_FOUND: usize = 24;

/// Lowercase words of letters and digits, at most `n` of them: what two spellings of one
/// sentence share after markup, punctuation and the goldens' 60-character cut.
fn words(text: &str, n: usize) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(n)
        .map(str::to_lowercase)
        .collect()
}

/// What identifies a step in a list: its kind and its code's first line, or for a manual step
/// its first six words.
fn key(kind: &str, text: &str) -> (String, Vec<String>) {
    let text = match kind {
        "manual" => words(text, 6),
        _ => vec![first_line(text)],
    };
    (kind.to_owned(), text)
}

/// Where a step stands: its heading and its condition, as words.
fn place(heading: Option<&str>, only_if: Option<&str>) -> (Vec<String>, Vec<String>) {
    let all = |t: Option<&str>| words(t.unwrap_or_default(), usize::MAX);
    (all(heading), all(only_if))
}

#[test]
fn every_step_comes_in_the_author_s_order_under_the_author_s_heading_and_condition() {
    let (mut golden_steps, mut found, mut placed, mut imported_steps) = (0, 0, 0, 0);
    let (mut agree, mut differ) = (Vec::new(), Vec::new());
    for golden in goldens() {
        let want: Vec<_> = golden.step.iter().map(|s| key(&s.kind, &s.text)).collect();
        let runbook = imported(&golden);
        let steps = runbook.as_ref().map_or(&[][..], |r| r.steps.as_slice());
        let got: Vec<_> = steps
            .iter()
            .map(|s| key(s.kind.name(), s.command.as_deref().unwrap_or(&s.title)))
            .collect();
        let pairs = aligned(&want, &got);
        // WARROOM_GOLDEN_DIFF=<part of a file name> prints both step lists of those runbooks.
        if std::env::var("WARROOM_GOLDEN_DIFF").is_ok_and(|f| golden.file.contains(&f)) {
            eprintln!("== {} ({})", golden.file, golden.title);
            for s in &golden.step {
                eprintln!(
                    "  golden   {:7} [{:?} | {:?}] {}",
                    s.kind, s.heading, s.only_if, s.text
                );
            }
            for s in steps {
                let text = s.command.as_deref().unwrap_or(&s.title);
                let line = text.lines().next().unwrap_or_default();
                eprintln!(
                    "  imported {:7} [{:?} | {:?}] {line}",
                    s.kind.name(),
                    s.heading,
                    s.only_if
                );
            }
        }
        let right_place: Vec<_> = pairs
            .iter()
            .filter(|&&(w, g)| {
                let (want, got) = (&golden.step[w], &steps[g]);
                place(want.heading.as_deref(), want.only_if.as_deref())
                    == place(got.heading.as_deref(), got.only_if.as_deref())
            })
            .collect();
        golden_steps += want.len();
        imported_steps += got.len();
        found += pairs.len();
        placed += right_place.len();
        if right_place.len() == want.len() && got.len() == want.len() {
            agree.push(golden.file.clone());
        } else {
            differ.push(format!(
                "{} ({}): {} of {} steps found, {} placed, {} imported",
                golden.file,
                golden.title,
                pairs.len(),
                want.len(),
                right_place.len(),
                got.len()
            ));
        }
    }
    eprintln!(
        "steps: {found} of {golden_steps} found in order, {placed} of them under the golden \
         heading and condition ({imported_steps} imported); runbooks agreeing: {} of {}",
        agree.len(),
        agree.len() + differ.len()
    );
    assert!(
        found >= FOUND_STEPS
            && placed >= PLACED_STEPS
            && agree.len() >= AGREEING_WHOLE
            && imported_steps <= IMPORTED_STEPS,
        "{found} steps found (at least {FOUND_STEPS} should), {placed} placed (at least \
         {PLACED_STEPS}), {imported_steps} imported (at most {IMPORTED_STEPS}), {} runbooks \
         agree whole (at least {AGREEING_WHOLE}); the others:\n{}",
        agree.len(),
        differ.join("\n")
    );
}

/// Golden steps found in order (kind and first words or first line), at the last count.
const FOUND_STEPS: usize = 661;
/// Of those, the ones under the golden heading and condition, at the last count.
const PLACED_STEPS: usize = 621;
/// Runbooks whose every step agrees, heading and condition included, at the last count.
const AGREEING_WHOLE: usize = 3;
/// Steps imported from the golden runbooks in all, at the last count: the importer takes more
/// than the goldens (865), and this keeps it from taking more again.
const IMPORTED_STEPS: usize = 906;

/// The index pairs of a longest common subsequence of `a` and `b`.
fn aligned<T: PartialEq>(a: &[T], b: &[T]) -> Vec<(usize, usize)> {
    let mut table = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            table[i][j] = if a[i] == b[j] {
                table[i + 1][j + 1] + 1
            } else {
                table[i + 1][j].max(table[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut pairs) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            pairs.push((i, j));
            i += 1;
            j += 1;
        } else if table[i + 1][j] >= table[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    pairs
}

/// The length of the longest common subsequence of `a` and `b`.
fn common<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let mut row = vec![0; b.len() + 1];
    for x in a {
        let mut diagonal = 0;
        for (j, y) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if x == y {
                diagonal + 1
            } else {
                above.max(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}
