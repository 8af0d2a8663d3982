//! Action requests: created once per open step, moved forward only by conditional updates.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::error::{classify, is_unique_violation};
use super::rows::{number_from, stored_time};
use super::{Store, StoreError};
use crate::domain::{
    ActionRequest, IncidentNumber, PreparedCommand, RequestId, RequestState, Risk, UserId,
};

const COLUMNS: &str = "id, incident_number, step, title, command, params, argv, risk, \
     timeout_secs, requested_by, requested_at, expires_at, state, decided_by";

/// The id is left out: both databases assign it.
const INSERT: &str = "INSERT INTO action_requests (incident_number, step, title, command, params, \
     argv, risk, timeout_secs, requested_by, requested_at, expires_at, state, decided_by) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id";

/// One row of `action_requests`.
#[derive(Debug, sqlx::FromRow)]
struct RequestRow {
    id: i64,
    incident_number: i64,
    step: i64,
    title: String,
    command: String,
    params: String,
    argv: Option<String>,
    risk: String,
    timeout_secs: i64,
    requested_by: String,
    requested_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    state: String,
    decided_by: Option<String>,
}

impl RequestRow {
    fn into_request(self) -> Result<ActionRequest, StoreError> {
        let id = RequestId(self.id);
        let bad = |what: &str| StoreError::Decode(format!("action request {id}: bad {what}"));
        let user = |raw: &str, what: &str| UserId::parse(raw).map_err(|_| bad(what));
        Ok(ActionRequest {
            id,
            incident: number_from(self.incident_number)?,
            step: u32::try_from(self.step).map_err(|_| bad("step"))?,
            title: self.title,
            command: self.command,
            params: serde_json::from_str::<BTreeMap<String, String>>(&self.params)
                .map_err(|_| bad("params"))?,
            argv: self
                .argv
                .as_deref()
                .map(serde_json::from_str::<PreparedCommand>)
                .transpose()
                .map_err(|_| bad("argv"))?,
            risk: self.risk.parse::<Risk>().map_err(|()| bad("risk"))?,
            timeout_secs: u64::try_from(self.timeout_secs).map_err(|_| bad("timeout"))?,
            requested_by: user(&self.requested_by, "requester")?,
            requested_at: self.requested_at,
            expires_at: self.expires_at,
            state: self.state.parse().map_err(|()| bad("state"))?,
            decided_by: self
                .decided_by
                .as_deref()
                .map(|u| user(u, "decider"))
                .transpose()?,
        })
    }
}

/// What creating a request gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// A new request.
    New(ActionRequest),
    /// The step already has an open request; this is it.
    Existing(ActionRequest),
}

impl Store {
    /// Creates a request for a step unless the step already has an open one, which is then
    /// returned instead. `request.id` is ignored; the store assigns it.
    pub async fn create_action_request(
        &self,
        request: &ActionRequest,
    ) -> Result<Created, StoreError> {
        let params = serde_json::to_string(&request.params)
            .map_err(|e| StoreError::Decode(format!("action parameters: {e}")))?;
        let argv = request
            .argv
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Decode(format!("action argv: {e}")))?;
        let decider = request.decided_by.as_ref().map(|u| u.as_str().to_owned());
        let inserted: Result<i64, sqlx::Error> = with_pool!(&self.pool, p => {
            sqlx::query_scalar(INSERT)
                .bind(i64::from(request.incident.0))
                .bind(i64::from(request.step))
                .bind(&request.title)
                .bind(&request.command)
                .bind(&params)
                .bind(&argv)
                .bind(request.risk.to_string())
                .bind(i64::try_from(request.timeout_secs).unwrap_or(i64::MAX))
                .bind(request.requested_by.as_str())
                .bind(stored_time(request.requested_at))
                .bind(stored_time(request.expires_at))
                .bind(request.state.word())
                .bind(&decider)
                .fetch_one(p)
                .await
        });
        match inserted {
            Ok(id) => Ok(Created::New(ActionRequest {
                id: RequestId(id),
                requested_at: stored_time(request.requested_at),
                expires_at: stored_time(request.expires_at),
                ..request.clone()
            })),
            Err(e) if is_unique_violation(&e) => {
                match self.open_request(request.incident, request.step).await? {
                    Some(existing) => Ok(Created::Existing(existing)),
                    // It closed between the insert and the look: try once more.
                    None => Box::pin(self.create_action_request(request)).await,
                }
            }
            Err(e) => Err(classify(e)),
        }
    }

    /// The open request of a step, if any.
    pub async fn open_request(
        &self,
        incident: IncidentNumber,
        step: u32,
    ) -> Result<Option<ActionRequest>, StoreError> {
        let query = format!(
            "SELECT {COLUMNS} FROM action_requests WHERE incident_number = $1 AND step = $2 \
             AND state IN ('pending', 'approved', 'running')"
        );
        let row: Option<RequestRow> = with_pool!(&self.pool, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(query))
                .bind(i64::from(incident.0))
                .bind(i64::from(step))
                .fetch_optional(p)
                .await
        })
        .map_err(classify)?;
        row.map(RequestRow::into_request).transpose()
    }

    /// The requests in a state, oldest first.
    pub async fn requests_in(&self, state: RequestState) -> Result<Vec<ActionRequest>, StoreError> {
        let query = format!("SELECT {COLUMNS} FROM action_requests WHERE state = $1 ORDER BY id");
        let rows: Vec<RequestRow> = with_pool!(&self.pool, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(query))
                .bind(state.word())
                .fetch_all(p)
                .await
        })
        .map_err(classify)?;
        rows.into_iter().map(RequestRow::into_request).collect()
    }

    /// The requests of one incident, oldest first.
    pub async fn requests_of(
        &self,
        incident: IncidentNumber,
    ) -> Result<Vec<ActionRequest>, StoreError> {
        let query =
            format!("SELECT {COLUMNS} FROM action_requests WHERE incident_number = $1 ORDER BY id");
        let rows: Vec<RequestRow> = with_pool!(&self.pool, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(query))
                .bind(i64::from(incident.0))
                .fetch_all(p)
                .await
        })
        .map_err(classify)?;
        rows.into_iter().map(RequestRow::into_request).collect()
    }

    /// One request.
    pub async fn action_request(&self, id: RequestId) -> Result<Option<ActionRequest>, StoreError> {
        let query = format!("SELECT {COLUMNS} FROM action_requests WHERE id = $1");
        let row: Option<RequestRow> = with_pool!(&self.pool, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(query))
                .bind(id.0)
                .fetch_optional(p)
                .await
        })
        .map_err(classify)?;
        row.map(RequestRow::into_request).transpose()
    }

    /// Moves a request from `from` to `to`, recording who decided when given. Returns whether
    /// this call made the move: of many simultaneous calls exactly one gets `true`.
    pub async fn move_request(
        &self,
        id: RequestId,
        from: RequestState,
        to: RequestState,
        decided_by: Option<&UserId>,
    ) -> Result<bool, StoreError> {
        let decider = decided_by.map(|u| u.as_str().to_owned());
        let moved = with_pool!(&self.pool, p => {
            sqlx::query(
                "UPDATE action_requests SET state = $1, decided_by = COALESCE($2, decided_by) \
                 WHERE id = $3 AND state = $4",
            )
            .bind(to.word())
            .bind(&decider)
            .bind(id.0)
            .bind(from.word())
            .execute(p)
            .await
            .map(|done| done.rows_affected())
        })
        .map_err(classify)?;
        Ok(moved == 1)
    }
}
