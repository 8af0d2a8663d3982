//! The report across incidents (`warroom report`): the incidents declared in a window and the
//! events of their timelines that it reads, from the store in one transaction, made into a
//! [`Report`] by the pure [`build`], then written as Markdown, HTML or JSON (`render.rs`).

mod build;
mod render;

pub use build::{
    ActionCount, Count, DurationFigures, IncidentLine, NIGHT_ENDS, NIGHT_STARTS, PersonLoad,
    Report, RunbookUse, Window, build, human, is_night,
};
pub use render::{html, markdown};

use super::{Engine, EngineError};

impl Engine {
    /// The report over `window`.
    pub async fn report(&self, window: Window) -> Result<Report, EngineError> {
        let (incidents, events) = self
            .core
            .store
            .declared_between(window.since, window.until)
            .await?;
        let mut timelines: Vec<(crate::domain::Incident, Vec<crate::domain::TimelineEvent>)> =
            incidents.into_iter().map(|i| (i, Vec::new())).collect();
        // Both are in incident order: the events are dealt out in one pass.
        let mut at = 0;
        for event in events {
            while at < timelines.len() && timelines[at].0.number < event.incident {
                at += 1;
            }
            if let Some((incident, timeline)) = timelines.get_mut(at)
                && incident.number == event.incident
            {
                timeline.push(event);
            }
        }
        Ok(build(window, &timelines))
    }
}
