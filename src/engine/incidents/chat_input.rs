//! What chats bring besides commands: a message put on the timeline (Slack's :pushpin:), and
//! the parameters a Run button still needs (Slack asks for them in a modal).

use chrono::{DateTime, Utc};

use crate::domain::{Action, CommandTemplate, EventKind, NoteText, UserId};
use crate::engine::EngineError;
use crate::engine::Incidents;
use crate::engine::effect::Effect;
use crate::engine::message::ButtonId;
use crate::engine::port::Origin;

impl Incidents<'_> {
    /// Puts a chat message on the timeline of the war room it was written in, with its author
    /// and its time; `origin.user` is whoever pinned it. Outside a war room it does nothing.
    pub(in crate::engine) async fn quote(
        &self,
        origin: &Origin,
        author: UserId,
        said_at: DateTime<Utc>,
        text: &str,
    ) -> Vec<Effect> {
        let result = async {
            let Some(number) = self.core.war_room_incident(&origin.room_id).await? else {
                return Ok(Vec::new());
            };
            let text = NoteText::parse(text).map_err(|e| EngineError::Usage(e.to_string()))?;
            let kind = EventKind::Quoted {
                author,
                said_at,
                text,
            };
            self.core
                .append(number, &origin.user, |_| Ok(kind.clone()))
                .await?;
            Ok::<_, EngineError>(vec![Effect::reply(format!(
                "Pinned to {number}'s timeline."
            ))])
        };
        match result.await {
            Ok(effects) => effects,
            Err(e) => vec![Effect::reply(self.core.explain(e))],
        }
    }

    /// The parameters a person must still give for the Run button `id` (those the
    /// configuration does not fill); empty for any other button or when nothing is missing.
    pub async fn missing_parameters(&self, id: ButtonId) -> Vec<String> {
        let Ok(Some(command)) = self.core.store.button(id).await else {
            return Vec::new();
        };
        let (Action::Run { step, .. }, Some(number)) = (&command.action, command.incident) else {
            return Vec::new();
        };
        let Ok(Some(incident)) = self.core.store.incident(number).await else {
            return Vec::new();
        };
        let Some(found) = incident.numbered_steps().find(|s| s.number == *step) else {
            return Vec::new();
        };
        let Some(text) = found.step().runnable().map(str::to_owned) else {
            return Vec::new();
        };
        let Ok(template) = CommandTemplate::parse(&text) else {
            return Vec::new();
        };
        let Some(actions) = &self.core.settings.actions else {
            return Vec::new();
        };
        template
            .params()
            .into_iter()
            .filter(|p| !actions.values.contains_key(p) && !actions.secrets.contains(p))
            .collect()
    }
}
