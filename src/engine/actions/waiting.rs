//! Requests waiting for an approver, on their own timers: the approvers are reminded at half
//! the expiry, and the request expires at its expiry, in the war room, with a button that asks
//! again. A request decided (or cancelled) before its timer finds nothing to do.

use chrono::{DateTime, Utc};

use crate::domain::{
    Action, ActionRequest, Command, EventKind, Incident, RequestId, RequestState, TimerKind, UserId,
};
use crate::engine::Actions;
use crate::engine::EngineError;
use crate::engine::effect::{Effect, RoomTarget};
use crate::engine::message::{Block, Control, Message, Span};

impl Actions<'_> {
    /// The timers of a request that waits for an approver: a reminder at half its expiry and
    /// the expiry itself (both [`TimerKind::Approval`]).
    pub(super) fn waiting_timers(request: &ActionRequest) -> [(TimerKind, DateTime<Utc>); 2] {
        let kind = TimerKind::Approval {
            request: request.id.0,
        };
        let half = request.requested_at + (request.expires_at - request.requested_at) / 2;
        [(kind, half), (kind, request.expires_at)]
    }

    /// What a request's approval timer comes to at `now`: nothing when the request is no
    /// longer waiting; its expiry (on the timeline at this time, and in the war room with an
    /// Ask again button) once it is due; else a reminder that mentions the approvers.
    pub(in crate::engine) async fn approval_due(
        &self,
        incident: &Incident,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<Effect>, EngineError> {
        let Some(request) = self.core.store.action_request(RequestId(id)).await? else {
            return Ok(Vec::new());
        };
        if request.state != RequestState::Pending || request.incident != incident.number {
            return Ok(Vec::new());
        }
        let n = incident.number;
        if now >= request.expires_at {
            let again = Command {
                incident: Some(n),
                action: Action::Run {
                    step: request.step,
                    params: request.params.clone(),
                },
            };
            let again = self.core.command_button(again, "Ask again").await?;
            let minutes = (request.expires_at - request.requested_at).num_minutes();
            let told = Effect::Post {
                room: RoomTarget::WarRoom(n),
                message: Message {
                    blocks: vec![
                        Block::Text(vec![Span::Text(format!(
                            "{} (step {}: {}) expired: nobody approved it within {minutes} min. \
                             Nothing ran.",
                            request.id, request.step, request.title
                        ))]),
                        Block::Actions(vec![Control::Button(again)]),
                    ],
                },
            };
            self.expire_told(&request, Some(told)).await?;
            return Ok(Vec::new());
        }
        let approvers = self.approvers_for(incident, &request);
        let mut spans = vec![Span::Text(format!(
            "{} (step {}: {}) still waits for an approver; it expires at {} UTC. ",
            request.id,
            request.step,
            request.title,
            request.expires_at.format("%H:%M")
        ))];
        if approvers.is_empty() {
            spans.push(Span::Text(
                "No one but the requester may approve it: assign another commander.".into(),
            ));
        }
        for (i, approver) in approvers.iter().enumerate() {
            if i > 0 {
                spans.push(Span::Text(", ".into()));
            }
            spans.push(Span::Mention(approver.clone()));
        }
        if !approvers.is_empty() {
            spans.push(Span::Text(format!(
                ": approve {} or deny {}",
                request.id, request.id
            )));
        }
        Ok(vec![Effect::Post {
            room: RoomTarget::WarRoom(n),
            message: Message {
                blocks: vec![Block::Text(spans)],
            },
        }])
    }

    /// Marks a pending request expired, once, and records it on the timeline with `told`
    /// (what the war room is told) in the same transaction.
    pub(super) async fn expire_told(
        &self,
        request: &ActionRequest,
        told: Option<Effect>,
    ) -> Result<(), EngineError> {
        let moved = self
            .core
            .store
            .move_request(
                request.id,
                RequestState::Pending,
                RequestState::Expired,
                None,
            )
            .await?;
        if !moved {
            return Ok(());
        }
        let kind = EventKind::ActionExpired {
            request: request.id,
        };
        match told {
            // The incident's own chat is used; the origin's is only the fallback.
            Some(told) => {
                let origin = crate::engine::warroom_origin(crate::domain::Platform::Console);
                self.core
                    .delivery()
                    .record_told(&origin, request.incident, kind, told)
                    .await
            }
            None => {
                self.core
                    .append(request.incident, &UserId::warroom(), |_| Ok(kind.clone()))
                    .await?;
                Ok(())
            }
        }
    }
}
