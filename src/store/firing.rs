//! Firing a batch of timers in one transaction: the incidents read together, every page's
//! timeline event appended, and the timers marked fired, with one commit. A scheduler under load
//! then pays one write transaction per batch instead of one per page, and SQLite's single writer
//! is not fought over by concurrent fires.

use chrono::{DateTime, Utc};

use super::error::{classify, is_unique_violation};
use super::incidents::{INSERT_EVENT, UPDATE_INCIDENT, bind_event, bind_state};
use super::rows::{EventRow, IncidentRow, incident_columns, stored_time};
use super::{Store, StoreError, Tx};
use crate::domain::{Incident, IncidentNumber, TimelineEvent};

/// One page of a batch: the timer that fired it, and the incident's state after its event.
#[derive(Debug, Clone)]
pub struct TimerPage {
    /// The timer's id.
    pub timer: i64,
    /// The incident after the event (its version is the event's seq).
    pub incident: Incident,
    /// The page's timeline event.
    pub event: TimelineEvent,
    /// What to tell chats about it, written with it.
    pub outbox: Vec<super::OutboxEntry>,
}

impl Store {
    /// The incidents with these numbers (those that exist), in one query.
    pub async fn incidents_among(
        &self,
        numbers: &[IncidentNumber],
    ) -> Result<Vec<Incident>, StoreError> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        // Numbers are integers, so listing them in the statement is safe.
        let list: Vec<String> = numbers.iter().map(|n| n.0.to_string()).collect();
        let query = format!(
            "SELECT {} FROM incidents WHERE number IN ({})",
            incident_columns!(),
            list.join(", ")
        );
        let rows: Vec<IncidentRow> = with_pool!(&self.pool, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(query)).fetch_all(p).await
        })
        .map_err(classify)?;
        rows.into_iter().map(IncidentRow::into_incident).collect()
    }

    /// In one transaction: appends each page's event (refusing, page by page, those whose
    /// incident moved on since it was read) and marks fired the timers of the pages recorded
    /// and the `quiet` timers (due, but with nothing to record). Only claims held by `owner`
    /// are marked. Pages of one incident must come in order of their events.
    ///
    /// Returns the timers of the pages refused for a version conflict: nothing of theirs was
    /// written, and their claims stand, for the caller to fire them one by one.
    pub async fn fire_timers(
        &self,
        pages: &[TimerPage],
        quiet: &[i64],
        owner: &str,
        at: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        let rows = page_rows(pages)?;
        let at = stored_time(at);
        let mut tx = self.pool.begin().await?;
        let mut conflicted: Vec<i64> = Vec::new();
        let mut fired: Vec<i64> = quiet.to_vec();
        // An incident with a refused page refuses its later pages too: their versions
        // follow the refused one.
        let mut refused: Vec<IncidentNumber> = Vec::new();
        for (page, row) in pages.iter().zip(&rows) {
            let Some((state, event_row)) = row else {
                conflicted.push(page.timer);
                refused.push(page.incident.number);
                continue;
            };
            if refused.contains(&page.incident.number) {
                conflicted.push(page.timer);
                continue;
            }
            if record_page(&mut tx, page, state, event_row, at).await? {
                fired.push(page.timer);
            } else {
                conflicted.push(page.timer);
                refused.push(page.incident.number);
            }
        }
        if !fired.is_empty() {
            mark_fired(&mut tx, &fired, owner, at).await?;
        }
        tx.commit().await?;
        Ok(conflicted)
    }
}

/// The rows each page writes; `None` for a page whose event does not follow its incident
/// (refused like a version conflict).
fn page_rows(pages: &[TimerPage]) -> Result<Vec<Option<(IncidentRow, EventRow)>>, StoreError> {
    let mut rows = Vec::with_capacity(pages.len());
    for page in pages {
        let fits = page.event.incident == page.incident.number
            && page.event.seq == page.incident.version
            && page.event.seq > 0;
        rows.push(if fits {
            Some((
                IncidentRow::from(&page.incident),
                EventRow::from_event(&page.event)?,
            ))
        } else {
            None
        });
    }
    Ok(rows)
}

/// Records one page: saves its incident (if it did not move on since it was read), appends its
/// event and writes its outbox entries. `false`, with nothing written, when the incident moved
/// on; a taken event seq despite a matching version fails the whole batch with `Conflict`.
async fn record_page(
    tx: &mut Tx,
    page: &TimerPage,
    state: &IncidentRow,
    event_row: &EventRow,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    with_tx!(tx, t => {
        let updated = bind_state!(sqlx::query(UPDATE_INCIDENT), state)
            .bind(state.number)
            .bind(i64::from(page.event.seq - 1))
            .execute(&mut **t)
            .await
            .map_err(classify)?
            .rows_affected();
        if updated == 0 {
            return Ok(false);
        }
        let inserted = bind_event!(sqlx::query(INSERT_EVENT), event_row)
            .execute(&mut **t)
            .await;
        match inserted {
            Ok(_) => {
                super::outbox::insert_entries!(*t, &page.outbox, at).await?;
                Ok(true)
            }
            // The row's version matched but the event's seq is taken: the data
            // contradicts itself, so nothing of the batch is kept.
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(page.incident.number)),
            Err(e) => Err(classify(e)),
        }
    })
}

/// Marks fired the `fired` timers whose claims `owner` still holds; warns when some ran out.
async fn mark_fired(
    tx: &mut Tx,
    fired: &[i64],
    owner: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    // Ids are numbers from the store itself, so listing them is safe.
    let list: Vec<String> = fired.iter().map(i64::to_string).collect();
    let mark = format!(
        "UPDATE timers SET state = 'fired', fired_at = $1 \
         WHERE id IN ({}) AND state = 'claimed' AND claimed_by = $2",
        list.join(", ")
    );
    let marked = with_tx!(tx, t => {
        sqlx::query(sqlx::AssertSqlSafe(mark))
            .bind(at)
            .bind(owner)
            .execute(&mut **t)
            .await
            .map(|r| r.rows_affected())
    })
    .map_err(classify)?;
    if marked < fired.len() as u64 {
        tracing::warn!(
            lost = fired.len() as u64 - marked,
            "claims ran out before their timers were marked fired"
        );
    }
    Ok(())
}
