//! Reading Alertmanager's webhook body (payload version 4) into a checked [`Notification`].
//!
//! Every field Alertmanager 0.25 sends is read. Required: `version` ("4"), `groupKey`,
//! `status`, `receiver`, `alerts` (at least one), and in each alert `status`, `labels` (with
//! `alertname`), `startsAt` and `fingerprint`. The group's label and annotation maps,
//! `externalURL`, and an alert's `annotations`, `endsAt` and `generatorURL` may be missing
//! (other senders that speak this format leave them out) and then read as empty.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use serde::Deserialize;

use crate::domain::{ALERTNAME_LABEL, AlertRecord};

/// The webhook payload version this reader understands.
pub const PAYLOAD_VERSION: &str = "4";
/// The longest group key accepted, in bytes (Alertmanager's are a route path and labels).
const MAX_GROUP_KEY: usize = 4_096;
/// The longest fingerprint accepted, in bytes (Alertmanager's are 16 hex digits).
const MAX_FINGERPRINT: usize = 128;

/// Whether a group or an alert is firing or resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    /// Firing now.
    Firing,
    /// No longer firing.
    Resolved,
}

/// One alert of a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Firing or resolved.
    pub status: AlertStatus,
    /// The alert as the timeline keeps it.
    pub record: AlertRecord,
}

/// One webhook delivery: an alert group's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Identifies the group across deliveries (route and group labels).
    pub group_key: String,
    /// `resolved` when every alert of the group is resolved, else `firing`.
    pub status: AlertStatus,
    /// The Alertmanager receiver that sent it.
    pub receiver: String,
    /// The labels the group is grouped by.
    pub group_labels: BTreeMap<String, String>,
    /// Labels every alert of the group has, with the same value.
    pub common_labels: BTreeMap<String, String>,
    /// Annotations every alert of the group has, with the same value.
    pub common_annotations: BTreeMap<String, String>,
    /// Alertmanager's own URL.
    pub external_url: String,
    /// The alerts, in Alertmanager's order.
    pub alerts: Vec<Alert>,
    /// How many alerts Alertmanager left out (its `max_alerts`).
    pub truncated_alerts: u64,
}

impl Notification {
    /// The alerts that are firing.
    pub fn firing(&self) -> impl Iterator<Item = &Alert> {
        self.alerts
            .iter()
            .filter(|a| a.status == AlertStatus::Firing)
    }

    /// The alerts that are resolved.
    pub fn resolved(&self) -> impl Iterator<Item = &Alert> {
        self.alerts
            .iter()
            .filter(|a| a.status == AlertStatus::Resolved)
    }
}

/// Why a body is not a notification Warroom can use. The text is safe to send back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// The body is not JSON, or not a JSON object.
    #[error("the body is not a JSON object: {0}")]
    NotJson(String),
    /// The payload version is missing or not 4.
    #[error("unsupported webhook payload version {0}: Warroom reads version 4 (Alertmanager 0.x)")]
    Version(String),
    /// A field is missing or has the wrong type.
    #[error("bad payload: {0}")]
    Field(String),
    /// A field has a value Warroom cannot use.
    #[error("bad payload: {field} {problem}")]
    Invalid {
        /// The field, as a path (`alerts[2].fingerprint`).
        field: String,
        /// What is wrong with it.
        problem: String,
    },
}

/// The body as serde reads it, before the checks.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawNotification {
    group_key: String,
    status: AlertStatus,
    receiver: String,
    alerts: Vec<RawAlert>,
    #[serde(default)]
    group_labels: BTreeMap<String, String>,
    #[serde(default)]
    common_labels: BTreeMap<String, String>,
    #[serde(default)]
    common_annotations: BTreeMap<String, String>,
    #[serde(default, rename = "externalURL")]
    external_url: String,
    #[serde(default)]
    truncated_alerts: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAlert {
    status: AlertStatus,
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    starts_at: DateTime<Utc>,
    #[serde(default)]
    ends_at: Option<DateTime<Utc>>,
    #[serde(default, rename = "generatorURL")]
    generator_url: String,
    fingerprint: String,
}

/// Reads and checks a webhook body.
pub fn parse(body: &[u8]) -> Result<Notification, PayloadError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| PayloadError::NotJson(brief(&e.to_string())))?;
    let Some(object) = value.as_object() else {
        return Err(PayloadError::NotJson(format!(
            "it is {}",
            json_kind(&value)
        )));
    };
    match object.get("version") {
        Some(serde_json::Value::String(v)) if v == PAYLOAD_VERSION => {}
        Some(other) => return Err(PayloadError::Version(shown(&other.to_string()))),
        None => return Err(PayloadError::Version("(missing)".into())),
    }
    let raw: RawNotification =
        serde_json::from_value(value).map_err(|e| PayloadError::Field(brief(&e.to_string())))?;
    check(raw)
}

fn check(raw: RawNotification) -> Result<Notification, PayloadError> {
    let invalid = |field: String, problem: &str| PayloadError::Invalid {
        field,
        problem: problem.to_owned(),
    };
    if raw.group_key.trim().is_empty() {
        return Err(invalid("groupKey".into(), "is empty"));
    }
    if raw.group_key.len() > MAX_GROUP_KEY {
        return Err(invalid(
            "groupKey".into(),
            &format!("is longer than {MAX_GROUP_KEY} bytes"),
        ));
    }
    if raw.alerts.is_empty() {
        return Err(invalid(
            "alerts".into(),
            "is empty: a notification has at least one alert",
        ));
    }
    let mut alerts = Vec::with_capacity(raw.alerts.len());
    for (i, alert) in raw.alerts.into_iter().enumerate() {
        let fingerprint = alert.fingerprint.trim();
        if fingerprint.is_empty() || fingerprint.len() > MAX_FINGERPRINT {
            return Err(invalid(
                format!("alerts[{i}].fingerprint"),
                &format!("must be 1 to {MAX_FINGERPRINT} bytes"),
            ));
        }
        if fingerprint.chars().any(char::is_control) {
            return Err(invalid(
                format!("alerts[{i}].fingerprint"),
                "has control characters",
            ));
        }
        match alert.labels.get(ALERTNAME_LABEL) {
            Some(name) if !name.trim().is_empty() => {}
            _ => {
                return Err(invalid(
                    format!("alerts[{i}].labels"),
                    "has no alertname label",
                ));
            }
        }
        alerts.push(Alert {
            status: alert.status,
            record: AlertRecord {
                fingerprint: fingerprint.to_owned(),
                labels: alert.labels,
                annotations: alert.annotations,
                starts_at: real_time(alert.starts_at),
                ends_at: alert.ends_at.and_then(real_time),
                generator_url: Some(alert.generator_url).filter(|u| !u.is_empty()),
            },
        });
    }
    Ok(Notification {
        group_key: raw.group_key,
        status: raw.status,
        receiver: raw.receiver,
        group_labels: raw.group_labels,
        common_labels: raw.common_labels,
        common_annotations: raw.common_annotations,
        external_url: raw.external_url,
        alerts,
        truncated_alerts: raw.truncated_alerts,
    })
}

/// Alertmanager writes "no time" as `0001-01-01T00:00:00Z`.
fn real_time(at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (at.year() > 1).then_some(at)
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// A value from outside, cut short and without control characters, for an error message.
/// The longest quoted value kept in an error, in characters.
const QUOTED_CHARS: usize = 40;
/// The longest text of serde's kept in an error, in characters (with the prefix, under 300).
const ERROR_CHARS: usize = 260;

/// serde's error text made fit to send back: on one line, without control characters, each
/// quoted value (serde quotes the sender's own text, as in ``unknown variant `…` ``) cut to
/// [`QUOTED_CHARS`], the whole to [`ERROR_CHARS`].
fn brief(text: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<(char, usize)> = None;
    for c in text.chars() {
        let c = if c.is_control() { ' ' } else { c };
        match quote {
            Some((q, _)) if c == q => {
                quote = None;
                out.push(c);
            }
            Some((q, n)) => {
                if n < QUOTED_CHARS {
                    out.push(c);
                } else if n == QUOTED_CHARS {
                    out.push('…');
                }
                quote = Some((q, n + 1));
            }
            None => {
                if c == '`' || c == '"' {
                    quote = Some((c, 0));
                }
                out.push(c);
            }
        }
    }
    if out.chars().count() > ERROR_CHARS {
        out = out.chars().take(ERROR_CHARS - 1).collect();
        out.push('…');
    }
    out
}

fn shown(raw: &str) -> String {
    raw.chars().filter(|c| !c.is_control()).take(40).collect()
}

#[cfg(test)]
mod brief_tests {
    use super::*;

    #[test]
    fn errors_keep_their_shape_but_not_the_senders_long_values() {
        let long = format!(
            "unknown variant `{}\nz`, expected `firing` or `resolved`",
            "y".repeat(5000)
        );
        assert_eq!(
            brief(&long),
            format!(
                "unknown variant `{}…`, expected `firing` or `resolved`",
                "y".repeat(40)
            )
        );
        assert_eq!(
            brief("missing field `groupKey`"),
            "missing field `groupKey`"
        );
        let unclosed = format!("invalid type: string \"{}", "q".repeat(1000));
        assert_eq!(
            brief(&unclosed),
            format!("invalid type: string \"{}…", "q".repeat(40))
        );
        assert_eq!(brief(&"w ".repeat(1000)).chars().count(), ERROR_CHARS);
    }
}
