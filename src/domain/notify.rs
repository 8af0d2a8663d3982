//! Reaching a paged person beyond chat: the kinds of contact a person can have, and their
//! notification rules (each contact after how long, unless the incident is acknowledged
//! first). Pure: the adapters in `notify` do the sending, the engine decides when.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::{IncidentNumber, UserId};

/// A way to reach a person other than the chat's direct message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContactKind {
    /// An email, over SMTP.
    Email,
    /// A push notification through an ntfy server's topic.
    Ntfy,
    /// A JSON POST to the person's own endpoint, signed with a shared secret.
    Webhook,
    /// An alert through PagerDuty's Events API v2, which pages the person as their PagerDuty
    /// service does, and is acknowledged and resolved there when the incident is here.
    Pagerduty,
    /// An alert through Opsgenie's Alert API, acknowledged and closed there when the incident
    /// is acknowledged and resolved here.
    Opsgenie,
}

impl ContactKind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [ContactKind; 5] = [
        ContactKind::Email,
        ContactKind::Ntfy,
        ContactKind::Webhook,
        ContactKind::Pagerduty,
        ContactKind::Opsgenie,
    ];

    /// Its name in the configuration and on the timeline.
    pub const fn name(self) -> &'static str {
        match self {
            ContactKind::Email => "email",
            ContactKind::Ntfy => "ntfy",
            ContactKind::Webhook => "webhook",
            ContactKind::Pagerduty => "pagerduty",
            ContactKind::Opsgenie => "opsgenie",
        }
    }

    /// Whether it makes a phone ring or buzz (a push; SMS and calls when providers that make
    /// them are added): at most one of these reaches a person per [`PUSH_INTERVAL`].
    pub const fn interrupts(self) -> bool {
        matches!(
            self,
            ContactKind::Ntfy | ContactKind::Pagerduty | ContactKind::Opsgenie
        )
    }

    /// Whether the contact keeps its own state of the page (an open alert at a provider),
    /// which is acknowledged and resolved there when the incident is here.
    pub const fn keeps_state(self) -> bool {
        matches!(self, ContactKind::Pagerduty | ContactKind::Opsgenie)
    }
}

impl fmt::Display for ContactKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a kind of contact.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a kind of contact (email, ntfy, webhook, pagerduty, opsgenie)")]
pub struct UnknownContact(pub String);

impl FromStr for ContactKind {
    type Err = UnknownContact;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ContactKind::ALL
            .into_iter()
            .find(|k| k.name() == s.trim())
            .ok_or_else(|| UnknownContact(s.chars().take(40).collect()))
    }
}

/// The key that names one person's page for one incident at a provider that keeps state
/// (PagerDuty's `dedup_key`, Opsgenie's `alias`): `warroom/INC-7/bob`. A page of a later level to the same person
/// updates the same alert rather than opening another.
pub fn provider_key(incident: IncidentNumber, person: &UserId) -> String {
    format!("warroom/{incident}/{person}")
}

/// The incident and person of a [`provider_key`]; None for any other key.
pub fn parse_provider_key(key: &str) -> Option<(IncidentNumber, UserId)> {
    let (incident, person) = key.strip_prefix("warroom/")?.split_once('/')?;
    Some((incident.parse().ok()?, UserId::parse(person).ok()?))
}

/// What became of a page that a provider keeps: the incident was acknowledged, or resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PageUpdate {
    /// Someone acknowledged the incident: the provider stops escalating.
    Acknowledged,
    /// The incident was resolved: the provider closes its alert.
    Resolved,
}

/// The least time between two interrupting notifications (push, SMS, call) to one person.
pub const PUSH_INTERVAL: Duration = Duration::minutes(1);

/// One notification rule: reach the person this way this long after the page, unless the
/// incident was acknowledged (or closed) first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotifyRule {
    /// Which of the person's contacts.
    pub via: ContactKind,
    /// How long after the page.
    pub after: Duration,
}

/// Whom Warroom can reach beyond chat, and when: each person's notification rules. A person
/// not listed gets the chat's direct message only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contacts {
    rules: BTreeMap<UserId, Vec<NotifyRule>>,
}

impl Contacts {
    /// Rules per person (each person's in the order given).
    pub fn new(rules: BTreeMap<UserId, Vec<NotifyRule>>) -> Contacts {
        Contacts { rules }
    }

    /// What a page to `person` sends beyond the direct message, soonest first (ties in the
    /// order given).
    pub fn plan(&self, person: &UserId) -> Vec<NotifyRule> {
        let mut rules = self.rules.get(person).cloned().unwrap_or_default();
        rules.sort_by_key(|r| r.after);
        rules
    }

    /// Whether no one has a contact beyond chat.
    pub fn is_empty(&self) -> bool {
        self.rules.values().all(Vec::is_empty)
    }

    /// The people who have a contact of `kind`.
    pub fn people_with(&self, kind: ContactKind) -> impl Iterator<Item = &UserId> {
        self.rules
            .iter()
            .filter(move |(_, rules)| rules.iter().any(|r| r.via == kind))
            .map(|(person, _)| person)
    }

    /// The people with contacts, and theirs.
    pub fn iter(&self) -> impl Iterator<Item = (&UserId, &[NotifyRule])> {
        self.rules.iter().map(|(p, r)| (p, r.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_provider_key_names_its_incident_and_person_and_nothing_else_parses() {
        let bob = UserId::parse("@bob:example.org").unwrap();
        let key = provider_key(IncidentNumber(7), &bob);
        assert_eq!(key, "warroom/INC-7/@bob:example.org");
        assert_eq!(parse_provider_key(&key), Some((IncidentNumber(7), bob)));
        for other in [
            "",
            "warroom/INC-7",
            "warroom/7/bob",
            "other/INC-7/bob",
            "warroom/INC-7/",
        ] {
            assert_eq!(parse_provider_key(other), None, "{other}");
        }
    }

    #[test]
    fn a_plan_is_soonest_first_and_empty_for_people_without_contacts() {
        let bob = UserId::parse("bob").unwrap();
        let contacts = Contacts::new(BTreeMap::from([(
            bob.clone(),
            vec![
                NotifyRule {
                    via: ContactKind::Email,
                    after: Duration::minutes(5),
                },
                NotifyRule {
                    via: ContactKind::Ntfy,
                    after: Duration::minutes(2),
                },
            ],
        )]));
        let plan: Vec<_> = contacts.plan(&bob).into_iter().map(|r| r.via).collect();
        assert_eq!(plan, [ContactKind::Ntfy, ContactKind::Email]);
        assert!(contacts.plan(&UserId::parse("carol").unwrap()).is_empty());
        assert!(!contacts.is_empty());
        assert!(Contacts::default().is_empty());
    }

    #[test]
    fn kinds_read_back_from_their_names_and_only_pushes_interrupt() {
        for kind in ContactKind::ALL {
            assert_eq!(kind.name().parse::<ContactKind>(), Ok(kind));
        }
        assert!("sms".parse::<ContactKind>().is_err());
        assert!(ContactKind::Ntfy.interrupts());
        assert!(!ContactKind::Email.interrupts());
        assert!(!ContactKind::Webhook.interrupts());
    }
}
