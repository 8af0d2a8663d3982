//! Requests to run a runbook step's command, and the rules for approving them.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{IncidentNumber, PreparedCommand, Risk, UserId};

/// The id of an action request, shown as `r12`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(pub i64);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.0)
    }
}

impl FromStr for RequestId {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.strip_prefix(['r', 'R']).ok_or(())?;
        if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(());
        }
        digits.parse().map(RequestId).map_err(|_| ())
    }
}

/// Where a request stands. Each moves forward only; the store changes it with a conditional
/// update, so a request runs at most once however often buttons are pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Waiting for an approver (write actions).
    Pending,
    /// Approved (or a read action, approved by its nature), not started yet.
    Approved,
    /// Refused by an approver.
    Denied,
    /// Nobody decided in time.
    Expired,
    /// Running now.
    Running,
    /// Ran; the exit code and output are recorded.
    Finished,
    /// Dropped undecided or unstarted because its incident was resolved.
    Cancelled,
}

impl RequestState {
    /// The word stored and shown.
    pub fn word(self) -> &'static str {
        match self {
            RequestState::Pending => "pending",
            RequestState::Approved => "approved",
            RequestState::Denied => "denied",
            RequestState::Expired => "expired",
            RequestState::Running => "running",
            RequestState::Finished => "finished",
            RequestState::Cancelled => "cancelled",
        }
    }

    /// Whether the request still holds its step (a second request for it would be a duplicate).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            RequestState::Pending | RequestState::Approved | RequestState::Running
        )
    }
}

impl FromStr for RequestState {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            RequestState::Pending,
            RequestState::Approved,
            RequestState::Denied,
            RequestState::Expired,
            RequestState::Running,
            RequestState::Finished,
            RequestState::Cancelled,
        ]
        .into_iter()
        .find(|st| st.word() == s)
        .ok_or(())
    }
}

/// A request to run one step's command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRequest {
    /// Its id.
    pub id: RequestId,
    /// The incident.
    pub incident: IncidentNumber,
    /// The step's number as responders saw it.
    pub step: u32,
    /// The step's title.
    pub title: String,
    /// The command as written in the runbook (placeholders as they were).
    pub command: String,
    /// Parameter values given for it (never secrets: those are read when it runs).
    pub params: BTreeMap<String, String>,
    /// The argv decided when it was asked for, as the approver saw it: every value in place,
    /// secrets named (their values are read when it runs). This, and nothing recomputed, is
    /// what runs. `None` for a request recorded before Warroom kept it; such a request does
    /// not run.
    pub argv: Option<PreparedCommand>,
    /// Its risk.
    pub risk: Risk,
    /// The action's time limit, in seconds.
    pub timeout_secs: u64,
    /// Who asked.
    pub requested_by: UserId,
    /// When.
    pub requested_at: DateTime<Utc>,
    /// When it stops being approvable.
    pub expires_at: DateTime<Utc>,
    /// Where it stands.
    pub state: RequestState,
    /// Who approved or denied it.
    pub decided_by: Option<UserId>,
}

/// Why an approval or denial was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalRefusal {
    /// The requester tried to approve their own request.
    #[error("{0} was requested by you; another approver must decide it")]
    OwnRequest(RequestId),
    /// The person is not an approver.
    #[error("only the commander or a configured approver may decide {0}")]
    NotApprover(RequestId),
    /// The request is not waiting for a decision.
    #[error("{id} is already {state}")]
    NotPending {
        /// The request.
        id: RequestId,
        /// Its state.
        state: &'static str,
    },
    /// The request expired.
    #[error("{id} expired at {at} UTC; run the step again to ask anew")]
    Expired {
        /// The request.
        id: RequestId,
        /// When, as HH:MM.
        at: String,
    },
}

impl ActionRequest {
    /// Checks that `who` may approve or deny this request at `now`.
    pub fn may_decide(
        &self,
        who: &UserId,
        commander: Option<&UserId>,
        approvers: &[UserId],
        now: DateTime<Utc>,
    ) -> Result<(), ApprovalRefusal> {
        if self.state != RequestState::Pending {
            return Err(ApprovalRefusal::NotPending {
                id: self.id,
                state: self.state.word(),
            });
        }
        if now >= self.expires_at {
            return Err(ApprovalRefusal::Expired {
                id: self.id,
                at: self.expires_at.format("%H:%M").to_string(),
            });
        }
        if *who == self.requested_by {
            return Err(ApprovalRefusal::OwnRequest(self.id));
        }
        if commander != Some(who) && !approvers.contains(who) {
            return Err(ApprovalRefusal::NotApprover(self.id));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn request() -> ActionRequest {
        let at = Utc.with_ymd_and_hms(2026, 1, 5, 14, 0, 0).unwrap();
        ActionRequest {
            id: RequestId(5),
            incident: IncidentNumber(1),
            step: 3,
            title: "Restart the API".into(),
            command: "kubectl rollout restart deployment/api".into(),
            params: BTreeMap::new(),
            argv: None,
            risk: Risk::Write,
            timeout_secs: 30,
            requested_by: UserId::parse("bob").unwrap(),
            requested_at: at,
            expires_at: at + Duration::minutes(15),
            state: RequestState::Pending,
            decided_by: None,
        }
    }

    fn user(name: &str) -> UserId {
        UserId::parse(name).unwrap()
    }

    #[test]
    fn request_ids_read_and_print_as_r_n() {
        assert_eq!("r12".parse::<RequestId>(), Ok(RequestId(12)));
        assert_eq!(RequestId(3).to_string(), "r3");
        assert!("12".parse::<RequestId>().is_err());
    }

    #[test]
    fn the_requester_cannot_approve_and_others_need_the_right() {
        let r = request();
        let now = r.requested_at + Duration::minutes(1);
        let alice = user("alice");
        let carol = user("carol");
        assert_eq!(
            r.may_decide(&user("bob"), Some(&user("bob")), &[], now),
            Err(ApprovalRefusal::OwnRequest(RequestId(5)))
        );
        assert_eq!(
            r.may_decide(&carol, Some(&alice), &[], now),
            Err(ApprovalRefusal::NotApprover(RequestId(5)))
        );
        assert!(r.may_decide(&alice, Some(&alice), &[], now).is_ok());
        assert!(
            r.may_decide(&carol, Some(&alice), std::slice::from_ref(&carol), now)
                .is_ok()
        );
    }

    #[test]
    fn an_expired_request_cannot_be_approved() {
        let r = request();
        let late = r.expires_at + Duration::seconds(1);
        assert_eq!(
            r.may_decide(&user("alice"), Some(&user("alice")), &[], late)
                .unwrap_err()
                .to_string(),
            "r5 expired at 14:15 UTC; run the step again to ask anew"
        );
    }
}
