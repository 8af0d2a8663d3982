//! The sweep: runs cut short by a crash. A request moves to running just before its process
//! starts and to finished when it ends; a Warroom that dies in between leaves it running for
//! good, which would hold its step (one open request per step) and hide what happened. The
//! sweep job of `warroom serve` (and the console, whenever its clock moves) settles such
//! requests once they are surely over, and says so in the war room.

use chrono::{DateTime, Duration, Utc};

use crate::domain::{ActionRequest, EventKind, RequestState, UserId};
use crate::engine::EngineError;
use crate::engine::core::Core;
use crate::engine::effect::{Effect, RoomTarget};
use crate::engine::message::{Message, Span};
use crate::engine::port::{ChatPort, Origin, RoomId};

/// Added to a run's latest possible end before it counts as interrupted.
const GRACE: Duration = Duration::seconds(60);

/// What an interrupted run leaves on the timeline.
pub const INTERRUPTED: &str = "interrupted: Warroom stopped while it ran, so its result is unknown; check what it did before running it again";

/// Whether a running request is surely over at `now`: it started before its approval window
/// closed and was killed at its time limit, so it ended by `expires_at + timeout`.
fn surely_over(request: &ActionRequest, now: DateTime<Utc>) -> bool {
    let limit = Duration::seconds(i64::try_from(request.timeout_secs).unwrap_or(i64::MAX / 4));
    request.expires_at + limit + GRACE < now
}

/// The sweep job: settles runs cut short by a crash.
#[derive(Clone, Copy)]
pub struct Sweep<'a> {
    pub(in crate::engine) core: &'a Core,
}

impl Core {
    /// The sweep service over this core.
    pub(in crate::engine) fn sweep(&self) -> Sweep<'_> {
        Sweep { core: self }
    }
}

impl Sweep<'_> {
    /// Finishes the requests left running by a process that died, once each across replicas.
    /// Each one's timeline event and its war-room notice are recorded in one transaction; the
    /// notice goes to the chat of `chats` that holds the war room (the first when none does).
    /// Returns how many were finished.
    pub async fn run(&self, chats: &[&dyn ChatPort]) -> Result<usize, EngineError> {
        let Some(first) = chats.first() else {
            return Err(EngineError::NoChat);
        };
        let origin = Origin {
            room_id: RoomId::new(first.platform(), ""),
            user: UserId::warroom(),
        };
        let now = self.core.clock.now();
        let mut finished = 0;
        for request in self.core.store.requests_in(RequestState::Running).await? {
            if !surely_over(&request, now) {
                continue;
            }
            // Of several replicas sweeping at once, one moves it and tells.
            if !self
                .core
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
            finished += 1;
            let kind = EventKind::ActionFinished {
                request: request.id,
                exit_code: None,
                timed_out: false,
                output: INTERRUPTED.to_owned(),
                step: Some(request.step),
                drill: false,
            };
            let notice = Effect::Post {
                room: RoomTarget::WarRoom(request.incident),
                message: Message::spans(vec![
                    Span::Bold(format!("{} · step {}", request.id, request.step)),
                    Span::Text(format!(
                        " — {} · {INTERRUPTED}. The step is free to run again.",
                        request.title
                    )),
                ]),
            };
            self.core
                .delivery()
                .record_told(&origin, request.incident, kind, notice)
                .await?;
        }
        // A chat without a delivery worker (the console) is told now.
        for chat in chats.iter().filter(|c| c.delivers_inline()) {
            self.core
                .delivery()
                .deliver_due(*chat, chat.platform().name())
                .await?;
        }
        Ok(finished)
    }
}
