//! Facts about a runbook written as labelled lines: `Severity: High`, `Owner: SRE`,
//! `Alert: DiskFull`, and what an alert name looks like.

use super::text::words;
use super::vocabulary::ALERT_WORDS;
use crate::domain::Severity;

/// A severity from words people use: P0–P3 and SEV0–3 as numbered, and
/// Critical = P0, High = P1, Medium = P2, Low = P3. When several are named
/// (`Medium/High`), the worst wins.
pub fn severity_from_words(text: &str) -> Option<Severity> {
    let ws = words(text);
    let mut worst: Option<Severity> = None;
    for (i, w) in ws.iter().enumerate() {
        let next_digit = ws.get(i + 1).map(String::as_str);
        let found = match w.as_str() {
            "critical" | "blocker" | "emergency" | "p0" | "sev0" => Some(Severity::P0),
            "high" | "major" | "p1" | "sev1" => Some(Severity::P1),
            "medium" | "moderate" | "p2" | "sev2" => Some(Severity::P2),
            "low" | "minor" | "p3" | "sev3" | "p4" | "sev4" => Some(Severity::P3),
            "sev" | "severity" => match next_digit {
                Some("0") => Some(Severity::P0),
                Some("1") => Some(Severity::P1),
                Some("2") => Some(Severity::P2),
                Some("3") | Some("4") => Some(Severity::P3),
                _ => None,
            },
            _ => None,
        };
        if let Some(s) = found {
            worst = Some(worst.map_or(s, |w| w.min(s)));
        }
    }
    worst
}

/// A line's label and value (`**Severity:** High` → ("severity", "High")), with emphasis
/// around them and bullet marks removed.
pub fn labelled(line: &str) -> Option<(String, String)> {
    let line = line.trim_start_matches(['-', '+', ' ', '\t', '>']);
    let (label, value) = line.split_once(':')?;
    let label = label.trim().trim_matches(['*', '_']);
    if label.is_empty() || label.len() > 40 || label.contains('`') {
        return None;
    }
    let value = value.trim().trim_matches(['*', '_']).trim();
    Some((words(label).join(" "), value.to_owned()))
}

/// Labels that carry facts about the runbook rather than steps or symptoms.
pub fn is_metadata_label(label: &str) -> bool {
    matches!(
        label,
        "severity"
            | "default severity"
            | "owner"
            | "owners"
            | "team"
            | "owning team"
            | "priority"
            | "last updated"
            | "updated"
            | "last reviewed"
            | "purpose"
            | "ticket"
            | "author"
            | "version"
            | "service"
            | "services"
            | "runbook id"
            | "id"
    )
}

/// Whether a label introduces alert names (`Alert:`, `Alerts:`, `Alertname:`).
pub fn is_alert_label(label: &str) -> bool {
    matches!(
        label,
        "alert" | "alerts" | "alertname" | "alert name" | "alert names" | "firing alert"
    )
}

/// Whether a word is shaped like an alert name: CamelCase with a lowercase letter and a
/// second capital (`DatabaseMigrationFailed`, `ContainerOOMKilled`; not `FLUSHDB`, `Redis`).
pub fn is_camel_case(word: &str) -> bool {
    let mut chars = word.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    first.is_ascii_uppercase()
        && word.len() >= 4
        && word.len() <= 80
        && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && word.chars().any(|c| c.is_ascii_lowercase())
        && chars.any(|c| c.is_ascii_uppercase())
}

/// Whether a backticked name could be an alert given after an `Alert:` label
/// (`disk_full` and `KubePodCrashLooping` both can).
fn is_identifier(word: &str) -> bool {
    word.len() <= 80
        && word.starts_with(|c: char| c.is_ascii_alphabetic())
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.:".contains(c))
}

/// The alert names in the value of an `Alert:` line: backticked identifiers and bare
/// CamelCase words.
pub fn alerts_in_value(value: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (i, part) in value.split('`').enumerate() {
        if i % 2 == 1 {
            if is_identifier(part.trim()) {
                found.push(part.trim().to_owned());
            }
        } else {
            found.extend(
                part.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .filter(|w| is_camel_case(w))
                    .map(str::to_owned),
            );
        }
    }
    found
}

/// Facts read from labelled lines.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// From `Alert:` lines.
    pub alerts: Vec<String>,
    /// From the first `Severity:` line that maps.
    pub severity: Option<Severity>,
    /// From the first `Owner:` line.
    pub owner: Option<String>,
    /// Whether the text is such a line (and so not also a step or a symptom).
    pub is_fact: bool,
}

/// Reads `Severity:`, `Owner:` and `Alert:` lines (and other metadata labels, which only
/// mark the text as a fact).
pub fn read_facts(text: &str) -> Facts {
    let mut facts = Facts::default();
    for line in text.lines() {
        let Some((label, value)) = labelled(line) else {
            continue;
        };
        if is_alert_label(&label) {
            facts.alerts.extend(alerts_in_value(&value));
            facts.is_fact = true;
        } else if is_metadata_label(&label) {
            facts.is_fact = true;
            if label.contains("severity") && facts.severity.is_none() {
                facts.severity = severity_from_words(&value);
            } else if label.starts_with("owner") && facts.owner.is_none() && !value.is_empty() {
                facts.owner = Some(value.split_whitespace().collect::<Vec<_>>().join(" "));
            }
        }
    }
    facts
}

/// Where inline code was found, for deciding whether it names an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePlace {
    /// Under a Detection heading (`Symptom Detection`), where names are mostly alerts.
    Detection,
    /// Anywhere else, where only an alert context makes a name an alert.
    Elsewhere,
}

/// Whether text says that something is an alert (`alert`, `alarm`, `firing`, `paged`).
pub fn says_alert(text: &str) -> bool {
    words(text)
        .iter()
        .any(|w| ALERT_WORDS.contains(&w.as_str()))
}

/// Whether a label (`Alerts`, `Error Logs`) has one of the given words.
pub fn label_has(label: Option<&str>, wanted: &[&str]) -> bool {
    label.is_some_and(|l| words(l).iter().any(|w| wanted.contains(&w.as_str())))
}

/// Backticked CamelCase names that are alerts: in an alert context (a label, heading or
/// sentence that says "alert" or "firing"), or under a Detection heading outside a
/// Logs/Errors group unless they name an error (`WorkletsError`). A state named in a plain
/// symptom (`CrashLoopBackOff`, `OOMKilled`) is not an alert.
pub fn alerts_in_codes(
    codes: &[String],
    place: CodePlace,
    says_alert: bool,
    in_logs: bool,
) -> Vec<String> {
    codes
        .iter()
        .map(|c| c.trim())
        .filter(|code| is_camel_case(code))
        .filter(|code| {
            let names_error = code.ends_with("Error") || code.ends_with("Exception");
            says_alert || (place == CodePlace::Detection && !in_logs && !names_error)
        })
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_words_map_to_levels() {
        assert_eq!(severity_from_words("Critical"), Some(Severity::P0));
        assert_eq!(
            severity_from_words("High (for AI Agent functionality)"),
            Some(Severity::P1)
        );
        assert_eq!(severity_from_words("Medium/High"), Some(Severity::P1));
        assert_eq!(severity_from_words("low"), Some(Severity::P3));
        assert_eq!(severity_from_words("SEV-2"), Some(Severity::P2));
        assert_eq!(severity_from_words("p0"), Some(Severity::P0));
        assert_eq!(severity_from_words("purple"), None);
    }

    #[test]
    fn labels_are_read_through_emphasis() {
        assert_eq!(
            labelled("**Severity:** High"),
            Some(("severity".into(), "High".into()))
        );
        assert_eq!(
            labelled("- **Alerts:**"),
            Some(("alerts".into(), String::new()))
        );
    }

    #[test]
    fn labelled_lines_are_facts() {
        let facts = read_facts("Severity: Medium/High\nOwner: SRE team\nAlert: `DiskFull`");
        assert_eq!(facts.severity, Some(Severity::P1));
        assert_eq!(facts.owner.as_deref(), Some("SRE team"));
        assert_eq!(facts.alerts, ["DiskFull"]);
        assert!(facts.is_fact);
        assert!(!read_facts("Restart: the pods").is_fact);
    }

    #[test]
    fn alert_words_make_an_alert_context() {
        assert!(says_alert("`DiskFull` firing since 10:02"));
        assert!(says_alert("Alerts"));
        assert!(!says_alert("Pods show `OOMKilled` as the last state"));
    }

    #[test]
    fn code_is_an_alert_by_its_context() {
        let codes = vec!["HighErrorRate".to_owned(), "WorkletsError".to_owned()];
        assert_eq!(
            alerts_in_codes(&codes, CodePlace::Detection, false, false),
            ["HighErrorRate"]
        );
        assert!(alerts_in_codes(&codes, CodePlace::Detection, false, true).is_empty());
        assert!(alerts_in_codes(&codes, CodePlace::Elsewhere, false, false).is_empty());
        assert_eq!(
            alerts_in_codes(&codes, CodePlace::Elsewhere, true, false).len(),
            2
        );
    }

    #[test]
    fn alert_names_are_camel_case() {
        assert!(is_camel_case("DatabaseMigrationFailed"));
        assert!(is_camel_case("ContainerOOMKilled"));
        assert!(!is_camel_case("FLUSHDB"));
        assert!(!is_camel_case("Redis"));
        assert!(!is_camel_case("react-native"));
        assert_eq!(
            alerts_in_value("SomethingFiring, `disk_full` and High CPU"),
            ["SomethingFiring", "disk_full"]
        );
    }
}
