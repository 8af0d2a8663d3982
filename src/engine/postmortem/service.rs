//! The post-mortem service: renders an incident's draft from its timeline, as Markdown for the
//! command line and as a file posted in the chat.

use crate::domain::IncidentNumber;
use crate::engine::EngineError;
use crate::engine::core::Core;
use crate::engine::effect::{Effect, RoomTarget};
use crate::engine::message::FileUpload;

/// The post-mortem service.
#[derive(Clone, Copy)]
pub struct Postmortems<'a> {
    pub(in crate::engine) core: &'a Core,
}

impl Core {
    /// The post-mortem service over this core.
    pub(in crate::engine) fn postmortems(&self) -> Postmortems<'_> {
        Postmortems { core: self }
    }
}

impl Postmortems<'_> {
    /// Renders the post-mortem draft of an incident as Markdown.
    pub async fn markdown(&self, number: IncidentNumber) -> Result<String, EngineError> {
        let incident = self.core.load(number).await?;
        let events = self.core.store.timeline(number).await?;
        Ok(self
            .core
            .postmortem
            .render(&incident, &events, self.core.clock.now())?)
    }

    pub(in crate::engine) async fn postmortem(
        &self,
        number: IncidentNumber,
    ) -> Result<Vec<Effect>, EngineError> {
        let incident = self.core.load(number).await?;
        let events = self.core.store.timeline(number).await?;
        let content = self
            .core
            .postmortem
            .render(&incident, &events, self.core.clock.now())?;
        Ok(vec![Effect::Upload {
            room: RoomTarget::Origin,
            file: FileUpload {
                name: format!("{number}-postmortem.md"),
                title: format!("Post-mortem draft: {number} {}", incident.title),
                mime: "text/markdown",
                content,
            },
        }])
    }
}
