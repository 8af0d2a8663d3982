//! The delivery worker of `warroom serve`, one per chat: carries out what waits in the chat's
//! outbox, sleeping until the next retry is due or until new effects are written; every so
//! often it also gives open incidents that lack a war room in this chat the effects that open
//! one. Outages of the chat are waited out with the outbox's backoff; outages of the database
//! with this loop's own.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::engine::Engine;
use crate::engine::port::ChatPort;

/// The longest sleep when nothing is known to be due: entries another replica wrote, or whose
/// claimer died, are looked for at least this often.
pub const MAX_IDLE: Duration = Duration::from_secs(5);
/// How often open incidents are checked for a missing war room.
const REPAIR_EVERY: Duration = Duration::from_secs(30);
/// The first wait after the database failed; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait between rounds after errors.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Delivers `chat`'s outbox until `shutdown` completes; `owner` names this process in claims.
pub async fn run(
    engine: Arc<Engine>,
    chat: Arc<dyn ChatPort>,
    owner: String,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut backoff = FIRST_BACKOFF;
    let mut last_repair: Option<Instant> = None;
    loop {
        // Registered before the round, so that effects written meanwhile still wake the wait.
        let changed = engine.outbox_changed().notified();
        tokio::pin!(changed);
        changed.as_mut().enable();

        if last_repair.is_none_or(|t| t.elapsed() >= REPAIR_EVERY) {
            last_repair = Some(Instant::now());
            repair(&engine, chat.as_ref()).await;
        }
        let result = round(&engine, chat.as_ref(), &owner).await;
        let wait = wait_after(result, &mut backoff, chat.as_ref());
        tokio::select! {
            () = &mut shutdown => {
                tracing::info!(chat = %chat.platform(), "delivery stopped");
                return;
            }
            () = tokio::time::sleep(wait) => {}
            () = &mut changed => {}
        }
    }
}

/// Gives open incidents that lack a war room in `chat` the effects that open one, logging how
/// many there were; a failure is logged and left to the next repair.
async fn repair(engine: &Engine, chat: &dyn ChatPort) {
    match engine.delivery().repair_war_rooms(chat).await {
        Ok(0) => {}
        Ok(n) => {
            tracing::info!(chat = %chat.platform(), incidents = n, "war rooms to make")
        }
        Err(error) => tracing::warn!(%error, "could not look for missing war rooms"),
    }
}

/// How long to sleep after a round: what the round said when it went well (and the backoff
/// starts over), else the backoff, which doubles for next time up to [`MAX_BACKOFF`].
fn wait_after(
    result: Result<Duration, String>,
    backoff: &mut Duration,
    chat: &dyn ChatPort,
) -> Duration {
    match result {
        Ok(wait) => {
            *backoff = FIRST_BACKOFF;
            wait
        }
        Err(error) => {
            tracing::error!(%error, chat = %chat.platform(), retry_in_secs = backoff.as_secs(), "the outbox could not be delivered");
            let wait = *backoff;
            *backoff = (*backoff * 2).min(MAX_BACKOFF);
            wait
        }
    }
}

/// Delivers what is due, then says how long to sleep until the next entry is (at most
/// [`MAX_IDLE`]).
async fn round(engine: &Engine, chat: &dyn ChatPort, owner: &str) -> Result<Duration, String> {
    let done = engine
        .delivery()
        .deliver_due(chat, owner)
        .await
        .map_err(|e| e.to_string())?;
    if done.delivered + done.refused + done.retrying > 0 {
        tracing::debug!(
            chat = %chat.platform(),
            delivered = done.delivered,
            retrying = done.retrying,
            refused = done.refused,
            "outbox round"
        );
    }
    let next = engine
        .store()
        .outbox_next_due(chat.platform())
        .await
        .map_err(|e| e.to_string())?;
    let now = engine.clock().now();
    Ok(match next {
        Some(due) => (due - now).to_std().unwrap_or(Duration::ZERO).min(MAX_IDLE),
        None => MAX_IDLE,
    })
}
