//! Deciding on requests: approving, denying and expiring them.

use crate::domain::{
    ActionRequest, ApprovalRefusal, EventKind, IncidentNumber, NoteText, RequestId, RequestState,
};
use crate::engine::Actions;
use crate::engine::effect::{Effect, RoomTarget};
use crate::engine::message::Message;
use crate::engine::port::Origin;
use crate::engine::{EngineError, views};

impl Actions<'_> {
    /// `approve <request>` and `deny <request> [reason]`.
    pub(in crate::engine) async fn decide_request(
        &self,
        origin: &Origin,
        request: &str,
        approve: bool,
        reason: Option<NoteText>,
    ) -> Result<Vec<Effect>, EngineError> {
        let actions = self.actions()?;
        let Ok(id) = request.parse::<RequestId>() else {
            return Err(EngineError::Usage(format!(
                "'{request}' is not a request id like r5"
            )));
        };
        let Some(found) = self.core.store.action_request(id).await? else {
            return Err(EngineError::Usage(format!("there is no request {id}")));
        };
        let incident = self.core.load(found.incident).await?;
        let now = self.core.clock.now();
        match found.may_decide(
            &origin.user,
            incident.commander.as_ref(),
            &self.approvers(actions),
            now,
        ) {
            Ok(()) => {}
            Err(refusal @ ApprovalRefusal::Expired { .. }) => {
                self.expire(&found).await?;
                return Err(EngineError::Usage(refusal.to_string()));
            }
            Err(refusal) => return Err(EngineError::Usage(refusal.to_string())),
        }
        let to = if approve {
            RequestState::Approved
        } else {
            RequestState::Denied
        };
        if !self
            .core
            .store
            .move_request(id, RequestState::Pending, to, Some(&origin.user))
            .await?
        {
            let now_state = self
                .core
                .store
                .action_request(id)
                .await?
                .map_or("gone", |r| r.state.word());
            return Err(EngineError::Usage(format!("{id} is already {now_state}")));
        }
        let kind = if approve {
            EventKind::ActionApproved { request: id }
        } else {
            EventKind::ActionDenied {
                request: id,
                reason,
            }
        };
        let (_, _, event) = self
            .core
            .append(found.incident, &origin.user, |_| Ok(kind.clone()))
            .await?;
        let mut effects = vec![Effect::Post {
            room: RoomTarget::WarRoom(found.incident),
            message: views::event_line(&event),
        }];
        if approve {
            effects.push(Effect::RunAction { request: id });
        }
        Ok(effects)
    }

    /// Drops the requests of a resolved incident that still wait for an approver or to start,
    /// each on the timeline and in the war room; a request already running goes on.
    pub(in crate::engine) async fn cancel_open(
        &self,
        incident: IncidentNumber,
        origin: &Origin,
    ) -> Result<(), EngineError> {
        for request in self.core.store.requests_of(incident).await? {
            let state = request.state;
            if !matches!(state, RequestState::Pending | RequestState::Approved)
                || !self
                    .core
                    .store
                    .move_request(request.id, state, RequestState::Cancelled, None)
                    .await?
            {
                continue;
            }
            let notice = Effect::Post {
                room: RoomTarget::WarRoom(incident),
                message: Message::text(format!(
                    "{} · step {} — {}: cancelled, {incident} was resolved. Reopen it to \
                     ask again.",
                    request.id, request.step, request.title
                )),
            };
            self.core
                .delivery()
                .record_told(
                    origin,
                    incident,
                    EventKind::ActionCancelled {
                        request: request.id,
                    },
                    notice,
                )
                .await?;
        }
        Ok(())
    }

    /// Marks a pending request expired, once, and records it on the timeline.
    pub(super) async fn expire(&self, request: &ActionRequest) -> Result<(), EngineError> {
        self.expire_told(request, None).await
    }
}
