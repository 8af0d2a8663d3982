//! The outbox: what Warroom must tell a chat, written in the transaction of the change that
//! caused it and carried out later by the chat's delivery worker, in order per lane, once per
//! lease, retried until the chat takes it.
//!
//! This file owns the working side: the entries' types, writing them (`insert_entries!` inside
//! a change's transaction, [`Store::enqueue`] on their own), claiming lane heads, settling a
//! claim (delivered, retried, later, failed) and when the next entry falls due. What waits in
//! the outbox, for reports and tests, is in `outbox_backlog.rs`; the chat each incident lives
//! in, in `incident_chats.rs`.

use chrono::{DateTime, Utc};

use super::error::classify;
use super::rows::{number_from, platform_from, stored_time};
use super::{Store, StoreError};
use crate::domain::{IncidentNumber, Platform};

/// One thing to tell a chat, before it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The chat that delivers it.
    pub platform: Platform,
    /// What it waits behind: entries of one lane are delivered in the order they were written.
    pub lane: String,
    /// The incident it is about, if any.
    pub incident: Option<IncidentNumber>,
    /// What kind of effect it is, for the log and the backlog (`create_war_room`, `post`).
    pub kind: String,
    /// The effect, as the engine wrote it (JSON).
    pub body: String,
    /// How long after it is written it is first due (a notification rule's wait); 0 for now.
    pub delay_secs: i64,
}

/// A claimed entry, to be delivered by the claimer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    /// Its id; later entries of its lane have larger ones.
    pub id: i64,
    /// The chat that delivers it.
    pub platform: Platform,
    /// Its lane.
    pub lane: String,
    /// The incident it is about.
    pub incident: Option<IncidentNumber>,
    /// Its kind.
    pub kind: String,
    /// The effect.
    pub body: String,
    /// How often it was claimed, this claim included.
    pub attempts: u32,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

/// The columns of an entry as it is read back.
type ItemRow = (
    i64,
    String,
    String,
    Option<i64>,
    String,
    String,
    i64,
    DateTime<Utc>,
);

/// Writes entries inside an open transaction `$tx`, all at `$at`; evaluates to a
/// `Result<(), StoreError>`.
macro_rules! insert_entries {
    ($tx:expr, $entries:expr, $at:expr) => {
        async {
            for entry in $entries {
                sqlx::query(
                    "INSERT INTO outbox (platform, lane, incident, kind, body, state, \
                     created_at, next_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)",
                )
                .bind(entry.platform.name())
                .bind(&entry.lane)
                .bind(entry.incident.map(|n| i64::from(n.0)))
                .bind(&entry.kind)
                .bind(&entry.body)
                .bind($at)
                .bind($at + chrono::Duration::seconds(entry.delay_secs.max(0)))
                .execute(&mut *$tx)
                .await
                .map_err($crate::store::error::classify)?;
            }
            Ok::<(), $crate::store::StoreError>(())
        }
    };
}
pub(super) use insert_entries;

/// An entry that can be claimed at `$1`: not under a live lease, due, and the oldest pending
/// entry of its lane.
const CLAIMABLE_HEAD: &str = "o.state = 'pending' AND o.next_at <= $1 \
     AND (o.claimed_until IS NULL OR o.claimed_until < $1) \
     AND o.id = (SELECT MIN(h.id) FROM outbox h \
                 WHERE h.platform = o.platform AND h.lane = o.lane AND h.state = 'pending')";

impl Store {
    /// Writes entries in a transaction of their own (for effects that follow no change).
    pub async fn enqueue(
        &self,
        entries: &[OutboxEntry],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let at = stored_time(at);
        with_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(classify)?;
            insert_entries!(tx, entries, at).await?;
            tx.commit().await.map_err(classify)
        })
    }

    /// Claims up to `limit` lane heads of `platform` that are due at `now`, for `owner` until
    /// `lease_until`, oldest first. Of replicas asking at once, each entry goes to one; a lane
    /// has at most one claimed entry, its oldest pending one.
    pub async fn claim_outbox(
        &self,
        platform: Platform,
        now: DateTime<Utc>,
        owner: &str,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        // On PostgreSQL, replicas claiming at once lock the rows they pick in one order and
        // skip rows another claimer holds: without that, two claims can lock overlapping rows
        // in opposite orders and deadlock. SQLite has one writer at a time.
        let skip_locked = match self.pool {
            super::Pool::Postgres(_) => "FOR UPDATE SKIP LOCKED",
            super::Pool::Sqlite(_) => "",
        };
        let claim = format!(
            "UPDATE outbox SET claimed_by = $2, claimed_until = $3, attempts = attempts + 1 \
             WHERE id IN (SELECT o.id FROM outbox o WHERE o.platform = $4 AND {CLAIMABLE_HEAD} \
                          ORDER BY o.id LIMIT $5 {skip_locked}) \
             AND state = 'pending' AND (claimed_until IS NULL OR claimed_until < $1) \
             RETURNING id, platform, lane, incident, kind, body, attempts, created_at"
        );
        let rows: Vec<ItemRow> = with_pool!(&self.pool, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(claim))
                .bind(stored_time(now))
                .bind(owner)
                .bind(stored_time(lease_until))
                .bind(platform.name())
                .bind(limit)
                .fetch_all(p)
                .await
        })
        .map_err(classify)?;
        let mut items = Vec::with_capacity(rows.len());
        for (id, platform, lane, incident, kind, body, attempts, created_at) in rows {
            items.push(OutboxItem {
                id,
                platform: platform_from(&platform)?,
                lane,
                incident: incident.map(number_from).transpose()?,
                kind,
                body,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                created_at,
            });
        }
        items.sort_by_key(|i| i.id);
        Ok(items)
    }

    /// Marks a claimed entry delivered, with what the chat made (a room or message id). Only
    /// the owner of a live or lapsed claim that nobody took over can; `false` otherwise. For
    /// tests only (debug builds and the `testing` feature); the delivery worker marks a round
    /// at once with [`Store::outbox_delivered_all`].
    #[cfg(any(test, debug_assertions, feature = "testing"))]
    pub async fn outbox_delivered(
        &self,
        id: i64,
        owner: &str,
        at: DateTime<Utc>,
        platform_ref: Option<&str>,
    ) -> Result<bool, StoreError> {
        let marked = self
            .outbox_delivered_all(&[(id, platform_ref)], owner, at)
            .await?;
        Ok(marked == [id])
    }

    /// Marks delivered, in one transaction, the claimed entries `(id, what the chat made)` that
    /// `owner` still holds; returns the ids it marked.
    pub async fn outbox_delivered_all(
        &self,
        entries: &[(i64, Option<&str>)],
        owner: &str,
        at: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        let at = stored_time(at);
        // In id order, so that transactions touching the same rows lock them in one order.
        let mut entries = entries.to_vec();
        entries.sort_by_key(|(id, _)| *id);
        with_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(classify)?;
            let mut marked = Vec::with_capacity(entries.len());
            for (id, made) in &entries {
                let done = sqlx::query(
                    "UPDATE outbox SET state = 'delivered', done_at = $1, platform_ref = $2, \
                     claimed_until = NULL, last_error = NULL \
                     WHERE id = $3 AND state = 'pending' AND claimed_by = $4",
                )
                .bind(at)
                .bind(*made)
                .bind(*id)
                .bind(owner)
                .execute(&mut *tx)
                .await
                .map_err(classify)?
                .rows_affected();
                if done == 1 {
                    marked.push(*id);
                }
            }
            tx.commit().await.map_err(classify)?;
            Ok(marked)
        })
    }

    /// Leaves a claimed entry to be tried again at `next_at`, noting why it failed.
    pub async fn outbox_retry(
        &self,
        id: i64,
        owner: &str,
        next_at: DateTime<Utc>,
        error: &str,
    ) -> Result<bool, StoreError> {
        const SET: &str = "next_at = $1, last_error = $2, claimed_until = NULL";
        self.settle_claim(id, owner, SET, next_at, Some(error))
            .await
    }

    /// Leaves a claimed entry for later, at `next_at`, because the chat asked to slow down (a
    /// rate limit, its pacing): not a failure, so nothing is noted.
    pub async fn outbox_later(
        &self,
        id: i64,
        owner: &str,
        next_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        const SET: &str =
            "next_at = $1, claimed_until = NULL, last_error = COALESCE($2, last_error)";
        self.settle_claim(id, owner, SET, next_at, None).await
    }

    /// Gives up on a claimed entry (the chat refused it for good), noting why; its lane moves on.
    pub async fn outbox_failed(
        &self,
        id: i64,
        owner: &str,
        at: DateTime<Utc>,
        error: &str,
    ) -> Result<bool, StoreError> {
        const SET: &str = "state = 'failed', done_at = $1, last_error = $2, claimed_until = NULL";
        self.settle_claim(id, owner, SET, at, Some(error)).await
    }

    /// Ends `owner`'s claim on a pending entry with `set` (which binds `$1` to `at` and `$2` to
    /// `text`); `false` when the claim is not `owner`'s (any more).
    async fn settle_claim(
        &self,
        id: i64,
        owner: &str,
        set: &'static str,
        at: DateTime<Utc>,
        text: Option<&str>,
    ) -> Result<bool, StoreError> {
        let update = format!(
            "UPDATE outbox SET {set} WHERE id = $3 AND state = 'pending' AND claimed_by = $4"
        );
        let done = with_pool!(&self.pool, p => {
            sqlx::query(sqlx::AssertSqlSafe(update))
                .bind(stored_time(at))
                .bind(text)
                .bind(id)
                .bind(owner)
                .execute(p)
                .await
                .map(|r| r.rows_affected())
        })
        .map_err(classify)?;
        Ok(done == 1)
    }

    /// When the next entry of `platform` may be claimed: the earliest of the lane heads' due
    /// times and the ends of live leases; `None` when nothing waits.
    pub async fn outbox_next_due(
        &self,
        platform: Platform,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let next: Option<DateTime<Utc>> = with_pool!(&self.pool, p => {
            sqlx::query_scalar(
                "SELECT MIN(CASE WHEN o.claimed_until IS NOT NULL AND o.claimed_until > o.next_at \
                 THEN o.claimed_until ELSE o.next_at END) FROM outbox o \
                 WHERE o.platform = $1 AND o.state = 'pending' \
                 AND o.id = (SELECT MIN(h.id) FROM outbox h \
                             WHERE h.platform = o.platform AND h.lane = o.lane \
                             AND h.state = 'pending')",
            )
            .bind(platform.name())
            .fetch_one(p)
            .await
        })
        .map_err(classify)?;
        Ok(next)
    }
}
