//! Matching against the real runbook library in `runbooks/`, read by the importer: incident
//! titles as responders type them must put the right runbook first, every runbook's alerts must
//! find it, and text about something else must find no good match (at most weak ones).

use std::path::PathBuf;
use std::sync::OnceLock;

use warroom::runbook::{Confidence, Library, Match, MatchReason, Query, load_paths};

fn library() -> &'static Library {
    static LIBRARY: OnceLock<Library> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("runbooks");
        let imported = load_paths(&[dir]);
        assert!(
            imported.runbooks.len() >= 20,
            "the library should load (got {} runbooks; problems: {:?})",
            imported.runbooks.len(),
            imported.problems
        );
        Library::new(imported.runbooks)
    })
}

fn text(words: &str) -> Query {
    Query {
        text: words.to_owned(),
        ..Query::default()
    }
}

fn describe(matches: &[Match]) -> String {
    let shown: Vec<String> = matches
        .iter()
        .map(|m| format!("{} ({:.2} {})", m.id, m.score, m.confidence.word()))
        .collect();
    format!("[{}]", shown.join(", "))
}

#[test]
fn incident_titles_as_responders_type_them_put_the_right_runbook_first() {
    let cases = [
        (
            "checkout API returns 500s, too many clients already",
            "database-connection-pool-exhausted",
        ),
        ("pods keep getting OOMKilled", "out-of-memory"),
        (
            "certificate expires tomorrow on api.example.com",
            "tls-certificate-expiring",
        ),
        (
            "users can't log in, 401 everywhere",
            "authentication-failures",
        ),
        (
            "queue is backing up, workers stuck",
            "background-job-queue-backlog",
        ),
        ("site completely down", "complete-outage"),
        ("redis not responding", "redis-failure"),
        ("p99 latency through the roof", "high-latency"),
        ("disk at 100% on db-2", "disk-full"),
        (
            "we think someone got into prod",
            "suspected-security-breach",
        ),
        (
            "card payments failing at checkout",
            "payment-processing-failure",
        ),
        (
            "nslookup fails for internal services",
            "network-dns-failure",
        ),
        ("too many open files", "file-descriptor-exhaustion"),
        ("deploy went bad, pods crashlooping", "failed-deployment"),
    ];
    let library = library();
    let wrong: Vec<String> = cases
        .iter()
        .filter_map(|(title, id)| {
            let found = library.best(&text(title), 3);
            let first = found.first().map(|m| (m.id.as_str(), &m.reason));
            (first != Some((id, &MatchReason::Text)))
                .then(|| format!("{title:?}: wanted {id}, got {}", describe(&found)))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_runbook_is_found_by_its_first_alert() {
    let library = library();
    let wrong: Vec<String> = library
        .runbooks()
        .iter()
        .filter_map(|runbook| {
            let alert = runbook.alerts.first()?;
            let query = Query {
                alerts: vec![alert.clone()],
                ..Query::default()
            };
            let found = library.best(&query, 3);
            let first = found.first()?;
            (first.id != runbook.id || first.reason != MatchReason::Alert(alert.clone()))
                .then(|| format!("{alert}: wanted {}, got {}", runbook.id, describe(&found)))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        library
            .runbooks()
            .iter()
            .filter(|r| !r.alerts.is_empty())
            .count()
            >= 20
    );
}

#[test]
fn a_listed_alert_beats_text_that_points_elsewhere() {
    let query = Query {
        text: "disk at 100% on db-2".to_owned(),
        alerts: vec!["redisdown".to_owned()],
        labels: Vec::new(),
    };
    let found = library().best(&query, 3);
    assert_eq!(found[0].id, "redis-failure", "{}", describe(&found));
    assert_eq!(found[0].reason, MatchReason::Alert("RedisDown".to_owned()));
    assert_eq!(found[1].id, "disk-full", "{}", describe(&found));
}

#[test]
fn an_unlisted_alert_is_matched_by_its_name_and_annotations() {
    let query = Query {
        text: String::new(),
        alerts: vec!["CacheUnavailable".to_owned()],
        labels: vec![
            ("severity".to_owned(), "critical".to_owned()),
            ("namespace".to_owned(), "production".to_owned()),
            (
                "summary".to_owned(),
                "Redis is not answering PING".to_owned(),
            ),
        ],
    };
    let found = library().best(&query, 3);
    assert_eq!(found[0].id, "redis-failure", "{}", describe(&found));
    assert_eq!(found[0].reason, MatchReason::Text);
}

#[test]
fn text_about_something_else_finds_no_good_match() {
    for words in [
        "the coffee machine is broken",
        "lunch order for friday",
        "happy birthday alice",
        "who has the conference room booked",
    ] {
        // The closest runbooks may be shown, but the first is weak: no good match.
        let found = library().best(&text(words), 3);
        assert!(
            found
                .first()
                .is_none_or(|m| m.confidence == Confidence::Weak),
            "{words:?} found {}",
            describe(&found)
        );
    }
}

#[test]
fn at_most_three_matches_best_first_with_finite_positive_scores() {
    let found = library().best(&text("database connections slow, 500 errors"), 3);
    assert!(!found.is_empty() && found.len() <= 3);
    assert!(found.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(found.iter().all(|m| m.score.is_finite() && m.score > 0.0));
    assert!(found.iter().all(|m| library().get(&m.id).is_some()));
}
