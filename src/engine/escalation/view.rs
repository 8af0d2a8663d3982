//! What escalation says: the page in the war room, the page sent to each person, the
//! status-update reminder and the `oncall` answer.

use chrono::{DateTime, Duration, Utc};

use crate::domain::{Incident, Policies, Resolved, Rotation, Severity, UserId, resolve};
use crate::engine::message::{Block, Message, Span};

/// `5m`, `1h 05m`, for messages.
fn span(d: Duration) -> String {
    let minutes = d.num_minutes();
    if minutes < 60 {
        format!("{minutes}m")
    } else {
        format!("{}h {:02}m", minutes / 60, minutes % 60)
    }
}

/// The war room's line for a page of `level` at `now`: whom it pages, the aliases no one is on
/// call for, and when it was due if it fires `late` (its due time and by how much).
pub(super) fn page_notice(
    incident: &Incident,
    level: u32,
    now: DateTime<Utc>,
    resolved: &Resolved,
    late: Option<(DateTime<Utc>, Duration)>,
) -> Message {
    let waited = span(now - incident.declared_at);
    let mut spans = vec![
        Span::Bold(format!("Paging level {level}")),
        Span::Text(format!(
            " for {} ({}, not acknowledged after {waited}): ",
            incident.number, incident.severity
        )),
    ];
    let mut first = true;
    let mut separate = |spans: &mut Vec<Span>| {
        if !std::mem::take(&mut first) {
            spans.push(Span::Text(", ".into()));
        }
    };
    for person in &resolved.people {
        separate(&mut spans);
        spans.push(Span::Mention(person.clone()));
    }
    for group in &resolved.groups {
        separate(&mut spans);
        spans.push(Span::Group(group.clone()));
    }
    if resolved.responders {
        spans.push(Span::Text(
            " (the responders: no on-call rotation is configured)".into(),
        ));
    }
    if !resolved.unresolved.is_empty() {
        separate(&mut spans);
        spans.push(Span::Text(format!(
            "no one is on call for {}",
            resolved.unresolved.join(", ")
        )));
    }
    if let Some((due_at, by)) = late {
        spans.push(Span::Text(format!(
            " (due {} UTC, {} late)",
            due_at.format("%H:%M"),
            span(by)
        )));
    }
    Message::spans(spans)
}

/// The message a paged person gets.
pub(super) fn page_direct(incident: &Incident, ack_link: Option<&str>) -> Message {
    let how = match ack_link {
        Some(link) => format!("Acknowledge in its war room with: ack, or here: {link}"),
        None => "Acknowledge in its war room with: ack".to_owned(),
    };
    Message::text(format!(
        "You are paged for {} ({}): {}. {how}",
        incident.number, incident.severity, incident.title
    ))
}

/// The status-update reminder, naming the commander when there is one.
pub(super) fn reminder(incident: &Incident) -> Message {
    let mut spans = vec![Span::Bold(format!(
        "Status update due for {} ({} · {})",
        incident.number, incident.severity, incident.status
    ))];
    if let Some(promised) = incident.details.next_update {
        spans.push(Span::Text(format!(
            " (the last update promised one by {} UTC)",
            promised.format("%H:%M")
        )));
    }
    if let Some(commander) = &incident.commander {
        spans.push(Span::Text(": ".into()));
        spans.push(Span::Mention(commander.clone()));
        spans.push(Span::Text(
            ", please post one: update <text> [next 30m]".into(),
        ));
    }
    Message {
        blocks: vec![Block::Text(spans)],
    }
}

/// `oncall`: who is on call at `now` in each rotation, and until when.
pub(super) fn on_call(rotations: &[Rotation], now: DateTime<Utc>) -> Message {
    if rotations.is_empty() {
        return Message::text(
            "No on-call rotations are configured; see [[rotations]] in warroom config example.",
        );
    }
    let mut blocks = vec![Block::Header("On call now".into())];
    for rotation in rotations {
        let mut spans = vec![Span::Bold(rotation.name.clone()), Span::Text(": ".into())];
        match rotation.on_call(now) {
            Some(person) => spans.push(Span::Mention(person.clone())),
            None => spans.push(Span::Text("nobody (the rotation has not started)".into())),
        }
        if let Some(next) = rotation.next_handoff(now) {
            let local = next.with_timezone(&rotation.time_zone);
            spans.push(Span::Text(format!(
                " until {} ({})",
                local.format("%a %Y-%m-%d %H:%M"),
                rotation.time_zone
            )));
        }
        blocks.push(Block::Text(spans));
    }
    Message { blocks }
}

/// `warroom oncall`: who is on call in each rotation at `now`, whom each severity's levels
/// would page if an incident were declared now, and a warning for every on-call alias that
/// finds nobody (so that a page would reach no one). Groups are chat user groups, which only
/// the chat can check.
pub fn paging_report(
    policies: &Policies,
    rotations: &[Rotation],
    responders: &[UserId],
    now: DateTime<Utc>,
) -> Message {
    let mut blocks = on_call(rotations, now).blocks;
    blocks.push(Block::Header(format!(
        "Whom an incident declared at {} UTC pages",
        now.format("%Y-%m-%d %H:%M")
    )));
    for severity in Severity::ALL {
        let levels = &policies.policy(severity).levels;
        let mut spans = vec![Span::Bold(severity.to_string()), Span::Text(": ".into())];
        if levels.is_empty() {
            spans.push(Span::Text("pages nobody (no levels)".into()));
        }
        for (i, level) in levels.iter().enumerate() {
            if i > 0 {
                spans.push(Span::Text("; ".into()));
            }
            let at = now + level.after;
            let level_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let found = resolve(&level.targets, rotations, at)
                .or_responders(level_no, rotations, responders);
            spans.push(Span::Text(format!("after {}: ", span(level.after))));
            let mut named: Vec<Span> = Vec::new();
            for person in &found.people {
                named.push(Span::Mention(person.clone()));
            }
            for group in &found.groups {
                named.push(Span::Text(format!("group:{group}")));
            }
            if named.is_empty() {
                spans.push(Span::Text("nobody".into()));
            }
            for (j, one) in named.into_iter().enumerate() {
                if j > 0 {
                    spans.push(Span::Text(", ".into()));
                }
                spans.push(one);
            }
            if found.responders {
                spans.push(Span::Text(
                    " (the responders, as no rotation is configured)".into(),
                ));
            }
        }
        blocks.push(Block::Text(spans));
    }
    for warning in paging_warnings(policies, rotations, responders, now) {
        blocks.push(Block::Context(vec![Span::Text(format!(
            "warning: {warning}"
        ))]));
    }
    Message { blocks }
}

/// One sentence per on-call alias that finds nobody for an incident declared at `now`, with
/// why and at which levels it pages no one (`oncall:primary finds nobody (no [[rotations]]
/// entry has that name); it pages no one at P0 after 0m, P1 after 0m`).
pub fn paging_warnings(
    policies: &Policies,
    rotations: &[Rotation],
    responders: &[UserId],
    now: DateTime<Utc>,
) -> Vec<String> {
    let mut nobody: Vec<(String, Vec<String>)> = Vec::new();
    for severity in Severity::ALL {
        for (i, level) in policies.policy(severity).levels.iter().enumerate() {
            let level_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let found = resolve(&level.targets, rotations, now + level.after)
                .or_responders(level_no, rotations, responders);
            for alias in found.unresolved {
                let who = format!("{severity} after {}", span(level.after));
                match nobody.iter_mut().find(|(a, _)| *a == alias) {
                    Some((_, uses)) => uses.push(who),
                    None => nobody.push((alias, vec![who])),
                }
            }
        }
    }
    nobody
        .into_iter()
        .map(|(alias, uses)| {
            let why = match rotations
                .iter()
                .find(|r| format!("oncall:{}", r.name) == alias)
            {
                Some(_) => "its rotation has nobody on call then",
                None => "no [[rotations]] entry has that name",
            };
            format!(
                "{alias} finds nobody ({why}); it pages no one at {}",
                uses.join(", ")
            )
        })
        .collect()
}
