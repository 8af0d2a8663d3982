//! How long an incident took to be acknowledged, mitigated and resolved, and how such
//! durations are written.

use chrono::{DateTime, Duration, Utc};

use crate::domain::{EventKind, Status, TimelineEvent};

/// How long an incident took to reach each milestone, counted from when its impact started
/// when someone said so (`impact started 13:52`), else from its declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Durations {
    /// Until it was detected (`detected 13:58`, else the declaration), when the impact start
    /// is known.
    pub to_detect: Option<Duration>,
    /// Until the first acknowledgement.
    pub to_acknowledge: Option<Duration>,
    /// Until it was first mitigated (or resolved, when that came first).
    pub to_mitigate: Option<Duration>,
    /// Until its last resolution, while it is resolved.
    pub to_resolve: Option<Duration>,
}

/// Measures the milestones of a timeline given in `seq` order, from `impact_started` when it
/// is known, else from the declaration. Nothing is measured without a declaration; a reopened
/// incident counts its last resolution; clock skew never gives a negative time.
pub fn durations(
    timeline: &[TimelineEvent],
    impact_started: Option<DateTime<Utc>>,
    detected: Option<DateTime<Utc>>,
) -> Durations {
    let Some(declared) = timeline
        .iter()
        .find(|e| matches!(e.kind, EventKind::Declared { .. }))
        .map(|e| e.at)
    else {
        return Durations::default();
    };
    let start = impact_started.unwrap_or(declared);
    let since = |at: DateTime<Utc>| (at - start).max(Duration::zero());
    let mut result = Durations {
        to_detect: impact_started.map(|_| since(detected.unwrap_or(declared))),
        ..Durations::default()
    };
    let mut resolved_at = None;
    for event in timeline {
        match &event.kind {
            EventKind::Acknowledged => {
                result.to_acknowledge.get_or_insert(since(event.at));
            }
            EventKind::StatusChanged { to, .. } => {
                if matches!(to, Status::Mitigated | Status::Resolved) {
                    result.to_mitigate.get_or_insert(since(event.at));
                }
                resolved_at = (*to == Status::Resolved).then_some(event.at);
            }
            EventKind::Reopened { .. } => resolved_at = None,
            _ => {}
        }
    }
    result.to_resolve = resolved_at.map(since);
    result
}

/// A duration as people read it in a report: `45s`, `4m 30s`, `1h 02m 10s`, `2d 03h 04m`.
pub fn format_duration(duration: Duration) -> String {
    let total = duration.num_seconds().max(0);
    let (days, hours) = (total / 86_400, total / 3_600 % 24);
    let (minutes, seconds) = (total / 60 % 60, total % 60);
    match total {
        0..60 => format!("{seconds}s"),
        60..3_600 => format!("{minutes}m {seconds:02}s"),
        3_600..86_400 => format!("{hours}h {minutes:02}m {seconds:02}s"),
        _ => format!("{days}d {hours:02}h {minutes:02}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Severity;
    use crate::engine::postmortem::story::{Story, note, realistic, render};

    #[test]
    fn durations_are_written_the_way_people_read_them() {
        let f = |s| format_duration(Duration::seconds(s));
        assert_eq!(f(0), "0s");
        assert_eq!(f(45), "45s");
        assert_eq!(f(270), "4m 30s");
        assert_eq!(f(3_730), "1h 02m 10s");
        assert_eq!(f(2 * 86_400 + 3 * 3_600 + 4 * 60 + 59), "2d 03h 04m");
        assert_eq!(f(-5), "0s");
    }

    #[test]
    fn durations_count_from_the_declaration_to_each_first_milestone() {
        let measured = durations(&realistic().timeline, None, None);
        assert_eq!(measured.to_acknowledge, Some(Duration::seconds(270)));
        assert_eq!(measured.to_mitigate, Some(Duration::seconds(1500)));
        assert_eq!(measured.to_resolve, Some(Duration::seconds(2460)));
    }

    #[test]
    fn with_an_impact_start_durations_count_from_it_and_time_to_detect_is_measured() {
        let story = realistic();
        let declared = story.timeline[0].at;
        let started = declared - Duration::minutes(12);
        let measured = durations(&story.timeline, Some(started), None);
        // Detected at the declaration when no detection time was given.
        assert_eq!(measured.to_detect, Some(Duration::minutes(12)));
        assert_eq!(measured.to_acknowledge, Some(Duration::seconds(270 + 720)));
        let detected = declared - Duration::minutes(4);
        let measured = durations(&story.timeline, Some(started), Some(detected));
        assert_eq!(measured.to_detect, Some(Duration::minutes(8)));
        assert_eq!(measured.to_resolve, Some(Duration::seconds(2460 + 720)));
        assert_eq!(
            durations(&story.timeline, None, Some(detected)).to_detect,
            None
        );
    }

    #[test]
    fn resolving_straight_away_counts_as_mitigating_too() {
        let story = Story::declare(Severity::P2).status(60, "alice", Status::Resolved, None);
        let measured = durations(&story.timeline, None, None);
        assert_eq!(measured.to_mitigate, Some(Duration::seconds(60)));
        assert_eq!(measured.to_resolve, Some(Duration::seconds(60)));
        assert_eq!(measured.to_acknowledge, None);
    }

    #[test]
    fn a_reopened_and_resolved_again_incident_is_measured_to_the_last_resolve() {
        let story = realistic()
            .then(
                3000,
                "dave",
                EventKind::Reopened {
                    reason: note("errors are back"),
                },
            )
            .status(3600, "bob", Status::Resolved, None);
        let measured = durations(&story.timeline, None, None);
        assert_eq!(measured.to_resolve, Some(Duration::seconds(3600)));
        assert_eq!(measured.to_mitigate, Some(Duration::seconds(1500)));
        let reopened = story.then(4000, "dave", EventKind::Reopened { reason: None });
        assert_eq!(durations(&reopened.timeline, None, None).to_resolve, None);
        let text = render(&reopened);
        assert!(text.contains("| Resolved | not resolved |"), "{text}");
        assert!(text.contains("reopened 2 times"), "{text}");
    }

    #[test]
    fn a_timeline_without_a_declaration_measures_nothing() {
        let mut timeline = realistic().timeline;
        timeline.remove(0);
        assert_eq!(durations(&timeline, None, None), Durations::default());
        assert_eq!(durations(&[], None, None), Durations::default());
    }
}
