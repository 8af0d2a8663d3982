//! The reader and the mapping on bodies captured from a real Alertmanager 0.25, and on bodies
//! that are wrong in every way a sender gets them wrong.

use std::collections::BTreeMap;

use super::*;
use crate::domain::{IncidentNumber, Severity};

const FIRING: &[u8] = include_bytes!("../../tests/fixtures/alertmanager/alertmanager-firing.json");
const RESOLVED: &[u8] =
    include_bytes!("../../tests/fixtures/alertmanager/alertmanager-resolved.json");
const ERROR_RATE: &[u8] =
    include_bytes!("../../tests/fixtures/alertmanager/alertmanager-firing-higherrorrate.json");

fn fixture(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap()
}

fn parse_value(value: &serde_json::Value) -> Result<Notification, PayloadError> {
    parse(value.to_string().as_bytes())
}

#[test]
fn a_firing_notification_is_read_whole() {
    let n = parse(FIRING).unwrap();
    assert_eq!(
        n.group_key,
        "{}:{alertname=\"DatabaseConnectionPoolExhausted\"}"
    );
    assert_eq!(n.status, AlertStatus::Firing);
    assert_eq!(n.receiver, "webhook");
    assert_eq!(n.external_url, "http://127.0.0.1:9093");
    assert_eq!(
        n.group_labels["alertname"],
        "DatabaseConnectionPoolExhausted"
    );
    assert_eq!(n.common_labels["service"], "api-server");
    assert_eq!(
        n.common_annotations["summary"],
        "DB connection pool exhausted on api-server"
    );
    assert_eq!(n.alerts.len(), 1);
    let alert = &n.alerts[0];
    assert_eq!(alert.status, AlertStatus::Firing);
    assert_eq!(alert.record.fingerprint, "f64bf6a0e3ceb673");
    assert_eq!(alert.record.labels["severity"], "critical");
    assert_eq!(
        alert.record.annotations["description"],
        "All 50 connections in use for more than 1m"
    );
    assert_eq!(
        alert.record.starts_at.unwrap().to_rfc3339(),
        "2026-11-25T14:49:45.939486872+00:00"
    );
    assert_eq!(alert.record.ends_at, None, "0001-01-01 means no end");
    assert_eq!(
        alert.record.generator_url.as_deref(),
        Some("http://127.0.0.1:9090/graph?g0.expr=db_pool_in_use")
    );
}

#[test]
fn a_resolved_notification_has_an_end_and_an_empty_generator_url_is_none() {
    let n = parse(RESOLVED).unwrap();
    assert_eq!(n.status, AlertStatus::Resolved);
    assert_eq!(n.alerts[0].status, AlertStatus::Resolved);
    assert_eq!(
        n.alerts[0].record.ends_at.unwrap().to_rfc3339(),
        "2026-11-25T14:49:47+00:00"
    );
    let e = parse(ERROR_RATE).unwrap();
    assert_eq!(e.alerts[0].record.generator_url, None);
}

#[test]
fn severity_comes_from_the_label_with_alertname_overrides_and_a_default() {
    let rules = SeverityRules::default();
    assert_eq!(rules.of_group(&parse(FIRING).unwrap()), Severity::P1);
    assert_eq!(rules.of_group(&parse(ERROR_RATE).unwrap()), Severity::P2);
    let mut rules = SeverityRules::default();
    rules
        .by_alertname
        .insert("HighErrorRate".into(), Severity::P0);
    assert_eq!(rules.of_group(&parse(ERROR_RATE).unwrap()), Severity::P0);
    let mut unknown = fixture(ERROR_RATE);
    unknown["alerts"][0]["labels"]["severity"] = "whatever".into();
    assert_eq!(rules.default, Severity::P2);
    let rules = SeverityRules {
        default: Severity::P3,
        ..SeverityRules::default()
    };
    assert_eq!(
        rules.of_group(&parse_value(&unknown).unwrap()),
        Severity::P3
    );
}

#[test]
fn a_group_takes_the_worst_severity_of_its_firing_alerts() {
    let mut body = fixture(FIRING);
    let mut second = body["alerts"][0].clone();
    second["labels"]["severity"] = "info".into();
    second["fingerprint"] = "aaaa".into();
    body["alerts"].as_array_mut().unwrap().insert(0, second);
    let n = parse_value(&body).unwrap();
    assert_eq!(SeverityRules::default().of_group(&n), Severity::P1);
    body["alerts"][1]["status"] = "resolved".into();
    let n = parse_value(&body).unwrap();
    assert_eq!(
        SeverityRules::default().of_group(&n),
        Severity::P3,
        "a resolved critical alert does not make the group critical"
    );
}

#[test]
fn the_title_is_the_summary_else_the_alert_name_and_labels() {
    let n = parse(FIRING).unwrap();
    assert_eq!(
        title(&n).as_str(),
        "DB connection pool exhausted on api-server"
    );
    let mut body = fixture(FIRING);
    body["commonAnnotations"] = serde_json::json!({});
    body["alerts"][0]["annotations"] = serde_json::json!({});
    let n = parse_value(&body).unwrap();
    assert_eq!(
        title(&n).as_str(),
        "DatabaseConnectionPoolExhausted (service=api-server)"
    );
    body["commonAnnotations"]["summary"] = format!("line\none\t{}", "x".repeat(300)).into();
    let t = title(&parse_value(&body).unwrap());
    assert!(t.as_str().starts_with("line one x"), "{t}");
    assert_eq!(t.as_str().chars().count(), 200);
}

#[test]
fn alert_names_come_first_in_the_runbook_query() {
    let n = parse(FIRING).unwrap();
    let q = runbook_query(&n, &title(&n));
    assert_eq!(q.alerts, ["DatabaseConnectionPoolExhausted"]);
    assert!(q.labels.contains(&("service".into(), "api-server".into())));
}

#[test]
fn common_labels_become_parameters_under_both_names() {
    let mut body = fixture(FIRING);
    body["commonLabels"]["pod"] = "api-7f9c".into();
    body["commonLabels"]["namespace"] = "prod".into();
    let params = label_params(&parse_value(&body).unwrap(), "severity");
    let expected: BTreeMap<String, String> = [
        ("namespace", "prod"),
        ("namespace_name", "prod"),
        ("pod", "api-7f9c"),
        ("pod_name", "api-7f9c"),
        ("service", "api-server"),
        ("service_name", "api-server"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(params, expected);
}

#[test]
fn firing_opens_or_adds_and_resolved_without_an_incident_does_nothing() {
    let n = IncidentNumber(4);
    assert_eq!(decide(AlertStatus::Firing, None), GroupDecision::Open);
    assert_eq!(
        decide(AlertStatus::Firing, Some(n)),
        GroupDecision::AddTo(n)
    );
    assert_eq!(
        decide(AlertStatus::Resolved, Some(n)),
        GroupDecision::AddTo(n)
    );
    assert_eq!(decide(AlertStatus::Resolved, None), GroupDecision::Ignore);
}

#[test]
fn a_fingerprint_named_twice_in_one_body_counts_once_with_its_last_state() {
    let mut body = fixture(FIRING);
    let mut again = body["alerts"][0].clone();
    again["status"] = "resolved".into();
    body["alerts"].as_array_mut().unwrap().push(again);
    let n = parse_value(&body).unwrap();
    assert_eq!(
        states(&n),
        [("f64bf6a0e3ceb673".to_owned(), AlertStatus::Resolved)]
    );
}

#[test]
fn bodies_that_are_not_notifications_are_refused_with_a_reason() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"not json".to_vec(), "not a JSON object"),
        (b"[1,2]".to_vec(), "it is an array"),
        (b"".to_vec(), "not a JSON object"),
    ];
    for (body, expected) in cases {
        let e = parse(&body).unwrap_err().to_string();
        assert!(e.contains(expected), "{e}");
    }
    let mut body = fixture(FIRING);
    body["version"] = "3".into();
    let e = parse_value(&body).unwrap_err();
    assert!(matches!(e, PayloadError::Version(_)), "{e}");
    body.as_object_mut().unwrap().remove("version");
    let e = parse_value(&body).unwrap_err().to_string();
    assert!(e.contains("version (missing)"), "{e}");
}

#[test]
fn missing_and_bad_fields_are_named() {
    type Change = fn(&mut serde_json::Value);
    let cases: Vec<(&str, Change, &str)> = vec![
        (
            "no group key",
            |b| drop(b.as_object_mut().unwrap().remove("groupKey")),
            "groupKey",
        ),
        (
            "no alerts",
            |b| drop(b.as_object_mut().unwrap().remove("alerts")),
            "alerts",
        ),
        (
            "empty alerts",
            |b| b["alerts"] = serde_json::json!([]),
            "alerts is empty",
        ),
        ("bad status", |b| b["status"] = "burning".into(), "burning"),
        (
            "empty group key",
            |b| b["groupKey"] = "  ".into(),
            "groupKey is empty",
        ),
        (
            "no fingerprint",
            |b| {
                drop(
                    b["alerts"][0]
                        .as_object_mut()
                        .unwrap()
                        .remove("fingerprint"),
                )
            },
            "fingerprint",
        ),
        (
            "empty fingerprint",
            |b| b["alerts"][0]["fingerprint"] = "".into(),
            "alerts[0].fingerprint",
        ),
        (
            "no alertname",
            |b| {
                drop(
                    b["alerts"][0]["labels"]
                        .as_object_mut()
                        .unwrap()
                        .remove("alertname"),
                )
            },
            "alerts[0].labels has no alertname",
        ),
        (
            "bad time",
            |b| b["alerts"][0]["startsAt"] = "yesterday".into(),
            "input contains invalid characters",
        ),
        (
            "label not a string",
            |b| b["alerts"][0]["labels"]["x"] = 3.into(),
            "invalid type",
        ),
    ];
    for (what, change, expected) in cases {
        let mut body = fixture(FIRING);
        change(&mut body);
        let e = parse_value(&body).expect_err(what).to_string();
        assert!(e.contains(expected), "{what}: {e}");
    }
}
