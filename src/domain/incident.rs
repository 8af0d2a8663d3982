//! The incident: its state, and the rules that decide what may happen to it.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    AttachedRunbook, Details, EventKind, IncidentTitle, NoteText, Severity, Status, TimelineEvent,
    UserId,
};

/// The number of an incident, shown as `INC-7`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IncidentNumber(pub u32);

impl fmt::Display for IncidentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "INC-{}", self.0)
    }
}

impl FromStr for IncidentNumber {
    type Err = ();

    /// Reads `INC-7` in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s
            .get(..4)
            .filter(|p| p.eq_ignore_ascii_case("inc-"))
            .map(|_| &s[4..])
            .ok_or(())?;
        if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(());
        }
        match digits.parse::<u32>() {
            Ok(n) if n > 0 => Ok(IncidentNumber(n)),
            _ => Err(()),
        }
    }
}

/// A role in the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Leads the response and makes the calls.
    Commander,
    /// Keeps stakeholders and status pages informed.
    Comms,
    /// Keeps the timeline.
    Scribe,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Role::Commander, Role::Comms, Role::Scribe];

    /// The lowercase word used in commands.
    pub fn word(self) -> &'static str {
        match self {
            Role::Commander => "commander",
            Role::Comms => "comms",
            Role::Scribe => "scribe",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

impl FromStr for Role {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.word().eq_ignore_ascii_case(s))
            .ok_or(())
    }
}

/// Why a change to an incident was refused. Each reads as a sentence for the person who asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The severity asked for is the one it has.
    #[error("{0} is already {1}")]
    SameSeverity(IncidentNumber, Severity),
    /// The status asked for is the one it has.
    #[error("{0} is already {1}")]
    SameStatus(IncidentNumber, Status),
    /// A status move the machine does not allow.
    #[error("{incident} cannot go from {from} to {to}{hint}")]
    BadTransition {
        /// The incident.
        incident: IncidentNumber,
        /// Its status.
        from: Status,
        /// The status asked for.
        to: Status,
        /// What to do instead, with a leading separator.
        hint: &'static str,
    },
    /// Someone already acknowledged it.
    #[error("{incident} was already acknowledged by {by} at {at} UTC")]
    AlreadyAcknowledged {
        /// The incident.
        incident: IncidentNumber,
        /// Who acknowledged it.
        by: UserId,
        /// When, as HH:MM.
        at: String,
    },
    /// The incident is resolved, so this command does not apply.
    #[error("{0} is resolved; reopen it first (reopen [reason])")]
    Resolved(IncidentNumber),
    /// Only a resolved incident can be reopened.
    #[error("{0} is not resolved, so there is nothing to reopen")]
    NotResolved(IncidentNumber),
    /// The runbook is attached already.
    #[error("{title} is already attached to {incident}")]
    RunbookAttached {
        /// The incident.
        incident: IncidentNumber,
        /// The runbook's title.
        title: String,
    },
    /// No runbook is attached, so there are no steps.
    #[error("{0} has no runbook attached yet; find one with: runbook [words]")]
    NoRunbook(IncidentNumber),
    /// There is no step with that number.
    #[error("{incident} has no step {number} (its runbooks have {total} steps)")]
    NoSuchStep {
        /// The incident.
        incident: IncidentNumber,
        /// The number asked for.
        number: u32,
        /// How many steps there are.
        total: usize,
    },
    /// The step was done or skipped already.
    #[error("step {number} was already {how} by {by}")]
    StepFinished {
        /// The step's number.
        number: u32,
        /// `done` or `skipped`.
        how: &'static str,
        /// Who.
        by: UserId,
    },
    /// A move back that takes a reason was asked for without one.
    #[error("{incident} goes back from {from} to {to} only with a reason: status {word} <why>")]
    ReasonNeeded {
        /// The incident.
        incident: IncidentNumber,
        /// Its status.
        from: Status,
        /// The status asked for.
        to: Status,
        /// The status's command word.
        word: &'static str,
    },
    /// The title asked for is the one it has.
    #[error("{0} already has that title")]
    SameTitle(IncidentNumber),
    /// A time that has not come yet.
    #[error("{what} {at} UTC is in the future (it is {now} UTC now)")]
    InTheFuture {
        /// What the time is for.
        what: &'static str,
        /// The time, as YYYY-MM-DD HH:MM.
        at: String,
        /// Now, the same way.
        now: String,
    },
    /// The impact would start after it was detected.
    #[error("the impact cannot start ({started} UTC) after it was detected ({detected} UTC)")]
    ImpactAfterDetection {
        /// When the impact started, as YYYY-MM-DD HH:MM.
        started: String,
        /// When it was detected, the same way.
        detected: String,
    },
    /// The services asked for are the ones it has.
    #[error("{0} already names those services")]
    SameServices(IncidentNumber),
    /// It is private already.
    #[error("{0} is private already")]
    AlreadyPrivate(IncidentNumber),
    /// The person already has that role.
    #[error("{user} is already {role} of {incident}")]
    SameRole {
        /// The incident.
        incident: IncidentNumber,
        /// The role.
        role: Role,
        /// Who has it.
        user: UserId,
    },
}

/// The state of one incident, as its timeline made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// Its number.
    pub number: IncidentNumber,
    /// Its title.
    pub title: IncidentTitle,
    /// Current severity.
    pub severity: Severity,
    /// Current status.
    pub status: Status,
    /// Who leads the response.
    pub commander: Option<UserId>,
    /// Who handles communication.
    pub comms: Option<UserId>,
    /// Who keeps the record.
    pub scribe: Option<UserId>,
    /// Who declared it.
    pub declared_by: UserId,
    /// When it was declared.
    pub declared_at: DateTime<Utc>,
    /// Who acknowledged it, and when.
    pub acknowledged: Option<(UserId, DateTime<Utc>)>,
    /// When it was last resolved, while it is resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The runbooks attached to it, with the state of their steps.
    pub runbooks: Vec<AttachedRunbook>,
    /// Its summary, impact window, services, privacy and update schedule.
    #[serde(default)]
    pub details: Details,
    /// How many events its timeline has; the store uses it to refuse lost updates.
    pub version: u32,
}

fn minute(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

impl Incident {
    /// A new incident and its first timeline event. The declarer is the first commander.
    pub fn declare(
        number: IncidentNumber,
        title: IncidentTitle,
        severity: Severity,
        by: UserId,
        at: DateTime<Utc>,
    ) -> (Incident, TimelineEvent) {
        let incident = Incident {
            number,
            title: title.clone(),
            severity,
            status: Status::Investigating,
            commander: Some(by.clone()),
            comms: None,
            scribe: None,
            declared_by: by.clone(),
            declared_at: at,
            acknowledged: None,
            resolved_at: None,
            runbooks: Vec::new(),
            details: Details::default(),
            version: 1,
        };
        let event = TimelineEvent {
            incident: number,
            seq: 1,
            at,
            actor: by,
            kind: EventKind::Declared {
                title,
                severity,
                drill: false,
                private: false,
            },
        };
        (incident, event)
    }

    /// A new incident declared as a drill, as a private one, or both; the declaration says so.
    pub fn declare_as(
        number: IncidentNumber,
        title: IncidentTitle,
        severity: Severity,
        by: UserId,
        at: DateTime<Utc>,
        flags: (bool, bool),
    ) -> (Incident, TimelineEvent) {
        let (drill_flag, private_flag) = flags;
        let (mut incident, mut event) = Incident::declare(number, title, severity, by, at);
        if let EventKind::Declared { drill, private, .. } = &mut event.kind {
            *drill = drill_flag;
            *private = private_flag;
        }
        incident.details.private = private_flag;
        (incident, event)
    }

    /// Rebuilds an incident from its whole timeline; `None` when it does not start with a declaration.
    pub fn from_timeline(events: &[TimelineEvent]) -> Option<Incident> {
        let (first, rest) = events.split_first()?;
        let EventKind::Declared {
            title,
            severity,
            drill,
            private,
        } = &first.kind
        else {
            return None;
        };
        let (mut incident, _) = Incident::declare_as(
            first.incident,
            title.clone(),
            *severity,
            first.actor.clone(),
            first.at,
            (*drill, *private),
        );
        for event in rest {
            incident.apply(event);
        }
        Some(incident)
    }

    /// The holder of a role.
    pub fn role(&self, role: Role) -> Option<&UserId> {
        match role {
            Role::Commander => self.commander.as_ref(),
            Role::Comms => self.comms.as_ref(),
            Role::Scribe => self.scribe.as_ref(),
        }
    }

    fn refuse_if_resolved(&self) -> Result<(), Refusal> {
        if self.status == Status::Resolved {
            Err(Refusal::Resolved(self.number))
        } else {
            Ok(())
        }
    }

    /// Decides a severity change.
    pub fn change_severity(
        &self,
        to: Severity,
        reason: Option<NoteText>,
    ) -> Result<EventKind, Refusal> {
        self.refuse_if_resolved()?;
        if to == self.severity {
            return Err(Refusal::SameSeverity(self.number, to));
        }
        Ok(EventKind::SeverityChanged {
            from: self.severity,
            to,
            reason,
        })
    }

    /// Decides a status change, resolving included.
    pub fn change_status(&self, to: Status, note: Option<NoteText>) -> Result<EventKind, Refusal> {
        if to == self.status {
            return Err(Refusal::SameStatus(self.number, to));
        }
        self.refuse_if_resolved()?;
        if self.status.needs_reason(to) && note.is_none() {
            return Err(Refusal::ReasonNeeded {
                incident: self.number,
                from: self.status,
                to,
                word: to.word(),
            });
        }
        if !self.status.may_become(to) {
            // Only a step back to identified is left here (from mitigated).
            let hint = "; to look for the cause again, go back to investigating";
            return Err(Refusal::BadTransition {
                incident: self.number,
                from: self.status,
                to,
                hint,
            });
        }
        Ok(EventKind::StatusChanged {
            from: self.status,
            to,
            note,
        })
    }

    /// Decides an acknowledgement.
    pub fn acknowledge(&self) -> Result<EventKind, Refusal> {
        self.refuse_if_resolved()?;
        if let Some((by, at)) = &self.acknowledged {
            return Err(Refusal::AlreadyAcknowledged {
                incident: self.number,
                by: by.clone(),
                at: at.format("%H:%M").to_string(),
            });
        }
        Ok(EventKind::Acknowledged)
    }

    /// Decides a role assignment.
    pub fn assign(&self, role: Role, user: UserId) -> Result<EventKind, Refusal> {
        self.refuse_if_resolved()?;
        let previous = self.role(role).cloned();
        if previous.as_ref() == Some(&user) {
            return Err(Refusal::SameRole {
                incident: self.number,
                role,
                user,
            });
        }
        Ok(EventKind::RoleAssigned {
            role,
            user,
            previous,
        })
    }

    /// Decides a note. Notes are welcome at any time, after resolving too (for the post-mortem).
    pub fn note(&self, text: NoteText) -> Result<EventKind, Refusal> {
        Ok(EventKind::Note { text })
    }

    /// Decides a status update. Updates are welcome at any time, after resolving too (the last
    /// word to stakeholders); `next` is when the next one is due.
    pub fn status_update(
        &self,
        text: NoteText,
        public: bool,
        next: Option<DateTime<Utc>>,
    ) -> Result<EventKind, Refusal> {
        Ok(EventKind::StatusUpdate {
            text,
            public,
            severity: self.severity,
            status: self.status,
            next_update: next,
        })
    }

    /// Decides a new title.
    pub fn change_title(&self, to: IncidentTitle) -> Result<EventKind, Refusal> {
        if to == self.title {
            return Err(Refusal::SameTitle(self.number));
        }
        Ok(EventKind::TitleChanged {
            from: self.title.clone(),
            to,
        })
    }

    /// Decides a summary; like notes, welcome after resolving too.
    pub fn write_summary(&self, text: NoteText) -> Result<EventKind, Refusal> {
        Ok(EventKind::SummaryChanged { text })
    }

    /// Decides when the impact started, as of `now`: not in the future, not after detection.
    pub fn impact_started(
        &self,
        started: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<EventKind, Refusal> {
        refuse_future("the impact start", started, now)?;
        refuse_disorder(Some(started), self.details.detected)?;
        Ok(EventKind::ImpactStarted { started })
    }

    /// Decides when the problem was detected, as of `now`: not in the future, not before the
    /// impact started.
    pub fn detected(
        &self,
        detected: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<EventKind, Refusal> {
        refuse_future("the detection", detected, now)?;
        refuse_disorder(self.details.impact_started, Some(detected))?;
        Ok(EventKind::Detected { detected })
    }

    /// Decides the affected services (already checked against the configured ones).
    pub fn name_services(&self, services: Vec<String>) -> Result<EventKind, Refusal> {
        if services == self.details.services {
            return Err(Refusal::SameServices(self.number));
        }
        Ok(EventKind::ServicesChanged { services })
    }

    /// Decides making the incident private. There is no way back: what was kept from
    /// stakeholders stays kept.
    pub fn make_private(&self) -> Result<EventKind, Refusal> {
        if self.details.private {
            return Err(Refusal::AlreadyPrivate(self.number));
        }
        Ok(EventKind::MadePrivate)
    }

    /// Decides a reopening.
    pub fn reopen(&self, reason: Option<NoteText>) -> Result<EventKind, Refusal> {
        if self.status != Status::Resolved {
            return Err(Refusal::NotResolved(self.number));
        }
        Ok(EventKind::Reopened { reason })
    }

    /// Makes an event part of this incident's state.
    pub fn apply(&mut self, event: &TimelineEvent) {
        self.version = event.seq;
        match &event.kind {
            // Action requests live in their own records; the timeline keeps their story.
            EventKind::Declared { .. }
            | EventKind::Note { .. }
            | EventKind::Quoted { .. }
            | EventKind::Paged { .. }
            | EventKind::PageDelivered { .. }
            | EventKind::Notified { .. }
            | EventKind::DeliveryFailed { .. }
            | EventKind::AlertsFiring { .. }
            | EventKind::AlertsResolved { .. }
            | EventKind::ActionRequested { .. }
            | EventKind::ActionApproved { .. }
            | EventKind::ActionDenied { .. }
            | EventKind::ActionExpired { .. }
            | EventKind::ActionCancelled { .. }
            | EventKind::ActionStarted { .. } => {}
            EventKind::StatusUpdate {
                next_update,
                public,
                ..
            } => {
                self.details.last_update = Some(event.at);
                self.details.next_update = *next_update;
                self.details.published |= *public;
            }
            EventKind::TitleChanged { to, .. } => self.title = to.clone(),
            EventKind::SummaryChanged { text } => self.details.summary = Some(text.clone()),
            EventKind::ImpactStarted { started } => self.details.impact_started = Some(*started),
            EventKind::Detected { detected } => self.details.detected = Some(*detected),
            EventKind::ServicesChanged { services } => self.details.services = services.clone(),
            EventKind::MadePrivate => self.details.private = true,
            EventKind::SeverityChanged { to, .. } => self.severity = *to,
            EventKind::StatusChanged { to, .. } => {
                self.status = *to;
                self.resolved_at = (*to == Status::Resolved).then_some(event.at);
            }
            EventKind::Acknowledged => {
                self.acknowledged = Some((event.actor.clone(), event.at));
            }
            EventKind::RoleAssigned { role, user, .. } => {
                let slot = match role {
                    Role::Commander => &mut self.commander,
                    Role::Comms => &mut self.comms,
                    Role::Scribe => &mut self.scribe,
                };
                *slot = Some(user.clone());
            }
            EventKind::Reopened { .. } => {
                self.status = Status::Investigating;
                self.resolved_at = None;
            }
            kind @ (EventKind::RunbookAttached { .. }
            | EventKind::ActionFinished { .. }
            | EventKind::StepDone { .. }
            | EventKind::StepSkipped { .. }) => {
                self.apply_runbook_event(kind, &event.actor, event.at);
            }
        }
    }

    /// The next timeline event for a decided change.
    pub fn event(&self, kind: EventKind, actor: UserId, at: DateTime<Utc>) -> TimelineEvent {
        TimelineEvent {
            incident: self.number,
            seq: self.version + 1,
            at,
            actor,
            kind,
        }
    }
}

/// Refuses a time after `now`.
fn refuse_future(what: &'static str, at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), Refusal> {
    if at > now {
        return Err(Refusal::InTheFuture {
            what,
            at: minute(at),
            now: minute(now),
        });
    }
    Ok(())
}

/// Refuses an impact that would start after it was detected, when both are known.
fn refuse_disorder(
    started: Option<DateTime<Utc>>,
    detected: Option<DateTime<Utc>>,
) -> Result<(), Refusal> {
    match (started, detected) {
        (Some(started), Some(detected)) if started > detected => {
            Err(Refusal::ImpactAfterDetection {
                started: minute(started),
                detected: minute(detected),
            })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 14, min, 0).unwrap()
    }

    fn user(name: &str) -> UserId {
        UserId::parse(name).unwrap()
    }

    fn declared() -> Incident {
        let title = IncidentTitle::parse("Checkout API returns 500s").unwrap();
        Incident::declare(IncidentNumber(7), title, Severity::P1, user("alice"), at(0)).0
    }

    fn step(incident: &mut Incident, kind: EventKind, who: &str, minute: u32) -> TimelineEvent {
        let event = incident.event(kind, user(who), at(minute));
        incident.apply(&event);
        event
    }

    #[test]
    fn incident_numbers_read_and_print_as_inc_n() {
        assert_eq!("inc-7".parse::<IncidentNumber>(), Ok(IncidentNumber(7)));
        assert_eq!(IncidentNumber(7).to_string(), "INC-7");
        assert!("INC-".parse::<IncidentNumber>().is_err());
        assert!("INC-0".parse::<IncidentNumber>().is_err());
        assert!("INC-99999999999".parse::<IncidentNumber>().is_err());
        assert!("INC-+3".parse::<IncidentNumber>().is_err());
    }

    #[test]
    fn the_declarer_is_the_first_commander() {
        let incident = declared();
        assert_eq!(incident.commander, Some(user("alice")));
        assert_eq!(incident.status, Status::Investigating);
        assert_eq!(incident.version, 1);
    }

    #[test]
    fn acknowledging_twice_names_who_did_it_first() {
        let mut incident = declared();
        let ack = incident.acknowledge().unwrap();
        step(&mut incident, ack, "bob", 3);
        let err = incident.acknowledge().unwrap_err();
        assert_eq!(
            err.to_string(),
            "INC-7 was already acknowledged by bob at 14:03 UTC"
        );
    }

    #[test]
    fn resolving_twice_is_refused_and_reopening_goes_back_to_investigating() {
        let mut incident = declared();
        let resolve = incident.change_status(Status::Resolved, None).unwrap();
        step(&mut incident, resolve, "alice", 30);
        assert_eq!(incident.resolved_at, Some(at(30)));
        let err = incident.change_status(Status::Resolved, None).unwrap_err();
        assert_eq!(err.to_string(), "INC-7 is already Resolved");
        assert_eq!(
            incident.change_severity(Severity::P0, None).unwrap_err(),
            Refusal::Resolved(IncidentNumber(7))
        );
        let reopen = incident.reopen(None).unwrap();
        step(&mut incident, reopen, "bob", 40);
        assert_eq!(incident.status, Status::Investigating);
        assert_eq!(incident.resolved_at, None);
        assert!(incident.reopen(None).is_err());
    }

    #[test]
    fn identified_falls_back_to_investigating_only_with_a_reason() {
        let mut incident = declared();
        let identified = incident.change_status(Status::Identified, None).unwrap();
        step(&mut incident, identified, "alice", 5);
        let err = incident
            .change_status(Status::Investigating, None)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "INC-7 goes back from Identified to Investigating only with a reason: status investigating <why>"
        );
        let why = NoteText::parse("the deploy was not it").unwrap();
        let back = incident
            .change_status(Status::Investigating, Some(why))
            .unwrap();
        step(&mut incident, back, "alice", 9);
        assert_eq!(incident.status, Status::Investigating);
    }

    #[test]
    fn the_impact_window_must_be_in_the_past_and_in_order() {
        let mut incident = declared();
        let err = incident.impact_started(at(20), at(10)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the impact start 2026-01-05 14:20 UTC is in the future (it is 2026-01-05 14:10 UTC now)"
        );
        let detected = incident.detected(at(3), at(10)).unwrap();
        step(&mut incident, detected, "alice", 10);
        let err = incident.impact_started(at(4), at(10)).unwrap_err();
        assert!(
            err.to_string().starts_with("the impact cannot start"),
            "{err}"
        );
        let started = incident.impact_started(at(1), at(10)).unwrap();
        step(&mut incident, started, "alice", 11);
        assert_eq!(incident.details.impact_started, Some(at(1)));
        assert_eq!(incident.details.detected, Some(at(3)));
    }

    #[test]
    fn updates_titles_services_and_privacy_are_part_of_the_state() {
        let mut incident = declared();
        let update = incident
            .status_update(NoteText::parse("rolling back").unwrap(), true, Some(at(40)))
            .unwrap();
        step(&mut incident, update, "alice", 10);
        assert_eq!(incident.details.last_update, Some(at(10)));
        assert_eq!(incident.details.next_update, Some(at(40)));
        let title = IncidentTitle::parse("Checkout down in eu-west").unwrap();
        let renamed = incident.change_title(title.clone()).unwrap();
        step(&mut incident, renamed, "alice", 11);
        assert_eq!(incident.title, title);
        assert_eq!(
            incident.change_title(title),
            Err(Refusal::SameTitle(incident.number))
        );
        let services = vec!["checkout".to_owned()];
        let named = incident.name_services(services.clone()).unwrap();
        step(&mut incident, named, "alice", 12);
        assert!(incident.name_services(services).is_err());
        let private = incident.make_private().unwrap();
        step(&mut incident, private, "alice", 13);
        assert!(incident.details.private);
        assert!(incident.make_private().is_err());
    }

    #[test]
    fn a_private_declaration_replays_private() {
        let title = IncidentTitle::parse("Leaked token").unwrap();
        let (incident, event) = Incident::declare_as(
            IncidentNumber(3),
            title,
            Severity::P1,
            user("alice"),
            at(0),
            (false, true),
        );
        assert!(incident.details.private);
        assert_eq!(Incident::from_timeline(&[event]), Some(incident));
    }

    #[test]
    fn a_timeline_replays_to_the_same_state() {
        let mut incident = declared();
        let first = Incident::declare(
            incident.number,
            incident.title.clone(),
            Severity::P1,
            user("alice"),
            at(0),
        )
        .1;
        let mut events = vec![first];
        let kinds = [
            (incident.acknowledge().unwrap(), "bob"),
            (
                EventKind::SeverityChanged {
                    from: Severity::P1,
                    to: Severity::P0,
                    reason: None,
                },
                "alice",
            ),
            (
                EventKind::RoleAssigned {
                    role: Role::Scribe,
                    user: user("carol"),
                    previous: None,
                },
                "alice",
            ),
        ];
        for (i, (kind, who)) in kinds.into_iter().enumerate() {
            events.push(step(&mut incident, kind, who, i as u32 + 1));
        }
        assert_eq!(Incident::from_timeline(&events), Some(incident));
    }
}
