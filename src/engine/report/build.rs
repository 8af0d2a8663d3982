//! The report as data, built by a pure function from incidents and their timelines: counts by
//! severity and service, the durations an on-call review looks at (p50 and p90), the pages
//! each person took (night pages apart), runbook use and step completion, and actions by risk
//! and outcome.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::{EventKind, Incident, RequestId, Severity, Status, StepState, TimelineEvent};

/// A page whose local time is at or after this hour, or before [`NIGHT_ENDS`], is a night page.
pub const NIGHT_STARTS: u32 = 22;
/// See [`NIGHT_STARTS`].
pub const NIGHT_ENDS: u32 = 7;

/// What the report covers.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Incidents declared at or after this.
    pub since: DateTime<Utc>,
    /// And before this.
    pub until: DateTime<Utc>,
    /// The zone whose clock says what a night is.
    pub zone: Tz,
    /// Report on drills (the console's rehearsals) instead of real incidents.
    pub drills: bool,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The first instant covered.
    pub since: DateTime<Utc>,
    /// The instant after the last one covered.
    pub until: DateTime<Utc>,
    /// The zone night pages are counted in.
    pub zone: String,
    /// Whether this is a report on drills.
    pub on_drills: bool,
    /// Incidents declared in the window (drills, in a report on drills), counted below.
    pub incidents: usize,
    /// Of them, still open.
    pub open: usize,
    /// The others declared in the window (drills, or in a report on drills real incidents),
    /// not counted anywhere else.
    pub left_out: usize,
    /// Incidents by their severity now, P0 first; every severity is listed.
    pub by_severity: Vec<Count>,
    /// Incidents by the services they named, most first; `(none)` for those naming none.
    pub by_service: Vec<Count>,
    /// Time to detect, acknowledge, mitigate and resolve.
    pub durations: Vec<DurationFigures>,
    /// Pages by person, most first.
    pub pages: Vec<PersonLoad>,
    /// Runbooks attached, most used first.
    pub runbooks: Vec<RunbookUse>,
    /// Actions by risk, then outcome.
    pub actions: Vec<ActionCount>,
    /// Every incident counted, newest first.
    pub list: Vec<IncidentLine>,
}

/// A label and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    /// What is counted (`P1`, `checkout`).
    pub name: String,
    /// How many.
    pub count: usize,
}

/// One duration over the incidents that have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DurationFigures {
    /// `detect`, `acknowledge`, `mitigate` or `resolve`.
    pub name: &'static str,
    /// What it is measured from and to, in words.
    pub meaning: &'static str,
    /// How many incidents have it.
    pub count: usize,
    /// Median, in seconds (nearest rank); `None` when no incident has it.
    pub p50_secs: Option<i64>,
    /// 90th percentile, in seconds (nearest rank).
    pub p90_secs: Option<i64>,
}

/// The pages one person took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonLoad {
    /// Who.
    pub person: String,
    /// Pages in all.
    pub pages: usize,
    /// Of them, at night (22:00 to 07:00 in the report's zone).
    pub night: usize,
    /// The incidents they were paged for.
    pub incidents: usize,
}

/// How one runbook was used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunbookUse {
    /// Its id.
    pub runbook: String,
    /// Incidents it was attached to.
    pub attached: usize,
    /// Steps over those attachments.
    pub steps: usize,
    /// Of them, done.
    pub done: usize,
    /// Of them, skipped.
    pub skipped: usize,
}

/// Actions of one risk with one outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionCount {
    /// `read`, `write` or `dangerous`.
    pub risk: &'static str,
    /// `succeeded`, `failed`, `timed_out`, `drill`, `denied`, `expired`, `cancelled`, `waiting`.
    pub outcome: &'static str,
    /// How many.
    pub count: usize,
}

/// One incident in the report's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentLine {
    /// `INC-7`.
    pub number: String,
    /// Its title, or `(private)`.
    pub title: String,
    /// Its severity now.
    pub severity: Severity,
    /// Its status now.
    pub status: String,
    /// When it was declared.
    pub declared_at: DateTime<Utc>,
    /// From its start (the impact's, else the declaration) to its resolution, in seconds.
    pub resolve_secs: Option<i64>,
}

/// The report over `window` from `incidents` (each with the events of its timeline that the
/// report reads; others are ignored).
pub fn build(window: Window, incidents: &[(Incident, Vec<TimelineEvent>)]) -> Report {
    let mut report = Report {
        since: window.since,
        until: window.until,
        zone: window.zone.name().to_owned(),
        on_drills: window.drills,
        incidents: 0,
        open: 0,
        left_out: 0,
        by_severity: Vec::new(),
        by_service: Vec::new(),
        durations: Vec::new(),
        pages: Vec::new(),
        runbooks: Vec::new(),
        actions: Vec::new(),
        list: Vec::new(),
    };
    let mut severities: BTreeMap<Severity, usize> = BTreeMap::new();
    let mut services: HashMap<String, usize> = HashMap::new();
    let mut spans: [Vec<i64>; 4] = Default::default();
    let mut people: HashMap<String, (usize, usize, std::collections::BTreeSet<u32>)> =
        HashMap::new();
    let mut runbooks: HashMap<String, RunbookUse> = HashMap::new();
    let mut actions: BTreeMap<(&'static str, &'static str), usize> = BTreeMap::new();
    for (incident, events) in incidents {
        if is_drill(events) != window.drills {
            report.left_out += 1;
            continue;
        }
        report.incidents += 1;
        if incident.status.is_open() {
            report.open += 1;
        }
        *severities.entry(incident.severity).or_default() += 1;
        if incident.details.services.is_empty() {
            *services.entry("(none)".to_owned()).or_default() += 1;
        }
        for service in &incident.details.services {
            *services.entry(service.clone()).or_default() += 1;
        }
        let times = Times::of(incident, events);
        for (figures, span) in spans.iter_mut().zip(times.spans()) {
            figures.extend(span);
        }
        count_pages(incident, events, window.zone, &mut people);
        count_runbooks(incident, &mut runbooks);
        count_actions(events, &mut actions);
        report.list.push(IncidentLine {
            number: incident.number.to_string(),
            title: if incident.details.private {
                "(private)".to_owned()
            } else {
                incident.title.as_str().to_owned()
            },
            severity: incident.severity,
            status: incident.status.word().to_owned(),
            declared_at: incident.declared_at,
            resolve_secs: times.spans()[3],
        });
    }
    report.by_severity = [Severity::P0, Severity::P1, Severity::P2, Severity::P3]
        .iter()
        .map(|s| Count {
            name: s.to_string(),
            count: severities.get(s).copied().unwrap_or(0),
        })
        .collect();
    report.by_service = most_first(services);
    report.durations = DURATIONS
        .iter()
        .zip(spans.iter_mut())
        .map(|((name, meaning), values)| {
            values.sort_unstable();
            DurationFigures {
                name,
                meaning,
                count: values.len(),
                p50_secs: nearest_rank(values, 50),
                p90_secs: nearest_rank(values, 90),
            }
        })
        .collect();
    let mut pages: Vec<PersonLoad> = people
        .into_iter()
        .map(|(person, (pages, night, incidents))| PersonLoad {
            person,
            pages,
            night,
            incidents: incidents.len(),
        })
        .collect();
    pages.sort_by(|a, b| b.pages.cmp(&a.pages).then_with(|| a.person.cmp(&b.person)));
    report.pages = pages;
    let mut runbooks: Vec<RunbookUse> = runbooks.into_values().collect();
    runbooks.sort_by(|a, b| {
        b.attached
            .cmp(&a.attached)
            .then_with(|| a.runbook.cmp(&b.runbook))
    });
    report.runbooks = runbooks;
    report.actions = actions
        .into_iter()
        .map(|((risk, outcome), count)| ActionCount {
            risk,
            outcome,
            count,
        })
        .collect();
    report
        .list
        .sort_by_key(|line| std::cmp::Reverse(line.declared_at));
    report
}

/// The durations, in the order of [`Times::spans`], with what each measures.
const DURATIONS: [(&str, &str); 4] = [
    ("detect", "impact start to detection (else declaration)"),
    ("acknowledge", "declaration to first acknowledgement"),
    ("mitigate", "start to first mitigation"),
    ("resolve", "start to resolution"),
];

/// The moments of one incident the durations are measured between.
struct Times {
    declared: DateTime<Utc>,
    impact: Option<DateTime<Utc>>,
    detected: Option<DateTime<Utc>>,
    acknowledged: Option<DateTime<Utc>>,
    mitigated: Option<DateTime<Utc>>,
    resolved: Option<DateTime<Utc>>,
}

impl Times {
    fn of(incident: &Incident, events: &[TimelineEvent]) -> Times {
        let mitigated = events.iter().find_map(|e| match &e.kind {
            EventKind::StatusChanged {
                to: Status::Mitigated | Status::Resolved,
                ..
            } => Some(e.at),
            _ => None,
        });
        Times {
            declared: incident.declared_at,
            impact: incident.details.impact_started,
            detected: incident.details.detected,
            acknowledged: incident.acknowledged.as_ref().map(|(_, at)| *at),
            mitigated,
            resolved: incident.resolved_at.filter(|_| !incident.status.is_open()),
        }
    }

    /// Detect, acknowledge, mitigate and resolve, in seconds; "start" is the impact's start
    /// when it was recorded, else the declaration. An incident was detected when someone said
    /// so, else when it was declared (as its post-mortem counts it).
    fn spans(&self) -> [Option<i64>; 4] {
        let start = self.impact.unwrap_or(self.declared);
        let detected = Some(self.detected.unwrap_or(self.declared));
        let secs = |from: DateTime<Utc>, to: Option<DateTime<Utc>>| {
            to.map(|to| (to - from).num_seconds().max(0))
        };
        [
            self.impact.and_then(|impact| secs(impact, detected)),
            secs(self.declared, self.acknowledged),
            secs(start, self.mitigated),
            secs(start, self.resolved),
        ]
    }
}

fn is_drill(events: &[TimelineEvent]) -> bool {
    events
        .iter()
        .any(|e| matches!(e.kind, EventKind::Declared { drill: true, .. }))
}

/// Each person of each `Paged` event is one page; at night when its local hour is 22 to 06.
fn count_pages(
    incident: &Incident,
    events: &[TimelineEvent],
    zone: Tz,
    people: &mut HashMap<String, (usize, usize, std::collections::BTreeSet<u32>)>,
) {
    for event in events {
        let EventKind::Paged { people: paged, .. } = &event.kind else {
            continue;
        };
        let night = is_night(event.at, zone);
        for person in paged {
            let load = people.entry(person.as_str().to_owned()).or_default();
            load.0 += 1;
            load.1 += usize::from(night);
            load.2.insert(incident.number.0);
        }
    }
}

/// Whether `at` is 22:00 to 06:59 on `zone`'s clock.
pub fn is_night(at: DateTime<Utc>, zone: Tz) -> bool {
    let hour = at.with_timezone(&zone).hour();
    !(NIGHT_ENDS..NIGHT_STARTS).contains(&hour)
}

fn count_runbooks(incident: &Incident, runbooks: &mut HashMap<String, RunbookUse>) {
    for attached in &incident.runbooks {
        let id = attached.runbook.id.clone();
        let usage = runbooks.entry(id.clone()).or_insert_with(|| RunbookUse {
            runbook: id,
            attached: 0,
            steps: 0,
            done: 0,
            skipped: 0,
        });
        usage.attached += 1;
        usage.steps += attached.states.len();
        for state in &attached.states {
            match state {
                StepState::Done { .. } => usage.done += 1,
                StepState::Skipped { .. } => usage.skipped += 1,
                StepState::Pending => {}
            }
        }
    }
}

/// Each requested action, by its risk and what became of it (the last word on it).
fn count_actions(
    events: &[TimelineEvent],
    actions: &mut BTreeMap<(&'static str, &'static str), usize>,
) {
    let mut requests: Vec<(RequestId, &'static str, &'static str)> = Vec::new();
    for event in events {
        let (request, outcome) = match &event.kind {
            EventKind::ActionRequested { request, risk, .. } => {
                requests.push((*request, risk.name(), "waiting"));
                continue;
            }
            EventKind::ActionFinished {
                request,
                exit_code,
                timed_out,
                drill,
                ..
            } => (
                request,
                match (drill, timed_out, exit_code) {
                    (true, _, _) => "drill",
                    (false, true, _) => "timed_out",
                    (false, false, Some(0)) => "succeeded",
                    _ => "failed",
                },
            ),
            EventKind::ActionDenied { request, .. } => (request, "denied"),
            EventKind::ActionExpired { request } => (request, "expired"),
            EventKind::ActionCancelled { request } => (request, "cancelled"),
            _ => continue,
        };
        if let Some(entry) = requests.iter_mut().find(|(id, _, _)| id == request) {
            entry.2 = outcome;
        }
    }
    for (_, risk, outcome) in requests {
        *actions.entry((risk, outcome)).or_default() += 1;
    }
}

fn most_first(counts: HashMap<String, usize>) -> Vec<Count> {
    let mut counts: Vec<Count> = counts
        .into_iter()
        .map(|(name, count)| Count { name, count })
        .collect();
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    counts
}

/// The `p`th percentile of sorted `values` by nearest rank.
fn nearest_rank(values: &[i64], p: usize) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let rank = (p * values.len()).div_ceil(100).max(1);
    values.get(rank - 1).copied()
}

/// A span of seconds as people read it: `45 s`, `12 min`, `3 h 05 min`, `2 d 4 h`.
pub fn human(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
        s => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::domain::{IncidentNumber, IncidentTitle, Risk, UserId};

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, h, m, 0)
            .single()
            .expect("a time")
    }

    fn user(name: &str) -> UserId {
        UserId::parse(name).expect("a user")
    }

    /// An incident declared at `declared`, with its declaration event (a drill or not).
    fn incident(
        n: u32,
        severity: Severity,
        declared: DateTime<Utc>,
        drill: bool,
    ) -> (Incident, Vec<TimelineEvent>) {
        let (incident, mut event) = Incident::declare_as(
            IncidentNumber(n),
            IncidentTitle::parse(&format!("Incident {n} | pipes")).expect("a title"),
            severity,
            user("alice"),
            declared,
            (drill, false),
        );
        event.incident = IncidentNumber(n);
        (incident, vec![event])
    }

    fn event(n: u32, at: DateTime<Utc>, kind: EventKind) -> TimelineEvent {
        TimelineEvent {
            incident: IncidentNumber(n),
            seq: 2,
            at,
            actor: user("alice"),
            kind,
        }
    }

    fn window() -> Window {
        Window {
            since: at(0, 0),
            until: at(23, 59),
            zone: chrono_tz::Europe::Berlin,
            drills: false,
        }
    }

    #[test]
    fn durations_pages_actions_and_counts_come_from_the_timelines() {
        // INC-1: P1, impact 09:50, detected 10:00 (declared then), acknowledged 10:04,
        // mitigated 10:30, resolved 11:00; paged bob at 10:00 (11:00 in Berlin) and at 22:30 UTC.
        let (mut one, mut one_events) = incident(1, Severity::P1, at(10, 0), false);
        one.details.impact_started = Some(at(9, 50));
        one.details.detected = Some(at(10, 0));
        one.details.services = vec!["checkout".into(), "payments".into()];
        one.acknowledged = Some((user("bob"), at(10, 4)));
        one.status = Status::Resolved;
        one.resolved_at = Some(at(11, 0));
        let paged = |when| {
            event(
                1,
                when,
                EventKind::Paged {
                    level: 1,
                    people: vec![user("bob")],
                    groups: Vec::new(),
                    unresolved: Vec::new(),
                    late_secs: 0,
                    timer: None,
                },
            )
        };
        one_events.extend([
            paged(at(10, 0)),
            paged(at(22, 30)),
            event(
                1,
                at(10, 30),
                EventKind::StatusChanged {
                    from: Status::Investigating,
                    to: Status::Mitigated,
                    note: None,
                },
            ),
            event(
                1,
                at(10, 10),
                EventKind::ActionRequested {
                    request: RequestId(1),
                    step: 2,
                    title: "Roll back".into(),
                    command: "deploy rollback".into(),
                    risk: Risk::Write,
                },
            ),
            event(
                1,
                at(10, 20),
                EventKind::ActionFinished {
                    request: RequestId(1),
                    exit_code: Some(0),
                    timed_out: false,
                    output: String::new(),
                    step: Some(2),
                    drill: false,
                },
            ),
            event(
                1,
                at(10, 12),
                EventKind::ActionRequested {
                    request: RequestId(2),
                    step: 1,
                    title: "Look".into(),
                    command: "kubectl get pods".into(),
                    risk: Risk::Read,
                },
            ),
            event(
                1,
                at(10, 13),
                EventKind::ActionDenied {
                    request: RequestId(2),
                    reason: None,
                },
            ),
        ]);
        // INC-2: P3, private, still open, acknowledged after 30 minutes, no impact start.
        let (mut two, two_events) = incident(2, Severity::P3, at(12, 0), false);
        two.details.private = true;
        two.acknowledged = Some((user("carol"), at(12, 30)));
        // INC-3: a drill, left out of everything but its count.
        let (three, three_events) = incident(3, Severity::P0, at(13, 0), true);

        let report = build(
            window(),
            &[(one, one_events), (two, two_events), (three, three_events)],
        );
        assert_eq!((report.incidents, report.open, report.left_out), (2, 1, 1));
        let severities: Vec<(String, usize)> = report
            .by_severity
            .iter()
            .map(|c| (c.name.clone(), c.count))
            .collect();
        assert_eq!(
            severities,
            [
                ("P0".into(), 0),
                ("P1".into(), 1),
                ("P2".into(), 0),
                ("P3".into(), 1)
            ]
        );
        let services: Vec<&str> = report.by_service.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(services, ["(none)", "checkout", "payments"]);
        let d = |name: &str| {
            let f = report
                .durations
                .iter()
                .find(|d| d.name == name)
                .expect(name);
            (f.count, f.p50_secs, f.p90_secs)
        };
        assert_eq!(d("detect"), (1, Some(600), Some(600)));
        // 4 minutes and 30 minutes: the median by nearest rank is the lower one.
        assert_eq!(d("acknowledge"), (2, Some(240), Some(1800)));
        // From the impact's start (09:50), not the declaration.
        assert_eq!(d("mitigate"), (1, Some(2400), Some(2400)));
        assert_eq!(d("resolve"), (1, Some(4200), Some(4200)));
        // 10:00 UTC is 11:00 in Berlin (day); 22:30 UTC is 23:30 (night).
        assert_eq!(
            report.pages,
            [PersonLoad {
                person: "bob".into(),
                pages: 2,
                night: 1,
                incidents: 1,
            }]
        );
        let actions: Vec<(&str, &str, usize)> = report
            .actions
            .iter()
            .map(|a| (a.risk, a.outcome, a.count))
            .collect();
        assert_eq!(actions, [("read", "denied", 1), ("write", "succeeded", 1)]);
        // Newest first; a private incident's title is not shown.
        assert_eq!(report.list[0].number, "INC-2");
        assert_eq!(report.list[0].title, "(private)");
        assert_eq!(report.list[1].resolve_secs, Some(4200));

        let md = super::super::markdown(&report);
        assert!(
            md.contains(
                "| INC-1 | P1 | resolved | 2026-01-05 10:00 | 1 h 10 min | Incident 1 \\| pipes |"
            ),
            "{md}"
        );
        assert!(
            md.contains("2 incidents (1 still open); 1 drill left out"),
            "{md}"
        );
        assert!(md.contains("| acknowledge | 2 | 4 min | 30 min |"), "{md}");
        let html = super::super::html(&report);
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("<svg role=\"img\""), "{html}");
        assert!(html.contains("Incident 1 | pipes"), "{html}");
    }

    #[test]
    fn a_report_on_drills_counts_the_drills_and_leaves_real_incidents_out() {
        let drills = Window {
            drills: true,
            ..window()
        };
        let report = build(
            drills,
            &[
                incident(1, Severity::P1, at(10, 0), false),
                incident(2, Severity::P2, at(11, 0), true),
            ],
        );
        assert_eq!((report.incidents, report.left_out), (1, 1));
        assert_eq!(report.list[0].number, "INC-2");
        assert!(
            super::super::markdown(&report)
                .contains("1 drill (1 still open); 1 real incident left out")
        );
    }

    #[test]
    fn nearest_rank_percentiles_and_nights() {
        assert_eq!(nearest_rank(&[], 50), None);
        assert_eq!(nearest_rank(&[7], 90), Some(7));
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&ten, 50), Some(5));
        assert_eq!(nearest_rank(&ten, 90), Some(9));
        let utc = chrono_tz::UTC;
        assert!(is_night(at(22, 0), utc));
        assert!(is_night(at(6, 59), utc));
        assert!(!is_night(at(7, 0), utc));
        assert!(!is_night(at(21, 59), utc));
        assert_eq!(human(59), "59 s");
        assert_eq!(human(3 * 3600 + 5 * 60), "3 h 05 min");
        assert_eq!(human(2 * 86_400 + 4 * 3600), "2 d 4 h");
        let _ = Duration::zero();
    }
}
