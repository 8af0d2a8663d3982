//! The scheduler of `warroom serve`: fires durable timers (pages, reminders) when they come due,
//! and posts the daily digest, sleeping in between; a restart fires the overdue ones at once,
//! late and saying so.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::Engine;
use crate::engine::port::ChatPort;

/// The longest sleep when nothing is known to be due. Other replicas (or a console on the same
/// database) may schedule timers this process is not notified of; this bounds how late such a
/// timer can fire when no other timer wakes the scheduler first.
pub const MAX_IDLE: Duration = Duration::from_secs(30);
/// The first wait after an error (a database that went away); it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait between retries after errors.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Fires due timers through `chats` (each incident's in the chat of its war room) until
/// `shutdown` completes; `owner` names this process in
/// the store's claims. Errors are logged and retried with a back-off: the loop only ends on
/// shutdown.
pub async fn run(
    engine: Arc<Engine>,
    chats: Vec<Arc<dyn ChatPort>>,
    owner: String,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut backoff = FIRST_BACKOFF;
    loop {
        // Registered before looking at the store, so that timers scheduled while this round
        // runs still wake the wait below.
        let changed = engine.timers_changed().notified();
        tokio::pin!(changed);
        changed.as_mut().enable();

        let ports: Vec<&dyn ChatPort> = chats.iter().map(|c| c.as_ref()).collect();
        let wait = match round(&engine, &ports, &owner).await {
            Ok(wait) => {
                backoff = FIRST_BACKOFF;
                wait
            }
            Err(error) => {
                tracing::error!(%error, retry_in_secs = backoff.as_secs(), "timers could not be fired");
                let wait = backoff;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                wait
            }
        };
        tokio::select! {
            () = &mut shutdown => {
                tracing::info!("scheduler stopped");
                return;
            }
            () = tokio::time::sleep(wait) => {}
            () = &mut changed => {}
        }
    }
}

/// Fires what is due, then says how long to sleep until the next timer (at most [`MAX_IDLE`]).
async fn round(engine: &Engine, chats: &[&dyn ChatPort], owner: &str) -> Result<Duration, String> {
    let fired = engine
        .escalation()
        .fire_due(chats, owner)
        .await
        .map_err(|e| e.to_string())?;
    if fired > 0 {
        tracing::info!(fired, "timers fired");
    }
    engine
        .post_digest_if_due()
        .await
        .map_err(|e| e.to_string())?;
    let next = engine.next_timer().await.map_err(|e| e.to_string())?;
    Ok(sleep_until(next, engine.clock().now()))
}

/// How long to sleep from `now` until `next` is due, at most [`MAX_IDLE`]; nothing due sleeps
/// [`MAX_IDLE`].
fn sleep_until(
    next: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> Duration {
    match next {
        // A timer due now but not claimable (another replica's live lease) is due at the lease's
        // end per the store; `to_std` fails on negative spans, which means "now".
        Some(due) => (due - now).to_std().unwrap_or(Duration::ZERO).min(MAX_IDLE),
        None => MAX_IDLE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn sleeps_until_the_next_timer_at_most_the_idle_maximum() {
        let now = Utc.with_ymd_and_hms(2026, 1, 5, 14, 0, 0).unwrap();
        let in_5s = now + chrono::Duration::seconds(5);
        assert_eq!(sleep_until(Some(in_5s), now), Duration::from_secs(5));
        let in_1h = now + chrono::Duration::hours(1);
        assert_eq!(sleep_until(Some(in_1h), now), MAX_IDLE);
        assert_eq!(sleep_until(None, now), MAX_IDLE);
    }

    #[test]
    fn an_overdue_timer_means_no_sleep() {
        let now = Utc.with_ymd_and_hms(2026, 1, 5, 14, 0, 0).unwrap();
        let ago = now - chrono::Duration::minutes(3);
        assert_eq!(sleep_until(Some(ago), now), Duration::ZERO);
    }
}
