//! What delivery tells people about itself: a refusal for good on the incident's timeline
//! and to its commander, a page that keeps failing to the war room, and the war rooms that
//! open incidents are missing (made again).

use super::super::EngineError;
use super::super::effect::{Effect, RoomTarget};
use super::super::message::{Message, Span};
use super::super::port::{ChatPort, Origin, RoomId};
use super::entries::{Outgoing, describe, entry, incident_of};
use crate::domain::{EventKind, IncidentNumber, UserId};
use crate::engine::Delivery;
use crate::store::OutboxItem;

impl Delivery<'_> {
    /// Puts a refused delivery on the incident's timeline and tells the commander in the war
    /// room (when the war room itself is not what failed).
    pub(super) async fn notice_failure(
        &self,
        item: &OutboxItem,
        outgoing: &Outgoing,
        reason: &str,
    ) {
        let Some(incident) = item.incident.or_else(|| incident_of(&outgoing.effect)) else {
            return;
        };
        if outgoing.notice {
            return;
        }
        let what = describe(&outgoing.effect);
        let kind = EventKind::DeliveryFailed {
            what: what.clone(),
            reason: reason.to_owned(),
        };
        // Told in the war room; when the war room itself could not be made, in the room the
        // declaration came from (when it came from one).
        let target = match outgoing.effect {
            Effect::CreateWarRoom { .. } if outgoing.origin.room_id.as_str().is_empty() => None,
            Effect::CreateWarRoom { .. } => Some(RoomTarget::Origin),
            _ => Some(RoomTarget::WarRoom(incident)),
        };
        let origin = outgoing.origin.clone();
        let chat = item.platform;
        let appended = self
            .core
            .append_told(
                incident,
                &UserId::warroom(),
                |_| Ok(kind.clone()),
                |_, after, _| {
                    let Some(room) = target.clone() else {
                        return Vec::new();
                    };
                    let mut spans = Vec::new();
                    if let Some(commander) = &after.commander {
                        spans.push(Span::Mention(commander.clone()));
                        spans.push(Span::Text(": ".into()));
                    }
                    spans.push(Span::Text(format!(
                        "Warroom could not {what} ({incident}): {reason}"
                    )));
                    let notice = Effect::Post {
                        room,
                        message: Message::spans(spans),
                    };
                    entry(&origin, chat, Some(incident), notice, true)
                        .into_iter()
                        .collect()
                },
            )
            .await;
        if let Err(e) = appended {
            tracing::warn!(error = ?e, "could not put a refused delivery on the timeline");
        }
    }

    /// Tells the war room that a page is still not delivered (in a lane of its own, so that it
    /// does not wait behind the page); moot once the page is delivered.
    pub(super) async fn tell_page_late(
        &self,
        item: &OutboxItem,
        outgoing: &Outgoing,
        user: &UserId,
        incident: IncidentNumber,
        level: u32,
        reason: &str,
    ) {
        let since = item.created_at.format("%H:%M:%S");
        let message = Message::spans(vec![
            Span::Bold(format!("The level {level} page to ")),
            Span::Mention(user.clone()),
            Span::Bold(format!(
                " is not delivered yet ({} attempts since {since} UTC): ",
                item.attempts
            )),
            Span::Text(format!(
                "{reason}. Warroom keeps trying; reach them another way."
            )),
        ]);
        let notice = Effect::Post {
            room: RoomTarget::WarRoom(incident),
            message,
        };
        let Ok(mut late) = entry(
            &outgoing.origin,
            item.platform,
            Some(incident),
            notice,
            true,
        ) else {
            return;
        };
        late.lane = format!("inc-{}-late", incident.0);
        if let Ok(mut body) = serde_json::from_str::<Outgoing>(&late.body) {
            body.unless_delivered = Some(item.id);
            if let Ok(text) = serde_json::to_string(&body) {
                late.body = text;
            }
        }
        if let Err(e) = self
            .core
            .store
            .enqueue(&[late], self.core.clock.now())
            .await
        {
            tracing::warn!(error = %e, "could not tell the war room that a page is late");
        }
    }

    /// Open incidents of `port`'s chat with no war room there and none on its way get the
    /// effects that open one (room, invitations, card), as a declaration would.
    pub async fn repair_war_rooms(&self, port: &dyn ChatPort) -> Result<usize, EngineError> {
        let now = self.core.clock.now();
        let missing = self
            .core
            .store
            .incidents_without_war_room(port.platform())
            .await?;
        let mut repaired = 0;
        for n in missing {
            let Ok(Some(incident)) = self.core.store.incident(n).await else {
                continue;
            };
            tracing::info!(incident = %n, chat = %port.platform(), "an open incident has no war room; making one");
            let origin = Origin {
                room_id: RoomId::new(port.platform(), ""),
                user: UserId::warroom(),
            };
            let effects = self.opening_effects(&incident, None, true);
            let (entries, _) = self.outbox_entries(&origin, port.platform(), Some(n), effects);
            self.core.store.enqueue(&entries, now).await?;
            repaired += 1;
        }
        Ok(repaired)
    }
}
