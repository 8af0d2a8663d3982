//! What an incident knows besides its severity, status and people: a summary for stakeholders,
//! when the impact started and when it was detected, the services it hurts, whether it is
//! private, and when the next status update is due. Also the times people type for them
//! ([`ClockTime`]: `13:52`, `2026-12-07 13:52`, `15m ago`), all in UTC.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::NoteText;

/// The most services one incident may name.
pub const MAX_SERVICES: usize = 20;

/// The parts of an incident that stakeholders read and the post-mortem counts from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Details {
    /// What is happening, for people outside the war room.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<NoteText>,
    /// When users started to be hurt (earlier than the declaration, usually).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact_started: Option<DateTime<Utc>>,
    /// When someone or something noticed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detected: Option<DateTime<Utc>>,
    /// The services it hurts, by their configured names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// A private incident (a security one): never announced, never on a status page.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub private: bool,
    /// Whether a public update was posted: the incident is on status pages from then on.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub published: bool,
    /// When the last status update was posted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update: Option<DateTime<Utc>>,
    /// When the last status update promised the next one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_update: Option<DateTime<Utc>>,
}

/// A service incidents can name (`[[services]]` in the configuration): a component on the
/// status page, with the people who own it and the runbooks that fit it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Its name in commands (`checkout`).
    pub name: String,
    /// Its name on the status page (`Checkout`); the name when not given.
    pub title: String,
    /// Who is invited into the war room of an incident that names it.
    pub owners: Vec<super::UserId>,
    /// The ids of the runbooks that fit it, suggested first.
    pub runbooks: Vec<String>,
}

/// A time as a person types it in a command, read in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum ClockTime {
    /// `13:52`: the latest such time that is not in the future.
    HourMinute {
        /// The hour, 0 to 23.
        hour: u32,
        /// The minute, 0 to 59.
        minute: u32,
    },
    /// `2026-12-07 13:52` or `2026-12-07T13:52:00Z`.
    At {
        /// The time.
        at: DateTime<Utc>,
    },
    /// `15m ago`.
    Ago {
        /// How long before now.
        before: Duration,
    },
}

/// The forms [`ClockTime::parse`] reads, for usage lines and messages.
pub const CLOCK_TIME_FORMS: &str = "13:52 (UTC), 2026-12-07 13:52 or 15m ago";

impl ClockTime {
    /// Reads a time from the words of a command; `None` when they are not one.
    pub fn parse(text: &str) -> Option<ClockTime> {
        let text = text.trim();
        if let Some(span) = text.strip_suffix("ago") {
            let before = super::parse_span(span.trim())?;
            return Some(ClockTime::Ago { before });
        }
        if let Some((hour, minute)) = hour_minute(text) {
            return Some(ClockTime::HourMinute { hour, minute });
        }
        if let Ok(at) = DateTime::parse_from_rfc3339(text) {
            return Some(ClockTime::At {
                at: at.with_timezone(&Utc),
            });
        }
        let (date, time) = text
            .split_once(' ')
            .or_else(|| text.split_once('T'))
            .map(|(d, t)| (d.trim(), t.trim().trim_end_matches('Z')))?;
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
        let (hour, minute) = hour_minute(time)?;
        let time = NaiveTime::from_hms_opt(hour, minute, 0)?;
        Some(ClockTime::At {
            at: Utc.from_utc_datetime(&date.and_time(time)),
        })
    }

    /// The moment this names, as of `now`; `None` for a time too far back to be one.
    pub fn resolve(self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            ClockTime::At { at } => Some(at),
            ClockTime::Ago { before } => chrono::Duration::from_std(before)
                .ok()
                .and_then(|d| now.checked_sub_signed(d)),
            ClockTime::HourMinute { hour, minute } => {
                let time = NaiveTime::from_hms_opt(hour, minute, 0)?;
                let today = Utc.from_utc_datetime(&now.date_naive().and_time(time));
                if today <= now {
                    Some(today)
                } else {
                    Some(today - chrono::Duration::days(1))
                }
            }
        }
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClockTime::HourMinute { hour, minute } => write!(f, "{hour:02}:{minute:02} UTC"),
            ClockTime::At { at } => write!(f, "{}", at.format("%Y-%m-%d %H:%M UTC")),
            ClockTime::Ago { before } => write!(f, "{} ago", super::format_span(*before)),
        }
    }
}

/// `13:52` or `9:05` as an hour and a minute.
fn hour_minute(text: &str) -> Option<(u32, u32)> {
    let (h, m) = text.split_once(':')?;
    let digits = |s: &str, most: usize| {
        !s.is_empty() && s.len() <= most && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(h, 2) || m.len() != 2 || !digits(m, 2) {
        return None;
    }
    let (hour, minute) = (h.parse().ok()?, m.parse().ok()?);
    (hour < 24 && minute < 60).then_some((hour, minute))
}

/// A service name as configured and typed: lowercase letters, digits, `-` and `_`, at most 64.
pub fn service_name(word: &str) -> Result<String, String> {
    let name = word.trim().to_ascii_lowercase();
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(name)
    } else {
        let shown: String = word.chars().take(30).filter(|c| !c.is_control()).collect();
        Err(format!(
            "'{shown}' is not a service name (letters, digits, '-' or '_', at most 64)"
        ))
    }
}

/// Reads `checkout,payments` or `checkout, payments` into names, each once, in order.
pub fn service_list(text: &str) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = Vec::new();
    for word in text.split([',', ' ']).filter(|w| !w.trim().is_empty()) {
        let name = service_name(word)?;
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.is_empty() {
        return Err("name at least one service, like checkout,payments".into());
    }
    if names.len() > MAX_SERVICES {
        return Err(format!(
            "{} services named; the most is {MAX_SERVICES}",
            names.len()
        ));
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 14, 5, 0).unwrap()
    }

    #[test]
    fn an_hour_and_minute_is_the_latest_such_time_not_in_the_future() {
        let earlier = ClockTime::parse("13:52").unwrap().resolve(now()).unwrap();
        assert_eq!(
            earlier,
            Utc.with_ymd_and_hms(2026, 12, 7, 13, 52, 0).unwrap()
        );
        // A time later than now today is yesterday's.
        let late = ClockTime::parse("14:30").unwrap().resolve(now()).unwrap();
        assert_eq!(late, Utc.with_ymd_and_hms(2026, 12, 6, 14, 30, 0).unwrap());
        assert_eq!(ClockTime::parse("9:05").unwrap().to_string(), "09:05 UTC");
    }

    #[test]
    fn dates_and_spans_ago_are_read_too() {
        let at = ClockTime::parse("2026-12-07 13:52").unwrap();
        assert_eq!(
            at.resolve(now()),
            Some(Utc.with_ymd_and_hms(2026, 12, 7, 13, 52, 0).unwrap())
        );
        assert_eq!(ClockTime::parse("2026-12-07T13:52:00Z"), Some(at));
        let ago = ClockTime::parse("15m ago").unwrap();
        assert_eq!(
            ago.resolve(now()),
            Some(Utc.with_ymd_and_hms(2026, 12, 7, 13, 50, 0).unwrap())
        );
    }

    #[test]
    fn what_is_not_a_time_is_refused() {
        for text in [
            "",
            "25:00",
            "13:5",
            "13:60",
            "noon",
            "2026-13-01 10:00",
            "x ago",
            "13:52:99",
        ] {
            assert_eq!(ClockTime::parse(text), None, "{text}");
        }
    }

    #[test]
    fn services_are_read_as_names_each_once() {
        assert_eq!(
            service_list("Checkout, payments,checkout").unwrap(),
            vec!["checkout", "payments"]
        );
        assert!(service_list(" , ").is_err());
        assert!(
            service_list("check$out")
                .unwrap_err()
                .contains("not a service name")
        );
    }
}
