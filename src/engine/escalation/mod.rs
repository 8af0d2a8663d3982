//! Escalation and reminders: timers planned with the incident, changed by what happens to it,
//! and fired (once) when due — by `warroom serve`'s scheduler, or by the console's clock.

mod fire;
mod links;
mod view;

pub use links::{Acked, LinkOutcome, LinkRefusal};
pub use view::{paging_report, paging_warnings};

use chrono::{DateTime, Utc};

use super::message::Message;
use crate::domain::{EventKind, Incident, Status, TimerKind};
use crate::engine::core::Core;
use crate::store::{Cancel, StoreError};

/// The escalation service: pages and reminders on timers.
#[derive(Clone, Copy)]
pub struct Escalation<'a> {
    pub(in crate::engine) core: &'a Core,
}

impl Core {
    /// The escalation service over this core.
    pub(in crate::engine) fn escalation(&self) -> Escalation<'_> {
        Escalation { core: self }
    }
}

impl Escalation<'_> {
    /// The timers a new incident starts with: a page per escalation level of its severity
    /// (none when it is acknowledged already: its declarer commands it), and the first
    /// reminder.
    pub(super) fn timers_for(&self, incident: &Incident) -> Vec<(TimerKind, DateTime<Utc>)> {
        let mut timers = Vec::new();
        let policy = self.core.settings.escalation.policy(incident.severity);
        let levels = if incident.acknowledged.is_some() {
            &[][..]
        } else {
            &policy.levels[..]
        };
        for (i, level) in levels.iter().enumerate() {
            let level_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
            timers.push((
                TimerKind::Page { level: level_no },
                incident.declared_at + level.after,
            ));
        }
        if let Some(every) = self.core.settings.escalation.reminder(incident.severity) {
            timers.push((TimerKind::Remind, incident.declared_at + every));
        }
        timers
    }

    /// Changes the timers after an event: acknowledging stops the pages, resolving stops
    /// everything, reopening brings reminders back, a status update restarts them, a severity
    /// change plans anew.
    pub(super) async fn replan_timers(
        &self,
        after: &Incident,
        event: &crate::domain::TimelineEvent,
    ) -> Result<(), StoreError> {
        let n = after.number;
        let now = self.core.clock.now();
        // The next reminder: when the last update promised the next one, while that is still
        // ahead; else an interval from now.
        let reminder = |from: DateTime<Utc>| {
            let promised = after.details.next_update.filter(|at| *at > from);
            let every = self.core.settings.escalation.reminder(after.severity);
            promised
                .or_else(|| every.map(|every| from + every))
                .map(|at| (TimerKind::Remind, at))
        };
        match &event.kind {
            EventKind::Acknowledged => {
                self.core.store.cancel_timers(n, Cancel::Pages).await?;
            }
            EventKind::StatusChanged {
                to: Status::Resolved,
                ..
            } => {
                self.core.store.cancel_timers(n, Cancel::All).await?;
            }
            EventKind::StatusUpdate { .. } if after.status.is_open() => {
                // The reminder clock restarts from each update: at the time it promised the
                // next one, else a whole interval from now.
                self.core.store.cancel_timers(n, Cancel::Reminders).await?;
                let timers: Vec<_> = reminder(now).into_iter().collect();
                self.core.store.schedule_timers(n, &timers).await?;
            }
            EventKind::Reopened { .. } => {
                let timers: Vec<_> = reminder(now).into_iter().collect();
                self.core.store.schedule_timers(n, &timers).await?;
            }
            EventKind::SeverityChanged { .. } => {
                // Pages and reminders follow the new severity; requests keep their timers.
                self.core.store.cancel_timers(n, Cancel::Pages).await?;
                self.core.store.cancel_timers(n, Cancel::Reminders).await?;
                let mut timers: Vec<_> = reminder(now).into_iter().collect();
                if after.acknowledged.is_none() {
                    let paged: Vec<u32> = self
                        .core
                        .store
                        .timeline(n)
                        .await?
                        .iter()
                        .filter_map(|e| match e.kind {
                            EventKind::Paged { level, .. } => Some(level),
                            _ => None,
                        })
                        .collect();
                    let policy = self.core.settings.escalation.policy(after.severity);
                    for (i, level) in policy.levels.iter().enumerate() {
                        let level_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
                        if paged.contains(&level_no) {
                            continue;
                        }
                        let due = (after.declared_at + level.after).max(now);
                        timers.push((TimerKind::Page { level: level_no }, due));
                    }
                }
                self.core.store.schedule_timers(n, &timers).await?;
            }
            _ => return Ok(()),
        }
        self.core.timers_changed.notify_waiters();
        Ok(())
    }

    /// `oncall`: who is on call now in each rotation, and until when.
    pub(in crate::engine) fn on_call(&self) -> Message {
        view::on_call(&self.core.settings.rotations, self.core.clock.now())
    }
}
