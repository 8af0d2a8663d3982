//! The Alertmanager webhook of the real `warroom serve`: bodies captured from Alertmanager 0.25
//! posted over HTTP, on SQLite and on PostgreSQL; bad deliveries refused with nothing recorded;
//! a burst of 500 deliveries giving one incident per group and every alert once.

use std::path::{Path, PathBuf};

use warroom::domain::{EventKind, IncidentNumber, Severity, Status};
use warroom::store::Store;

use crate::support::postgres;
use crate::support::webhook;
use webhook::{PATH_SECRET, Server, deliver, post};

const FIRING: &[u8] = include_bytes!("../fixtures/alertmanager/alertmanager-firing.json");
const RESOLVED: &[u8] = include_bytes!("../fixtures/alertmanager/alertmanager-resolved.json");
const ERROR_RATE: &[u8] =
    include_bytes!("../fixtures/alertmanager/alertmanager-firing-higherrorrate.json");

fn runbooks() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks")
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("warroom.db").display())
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Every event kind on an incident's timeline, by type name.
async fn kinds(store: &Store, n: IncidentNumber) -> Vec<EventKind> {
    store
        .timeline(n)
        .await
        .expect("the timeline")
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

/// The story of the fixtures, on whichever database `url` names.
async fn fixtures_story(url: &str) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = Server::start(dir.path(), url, &runbooks(), "");
    let first = deliver(server.address, FIRING);
    assert_eq!(first.status, 200, "{}", first.body);
    let answer = json(&first.body);
    assert_eq!(answer["incident"], "INC-1");
    assert_eq!(answer["opened"], true);
    assert_eq!(answer["firing"], 1);

    // Alertmanager sends the group again (repeat_interval, a retry): nothing new.
    let again = deliver(server.address, FIRING);
    assert_eq!(again.status, 200, "{}", again.body);
    let answer = json(&again.body);
    assert_eq!(answer["incident"], "INC-1");
    assert_eq!(answer["opened"], false);
    assert_eq!(answer["firing"], 0);

    // Another group is another incident, with its own severity from the label.
    let other = json(&deliver(server.address, ERROR_RATE).body);
    assert_eq!(other["incident"], "INC-2");

    let resolved = deliver(server.address, RESOLVED);
    assert_eq!(resolved.status, 200, "{}", resolved.body);
    let answer = json(&resolved.body);
    assert_eq!(answer["resolved"], 1);
    assert_eq!(answer["resolved_incident"], false);
    // Resolved again: already noted.
    assert_eq!(json(&deliver(server.address, RESOLVED).body)["resolved"], 0);

    let store = Store::connect(url).await.expect("the database");
    let one = store
        .incident(IncidentNumber(1))
        .await
        .expect("read")
        .expect("INC-1");
    assert_eq!(
        one.title.as_str(),
        "DB connection pool exhausted on api-server"
    );
    assert_eq!(one.severity, Severity::P1);
    assert_eq!(one.declared_by.as_str(), "alertmanager");
    assert_eq!(
        one.status,
        Status::Investigating,
        "resolved alerts close nothing unless auto_resolve"
    );
    assert_eq!(one.runbooks.len(), 1);
    assert_eq!(
        one.runbooks[0].runbook.id,
        "database-connection-pool-exhausted"
    );
    let two = store
        .incident(IncidentNumber(2))
        .await
        .expect("read")
        .expect("INC-2");
    assert_eq!(two.severity, Severity::P2);
    assert_eq!(two.title.as_str(), "5xx error rate above 5%");
    assert!(
        store
            .incident(IncidentNumber(3))
            .await
            .expect("read")
            .is_none()
    );

    let timeline = kinds(&store, IncidentNumber(1)).await;
    // Pages come from the escalation timers, at their own moment.
    let timeline: Vec<EventKind> = timeline
        .into_iter()
        .filter(|k| !matches!(k, EventKind::Paged { .. }))
        .collect();
    let names: Vec<&str> = timeline.iter().map(EventKind::type_name).collect();
    assert_eq!(
        names,
        [
            "declared",
            "alerts_firing",
            "runbook_attached",
            "alerts_resolved"
        ]
    );
    let EventKind::AlertsFiring { alerts, group } = &timeline[1] else {
        unreachable!()
    };
    assert_eq!(group, "{}:{alertname=\"DatabaseConnectionPoolExhausted\"}");
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].fingerprint, "f64bf6a0e3ceb673");
    assert_eq!(alerts[0].labels["service"], "api-server");
    assert_eq!(
        alerts[0].annotations["description"],
        "All 50 connections in use for more than 1m"
    );
    let EventKind::AlertsResolved { all, .. } = &timeline[3] else {
        unreachable!()
    };
    assert!(*all);

    // The post-mortem's timeline has the alerts.
    let postmortem = crate::support::binary::command(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env("WARROOM_DATABASE_URL", url)
        .env("WARROOM_RUNBOOK_DIRS", runbooks())
        .args(["postmortem", "INC-1"])
        .output()
        .expect("warroom postmortem runs");
    let markdown = String::from_utf8_lossy(&postmortem.stdout);
    assert!(postmortem.status.success(), "{postmortem:?}");
    assert!(
        markdown.contains("1 alert firing: DatabaseConnectionPoolExhausted (DB connection pool exhausted on api-server) {service=api-server, severity=critical}"),
        "{markdown}"
    );
    assert!(markdown.contains("1 alert resolved"), "{markdown}");

    // The chat (the console port on stdout) got the war room, the alerts and the offer.
    let chat = webhook::chat_with(
        dir.path(),
        &[
            "room #inc-1-db-connection-pool-exhausted-on-api-server created",
            "description: All 50 connections in use",
            "Runbook: Database connection pool exhausted",
            "Resolve incident]",
        ],
    );
    assert!(
        chat.contains("room #inc-1-db-connection-pool-exhausted-on-api-server created"),
        "{chat}"
    );
    assert!(
        chat.contains("1 alert firing — declared by Alertmanager"),
        "{chat}"
    );
    assert!(
        chat.contains("description: All 50 connections in use"),
        "{chat}"
    );
    assert!(
        chat.contains("Runbook: Database connection pool exhausted"),
        "{chat}"
    );
    assert!(chat.contains("Resolve incident]"), "{chat}");
}

#[tokio::test]
async fn fixtures_open_one_incident_each_and_repeats_add_nothing_on_sqlite() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    fixtures_story(&sqlite_url(dir.path())).await;
}

#[tokio::test]
async fn fixtures_open_one_incident_each_and_repeats_add_nothing_on_postgres() {
    let Some((_, _, url)) = postgres::fresh_postgres(
        "fixtures_open_one_incident_each_and_repeats_add_nothing_on_postgres",
        "alerts",
    )
    .await
    else {
        return;
    };
    fixtures_story(&url).await;
}

#[tokio::test]
async fn bad_deliveries_are_refused_with_a_reason_and_record_nothing() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = sqlite_url(dir.path());
    let server = Server::start(dir.path(), &url, &runbooks(), "");
    let a = server.address;
    let bearer = format!("Authorization: Bearer {}", webhook::TOKEN);
    let mut wrong_version: serde_json::Value = serde_json::from_slice(FIRING).unwrap();
    wrong_version["version"] = "5".into();
    let mut no_key: serde_json::Value = serde_json::from_slice(FIRING).unwrap();
    no_key.as_object_mut().unwrap().remove("groupKey");
    let huge = vec![b' '; 1024 * 1024 + 1];
    // What is wrong, path, headers, body, the status and a part of the reason expected.
    type Case<'a> = (&'a str, &'a str, Vec<&'a str>, Vec<u8>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            "no credentials",
            "/alerts/alertmanager",
            vec![],
            FIRING.to_vec(),
            401,
            "credentials",
        ),
        (
            "a wrong token",
            "/alerts/alertmanager",
            vec!["Authorization: Bearer nope"],
            FIRING.to_vec(),
            401,
            "credentials",
        ),
        (
            "a token that is a prefix",
            "/alerts/alertmanager",
            vec!["Authorization: Bearer test-token"],
            FIRING.to_vec(),
            401,
            "credentials",
        ),
        (
            "a wrong path secret",
            "/alerts/alertmanager/nope",
            vec![],
            FIRING.to_vec(),
            401,
            "credentials",
        ),
        (
            "not JSON",
            "/alerts/alertmanager",
            vec![&bearer],
            b"<xml/>".to_vec(),
            400,
            "not a JSON object",
        ),
        (
            "a wrong version",
            "/alerts/alertmanager",
            vec![&bearer],
            wrong_version.to_string().into_bytes(),
            400,
            "unsupported webhook payload version \\\"5\\\"",
        ),
        (
            "no group key",
            "/alerts/alertmanager",
            vec![&bearer],
            no_key.to_string().into_bytes(),
            400,
            "missing field `groupKey`",
        ),
        (
            "a body over 1 MiB",
            "/alerts/alertmanager",
            vec![&bearer],
            huge,
            413,
            "larger than 1048576 bytes",
        ),
    ];
    for (what, path, headers, body, status, reason) in cases {
        let answer = post(a, path, &headers, &body);
        assert_eq!(answer.status, status, "{what}: {}", answer.body);
        assert!(answer.body.contains(reason), "{what}: {}", answer.body);
    }
    let store = Store::connect(&url).await.expect("the database");
    assert!(
        store
            .incident(IncidentNumber(1))
            .await
            .expect("read")
            .is_none()
    );
    let log = std::fs::read_to_string(dir.path().join("serve.log")).expect("the log");
    assert!(log.contains("refused an Alertmanager payload"), "{log}");
    assert!(
        !log.contains(webhook::TOKEN) && !log.contains(PATH_SECRET),
        "{log}"
    );

    // The same body with the path secret is accepted.
    let path = format!("/alerts/alertmanager/{PATH_SECRET}");
    let answer = post(a, &path, &[], FIRING);
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(json(&answer.body)["incident"], "INC-1");
}

#[tokio::test]
async fn auto_resolve_closes_the_incident_and_the_next_firing_opens_a_new_one() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = sqlite_url(dir.path());
    let server = Server::start(dir.path(), &url, &runbooks(), "auto_resolve = true");
    assert_eq!(deliver(server.address, FIRING).status, 200);
    let answer = json(&deliver(server.address, RESOLVED).body);
    assert_eq!(answer["resolved_incident"], true, "{answer}");
    let store = Store::connect(&url).await.expect("the database");
    let one = store.incident(IncidentNumber(1)).await.unwrap().unwrap();
    assert_eq!(one.status, Status::Resolved);
    // The same group firing after its incident was resolved opens a new incident.
    let again = json(&deliver(server.address, FIRING).body);
    assert_eq!(again["incident"], "INC-2", "{again}");
    assert_eq!(again["opened"], true);
    assert_eq!(again["firing"], 1);
}

#[tokio::test]
async fn a_worse_alert_joining_the_group_offers_a_higher_severity_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = sqlite_url(dir.path());
    let server = Server::start(dir.path(), &url, &runbooks(), "");
    assert_eq!(deliver(server.address, ERROR_RATE).status, 200);
    let mut worse: serde_json::Value = serde_json::from_slice(ERROR_RATE).unwrap();
    let mut critical = worse["alerts"][0].clone();
    critical["labels"]["severity"] = "critical".into();
    critical["labels"]["service"] = "checkout".into();
    critical["fingerprint"] = "0123456789abcdef".into();
    worse["alerts"].as_array_mut().unwrap().push(critical);
    worse["commonLabels"] = serde_json::json!({ "alertname": "HighErrorRate" });
    let answer = json(&deliver(server.address, worse.to_string().as_bytes()).body);
    assert_eq!(answer["incident"], "INC-1", "{answer}");
    assert_eq!(answer["firing"], 1, "only the new alert is news: {answer}");
    let store = Store::connect(&url).await.expect("the database");
    let one = store.incident(IncidentNumber(1)).await.unwrap().unwrap();
    assert_eq!(one.severity, Severity::P2, "responders decide the severity");
    let chat = webhook::chat_with(
        dir.path(),
        &[
            "the alerts now map to P1",
            "Raise to P1]",
            "1 more alert firing in this group",
        ],
    );
    assert!(chat.contains("the alerts now map to P1"), "{chat}");
    assert!(chat.contains("Raise to P1]"), "{chat}");
    assert!(chat.contains("1 more alert firing in this group"), "{chat}");
}
