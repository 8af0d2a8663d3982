//! What the JSON API reads, and nothing else: a page of incidents with filters, one incident
//! and its timeline, who is on call now and next, and the runbook library with each step's
//! effective risk. Whether a reader may see a private incident is the caller's to say
//! (`private`): the engine only filters.

use chrono::{DateTime, Utc};

use super::{Engine, EngineError};
use crate::domain::{
    Incident, IncidentNumber, Resolved, Runbook, Severity, TimelineEvent, UserId, Verdict, resolve,
};
use crate::store::Listing;

/// Which incidents a page holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentQuery {
    /// Open, resolved, or both.
    pub listing: Listing,
    /// Only of this severity.
    pub severity: Option<Severity>,
    /// Only those naming this service.
    pub service: Option<String>,
    /// Whether private incidents are shown.
    pub private: bool,
    /// Only those numbered below this (the next page after a page that ended there).
    pub before: Option<IncidentNumber>,
    /// At most this many (1 to 200).
    pub limit: usize,
}

/// The most incidents one page holds.
pub const MAX_PAGE: usize = 200;

/// One rotation now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationNow {
    /// Its name.
    pub name: String,
    /// Who is on call; `None` before it starts.
    pub now: Option<UserId>,
    /// When that ends.
    pub until: Option<DateTime<Utc>>,
    /// Who takes over then.
    pub next: Option<UserId>,
}

/// Whom a severity's first level pages now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstPage {
    /// The severity.
    pub severity: Severity,
    /// Whom its first level pages (people, groups, aliases that find nobody).
    pub paged: Resolved,
}

/// A runbook and each step's verdict (`None` for a step without code).
#[derive(Debug, Clone)]
pub struct CatalogEntry<'a> {
    /// The runbook.
    pub runbook: &'a Runbook,
    /// Each step's effective risk and whether Warroom runs it.
    pub verdicts: Vec<Option<Verdict>>,
}

impl Engine {
    /// A page of incidents, newest first.
    pub async fn incident_page(&self, query: &IncidentQuery) -> Result<Vec<Incident>, EngineError> {
        let limit = query.limit.clamp(1, MAX_PAGE);
        let mut before = query.before.map_or(u32::MAX, |n| n.0);
        let mut page = Vec::with_capacity(limit);
        // The store filters by status and severity; services and privacy are read from each
        // incident here, so a batch may keep fewer than it read: read on until full.
        let batch = (limit * 2).max(50);
        loop {
            let read = self
                .core
                .store
                .incident_page(&query.listing, query.severity, before, batch)
                .await?;
            let exhausted = read.len() < batch;
            if let Some(last) = read.last() {
                before = last.number.0;
            }
            page.extend(read.into_iter().filter(|i| {
                (query.private || !i.details.private)
                    && query
                        .service
                        .as_ref()
                        .is_none_or(|s| i.details.services.contains(s))
            }));
            if page.len() >= limit || exhausted {
                page.truncate(limit);
                return Ok(page);
            }
        }
    }

    /// One incident, if there is one.
    pub async fn incident(&self, number: IncidentNumber) -> Result<Option<Incident>, EngineError> {
        Ok(self.core.store.incident(number).await?)
    }

    /// An incident's timeline, oldest first.
    pub async fn timeline(
        &self,
        number: IncidentNumber,
    ) -> Result<Vec<TimelineEvent>, EngineError> {
        Ok(self.core.store.timeline(number).await?)
    }

    /// Each rotation at `now`, and whom each severity's first level would page.
    pub fn on_call_now(&self, now: DateTime<Utc>) -> (Vec<RotationNow>, Vec<FirstPage>) {
        let settings = &self.core.settings;
        let rotations = settings
            .rotations
            .iter()
            .map(|r| {
                let until = r.next_handoff(now);
                RotationNow {
                    name: r.name.clone(),
                    now: r.on_call(now).cloned(),
                    until,
                    next: until.and_then(|at| r.on_call(at).cloned()),
                }
            })
            .collect();
        let pages = Severity::ALL
            .iter()
            .filter_map(|severity| {
                let level = settings.escalation.policy(*severity).levels.first()?;
                let paged = resolve(&level.targets, &settings.rotations, now + level.after)
                    .or_responders(1, &settings.rotations, &settings.responders);
                Some(FirstPage {
                    severity: *severity,
                    paged,
                })
            })
            .collect();
        (rotations, pages)
    }

    /// The runbook library, each step with its verdict under this configuration's risk rules.
    pub fn runbook_catalog(&self) -> Vec<CatalogEntry<'_>> {
        let empty = std::collections::BTreeMap::new();
        let (raised, allowlist) = match &self.core.settings.actions {
            Some(actions) => (&actions.raised, actions.dangerous_allowlist.as_slice()),
            None => (&empty, &[][..]),
        };
        let policy = crate::domain::RiskPolicy {
            raised,
            dangerous_allowlist: allowlist,
        };
        self.core
            .settings
            .runbooks
            .runbooks()
            .iter()
            .map(|runbook| CatalogEntry {
                runbook,
                verdicts: runbook.steps.iter().map(|s| policy.verdict(s)).collect(),
            })
            .collect()
    }
}
