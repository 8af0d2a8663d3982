//! The messages alerts post in a war room: the alerts with their labels and annotations, and
//! the offer to resolve once they all resolved. Pure functions.

use crate::alerts::Notification;
use crate::domain::{ALERTNAME_LABEL, AlertRecord, Incident, Severity};
use crate::engine::message::{
    Block, Button, ButtonId, ButtonRole, ButtonStyle, Control, Message, Span,
};

/// How many alerts one message shows in full; the rest are counted.
const SHOWN_ALERTS: usize = 10;

/// Alerts firing in an incident's group: new ones, or all of them when the incident opened.
pub fn firing(
    incident: &Incident,
    alerts: &[AlertRecord],
    notification: &Notification,
    opened: bool,
) -> Message {
    let noun = if alerts.len() == 1 { "alert" } else { "alerts" };
    let header = if opened {
        format!(
            "{} · {} {noun} firing — declared by Alertmanager",
            incident.number,
            alerts.len()
        )
    } else {
        format!(
            "{} · {} more {noun} firing in this group",
            incident.number,
            alerts.len()
        )
    };
    let mut blocks = vec![Block::Header(header)];
    for alert in alerts.iter().take(SHOWN_ALERTS) {
        blocks.extend(alert_blocks(alert));
    }
    if alerts.len() > SHOWN_ALERTS {
        blocks.push(Block::Context(vec![Span::Text(format!(
            "and {} more; the timeline has them all",
            alerts.len() - SHOWN_ALERTS
        ))]));
    }
    let mut context = vec![Span::Text(if notification.external_url.is_empty() {
        format!("Alertmanager · receiver {}", notification.receiver)
    } else {
        format!(
            "Alertmanager {} · receiver {}",
            notification.external_url, notification.receiver
        )
    })];
    if notification.truncated_alerts > 0 {
        context.push(Span::Text(format!(
            " · {} alerts were left out by Alertmanager",
            notification.truncated_alerts
        )));
    }
    blocks.push(Block::Context(context));
    Message { blocks }
}

fn alert_blocks(alert: &AlertRecord) -> Vec<Block> {
    let mut line = vec![Span::Bold(alert.name().to_owned())];
    if let Some(summary) = alert.annotations.get("summary") {
        line.push(Span::Text(format!(" — {summary}")));
    }
    if let Some(at) = alert.starts_at {
        line.push(Span::Text(format!(" · since {}", at.format("%H:%M UTC"))));
    }
    let mut blocks = vec![Block::Text(line)];
    let labels: Vec<(String, Vec<Span>)> = alert
        .labels
        .iter()
        .filter(|(k, _)| k.as_str() != ALERTNAME_LABEL)
        .map(|(k, v)| (k.clone(), vec![Span::Code(v.clone())]))
        .collect();
    if !labels.is_empty() {
        blocks.push(Block::Fields(labels));
    }
    let mut notes: Vec<Span> = Vec::new();
    for (key, value) in alert
        .annotations
        .iter()
        .filter(|(k, _)| k.as_str() != "summary")
    {
        if !notes.is_empty() {
            notes.push(Span::Text(" · ".into()));
        }
        notes.push(Span::Text(format!("{key}: {value}")));
    }
    if let Some(url) = &alert.generator_url {
        if !notes.is_empty() {
            notes.push(Span::Text(" · ".into()));
        }
        notes.push(Span::Text(format!("source: {url}")));
    }
    if !notes.is_empty() {
        blocks.push(Block::Context(notes));
    }
    blocks
}

/// Every alert of the group resolved: say so and offer the resolve as a button.
pub fn offer_resolve(incident: &Incident, button: ButtonId) -> Message {
    Message {
        blocks: vec![
            Block::Text(vec![
                Span::Bold(incident.number.to_string()),
                Span::Text(
                    " · every alert of this group has resolved. The incident stays open until \
                     someone resolves it."
                        .into(),
                ),
            ]),
            Block::Actions(vec![Control::Button(
                Button::new(button, ButtonRole::Resolve, "Resolve incident")
                    .styled(ButtonStyle::Primary)
                    .confirming(format!(
                        "Resolve {}? This stops its reminders and paging.",
                        incident.number
                    )),
            )]),
        ],
    }
}

/// Alerts that joined map to a worse severity than the incident has: offer it as a button.
pub fn offer_severity(incident: &Incident, suggested: Severity, button: ButtonId) -> Message {
    Message {
        blocks: vec![
            Block::Text(vec![
                Span::Bold(incident.number.to_string()),
                Span::Text(format!(
                    " · the alerts now map to {suggested} ({}); the incident is {}.",
                    suggested.meaning(),
                    incident.severity
                )),
            ]),
            Block::Actions(vec![Control::Button(
                Button::new(
                    button,
                    ButtonRole::Severity(suggested),
                    format!("Raise to {suggested}"),
                )
                .styled(ButtonStyle::Danger)
                .confirming(format!(
                    "Raise {} to {suggested}? Escalation is planned anew for {suggested}.",
                    incident.number
                )),
            )]),
        ],
    }
}
