//! What a heading (or a bold label such as `**Immediate Actions:**`) is: a part of a runbook,
//! a page that is not a runbook, a sub-procedure, or a plain title.

use super::text::{clean_title, strip_counter, strip_decoration, words};
use super::vocabulary::{FILLER, PHRASES};

/// A part of a runbook, as its section headings name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Symptoms, detection, alerts, impact: text for matching.
    Symptoms,
    /// Diagnosis, investigation, triage, troubleshooting.
    Diagnosis,
    /// Quick fix, immediate actions, mitigation, remediation, recovery, resolution.
    Mitigation,
    /// Verification, validation, checklists.
    Verification,
    /// Root cause.
    RootCause,
    /// Prevention, follow-ups.
    Prevention,
}

/// What a heading is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A section of a runbook.
    Section(Part),
    /// Not runbook content: contacts, escalation paths, references, overviews, how to use,
    /// indexes, summaries, templates, post-incident checklists, automation notes.
    Ignored,
    /// A sub-procedure inside a section (`Option 2: Deep Clean`, `Step 3`), whatever its level.
    SubProcedure,
    /// Anything else: maybe a runbook's title, maybe a plain sub-heading.
    Plain,
}

/// Heading text reduced to words: decoration, numbering (`1.`, `Step 2:`) and parentheses
/// (`(RCA)`, `(2)`, `(if scripts fail)`) removed.
fn heading_words(text: &str) -> Vec<String> {
    let mut plain = String::new();
    let mut depth = 0usize;
    for c in strip_decoration(text).chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let mut ws = words(&plain);
    let is_number = |w: &String| w.chars().all(|c| c.is_ascii_digit());
    if ws.len() > 2
        && matches!(ws[0].as_str(), "step" | "part" | "phase" | "section")
        && is_number(&ws[1])
    {
        ws.drain(..2);
    }
    while ws.first().is_some_and(is_number) {
        ws.remove(0);
    }
    ws
}

/// The number of words of `phrase` (words joined by spaces) when it stands at `start`.
fn phrase_at(ws: &[String], start: usize, phrase: &str) -> Option<usize> {
    let mut len = 0;
    for word in phrase.split(' ') {
        if ws.get(start + len)? != word {
            return None;
        }
        len += 1;
    }
    Some(len)
}

/// The part a list of words names, when all its other words are filler.
fn part_of(ws: &[String]) -> Option<Part> {
    if ws.is_empty() {
        return None;
    }
    let mut covered = vec![false; ws.len()];
    let mut best: Option<(usize, usize, Part)> = None;
    for &(phrase, part) in PHRASES {
        for start in 0..ws.len() {
            let Some(len) = phrase_at(ws, start, phrase) else {
                continue;
            };
            covered[start..start + len]
                .iter_mut()
                .for_each(|c| *c = true);
            if best.is_none_or(|(s, l, _)| start < s || (start == s && len > l)) {
                best = Some((start, len, part));
            }
        }
    }
    let (_, _, part) = best?;
    let all_known = ws
        .iter()
        .zip(&covered)
        .all(|(w, &c)| c || FILLER.contains(&w.as_str()));
    all_known.then_some(part)
}

/// Whether words name a page or section that is not runbook content.
fn is_ignored(ws: &[String]) -> bool {
    let has = |w: &str| ws.iter().any(|x| x == w);
    let first = ws.first().map_or("", String::as_str);
    let last = ws.last().map_or("", String::as_str);
    let before_last = ws
        .len()
        .checked_sub(2)
        .and_then(|i| ws.get(i))
        .map_or("", String::as_str);
    let phrase = |p: &str| (0..ws.len()).any(|start| phrase_at(ws, start, p).is_some());
    // Getting ready before any incident (`Part 1 — Prepare`, `1.2 IAM & Access
    // Prerequisites`) is not what to do during one.
    let preparing = matches!(ws, [w] if w == "prepare" || w == "preparation")
        || has("prerequisites")
        || has("preparation");
    preparing
        || has("contacts")
        || has("overview")
        || has("template")
        || has("templates")
        || has("glossary")
        || has("appendix")
        || has("changelog")
        || has("references")
        || has("postmortem")
        || has("toc")
        || phrase("how to use")
        || phrase("table of contents")
        || phrase("post incident")
        || phrase("post mortem")
        || phrase("after the incident")
        || phrase("after an incident")
        || phrase("incident review")
        || phrase("example incidents")
        || phrase("past incidents")
        || phrase("previous incidents")
        || phrase("see also")
        || phrase("further reading")
        || phrase("when to escalate")
        || phrase("how to escalate")
        || phrase("revision history")
        || phrase("document history")
        || phrase("about this")
        || phrase("tl dr")
        || first == "escalation"
        || first == "escalations"
        || first == "related"
        || first == "automation"
        || first == "communication"
        || first == "communications"
        || first == "contact"
        || (last == "summary")
        || (last == "reference")
        || (last == "notes" && ws.len() <= 2)
        || (last == "links" || last == "resources")
        || (last == "index"
            && (ws.len() == 1
                || matches!(
                    before_last,
                    "incident"
                        | "incidents"
                        | "runbook"
                        | "runbooks"
                        | "alert"
                        | "alerts"
                        | "page"
                        | "scenario"
                        | "scenarios"
                        | "quick"
                )))
        || ws.len() <= 2
            && matches!(
                ws.join(" ").as_str(),
                "introduction"
                    | "purpose"
                    | "scope"
                    | "prerequisites"
                    | "ownership"
                    | "owners"
                    | "owner"
                    | "on call"
                    | "oncall"
                    | "definitions"
                    | "severity levels"
                    | "severity definitions"
                    | "faq"
                    | "contents"
                    | "dashboards"
                    | "tools"
                    | "metadata"
                    | "background"
                    | "context"
            )
}

/// Whether words open a sub-procedure: `Option 2`, `Alternative B`, `Step 3`, `Scenario A`.
fn is_sub_procedure(ws: &[String], text: &str) -> bool {
    let first = ws.first().map_or("", String::as_str);
    let second = ws.get(1).map_or("", String::as_str);
    // `2`, `B`, `4b`.
    let short_id = !second.is_empty()
        && (second.chars().all(|c| c.is_ascii_digit())
            || (second.len() <= 2 && second.chars().all(|c| c.is_alphanumeric())));
    match first {
        "option" | "method" | "approach" | "variant" | "plan" | "path" | "phase" | "part"
        | "stage" => short_id,
        "alternative" | "alternatively" => true,
        // Numbered steps have their number stripped already: look at the raw text.
        "step" => short_id || text.trim_start().to_ascii_lowercase().starts_with("step "),
        "scenario" => short_id && !second.chars().all(|c| c.is_ascii_digit()),
        _ => false,
    }
}

/// Whether a heading is a numbered phase of a procedure (`Part 2: Contain the Incident`,
/// `Step 3 — Restore`, `Phase 1`, `Stage 4b`), which makes the heading above it a runbook
/// as a section heading would.
pub fn is_phase(text: &str) -> bool {
    let raw = words(&strip_decoration(text));
    matches!(
        raw.first().map(String::as_str),
        Some("part" | "phase" | "stage" | "step")
    ) && raw
        .get(1)
        .is_some_and(|id| id.chars().next().is_some_and(|c| c.is_ascii_digit()) && id.len() <= 3)
}

/// What a heading is.
pub fn classify(text: &str) -> Kind {
    let ws = heading_words(text);
    if is_ignored(&ws) {
        return Kind::Ignored;
    }
    if let Some(part) = part_of(&ws) {
        return Kind::Section(part);
    }
    // `Step 2: Check pods` loses its number to heading_words; keep the raw words for this.
    let raw = words(&strip_decoration(text));
    if is_sub_procedure(&raw, text) {
        return Kind::SubProcedure;
    }
    Kind::Plain
}

/// The part a bold label names (`**Immediate Actions:**`, `**Resolution Steps:**`), if any.
pub fn label_part(label: &str) -> Option<Part> {
    part_of(&heading_words(label))
}

/// Whether a heading or label states when the steps under it apply: `If the server rebooted`,
/// `When mixed with other alerts`, `In case of …`, `Unless …`, `Otherwise`, `Alternatively`,
/// `Option 2: …`, `Scenario A: …`, or a lead-in that turns into one (`Based on the above
/// results, if …`). `Step 2` and `For resources that were modified` are not conditions.
pub fn is_condition(text: &str) -> bool {
    // A label is one short clause; a paragraph of sentences that happens to start with `If`
    // and end with `:` leads into what follows, it does not scope it.
    let plain = strip_decoration(text);
    if plain.trim_end_matches(':').contains(". ") || plain.split_whitespace().count() > 20 {
        return false;
    }
    let ws = words(&plain);
    let first = ws.first().map_or("", String::as_str);
    let second = ws.get(1).map_or("", String::as_str);
    let short_id = !second.is_empty() && second.len() <= 3;
    let opens = match first {
        "if" | "when" | "whenever" | "unless" | "otherwise" | "alternatively" => true,
        "in" => second == "case",
        "option" | "scenario" | "alternative" => short_id,
        _ => false,
    };
    // `Based on the above results, if …`: a condition after a short lead-in clause.
    let after_lead_in = text.split_once(',').is_some_and(|(lead, rest)| {
        lead.split_whitespace().count() <= 6
            && matches!(
                words(rest).first().map(String::as_str),
                Some("if" | "when" | "unless")
            )
    });
    opens || after_lead_in
}

/// Whether a heading names a runbook's own contacts or escalation path (`Escalation`,
/// `1.3 Communication & Escalation`, `Who to contact`, `Points of contact`).
pub fn is_contacts(text: &str) -> bool {
    words(&strip_decoration(text)).iter().any(|w| {
        matches!(
            w.as_str(),
            "contact" | "contacts" | "escalation" | "escalations" | "escalate"
        )
    })
}

/// Whether a heading says outright that it is a runbook: a `[RB-001]` tag, or a `Runbook:`,
/// `Incident:` or `Scenario 3:` prefix.
pub fn is_marked_runbook(text: &str) -> bool {
    let plain = strip_decoration(text);
    let plain = strip_counter(&plain).trim_end_matches(':').trim();
    plain != clean_title(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_are_told_from_cases_and_steps() {
        for text in [
            "If the server rebooted",
            "**When mixed with other alerts**:",
            "In case the disk is gone:",
            "Option 2: Deep clean",
            "Scenario A: Database issue",
            "Alternatively, restore from backup:",
            "Based on the above results, if new users were created, take these steps:",
        ] {
            assert!(is_condition(text), "{text}");
        }
        for text in [
            "Step 2: Check pods",
            "For resources that were modified during the compromise:",
            "Verify recovery",
            "Iffy disks",
            "Check the logs, then if needed restart the pod and watch it",
            "If the status page shows no issues, check the workers. The command I used was:",
        ] {
            assert!(!is_condition(text), "{text}");
        }
    }

    #[test]
    fn section_headings_are_recognised_with_numbers_and_suffixes() {
        for (text, part) in [
            ("Symptoms", Part::Symptoms),
            ("Symptoms (2)", Part::Symptoms),
            ("1. Symptom Detection", Part::Symptoms),
            ("Quick Fix (9)", Part::Mitigation),
            ("3. Recovery Procedures", Part::Mitigation),
            ("Immediate Actions", Part::Mitigation),
            ("Verification (3)", Part::Verification),
            ("Root Cause Investigation", Part::RootCause),
            ("2. Root Cause Analysis (RCA)", Part::RootCause),
            ("4. Prevention Measures", Part::Prevention),
            ("Diagnosis and Mitigation", Part::Diagnosis),
            ("Verify the fix", Part::Verification),
            ("Step 2: Diagnose", Part::Diagnosis),
            ("4.6 Harden Against Recurrence", Part::Prevention),
        ] {
            assert_eq!(classify(text), Kind::Section(part), "{text}");
        }
    }

    #[test]
    fn incident_titles_are_plain_even_with_section_words() {
        for text in [
            "DNS Resolution Failures",
            "Rate Limit Escalation",
            "Alert Storm",
            "Database Connection Pool Exhausted",
            "[RB-008] Rate Limit Escalation",
            "Elasticsearch Index Corruption",
            "Manual Steps (if scripts fail)",
        ] {
            assert_eq!(classify(text), Kind::Plain, "{text}");
        }
    }

    #[test]
    fn pages_that_are_not_runbooks_are_ignored() {
        for text in [
            "Plain English Summary",
            "How to Use This Runbook",
            "Incident Index",
            "Escalation Contacts",
            "Escalation Paths",
            "References",
            "Related Documentation",
            "Automation Candidate (2)",
            "Post-Incident Checklist",
            "Table of Contents",
            "Overview",
            "Incident Template",
            "Part 1 — Prepare",
            "1.2 IAM & Access Prerequisites",
            "Preparation",
            "Example incidents",
            "Previous Incidents",
        ] {
            assert_eq!(classify(text), Kind::Ignored, "{text}");
        }
        // Preparing one step of the procedure is part of it.
        assert_eq!(classify("Prepare the rollback"), Kind::Plain);
    }

    #[test]
    fn options_and_steps_are_sub_procedures() {
        for text in [
            "Option 2: Deep Clean (If Option 1 doesn't work)",
            "Option 3: Manual Nuclear Option",
            "Scenario A: Locking timeout",
            "Step 3: Restart pods",
        ] {
            assert_eq!(classify(text), Kind::SubProcedure, "{text}");
        }
    }

    #[test]
    fn marked_runbooks_are_seen() {
        assert!(is_marked_runbook("[RB-001] Database Migration Failures"));
        assert!(is_marked_runbook("🔥 Runbook: Disk full"));
        assert!(is_marked_runbook("Scenario 3: Cache stampede"));
        assert!(!is_marked_runbook("Disk full (2)"));
    }
}
