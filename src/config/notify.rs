//! `[[people]]`: how each person is reached beyond chat when paged, and when; and `[notify]`:
//! the SMTP server that emails go through. Secrets (tokens, signing secrets, the SMTP
//! password) are read from the environment or a file when a notification is sent, never
//! from this file. Checked into the domain's [`Contacts`] by [`people`].

use std::collections::BTreeMap;

use chrono::Duration;
use serde::Deserialize;

use super::{ConfigError, SecretSource};
use crate::domain::{ContactKind, Contacts, NotifyRule, UserId, parse_span};

/// One `[[people]]` table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonConfig {
    /// The person, as pages name them (`bob`, `@bob:example.org`).
    pub id: String,
    /// An email address.
    pub email: Option<String>,
    /// A topic on an ntfy server, for pushes to a phone.
    pub ntfy: Option<NtfyContact>,
    /// The person's own endpoint, sent a signed JSON POST.
    pub webhook: Option<WebhookContact>,
    /// A PagerDuty service's Events API v2 integration that pages the person.
    pub pagerduty: Option<PagerdutyContact>,
    /// An Opsgenie API integration whose alerts page the person.
    pub opsgenie: Option<OpsgenieContact>,
    /// When each contact is used after a page: `[{ via = "ntfy", after = "2m" }]`. Without it,
    /// every contact the person has is used at once.
    pub notify: Option<Vec<RuleConfig>>,
}

/// `ntfy = { server = "https://ntfy.example.org", topic = "…", token = { env = "…" } }`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NtfyContact {
    /// The server's base URL.
    pub server: String,
    /// The topic the person's phone subscribes to.
    pub topic: String,
    /// An access token, for a server that requires one.
    pub token: Option<SecretSource>,
}

/// `webhook = { url = "https://…", secret = { env = "…" } }`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookContact {
    /// Where to POST.
    pub url: String,
    /// The secret the body and its timestamp are signed with (HMAC-SHA256).
    pub secret: SecretSource,
}

/// `pagerduty = { routing_key = { env = "…" } }`: an Events API v2 integration key.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagerdutyContact {
    /// The integration's key (32 characters), from the environment or a file.
    pub routing_key: SecretSource,
    /// The Events API's enqueue URL; PagerDuty's US service region when left out
    /// (`https://events.eu.pagerduty.com/v2/enqueue` for the EU one).
    pub url: Option<String>,
}

/// `opsgenie = { api_key = { env = "…" }, responder = "carol@example.org" }`: an Opsgenie API
/// integration's key.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpsgenieContact {
    /// The API integration's key, from the environment or a file.
    pub api_key: SecretSource,
    /// The person's Opsgenie username (their email there), named as the alert's responder;
    /// without it, the integration's own routing decides who is notified.
    pub responder: Option<String>,
    /// The API's base URL; Opsgenie's US one when left out (`https://api.eu.opsgenie.com` for
    /// EU accounts).
    pub url: Option<String>,
}

/// Opsgenie's API in its US region.
pub const OPSGENIE_API_URL: &str = "https://api.opsgenie.com";

/// PagerDuty's Events API v2 endpoint in its US service region.
pub const PAGERDUTY_EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

/// One notification rule: `{ via = "email", after = "5m" }`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Which contact: `email`, `ntfy`, `webhook`, `pagerduty` or `opsgenie`.
    pub via: String,
    /// How long after the page (`"0m"`, `"2m"`); at once when left out.
    #[serde(default)]
    pub after: Option<String>,
}

/// `[notify]`: what notifications need besides each person's contacts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// The SMTP server emails go through (`[notify.email]`).
    pub email: Option<EmailConfig>,
    /// Where people reach `warroom serve` from their phones (`https://warroom.example.org`):
    /// pages then carry links that acknowledge, `<public_url>/ack/<token>`.
    pub public_url: Option<String>,
    /// The key those links are signed with, at least 32 characters, from the environment or
    /// a file. Required with `public_url`.
    pub ack_key: Option<SecretSource>,
    /// The signing secret of a PagerDuty v3 webhook subscription that sends its
    /// `incident.acknowledged` events to `<public_url>/pagerduty`: acknowledging a page in
    /// PagerDuty then acknowledges the incident here.
    pub pagerduty_webhook_secret: Option<SecretSource>,
    /// The secret an Opsgenie Webhook integration sends as `Authorization: Bearer <secret>` (a
    /// custom header of the integration) with its alert actions to `<public_url>/opsgenie`:
    /// acknowledging a page in Opsgenie then acknowledges the incident here.
    pub opsgenie_webhook_secret: Option<SecretSource>,
}

/// The shortest acknowledge-link key accepted.
const MIN_ACK_KEY: usize = 32;

impl NotifyConfig {
    /// The acknowledge links' base URL and key, when `public_url` is set; the key is read now,
    /// so a missing one stops start-up rather than the first page.
    pub fn ack_links(
        &self,
        env: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Result<Option<(String, secrecy::SecretString)>, ConfigError> {
        use secrecy::ExposeSecret;
        let Some(url) = &self.public_url else {
            if self.ack_key.is_some() {
                return Err(invalid(
                    "notify.ack_key".to_owned(),
                    "acknowledge links also need notify.public_url, the URL people reach serve at",
                ));
            }
            return Ok(None);
        };
        check_url("notify.public_url", url)?;
        let source = self.ack_key.as_ref().ok_or_else(|| {
            invalid(
                "notify.ack_key".to_owned(),
                "acknowledge links need a signing key: ack_key = { env = \"WARROOM_ACK_KEY\" } (32 characters or more, e.g. from `openssl rand -hex 32`)",
            )
        })?;
        let key = source.read("notify.ack_key", env)?;
        if key.expose_secret().chars().count() < MIN_ACK_KEY {
            return Err(invalid(
                "notify.ack_key".to_owned(),
                format!(
                    "the key is shorter than {MIN_ACK_KEY} characters; make one with `openssl rand -hex 32`"
                ),
            ));
        }
        Ok(Some((url.trim().trim_end_matches('/').to_owned(), key)))
    }
}

/// `[notify.email]`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// `smtp://host:587` (STARTTLS required), `smtps://host:465` (TLS from the start), or
    /// `smtp://127.0.0.1:2525?tls=none` for a relay on this machine only.
    pub smtp_url: String,
    /// The sender: `Warroom <warroom@example.org>`.
    pub from: String,
    /// The SMTP user, when the server wants a login.
    pub user: Option<String>,
    /// Its password.
    pub password: Option<SecretSource>,
}

/// The longest wait a rule may have: a page that has waited a day is not a page.
const LONGEST_WAIT: Duration = Duration::hours(24);

fn invalid(key: String, problem: impl Into<String>) -> ConfigError {
    ConfigError::InvalidValue {
        key,
        origin: "in the configuration".to_owned(),
        problem: problem.into(),
    }
}

impl PersonConfig {
    /// The kinds of contact the person has.
    fn kinds(&self) -> Vec<ContactKind> {
        let has = [
            (ContactKind::Email, self.email.is_some()),
            (ContactKind::Ntfy, self.ntfy.is_some()),
            (ContactKind::Webhook, self.webhook.is_some()),
            (ContactKind::Pagerduty, self.pagerduty.is_some()),
            (ContactKind::Opsgenie, self.opsgenie.is_some()),
        ];
        has.into_iter()
            .filter(|(_, h)| *h)
            .map(|(k, _)| k)
            .collect()
    }

    /// The person's id and rules, checked; `key` is the table's dotted name (`people[0]`).
    fn checked(&self, key: &str, email: bool) -> Result<(UserId, Vec<NotifyRule>), ConfigError> {
        let id = UserId::parse(self.id.trim())
            .map_err(|e| invalid(format!("{key}.id"), e.to_string()))?;
        if let Some(address) = &self.email {
            let address = address.trim();
            let ok = address.split_once('@').is_some_and(|(user, domain)| {
                !user.is_empty() && domain.contains('.') && !address.contains(char::is_whitespace)
            });
            if !ok {
                return Err(invalid(
                    format!("{key}.email"),
                    "an email address looks like bob@example.org",
                ));
            }
            if !email {
                return Err(invalid(
                    format!("{key}.email"),
                    "emails need an SMTP server: add [notify.email] with smtp_url and from",
                ));
            }
        }
        let urls = [
            self.ntfy
                .as_ref()
                .map(|c| ("ntfy.server", c.server.as_str())),
            self.webhook
                .as_ref()
                .map(|c| ("webhook.url", c.url.as_str())),
            self.pagerduty
                .as_ref()
                .and_then(|c| c.url.as_deref())
                .map(|url| ("pagerduty.url", url)),
            self.opsgenie
                .as_ref()
                .and_then(|c| c.url.as_deref())
                .map(|url| ("opsgenie.url", url)),
        ];
        for (field, url) in urls.into_iter().flatten() {
            check_url(&format!("{key}.{field}"), url)?;
        }
        if let Some(ntfy) = &self.ntfy {
            let topic = ntfy.topic.trim();
            let ok = !topic.is_empty()
                && topic.len() <= 64
                && topic
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
            if !ok {
                return Err(invalid(
                    format!("{key}.ntfy.topic"),
                    "an ntfy topic is 1 to 64 letters, digits, '-' or '_'",
                ));
            }
        }
        let has = self.kinds();
        let rules = match &self.notify {
            None => has
                .iter()
                .map(|&via| NotifyRule {
                    via,
                    after: Duration::zero(),
                })
                .collect(),
            Some(rules) => rules
                .iter()
                .enumerate()
                .map(|(i, rule)| rule.checked(&format!("{key}.notify[{i}]"), &has))
                .collect::<Result<Vec<_>, _>>()?,
        };
        Ok((id, rules))
    }
}

impl RuleConfig {
    fn checked(&self, key: &str, has: &[ContactKind]) -> Result<NotifyRule, ConfigError> {
        let via: ContactKind = self
            .via
            .parse()
            .map_err(|e: crate::domain::UnknownContact| {
                invalid(format!("{key}.via"), e.to_string())
            })?;
        if !has.contains(&via) {
            return Err(invalid(
                format!("{key}.via"),
                format!("this person has no {via} contact; add `{via} = …` to their table"),
            ));
        }
        let after = match self.after.as_deref().map(str::trim) {
            None => Duration::zero(),
            Some(text) => parse_span(text)
                .and_then(|s| Duration::from_std(s).ok())
                .filter(|d| *d <= LONGEST_WAIT)
                .ok_or_else(|| {
                    invalid(
                        format!("{key}.after"),
                        format!(
                            "'{text}' is not a wait like \"0m\", \"2m\" or \"1h\" (at most 24h)"
                        ),
                    )
                })?,
        };
        Ok(NotifyRule { via, after })
    }
}

/// An http or https URL with a host.
fn check_url(key: &str, raw: &str) -> Result<(), ConfigError> {
    match url::Url::parse(raw.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
        _ => Err(invalid(
            key.to_owned(),
            "expected an http:// or https:// URL with a host",
        )),
    }
}

/// Every person's notification rules, checked; a person listed twice is an error.
pub fn people(people: &[PersonConfig], notify: &NotifyConfig) -> Result<Contacts, ConfigError> {
    let mut rules = BTreeMap::new();
    for (i, person) in people.iter().enumerate() {
        let key = format!("people[{i}]");
        let (id, theirs) = person.checked(&key, notify.email.is_some())?;
        if rules.insert(id.clone(), theirs).is_some() {
            return Err(invalid(
                format!("{key}.id"),
                format!("{id} is listed twice; give each person one [[people]] table"),
            ));
        }
    }
    if let Some(email) = &notify.email {
        check_smtp(email)?;
    }
    Ok(Contacts::new(rules))
}

/// The SMTP URL names a server and a way of securing it that Warroom supports.
fn check_smtp(email: &EmailConfig) -> Result<(), ConfigError> {
    let key = "notify.email.smtp_url".to_owned();
    let url = url::Url::parse(email.smtp_url.trim()).map_err(|_| {
        invalid(
            key.clone(),
            "expected smtp://host:port or smtps://host:port",
        )
    })?;
    if !matches!(url.scheme(), "smtp" | "smtps") || url.host().is_none() {
        return Err(invalid(
            key,
            "expected smtp://host:port or smtps://host:port",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            key,
            "put the user in `user` and the password in `password = { env = … }`, not in the URL",
        ));
    }
    if !email.from.contains('@') {
        return Err(invalid(
            "notify.email.from".to_owned(),
            "the sender is an address: `Warroom <warroom@example.org>`",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Contacts, String> {
        #[derive(Deserialize)]
        struct File {
            #[serde(default)]
            people: Vec<PersonConfig>,
            #[serde(default)]
            notify: NotifyConfig,
        }
        // The message alone: toml's own rendering quotes the source line, which figment (what
        // loads the real file) does not.
        let file: File = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        people(&file.people, &file.notify).map_err(|e| e.to_string())
    }

    /// A person's plan as (contact, minutes after the page).
    fn plan(contacts: &Contacts, person: &str) -> Vec<(ContactKind, i64)> {
        contacts
            .plan(&UserId::parse(person).unwrap())
            .iter()
            .map(|r| (r.via, r.after.num_minutes()))
            .collect()
    }

    #[test]
    fn rules_name_contacts_and_default_to_every_contact_at_once() {
        let contacts = read(
            r#"
            [notify.email]
            smtp_url = "smtp://127.0.0.1:2525?tls=none"
            from = "Warroom <warroom@example.org>"

            [[people]]
            id = "bob"
            email = "bob@example.org"
            ntfy = { server = "https://ntfy.example.org", topic = "bob-pages", token = { env = "NTFY_TOKEN" } }
            notify = [{ via = "email", after = "5m" }, { via = "ntfy", after = "2m" }]

            [[people]]
            id = "carol"
            webhook = { url = "https://hooks.example.org/page", secret = { env = "HOOK_SECRET" } }
            "#,
        )
        .unwrap();
        assert_eq!(
            plan(&contacts, "bob"),
            [(ContactKind::Ntfy, 2), (ContactKind::Email, 5)]
        );
        assert_eq!(plan(&contacts, "carol"), [(ContactKind::Webhook, 0)]);
    }

    #[test]
    fn the_example_files_people_and_smtp_server_read_as_written() {
        // The indented, commented block of templates/warroom.example.toml, uncommented.
        let example = crate::config::example();
        let from = example.find("#   [[people]]").unwrap();
        let block: String = example[from..]
            .lines()
            .take_while(|l| l.starts_with('#'))
            .filter_map(|l| l.strip_prefix("#   "))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(block.contains("[notify.email]"), "{block}");
        assert_eq!(
            plan(&read(&block).unwrap(), "carol"),
            [(ContactKind::Ntfy, 0), (ContactKind::Email, 5)]
        );
    }

    #[test]
    fn acknowledge_links_need_a_url_and_a_long_key_from_outside_the_file() {
        let env = |name: &str| match name {
            "LONG" => Some("0123456789abcdef0123456789abcdef".into()),
            "SHORT" => Some("hunter2".into()),
            _ => None,
        };
        let notify = |text: &str| -> NotifyConfig { toml::from_str(text).unwrap() };
        assert_eq!(notify("").ack_links(env).unwrap().map(|(url, _)| url), None);
        let (url, _) =
            notify("public_url = \"https://w.example.org/\"\nack_key = { env = \"LONG\" }")
                .ack_links(env)
                .unwrap()
                .unwrap();
        assert_eq!(url, "https://w.example.org");
        for (text, says) in [
            (
                "public_url = \"https://w.example.org\"",
                "need a signing key",
            ),
            (
                "public_url = \"https://w.example.org\"\nack_key = { env = \"SHORT\" }",
                "shorter than 32",
            ),
            (
                "public_url = \"https://w.example.org\"\nack_key = { env = \"UNSET\" }",
                "not set",
            ),
            (
                "ack_key = { env = \"LONG\" }",
                "also need notify.public_url",
            ),
            (
                "public_url = \"w.example.org\"\nack_key = { env = \"LONG\" }",
                "http:// or https://",
            ),
        ] {
            let error = notify(text).ack_links(env).unwrap_err().to_string();
            assert!(error.contains(says), "{text}: {error}");
            assert!(!error.contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn mistakes_are_named_with_their_key() {
        let cases = [
            (
                "[[people]]\nid = \"bob\"\nemail = \"bob@example.org\"",
                "people[0].email",
            ),
            (
                "[[people]]\nid = \"bob\"\nntfy = { server = \"ftp://x\", topic = \"t\" }",
                "people[0].ntfy.server",
            ),
            (
                "[[people]]\nid = \"bob\"\nntfy = { server = \"https://x.org\", topic = \"a b\" }",
                "people[0].ntfy.topic",
            ),
            (
                "[[people]]\nid = \"bob\"\nntfy = { server = \"https://x.org\", topic = \"t\" }\nnotify = [{ via = \"email\" }]",
                "people[0].notify[0].via",
            ),
            (
                "[[people]]\nid = \"bob\"\nntfy = { server = \"https://x.org\", topic = \"t\" }\nnotify = [{ via = \"sms\" }]",
                "people[0].notify[0].via",
            ),
            (
                "[[people]]\nid = \"bob\"\nntfy = { server = \"https://x.org\", topic = \"t\" }\nnotify = [{ via = \"ntfy\", after = \"soon\" }]",
                "people[0].notify[0].after",
            ),
            (
                "[[people]]\nid = \"bob\"\n[[people]]\nid = \"bob\"",
                "people[1].id",
            ),
            (
                "[[people]]\nid = \"bob\"\npagerduty = { routing_key = { env = \"PD\" }, url = \"events.pagerduty.com\" }",
                "people[0].pagerduty.url",
            ),
            (
                "[[people]]\nid = \"bob\"\npagerduty = { routing_key = { env = \"PD\" } }\nnotify = [{ via = \"ntfy\" }]",
                "people[0].notify[0].via",
            ),
            (
                "[[people]]\nid = \"bob\"\nopsgenie = { api_key = { env = \"OG\" }, url = \"api.opsgenie.com\" }",
                "people[0].opsgenie.url",
            ),
            (
                "[notify.email]\nsmtp_url = \"smtp://me:hunter2@mail.example.org\"\nfrom = \"w@example.org\"",
                "notify.email.smtp_url",
            ),
        ];
        for (text, key) in cases {
            let error = read(text).unwrap_err();
            assert!(error.contains(key), "{text}: {error}");
            assert!(!error.contains("hunter2"), "{error}");
        }
        // A secret written as a value is refused without being echoed.
        let error = read(
            "[[people]]\nid = \"bob\"\npagerduty = { routing_key = \"e93facc04764012d7bfb002500d5d1a6\" }",
        )
        .unwrap_err();
        assert!(!error.contains("e93facc0"), "{error}");
        let error = read(
            "[[people]]\nid = \"bob\"\nwebhook = { url = \"https://x.org\", secret = \"s3cr3t-value\" }",
        )
        .unwrap_err();
        assert!(!error.contains("s3cr3t-value"), "{error}");
        assert!(read("").unwrap().is_empty());
    }
}
