//! Reaching a paged person beyond chat: the kinds of contact a person can have, and their
//! notification rules (each contact after how long, unless the incident is acknowledged
//! first). Pure: the adapters in `notify` do the sending, the engine decides when.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::UserId;

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
}

impl ContactKind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [ContactKind; 3] = [ContactKind::Email, ContactKind::Ntfy, ContactKind::Webhook];

    /// Its name in the configuration and on the timeline.
    pub const fn name(self) -> &'static str {
        match self {
            ContactKind::Email => "email",
            ContactKind::Ntfy => "ntfy",
            ContactKind::Webhook => "webhook",
        }
    }

    /// Whether it makes a phone ring or buzz (a push; SMS and calls when providers that make
    /// them are added): at most one of these reaches a person per [`PUSH_INTERVAL`].
    pub const fn interrupts(self) -> bool {
        matches!(self, ContactKind::Ntfy)
    }
}

impl fmt::Display for ContactKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a kind of contact.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a kind of contact (email, ntfy, webhook)")]
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

    /// The people with contacts, and theirs.
    pub fn iter(&self) -> impl Iterator<Item = (&UserId, &[NotifyRule])> {
        self.rules.iter().map(|(p, r)| (p, r.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
