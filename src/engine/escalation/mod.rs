//! Escalation and reminders: timers planned with the incident, changed by what happens to it,
//! and fired (once) when due — by `warroom serve`'s scheduler, or by the console's clock.

mod fire;

use chrono::{DateTime, Duration, Utc};

use super::Engine;
use super::message::{Block, Message, Span};
use crate::domain::{EventKind, Incident, Status, TimerKind};
use crate::store::{Cancel, StoreError};

/// `5m`, `1h 05m`, for messages.
fn span(d: Duration) -> String {
    let minutes = d.num_minutes();
    if minutes < 60 {
        format!("{minutes}m")
    } else {
        format!("{}h {:02}m", minutes / 60, minutes % 60)
    }
}

impl Engine {
    /// The timers a new incident starts with: a page per escalation level of its severity,
    /// and the first reminder.
    pub(super) fn timers_for(&self, incident: &Incident) -> Vec<(TimerKind, DateTime<Utc>)> {
        let mut timers = Vec::new();
        let policy = self.settings.escalation.policy(incident.severity);
        for (i, level) in policy.levels.iter().enumerate() {
            let level_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
            timers.push((
                TimerKind::Page { level: level_no },
                incident.declared_at + level.after,
            ));
        }
        if let Some(every) = self.settings.escalation.reminder(incident.severity) {
            timers.push((TimerKind::Remind, incident.declared_at + every));
        }
        timers
    }

    /// Changes the timers after an event: acknowledging stops the pages, resolving stops
    /// everything, reopening brings reminders back, a severity change plans anew.
    pub(super) async fn replan_timers(
        &self,
        after: &Incident,
        event: &crate::domain::TimelineEvent,
    ) -> Result<(), StoreError> {
        let n = after.number;
        let now = self.clock.now();
        let reminder = |from: DateTime<Utc>| {
            self.settings
                .escalation
                .reminder(after.severity)
                .map(|every| (TimerKind::Remind, from + every))
        };
        match &event.kind {
            EventKind::Acknowledged => {
                self.store.cancel_timers(n, Cancel::Pages).await?;
            }
            EventKind::StatusChanged {
                to: Status::Resolved,
                ..
            } => {
                self.store.cancel_timers(n, Cancel::All).await?;
            }
            EventKind::Reopened { .. } => {
                let timers: Vec<_> = reminder(now).into_iter().collect();
                self.store.schedule_timers(n, &timers).await?;
            }
            EventKind::SeverityChanged { .. } => {
                self.store.cancel_timers(n, Cancel::All).await?;
                let mut timers: Vec<_> = reminder(now).into_iter().collect();
                if after.acknowledged.is_none() {
                    let paged: Vec<u32> = self
                        .store
                        .timeline(n)
                        .await?
                        .iter()
                        .filter_map(|e| match e.kind {
                            EventKind::Paged { level, .. } => Some(level),
                            _ => None,
                        })
                        .collect();
                    let policy = self.settings.escalation.policy(after.severity);
                    for (i, level) in policy.levels.iter().enumerate() {
                        let level_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
                        if paged.contains(&level_no) {
                            continue;
                        }
                        let due = (after.declared_at + level.after).max(now);
                        timers.push((TimerKind::Page { level: level_no }, due));
                    }
                }
                self.store.schedule_timers(n, &timers).await?;
            }
            _ => return Ok(()),
        }
        self.timers_changed.notify_waiters();
        Ok(())
    }

    /// `oncall`: who is on call now in each rotation, and until when.
    pub(super) fn on_call(&self) -> Message {
        let rotations = &self.settings.rotations;
        if rotations.is_empty() {
            return Message::text(
                "No on-call rotations are configured; see [[rotations]] in warroom config example.",
            );
        }
        let now = self.clock.now();
        let mut blocks = vec![Block::Header("On call now".into())];
        for rotation in rotations {
            let mut spans = vec![Span::Bold(rotation.name.clone()), Span::Text(": ".into())];
            match rotation.on_call(now) {
                Some(person) => spans.push(Span::Mention(person.clone())),
                None => spans.push(Span::Text("nobody (the rotation has not started)".into())),
            }
            if let Some(next) = rotation.next_handoff(now) {
                let local = next.with_timezone(&rotation.time_zone);
                spans.push(Span::Text(format!(
                    " until {} ({})",
                    local.format("%a %Y-%m-%d %H:%M"),
                    rotation.time_zone
                )));
            }
            blocks.push(Block::Text(spans));
        }
        Message { blocks }
    }
}
