//! Acknowledging from outside chat: following a page's acknowledge link (`/ack/<token>` on
//! `serve`), what the link would do and doing it once; and a provider's word that the person
//! acknowledged their page there (PagerDuty's webhook). The HTTP side only renders what these
//! return.

use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;

use crate::domain::{AckLink, Action, Incident, IncidentNumber, LinkError, RoomId, UserId};
use crate::engine::port::Origin;
use crate::engine::{EngineError, Escalation};

/// What following a link comes to.
#[derive(Debug, Clone)]
pub enum LinkOutcome {
    /// The link is good and would acknowledge the incident as its person (shown before the
    /// press that uses it).
    Ready(AckLink, Incident),
    /// It acknowledged the incident as its person, just now.
    Acknowledged(AckLink, Incident),
    /// The incident was acknowledged already (by anyone) or is closed: nothing to do.
    Moot(AckLink, Incident),
    /// The link does nothing.
    Refused(LinkRefusal),
}

/// Why a link does nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkRefusal {
    /// This Warroom makes no links (`[notify] public_url` is not set).
    Off,
    /// Not a link of this Warroom, changed, or expired.
    Invalid(LinkError),
    /// Used already, at this time.
    Used(DateTime<Utc>),
    /// Its incident does not exist (any more).
    Gone,
}

impl Escalation<'_> {
    /// What `token` would do now, without doing it.
    pub async fn check_link(&self, token: &str) -> Result<LinkOutcome, EngineError> {
        let Some(links) = &self.core.settings.ack_links else {
            return Ok(LinkOutcome::Refused(LinkRefusal::Off));
        };
        let now = self.core.clock.now();
        let link = match AckLink::read(token, links.key.expose_secret().as_bytes(), now) {
            Ok(link) => link,
            Err(e) => return Ok(LinkOutcome::Refused(LinkRefusal::Invalid(e))),
        };
        if let Some(at) = self.core.store.ack_link_used(&link.id()).await? {
            return Ok(LinkOutcome::Refused(LinkRefusal::Used(at)));
        }
        let Some(incident) = self.core.store.incident(link.incident).await? else {
            return Ok(LinkOutcome::Refused(LinkRefusal::Gone));
        };
        if incident.acknowledged.is_some() || !incident.status.is_open() {
            return Ok(LinkOutcome::Moot(link, incident));
        }
        Ok(LinkOutcome::Ready(link, incident))
    }

    /// Uses `token`: acknowledges its incident as its person (the war room is told through the
    /// outbox like any acknowledgement) and marks the link used. A link that is refused, or
    /// whose incident needs no acknowledgement any more, changes nothing.
    pub async fn follow_link(&self, token: &str) -> Result<LinkOutcome, EngineError> {
        let (link, incident) = match self.check_link(token).await? {
            LinkOutcome::Ready(link, incident) => (link, incident),
            other => return Ok(other),
        };
        match self.acknowledge_as(incident.number, &link.person).await? {
            Acked::Now(after) => {
                // Acknowledged first, marked second: a crash between the two leaves a link that
                // finds its incident acknowledged, which changes nothing.
                self.core
                    .store
                    .use_ack_link(&link.id(), incident.number, self.core.clock.now())
                    .await?;
                Ok(LinkOutcome::Acknowledged(link, after))
            }
            // Someone acknowledged or closed it in between.
            Acked::Already(after) => Ok(LinkOutcome::Moot(link, after)),
            Acked::Gone => Ok(LinkOutcome::Refused(LinkRefusal::Gone)),
        }
    }

    /// Acknowledges `incident` as `person` because a provider says they acknowledged their page
    /// there (PagerDuty's `incident.acknowledged`). Told through the outbox like any
    /// acknowledgement; one that needs none any more changes nothing.
    pub async fn acknowledge_from_provider(
        &self,
        incident: IncidentNumber,
        person: &UserId,
    ) -> Result<Acked, EngineError> {
        self.acknowledge_as(incident, person).await
    }

    /// Acknowledges `incident` as `person`, from outside any chat room.
    async fn acknowledge_as(
        &self,
        incident: IncidentNumber,
        person: &UserId,
    ) -> Result<Acked, EngineError> {
        if self.core.store.incident(incident).await?.is_none() {
            return Ok(Acked::Gone);
        }
        let chat = self
            .core
            .delivery()
            .chat_of_incident(incident, crate::domain::Platform::Console)
            .await?;
        let origin = Origin {
            room_id: RoomId::new(chat, ""),
            user: person.clone(),
        };
        let acked = self
            .core
            .incidents()
            .change(&origin, incident, true, Action::Ack)
            .await;
        let after = self.core.store.incident(incident).await?;
        match (acked, after) {
            (Ok(_), Some(after)) => Ok(Acked::Now(after)),
            (Err(EngineError::Refused(_)), Some(after)) => Ok(Acked::Already(after)),
            (Ok(_) | Err(EngineError::Refused(_)), None) => Ok(Acked::Gone),
            (Err(e), _) => Err(e),
        }
    }
}

/// What acknowledging from outside chat came to.
#[derive(Debug, Clone)]
pub enum Acked {
    /// Acknowledged just now.
    Now(Incident),
    /// Acknowledged already, or closed: nothing changed.
    Already(Incident),
    /// There is no such incident.
    Gone,
}
