//! Which headings are runbooks, and where each runbook ends.
//!
//! A heading is a runbook when section headings (Symptoms, Quick Fix, …) sit directly under
//! it, or when it says so (`[RB-001]`, `Runbook:`, `Scenario 3:`) and no runbook encloses it.
//! A heading that encloses other runbooks is a collection, not a runbook. Sub-procedure
//! headings (`Option 2`, `Part 4b — Recover`) belong to the runbook they follow, whatever
//! their level. Sibling headings that are each an alert name (`### CortexIngesterRestarts`,
//! `### CortexRequestLatency`, as playbook files for a mixin write them) are each a runbook,
//! sections or not.

use super::blocks::Block;
use super::headings::{Kind, classify, is_marked_runbook, is_phase};
use super::meta::is_camel_case;

/// One runbook's place in the blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The index of its heading block (or of the first block, for a whole-file runbook).
    pub start: usize,
    /// One past its last block.
    pub end: usize,
    /// Its heading's level (0 for a whole-file runbook, so every heading is inside it).
    pub level: usize,
}

/// A heading and what is known of it.
struct Entry {
    block: usize,
    level: usize,
    kind: Kind,
    owner: bool,
    contains_runbook: bool,
    marked: bool,
    /// Whether the heading is one alert name (`CortexIngesterRestarts`).
    alert_named: bool,
    ancestors: Vec<usize>,
}

/// The runbooks among the headings of a text.
pub fn find(blocks: &[Block]) -> Vec<Span> {
    let mut entries: Vec<Entry> = Vec::new();
    // Open headings, innermost last: a heading closes those at its level or deeper, except
    // that a sub-procedure leaves a plain heading of its own level open.
    let mut open: Vec<usize> = Vec::new();
    for (b, block) in blocks.iter().enumerate() {
        let Block::Heading(h) = block else { continue };
        // A document's title is its title, whatever its words (`Incident Response Playbook
        // Template` heads a real playbook).
        let kind = match classify(&h.text) {
            Kind::Ignored if entries.is_empty() && h.level == 1 => Kind::Plain,
            kind => kind,
        };
        open.retain(|&e| {
            let other = &entries[e];
            other.level < h.level
                || (kind == Kind::SubProcedure
                    && other.level == h.level
                    && other.kind == Kind::Plain)
        });
        let index = entries.len();
        let phase = kind == Kind::SubProcedure && is_phase(&h.text);
        if matches!(kind, Kind::Section(_)) || phase {
            // A section belongs to the nearest plain heading above it; numbered phases
            // (`Part 2: Contain`) are the structure of the whole document, and belong to the
            // outermost one.
            let mut candidates = open
                .iter()
                .copied()
                .filter(|&e| matches!(entries[e].kind, Kind::Plain | Kind::Ignored));
            let owner = if phase {
                candidates.next()
            } else {
                candidates.next_back()
            }
            .filter(|&e| entries[e].kind == Kind::Plain);
            if let Some(owner) = owner {
                entries[owner].owner = true;
                for &e in open.iter().take_while(|&&e| e != owner) {
                    entries[e].contains_runbook = true;
                }
            }
        }
        let marked = kind == Kind::Plain && is_marked_runbook(&h.text);
        let alert_named = kind == Kind::Plain && is_camel_case(h.text.trim());
        entries.push(Entry {
            block: b,
            level: h.level,
            kind,
            owner: false,
            contains_runbook: false,
            marked,
            alert_named,
            ancestors: open.clone(),
        });
        open.push(index);
    }

    // An alert-named heading is a playbook when a sibling (same level, same parent) is one
    // too; whatever encloses playbooks is a collection.
    let siblings = |a: &Entry, b: &Entry| a.level == b.level && a.ancestors == b.ancestors;
    let playbook: Vec<bool> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            e.alert_named
                && entries
                    .iter()
                    .enumerate()
                    .any(|(j, other)| j != i && other.alert_named && siblings(e, other))
        })
        .collect();
    for (i, &is_playbook) in playbook.iter().enumerate() {
        if is_playbook {
            for a in entries[i].ancestors.clone() {
                entries[a].contains_runbook = true;
            }
        }
    }

    let mut is_runbook = vec![false; entries.len()];
    for i in 0..entries.len() {
        let e = &entries[i];
        let owner = e.owner && !e.contains_runbook;
        let marked = e.marked && !e.ancestors.iter().any(|&a| is_runbook[a]);
        is_runbook[i] = owner || marked || playbook[i];
    }
    if let Some(inner) = title_holds_one_problem(&entries, &is_runbook, blocks) {
        is_runbook[inner] = false;
        is_runbook[0] = true;
    }

    let mut spans = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if !is_runbook[i] {
            continue;
        }
        let end = entries[i + 1..]
            .iter()
            .zip(&is_runbook[i + 1..])
            .find(|(next, runbook)| {
                **runbook || (next.level <= e.level && next.kind != Kind::SubProcedure)
            })
            .map_or(blocks.len(), |(next, _)| next.block);
        spans.push(Span {
            start: e.block,
            end,
            level: e.level,
        });
    }
    spans
}

/// The runbook inside the document's title heading, when the title is the runbook: a plain
/// title holding exactly one runbook and, beside it, a plain heading with steps of its own
/// (`# Thanos Compact` › `### Overlapping TSDB blocks` with its commands, and `### Compacted
/// indexes too large` with Symptoms and Resolution). The author wrote one runbook with several
/// problems in it, one of them with sections; a collection holds at least two runbooks.
fn title_holds_one_problem(
    entries: &[Entry],
    is_runbook: &[bool],
    blocks: &[Block],
) -> Option<usize> {
    let title = entries
        .first()
        .filter(|e| e.kind == Kind::Plain && !is_runbook[0])?;
    let inside: Vec<usize> = (1..entries.len())
        .filter(|&i| entries[i].ancestors.first() == Some(&0) && entries[i].level > title.level)
        .collect();
    let mut runbooks = inside.iter().copied().filter(|&i| is_runbook[i]);
    let inner = runbooks.next()?;
    if runbooks.next().is_some() {
        return None;
    }
    let within = |i: usize, of: usize| i == of || entries[i].ancestors.contains(&of);
    let peer_with_steps = inside.iter().any(|&i| {
        let e = &entries[i];
        e.kind == Kind::Plain
            && !within(i, inner)
            && !entries[inner].ancestors.contains(&i)
            && blocks[e.block + 1..]
                .iter()
                .take_while(|b| !matches!(b, Block::Heading(_)))
                .any(|b| matches!(b, Block::Code(_) | Block::Item(_)))
    });
    peer_with_steps.then_some(inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::import::blocks::parse;

    fn titles(text: &str) -> Vec<String> {
        let blocks = parse(text);
        find(&blocks)
            .into_iter()
            .map(|s| match &blocks[s.start] {
                Block::Heading(h) => h.text.clone(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn headings_with_sections_are_runbooks_and_their_collection_is_not() {
        let text = "# Runbooks\n## How to Use\n1. read\n## Disk full\n### Symptoms\n- full\n### Quick Fix\n- clean\n## API down\n### Diagnosis\n- look\n## General Troubleshooting\n### 1. Check\n## References\n";
        assert_eq!(titles(text), ["Disk full", "API down"]);
    }

    #[test]
    fn options_at_the_runbook_level_stay_inside_it() {
        let text = "# Doc\n## Worklets\n### Quick Fix\n## Option 2: Deep Clean\n### Verification\n- [ ] ok\n## Next\n";
        let blocks = parse(text);
        let spans = find(&blocks);
        assert_eq!(spans.len(), 1);
        assert!(matches!(&blocks[spans[0].end], Block::Heading(h) if h.text == "Next"));
    }

    #[test]
    fn marked_headings_are_runbooks_without_sections() {
        assert_eq!(
            titles("# Doc\n## Runbook: Disk full\n1. clean\n## Notes\n"),
            ["Runbook: Disk full"]
        );
    }

    #[test]
    fn sibling_headings_named_as_alerts_are_each_a_playbook() {
        let text = "# Playbooks\nintro\n## Alerts\n### CortexIngesterRestarts\nCheck pods.\n\
            ### CortexRequestLatency\n#### Write Latency\n- look\n### CortexRequestErrors\n- fix\n\
            ## Errors catalog\n### err-one\n";
        assert_eq!(
            titles(text),
            [
                "CortexIngesterRestarts",
                "CortexRequestLatency",
                "CortexRequestErrors"
            ]
        );
        // One alert-named heading alone is a plain heading.
        assert!(titles("# Doc\n## KubeAPIDown\ntext\n## Notes\n").is_empty());
    }

    #[test]
    fn numbered_phases_make_the_heading_above_them_a_runbook() {
        let text = "# Incident Response Playbook Template\n## Summary\ntext\n\
            ## Incident Response Process\n### **Part 2**: Contain the Incident\n- a\n\
            ### **Part 3**: Eradicate\n- b\n## Additional Resources\n";
        assert_eq!(titles(text), ["Incident Response Playbook Template"]);
        assert!(titles("# Doc\n## Install\n### Option 1: brew\n- x\n").is_empty());
    }

    #[test]
    fn parts_of_a_playbook_stay_in_it() {
        let text = "# IR playbook\n## Part 3 — Contain\n### 3.2 Containment Actions\n- a\n\
            ## Part 4b — Recover\n### 4.6 Recovery Validation\n- b\n";
        assert_eq!(titles(text), ["IR playbook"]);
    }

    #[test]
    fn a_title_holding_one_runbook_beside_another_problem_is_the_runbook() {
        let text = "# Thanos Compact\nintro\n## Common problems\n- OOMs\n\
            ### Overlapping TSDB blocks\n```\nfor b in a; do echo; done\n```\n\
            ### Compacted indexes too large\n#### Symptoms\n- big\n#### Resolution\n- fix\n";
        assert_eq!(titles(text), ["Thanos Compact"]);
        // Beside a heading with no steps of its own, the inner runbook stays the runbook.
        let text = "# Runbooks\n## Disk full\n### Symptoms\n- full\n### Quick Fix\n- clean\n\
            ## General Troubleshooting\n### 1. Check\n";
        assert_eq!(titles(text), ["Disk full"]);
    }

    #[test]
    fn a_template_with_sections_is_not_a_runbook() {
        assert!(titles("## Runbook Template\n### Symptoms\n### Quick Fix\n").is_empty());
    }
}
