//! Runs cut short by a crash. A request moves to running just before its process starts and
//! to finished when it ends; a Warroom that dies in between leaves it running for good, which
//! would hold its step (one open request per step) and hide what happened. The scheduler
//! settles such requests once they are surely over, and says so in the war room.

use chrono::{DateTime, Duration, Utc};

use crate::domain::{ActionRequest, EventKind, RequestState, UserId};
use crate::engine::effect::{Effect, RoomTarget};
use crate::engine::message::{Message, Span};
use crate::engine::{Engine, EngineError};

/// Added to a run's latest possible end before it counts as interrupted.
const GRACE: Duration = Duration::seconds(60);
/// How often the scheduler looks for such runs: its rounds come far more often, and a run is
/// only settled a minute after it is surely over anyway.
const EVERY: Duration = Duration::seconds(60);

/// What an interrupted run leaves on the timeline.
pub const INTERRUPTED: &str = "interrupted: Warroom stopped while it ran, so its result is unknown; check what it did before running it again";

/// Whether a running request is surely over at `now`: it started before its approval window
/// closed and was killed at its time limit, so it ended by `expires_at + timeout`.
pub(in crate::engine) fn surely_over(request: &ActionRequest, now: DateTime<Utc>) -> bool {
    let limit = Duration::seconds(i64::try_from(request.timeout_secs).unwrap_or(i64::MAX / 4));
    request.expires_at + limit + GRACE < now
}

impl Engine {
    /// Finishes the requests left running by a process that died, once each across replicas,
    /// and returns the war-room notices to post.
    pub(in crate::engine) async fn finish_interrupted(&self) -> Result<Vec<Effect>, EngineError> {
        let now = self.clock.now();
        {
            let mut last = self.last_sweep.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|at| now - at < EVERY && now >= at) {
                return Ok(Vec::new());
            }
            *last = Some(now);
        }
        let mut effects = Vec::new();
        for request in self.store.requests_in(RequestState::Running).await? {
            if !surely_over(&request, now) {
                continue;
            }
            // Of several replicas sweeping at once, one moves it and tells.
            if !self
                .store
                .move_request(
                    request.id,
                    RequestState::Running,
                    RequestState::Finished,
                    None,
                )
                .await?
            {
                continue;
            }
            tracing::warn!(request = %request.id, incident = %request.incident, "a run was interrupted");
            let kind = EventKind::ActionFinished {
                request: request.id,
                exit_code: None,
                timed_out: false,
                output: INTERRUPTED.to_owned(),
            };
            self.append(request.incident, &UserId::warroom(), |_| Ok(kind.clone()))
                .await?;
            effects.push(Effect::Post {
                room: RoomTarget::WarRoom(request.incident),
                message: Message::spans(vec![
                    Span::Bold(format!("{} · step {}", request.id, request.step)),
                    Span::Text(format!(
                        " — {} · {INTERRUPTED}. The step is free to run again.",
                        request.title
                    )),
                ]),
            });
        }
        Ok(effects)
    }
}
