//! Walking one runbook's blocks in order, keeping track of the section they are in, and
//! turning them into steps, symptoms, prevention items, alerts and facts.

use std::collections::HashMap;

use super::blocks::{Block, Code, Heading, Inline, Item, Table};
use super::fences::parse_info;
use super::headings::{Kind, Part, classify, is_condition, is_contacts, label_part};
use super::meta::{CodePlace, alerts_in_codes, label_has, read_facts, says_alert};
use super::prevention;
use super::shell::{
    ShellStep, announces_commands, command_kind, inline_command, looks_like_commands,
    looks_like_sql, split, strip_psql_prompt,
};
use super::text::{
    command_title, label_of, one_line, sentences, step_title, strip_decoration, words,
};
use super::vocabulary::{ALERT_WORDS, LOG_WORDS};
use crate::domain::{
    ABOUT_MAX_CHARS, Fact, QUOTED_BLOCK_CHARS, QUOTED_MAX_CHARS, STEP_DETAIL_CHARS,
    STEP_DETAILS_MAX, Section, Severity, Step, StepKind, fit,
};

/// Words of a heading whose prose says what the incident is (`Overview`, `Meaning`).
const DESCRIBING: &[&str] = &[
    "overview",
    "summary",
    "introduction",
    "description",
    "background",
    "meaning",
    "about",
    "context",
];

/// Where the walk is: before any section heading, in a part, or in text to skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Zone {
    Pre,
    Part(Part),
    /// The runbook's own escalation or contacts list.
    Contacts,
    Ignore,
}

impl Zone {
    /// The section steps found here belong to; None where no steps are taken.
    /// Before any section heading, steps are taken as mitigation (`run this first`);
    /// commands under Symptoms/Detection are diagnosis.
    fn step_section(self) -> Option<Section> {
        match self {
            Zone::Pre | Zone::Part(Part::Mitigation) => Some(Section::Mitigation),
            Zone::Part(Part::Symptoms | Part::Diagnosis) => Some(Section::Diagnosis),
            Zone::Part(Part::Verification) => Some(Section::Verification),
            Zone::Part(Part::RootCause) => Some(Section::RootCause),
            Zone::Part(Part::Prevention) | Zone::Contacts | Zone::Ignore => None,
        }
    }
}

/// What an item passes on to the items nested in it.
#[derive(Debug, Clone, Default)]
struct ItemInfo {
    /// The label put before nested steps' titles (`Scenario A`, `Verify Database State`).
    prefix: Option<String>,
    /// Its title, for the commands of code blocks nested in it.
    title: String,
    /// The condition its nested steps and code are under (its own label's, or its parent's).
    only_if: Option<String>,
    alert_context: bool,
    logs_context: bool,
    prevention_entry: Option<usize>,
    /// Whether the items nested in it belong to it (it is a step, or belongs to one) rather
    /// than being steps of their own, as they are under a label (`Scenario A:`).
    belongs: bool,
    /// The step it made or belongs to, which its nested items say more about.
    step: Option<StepAt>,
}

/// Where the step an item made is kept.
#[derive(Debug, Clone, Copy)]
enum StepAt {
    /// In `found.steps`, at this index.
    Found(usize),
    /// Held until the code block of the item at this block index comes (see `Walk::deferred`).
    Deferred(usize),
}

/// What the walk found.
#[derive(Debug, Default)]
pub struct Found {
    /// Steps, in order.
    pub steps: Vec<Step>,
    /// Symptom entries.
    pub symptoms: Vec<String>,
    /// Prevention entries.
    pub prevention: Vec<String>,
    /// Alert names, maybe repeated.
    pub alerts: Vec<String>,
    /// From a `Severity:` line.
    pub severity: Option<Severity>,
    /// From an `Owner:` line.
    pub owner: Option<String>,
    /// Key–value statements: bold `Key:` lines, 2-column tables, `Key: value` items.
    pub facts: Vec<Fact>,
    /// The items and table rows of a contacts or escalation section.
    pub contacts: Vec<String>,
    /// Prose that says what the incident is (see [`Runbook::about`]).
    pub about: Vec<String>,
    /// Code quoted that gives no steps (see [`Runbook::quoted`]).
    pub quoted: Vec<String>,
    /// Problems, with their line.
    pub problems: Vec<(usize, String)>,
}

/// The walk's state.
struct Walk {
    zone: Zone,
    /// The level of the heading that set `zone` (0 before any).
    zone_level: usize,
    /// The author's headings open above the current block, outermost first: level and text.
    headings: Vec<(usize, String)>,
    /// The condition in force outside list items, and the heading level that ends it (a
    /// heading at that level or above).
    condition: Option<(String, usize)>,
    /// Whether the current heading says "alert" (`### Alerts`), so names under it are alerts.
    heading_says_alert: bool,
    /// Whether the current section is about detection (`### 1. Symptom Detection`).
    detection: bool,
    last_paragraph: Option<String>,
    /// How many of `headings` are the runbook's own title (0 or 1).
    title_depth: usize,
    items: HashMap<usize, ItemInfo>,
    /// Steps of items holding code blocks: dropped when the code gives commands, kept when
    /// it does not (a YAML snippet under `1. Apply this config:`).
    deferred: HashMap<usize, Step>,
    /// A deferred step's item → where the step went in `found.steps` once its code came.
    placed: HashMap<usize, usize>,
    found: Found,
}

impl Walk {
    fn heading(&mut self, h: &Heading) {
        let text = h.text.as_str();
        self.headings.retain(|(level, _)| *level < h.level);
        self.headings.push((h.level, one_line(text)));
        if self
            .condition
            .as_ref()
            .is_some_and(|(_, ends)| h.level <= *ends)
        {
            self.condition = None;
        }
        if is_condition(text) {
            self.condition = Some((condition_text(text), h.level));
        }
        // What is under a heading whose text is skipped is skipped too (`## Part 5 —
        // Post-Incident Activity`, then `### 5.4 Playbook Update Checklist`).
        // A runbook's own contacts are kept wherever they stand (`Part 1 — Prepare`, then
        // `1.3 Communication & Escalation`).
        if self.zone == Zone::Ignore
            && h.level > self.zone_level
            && self.zone_level > 0
            && !is_contacts(text)
        {
            return;
        }
        // Plain and sub-procedure headings stay in the section they are under; one at the
        // level of that section's heading or above ends it (`## Overview` then `## Part 2 —
        // Detect`), and what follows is procedure again.
        self.zone = match classify(text) {
            Kind::Section(part) => Zone::Part(part),
            Kind::Ignored if is_contacts(text) => Zone::Contacts,
            Kind::Ignored => Zone::Ignore,
            Kind::SubProcedure | Kind::Plain if h.level <= self.zone_level => {
                self.zone_level = 0;
                self.zone = Zone::Pre;
                return;
            }
            Kind::SubProcedure | Kind::Plain => return,
        };
        self.zone_level = h.level;
        self.detection = words(text).iter().any(|w| w.starts_with("detect"));
        self.heading_says_alert = says_alert(text);
    }

    /// Whether prose here says what the incident is: right under the runbook's title (before
    /// any heading of its own), or under a heading that describes (`Overview`, `Meaning`,
    /// `Summary`, `This Incident Type`).
    fn describing(&self) -> bool {
        if self.headings.len() <= self.title_depth {
            return true;
        }
        self.headings.last().is_some_and(|(_, text)| {
            let ws = words(text);
            let has = |w: &str| ws.iter().any(|x| x == w);
            DESCRIBING.iter().any(|w| has(w)) || (has("incident") && has("type"))
        })
    }

    /// Reads `Severity:`, `Owner:` and `Alert:` lines; true when the text is such a line.
    fn facts(&mut self, text: &str) -> bool {
        let facts = read_facts(text);
        self.found.alerts.extend(facts.alerts);
        self.found.severity = self.found.severity.or(facts.severity);
        self.found.owner = self.found.owner.take().or(facts.owner);
        facts.is_fact
    }

    /// Takes the `Key: value` lines of a paragraph whose key is bold (`**Playbook Version:**
    /// 2.0`) or whose value is a link or a figure (`Example Issue: https://…`) as facts; true
    /// when every line is one.
    fn fact_lines(&mut self, p: &Inline) -> bool {
        if matches!(self.zone, Zone::Contacts | Zone::Part(Part::Prevention)) {
            return false;
        }
        let mut all = true;
        for line in p.text.lines().filter(|l| !l.trim().is_empty()) {
            match fact_of(line, &p.bolds) {
                Some(fact) => self.found.facts.push(fact),
                None => all = false,
            }
        }
        all && !p.text.trim().is_empty()
    }

    /// Takes a list item that states a value rather than asks for something (`**RTO:** < 5
    /// min`, `Dashboard: https://…`) as a fact; true when it is one.
    fn fact_item(&mut self, item: &Item) -> bool {
        if item.has_children
            || item.has_code
            || matches!(self.zone, Zone::Contacts | Zone::Part(Part::Prevention))
        {
            return false;
        }
        let Some(fact) = fact_of(&one_line(&item.inline.text), &item.inline.bolds) else {
            return false;
        };
        let short = fact.value.split_whitespace().count() <= 6;
        if short
            && (is_figure(&fact.value) || FACT_KEYS.contains(&fact.key.to_lowercase().as_str()))
        {
            self.found.facts.push(fact);
            return true;
        }
        false
    }

    /// A table gives facts (two columns: key and value, header excluded), or in a contacts
    /// section one contact per row (its cells joined by ` | `); never steps.
    fn table(&mut self, table: &Table) {
        match self.zone {
            Zone::Contacts => self.found.contacts.extend(table.rows.iter().map(|row| {
                row.iter()
                    .map(|c| one_line(c))
                    .collect::<Vec<_>>()
                    .join(" | ")
            })),
            Zone::Part(Part::Prevention) => {}
            _ if table.header.len() == 2 => {
                for row in &table.rows {
                    if let [key, value] = row.as_slice()
                        && !key.trim().is_empty()
                        && !value.trim().is_empty()
                    {
                        self.found.facts.push(Fact {
                            key: one_line(key),
                            value: one_line(value),
                        });
                    }
                }
            }
            _ => {}
        }
    }

    /// Adds the alert names among an item's or paragraph's inline code.
    fn alerts_in_code(&mut self, inline: &Inline, alert_context: bool, logs_context: bool) {
        let place = match self.zone {
            Zone::Ignore | Zone::Contacts | Zone::Part(Part::Prevention) => return,
            Zone::Part(Part::Symptoms) if self.detection => CodePlace::Detection,
            _ => CodePlace::Elsewhere,
        };
        let says_alert = alert_context || self.heading_says_alert || says_alert(&inline.text);
        self.found.alerts.extend(alerts_in_codes(
            &inline.codes,
            place,
            says_alert,
            logs_context,
        ));
    }

    fn paragraph(&mut self, p: &Inline) {
        let is_fact = self.facts(&p.text) | self.fact_lines(p);
        let text = one_line(&p.text);
        let label = text.ends_with(':') || is_bold_line(p, &text);
        if label && is_condition(&text) {
            let condition = condition_text(&text);
            match p.parent.and_then(|item| self.items.get_mut(&item)) {
                // Inside a list item, a condition covers the rest of that item only.
                Some(info) => info.only_if = Some(condition),
                None => {
                    let ends = self.headings.last().map_or(6, |(level, _)| *level);
                    self.condition = Some((condition, ends));
                }
            }
            self.last_paragraph = Some(text);
            return;
        }
        if text.ends_with(':')
            && text.len() <= 60
            && let Some(part) = label_part(&text)
        {
            self.zone = Zone::Part(part);
            self.condition = None;
            return;
        }
        // A bold label of another kind (`**Step 2: Restart**`) ends the condition before it.
        if p.parent.is_none() && is_bold_line(p, &text) {
            self.condition = None;
        }
        self.alerts_in_code(p, false, false);
        if !is_fact && p.parent.is_none() && self.describing() {
            let used: usize = self.found.about.iter().map(|p| p.chars().count()).sum();
            let room = ABOUT_MAX_CHARS.saturating_sub(used);
            if room > 0 {
                self.found.about.push(fit(&text, room));
            }
        }
        match self.zone {
            Zone::Part(Part::Symptoms) if !is_fact => {
                self.found.symptoms.extend(sentences(&text));
            }
            Zone::Part(Part::Prevention) if !is_fact => self.found.prevention.push(text.clone()),
            // A paragraph of a procedure that asks for something is a person's task; one that
            // explains, or leads into the code or list after it (`To resize the volume run:`),
            // is not. Inside a list item it belongs to the item.
            Zone::Part(Part::Diagnosis | Part::Mitigation | Part::Verification)
                if !is_fact && p.parent.is_none() && asks_for_something(&text) =>
            {
                let section = self.zone.step_section().unwrap_or(Section::Mitigation);
                let only_if = self.condition.as_ref().map(|(c, _)| c.clone());
                let step = self.new_step(step_title(&text), section, None, p.line, only_if);
                self.found.steps.push(step);
            }
            _ => {}
        }
        self.last_paragraph = Some(text);
    }

    fn item(&mut self, index: usize, item: &Item) {
        let parent = item
            .inline
            .parent
            .and_then(|p| self.items.get(&p))
            .cloned()
            .unwrap_or_default();
        let text = one_line(&item.inline.text);
        let (label, label_only) = label_of(&text);
        let alert_context = parent.alert_context || label_has(label.as_deref(), ALERT_WORDS);
        let logs_context = parent.logs_context || label_has(label.as_deref(), LOG_WORDS);
        let is_fact = self.facts(&item.inline.text) | self.fact_item(item);
        self.alerts_in_code(&item.inline, alert_context, logs_context);

        // A label that is a condition puts the item's nested steps under it (`If the resource
        // cannot be replaced, either:`); a bold one before the item's own text puts the item
        // under it (`**If the service is enabled:** Sign in …`).
        let bold_line = is_bold_line(&item.inline, &text);
        let condition_label =
            (label_only || text.ends_with(':') || (bold_line && item.has_children))
                && (item.has_children || !item.has_code)
                && is_condition(&text);
        let bold_condition = item
            .inline
            .bold
            .as_deref()
            .filter(|b| !label_only && is_condition(b))
            .map(condition_text)
            .filter(|b| text.len() > b.len() + 1);
        let own_only_if = bold_condition
            .clone()
            .or_else(|| parent.only_if.clone())
            .or_else(|| self.condition.as_ref().map(|(c, _)| c.clone()));
        let mut title = step_title(&text);
        if let Some(b) = &bold_condition {
            let rest = text
                .get(b.len()..)
                .unwrap_or_default()
                .trim_start_matches([':', '*'])
                .trim();
            title = step_title(rest);
        }
        if let Some(prefix) = &parent.prefix
            && !title.starts_with(prefix.as_str())
            && !title.is_empty()
        {
            title = format!("{prefix}: {title}");
        }
        let mut info = ItemInfo {
            prefix: label
                .clone()
                .filter(|l| l.len() <= 40 && !condition_label)
                .or(parent.prefix.clone()),
            title: title.clone(),
            only_if: if condition_label {
                Some(condition_text(&text))
            } else {
                bold_condition.or_else(|| parent.only_if.clone())
            },
            alert_context,
            logs_context,
            prevention_entry: parent.prevention_entry,
            belongs: parent.belongs,
            step: parent.step,
        };
        match self.zone {
            _ if is_fact || text.is_empty() => {}
            Zone::Ignore => {}
            // A label item (`Severity-based escalation:`) gives way to its sub-items.
            Zone::Contacts => {
                if !(label_only && item.has_children) {
                    self.found.contacts.push(strip_decoration(&text));
                }
            }
            Zone::Part(Part::Prevention) => {
                info.prevention_entry = prevention::add_item(
                    &mut self.found.prevention,
                    parent.prevention_entry,
                    &text,
                );
            }
            // A sub-item of a step says more about that step (`Check:` then what to look at).
            // One holding code is the title of its code's steps instead.
            _ if parent.belongs => {
                if !item.has_code {
                    self.add_detail(parent.step, &text);
                }
            }
            _ if item.task.is_some() => {
                info.belongs = true;
                let step = self.new_step(
                    title,
                    Section::Verification,
                    inline_command(&item.inline.codes),
                    item.inline.line,
                    own_only_if,
                );
                info.step = Some(StepAt::Found(self.found.steps.len()));
                self.found.steps.push(step);
            }
            Zone::Part(Part::Symptoms) => {
                if !label_only {
                    self.found.symptoms.push(text.clone());
                }
            }
            // A label with nothing after it (`**Verify Database State:**`) heads the nested
            // steps, unless it introduces a code block (`1. Apply this config:`); an item
            // holding code blocks lends its text to their commands.
            zone => {
                let heads_others =
                    (label_only || condition_label) && (item.has_children || !item.has_code);
                if !heads_others && let Some(section) = zone.step_section() {
                    let command = inline_command(&item.inline.codes);
                    let step =
                        self.new_step(title, section, command, item.inline.line, own_only_if);
                    info.belongs = true;
                    if item.has_code {
                        info.step = Some(StepAt::Deferred(index));
                        self.deferred.insert(index, step);
                    } else {
                        info.step = Some(StepAt::Found(self.found.steps.len()));
                        self.found.steps.push(step);
                    }
                }
            }
        }
        self.items.insert(index, info);
    }

    /// Adds a nested item's text to the details of the step at `at`.
    fn add_detail(&mut self, at: Option<StepAt>, text: &str) {
        let step = match at {
            Some(StepAt::Found(i)) => self.found.steps.get_mut(i),
            Some(StepAt::Deferred(item)) => match self.placed.get(&item) {
                Some(&i) => self.found.steps.get_mut(i),
                None => self.deferred.get_mut(&item),
            },
            None => None,
        };
        let detail = strip_decoration(text);
        if let Some(step) = step
            && step.details.len() < STEP_DETAILS_MAX
            && !detail.is_empty()
        {
            step.details.push(fit(&detail, STEP_DETAIL_CHARS));
        }
    }

    /// A step of a list item or checklist, under the innermost heading.
    fn new_step(
        &self,
        title: String,
        section: Section,
        command: Option<String>,
        line: usize,
        only_if: Option<String>,
    ) -> Step {
        Step {
            title,
            section,
            heading: self.headings.last().map(|(_, text)| text.clone()),
            only_if,
            kind: command.as_deref().map_or(StepKind::Manual, command_kind),
            command,
            risk: None,
            action: None,
            timeout_secs: None,
            line,
            details: Vec::new(),
        }
    }

    fn code(&mut self, code: &Code) {
        let info = parse_info(&code.info);
        let deferred = code
            .parent
            .and_then(|p| Some((p, self.deferred.remove(&p)?)));
        // Untyped blocks (and indented code) hold commands only when they look like them;
        // output or config pasted there must not become actions.
        let announced = (self.last_paragraph.as_deref()).is_some_and(announces_commands);
        let shell = info.is_shell()
            || (info.is_untyped() && (announced || looks_like_commands(&code.body)));
        if self.zone == Zone::Part(Part::Prevention) {
            let entry = code
                .parent
                .and_then(|p| self.items.get(&p))
                .and_then(|i| i.prevention_entry)
                .and_then(|e| self.found.prevention.get_mut(e));
            if let (true, Some(entry)) = (shell, entry) {
                prevention::add_commands(entry, &code.body);
            }
            return;
        }
        // A SQL block is one step, whole, to copy into a database client.
        let sql = !shell
            && (info.is_sql() || (info.is_untyped() && looks_like_sql(&code.body)))
            && !code.body.trim().is_empty();
        let shell_steps = if shell {
            split(&code.body)
        } else if sql {
            // Titled by a leading `-- comment`, as shell is by `# comment`.
            let title = code.body.lines().map(str::trim).find(|l| !l.is_empty());
            vec![ShellStep {
                title: title
                    .and_then(|l| l.strip_prefix("--"))
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty()),
                // A psql session's prompts are not part of what to copy.
                command: Some(
                    code.body
                        .lines()
                        .map(|l| strip_psql_prompt(l.trim_end()))
                        .collect::<Vec<_>>()
                        .join("\n")
                        .trim()
                        .to_owned(),
                ),
                script: false,
                offset: 0,
            }]
        } else {
            // Output, log lines or configuration the author quotes: what a responder may
            // paste from their own screen.
            if !code.body.trim().is_empty() && self.zone != Zone::Contacts {
                let used: usize = self.found.quoted.iter().map(|q| q.chars().count()).sum();
                let room = QUOTED_MAX_CHARS
                    .saturating_sub(used)
                    .min(QUOTED_BLOCK_CHARS);
                if room > 0 {
                    self.found.quoted.push(fit(&one_line(&code.body), room));
                }
            }
            Vec::new()
        };
        let Some(section) = self.zone.step_section() else {
            return;
        };
        // The condition of the item it is in (or of a label inside that item), else the one
        // in force.
        let only_if = code
            .parent
            .and_then(|p| self.items.get(&p))
            .and_then(|i| i.only_if.clone())
            .or_else(|| self.condition.as_ref().map(|(c, _)| c.clone()));
        // The item's step, or the first step of its code, keeps what is nested in the item.
        if let Some((item, _)) = &deferred {
            self.placed.insert(*item, self.found.steps.len());
        }
        if shell_steps.is_empty() {
            self.found.steps.extend(deferred.map(|(_, step)| step));
            return;
        }
        let mut details = deferred.map(|(_, step)| step.details).unwrap_or_default();
        self.found
            .problems
            .extend(info.problems.iter().map(|m| (code.line, m.clone())));
        let fallback = code
            .parent
            .and_then(|p| self.items.get(&p))
            .map(|i| i.title.clone())
            .or_else(|| self.last_paragraph.as_deref().map(step_title))
            .filter(|t| !t.is_empty());
        let commands = shell_steps.iter().filter(|s| s.command.is_some()).count();
        if let (Some(action), true) = (&info.action, commands > 1) {
            self.found.problems.push((
                code.line,
                format!("action={action} names a block of {commands} commands; give each action its own block"),
            ));
        }
        for s in shell_steps {
            let title = s
                .title
                .map(|t| step_title(&t))
                .or_else(|| fallback.clone())
                .or_else(|| s.command.as_deref().map(command_title))
                .unwrap_or_default();
            let has_command = s.command.is_some();
            let kind = match (&s.command, sql, s.script) {
                (None, _, _) => StepKind::Manual,
                (Some(_), true, _) => StepKind::Sql,
                (Some(_), false, true) => StepKind::Script,
                (Some(_), false, false) => StepKind::Command,
            };
            self.found.steps.push(Step {
                title,
                section,
                heading: self.headings.last().map(|(_, text)| text.clone()),
                only_if: only_if.clone(),
                kind,
                command: s.command,
                risk: info.risk.filter(|_| has_command),
                action: info.action.clone().filter(|_| has_command),
                timeout_secs: info.timeout_secs.filter(|_| has_command),
                line: code.body_line + s.offset,
                details: std::mem::take(&mut details),
            });
        }
    }
}

/// Walks the blocks of one runbook, `start..end`, skipping its own heading `title` (the block
/// and the heading), which heads the steps right under it.
pub fn walk(blocks: &[Block], start: usize, end: usize, title: Option<(usize, &Heading)>) -> Found {
    let mut w = Walk {
        // The intro right under a runbook's title describes it; its steps start under the
        // first heading after the title. Without one, what is under the title is the procedure.
        zone: if title.is_some() && (start..end).any(|b| is_sub_heading(blocks, b, title)) {
            Zone::Ignore
        } else {
            Zone::Pre
        },
        zone_level: 6,
        headings: title
            .map(|(_, h)| (h.level, one_line(&h.text)))
            .into_iter()
            .collect(),
        condition: None,
        heading_says_alert: false,
        detection: false,
        last_paragraph: None,
        title_depth: usize::from(title.is_some()),
        items: HashMap::new(),
        deferred: HashMap::new(),
        placed: HashMap::new(),
        found: Found::default(),
    };
    for (index, block) in blocks.iter().enumerate().take(end).skip(start) {
        if title.is_some_and(|(b, _)| b == index) {
            continue;
        }
        match block {
            Block::Heading(h) => w.heading(h),
            Block::Paragraph(p) => {
                w.paragraph(p);
                continue;
            }
            Block::Item(item) => w.item(index, item),
            Block::Code(code) => w.code(code),
            Block::Table(table) => w.table(table),
        }
        w.last_paragraph = None;
    }
    w.found
}

/// Whether block `b` is a heading other than the runbook's own.
fn is_sub_heading(blocks: &[Block], b: usize, title: Option<(usize, &Heading)>) -> bool {
    matches!(blocks[b], Block::Heading(_)) && title.is_none_or(|(t, _)| t != b)
}

/// Whether a paragraph or item is one bold line (`**Scenario A: Database issue**`, `**If so:**`).
fn is_bold_line(p: &Inline, text: &str) -> bool {
    p.bold
        .as_deref()
        .is_some_and(|b| b.trim_end_matches(':') == text.trim_end_matches(':').trim())
}

/// A condition as shown after "only if": one line, no decoration, no trailing colon.
fn condition_text(text: &str) -> String {
    strip_decoration(&one_line(text))
        .trim_end_matches(':')
        .trim()
        .to_owned()
}

/// Keys whose short value makes a list item a fact rather than a step.
#[rustfmt::skip]
const FACT_KEYS: &[&str] = &[
    "rto", "rpo", "recovery time objective", "recovery point objective", "sla", "slo",
    "severity", "priority", "impact", "potential customer impact", "owner", "team", "status",
    "dashboard", "dashboards", "channel", "slack channel", "on-call", "runbook", "repository",
    "repo", "version", "last reviewed", "last updated",
];

/// Labels of call-outs and annotations about the document, not the incident.
#[rustfmt::skip]
const NOT_FACTS: &[&str] = &[
    "note", "notes", "notice", "warning", "danger", "caution", "important", "tip", "hint",
    "disclaimer", "reference", "references", "goal", "goals", "src", "source", "see",
    "todo", "csf",
];

/// A `Key: value` line as a fact, when the key is bold or the value a link or a figure.
fn fact_of(line: &str, bolds: &[String]) -> Option<Fact> {
    let line = line.trim().trim_start_matches(['>', ' ']);
    let (key, value) = line.split_once(':')?;
    let (key, value) = (strip_decoration(&key.replace('`', "")), value.trim());
    let words = key.split_whitespace().count();
    let first = key
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_lowercase();
    if value.is_empty()
        || key.is_empty()
        || words > 5
        || is_condition(&key)
        || NOT_FACTS.contains(&first.as_str())
    {
        return None;
    }
    let bold = bolds
        .iter()
        .any(|b| b.trim_end_matches(':').trim() == key.as_str());
    (bold || (words <= 3 && is_figure(value))).then(|| Fact {
        key,
        value: one_line(&value.replace('`', "")),
    })
}

/// Whether a value is a link or a figure (`https://…`, `< 5 min`, `99.9%`, `2.0`).
fn is_figure(value: &str) -> bool {
    let value = value.trim();
    value.starts_with("http://")
        || value.starts_with("https://")
        || value.starts_with(|c: char| c.is_ascii_digit() || "<>~≤≥$".contains(c))
}

/// Verbs a procedure's sentences open with when they ask the reader to do something.
#[rustfmt::skip]
const ASKING: &[&str] = &[
    "add", "apply", "ask", "assess", "attempt", "back", "block", "capture", "check", "clear",
    "collect", "communicate", "compare", "confirm", "contact", "coordinate", "cordon", "create",
    "declare", "decrease", "delete", "deploy", "determine", "disable", "document", "drain",
    "edit", "enable", "ensure", "escalate", "examine", "export", "fail", "find", "flush",
    "follow", "gather", "give", "identify", "increase", "inform", "inspect", "investigate",
    "isolate", "kill", "look", "make", "mark", "migrate", "monitor", "move", "notify", "open",
    "page", "post", "purge", "query", "raise", "re-run", "record", "redeploy", "reduce",
    "remove", "reset", "restart", "restore", "retry", "revert", "review", "revoke", "roll",
    "rotate", "run", "scale", "search", "set", "snapshot", "start", "stop", "switch", "take",
    "talk", "tell", "try", "update", "upgrade", "use", "verify", "wait", "watch",
];

/// Whether a paragraph asks the reader to do something: it opens with an imperative
/// (after `Then,`, `Next,`, `First,` or `Finally,`), or with `you should`, `you must`, `you
/// need to`, `we need to`; or it is `If X, do Y.` with an imperative after the condition.
/// A lead-in ending in `:` does not, nor does an option (`you can`, `you may`).
fn asks_for_something(text: &str) -> bool {
    if text.ends_with(':') {
        return false;
    }
    let ws = words(text);
    let opening = match ws.first().map(String::as_str) {
        Some("then" | "next" | "first" | "finally" | "also" | "now") => &ws[1..],
        Some("if" | "when") => match text.split_once(',') {
            Some((_, rest)) => return words(rest).first().is_some_and(|w| is_asking(w)),
            None => return false,
        },
        _ => &ws[..],
    };
    match opening {
        [you, modal, ..] if you == "you" || you == "we" => {
            matches!(modal.as_str(), "should" | "must" | "need" | "have")
        }
        [verb, ..] => is_asking(verb),
        [] => false,
    }
}

fn is_asking(word: &str) -> bool {
    ASKING.binary_search(&word).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the walk finds in `text`, whose first block is the runbook's own heading.
    fn walked(text: &str) -> Found {
        let blocks = crate::runbook::import::blocks::parse(text);
        let Block::Heading(title) = &blocks[0] else {
            panic!("{blocks:?}")
        };
        walk(&blocks, 0, blocks.len(), Some((0, title)))
    }

    #[test]
    fn prose_that_says_what_the_incident_is_is_kept_for_matching() {
        let text = "# Load balancer outage\n\nAzure load balancers carry postgres failover.\n\n\
            ## Meaning\n\nThe workers cannot reach the database.\n\n\
            ## Mitigation\n\nThis part explains the fix at length.\n\n1. Fail over.\n\n\
            ## Overview\n\n- an item is not prose\n\n**Owner:** dbre\n";
        let found = walked(text);
        assert_eq!(
            found.about,
            [
                "Azure load balancers carry postgres failover.",
                "The workers cannot reach the database."
            ]
        );
        // Output a runbook quotes is kept apart, on one line; a command is not quoted.
        let text = "# T\n\n## Diagnose\n\nLook for this in the logs:\n\n```\nERROR:  invalid page\n  in block 4\n```\n\n\
            ```sh\nkubectl get pods\n```\n";
        let found = walked(text);
        assert_eq!(found.quoted, ["ERROR: invalid page in block 4"]);
        assert_eq!(found.steps.len(), 1);
        // At most ABOUT_MAX_CHARS in all.
        let long = format!(
            "# T\n\n{}\n\n{}\n",
            "word ".repeat(300),
            "more ".repeat(300)
        );
        let found = walked(&long);
        let kept: usize = found.about.iter().map(|p| p.chars().count()).sum();
        assert!(kept <= ABOUT_MAX_CHARS && kept > 1_900, "{kept}");
    }

    #[test]
    fn items_nested_in_a_step_belong_to_it_and_those_under_a_label_are_steps() {
        let text = "# T\n\n## Fix\n\n- Restart the API and watch it\n  - the pods come back\n  \
            - errors drop\n\n    ```sh\n    kubectl get pods\n    ```\n- Scenario A:\n  - Roll back\n  \
            - Tell the team\n";
        let found = walked(text);
        let steps: Vec<(&str, Option<&str>, Option<&str>)> = found
            .steps
            .iter()
            .map(|s| (s.title.as_str(), s.command.as_deref(), s.only_if.as_deref()))
            .collect();
        // The sub-items are no steps, but the code in one is, titled by the item it is in.
        assert_eq!(
            steps,
            [
                ("Restart the API and watch it", None, None),
                ("errors drop", Some("kubectl get pods"), None),
                ("Roll back", None, Some("Scenario A")),
                ("Tell the team", None, Some("Scenario A")),
            ]
        );
        // What is nested in a step is kept with it, as written, as its details.
        let details: Vec<&[String]> = found.steps.iter().map(|s| &s.details[..]).collect();
        assert_eq!(details[0], ["the pods come back"]);
        assert!(details[1..].iter().all(|d| d.is_empty()), "{details:?}");
    }

    #[test]
    fn a_step_with_code_passes_its_details_to_the_first_step_of_its_code() {
        let text = "# T\n\n## Diagnose\n\n1. Check the pods for restarts\n   \
            - look for **CrashLoopBackOff**\n   - note the node\n\n   ```sh\n   \
            kubectl get pods\n   kubectl get events\n   ```\n\n   - a later note\n\
            2. Tell the team\n   - in #ops\n";
        let found = walked(text);
        let steps: Vec<(&str, Option<&str>, &[String])> = found
            .steps
            .iter()
            .map(|s| (s.title.as_str(), s.command.as_deref(), &s.details[..]))
            .collect();
        let strings = |d: &[&str]| d.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(steps.len(), 3, "{steps:?}");
        assert_eq!(steps[0].1, Some("kubectl get pods"));
        assert_eq!(
            steps[0].2,
            strings(&["look for CrashLoopBackOff", "note the node", "a later note"])
        );
        assert_eq!(steps[1].1, Some("kubectl get events"));
        assert!(steps[1].2.is_empty());
        assert_eq!(
            steps[2],
            ("Tell the team", None, &strings(&["in #ops"])[..])
        );
    }

    #[test]
    fn details_are_bounded() {
        let mut text = "# T\n\n## Fix\n\n- Restart it\n".to_owned();
        for i in 0..30 {
            text.push_str(&format!("  - check {i} {}\n", "word ".repeat(100)));
        }
        let found = walked(&text);
        let details = &found.steps[0].details;
        assert_eq!(details.len(), STEP_DETAILS_MAX);
        assert!(
            details
                .iter()
                .all(|d| d.chars().count() <= STEP_DETAIL_CHARS)
        );
    }

    #[test]
    fn what_is_under_a_skipped_heading_is_skipped_but_its_contacts_are_kept() {
        let text = "# Playbook\n\n## Part 1 — Prepare\n\n### 1.1 Checklist\n\n- [ ] Enable logging\n\n\
            ### 1.3 Communication & Escalation\n\n- IR lead: Ana\n\n## Part 2 — Contain\n\n\
            ### 2.1 Actions\n\n- Revoke the key\n";
        let found = walked(text);
        let steps: Vec<&str> = found.steps.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(steps, ["Revoke the key"]);
        assert_eq!(found.contacts, ["IR lead: Ana"]);
    }

    #[test]
    fn the_asking_verbs_are_sorted_for_their_binary_search() {
        assert!(ASKING.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn paragraphs_that_ask_are_told_from_those_that_explain() {
        for text in [
            "Give specific container in the pod more CPU limits.",
            "Then, check the replication lag on the replica.",
            "You should rotate the key before anything else.",
            "If the volume is full, delete the oldest snapshots.",
        ] {
            assert!(asks_for_something(text), "{text}");
        }
        for text in [
            "This alert fires when the disk is nearly full.",
            "To resize the volume run:",
            "You can also increase the limit via runtime config.",
            "If the actual number of series is very close to the limit",
            "In certain scenarios the kernel is too old.",
        ] {
            assert!(!asks_for_something(text), "{text}");
        }
    }
}
