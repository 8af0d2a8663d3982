//! The incident card and the buttons on it.

use crate::domain::{Action, Command, Incident, Severity, Status};
use crate::engine::Delivery;
use crate::engine::message::{ButtonStyle, Control, Message};
use crate::engine::views;
use crate::store::StoreError;

impl Delivery<'_> {
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
                .core
                .command_button(cmd(Action::Reopen { reason: None }), "Reopen")
                .await?;
            controls.push(Control::Button(reopen));
        } else {
            if incident.acknowledged.is_none() {
                let ack = self
                    .core
                    .command_button(cmd(Action::Ack), "Acknowledge")
                    .await?;
                controls.push(Control::Button(ack.styled(ButtonStyle::Primary)));
            }
            for status in views::offered_statuses(incident) {
                let command = cmd(Action::Status { status, note: None });
                let button = self
                    .core
                    .command_button(command, status.to_string())
                    .await?;
                controls.push(Control::Button(button));
            }
            let resolve = self
                .core
                .command_button(cmd(Action::Resolve { note: None }), "Resolve")
                .await?;
            controls.push(Control::Button(
                resolve.styled(ButtonStyle::Danger).confirming(format!(
                    "Resolve {}? Paging and reminders stop.",
                    incident.number
                )),
            ));
            let runbooks = self
                .core
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
                    options.push(
                        self.core
                            .command_button(command, severity.to_string())
                            .await?,
                    );
                }
            }
            controls.push(Control::Select {
                label: "Severity".into(),
                options,
            });
        }
        Ok(views::card(incident, controls))
    }
}
