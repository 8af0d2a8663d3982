//! Effects: what the engine asks the chat to do after applying a command.

use serde::{Deserialize, Serialize};

use super::message::{FileUpload, Message};
use crate::domain::{IncidentNumber, RequestId, UserId};

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
