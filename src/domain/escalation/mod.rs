//! Escalation maths: whom a page goes to, per severity in levels over time, and who is on
//! call in a rotation at a given moment. Pure: the engine owns the timers.

mod resolve;
mod rotation;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::Duration;

use super::{Severity, UserId};

pub use resolve::{Resolved, resolve};
pub use rotation::{Override, Rotation};

/// Whom a page goes to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// One person, written `@alice` or `alice`.
    Person(UserId),
    /// A chat user group, written `group:sre`.
    Group(String),
    /// Whoever is on call in a rotation, written `oncall:primary`.
    OnCall(String),
}

/// Text that is not a page target; shows the text and the forms that are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}' is not a page target: {problem} (use @person, group:name or oncall:name)")]
pub struct InvalidTarget {
    /// The text, cut to 40 characters.
    pub text: String,
    /// What is wrong with it.
    pub problem: String,
}

impl FromStr for Target {
    type Err = InvalidTarget;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let text = raw.trim();
        let invalid = |problem: String| InvalidTarget {
            text: raw.chars().filter(|c| !c.is_control()).take(40).collect(),
            problem,
        };
        let name = |name: &str, kind: &str| -> Result<String, InvalidTarget> {
            let ok = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if ok {
                Ok(name.to_owned())
            } else {
                Err(invalid(format!(
                    "a {kind} name is letters, digits, '-', '_' or '.'"
                )))
            }
        };
        if let Some(group) = text.strip_prefix("group:") {
            return name(group, "group").map(Target::Group);
        }
        if let Some(alias) = text.strip_prefix("oncall:") {
            return name(alias, "rotation").map(Target::OnCall);
        }
        // A Matrix id (`@alice:example.org`) keeps its `@`; a bare mention loses it.
        let id = match text.strip_prefix('@') {
            Some(_) if text.contains(':') => text,
            Some(bare) => bare,
            None if text.contains(':') => {
                let kind = text.split(':').next().unwrap_or_default();
                let kind: String = kind.chars().take(20).collect();
                return Err(invalid(format!("'{kind}:' is not a kind of target")));
            }
            None => text,
        };
        UserId::parse(id)
            .map(Target::Person)
            .map_err(|e| invalid(e.to_string()))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Person(id) if id.as_str().starts_with('@') => f.write_str(id.as_str()),
            Target::Person(id) => write!(f, "@{id}"),
            Target::Group(name) => write!(f, "group:{name}"),
            Target::OnCall(alias) => write!(f, "oncall:{alias}"),
        }
    }
}

/// One step of a policy: whom to page once `after` has passed since the declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    /// How long after the declaration this level is paged.
    pub after: Duration,
    /// Whom it pages.
    pub targets: Vec<Target>,
}

/// How an unacknowledged incident escalates: levels in order of their `after`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EscalationPolicy {
    /// The levels, in order; `after` is measured from the declaration.
    pub levels: Vec<Level>,
}

/// The paging policy and the status-update reminder interval of every severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policies {
    /// Paging per severity; a severity missing here pages nobody.
    pub paging: BTreeMap<Severity, EscalationPolicy>,
    /// How often to remind the commander to post an update; missing: no reminders.
    pub reminders: BTreeMap<Severity, Duration>,
    /// Whether a person who declares an incident (and so commands it) acknowledges it by
    /// declaring, so that nobody is paged for it. Incidents the alerts open are never
    /// acknowledged this way.
    pub commander_acknowledges: bool,
}

static NO_PAGING: EscalationPolicy = EscalationPolicy { levels: Vec::new() };

fn level(minutes: i64, target: Target) -> Level {
    Level {
        after: Duration::minutes(minutes),
        targets: vec![target],
    }
}

fn on_call(alias: &str) -> Target {
    Target::OnCall(alias.to_owned())
}

fn group(name: &str) -> Target {
    Target::Group(name.to_owned())
}

impl Default for Policies {
    /// Common practice: at once, then 5, 15 and (P0 only) 60 minutes on; P2 pages the
    /// primary only, P3 pages nobody.
    fn default() -> Self {
        let major = vec![
            level(0, on_call("primary")),
            level(5, on_call("secondary")),
            level(15, group("engineering-managers")),
        ];
        let mut p0 = major.clone();
        p0.push(level(60, group("executives")));
        let paging = BTreeMap::from([
            (Severity::P0, EscalationPolicy { levels: p0 }),
            (Severity::P1, EscalationPolicy { levels: major }),
            (
                Severity::P2,
                EscalationPolicy {
                    levels: vec![level(0, on_call("primary"))],
                },
            ),
            (Severity::P3, EscalationPolicy::default()),
        ]);
        let reminders = BTreeMap::from([
            (Severity::P0, Duration::minutes(15)),
            (Severity::P1, Duration::minutes(30)),
            (Severity::P2, Duration::minutes(60)),
        ]);
        Policies {
            paging,
            reminders,
            commander_acknowledges: true,
        }
    }
}

impl Policies {
    /// The paging policy of a severity; an empty one when none is configured.
    pub fn policy(&self, severity: Severity) -> &EscalationPolicy {
        self.paging.get(&severity).unwrap_or(&NO_PAGING)
    }

    /// How often a commander is reminded to post an update; `None`: never.
    pub fn reminder(&self, severity: Severity) -> Option<Duration> {
        self.reminders.get(&severity).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(policy: &EscalationPolicy) -> Vec<(i64, Vec<String>)> {
        policy
            .levels
            .iter()
            .map(|l| {
                let names = l.targets.iter().map(Target::to_string).collect();
                (l.after.num_minutes(), names)
            })
            .collect()
    }

    fn expected(levels: &[(i64, &str)]) -> Vec<(i64, Vec<String>)> {
        levels
            .iter()
            .map(|(m, t)| (*m, vec![(*t).to_owned()]))
            .collect()
    }

    #[test]
    fn p0_pages_four_levels_ending_with_the_executives() {
        let policies = Policies::default();
        assert_eq!(
            targets(policies.policy(Severity::P0)),
            expected(&[
                (0, "oncall:primary"),
                (5, "oncall:secondary"),
                (15, "group:engineering-managers"),
                (60, "group:executives"),
            ])
        );
    }

    #[test]
    fn p1_pages_three_levels_and_p2_the_primary_only_and_p3_nobody() {
        let policies = Policies::default();
        assert_eq!(
            targets(policies.policy(Severity::P1)),
            expected(&[
                (0, "oncall:primary"),
                (5, "oncall:secondary"),
                (15, "group:engineering-managers"),
            ])
        );
        assert_eq!(
            targets(policies.policy(Severity::P2)),
            expected(&[(0, "oncall:primary")])
        );
        assert!(policies.policy(Severity::P3).levels.is_empty());
    }

    #[test]
    fn reminders_come_every_15_30_and_60_minutes_and_never_for_p3() {
        let policies = Policies::default();
        assert_eq!(policies.reminder(Severity::P0), Some(Duration::minutes(15)));
        assert_eq!(policies.reminder(Severity::P1), Some(Duration::minutes(30)));
        assert_eq!(policies.reminder(Severity::P2), Some(Duration::minutes(60)));
        assert_eq!(policies.reminder(Severity::P3), None);
    }

    #[test]
    fn a_severity_missing_from_the_policies_pages_nobody() {
        let policies = Policies {
            paging: BTreeMap::new(),
            reminders: BTreeMap::new(),
            commander_acknowledges: true,
        };
        assert!(policies.policy(Severity::P0).levels.is_empty());
        assert_eq!(policies.reminder(Severity::P0), None);
    }

    #[test]
    fn targets_parse_from_their_written_forms_and_print_back() {
        let alice = UserId::parse("alice").unwrap();
        assert_eq!("@alice".parse(), Ok(Target::Person(alice.clone())));
        assert_eq!("alice".parse(), Ok(Target::Person(alice)));
        assert_eq!("group:sre".parse(), Ok(Target::Group("sre".to_owned())));
        assert_eq!(
            "oncall:primary".parse(),
            Ok(Target::OnCall("primary".to_owned()))
        );
        for text in [
            "@alice",
            "group:sre",
            "oncall:primary",
            "@alice:example.org",
        ] {
            assert_eq!(text.parse::<Target>().unwrap().to_string(), text);
        }
        assert_eq!("alice".parse::<Target>().unwrap().to_string(), "@alice");
    }

    #[test]
    fn a_bad_target_names_the_text() {
        for text in ["group:", "oncall:two words", "team:sre", "", "@"] {
            let err = text.parse::<Target>().unwrap_err();
            assert!(err.to_string().contains(&format!("'{text}'")), "{err}");
        }
        let err = "team:sre".parse::<Target>().unwrap_err().to_string();
        assert!(err.contains("'team:' is not a kind of target"), "{err}");
    }
}
