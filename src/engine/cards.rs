//! The incident card and the buttons on it.

use super::message::{Button, ButtonId, ButtonRole, ButtonStyle, Control, Message};
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
            let reopen = self
                .command_button(cmd(Action::Reopen { reason: None }), "Reopen")
                .await?;
            controls.push(Control::Button(reopen));
        } else {
            if incident.acknowledged.is_none() {
                let ack = self.command_button(cmd(Action::Ack), "Acknowledge").await?;
                controls.push(Control::Button(ack.styled(ButtonStyle::Primary)));
            }
            for status in views::offered_statuses(incident) {
                let command = cmd(Action::Status { status, note: None });
                let button = self.command_button(command, status.to_string()).await?;
                controls.push(Control::Button(button));
            }
            let resolve = self
                .command_button(cmd(Action::Resolve { note: None }), "Resolve")
                .await?;
            controls.push(Control::Button(
                resolve.styled(ButtonStyle::Danger).confirming(format!(
                    "Resolve {}? Paging and reminders stop.",
                    incident.number
                )),
            ));
            let runbooks = self
                .command_button(cmd(Action::Runbook { query: None }), "Runbooks")
                .await?;
            controls.push(Control::Button(runbooks));
            let mut options = Vec::new();
            for severity in Severity::ALL {
                if severity != incident.severity {
                    let command = cmd(Action::Severity {
                        severity,
                        reason: None,
                    });
                    options.push(self.command_button(command, severity.to_string()).await?);
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

    /// A neutral button that carries `command`, with the role the command gives it
    /// ([`ButtonRole::of`]).
    pub(super) async fn command_button(
        &self,
        command: Command,
        label: impl Into<String>,
    ) -> Result<Button, StoreError> {
        let role = ButtonRole::of(&command.action);
        Ok(Button {
            id: self.button(command).await?,
            role,
            label: label.into(),
            style: ButtonStyle::Default,
            confirm: None,
        })
    }
}
