//! Alert groups and the alerts each incident has heard of: how a webhook delivery finds the
//! incident its group opened, opens one exactly once under concurrent deliveries and replicas,
//! and learns which of its alerts are news.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::error::{classify, is_unique_violation};
use super::incidents::{INSERT_EVENT, INSERT_INCIDENT, NUMBERING_LOCK, bind_event, bind_state};
use super::rows::{EventRow, IncidentRow, number_from, stored_time};
use super::{Store, StoreError};
use crate::domain::{Incident, IncidentNumber, IncidentTitle, Severity, UserId};

/// How often opening is tried again after losing a race (an incident number taken by a
/// concurrent declare on PostgreSQL, or the group taken over by another delivery).
const MAX_OPEN_ATTEMPTS: u32 = 50;

/// What opening an incident for an alert group gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertGroupOpening {
    /// This call opened a new incident for the group (its declaration is on its timeline).
    Opened(Box<Incident>),
    /// The group already has an open incident (another delivery opened it first).
    Existing(IncidentNumber),
}

/// The incident an alert group points at, and whether it is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertGroupIncident {
    /// The incident the group opened last.
    pub incident: IncidentNumber,
    /// Whether that incident is still open (not resolved).
    pub open: bool,
}

impl Store {
    /// The incident an alert group opened last, if any.
    pub async fn alert_group(
        &self,
        group_key: &str,
    ) -> Result<Option<AlertGroupIncident>, StoreError> {
        let row: Option<(Option<i64>, Option<String>)> = with_pool!(&self.pool, p => {
            sqlx::query_as(
                "SELECT g.incident_number, i.status FROM alert_groups g \
                 LEFT JOIN incidents i ON i.number = g.incident_number WHERE g.group_key = $1",
            )
            .bind(group_key)
            .fetch_optional(p)
            .await
        })
        .map_err(classify)?;
        match row {
            Some((Some(n), Some(status))) => Ok(Some(AlertGroupIncident {
                incident: number_from(n)?,
                open: status != "resolved",
            })),
            _ => Ok(None),
        }
    }

    /// Opens an incident for an alert group and records its declaration, unless the group has
    /// an open incident already: then that one is returned. However many deliveries of the
    /// group arrive at once, on however many replicas, one incident is opened; the group's row
    /// and the incident are written in one transaction. `params` are the action parameters
    /// from the group's labels.
    #[tracing::instrument(skip_all, fields(severity = %severity))]
    pub async fn open_alert_incident(
        &self,
        group_key: &str,
        params: &BTreeMap<String, String>,
        title: &IncidentTitle,
        severity: Severity,
        by: &UserId,
        at: DateTime<Utc>,
    ) -> Result<AlertGroupOpening, StoreError> {
        let at = stored_time(at);
        let params = params_json(params)?;
        let mut attempt = 1;
        loop {
            match self
                .try_open(group_key, &params, title, severity, by, at)
                .await
            {
                Ok(Some(opening)) => return Ok(opening),
                Ok(None) if attempt < MAX_OPEN_ATTEMPTS => {}
                Err(StoreError::Other(e))
                    if is_unique_violation(&e) && attempt < MAX_OPEN_ATTEMPTS => {}
                Ok(None) => {
                    return Err(StoreError::Decode(format!(
                        "alert group {group_key} kept changing while an incident was opened"
                    )));
                }
                Err(e) => return Err(e),
            }
            tracing::debug!(
                attempt,
                "lost a race opening an alert group's incident; again"
            );
            attempt += 1;
        }
    }

    /// One attempt; `None` when another delivery changed the group meanwhile.
    async fn try_open(
        &self,
        group_key: &str,
        params: &str,
        title: &IncidentTitle,
        severity: Severity,
        by: &UserId,
        at: DateTime<Utc>,
    ) -> Result<Option<AlertGroupOpening>, StoreError> {
        let (draft, _) =
            Incident::declare(IncidentNumber(0), title.clone(), severity, by.clone(), at);
        let state = IncidentRow::from(&draft);
        with_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(classify)?;
            // A write first: on SQLite it takes the write lock, so the checks below hold.
            let claimed = sqlx::query(
                "INSERT INTO alert_groups (group_key, incident_number, params, updated_at) \
                 VALUES ($1, NULL, $2, $3) ON CONFLICT (group_key) DO NOTHING",
            )
            .bind(group_key)
            .bind(params)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(classify)?
            .rows_affected();
            if claimed == 0 {
                let row: (Option<i64>, Option<String>) = sqlx::query_as(
                    "SELECT g.incident_number, i.status FROM alert_groups g \
                     LEFT JOIN incidents i ON i.number = g.incident_number \
                     WHERE g.group_key = $1",
                )
                .bind(group_key)
                .fetch_one(&mut *tx)
                .await
                .map_err(classify)?;
                if let (Some(n), Some(status)) = &row
                    && status != "resolved"
                {
                    tx.commit().await.map_err(classify)?;
                    return Ok(Some(AlertGroupOpening::Existing(number_from(*n)?)));
                }
                // The group's incident is resolved: take the group over, if nobody did first.
                let taken = sqlx::query(
                    "UPDATE alert_groups SET incident_number = NULL, params = $2, updated_at = $3 \
                     WHERE group_key = $1 \
                     AND (incident_number = $4 OR (incident_number IS NULL AND $4 IS NULL))",
                )
                .bind(group_key)
                .bind(params)
                .bind(at)
                .bind(row.0)
                .execute(&mut *tx)
                .await
                .map_err(classify)?
                .rows_affected();
                if taken == 0 {
                    return Ok(None);
                }
            }
            if matches!(self.pool, super::Pool::Postgres(_)) {
                sqlx::query(NUMBERING_LOCK)
                    .execute(&mut *tx)
                    .await
                    .map_err(classify)?;
            }
            let number: i64 = bind_state!(sqlx::query_scalar(INSERT_INCIDENT), state)
                .fetch_one(&mut *tx)
                .await
                .map_err(classify)?;
            let (incident, event) =
                Incident::declare(number_from(number)?, title.clone(), severity, by.clone(), at);
            let event_row = EventRow::from_event(&event)?;
            bind_event!(sqlx::query(INSERT_EVENT), event_row)
                .execute(&mut *tx)
                .await
                .map_err(classify)?;
            sqlx::query("UPDATE alert_groups SET incident_number = $2 WHERE group_key = $1")
                .bind(group_key)
                .bind(number)
                .execute(&mut *tx)
                .await
                .map_err(classify)?;
            tx.commit().await.map_err(classify)?;
            Ok(Some(AlertGroupOpening::Opened(Box::new(incident))))
        })
    }

    /// Replaces the action parameters an alert group's labels give.
    pub async fn set_alert_params(
        &self,
        group_key: &str,
        params: &BTreeMap<String, String>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let params = params_json(params)?;
        with_pool!(&self.pool, p => {
            sqlx::query("UPDATE alert_groups SET params = $2, updated_at = $3 WHERE group_key = $1")
                .bind(group_key)
                .bind(&params)
                .bind(stored_time(at))
                .execute(p)
                .await
                .map(|_| ())
        })
        .map_err(classify)
    }

    /// The action parameters from the labels of the alert groups that opened an incident
    /// (empty for an incident people declared). When several groups name one parameter, the
    /// group updated last wins.
    pub async fn alert_params(
        &self,
        incident: IncidentNumber,
    ) -> Result<BTreeMap<String, String>, StoreError> {
        let rows: Vec<(String,)> = with_pool!(&self.pool, p => {
            sqlx::query_as(
                "SELECT params FROM alert_groups WHERE incident_number = $1 ORDER BY updated_at",
            )
            .bind(i64::from(incident.0))
            .fetch_all(p)
            .await
        })
        .map_err(classify)?;
        let mut params = BTreeMap::new();
        for (json,) in rows {
            let found: BTreeMap<String, String> = serde_json::from_str(&json)
                .map_err(|e| StoreError::Decode(format!("alert parameters: {e}")))?;
            params.extend(found);
        }
        Ok(params)
    }

    /// Records the state each alert (fingerprint, firing or not) has now in an incident, and
    /// returns the fingerprints whose state is news: never seen in the incident, or changed.
    /// Of concurrent calls reporting the same change, exactly one gets it.
    pub async fn note_alert_states(
        &self,
        incident: IncidentNumber,
        states: &[(String, bool)],
    ) -> Result<Vec<String>, StoreError> {
        const UPSERT: &str = "INSERT INTO alert_fingerprints (incident_number, fingerprint, state) \
             VALUES ($1, $2, $3) ON CONFLICT (incident_number, fingerprint) \
             DO UPDATE SET state = excluded.state \
             WHERE alert_fingerprints.state <> excluded.state RETURNING fingerprint";
        let number = i64::from(incident.0);
        // In one order on every caller, so that two transactions never wait on each other.
        let mut states: Vec<&(String, bool)> = states.iter().collect();
        states.sort();
        with_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(classify)?;
            let mut news = Vec::new();
            for (fingerprint, firing) in &states {
                let state = if *firing { "firing" } else { "resolved" };
                let changed: Option<String> = sqlx::query_scalar(UPSERT)
                    .bind(number)
                    .bind(fingerprint)
                    .bind(state)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(classify)?;
                news.extend(changed);
            }
            tx.commit().await.map_err(classify)?;
            Ok(news)
        })
    }
}

impl Store {
    /// Forgets what an incident knew of these alerts, so that their next report is news again.
    pub async fn forget_alert_states(
        &self,
        incident: IncidentNumber,
        fingerprints: &[String],
    ) -> Result<(), StoreError> {
        let number = i64::from(incident.0);
        with_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(classify)?;
            for fingerprint in fingerprints {
                sqlx::query(
                    "DELETE FROM alert_fingerprints WHERE incident_number = $1 AND fingerprint = $2",
                )
                .bind(number)
                .bind(fingerprint)
                .execute(&mut *tx)
                .await
                .map_err(classify)?;
            }
            tx.commit().await.map_err(classify)
        })
    }
}

fn params_json(params: &BTreeMap<String, String>) -> Result<String, StoreError> {
    serde_json::to_string(params).map_err(|e| StoreError::Decode(format!("alert parameters: {e}")))
}
