//! The status machine of an incident.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where an incident stands in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Something is wrong and the cause is not known yet.
    Investigating,
    /// The cause is known; the fix is under way.
    Identified,
    /// Users are no longer hurt, but the incident is not over (a workaround, a rollback).
    Mitigated,
    /// Over. Only `reopen` leaves this status.
    Resolved,
}

impl Status {
    /// Every status in its normal order.
    pub const ALL: [Status; 4] = [
        Status::Investigating,
        Status::Identified,
        Status::Mitigated,
        Status::Resolved,
    ];

    /// The lowercase word used in commands.
    pub fn word(self) -> &'static str {
        match self {
            Status::Investigating => "investigating",
            Status::Identified => "identified",
            Status::Mitigated => "mitigated",
            Status::Resolved => "resolved",
        }
    }

    fn rank(self) -> u8 {
        match self {
            Status::Investigating => 0,
            Status::Identified => 1,
            Status::Mitigated => 2,
            Status::Resolved => 3,
        }
    }

    /// Whether `status` may move from `self` to `to`.
    ///
    /// Forward moves may skip a step (a quick rollback goes straight from investigating to
    /// mitigated). The ways back are to investigating: from mitigated, for a mitigation that
    /// did not hold, and from identified, for a cause that was not the cause (with a reason,
    /// [`Status::needs_reason`]). A resolved incident moves only through reopening, which is not a status change.
    pub fn may_become(self, to: Status) -> bool {
        match (self, to) {
            (Status::Resolved, _) => false,
            (Status::Mitigated | Status::Identified, Status::Investigating) => true,
            (from, to) => to.rank() > from.rank(),
        }
    }

    /// Whether moving from `self` to `to` takes a reason: going back from identified means
    /// the cause found was not the cause, and the record must say why.
    pub fn needs_reason(self, to: Status) -> bool {
        self == Status::Identified && to == Status::Investigating
    }

    /// The statuses this one may move to, in order.
    pub fn next_choices(self) -> Vec<Status> {
        Status::ALL
            .into_iter()
            .filter(|s| self.may_become(*s))
            .collect()
    }

    /// Whether the incident is still open.
    pub fn is_open(self) -> bool {
        self != Status::Resolved
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Status::Investigating => "Investigating",
            Status::Identified => "Identified",
            Status::Mitigated => "Mitigated",
            Status::Resolved => "Resolved",
        };
        f.write_str(s)
    }
}

/// A word that is not a status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status '{0}' (use investigating, identified, mitigated or resolved)")]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|st| st.word().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownStatus(s.chars().take(20).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn forward_moves_are_allowed_and_may_skip_steps() {
        assert!(Investigating.may_become(Identified));
        assert!(Investigating.may_become(Mitigated));
        assert!(Identified.may_become(Resolved));
        assert!(Mitigated.may_become(Resolved));
    }

    #[test]
    fn only_investigating_is_a_way_back() {
        assert!(Mitigated.may_become(Investigating));
        assert!(Identified.may_become(Investigating) && Identified.needs_reason(Investigating));
        assert!(!Mitigated.needs_reason(Investigating));
        assert!(!Mitigated.may_become(Identified));
    }

    #[test]
    fn resolved_and_same_status_moves_are_refused() {
        for s in Status::ALL {
            assert!(!Resolved.may_become(s));
            assert!(!s.may_become(s));
        }
    }

    #[test]
    fn statuses_parse_in_any_case() {
        assert_eq!("Mitigated".parse::<Status>().unwrap(), Mitigated);
        assert!("fixed".parse::<Status>().is_err());
    }
}
