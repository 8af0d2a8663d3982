//! Acknowledge links: a page carries a link that acknowledges its incident as the person paged,
//! from any phone or mail client, without a chat. The link is signed (HMAC-SHA256 with a key
//! only Warroom has), names the incident, the level and the person, and expires; that it is
//! used once is kept by the store. Pure: making and reading a token.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::{IncidentNumber, UserId};

/// How long a link acknowledges after its page: a day, as long as the outbox keeps trying to
/// deliver a page.
pub const ACK_LINK_TTL: Duration = Duration::hours(24);

/// The longest token read: a longer one is not Warroom's.
const MAX_TOKEN: usize = 1024;

/// What an acknowledge link stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckLink {
    /// The incident it acknowledges.
    pub incident: IncidentNumber,
    /// The escalation level whose page carried it.
    pub level: u32,
    /// Who is acknowledging: the person paged.
    pub person: UserId,
    /// When it stops working.
    pub expires: DateTime<Utc>,
}

/// Why a token does not acknowledge anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not made by this Warroom (a wrong signature, a changed field, or not a token at all).
    #[error("this link is not a Warroom acknowledge link, or it was changed")]
    Forged,
    /// Made here, but too old.
    #[error("this link expired at {} UTC", .0.format("%Y-%m-%d %H:%M"))]
    Expired(DateTime<Utc>),
}

impl AckLink {
    /// The link a page sent at `paged` carries, valid for [`ACK_LINK_TTL`].
    pub fn new(incident: IncidentNumber, level: u32, person: UserId, paged: DateTime<Utc>) -> Self {
        AckLink {
            incident,
            level,
            person,
            expires: paged + ACK_LINK_TTL,
        }
    }

    /// What is signed, and what names the link once it is used: `7|1|1767628800|carol`.
    pub fn id(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.incident.0,
            self.level,
            self.expires.timestamp(),
            self.person
        )
    }

    /// The token for a URL path segment: the id in hex, a dot, and its HMAC-SHA256 in hex.
    pub fn token(&self, key: &[u8]) -> String {
        let id = self.id();
        format!(
            "{}.{}",
            hex::encode(id.as_bytes()),
            hex::encode(sign(key, &id))
        )
    }

    /// Reads a token made with `key`, checking its signature and then its expiry at `now`.
    pub fn read(token: &str, key: &[u8], now: DateTime<Utc>) -> Result<AckLink, LinkError> {
        if token.len() > MAX_TOKEN {
            return Err(LinkError::Forged);
        }
        let (id, signature) = token.split_once('.').ok_or(LinkError::Forged)?;
        let id = hex::decode(id).map_err(|_| LinkError::Forged)?;
        let signature = hex::decode(signature).map_err(|_| LinkError::Forged)?;
        let mut mac = keyed(key);
        mac.update(&id);
        mac.verify_slice(&signature)
            .map_err(|_| LinkError::Forged)?;
        // Signed by this Warroom: what follows can only fail for a key shared with a
        // different program.
        let id = String::from_utf8(id).map_err(|_| LinkError::Forged)?;
        let mut parts = id.splitn(4, '|');
        let mut next = || parts.next().ok_or(LinkError::Forged);
        let incident = IncidentNumber(next()?.parse().map_err(|_| LinkError::Forged)?);
        let level = next()?.parse().map_err(|_| LinkError::Forged)?;
        let expires = next()?
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .ok_or(LinkError::Forged)?;
        let person = UserId::parse(next()?).map_err(|_| LinkError::Forged)?;
        if now >= expires {
            return Err(LinkError::Expired(expires));
        }
        Ok(AckLink {
            incident,
            level,
            person,
            expires,
        })
    }
}

fn keyed(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
}

fn sign(key: &[u8], id: &str) -> Vec<u8> {
    let mut mac = keyed(key);
    mac.update(id.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const KEY: &[u8] = b"a key only this Warroom has, 32+";

    fn link() -> (AckLink, DateTime<Utc>) {
        let paged = Utc.with_ymd_and_hms(2026, 1, 5, 14, 0, 0).unwrap();
        let person = UserId::parse("@carol:example.org").unwrap();
        (AckLink::new(IncidentNumber(7), 2, person, paged), paged)
    }

    #[test]
    fn a_token_reads_back_until_it_expires() {
        let (link, paged) = link();
        let token = link.token(KEY);
        assert!(token.chars().all(|c| c.is_ascii_hexdigit() || c == '.'));
        assert_eq!(AckLink::read(&token, KEY, paged), Ok(link.clone()));
        let last = paged + ACK_LINK_TTL - Duration::seconds(1);
        assert_eq!(AckLink::read(&token, KEY, last), Ok(link.clone()));
        assert_eq!(
            AckLink::read(&token, KEY, paged + ACK_LINK_TTL),
            Err(LinkError::Expired(link.expires))
        );
    }

    #[test]
    fn a_changed_or_foreign_token_is_forged() {
        let (link, paged) = link();
        let token = link.token(KEY);
        assert_eq!(
            AckLink::read(&token, b"another key", paged),
            Err(LinkError::Forged)
        );
        // Another incident, signed with nothing.
        let other = AckLink {
            incident: IncidentNumber(8),
            ..link.clone()
        };
        let (_, signature) = token.split_once('.').unwrap();
        let swapped = format!("{}.{signature}", hex::encode(other.id()));
        assert_eq!(AckLink::read(&swapped, KEY, paged), Err(LinkError::Forged));
        // A later expiry, to use it longer.
        let longer = AckLink {
            expires: link.expires + Duration::days(30),
            ..link.clone()
        };
        let stretched = format!("{}.{signature}", hex::encode(longer.id()));
        assert_eq!(
            AckLink::read(&stretched, KEY, paged),
            Err(LinkError::Forged)
        );
        for junk in ["", ".", "zz.zz", "abc", &"a".repeat(2000), "00.00"] {
            assert_eq!(
                AckLink::read(junk, KEY, paged),
                Err(LinkError::Forged),
                "{junk}"
            );
        }
    }
}
