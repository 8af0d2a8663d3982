//! Alerts as the timeline keeps them: one firing or resolved alert from a monitoring system,
//! with its labels and annotations. Pure data; reading webhook payloads is `crate::alerts`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The label that names an alert in Prometheus.
pub const ALERTNAME_LABEL: &str = "alertname";

/// One alert as recorded on an incident's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRecord {
    /// The monitoring system's id of the alert (its label set's hash in Alertmanager).
    pub fingerprint: String,
    /// Its labels (`alertname`, `severity`, `service`, …).
    pub labels: BTreeMap<String, String>,
    /// Its annotations (`summary`, `description`, `runbook_url`, …).
    pub annotations: BTreeMap<String, String>,
    /// When it started firing.
    pub starts_at: Option<DateTime<Utc>>,
    /// When it stopped, for a resolved alert.
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    /// A link to the expression that fired it, when there is one.
    #[serde(default)]
    pub generator_url: Option<String>,
}

impl AlertRecord {
    /// The alert's name (`alertname` label), or `"alert"` when it has none.
    pub fn name(&self) -> &str {
        self.labels
            .get(ALERTNAME_LABEL)
            .map_or("alert", String::as_str)
    }

    /// `Name (summary) {service=api, …}`: one line for the timeline.
    pub fn describe(&self) -> String {
        let mut text = self.name().to_owned();
        if let Some(summary) = self.annotations.get("summary").filter(|s| !s.is_empty()) {
            text.push_str(&format!(" ({summary})"));
        }
        let labels: Vec<String> = self
            .labels
            .iter()
            .filter(|(k, _)| k.as_str() != ALERTNAME_LABEL)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !labels.is_empty() {
            text.push_str(&format!(" {{{}}}", labels.join(", ")));
        }
        text
    }
}

/// Describes a list of alerts for a timeline line: each one, or the first few and a count.
pub fn describe_alerts(alerts: &[AlertRecord]) -> String {
    const SHOWN: usize = 5;
    let mut parts: Vec<String> = alerts
        .iter()
        .take(SHOWN)
        .map(AlertRecord::describe)
        .collect();
    if alerts.len() > SHOWN {
        parts.push(format!("and {} more", alerts.len() - SHOWN));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(name: &str, labels: &[(&str, &str)], summary: Option<&str>) -> AlertRecord {
        let mut all: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        all.insert("alertname".into(), name.into());
        AlertRecord {
            fingerprint: "f1".into(),
            labels: all,
            annotations: summary
                .map(|s| [("summary".to_owned(), s.to_owned())].into())
                .unwrap_or_default(),
            starts_at: None,
            ends_at: None,
            generator_url: None,
        }
    }

    #[test]
    fn an_alert_reads_as_name_summary_and_labels() {
        let a = alert("HighErrorRate", &[("service", "api")], Some("5xx above 5%"));
        assert_eq!(a.describe(), "HighErrorRate (5xx above 5%) {service=api}");
        let b = alert("DiskFull", &[], None);
        assert_eq!(b.describe(), "DiskFull");
    }

    #[test]
    fn many_alerts_are_cut_to_five_and_a_count() {
        let alerts: Vec<AlertRecord> = (0..7).map(|_| alert("X", &[], None)).collect();
        assert_eq!(describe_alerts(&alerts), "X; X; X; X; X; and 2 more");
    }
}
