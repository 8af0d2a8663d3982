//! Turning page targets into the people and groups to notify at a given time.

use chrono::{DateTime, Utc};

use super::{Rotation, Target};
use crate::domain::UserId;

/// Whom to notify for a set of targets at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved {
    /// People to mention and message, each once, in the order the targets name them.
    pub people: Vec<UserId>,
    /// User groups to mention, each once.
    pub groups: Vec<String>,
    /// On-call aliases that found nobody (`oncall:primary`): no such rotation, or nobody
    /// on call; for the war room to say so.
    pub unresolved: Vec<String>,
    /// Whether the people are the configured responders, paged because level 1 found nobody
    /// and no rotation is configured at all (see [`Resolved::or_responders`]).
    pub responders: bool,
}

impl Resolved {
    /// A team without any rotation still gets paged: when level 1 finds nobody to page (no
    /// person, no group) and no rotation is configured, it pages `responders` instead, and
    /// the aliases are no longer reported as finding nobody. Anything else stays as it is.
    pub fn or_responders(self, level: u32, rotations: &[Rotation], responders: &[UserId]) -> Self {
        let nobody = self.people.is_empty() && self.groups.is_empty();
        if level != 1 || !nobody || !rotations.is_empty() || responders.is_empty() {
            return self;
        }
        let mut people = Vec::new();
        for person in responders {
            if !people.contains(person) {
                people.push(person.clone());
            }
        }
        Resolved {
            people,
            groups: Vec::new(),
            unresolved: Vec::new(),
            responders: true,
        }
    }
}

/// Resolves targets to the people (and groups) to notify at `at`.
pub fn resolve(targets: &[Target], rotations: &[Rotation], at: DateTime<Utc>) -> Resolved {
    fn push_new<T: PartialEq>(list: &mut Vec<T>, item: T) {
        if !list.contains(&item) {
            list.push(item);
        }
    }
    let mut out = Resolved::default();
    for target in targets {
        match target {
            Target::Person(id) => push_new(&mut out.people, id.clone()),
            Target::Group(name) => push_new(&mut out.groups, name.clone()),
            Target::OnCall(alias) => {
                let person = rotations
                    .iter()
                    .find(|r| &r.name == alias)
                    .and_then(|r| r.on_call(at));
                match person {
                    Some(id) => push_new(&mut out.people, id.clone()),
                    None => push_new(&mut out.unresolved, target.to_string()),
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, NaiveTime, Weekday};

    use super::*;

    fn target(text: &str) -> Target {
        text.parse().unwrap()
    }

    fn rotation(name: &str, people: &[&str]) -> Rotation {
        Rotation {
            name: name.to_owned(),
            people: people.iter().map(|p| UserId::parse(p).unwrap()).collect(),
            handoff_weekday: Weekday::Mon,
            handoff_time: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            time_zone: chrono_tz::UTC,
            start: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
            overrides: Vec::new(),
        }
    }

    #[test]
    fn resolving_lists_each_person_once_and_the_aliases_that_found_nobody() {
        let rotations = [rotation("primary", &["alice"]), rotation("empty", &[])];
        let targets = [
            target("oncall:primary"),
            target("@alice"),
            target("bob"),
            target("group:sre"),
            target("group:sre"),
            target("oncall:secondary"),
            target("oncall:empty"),
            target("oncall:secondary"),
        ];
        let at = "2026-02-01T12:00:00Z".parse().unwrap();
        let resolved = resolve(&targets, &rotations, at);
        let people: Vec<&str> = resolved.people.iter().map(UserId::as_str).collect();
        assert_eq!(people, ["alice", "bob"]);
        assert_eq!(resolved.groups, ["sre"]);
        assert_eq!(resolved.unresolved, ["oncall:secondary", "oncall:empty"]);
    }

    #[test]
    fn without_any_rotation_level_one_pages_the_responders_and_nothing_else_changes() {
        let at = "2026-02-01T12:00:00Z".parse().unwrap();
        let responders = [UserId::parse("bob").unwrap(), UserId::parse("bob").unwrap()];
        let nobody = resolve(&[target("oncall:primary")], &[], at);
        let level1 = nobody.clone().or_responders(1, &[], &responders);
        assert_eq!(level1.people, [UserId::parse("bob").unwrap()]);
        assert!(level1.responders && level1.unresolved.is_empty());
        // Level 2, a team with rotations, a level that names a group, or no responders: as is.
        assert_eq!(nobody.clone().or_responders(2, &[], &responders), nobody);
        let rotations = [rotation("secondary", &["carol"])];
        assert_eq!(
            nobody.clone().or_responders(1, &rotations, &responders),
            nobody
        );
        let group = resolve(&[target("group:sre")], &[], at);
        assert_eq!(group.clone().or_responders(1, &[], &responders), group);
        assert_eq!(nobody.clone().or_responders(1, &[], &[]), nobody);
    }

    #[test]
    fn an_alias_before_its_rotation_starts_is_unresolved() {
        let rotations = [rotation("primary", &["alice"])];
        let at = "2026-01-01T00:00:00Z".parse().unwrap();
        let resolved = resolve(&[target("oncall:primary")], &rotations, at);
        assert!(resolved.people.is_empty());
        assert_eq!(resolved.unresolved, ["oncall:primary"]);
    }
}
