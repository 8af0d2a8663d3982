//! Benchmarks that print figures (run with `cargo bench --bench runbooks`):
//! - import time for 1,000 synthetic Markdown runbooks, in total and per runbook;
//! - `Library::new` over them;
//! - match time per query (`Library::best`, top three) for 1,000 queries: median and p99
//!   (the target is at most 1 ms per query), and how many found a good match (a first match
//!   that is not weak).
//!
//! The runbooks are generated, not read from disk, deterministically from a fixed seed and a
//! word list, so every run measures the same text.

use std::hint::black_box;
use std::time::{Duration, Instant};

use warroom::domain::Runbook;
use warroom::runbook::{Confidence, Library, Query, import_markdown};

const RUNBOOKS: usize = 1_000;
const QUERIES: usize = 1_000;

/// Components, failure words and symptom words that incident runbooks are made of.
const SYSTEMS: &[&str] = &[
    "database",
    "postgres",
    "redis",
    "kafka",
    "rabbitmq",
    "api",
    "gateway",
    "checkout",
    "payments",
    "search",
    "elasticsearch",
    "cdn",
    "dns",
    "certificate",
    "kubernetes",
    "node",
    "pod",
    "disk",
    "memory",
    "cpu",
    "queue",
    "worker",
    "scheduler",
    "cache",
    "login",
    "session",
    "token",
    "webhook",
    "email",
    "storage",
    "bucket",
    "loadbalancer",
    "ingress",
    "replica",
    "backup",
    "cron",
    "billing",
    "inventory",
    "frontend",
    "mobile",
];
const FAILURES: &[&str] = &[
    "down",
    "slow",
    "exhausted",
    "full",
    "leaking",
    "failing",
    "timeout",
    "unreachable",
    "expired",
    "lagging",
    "crashlooping",
    "throttled",
    "corrupted",
    "stuck",
    "saturated",
    "overloaded",
    "degraded",
    "flapping",
    "rejected",
    "missing",
];
const SYMPTOMS: &[&str] = &[
    "errors",
    "latency",
    "requests",
    "connections",
    "restarts",
    "alerts",
    "logs",
    "users",
    "responses",
    "retries",
    "spikes",
    "drops",
    "messages",
    "jobs",
    "writes",
    "reads",
    "traffic",
    "timeouts",
    "evictions",
    "backlog",
    "500s",
    "p99",
    "OOMKilled",
    "refused",
    "denied",
];
const CHATTER: &[&str] = &[
    "coffee", "lunch", "friday", "birthday", "meeting", "wiki", "holiday", "parking", "printer",
];
const FILLER: &[&str] = &[
    "the", "is", "after", "during", "for", "on", "with", "every", "most", "some", "again",
];

/// A small deterministic generator (SplitMix64), so that runs compare.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[(self.next() % words.len() as u64) as usize]
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn camel(words: &[&str]) -> String {
    words
        .iter()
        .flat_map(|w| w.split(|c: char| !c.is_alphanumeric()))
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// One synthetic runbook as Markdown: front matter, title, symptoms, fenced steps, checklist.
fn markdown(n: usize, dice: &mut Dice) -> String {
    let (system, failure) = (dice.pick(SYSTEMS), dice.pick(FAILURES));
    let other = dice.pick(SYSTEMS);
    let title = format!("{system} {failure} {}", dice.pick(SYMPTOMS));
    let alert = format!("{}{n}", camel(&[system, failure]));
    let mut md = format!(
        "---\nid: rb-{n:04}\ntitle: {title}\nalerts: [{alert}, {}]\nkeywords: [{system}, {failure}, {other}]\nseverity: p{}\nservices: [{other}]\n---\n\n# {title}\n\nWhat to do when {system} is {failure}.\n\n## Symptoms\n",
        camel(&[other, dice.pick(FAILURES)]),
        dice.below(4),
    );
    for _ in 0..4 + dice.below(3) {
        let words: Vec<&str> = (0..6 + dice.below(6))
            .map(|i| match i % 3 {
                0 => dice.pick(SYMPTOMS),
                1 => dice.pick(FILLER),
                _ => dice.pick(SYSTEMS),
            })
            .collect();
        md.push_str(&format!("- {}\n", words.join(" ")));
    }
    md.push_str("\n## Diagnosis\n```sh\n");
    for step in 1..=3 {
        let what = dice.pick(SYSTEMS);
        md.push_str(&format!(
            "# {step}. Check {what} {}\nkubectl logs deployment/{what} -n production --since=15m\n\n",
            dice.pick(SYMPTOMS)
        ));
    }
    md.push_str("```\n\n## Mitigation\n```sh action=restart risk=write\n# Restart ");
    md.push_str(&format!(
        "{system}\nkubectl rollout restart deployment/{system} -n production\n```\n\n"
    ));
    md.push_str("## Verification\n- [ ] Error rate is back under 1%\n- [ ] ");
    md.push_str(&format!("{system} answers its health check\n"));
    md
}

/// A runbook built directly, for when the importer gives nothing.
fn runbook_by_hand(n: usize, dice: &mut Dice) -> Runbook {
    let (system, failure) = (dice.pick(SYSTEMS), dice.pick(FAILURES));
    let symptoms = (0..5)
        .map(|_| {
            format!(
                "{} {} {}",
                dice.pick(SYMPTOMS),
                dice.pick(SYSTEMS),
                dice.pick(SYMPTOMS)
            )
        })
        .collect();
    Runbook {
        id: format!("rb-{n:04}"),
        title: format!("{system} {failure} {}", dice.pick(SYMPTOMS)),
        source: format!("synthetic.md:{n}"),
        alerts: vec![format!("{}{n}", camel(&[system, failure]))],
        keywords: vec![system.to_owned(), failure.to_owned()],
        symptoms,
        severity: None,
        services: Vec::new(),
        owner: None,
        steps: Vec::new(),
        prevention: Vec::new(),
        facts: Vec::new(),
        contacts: Vec::new(),
        about: Vec::new(),
        quoted: Vec::new(),
    }
}

/// An incident as a responder or an alert would describe it, or now and then chatter that
/// should find nothing.
fn query(dice: &mut Dice) -> Query {
    if dice.below(10) == 0 {
        let words: Vec<&str> = (0..3).map(|_| dice.pick(CHATTER)).collect();
        return Query {
            text: words.join(" "),
            ..Query::default()
        };
    }
    let words: Vec<&str> = (0..3 + dice.below(6))
        .map(|i| match i % 3 {
            0 => dice.pick(SYSTEMS),
            1 => dice.pick(FAILURES),
            _ => dice.pick(SYMPTOMS),
        })
        .collect();
    let mut q = Query {
        text: words.join(" "),
        ..Query::default()
    };
    if dice.below(4) == 0 {
        let n = dice.below(RUNBOOKS);
        q.alerts.push(format!(
            "{}{n}",
            camel(&[dice.pick(SYSTEMS), dice.pick(FAILURES)])
        ));
        q.labels.push((
            "summary".to_owned(),
            format!("{} {}", words[0], dice.pick(SYMPTOMS)),
        ));
        q.labels
            .push(("severity".to_owned(), "critical".to_owned()));
    }
    q
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let mut dice = Dice(0x5EED_2026);
    let texts: Vec<String> = (0..RUNBOOKS).map(|n| markdown(n, &mut dice)).collect();
    let bytes: usize = texts.iter().map(String::len).sum();

    let started = Instant::now();
    let mut runbooks = Vec::with_capacity(RUNBOOKS);
    let mut problems = 0;
    for (n, text) in texts.iter().enumerate() {
        let imported = import_markdown(&format!("synthetic-{n:04}.md"), black_box(text));
        problems += imported.problems.len();
        runbooks.extend(imported.runbooks);
    }
    let import = started.elapsed();
    let imported = runbooks.len();
    let symptoms: usize = runbooks.iter().map(|r| r.symptoms.len()).sum();
    let steps: usize = runbooks.iter().map(|r| r.steps.len()).sum();
    let from_importer = imported > 0;
    if !from_importer {
        runbooks = (0..RUNBOOKS)
            .map(|n| runbook_by_hand(n, &mut dice))
            .collect();
    }

    let started = Instant::now();
    let library = Library::new(black_box(runbooks));
    let index = started.elapsed();

    let queries: Vec<Query> = (0..QUERIES).map(|_| query(&mut dice)).collect();
    for q in queries.iter().take(50) {
        black_box(library.best(q, 3));
    }
    let mut times = Vec::with_capacity(QUERIES);
    let mut answered = 0;
    for q in &queries {
        let started = Instant::now();
        let found = black_box(library.best(black_box(q), 3));
        times.push(started.elapsed());
        answered += usize::from(
            found
                .first()
                .is_some_and(|m| m.confidence != Confidence::Weak),
        );
    }
    times.sort_unstable();
    let total: Duration = times.iter().sum();

    println!(
        "runbooks benchmark ({RUNBOOKS} synthetic runbooks, {} KiB of Markdown)",
        bytes / 1024
    );
    println!(
        "  import_markdown   {:>10.2?} total, {:>8.2?} per runbook ({imported} runbooks, {symptoms} symptoms, {steps} steps, {problems} problems){}",
        import,
        import / RUNBOOKS as u32,
        if from_importer {
            ""
        } else {
            " — importer returned nothing, matching uses runbooks built in code"
        },
    );
    println!(
        "  Library::new      {:>10.2?} for {} runbooks",
        index,
        library.runbooks().len()
    );
    println!(
        "  best(query, 3)    median {:.2?}, p99 {:.2?}, max {:.2?}, mean {:.2?} over {QUERIES} queries ({answered} with a good match; target at most 1 ms)",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times[times.len() - 1],
        total / QUERIES as u32,
    );
}
