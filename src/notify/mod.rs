//! The notifiers: pages beyond chat, by email (SMTP), ntfy pushes, signed webhooks,
//! PagerDuty's Events API and Opsgenie's Alert API; and the publisher that drives Atlassian
//! Statuspage (`statuspage.rs`) over the same HTTP client. The
//! engine decides whom to reach, how and when, and keeps each notification in the outbox until
//! it is taken; this adapter only sends one and says how it went, in the chat's terms: a
//! refusal for good, or a failure to try again (with the wait a 429 asked for).

mod email;
mod http;
mod ntfy;
mod opsgenie;
mod pagerduty;
mod statuspage;
mod webhook;

use std::collections::HashMap;
use std::ffi::OsString;

use async_trait::async_trait;

use crate::config::{Config, ConfigError, PersonConfig};
use crate::domain::{ContactKind, IncidentNumber, PageUpdate, UserId};
use crate::engine::effect::PageNote;
use crate::engine::port::{ChatError, Notifier};

pub use pagerduty::{WEBHOOK_SIGNATURE_HEADER, webhook_signature, webhook_signed};
pub use statuspage::{StatuspagePublisher, incident_body};
pub use webhook::{SIGNATURE_HEADER, TIMESTAMP_HEADER, signature};

/// Every person's contacts and the clients that reach them.
pub struct Notifiers {
    people: HashMap<UserId, PersonConfig>,
    http: http::Client,
    email: Option<email::Mailer>,
    /// Reads an environment variable (the process's, or a test's own).
    env: fn(&str) -> Option<OsString>,
}

impl Notifiers {
    /// The notifiers the configuration asks for, or `None` when no one has a contact beyond
    /// chat. The configuration's `[[people]]` must have been checked (`config::people`).
    pub fn from_config(config: &Config) -> Result<Option<Notifiers>, ConfigError> {
        if config.people.is_empty() {
            return Ok(None);
        }
        let mut people = HashMap::new();
        for person in &config.people {
            let id = UserId::parse(person.id.trim()).map_err(|e| ConfigError::InvalidValue {
                key: "people.id".to_owned(),
                origin: "in the configuration".to_owned(),
                problem: e.to_string(),
            })?;
            people.insert(id, person.clone());
        }
        let email = match &config.notify.email {
            Some(settings) => Some(email::Mailer::new(settings)?),
            None => None,
        };
        Ok(Some(Notifiers {
            people,
            http: http::Client::new(),
            email,
            env: |name| std::env::var_os(name),
        }))
    }
}

#[async_trait]
impl Notifier for Notifiers {
    async fn notify(
        &self,
        person: &UserId,
        via: ContactKind,
        page: &PageNote,
    ) -> Result<(), ChatError> {
        let missing = || ChatError::Refused(format!("{person} has no {via} contact any more"));
        let contact = self.people.get(person).ok_or_else(missing)?;
        match via {
            ContactKind::Ntfy => {
                let ntfy = contact.ntfy.as_ref().ok_or_else(missing)?;
                ntfy::send(&self.http, ntfy, page, self.env).await
            }
            ContactKind::Webhook => {
                let hook = contact.webhook.as_ref().ok_or_else(missing)?;
                webhook::send(&self.http, hook, person, page, self.env).await
            }
            ContactKind::Email => {
                let address = contact.email.as_deref().ok_or_else(missing)?;
                let mailer = self.email.as_ref().ok_or_else(|| {
                    ChatError::Refused("emails need [notify.email] in the configuration".into())
                })?;
                mailer.send(address, page, self.env).await
            }
            ContactKind::Pagerduty => {
                let pd = contact.pagerduty.as_ref().ok_or_else(missing)?;
                pagerduty::send(&self.http, pd, pagerduty::trigger(person, page), self.env).await
            }
            ContactKind::Opsgenie => {
                let og = contact.opsgenie.as_ref().ok_or_else(missing)?;
                let alert = opsgenie::create(og, person, page);
                opsgenie::send(&self.http, og, "/v2/alerts", &alert, self.env).await
            }
        }
    }

    async fn update(
        &self,
        person: &UserId,
        via: ContactKind,
        incident: IncidentNumber,
        update: PageUpdate,
    ) -> Result<(), ChatError> {
        let missing = || ChatError::Refused(format!("{person} has no {via} contact any more"));
        let contact = self.people.get(person).ok_or_else(missing)?;
        match via {
            ContactKind::Pagerduty => {
                let pd = contact.pagerduty.as_ref().ok_or_else(missing)?;
                let event = pagerduty::follow_up(person, incident, update);
                pagerduty::send(&self.http, pd, event, self.env).await
            }
            ContactKind::Opsgenie => {
                let og = contact.opsgenie.as_ref().ok_or_else(missing)?;
                let (path, body) = opsgenie::follow_up(person, incident, update);
                opsgenie::send(&self.http, og, &path, &body, self.env).await
            }
            // Nothing else keeps a page: there is nothing to tell.
            ContactKind::Email | ContactKind::Ntfy | ContactKind::Webhook => Ok(()),
        }
    }
}

/// A secret's value for a notification, or a refusal that names where it should have come
/// from (never the value).
fn secret(
    source: &crate::config::SecretSource,
    key: &str,
    env: fn(&str) -> Option<OsString>,
) -> Result<secrecy::SecretString, ChatError> {
    source
        .read(key, env)
        .map_err(|e| ChatError::Refused(e.to_string()))
}
