//! The status page as data: what the public may see of the incidents, built from the store by
//! [`Engine::status_page`] and shown by `src/http/status.rs` as HTML, JSON and Atom.
//!
//! Publishing is explicit: an incident is on the page only once someone posted a public
//! update for it (`update public …`), and never while it is private. Only public updates'
//! text is shown; notes, the timeline and private updates never are. A service's state is
//! the worst impact of the published open incidents that name it.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{Engine, EngineError};
use crate::domain::{EventKind, Incident, Service, Severity, Status, TimelineEvent};

/// How `serve` shows the status page (`[status_page]`); `None` in the settings when it is off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusPageSettings {
    /// The page's heading and the feed's title.
    pub title: String,
    /// How many days of resolved incidents it shows.
    pub history_days: u32,
}

/// How a service is doing, from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    /// Nothing published is wrong with it.
    Operational,
    /// Slower or partly failing, with a workaround (P2, P3, or any mitigated incident).
    DegradedPerformance,
    /// Failing for part of its users (P1).
    PartialOutage,
    /// Down (P0).
    MajorOutage,
}

impl ServiceState {
    /// What an open incident of this severity and status does to the services it names.
    fn of(severity: Severity, status: Status) -> ServiceState {
        match (status, severity) {
            (Status::Resolved, _) => ServiceState::Operational,
            (Status::Mitigated, _) | (_, Severity::P2 | Severity::P3) => {
                ServiceState::DegradedPerformance
            }
            (_, Severity::P1) => ServiceState::PartialOutage,
            (_, Severity::P0) => ServiceState::MajorOutage,
        }
    }

    /// The words the page shows.
    pub fn label(self) -> &'static str {
        match self {
            ServiceState::Operational => "Operational",
            ServiceState::DegradedPerformance => "Degraded performance",
            ServiceState::PartialOutage => "Partial outage",
            ServiceState::MajorOutage => "Major outage",
        }
    }
}

/// The whole page.
#[derive(Debug, Clone, Serialize)]
pub struct StatusPage {
    /// Its heading.
    pub title: String,
    /// When it was made.
    pub generated_at: DateTime<Utc>,
    /// The worst state of any service, or of any open incident when no service is listed.
    pub overall: ServiceState,
    /// The configured services and their states, in the configuration's order.
    pub services: Vec<ServiceView>,
    /// Published incidents still open, newest first.
    pub open: Vec<PublicIncident>,
    /// Published incidents resolved within the history, newest first.
    pub past: Vec<PublicIncident>,
    /// How many days `past` covers.
    pub history_days: u32,
}

/// One service on the page.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceView {
    /// Its name in commands.
    pub name: String,
    /// Its name on the page.
    pub title: String,
    /// How it is doing.
    pub state: ServiceState,
}

/// What the page shows of one incident.
#[derive(Debug, Clone, Serialize)]
pub struct PublicIncident {
    /// `INC-7`.
    pub number: String,
    /// Its title.
    pub title: String,
    /// `P1`.
    pub severity: String,
    /// Its status now.
    pub status: Status,
    /// What it does to the services it names.
    pub impact: ServiceState,
    /// The services it names, by their titles.
    pub services: Vec<String>,
    /// When it was declared.
    pub declared_at: DateTime<Utc>,
    /// When it was resolved, while it is.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Its public updates, newest first.
    pub updates: Vec<PublicUpdate>,
}

/// One public update.
#[derive(Debug, Clone, Serialize)]
pub struct PublicUpdate {
    /// Where it is on the incident's timeline (for ids that do not change).
    pub seq: u32,
    /// When it was posted.
    pub at: DateTime<Utc>,
    /// The status it was posted in.
    pub status: Status,
    /// What it said.
    pub text: String,
}

/// What a hosted status page is told of an incident: where it stands, what it does to the
/// services it names, and the public update's text when there is a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The incident.
    pub number: crate::domain::IncidentNumber,
    /// Its title.
    pub title: String,
    /// Its severity now.
    pub severity: Severity,
    /// Its status now.
    pub status: Status,
    /// The services it names, each with the state it gives them now.
    pub services: Vec<(String, ServiceState)>,
    /// The new public update's text, if this change brought one.
    pub text: Option<String>,
}

impl Published {
    /// What `incident` tells a status page now, with `text` when a public update brought one.
    pub fn of(incident: &Incident, text: Option<String>) -> Published {
        let state = ServiceState::of(incident.severity, incident.status);
        Published {
            number: incident.number,
            title: incident.title.to_string(),
            severity: incident.severity,
            status: incident.status,
            services: incident
                .details
                .services
                .iter()
                .map(|s| (s.clone(), state))
                .collect(),
            text,
        }
    }
}

impl Engine {
    /// The status page as it stands now; `None` when `[status_page]` is off.
    pub async fn status_page(&self) -> Result<Option<StatusPage>, EngineError> {
        let Some(settings) = &self.core.settings.status_page else {
            return Ok(None);
        };
        let now = self.core.clock.now();
        let since = now - Duration::days(i64::from(settings.history_days));
        let (incidents, updates) = self.core.store.published_since(since).await?;
        Ok(Some(build(
            settings,
            &self.core.settings.services,
            &incidents,
            &updates,
            now,
        )))
    }
}

/// Builds the page from the incidents open or resolved since the history's start, and their
/// status-update events (any order).
pub fn build(
    settings: &StatusPageSettings,
    services: &[Service],
    incidents: &[Incident],
    updates: &[TimelineEvent],
    now: DateTime<Utc>,
) -> StatusPage {
    let title_of = |name: &String| {
        services
            .iter()
            .find(|s| &s.name == name)
            .map_or_else(|| name.clone(), |s| s.title.clone())
    };
    let mut published: Vec<(&Incident, PublicIncident)> = incidents
        .iter()
        .filter(|i| !i.details.private)
        .filter_map(|incident| {
            let mut public: Vec<PublicUpdate> = updates
                .iter()
                .filter(|e| e.incident == incident.number)
                .filter_map(|e| match &e.kind {
                    EventKind::StatusUpdate {
                        text,
                        public: true,
                        status,
                        ..
                    } => Some(PublicUpdate {
                        seq: e.seq,
                        at: e.at,
                        status: *status,
                        text: text.to_string(),
                    }),
                    _ => None,
                })
                .collect();
            if public.is_empty() {
                return None;
            }
            public.sort_by_key(|u| std::cmp::Reverse(u.seq));
            Some((
                incident,
                PublicIncident {
                    number: incident.number.to_string(),
                    title: incident.title.to_string(),
                    severity: incident.severity.to_string(),
                    status: incident.status,
                    impact: ServiceState::of(incident.severity, incident.status),
                    services: incident.details.services.iter().map(title_of).collect(),
                    declared_at: incident.declared_at,
                    resolved_at: incident.resolved_at,
                    updates: public,
                },
            ))
        })
        .collect();
    published.sort_by_key(|(incident, _)| std::cmp::Reverse(incident.number));
    let open_incidents: Vec<&Incident> = published
        .iter()
        .filter(|(i, _)| i.status.is_open())
        .map(|(i, _)| *i)
        .collect();
    let service_views: Vec<ServiceView> = services
        .iter()
        .map(|service| ServiceView {
            name: service.name.clone(),
            title: service.title.clone(),
            state: open_incidents
                .iter()
                .filter(|i| i.details.services.contains(&service.name))
                .map(|i| ServiceState::of(i.severity, i.status))
                .max()
                .unwrap_or(ServiceState::Operational),
        })
        .collect();
    let overall = open_incidents
        .iter()
        .map(|i| ServiceState::of(i.severity, i.status))
        .max()
        .unwrap_or(ServiceState::Operational);
    let (open, past) = published
        .into_iter()
        .map(|(_, view)| view)
        .partition(|view| view.status.is_open());
    StatusPage {
        title: settings.title.clone(),
        generated_at: now,
        overall,
        services: service_views,
        open,
        past,
        history_days: settings.history_days,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::{IncidentNumber, IncidentTitle, NoteText, UserId};

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 14, minute, 0).unwrap()
    }

    fn settings() -> StatusPageSettings {
        StatusPageSettings {
            title: "Acme status".into(),
            history_days: 90,
        }
    }

    fn service(name: &str, title: &str) -> Service {
        Service {
            name: name.into(),
            title: title.into(),
            owners: Vec::new(),
            runbooks: Vec::new(),
        }
    }

    /// An incident and its timeline after `kinds`, each a minute apart.
    fn incident(
        n: u32,
        severity: Severity,
        kinds: Vec<EventKind>,
    ) -> (Incident, Vec<TimelineEvent>) {
        let title = IncidentTitle::parse(&format!("Incident {n}")).unwrap();
        let alice = UserId::parse("alice").unwrap();
        let (mut incident, first) =
            Incident::declare(IncidentNumber(n), title, severity, alice.clone(), at(0));
        let mut events = vec![first];
        for (i, kind) in kinds.into_iter().enumerate() {
            let event = incident.event(kind, alice.clone(), at(i as u32 + 1));
            incident.apply(&event);
            events.push(event);
        }
        (incident, events)
    }

    fn update(text: &str, public: bool) -> EventKind {
        EventKind::StatusUpdate {
            text: NoteText::parse(text).unwrap(),
            public,
            severity: Severity::P1,
            status: Status::Investigating,
            next_update: None,
        }
    }

    fn services(names: &[&str]) -> EventKind {
        EventKind::ServicesChanged {
            services: names.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn only_published_incidents_show_and_private_ones_never() {
        let (published, mut events) = incident(
            1,
            Severity::P1,
            vec![
                services(&["checkout"]),
                update("internal", false),
                update("We are on it.", true),
            ],
        );
        let (unpublished, more) = incident(2, Severity::P0, vec![update("internal only", false)]);
        events.extend(more);
        let (private, more) = incident(
            3,
            Severity::P0,
            vec![update("Rotating keys.", true), EventKind::MadePrivate],
        );
        events.extend(more);
        let page = build(
            &settings(),
            &[service("checkout", "Checkout"), service("search", "Search")],
            &[published, unpublished, private],
            &events,
            at(30),
        );
        assert_eq!(page.open.len(), 1);
        let shown = &page.open[0];
        assert_eq!(shown.number, "INC-1");
        assert_eq!(shown.services, ["Checkout"]);
        let texts: Vec<&str> = shown.updates.iter().map(|u| u.text.as_str()).collect();
        assert_eq!(texts, ["We are on it."]);
        assert_eq!(page.services[0].state, ServiceState::PartialOutage);
        assert_eq!(page.services[1].state, ServiceState::Operational);
        // The unpublished P0 and the private one change nothing.
        assert_eq!(page.overall, ServiceState::PartialOutage);
        let json = serde_json::to_string(&page).unwrap();
        assert!(
            !json.contains("internal") && !json.contains("Rotating"),
            "{json}"
        );
    }

    #[test]
    fn resolved_incidents_are_past_and_mitigated_ones_only_degrade() {
        let (resolved, mut events) = incident(
            1,
            Severity::P0,
            vec![
                services(&["checkout"]),
                update("Down.", true),
                EventKind::StatusChanged {
                    from: Status::Investigating,
                    to: Status::Resolved,
                    note: None,
                },
            ],
        );
        let (mitigated, more) = incident(
            2,
            Severity::P0,
            vec![
                services(&["checkout"]),
                update("Rolled back.", true),
                EventKind::StatusChanged {
                    from: Status::Investigating,
                    to: Status::Mitigated,
                    note: None,
                },
            ],
        );
        events.extend(more);
        let page = build(
            &settings(),
            &[service("checkout", "Checkout")],
            &[resolved, mitigated],
            &events,
            at(30),
        );
        assert_eq!(page.past.len(), 1);
        assert_eq!(page.past[0].number, "INC-1");
        assert_eq!(page.open[0].impact, ServiceState::DegradedPerformance);
        assert_eq!(page.services[0].state, ServiceState::DegradedPerformance);
    }
}
