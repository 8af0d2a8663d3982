//! Rows as the tables hold them, and their translation to and from the domain types.
//!
//! Both backends read the same row types: integers are `i64` (SQLite INTEGER, PostgreSQL
//! BIGINT), times are `DateTime<Utc>` (SQLite TEXT, PostgreSQL TIMESTAMPTZ).

use chrono::{DateTime, SubsecRound, Utc};

use super::StoreError;
use crate::domain::{
    Command, EventKind, Incident, IncidentNumber, IncidentTitle, Platform, TimelineEvent,
    UnknownPlatform, UserId,
};

/// The columns of `incidents`, in the order of [`IncidentRow`]'s fields.
macro_rules! incident_columns {
    () => {
        "number, title, severity, status, commander, comms, scribe, declared_by, declared_at, \
         acknowledged_by, acknowledged_at, resolved_at, version, runbooks, details"
    };
}
pub(super) use incident_columns;

/// The columns of `timeline_events`, in the order of [`EventRow`]'s fields.
macro_rules! event_columns {
    () => {
        "incident_number, seq, at, actor, kind, data"
    };
}
pub(super) use event_columns;

/// Cuts a time to whole microseconds, the precision of PostgreSQL, so that both backends give
/// back exactly what they were given.
pub(super) fn stored_time(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

/// One row of `incidents`.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct IncidentRow {
    pub number: i64,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub commander: Option<String>,
    pub comms: Option<String>,
    pub scribe: Option<String>,
    pub declared_by: String,
    pub declared_at: DateTime<Utc>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub version: i64,
    /// The attached runbooks as JSON.
    pub runbooks: String,
    /// The details (summary, impact window, services…) as JSON.
    pub details: String,
}

impl From<&Incident> for IncidentRow {
    fn from(incident: &Incident) -> Self {
        let user = |u: &Option<UserId>| u.as_ref().map(|u| u.as_str().to_owned());
        IncidentRow {
            number: i64::from(incident.number.0),
            title: incident.title.as_str().to_owned(),
            severity: incident.severity.to_string(),
            status: incident.status.word().to_owned(),
            commander: user(&incident.commander),
            comms: user(&incident.comms),
            scribe: user(&incident.scribe),
            declared_by: incident.declared_by.as_str().to_owned(),
            declared_at: stored_time(incident.declared_at),
            acknowledged_by: incident
                .acknowledged
                .as_ref()
                .map(|(by, _)| by.as_str().to_owned()),
            acknowledged_at: incident
                .acknowledged
                .as_ref()
                .map(|(_, at)| stored_time(*at)),
            resolved_at: incident.resolved_at.map(stored_time),
            version: i64::from(incident.version),
            // Plain data with string keys: writing it as JSON cannot fail.
            runbooks: serde_json::to_string(&incident.runbooks).unwrap_or_else(|_| "[]".into()),
            details: serde_json::to_string(&incident.details).unwrap_or_else(|_| "{}".into()),
        }
    }
}

impl IncidentRow {
    /// The incident this row describes, or `Decode` when a value breaks the domain's rules.
    pub fn into_incident(self) -> Result<Incident, StoreError> {
        let number = number_from(self.number)?;
        let bad = |what: &str, why: String| StoreError::Decode(format!("{number} {what}: {why}"));
        let user =
            |what: &str, raw: String| UserId::parse(&raw).map_err(|e| bad(what, e.to_string()));
        let maybe_user = |what: &str, raw: Option<String>| raw.map(|r| user(what, r)).transpose();
        let acknowledged = match (self.acknowledged_by, self.acknowledged_at) {
            (Some(by), Some(at)) => Some((user("acknowledged_by", by)?, at)),
            (None, None) => None,
            _ => return Err(bad("acknowledgement", "who or when is missing".into())),
        };
        Ok(Incident {
            number,
            title: IncidentTitle::parse(&self.title).map_err(|e| bad("title", e.to_string()))?,
            severity: self
                .severity
                .parse()
                .map_err(|e: crate::domain::UnknownSeverity| bad("severity", e.to_string()))?,
            status: self
                .status
                .parse()
                .map_err(|e: crate::domain::UnknownStatus| bad("status", e.to_string()))?,
            commander: maybe_user("commander", self.commander)?,
            comms: maybe_user("comms", self.comms)?,
            scribe: maybe_user("scribe", self.scribe)?,
            declared_by: user("declared_by", self.declared_by)?,
            declared_at: self.declared_at,
            acknowledged,
            resolved_at: self.resolved_at,
            runbooks: serde_json::from_str(&self.runbooks)
                .map_err(|e| bad("runbooks", e.to_string()))?,
            details: serde_json::from_str(&self.details)
                .map_err(|e| bad("details", e.to_string()))?,
            version: u32::try_from(self.version)
                .map_err(|_| bad("version", format!("{} is out of range", self.version)))?,
        })
    }
}

/// One row of `timeline_events`.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct EventRow {
    pub incident_number: i64,
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: String,
    pub data: String,
}

impl EventRow {
    /// The row for an event; fails only if the event cannot be written as JSON.
    pub fn from_event(event: &TimelineEvent) -> Result<Self, StoreError> {
        let data = serde_json::to_string(&event.kind)
            .map_err(|e| StoreError::Decode(format!("event cannot be stored as JSON: {e}")))?;
        Ok(EventRow {
            incident_number: i64::from(event.incident.0),
            seq: i64::from(event.seq),
            at: stored_time(event.at),
            actor: event.actor.as_str().to_owned(),
            kind: event.kind.type_name().to_owned(),
            data,
        })
    }

    /// The event this row describes, or `Decode` when it is damaged.
    pub fn into_event(self) -> Result<TimelineEvent, StoreError> {
        let incident = number_from(self.incident_number)?;
        let bad = |why: String| {
            StoreError::Decode(format!("{incident} timeline event {}: {why}", self.seq))
        };
        let kind: EventKind = serde_json::from_str(&self.data).map_err(|e| bad(e.to_string()))?;
        if kind.type_name() != self.kind {
            return Err(bad(format!(
                "stored as '{}' but holds '{}'",
                self.kind,
                kind.type_name()
            )));
        }
        Ok(TimelineEvent {
            incident,
            seq: u32::try_from(self.seq).map_err(|_| bad("seq is out of range".into()))?,
            at: self.at,
            actor: UserId::parse(&self.actor).map_err(|e| bad(e.to_string()))?,
            kind,
        })
    }
}

/// An incident number read from the database.
pub(super) fn number_from(raw: i64) -> Result<IncidentNumber, StoreError> {
    u32::try_from(raw)
        .ok()
        .filter(|n| *n > 0)
        .map(IncidentNumber)
        .ok_or_else(|| StoreError::Decode(format!("incident number {raw} is out of range")))
}

/// A chat's name as stored.
pub(super) fn platform_from(raw: &str) -> Result<Platform, StoreError> {
    raw.parse()
        .map_err(|e: UnknownPlatform| StoreError::Decode(e.to_string()))
}

/// The text a command is stored under; equal commands give equal text.
pub(super) fn command_json(command: &Command) -> Result<String, StoreError> {
    serde_json::to_string(command)
        .map_err(|e| StoreError::Decode(format!("command cannot be stored as JSON: {e}")))
}

/// The command stored under a button.
pub(super) fn command_from_json(id: i64, json: &str) -> Result<Command, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Decode(format!("button {id}: {e}")))
}
