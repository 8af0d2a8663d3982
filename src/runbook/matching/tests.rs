use super::*;

fn runbook(
    id: &str,
    title: &str,
    alerts: &[&str],
    keywords: &[&str],
    symptoms: &[&str],
) -> Runbook {
    let strings = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
    Runbook {
        id: id.to_owned(),
        title: title.to_owned(),
        source: format!("{id}.md:1"),
        alerts: strings(alerts),
        keywords: strings(keywords),
        symptoms: strings(symptoms),
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

fn library() -> Library {
    Library::new(vec![
        runbook(
            "db-pool",
            "Database connection pool exhausted",
            &["DatabaseConnectionPoolExhausted"],
            &["postgres", "connections", "pool"],
            &[
                "API returning 500 errors",
                "Logs show \"Too many connections\"",
            ],
        ),
        runbook(
            "api-latency",
            "API high latency",
            &["ApiHighLatency"],
            &["latency", "slow", "p99"],
            &["Response times above 2 seconds", "Timeouts from clients"],
        ),
        runbook(
            "oom",
            "Out of memory errors",
            &["KubePodOOMKilled"],
            &["oom", "memory", "oomkilled"],
            &["Pods restarted with OOMKilled", "Memory usage at limit"],
        ),
        runbook(
            "cert-expiry",
            "TLS certificate expiring",
            &["CertificateExpiringSoon"],
            &["certificate", "tls", "ssl"],
            &["Browsers warn about an expired certificate"],
        ),
        runbook(
            "disk-full",
            "Disk space full",
            &["NodeDiskFull"],
            &["disk", "storage"],
            &["No space left on device", "Writes fail"],
        ),
    ])
}

fn query(text: &str) -> Query {
    Query {
        text: text.to_owned(),
        ..Query::default()
    }
}

fn ids(matches: &[Match]) -> Vec<&str> {
    matches.iter().map(|m| m.id.as_str()).collect()
}

#[test]
fn a_listed_alert_wins_over_text() {
    let q = Query {
        text: "database connection pool exhausted".to_owned(),
        alerts: vec!["nodediskfull".to_owned()],
        labels: Vec::new(),
    };
    let matches = library().best(&q, 3);
    assert_eq!(ids(&matches)[..2], ["disk-full", "db-pool"]);
    assert_eq!(
        matches[0].reason,
        MatchReason::Alert("NodeDiskFull".to_owned())
    );
    assert!(matches[0].score >= ALERT_SCORE);
    assert_eq!(matches[0].confidence, Confidence::Strong);
    assert_eq!(matches[1].reason, MatchReason::Text);
    assert!(matches[1].score < 1.0);
}

#[test]
fn an_alertname_label_counts_as_an_alert() {
    let q = Query {
        labels: vec![("alertname".to_owned(), "NodeDiskFull".to_owned())],
        ..Query::default()
    };
    let matches = library().best(&q, 3);
    assert_eq!(
        matches[0].reason,
        MatchReason::Alert("NodeDiskFull".to_owned())
    );
}

#[test]
fn an_unlisted_alert_name_is_still_read_as_text() {
    let q = Query {
        alerts: vec!["PostgresTooManyConnections".to_owned()],
        ..Query::default()
    };
    let matches = library().best(&q, 3);
    assert_eq!(matches[0].id, "db-pool");
    assert_eq!(matches[0].reason, MatchReason::Text);
}

#[test]
fn label_values_are_text_but_routing_labels_are_not() {
    let labels = |pairs: &[(&str, &str)]| Query {
        labels: pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..Query::default()
    };
    let summary = library().best(&labels(&[("summary", "certificate expires in 3 days")]), 3);
    assert_eq!(ids(&summary), ["cert-expiry"]);
    assert!(
        library()
            .best(&labels(&[("namespace", "disk")]), 3)
            .is_empty()
    );
}

#[test]
fn paraphrased_text_finds_its_runbook() {
    let lib = library();
    for (text, id) in [
        ("checkout returns 500s, too many db conns", "db-pool"),
        ("p99 through the roof", "api-latency"),
        ("pods keep getting OOMKilled", "oom"),
        ("cert expires tomorrow", "cert-expiry"),
        ("disk at 100% on db-2", "disk-full"),
    ] {
        assert_eq!(lib.best(&query(text), 1)[0].id, id, "{text}");
    }
}

#[test]
fn unrelated_text_gives_no_good_match() {
    let lib = library();
    for text in [
        "the coffee machine is broken",
        "",
        "the and of",
        "lunch order for friday",
    ] {
        let matches = lib.best(&query(text), 3);
        assert!(
            matches
                .first()
                .is_none_or(|m| m.confidence == Confidence::Weak),
            "{text}: {matches:?}"
        );
    }
    assert!(lib.best(&query("the and of"), 3).is_empty());
}

#[test]
fn a_weak_match_is_still_shown_and_says_weak() {
    let lib = library();
    // One common word shared with a long symptom list: something to look at, not a fit.
    let matches = lib.best(&query("the device in meeting room 4 has a blank screen"), 3);
    assert_eq!(ids(&matches), ["disk-full"]);
    assert_eq!(matches[0].confidence, Confidence::Weak);
    assert_eq!(matches[0].confidence.word(), "weak");
    let good = lib.best(&query("database connection pool exhausted"), 3);
    assert_ne!(good[0].confidence, Confidence::Weak, "{good:?}");
    assert_eq!(Confidence::Likely.word(), "likely");
    assert_eq!(Confidence::Strong.word(), "strong");
}

#[test]
fn up_to_the_limit_are_returned_however_weak_best_first() {
    let lib = library();
    let matches = lib.best(&query("database latency memory disk certificate"), 5);
    assert_eq!(matches.len(), 5);
    assert!(matches.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(matches.iter().all(|m| m.reason == MatchReason::Text));
}

#[test]
fn thesaurus_groups_work_both_ways() {
    let lib = Library::new(vec![
        runbook("outage", "Service outage", &[], &[], &[]),
        runbook("unreachable", "Host unreachable", &[], &[], &[]),
        runbook("breach", "Data breach", &[], &[], &[]),
    ]);
    // A word of a group finds the runbook titled with another word of it, in both directions.
    assert_eq!(lib.best(&query("service unreachable"), 1)[0].id, "outage");
    assert_eq!(lib.best(&query("host outage"), 1)[0].id, "unreachable");
    assert_eq!(lib.best(&query("attacker exfiltration"), 1)[0].id, "breach");
    // And every word of every group reads as its concept.
    let data = thesaurus::Data::compiled_in().expect("the thesaurus parses");
    for (concept, others) in &data.groups {
        let want = tokenize::terms(concept);
        assert_eq!(want.len(), 1, "{concept}");
        for word in others {
            assert_eq!(
                tokenize::terms(word),
                want,
                "{word} in the group of {concept}"
            );
        }
    }
}

#[test]
fn the_thesaurus_parses_and_no_word_is_in_two_groups() {
    let data = thesaurus::Data::compiled_in().expect("the thesaurus parses");
    assert!(data.groups.len() >= 30, "{}", data.groups.len());
    let stemmer = rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English);
    let built = thesaurus::Thesaurus::build(&data, &stemmer);
    assert_eq!(built.problems, Vec::<String>::new());
    // The check finds a word put in two groups, and a phrase that is not two words.
    let broken: thesaurus::Data = toml::from_str(
        "[groups]\noutage = [\"down\"]\nlatency = [\"slow\", \"downs\"]\n\
         [phrases]\n\"log\" = \"login\"\n[compounds]\n",
    )
    .expect("well-formed TOML");
    let problems = thesaurus::Thesaurus::build(&broken, &stemmer).problems;
    assert_eq!(problems, ["down", "log"]);
}

#[test]
fn step_text_details_and_prevention_are_indexed_below_the_title() {
    let mut rotate = runbook("rotate", "Broker maintenance", &[], &[], &[]);
    rotate.steps.push(crate::domain::Step::manual(
        "Rotate the kafka broker keystore",
        crate::domain::Section::Mitigation,
        3,
    ));
    rotate.steps[0]
        .details
        .push("the truststore on every client too".to_owned());
    rotate
        .prevention
        .push("Alert on zookeeper session expiry".to_owned());
    let titled = runbook("titled", "Kafka keystore rotation", &[], &[], &[]);
    let lib = Library::new(vec![rotate, titled]);
    assert_eq!(ids(&lib.best(&query("keystore"), 3)), ["titled", "rotate"]);
    assert_eq!(ids(&lib.best(&query("zookeeper"), 3)), ["rotate"]);
    // What is nested under a step counts as the step's text.
    assert_eq!(ids(&lib.best(&query("truststore"), 3)), ["rotate"]);
}

#[test]
fn scores_are_finite_positive_and_best_first() {
    let lib = library();
    let matches = lib.best(&query("slow database"), 10);
    assert!(matches.len() >= 2);
    for m in &matches {
        assert!(m.score.is_finite() && m.score > 0.0, "{m:?}");
    }
    assert!(matches.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn equal_scores_are_ordered_by_id_and_repeat_exactly() {
    let lib = Library::new(vec![
        runbook("b", "Redis down", &[], &[], &[]),
        runbook("a", "Redis down", &[], &[], &[]),
        runbook("c", "Redis down", &[], &[], &[]),
    ]);
    let first = lib.best(&query("redis down"), 3);
    assert_eq!(ids(&first), ["a", "b", "c"]);
    assert_eq!(lib.best(&query("redis down"), 3), first);
}

#[test]
fn the_limit_caps_the_answer() {
    let lib = library();
    assert!(lib.best(&query("slow database"), 10).len() > 1);
    assert_eq!(lib.best(&query("slow database"), 1).len(), 1);
    assert!(lib.best(&query("database"), 0).is_empty());
}

#[test]
fn the_first_of_duplicated_ids_is_kept() {
    let lib = Library::new(vec![
        runbook("disk", "Disk space full", &["NodeDiskFull"], &[], &[]),
        runbook("disk", "Certificate expiring", &["CertExpiring"], &[], &[]),
    ]);
    assert_eq!(lib.runbooks().len(), 1);
    assert_eq!(
        lib.get("disk").map(|r| r.title.as_str()),
        Some("Disk space full")
    );
    assert!(lib.best(&query("certificate expiring"), 3).is_empty());
    let q = Query {
        alerts: vec!["CertExpiring".to_owned()],
        ..Query::default()
    };
    assert!(lib.best(&q, 3).is_empty());
}

#[test]
fn an_empty_library_matches_nothing() {
    assert!(Library::default().best(&query("disk full"), 3).is_empty());
    assert!(Library::new(Vec::new()).get("x").is_none());
}
