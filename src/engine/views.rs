//! The messages the engine shows: the incident card, announcements, lists, help, timelines.
//! Pure functions from the domain to chat-neutral messages.

use crate::domain::{
    EventKind, Incident, IncidentNumber, Status, TimelineEvent, USAGE, UserId, slug,
};

use super::message::{Block, Control, Message, Span};

/// Slack's limit on channel names, which every chat can live with.
const MAX_ROOM_NAME: usize = 80;

/// The war room's name: `inc-7-checkout-api-returns-500s`, at most 80 characters.
pub fn war_room_name(incident: &Incident) -> String {
    if incident.details.private {
        // A private incident's room name says nothing of what happened.
        format!("inc-{}-private", incident.number.0)
    } else {
        room_name(incident.number, incident.title.as_str())
    }
}

/// `inc-<n>-<slug of the title>`, within Slack's channel name length.
fn room_name(number: IncidentNumber, title: &str) -> String {
    let prefix = format!("inc-{}", number.0);
    let rest = slug(title, MAX_ROOM_NAME - prefix.len() - 1);
    if rest.is_empty() {
        prefix
    } else {
        format!("{prefix}-{rest}")
    }
}

/// The war room's topic: severity, status and title.
pub fn topic(incident: &Incident) -> String {
    format!(
        "{} · {} · {} — {}",
        incident.number, incident.severity, incident.status, incident.title
    )
}

fn hhmm(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%H:%M UTC").to_string()
}

fn person(user: Option<&UserId>) -> Vec<Span> {
    match user {
        Some(u) => vec![Span::Mention(u.clone())],
        None => vec![Span::Text("—".into())],
    }
}

/// The incident card: the one message in the war room that always shows where things stand.
pub fn card(incident: &Incident, controls: Vec<Control>) -> Message {
    let acknowledged = match &incident.acknowledged {
        Some((by, at)) => vec![
            Span::Mention(by.clone()),
            Span::Text(format!(" at {}", hhmm(*at))),
        ],
        None => vec![Span::Bold("not yet".into())],
    };
    let mut fields = vec![
        (
            "Severity".to_owned(),
            vec![Span::Text(format!(
                "{} ({})",
                incident.severity,
                incident.severity.meaning()
            ))],
        ),
        (
            "Status".to_owned(),
            vec![Span::Text(incident.status.to_string())],
        ),
        ("Commander".to_owned(), person(incident.commander.as_ref())),
        ("Acknowledged".to_owned(), acknowledged),
    ];
    if incident.comms.is_some() {
        fields.push(("Comms".to_owned(), person(incident.comms.as_ref())));
    }
    if incident.scribe.is_some() {
        fields.push(("Scribe".to_owned(), person(incident.scribe.as_ref())));
    }
    let details = &incident.details;
    if !details.services.is_empty() {
        fields.push((
            "Services".to_owned(),
            vec![Span::Text(details.services.join(", "))],
        ));
    }
    if let Some(started) = details.impact_started {
        fields.push(("Impact since".to_owned(), vec![Span::Text(hhmm(started))]));
    }
    if details.private {
        fields.push((
            "Private".to_owned(),
            vec![Span::Text("not announced, not on the status page".into())],
        ));
    }
    let mut blocks = standing(incident, fields);
    if !controls.is_empty() {
        blocks.push(Block::Actions(controls));
    }
    Message { blocks }
}

/// The line posted when an incident changes.
pub fn event_line(event: &TimelineEvent) -> Message {
    Message::spans(vec![
        Span::Bold(event.incident.to_string()),
        Span::Text(" · ".into()),
        Span::Mention(event.actor.clone()),
        Span::Text(format!(" {}", event.kind.describe())),
    ])
}

/// The one line a new incident gets in the room it was declared in. A private incident's
/// line does not repeat its title.
pub fn declared_line(incident: &Incident, room_name: &str) -> Message {
    let what = if incident.details.private {
        " (private)".to_owned()
    } else {
        format!(": {}", incident.title)
    };
    Message::spans(vec![
        Span::Bold(format!("{} ({})", incident.number, incident.severity)),
        Span::Text(" declared by ".into()),
        Span::Mention(incident.declared_by.clone()),
        Span::Text(format!("{what} · war room #{room_name}")),
    ])
}

/// The announcement in the announcements room, edited as the incident changes: where it
/// stands, who leads, what it hurts, what stakeholders were last told and when they hear next.
/// `room_name` is the war room's, when it has one in this chat. An incident made private
/// after it was announced keeps only its number.
pub fn announcement(incident: &Incident, room_name: Option<&str>) -> Message {
    if incident.details.private {
        return Message {
            blocks: vec![
                Block::Header(format!("{} is private", incident.number)),
                Block::Text(vec![Span::Text(
                    "It was made private; only its war room follows it now.".into(),
                )]),
            ],
        };
    }
    let details = &incident.details;
    let mut fields = vec![
        ("Commander".to_owned(), person(incident.commander.as_ref())),
        (
            "War room".to_owned(),
            vec![Span::Text(match room_name {
                Some(name) => format!("#{name}"),
                None => "—".into(),
            })],
        ),
    ];
    if !details.services.is_empty() {
        fields.push((
            "Services".to_owned(),
            vec![Span::Text(details.services.join(", "))],
        ));
    }
    Message {
        blocks: standing(incident, fields),
    }
}

/// Where an incident stands, as the card and the announcement both show it: the header, the
/// summary, `fields`, and its schedule.
fn standing(incident: &Incident, fields: Vec<(String, Vec<Span>)>) -> Vec<Block> {
    let mut blocks = vec![Block::Header(format!(
        "{} · {} · {} — {}",
        incident.number, incident.severity, incident.status, incident.title
    ))];
    if let Some(summary) = &incident.details.summary {
        blocks.push(Block::Text(vec![Span::Text(summary.to_string())]));
    }
    blocks.push(Block::Fields(fields));
    blocks.push(Block::Context(schedule(incident)));
    blocks
}

/// When it was declared, last updated, and is next updated or was resolved.
fn schedule(incident: &Incident) -> Vec<Span> {
    let mut spans = vec![
        Span::Text(format!("Declared {} by ", hhmm(incident.declared_at))),
        Span::Mention(incident.declared_by.clone()),
    ];
    let details = &incident.details;
    if let Some(at) = details.last_update {
        spans.push(Span::Text(format!(" · last update {}", hhmm(at))));
    }
    match (incident.resolved_at, details.next_update) {
        (Some(at), _) => spans.push(Span::Text(format!(" · resolved {}", hhmm(at)))),
        (None, Some(at)) => spans.push(Span::Text(format!(" · next update by {}", hhmm(at)))),
        (None, None) => {}
    }
    spans
}

/// Whether the announcement of `before` and of `after` read differently.
pub fn announcement_changes(before: &Incident, after: &Incident) -> bool {
    announcement(before, None) != announcement(after, None)
}

/// A status update, as the war room and the thread under the announcement get it.
pub fn status_update(incident: &Incident, event: &TimelineEvent) -> Message {
    let EventKind::StatusUpdate {
        text,
        public,
        severity,
        status,
        next_update,
    } = &event.kind
    else {
        return event_line(event);
    };
    let mut context = vec![
        Span::Text(format!("{} by ", hhmm(event.at))),
        Span::Mention(event.actor.clone()),
    ];
    if *public {
        context.push(Span::Text(" · on the status page".into()));
    }
    if let Some(at) = next_update {
        context.push(Span::Text(format!(" · next update by {}", hhmm(*at))));
    }
    Message {
        blocks: vec![
            Block::Header(format!(
                "Update on {} · {severity} · {status} — {}",
                incident.number, incident.title
            )),
            Block::Text(vec![Span::Text(text.to_string())]),
            Block::Context(context),
        ],
    }
}

/// The list of open incidents.
pub fn open_list(incidents: &[Incident]) -> Message {
    if incidents.is_empty() {
        return Message::text("No open incidents.");
    }
    let mut blocks = vec![Block::Header(format!(
        "Open incidents ({})",
        incidents.len()
    ))];
    for incident in incidents {
        let mut spans = vec![
            Span::Bold(incident.number.to_string()),
            Span::Text(format!(
                " · {} · {} — {} · commander ",
                incident.severity, incident.status, incident.title
            )),
        ];
        spans.extend(person(incident.commander.as_ref()));
        spans.push(Span::Text(format!(
            " · declared {}",
            incident.declared_at.format("%Y-%m-%d %H:%M UTC")
        )));
        blocks.push(Block::Text(spans));
    }
    Message { blocks }
}

/// The command reference.
pub fn help() -> Message {
    let mut lines = String::new();
    for (_, usage) in USAGE {
        lines.push_str(usage);
        lines.push('\n');
    }
    lines.pop();
    Message {
        blocks: vec![
            Block::Header("Warroom commands".into()),
            Block::Code(lines),
            Block::Context(vec![Span::Text(
                "Inside a war room the incident is implied; elsewhere name it right after the verb, as in `ack INC-7`. Severities: P0 complete outage or data-loss risk, P1 partial outage, P2 degradation with a workaround, P3 cosmetic."
                    .into(),
            )]),
        ],
    }
}

/// The whole timeline of an incident, one event a line.
pub fn timeline(incident: &Incident, events: &[TimelineEvent]) -> Message {
    let mut lines = String::new();
    for (i, event) in events.iter().enumerate() {
        let mut said = event.kind.describe();
        match &event.kind {
            // Folded into the page's own line.
            EventKind::PageDelivered { .. } => continue,
            EventKind::Paged { level, people, .. } if !people.is_empty() => {
                said.push_str(&page_deliveries(*level, people, &events[i + 1..]));
            }
            _ => {}
        }
        lines.push_str(&format!(
            "{}  {}  {}\n",
            event.at.format("%Y-%m-%d %H:%M:%S"),
            event.actor,
            said
        ));
    }
    lines.pop();
    Message {
        blocks: vec![
            Block::Header(format!(
                "Timeline of {} (UTC) — {}",
                incident.number, incident.title
            )),
            Block::Code(lines),
        ],
    }
}

/// When each person of a page got it, from the events after the page:
/// ` (delivered 14:00:03)` for one person, ` (bob delivered 14:00:03; carol not delivered
/// yet)` for several.
fn page_deliveries(level: u32, people: &[UserId], later: &[TimelineEvent]) -> String {
    let each: Vec<(String, String)> = people
        .iter()
        .map(|person| {
            let delivered = later.iter().find_map(|e| match &e.kind {
                EventKind::PageDelivered {
                    level: l,
                    person: p,
                    ..
                } if *l == level && p == person => Some(e.at),
                _ => None,
            });
            let when = match delivered {
                Some(at) => format!("delivered {}", at.format("%H:%M:%S")),
                None => "not delivered yet".to_owned(),
            };
            (person.to_string(), when)
        })
        .collect();
    match each.as_slice() {
        [(_, when)] => format!(" ({when})"),
        _ => {
            let parts: Vec<String> = each
                .iter()
                .map(|(who, when)| format!("{who} {when}"))
                .collect();
            format!(" ({})", parts.join("; "))
        }
    }
}

/// Whether a status is offered as a button on the card (resolve has its own button).
pub fn offered_statuses(incident: &Incident) -> Vec<Status> {
    incident
        .status
        .next_choices()
        .into_iter()
        // Resolving has its own button; a move that takes a reason is typed with it.
        .filter(|s| *s != Status::Resolved && !incident.status.needs_reason(*s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_line_says_when_each_person_got_it() {
        use chrono::TimeZone;
        let at = |s| chrono::Utc.with_ymd_and_hms(2026, 1, 5, 14, 0, s).unwrap();
        let bob = UserId::parse("bob").unwrap();
        let carol = UserId::parse("carol").unwrap();
        let (incident, declared) = Incident::declare(
            IncidentNumber(1),
            crate::domain::IncidentTitle::parse("Checkout down").unwrap(),
            crate::domain::Severity::P1,
            bob.clone(),
            at(0),
        );
        let paged = incident.event(
            EventKind::Paged {
                level: 1,
                people: vec![bob.clone(), carol.clone()],
                groups: Vec::new(),
                unresolved: Vec::new(),
                late_secs: 0,
                timer: None,
            },
            UserId::warroom(),
            at(1),
        );
        let mut after = incident.clone();
        after.apply(&paged);
        let got = after.event(
            EventKind::PageDelivered {
                level: 1,
                person: carol,
                delay_secs: 2,
            },
            UserId::warroom(),
            at(3),
        );
        let shown = timeline(&after, &[declared, paged, got]).plain_text();
        assert!(
            shown.contains(
                "paged level 1: bob, carol (bob not delivered yet; carol delivered 14:00:03)"
            ),
            "{shown}"
        );
        assert!(!shown.contains("delivered the level 1 page"), "{shown}");
    }

    #[test]
    fn war_room_names_fit_slack_rules() {
        assert_eq!(
            room_name(IncidentNumber(7), "Checkout API returns 500s"),
            "inc-7-checkout-api-returns-500s"
        );
        let long = room_name(IncidentNumber(123456), &"very long title ".repeat(20));
        assert!(long.len() <= 80, "{long}");
        assert!(long.starts_with("inc-123456-"));
        assert_eq!(room_name(IncidentNumber(3), "🔥🔥"), "inc-3");
        assert_eq!(
            room_name(IncidentNumber(4), "Überweisungen hängen"),
            "inc-4-uberweisungen-hangen"
        );
    }
}
