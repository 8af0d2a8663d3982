//! Fuzzing the Alertmanager payload reader (`warroom::alerts::parse`): arbitrary bytes, and
//! structure-aware mutations of the real payloads in `tests/fixtures/alertmanager` (values
//! replaced by other kinds, keys removed and added, alerts repeated, then bytes flipped, cut
//! or spliced). Nothing panics, and what comes out is bounded: an error is one line of at most
//! `MAX_ERROR_CHARS` characters, and a notification keeps the reader's limits.
//!
//! The number of cases per property comes from `WARROOM_FUZZ_CASES` (see the README).

use proptest::prelude::*;
use serde_json::{Map, Value};
use warroom::alerts::{self, AlertStatus, SeverityRules};
use warroom::domain::MAX_TITLE_CHARS;

use crate::support::fuzz;

/// The longest error text the reader may give (it is sent back to the sender).
const MAX_ERROR_CHARS: usize = 300;

const FIXTURES: [&str; 3] = [
    include_str!("../fixtures/alertmanager/alertmanager-firing.json"),
    include_str!("../fixtures/alertmanager/alertmanager-firing-higherrorrate.json"),
    include_str!("../fixtures/alertmanager/alertmanager-resolved.json"),
];

/// Checks everything the reader promises about one body, whatever the body is.
fn check(body: &[u8]) -> Result<(), TestCaseError> {
    match alerts::parse(body) {
        Err(e) => {
            let text = e.to_string();
            prop_assert!(!text.contains('\n'), "an error of several lines: {text:?}");
            prop_assert!(
                text.chars().count() <= MAX_ERROR_CHARS,
                "an error of {} characters: {:?}…",
                text.chars().count(),
                text.chars().take(200).collect::<String>()
            );
        }
        Ok(n) => {
            prop_assert!(!n.alerts.is_empty());
            prop_assert!(!n.group_key.trim().is_empty() && n.group_key.len() <= 4_096);
            for alert in &n.alerts {
                let fp = &alert.record.fingerprint;
                prop_assert!(!fp.is_empty() && fp.len() <= 128, "{fp:?}");
                prop_assert!(!fp.chars().any(char::is_control), "{fp:?}");
                prop_assert!(!alert.record.name().trim().is_empty());
            }
            // What the engine derives from a notification is bounded too.
            let title = alerts::title(&n);
            prop_assert!(!title.as_str().is_empty());
            prop_assert!(title.as_str().chars().count() <= MAX_TITLE_CHARS);
            prop_assert!(!title.as_str().chars().any(char::is_control));
            let states = alerts::states(&n);
            prop_assert!(!states.is_empty() && states.len() <= n.alerts.len());
            let params = alerts::label_params(&n, "severity");
            prop_assert!(params.len() <= 2 * n.common_labels.len());
            let query = alerts::runbook_query(&n, &title);
            prop_assert!(query.alerts.len() <= n.alerts.len());
            let _ = SeverityRules::default().of_group(&n);
            let _ = alerts::decide(n.status, None);
            prop_assert_eq!(
                n.firing().count() + n.resolved().count(),
                n.alerts.len(),
                "every alert is firing or resolved"
            );
            let _ = n.status == AlertStatus::Firing;
        }
    }
    Ok(())
}

/// Any JSON value, a few levels deep, with the strings and numbers that trip readers.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<String>().prop_map(Value::String),
        prop::sample::select(vec![
            "4",
            "3",
            "",
            " ",
            "firing",
            "resolved",
            "FIRING",
            "alertname",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "+10000-01-01T00:00:00Z",
            "2026-11-25T14:49:45.939486872Z",
            "2026-02-30T00:00:00Z",
            "summary",
            "<!channel> <@U0BOB>",
            "\u{0}\u{1b}[31m\u{7f}",
            "\u{202e}evil",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
        (0usize..20_000).prop_map(|n| Value::String("x".repeat(n))),
    ];
    leaf.prop_recursive(3, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Keys the payload has, and any others.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "version",
            "groupKey",
            "status",
            "receiver",
            "alerts",
            "groupLabels",
            "commonLabels",
            "commonAnnotations",
            "externalURL",
            "truncatedAlerts",
            "labels",
            "annotations",
            "startsAt",
            "endsAt",
            "generatorURL",
            "fingerprint",
            "alertname",
            "summary",
            "severity",
            "service",
        ])
        .prop_map(str::to_owned),
        any::<String>(),
    ]
}

/// A step of the structure: an object's key or an array's index.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// The paths of every node, root first.
fn paths(value: &Value) -> Vec<Vec<Step>> {
    fn walk(value: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
        out.push(here.clone());
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    here.push(Step::Key(k.clone()));
                    walk(v, here, out);
                    here.pop();
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    here.push(Step::Index(i));
                    walk(v, here, out);
                    here.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

fn node<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    let mut at = value;
    for step in path {
        at = match (step, at) {
            (Step::Key(k), Value::Object(map)) => map.get_mut(k)?,
            (Step::Index(i), Value::Array(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(at)
}

/// One change to a payload's structure; `at` picks a node (modulo their number).
#[derive(Debug, Clone)]
enum Mutation {
    Replace { at: usize, with: Value },
    Remove { at: usize },
    Insert { at: usize, key: String, with: Value },
    Repeat { at: usize, times: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), json()).prop_map(|(at, with)| Mutation::Replace { at, with }),
        2 => any::<usize>().prop_map(|at| Mutation::Remove { at }),
        2 => (any::<usize>(), key(), json())
            .prop_map(|(at, key, with)| Mutation::Insert { at, key, with }),
        1 => (any::<usize>(), 0usize..600).prop_map(|(at, times)| Mutation::Repeat { at, times }),
    ]
}

fn apply(value: &mut Value, mutation: &Mutation) {
    let all = paths(value);
    let pick = |at: usize| all[at % all.len()].clone();
    match mutation {
        Mutation::Replace { at, with } => {
            if let Some(n) = node(value, &pick(*at)) {
                *n = with.clone();
            }
        }
        Mutation::Remove { at } => {
            let mut path = pick(*at);
            let Some(last) = path.pop() else { return };
            match (node(value, &path), last) {
                (Some(Value::Object(map)), Step::Key(k)) => {
                    map.remove(&k);
                }
                (Some(Value::Array(items)), Step::Index(i)) if i < items.len() => {
                    items.remove(i);
                }
                _ => {}
            }
        }
        Mutation::Insert { at, key, with } => match node(value, &pick(*at)) {
            Some(Value::Object(map)) => {
                map.insert(key.clone(), with.clone());
            }
            Some(Value::Array(items)) => items.push(with.clone()),
            _ => {}
        },
        Mutation::Repeat { at, times } => {
            if let Some(Value::Array(items)) = node(value, &pick(*at))
                && let Some(first) = items.first().cloned()
            {
                items.extend(std::iter::repeat_n(first, *times));
            }
        }
    }
}

/// One change to a body's bytes; positions are taken modulo the body's length.
#[derive(Debug, Clone)]
enum ByteEdit {
    Flip {
        at: usize,
        bits: u8,
    },
    Cut {
        at: usize,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    Splice {
        at: usize,
        from: usize,
        start: usize,
        len: usize,
    },
}

fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, bits)| ByteEdit::Flip { at, bits }),
        any::<usize>().prop_map(|at| ByteEdit::Cut { at }),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| ByteEdit::Insert { at, bytes }),
        (any::<usize>(), 0usize..3, any::<usize>(), 1usize..200).prop_map(
            |(at, from, start, len)| ByteEdit::Splice {
                at,
                from,
                start,
                len
            }
        ),
    ]
}

fn edit(body: &mut Vec<u8>, edit: &ByteEdit) {
    if body.is_empty() {
        return;
    }
    let n = body.len();
    match edit {
        ByteEdit::Flip { at, bits } => body[at % n] ^= bits,
        ByteEdit::Cut { at } => body.truncate(at % n),
        ByteEdit::Insert { at, bytes } => {
            let at = at % n;
            body.splice(at..at, bytes.iter().copied());
        }
        ByteEdit::Splice {
            at,
            from,
            start,
            len,
        } => {
            let source = FIXTURES[*from].as_bytes();
            let start = start % source.len();
            let piece = &source[start..(start + len).min(source.len())];
            let at = at % n;
            body.splice(at..at, piece.iter().copied());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(fuzz::cases(256)))]

    #[test]
    fn any_bytes_are_read_or_refused_in_one_short_line(body in prop::collection::vec(any::<u8>(), 0..2048)) {
        check(&body)?;
    }

    #[test]
    fn any_json_is_read_or_refused_in_one_short_line(value in json()) {
        check(value.to_string().as_bytes())?;
    }
}

/// Real payloads mutated: run by hand, so that it can say how many of the mutants were still
/// read as notifications (the structure-aware part reaches past the JSON syntax).
#[test]
fn mutated_real_payloads_are_read_or_refused_in_one_short_line() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let cases = fuzz::cases(256);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(cases));
    let (bodies, read) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let count = |body: &[u8]| {
        bodies.fetch_add(1, Ordering::Relaxed);
        if alerts::parse(body).is_ok() {
            read.fetch_add(1, Ordering::Relaxed);
        }
    };
    let strategy = (
        0usize..FIXTURES.len(),
        prop::collection::vec(mutation(), 1..6),
        prop::collection::vec(byte_edit(), 0..3),
    );
    let started = std::time::Instant::now();
    let outcome = runner.run(&strategy, |(which, mutations, edits)| {
        let mut value: Value = serde_json::from_str(FIXTURES[which]).unwrap();
        for m in &mutations {
            apply(&mut value, m);
        }
        let mut body = serde_json::to_vec(&value).unwrap();
        check(&body)?;
        count(&body);
        for e in &edits {
            edit(&mut body, e);
            check(&body)?;
            count(&body);
        }
        Ok(())
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
    println!(
        "{cases} cases, {} bodies, {} read as notifications, in {:.1} s",
        bodies.load(Ordering::Relaxed),
        read.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn the_fixtures_themselves_are_read() {
    for fixture in FIXTURES {
        let n = alerts::parse(fixture.as_bytes()).expect("a real payload");
        assert!(!n.alerts.is_empty());
    }
}

#[test]
fn deep_nesting_and_huge_values_are_refused_briefly() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    check(deep.as_bytes()).unwrap();
    let mut value: Value = serde_json::from_str(FIXTURES[0]).unwrap();
    let huge = "y".repeat(1 << 20);
    for field in [
        "status",
        "version",
        "truncatedAlerts",
        "receiver",
        "groupKey",
    ] {
        let mut v = value.clone();
        v[field] = Value::String(huge.clone());
        check(v.to_string().as_bytes()).unwrap();
    }
    value["alerts"][0]["status"] = Value::String(huge.clone());
    check(value.to_string().as_bytes()).unwrap();
    let mut object = Map::new();
    object.insert(huge, Value::Null);
    check(Value::Object(object).to_string().as_bytes()).unwrap();
}
