//! What a notification means for an incident: its severity, its title, the runbook query and
//! the action parameters its labels provide, and whether it opens, joins or skips an incident.

use std::collections::BTreeMap;

use crate::domain::{
    ALERTNAME_LABEL, IncidentNumber, IncidentTitle, MAX_TITLE_CHARS, Severity, normalize_param_name,
};
use crate::runbook::Query;

use super::payload::{AlertStatus, Notification};

/// How alert labels map to incident severities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeverityRules {
    /// The label that carries the alert's severity (`severity`).
    pub label: String,
    /// That label's values (lowercase) and the severity each means.
    pub by_value: BTreeMap<String, Severity>,
    /// Severities by alert name, which win over the label.
    pub by_alertname: BTreeMap<String, Severity>,
    /// The severity when neither says.
    pub default: Severity,
}

impl Default for SeverityRules {
    fn default() -> Self {
        SeverityRules {
            label: "severity".to_owned(),
            by_value: [
                ("critical", Severity::P1),
                ("page", Severity::P1),
                ("error", Severity::P2),
                ("warning", Severity::P2),
                ("info", Severity::P3),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
            by_alertname: BTreeMap::new(),
            default: Severity::P2,
        }
    }
}

impl SeverityRules {
    /// The severity of one alert: by its name, else by its severity label, else the default.
    pub fn of(&self, labels: &BTreeMap<String, String>) -> Severity {
        if let Some(s) = labels
            .get(ALERTNAME_LABEL)
            .and_then(|name| self.by_alertname.get(name))
        {
            return *s;
        }
        labels
            .get(&self.label)
            .and_then(|v| self.by_value.get(&v.trim().to_lowercase()))
            .copied()
            .unwrap_or(self.default)
    }

    /// The severity of a group: the worst of its firing alerts (of all, when none fires).
    pub fn of_group(&self, notification: &Notification) -> Severity {
        let firing = notification
            .firing()
            .map(|a| self.of(&a.record.labels))
            .min();
        firing
            .or_else(|| {
                notification
                    .alerts
                    .iter()
                    .map(|a| self.of(&a.record.labels))
                    .min()
            })
            .unwrap_or(self.default)
    }
}

/// Labels that say where an alert fires rather than what it is; left out of generated titles.
const NOISY_LABELS: &[&str] = &["severity", "prometheus", "receiver", "monitor"];

/// The incident's title: the group's `summary` annotation, else the first firing alert's,
/// else the alert name and the group's labels; cut to the title limit, control characters
/// dropped.
pub fn title(notification: &Notification) -> IncidentTitle {
    let summary = notification
        .common_annotations
        .get("summary")
        .or_else(|| {
            notification
                .firing()
                .chain(notification.alerts.iter())
                .find_map(|a| a.record.annotations.get("summary"))
        })
        .map(|s| clean(s))
        .filter(|s| !s.is_empty());
    let text = summary.unwrap_or_else(|| {
        let name = notification
            .common_labels
            .get(ALERTNAME_LABEL)
            .or_else(|| {
                notification
                    .alerts
                    .first()?
                    .record
                    .labels
                    .get(ALERTNAME_LABEL)
            })
            .map_or("Alert", String::as_str);
        let labels: Vec<String> = notification
            .common_labels
            .iter()
            .filter(|(k, _)| k.as_str() != ALERTNAME_LABEL && !NOISY_LABELS.contains(&k.as_str()))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let text = if labels.is_empty() {
            name.to_owned()
        } else {
            format!("{name} ({})", labels.join(", "))
        };
        clean(&text)
    });
    let cut: String = text.chars().take(MAX_TITLE_CHARS).collect();
    IncidentTitle::parse(&cut)
        .or_else(|_| IncidentTitle::parse("Alert from Alertmanager"))
        .expect("a fixed title is valid")
}

/// Text on one line without control characters, runs of whitespace made one space.
fn clean(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What to match runbooks against: the alert names first, then the title and the labels.
pub fn runbook_query(notification: &Notification, title: &IncidentTitle) -> Query {
    let mut alerts: Vec<String> = Vec::new();
    for alert in &notification.alerts {
        let name = alert.record.name();
        if !alerts.iter().any(|a| a == name) {
            alerts.push(name.to_owned());
        }
    }
    let labels = notification
        .common_labels
        .iter()
        .filter(|(k, _)| k.as_str() != ALERTNAME_LABEL)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Query {
        text: title.as_str().to_owned(),
        alerts,
        labels,
    }
}

/// Action parameter values from the group's common labels (labels every alert shares, so each
/// has one value): each label under its parameter name (`pod`), and also as `<label>_name`
/// (`pod_name`) for runbooks that write `<pod-name>`. `alertname` and the severity label are
/// left out.
pub fn label_params(notification: &Notification, severity_label: &str) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    for (label, value) in &notification.common_labels {
        if label == ALERTNAME_LABEL || label == severity_label || value.is_empty() {
            continue;
        }
        let Some(name) = normalize_param_name(label) else {
            continue;
        };
        params
            .entry(format!("{name}_name"))
            .or_insert_with(|| value.clone());
        params.insert(name, value.clone());
    }
    params
}

/// What a notification does, given the incident its group has, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupDecision {
    /// Open a new incident for the group.
    Open,
    /// Add to the group's open incident.
    AddTo(IncidentNumber),
    /// Nothing to do: resolved alerts of a group without an open incident.
    Ignore,
}

/// Decides for a group: `open_incident` is the group's incident while it is open.
pub fn decide(status: AlertStatus, open_incident: Option<IncidentNumber>) -> GroupDecision {
    match (open_incident, status) {
        (Some(n), _) => GroupDecision::AddTo(n),
        (None, AlertStatus::Firing) => GroupDecision::Open,
        (None, AlertStatus::Resolved) => GroupDecision::Ignore,
    }
}

/// The alerts whose state this delivery reports, one per fingerprint (the last word wins when a
/// body names a fingerprint twice), in the body's order.
pub fn states(notification: &Notification) -> Vec<(String, AlertStatus)> {
    let mut out: Vec<(String, AlertStatus)> = Vec::new();
    for alert in &notification.alerts {
        let fp = &alert.record.fingerprint;
        match out.iter_mut().find(|(f, _)| f == fp) {
            Some(slot) => slot.1 = alert.status,
            None => out.push((fp.clone(), alert.status)),
        }
    }
    out
}
