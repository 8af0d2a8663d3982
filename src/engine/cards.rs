//! The incident card and the buttons on it.

use super::message::{Button, ButtonId, ButtonStyle, Control, Message};
use super::{Engine, views};
use crate::domain::{Action, Command, Incident, Severity, Status};
use crate::store::StoreError;

impl Engine {
    /// The card of an incident as it stands, with its buttons.
    pub async fn card(&self, incident: &Incident) -> Result<Message, StoreError> {
        let n = Some(incident.number);
        let cmd = |action| Command {
            incident: n,
            action,
        };
        let mut controls = Vec::new();
        if incident.status == Status::Resolved {
            let id = self.button(cmd(Action::Reopen { reason: None })).await?;
            controls.push(button(id, "Reopen", ButtonStyle::Default));
        } else {
            if incident.acknowledged.is_none() {
                let id = self.button(cmd(Action::Ack)).await?;
                controls.push(button(id, "Acknowledge", ButtonStyle::Primary));
            }
            for status in views::offered_statuses(incident) {
                let id = self
                    .button(cmd(Action::Status { status, note: None }))
                    .await?;
                controls.push(button(id, &status.to_string(), ButtonStyle::Default));
            }
            let id = self.button(cmd(Action::Resolve { note: None })).await?;
            controls.push(Control::Button(Button {
                id,
                label: "Resolve".into(),
                style: ButtonStyle::Danger,
                confirm: Some(format!(
                    "Resolve {}? Paging and reminders stop.",
                    incident.number
                )),
            }));
            let id = self.button(cmd(Action::Runbook { query: None })).await?;
            controls.push(button(id, "Runbooks", ButtonStyle::Default));
            let mut options = Vec::new();
            for severity in Severity::ALL {
                if severity != incident.severity {
                    let id = self
                        .button(cmd(Action::Severity {
                            severity,
                            reason: None,
                        }))
                        .await?;
                    options.push(Button {
                        id,
                        label: severity.to_string(),
                        style: ButtonStyle::Default,
                        confirm: None,
                    });
                }
            }
            controls.push(Control::Select {
                label: "Severity".into(),
                options,
            });
        }
        Ok(views::card(incident, controls))
    }

    /// The button id of a command, minted once and remembered.
    pub(super) async fn button(&self, command: Command) -> Result<ButtonId, StoreError> {
        let key = serde_json::to_string(&command).unwrap_or_default();
        if let Some(id) = self.memo.button(&key) {
            return Ok(id);
        }
        let id = ButtonId(self.store.button_for(&command).await?);
        self.memo.remember_button(key, id);
        Ok(id)
    }
}

fn button(id: ButtonId, label: &str, style: ButtonStyle) -> Control {
    Control::Button(Button {
        id,
        label: label.to_owned(),
        style,
        confirm: None,
    })
}
