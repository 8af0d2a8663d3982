//! The steps of one alert delivery's transaction (see `alerts.rs`, whose
//! `Store::receive_alert_group` runs them): claiming the group or taking it over, opening its
//! incident, writing the group's parameters, recording which alert states are news, reading
//! the incident, checking the engine's plan against it and appending the plan's events. Each
//! takes the open transaction, so that all of them stay inside it.

use chrono::{DateTime, Utc};

use super::alerts::{AlertIntake, AlertPlan};
use super::error::{classify, is_unique_violation};
use super::incident_chats::insert_incident_chat;
use super::incidents::{
    INSERT_EVENT, INSERT_INCIDENT, NUMBERING_LOCK, SELECT_INCIDENT, UPDATE_INCIDENT, bind_event,
    bind_state,
};
use super::rows::{EventRow, IncidentRow, number_from};
use super::{StoreError, Tx};
use crate::domain::{Incident, IncidentNumber, IncidentTitle, Severity, UserId};

const UPSERT_STATE: &str = "INSERT INTO alert_fingerprints (incident_number, fingerprint, state) \
     VALUES ($1, $2, $3) ON CONFLICT (incident_number, fingerprint) \
     DO UPDATE SET state = excluded.state \
     WHERE alert_fingerprints.state <> excluded.state RETURNING fingerprint";

/// Whether a delivery that opens an incident may go ahead with the group.
pub(super) enum GroupClaim {
    /// The group is this delivery's: new, or taken over from a resolved (or never made)
    /// incident.
    Claimed,
    /// The group has an open incident already; nothing was written.
    OpenElsewhere(IncidentNumber),
    /// Another delivery took the group over a moment ago.
    Lost,
}

/// Claims the group for a delivery that opens an incident, writing its parameters: inserts it,
/// or takes it over when its last incident is resolved (or was never made), unless another
/// delivery just did.
pub(super) async fn claim_group(
    tx: &mut Tx,
    intake: &AlertIntake<'_>,
    params: &str,
    at: DateTime<Utc>,
) -> Result<GroupClaim, StoreError> {
    with_tx!(tx, t => {
        let claimed = sqlx::query(
            "INSERT INTO alert_groups (group_key, incident_number, params, updated_at) \
             VALUES ($1, NULL, $2, $3) ON CONFLICT (group_key) DO NOTHING",
        )
        .bind(intake.group_key)
        .bind(params)
        .bind(at)
        .execute(&mut **t)
        .await
        .map_err(classify)?
        .rows_affected();
        if claimed != 0 {
            return Ok(GroupClaim::Claimed);
        }
        let row: (Option<i64>, Option<String>) = sqlx::query_as(
            "SELECT g.incident_number, i.status FROM alert_groups g \
             LEFT JOIN incidents i ON i.number = g.incident_number \
             WHERE g.group_key = $1",
        )
        .bind(intake.group_key)
        .fetch_one(&mut **t)
        .await
        .map_err(classify)?;
        if let (Some(n), Some(status)) = &row
            && status != "resolved"
        {
            return Ok(GroupClaim::OpenElsewhere(number_from(*n)?));
        }
        // The group's last incident is resolved (or was never made): take the
        // group over, unless another delivery just did.
        let taken = sqlx::query(
            "UPDATE alert_groups SET incident_number = NULL, params = $2, updated_at = $3 \
             WHERE group_key = $1 \
             AND (incident_number = $4 OR (incident_number IS NULL AND $4 IS NULL))",
        )
        .bind(intake.group_key)
        .bind(params)
        .bind(at)
        .bind(row.0)
        .execute(&mut **t)
        .await
        .map_err(classify)?
        .rows_affected();
        Ok(if taken == 0 {
            GroupClaim::Lost
        } else {
            GroupClaim::Claimed
        })
    })
}

/// Opens the incident of a claimed group: declares it under the next number (behind the
/// numbering lock on PostgreSQL), records its declaration, points the group at it and records
/// the chat it lives in.
pub(super) async fn open_incident(
    tx: &mut Tx,
    intake: &AlertIntake<'_>,
    title: &IncidentTitle,
    severity: Severity,
    by: &UserId,
    at: DateTime<Utc>,
) -> Result<Incident, StoreError> {
    if let Tx::Postgres(t) = &mut *tx {
        sqlx::query(NUMBERING_LOCK)
            .execute(&mut **t)
            .await
            .map_err(classify)?;
    }
    with_tx!(tx, t => {
        let (draft, _) =
            Incident::declare(IncidentNumber(0), title.clone(), severity, by.clone(), at);
        let state = IncidentRow::from(&draft);
        let number: i64 = bind_state!(sqlx::query_scalar(INSERT_INCIDENT), state)
            .fetch_one(&mut **t)
            .await
            .map_err(classify)?;
        let (incident, event) = Incident::declare(
            number_from(number)?,
            title.clone(),
            severity,
            by.clone(),
            at,
        );
        let event_row = EventRow::from_event(&event)?;
        bind_event!(sqlx::query(INSERT_EVENT), event_row)
            .execute(&mut **t)
            .await
            .map_err(classify)?;
        sqlx::query("UPDATE alert_groups SET incident_number = $2 WHERE group_key = $1")
            .bind(intake.group_key)
            .bind(number)
            .execute(&mut **t)
            .await
            .map_err(classify)?;
        insert_incident_chat!(*t, number, intake.chat.name())
            .await
            .map_err(classify)?;
        Ok(incident)
    })
}

/// For a delivery to a known incident: a firing delivery's labels replace the group's; a
/// resolved one's stay (the no-op write takes the write lock all the same).
pub(super) async fn write_group_params(
    tx: &mut Tx,
    intake: &AlertIntake<'_>,
    params: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    with_tx!(tx, t => {
        if intake.firing {
            sqlx::query(
                "UPDATE alert_groups SET params = $2, updated_at = $3 WHERE group_key = $1",
            )
            .bind(intake.group_key)
            .bind(params)
            .bind(at)
            .execute(&mut **t)
            .await
            .map_err(classify)?;
        } else {
            sqlx::query("UPDATE alert_groups SET group_key = group_key WHERE group_key = $1")
                .bind(intake.group_key)
                .execute(&mut **t)
                .await
                .map_err(classify)?;
        }
        Ok(())
    })
}

/// Records the state of each alert for the incident, in fingerprint order; returns the
/// fingerprints whose state is news to it.
pub(super) async fn record_states(
    tx: &mut Tx,
    target: IncidentNumber,
    states: &[(String, bool)],
) -> Result<Vec<String>, StoreError> {
    let number = i64::from(target.0);
    let mut states: Vec<&(String, bool)> = states.iter().collect();
    states.sort();
    let mut news = Vec::new();
    for (fingerprint, firing) in &states {
        let state = if *firing { "firing" } else { "resolved" };
        let changed: Option<String> = with_tx!(&mut *tx, t => {
            sqlx::query_scalar(UPSERT_STATE)
                .bind(number)
                .bind(fingerprint)
                .bind(state)
                .fetch_optional(&mut **t)
                .await
        })
        .map_err(classify)?;
        news.extend(changed);
    }
    Ok(news)
}

/// The incident as it is now, read inside the transaction; `None` when it does not exist.
pub(super) async fn read_incident(
    tx: &mut Tx,
    target: IncidentNumber,
) -> Result<Option<Incident>, StoreError> {
    let row: Option<IncidentRow> = with_tx!(tx, t => {
        sqlx::query_as(SELECT_INCIDENT)
            .bind(i64::from(target.0))
            .fetch_optional(&mut **t)
            .await
    })
    .map_err(classify)?;
    row.map(IncidentRow::into_incident).transpose()
}

/// Whether the plan follows the incident as it is: its events numbered right after the
/// incident's version, and the incident after them that many versions on.
pub(super) fn plan_fits(incident: &Incident, planned: &AlertPlan) -> bool {
    planned.events.iter().enumerate().all(|(i, event)| {
        event.incident == incident.number
            && u64::from(event.seq) == u64::from(incident.version) + 1 + i as u64
    }) && planned.after.number == incident.number
        && u64::from(planned.after.version)
            == u64::from(incident.version) + planned.events.len() as u64
}

/// Saves the incident after the plan's events, refusing with `Conflict` when it moved on since
/// it was read, and appends the events.
pub(super) async fn append_events(
    tx: &mut Tx,
    incident: &Incident,
    planned: &AlertPlan,
) -> Result<(), StoreError> {
    with_tx!(tx, t => {
        let state = IncidentRow::from(&planned.after);
        let updated = bind_state!(sqlx::query(UPDATE_INCIDENT), state)
            .bind(state.number)
            .bind(i64::from(incident.version))
            .execute(&mut **t)
            .await
            .map_err(classify)?
            .rows_affected();
        if updated == 0 {
            return Err(StoreError::Conflict(incident.number));
        }
        for event in &planned.events {
            let row = EventRow::from_event(event)?;
            match bind_event!(sqlx::query(INSERT_EVENT), row).execute(&mut **t).await {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::Conflict(incident.number));
                }
                Err(e) => return Err(classify(e)),
            }
        }
        Ok(())
    })
}
