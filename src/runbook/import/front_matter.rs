//! YAML front matter of runbooks written for Warroom: id, title, alerts, keywords, severity,
//! services, owner.

use serde_yaml_ng::Value;

use super::meta::severity_from_words;
use crate::domain::Severity;

/// What the front matter says.
#[derive(Debug, Default)]
pub struct FrontMatter {
    /// `id`.
    pub id: Option<String>,
    /// `title`.
    pub title: Option<String>,
    /// `alerts`.
    pub alerts: Vec<String>,
    /// `keywords`.
    pub keywords: Vec<String>,
    /// `severity`.
    pub severity: Option<Severity>,
    /// `services`.
    pub services: Vec<String>,
    /// `owner`.
    pub owner: Option<String>,
    /// `description` (or `summary`), as static-site front matter has it: text for matching.
    pub description: Option<String>,
}

/// The keys Warroom reads.
const KNOWN: &[&str] = &[
    "id",
    "title",
    "alerts",
    "keywords",
    "tags",
    "severity",
    "services",
    "owner",
    "description",
    "summary",
];

/// The known key an unknown one is probably a typo of (`alert`, `sevrity`, `keyword`), if any:
/// at most two letters added, dropped or changed, in a key of four letters or more.
fn misspelt(key: &str) -> Option<&'static str> {
    let key = key.to_ascii_lowercase();
    KNOWN
        .iter()
        .copied()
        .filter(|known| known.len() >= 4 && key.len() >= 4)
        .find(|known| *known != key && edits(&key, known) <= 2)
}

/// The Levenshtein distance between two short words.
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Front matter found at the top of a file, and the text with it blanked out.
pub struct Split {
    /// The text with the front matter lines emptied, so that line numbers stay right.
    pub body: String,
    /// The front matter, when the file starts with a closed `---` block.
    pub yaml: Option<String>,
    /// A problem with the block itself (opened and never closed), with its line.
    pub problem: Option<(usize, String)>,
}

/// Splits `---` front matter off the top of a text.
pub fn split(text: &str) -> Split {
    let mut lines = text.split('\n');
    if lines.next().map(str::trim_end) != Some("---") {
        return Split {
            body: text.to_owned(),
            yaml: None,
            problem: None,
        };
    }
    let close = text
        .split('\n')
        .enumerate()
        .skip(1)
        .find(|(_, l)| matches!(l.trim_end(), "---" | "..."))
        .map(|(i, _)| i);
    let Some(close) = close else {
        return Split {
            body: text.to_owned(),
            yaml: None,
            problem: Some((
                1,
                "front matter opened here is never closed with ---".into(),
            )),
        };
    };
    let all: Vec<&str> = text.split('\n').collect();
    let yaml = all[1..close].join("\n");
    let mut body = "\n".repeat(close + 1);
    body.push_str(&all[close + 1..].join("\n"));
    Split {
        body,
        yaml: Some(yaml),
        problem: None,
    }
}

/// The file line of a top-level key in front matter that starts on file line 2.
fn key_line(yaml: &str, key: &str) -> usize {
    yaml.lines()
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map_or(1, |i| i + 2)
}

/// A scalar as text (strings, numbers and booleans).
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads front matter YAML; problems come back with their file line. None when it is not
/// YAML or not a mapping, so the file is read as ordinary Markdown instead.
pub fn parse(yaml: &str) -> (Option<FrontMatter>, Vec<(usize, String)>) {
    let mut fm = FrontMatter::default();
    let mut problems = Vec::new();
    let value: Value = match serde_yaml_ng::from_str(yaml) {
        Ok(value) => value,
        Err(err) => {
            let line = err.location().map_or(1, |l| l.line() + 1);
            let message = err.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message);
            problems.push((line, format!("front matter is not valid YAML: {message}")));
            return (None, problems);
        }
    };
    let mapping = match value {
        Value::Mapping(m) => m,
        Value::Null => return (Some(fm), problems),
        _ => {
            problems.push((2, "front matter must be a set of key: value lines".into()));
            return (None, problems);
        }
    };
    for (key, value) in &mapping {
        let Some(key) = key.as_str() else {
            problems.push((1, "front matter has a key that is not a word".into()));
            continue;
        };
        let line = key_line(yaml, key);
        match key {
            "id" | "title" | "owner" => match scalar(value).filter(|s| !s.is_empty()) {
                Some(text) => match key {
                    "id" => fm.id = Some(text),
                    "title" => fm.title = Some(text),
                    _ => fm.owner = Some(text),
                },
                None => problems.push((line, format!("front matter {key} must be a text"))),
            },
            "description" | "summary" => match scalar(value).filter(|s| !s.is_empty()) {
                Some(text) => fm.description = Some(text),
                None => problems.push((line, format!("front matter {key} must be a text"))),
            },
            "alerts" | "keywords" | "services" | "tags" => {
                let list = match value {
                    Value::Sequence(items) => {
                        let texts: Vec<String> = items.iter().filter_map(scalar).collect();
                        if texts.len() != items.len() {
                            problems.push((
                                line,
                                format!("front matter {key} must hold only names"),
                            ));
                        }
                        texts
                    }
                    Value::Null => Vec::new(),
                    _ => {
                        problems.push((
                            line,
                            format!("front matter {key} must be a list (- name on each line)"),
                        ));
                        Vec::new()
                    }
                };
                match key {
                    "alerts" => fm.alerts = list,
                    "keywords" | "tags" => fm.keywords.extend(list),
                    _ => fm.services = list,
                }
            }
            "severity" => match scalar(value).as_deref().and_then(severity_from_words) {
                Some(severity) => fm.severity = Some(severity),
                None => problems.push((
                    line,
                    format!(
                        "unknown severity '{}' in front matter (use p0-p3, critical, high, medium or low)",
                        scalar(value).unwrap_or_default().chars().take(20).collect::<String>()
                    ),
                )),
            },
            // Keys of static-site generators and other tools (`weight`, `layout`,
            // `owner_slack`) are theirs; only a likely typo of a key Warroom reads is reported.
            other => {
                if let Some(known) = misspelt(other) {
                    problems.push((
                        line,
                        format!(
                            "unknown front matter key '{}' (did you mean '{known}'?)",
                            other.chars().take(40).collect::<String>()
                        ),
                    ));
                }
            }
        }
    }
    (Some(fm), problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_is_split_off_keeping_lines() {
        let s = split("---\nid: x\n---\n# Title\n");
        assert_eq!(s.yaml.as_deref(), Some("id: x"));
        assert_eq!(s.body, "\n\n\n# Title\n");
    }

    #[test]
    fn fields_are_read() {
        let (fm, problems) =
            parse("id: api-down\ntitle: API down\nalerts: [ApiDown]\nseverity: high\nowner: sre");
        assert!(problems.is_empty(), "{problems:?}");
        let fm = fm.expect("front matter");
        assert_eq!(fm.id.as_deref(), Some("api-down"));
        assert_eq!(fm.alerts, ["ApiDown"]);
        assert_eq!(fm.severity, Some(Severity::P1));
    }

    #[test]
    fn wrong_fields_are_problems_with_their_line() {
        let (_, problems) = parse("id: x\nalerts: ApiDown\nseverity: purple\n");
        assert_eq!(problems[0].0, 3);
        assert!(problems[0].1.contains("alerts must be a list"));
        assert_eq!(problems[1].0, 4);
        assert!(problems[1].1.contains("unknown severity 'purple'"));
    }

    #[test]
    fn other_tools_keys_are_theirs_and_typos_are_reported() {
        let (fm, problems) = parse(
            "title: Disk full\nweight: 20\nlayout: page\nowner_slack: \"#sre\"\n\
             tags: [disk, storage]\ndescription: Volumes fill up\nalert: [DiskFull]\nsevrity: high\n",
        );
        let fm = fm.expect("front matter");
        assert_eq!(fm.keywords, ["disk", "storage"]);
        assert_eq!(fm.description.as_deref(), Some("Volumes fill up"));
        let messages: Vec<&str> = problems.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(
            messages,
            [
                "unknown front matter key 'alert' (did you mean 'alerts'?)",
                "unknown front matter key 'sevrity' (did you mean 'severity'?)"
            ]
        );
        assert_eq!(problems[0].0, 8);
    }

    #[test]
    fn yaml_errors_carry_the_file_line() {
        let (_, problems) = parse("id: x\ntitle: [unclosed\n");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].0 >= 3, "{problems:?}");
    }
}
