//! Effects: what the engine asks the chat to do after applying a command.

use serde::{Deserialize, Serialize};

use super::message::{FileUpload, Message};
use crate::domain::{ContactKind, IncidentNumber, PageUpdate, RequestId, Severity, UserId};

/// Which room an effect is for; resolved to a chat room when the effect is carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomTarget {
    /// The room the command came from.
    Origin,
    /// The war room of an incident.
    WarRoom(IncidentNumber),
    /// A room named in the config (the announcements channel), by the chat's id.
    Configured(String),
}

/// One thing for the chat to do. Effects that follow a change go through the outbox as JSON
/// (see `delivery`); the rest are carried out at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    /// Create the war room of a new incident and remember it.
    CreateWarRoom {
        /// The incident.
        incident: IncidentNumber,
        /// The room's name (`inc-7-checkout-api-returns-500s`).
        name: String,
        /// Its topic.
        topic: String,
        /// Whether it is a private incident's: only invited people may find it.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        private: bool,
    },
    /// Invite people into an incident's war room.
    Invite {
        /// The incident.
        incident: IncidentNumber,
        /// Who.
        users: Vec<UserId>,
    },
    /// Post the incident card in the war room, pin it and remember it for later edits.
    PostCard {
        /// The incident.
        incident: IncidentNumber,
    },
    /// Edit the incident card to show the incident as it is now.
    UpdateCard {
        /// The incident.
        incident: IncidentNumber,
    },
    /// Post the announcement of a new incident in the announcements room and remember it, to
    /// keep it current.
    Announce {
        /// The incident.
        incident: IncidentNumber,
        /// The announcements room, by the chat's id.
        room: String,
    },
    /// Edit the announcement to show the incident as it is now.
    UpdateAnnouncement {
        /// The incident.
        incident: IncidentNumber,
    },
    /// Post a status update in the thread under the announcement.
    AnnounceUpdate {
        /// The incident.
        incident: IncidentNumber,
        /// The update as the war room got it.
        message: Message,
    },
    /// Tell the hosted status page (Statuspage) where a published incident stands, with a
    /// public update's text when one came. In a lane of its own per incident.
    Publish {
        /// The incident.
        incident: IncidentNumber,
        /// The public update's text, if this change brought one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    /// Post the runbooks that fit a new incident, with Attach buttons.
    SuggestRunbooks {
        /// The incident.
        incident: IncidentNumber,
        /// What to match: the incident's title when absent; an alert's names and labels too
        /// for an incident the alerts opened.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        query: Option<crate::runbook::Query>,
    },
    /// Post the steps of an attached runbook in the war room and remember the message.
    PostRunbook {
        /// The incident.
        incident: IncidentNumber,
        /// The runbook's id.
        runbook: String,
    },
    /// Edit an attached runbook's message to show its progress.
    UpdateRunbook {
        /// The incident.
        incident: IncidentNumber,
        /// The runbook's id.
        runbook: String,
    },
    /// Run an approved action request (once) and post its output in the war room.
    RunAction {
        /// The request.
        request: RequestId,
    },
    /// Post the output of a request's run: in the thread under its runbook's message where the
    /// chat has threads and the message is known, else in the war room, else where the command
    /// came from.
    PostOutput {
        /// The request.
        request: RequestId,
        /// What it printed, and how it ended.
        message: Message,
    },
    /// Set the war room's topic.
    SetTopic {
        /// The incident.
        incident: IncidentNumber,
        /// The new topic.
        topic: String,
    },
    /// Post a message.
    Post {
        /// Where.
        room: RoomTarget,
        /// What.
        message: Message,
    },
    /// Answer the person who typed the command, privately where the chat can.
    Reply {
        /// What.
        message: Message,
    },
    /// Send a person a direct message.
    DirectMessage {
        /// Whom.
        user: UserId,
        /// What.
        message: Message,
        /// The incident and escalation level, when the message is a page: its delivery goes
        /// on the incident's timeline.
        #[serde(default)]
        page: Option<(IncidentNumber, u32)>,
    },
    /// Reach a paged person beyond chat, `after_secs` after the page unless the incident is
    /// acknowledged or closed by then. Sent by a notifier, not the chat, in a lane of its own.
    Notify {
        /// Whom.
        user: UserId,
        /// Which of their contacts.
        via: ContactKind,
        /// How long after the page (the person's notification rule).
        after_secs: u32,
        /// What the page is about.
        page: PageNote,
    },
    /// Tell a provider that keeps a person's page (PagerDuty) that the incident was
    /// acknowledged or resolved, if the page reached it. In the person's own lane for it.
    NotifyUpdate {
        /// Whose page.
        user: UserId,
        /// Which of their contacts.
        via: ContactKind,
        /// The incident.
        incident: IncidentNumber,
        /// What became of it.
        update: PageUpdate,
    },
    /// Post a file (an answer, carried out at once; never written to the outbox).
    #[serde(skip)]
    Upload {
        /// Where.
        room: RoomTarget,
        /// The file.
        file: FileUpload,
    },
}

impl Effect {
    /// A private answer of one plain line.
    pub fn reply(text: impl Into<String>) -> Effect {
        Effect::Reply {
            message: Message::text(text),
        }
    }
}

/// What a page beyond chat says: the incident as it was when it paged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageNote {
    /// The incident.
    pub incident: IncidentNumber,
    /// The escalation level that paged.
    pub level: u32,
    /// Its severity then.
    pub severity: Severity,
    /// Its title then.
    pub title: String,
    /// Its commander then, if it had one.
    #[serde(default)]
    pub commander: Option<UserId>,
    /// The link that acknowledges it as the person paged, when links are configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_link: Option<String>,
}

impl PageNote {
    /// The one line a phone shows: `INC-7 (P1): Checkout API returns 500s`.
    pub fn headline(&self) -> String {
        format!("{} ({}): {}", self.incident, self.severity, self.title)
    }

    /// The lines under it: the level, the commander, and how to acknowledge.
    pub fn body(&self) -> String {
        let mut text = format!(
            "You are paged (level {}) for {}.",
            self.level, self.incident
        );
        if let Some(commander) = &self.commander {
            text.push_str(&format!(" Commander: {commander}."));
        }
        match &self.ack_link {
            Some(link) => text.push_str(&format!(" Acknowledge: {link} (or ack in its war room)")),
            None => text.push_str(" Acknowledge in its war room with: ack"),
        }
        text
    }
}
