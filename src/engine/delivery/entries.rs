//! The producer side of the outbox: which effects are written down, in which chat and lane,
//! as what JSON; the chat an incident lives in; and the one way a war room opens.

use serde::{Deserialize, Serialize};

use super::super::effect::{Effect, RoomTarget};
use super::super::port::Origin;
use super::super::{EngineError, views, war_room_name};
use crate::domain::{EventKind, IncidentNumber, PageUpdate, Platform, UserId};
use crate::engine::Delivery;
use crate::store::{OutboxEntry, StoreError};

/// An effect as the outbox keeps it: the effect and who caused it, from where.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Outgoing {
    pub(super) origin: Origin,
    pub(super) effect: Effect,
    /// A notice about another entry's failure: its own failure is not noticed again.
    #[serde(default)]
    pub(super) notice: bool,
    /// An entry whose delivery makes this one moot (a notice that a page is late).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) unless_delivered: Option<i64>,
}

/// Whether an effect that follows a change goes through the outbox. Answers to the person who
/// asked, files and action runs are carried out at once, in the request that caused them.
pub(in crate::engine) fn durable(effect: &Effect) -> bool {
    !matches!(
        effect,
        Effect::Reply { .. } | Effect::RunAction { .. } | Effect::Upload { .. }
    )
}

/// The incident an effect is about, if it names one.
pub(super) fn incident_of(effect: &Effect) -> Option<IncidentNumber> {
    match effect {
        Effect::CreateWarRoom { incident, .. }
        | Effect::Invite { incident, .. }
        | Effect::PostCard { incident }
        | Effect::UpdateCard { incident }
        | Effect::Announce { incident, .. }
        | Effect::UpdateAnnouncement { incident }
        | Effect::AnnounceUpdate { incident, .. }
        | Effect::Publish { incident, .. }
        | Effect::SuggestRunbooks { incident, .. }
        | Effect::PostRunbook { incident, .. }
        | Effect::UpdateRunbook { incident, .. }
        | Effect::SetTopic { incident, .. } => Some(*incident),
        Effect::Post {
            room: RoomTarget::WarRoom(n),
            ..
        } => Some(*n),
        Effect::DirectMessage {
            page: Some((n, _)), ..
        } => Some(*n),
        Effect::Notify { page, .. } => Some(page.incident),
        Effect::NotifyUpdate { incident, .. } => Some(*incident),
        _ => None,
    }
}

/// The outbox's name for an effect's kind.
fn kind_of(effect: &Effect) -> &'static str {
    match effect {
        Effect::CreateWarRoom { .. } => "create_war_room",
        Effect::Invite { .. } => "invite",
        Effect::PostCard { .. } => "post_card",
        Effect::UpdateCard { .. } => "update_card",
        Effect::Announce { .. } => "announce",
        Effect::UpdateAnnouncement { .. } => "update_announcement",
        Effect::AnnounceUpdate { .. } => "announce_update",
        Effect::Publish { .. } => "publish",
        Effect::SuggestRunbooks { .. } => "suggest_runbooks",
        Effect::PostRunbook { .. } => "post_runbook",
        Effect::UpdateRunbook { .. } => "update_runbook",
        Effect::RunAction { .. } => "run_action",
        Effect::PostOutput { .. } => "post_output",
        Effect::SetTopic { .. } => "set_topic",
        Effect::Post { .. } => "post",
        Effect::Reply { .. } => "reply",
        Effect::DirectMessage { page: Some(_), .. } => "page",
        Effect::DirectMessage { .. } => "direct_message",
        Effect::Notify { .. } => "notify",
        Effect::NotifyUpdate { .. } => "notify_update",
        Effect::Upload { .. } => "upload",
    }
}

/// What an effect is, in words, for failures (`post the incident card`).
pub(in crate::engine) fn describe(effect: &Effect) -> String {
    match effect {
        Effect::CreateWarRoom { .. } => "create the war room".into(),
        Effect::Invite { .. } => "invite people into the war room".into(),
        Effect::PostCard { .. } => "post the incident card".into(),
        Effect::UpdateCard { .. } => "update the incident card".into(),
        Effect::Announce { .. } => "announce the incident".into(),
        Effect::UpdateAnnouncement { .. } => "update the announcement".into(),
        Effect::AnnounceUpdate { .. } => "post the update under the announcement".into(),
        Effect::Publish { .. } => "update the status page".into(),
        Effect::SetTopic { .. } => "set the war room's topic".into(),
        Effect::SuggestRunbooks { .. } => "suggest runbooks".into(),
        Effect::RunAction { .. } => "run the action".into(),
        Effect::PostOutput { request, .. } => format!("post the output of {request}"),
        Effect::PostRunbook { .. } => "post the runbook's steps".into(),
        Effect::UpdateRunbook { .. } => "update the runbook's progress".into(),
        Effect::Post { .. } => "post a message".into(),
        Effect::Reply { .. } => "answer you".into(),
        Effect::DirectMessage {
            user,
            page: Some((_, level)),
            ..
        } => format!("send the level {level} page to {user}"),
        Effect::DirectMessage { user, .. } => format!("send a direct message to {user}"),
        Effect::Notify {
            user, via, page, ..
        } => {
            format!("reach {user} by {via} for the level {} page", page.level)
        }
        Effect::NotifyUpdate {
            user, via, update, ..
        } => {
            let what = match update {
                PageUpdate::Acknowledged => "acknowledged",
                PageUpdate::Resolved => "resolved",
            };
            format!("tell {via} that {user}'s page is {what}")
        }
        Effect::Upload { .. } => "upload the file".into(),
    }
}

impl Delivery<'_> {
    /// Appends `kind` to `incident`'s timeline as Warroom's own doing and writes `told` to the
    /// outbox of the incident's chat (`origin`'s when it has none) in the same transaction, so
    /// that what the event means for people cannot be lost between the two.
    pub(in crate::engine) async fn record_told(
        &self,
        origin: &Origin,
        incident: IncidentNumber,
        kind: EventKind,
        told: Effect,
    ) -> Result<(), EngineError> {
        let chat = self.chat_of_incident(incident, origin.platform()).await?;
        self.core
            .append_told(
                incident,
                &UserId::warroom(),
                |_| Ok(kind.clone()),
                |before, after, _| {
                    let mut effects = vec![told.clone()];
                    // A run's end can change what a runbook's message shows (a failed run on
                    // its step).
                    effects.extend(after.runbooks.iter().filter_map(|now| {
                        let was = before
                            .runbooks
                            .iter()
                            .find(|r| r.runbook.id == now.runbook.id);
                        (was != Some(now)).then(|| Effect::UpdateRunbook {
                            incident,
                            runbook: now.runbook.id.clone(),
                        })
                    }));
                    let (entries, _) = self.outbox_entries(origin, chat, Some(incident), effects);
                    entries
                },
            )
            .await?;
        Ok(())
    }

    /// The chat an incident lives in: the one recorded when it was declared, else `fallback`.
    pub(in crate::engine) async fn chat_of_incident(
        &self,
        incident: IncidentNumber,
        fallback: Platform,
    ) -> Result<Platform, StoreError> {
        if let Some(chat) = self.core.memo.incident_chat(incident) {
            return Ok(chat);
        }
        match self.core.store.incident_chat(incident).await? {
            Some(chat) => {
                self.core.memo.remember_incident_chat(incident, chat);
                Ok(chat)
            }
            None => Ok(fallback),
        }
    }

    /// Splits effects into outbox entries and the effects to carry out at once. War-room
    /// effects and pages go to `chat` (the chat the incident lives in); posts to the room a
    /// command came from go to the origin's chat.
    pub(in crate::engine) fn outbox_entries(
        &self,
        origin: &Origin,
        chat: Platform,
        context: Option<IncidentNumber>,
        effects: Vec<Effect>,
    ) -> (Vec<OutboxEntry>, Vec<Effect>) {
        let mut entries = Vec::new();
        let mut now = Vec::new();
        for effect in effects {
            if !durable(&effect) {
                now.push(effect);
                continue;
            }
            match entry(origin, chat, context, effect, false) {
                Ok(e) => entries.push(e),
                Err(e) => {
                    tracing::error!(error = %e, "an effect could not be written down");
                }
            }
        }
        (entries, now)
    }

    /// Writes the durable ones of `effects` to the outbox in a transaction of their own, and
    /// returns the rest. For effects that follow no recorded change (or whose change was
    /// recorded before the outbox learned of them).
    pub(in crate::engine) async fn enqueue(
        &self,
        origin: &Origin,
        effects: Vec<Effect>,
    ) -> Result<Vec<Effect>, StoreError> {
        if !effects.iter().any(durable) {
            return Ok(effects);
        }
        // Effects are about one incident at most in every caller; its chat decides.
        let context = effects.iter().find_map(incident_of);
        let chat = match context {
            Some(n) => self.chat_of_incident(n, origin.platform()).await?,
            None => origin.platform(),
        };
        let (entries, now) = self.outbox_entries(origin, chat, context, effects);
        self.core
            .store
            .enqueue(&entries, self.core.clock.now())
            .await?;
        self.core.outbox_changed.notify_waiters();
        Ok(now)
    }

    /// The one way a war room opens, for a declaration, an alert group and a repair: the room,
    /// the invitations (`declarer` first, then the commander and the configured responders;
    /// never Warroom or Alertmanager themselves), the card, and with `suggest` the runbooks
    /// that fit the title. Alerts suggest from their own labels, after their alerts.
    pub(in crate::engine) fn opening_effects(
        &self,
        incident: &crate::domain::Incident,
        declarer: Option<&UserId>,
        suggest: bool,
    ) -> Vec<Effect> {
        let n = incident.number;
        let machines = [UserId::warroom(), super::super::alertmanager_actor()];
        let mut invitees: Vec<UserId> = Vec::new();
        for user in declarer
            .into_iter()
            .chain(incident.commander.iter())
            .chain(&self.core.settings.responders)
        {
            if !invitees.contains(user) && !machines.contains(user) {
                invitees.push(user.clone());
            }
        }
        let mut effects = vec![Effect::CreateWarRoom {
            incident: n,
            name: war_room_name(incident),
            topic: views::topic(incident),
            private: incident.details.private,
        }];
        if !invitees.is_empty() {
            effects.push(Effect::Invite {
                incident: n,
                users: invitees,
            });
        }
        effects.push(Effect::PostCard { incident: n });
        if suggest {
            effects.push(Effect::SuggestRunbooks {
                incident: n,
                query: None,
            });
        }
        effects
    }
}

/// One effect as an outbox entry: to `chat`, or for posts to the room a command came from, to
/// the origin's chat; in the lane of its incident, else of its room or person.
pub(super) fn entry(
    origin: &Origin,
    chat: Platform,
    context: Option<IncidentNumber>,
    effect: Effect,
    notice: bool,
) -> Result<OutboxEntry, serde_json::Error> {
    let incident = incident_of(&effect).or(context);
    let platform = match &effect {
        Effect::Post {
            room: RoomTarget::Origin | RoomTarget::Configured(_),
            ..
        } => origin.platform(),
        _ => chat,
    };
    let lane = match (&effect, incident) {
        // Each notification waits for its own time and nothing else: not behind the war room
        // (the chat may be what is down), nor behind another person's or another contact.
        (
            Effect::Notify {
                user, via, page, ..
            },
            _,
        ) => {
            format!("notify-{}-{}-{user}-{via}", page.incident.0, page.level)
        }
        // A provider's alert is acknowledged, then resolved, in one lane per person.
        (
            Effect::NotifyUpdate {
                user,
                via,
                incident,
                ..
            },
            _,
        ) => format!("notify-{}-update-{user}-{via}", incident.0),
        // The status page is not held up by a chat that is down, nor holds it up.
        (Effect::Publish { incident, .. }, _) => format!("statuspage-{}", incident.0),
        (_, Some(n)) => format!("inc-{}", n.0),
        (
            Effect::Post {
                room: RoomTarget::Configured(room),
                ..
            },
            None,
        ) => format!("room-{room}"),
        (Effect::DirectMessage { user, .. }, None) => format!("user-{user}"),
        _ => format!("room-{}", origin.room_id),
    };
    let kind = kind_of(&effect).to_owned();
    let delay_secs = match &effect {
        Effect::Notify { after_secs, .. } => i64::from(*after_secs),
        _ => 0,
    };
    let body = serde_json::to_string(&Outgoing {
        origin: origin.clone(),
        effect,
        notice,
        unless_delivered: None,
    })?;
    Ok(OutboxEntry {
        platform,
        lane,
        incident,
        kind,
        body,
        delay_secs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::message::Message;
    use crate::engine::port::RoomId;

    #[test]
    fn effects_after_a_change_go_to_their_incidents_lane_in_its_chat() {
        let origin = Origin {
            room_id: RoomId::new(Platform::Matrix, "!lobby:x"),
            user: UserId::parse("@alice:x").unwrap(),
        };
        let n = IncidentNumber(7);
        let card = entry(
            &origin,
            Platform::Slack,
            None,
            Effect::PostCard { incident: n },
            false,
        )
        .unwrap();
        assert_eq!(
            (card.platform, card.lane.as_str(), card.incident),
            (Platform::Slack, "inc-7", Some(n))
        );
        assert_eq!(card.kind, "post_card");
        let here = Effect::Post {
            room: RoomTarget::Origin,
            message: Message::text("declared"),
        };
        let lobby = entry(&origin, Platform::Slack, None, here.clone(), false).unwrap();
        assert_eq!(
            (lobby.platform, lobby.lane.as_str()),
            (Platform::Matrix, "room-!lobby:x")
        );
        // The announcement of a declaration waits behind its war room, in its lane.
        let announced = entry(&origin, Platform::Matrix, Some(n), here, false).unwrap();
        assert_eq!(
            (announced.platform, announced.lane.as_str()),
            (Platform::Matrix, "inc-7")
        );
        let back: Outgoing = serde_json::from_str(&card.body).unwrap();
        assert_eq!(back.effect, Effect::PostCard { incident: n });
        assert_eq!(back.origin, origin);
    }

    #[test]
    fn outbox_entries_written_before_rooms_carried_their_chat_read_back_the_same() {
        // Bodies as the outbox has held them since the origin was written down.
        let bodies = [
            include_str!("../../../tests/fixtures/outbox/slack-post-card.json"),
            include_str!("../../../tests/fixtures/outbox/matrix-announce.json"),
            include_str!("../../../tests/fixtures/outbox/console-page.json"),
        ];
        for body in bodies {
            let read: Outgoing = serde_json::from_str(body).unwrap();
            assert_eq!(serde_json::to_string(&read).unwrap(), body);
        }
        let first: Outgoing = serde_json::from_str(bodies[0]).unwrap();
        assert_eq!(first.origin.room_id, RoomId::new(Platform::Slack, "C1"));
        assert_eq!(first.origin.platform(), Platform::Slack);
        assert_eq!(
            first.effect,
            Effect::PostCard {
                incident: IncidentNumber(7)
            }
        );
        // Without the fields added later.
        let oldest = include_str!("../../../tests/fixtures/outbox/slack-update-card-oldest.json");
        let read: Outgoing = serde_json::from_str(oldest).unwrap();
        assert_eq!(read.origin.room_id, RoomId::new(Platform::Slack, "C1"));
        assert!(!read.notice);
    }

    #[test]
    fn answers_files_and_runs_are_not_written_down() {
        assert!(!durable(&Effect::reply("ok")));
        assert!(!durable(&Effect::RunAction {
            request: crate::domain::RequestId(1)
        }));
        assert!(durable(&Effect::UpdateCard {
            incident: IncidentNumber(1)
        }));
    }
}
