//! The command grammar, one parser for every chat.
//!
//! ```text
//! declare [private] <p0|p1|p2|p3> <title…>
//! sev [INC-N] <p0..p3> [reason]
//! ack [INC-N]
//! status [INC-N] <investigating|identified|mitigated|resolved> [note]
//! update [INC-N] [public] <text…> [next <30m>]
//! title [INC-N] <text…>           summary [INC-N] <text…>
//! impact [INC-N] started <time>   detected [INC-N] <time>    (13:52 UTC, a date, or 15m ago)
//! services [INC-N] <name,name…>   private [INC-N]
//! resolve [INC-N] [note]          reopen [INC-N] [reason]
//! assign [INC-N] <commander|comms|scribe> @someone
//! note [INC-N] <text>
//! runbook [INC-N] [query]         runbook [INC-N] attach <id>
//! done [INC-N] <step> [note]      skip [INC-N] <step> [reason]      run [INC-N] <step>
//! approve <request>               deny <request> [reason]
//! timeline [INC-N]   postmortem [INC-N]   list   help
//! ```
//! Inside a war room the incident is implied; elsewhere the `INC-N` right after the verb names it.
//!
//! This file owns the parser: [`parse`], [`strip_invocation`], the parameters of `run`
//! ([`parameters`], [`parameter`]), [`ParseError`] and [`MAX_COMMAND_CHARS`]. What a parsed
//! command is ([`Command`], [`Action`], [`USAGE`]) is in `command.rs`.

use std::collections::BTreeMap;

use super::{
    Action, CLOCK_TIME_FORMS, ClockTime, Command, IncidentNumber, IncidentTitle, NoteText, Role,
    Severity, Status, TextError, USAGE, UserId, parse_span, service_list,
};

/// The longest wait a status update may promise before the next one.
const MAX_NEXT_UPDATE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// The candidate closest to a mistyped `word`, when it is close enough to be what was meant:
/// at most two edits (one for words of four letters or fewer) and not the whole word changed.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let most = if word.chars().count() <= 4 { 1 } else { 2 };
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(distance, c)| *distance <= most && *distance < c.chars().count())
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// The usage shown for an unknown command: `help` and every verb of [`USAGE`], so the list
/// cannot fall behind the commands.
static UNKNOWN_USAGE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let verbs: Vec<&str> = USAGE
        .iter()
        .map(|(verb, _)| *verb)
        .filter(|verb| *verb != "help")
        .collect();
    format!("help (commands: {})", verbs.join(", "))
});

/// What was wrong with a command, and its right form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem}; usage: {usage}")]
pub struct ParseError {
    /// What was wrong.
    pub problem: String,
    /// The right form.
    pub usage: &'static str,
}

/// The most characters a command may have; longer text is refused before it is read.
pub const MAX_COMMAND_CHARS: usize = 12_000;

/// Takes `/incident` or `!incident` off the front of a chat message; `None` when the message
/// is not a Warroom command.
pub fn strip_invocation(message: &str) -> Option<&str> {
    let trimmed = message.trim_start();
    for prefix in ["/incident", "!incident"] {
        if let Some(rest) = trimmed.strip_prefix(prefix)
            && (rest.is_empty() || rest.starts_with(char::is_whitespace))
        {
            return Some(rest);
        }
    }
    None
}

fn usage_of(verb: &str) -> &'static str {
    USAGE
        .iter()
        .find(|(v, _)| *v == verb)
        .map(|(_, u)| *u)
        .unwrap_or("help")
}

/// Splits the first word off, returning it and the rest (not trimmed, so notes keep their shape).
fn next_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.find(char::is_whitespace) {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    }
}

fn optional_text(
    rest: &str,
    parse: fn(&str) -> Result<NoteText, TextError>,
) -> Result<Option<NoteText>, TextError> {
    if rest.trim().is_empty() {
        Ok(None)
    } else {
        parse(rest).map(Some)
    }
}

fn identifier(word: &str, what: &str) -> Result<String, String> {
    if word.is_empty() {
        return Err(format!("the {what} is missing"));
    }
    let ok = word.len() <= 64
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if ok {
        Ok(word.to_owned())
    } else {
        let shown: String = word.chars().take(20).filter(|c| !c.is_control()).collect();
        Err(format!(
            "'{shown}' is not a {what} id (letters, digits, '-', '_' or '.', at most 64)"
        ))
    }
}

/// Takes a trailing `next 30m` off an update's text: the text before it, and the wait. The
/// wait is at least a minute and at most a day. `next` followed by a word that does not start
/// with a digit is part of the text (`… the next step`).
fn next_update(text: &str) -> Result<(&str, Option<std::time::Duration>), String> {
    let trimmed = text.trim_end();
    let Some(cut) = trimmed.rfind(char::is_whitespace) else {
        return Ok((text, None));
    };
    let (head, span_word) = (trimmed[..cut].trim_end(), &trimmed[cut + 1..]);
    let is_next = head.len() >= 4
        && head.is_char_boundary(head.len() - 4)
        && head[head.len() - 4..].eq_ignore_ascii_case("next")
        && head[..head.len() - 4]
            .chars()
            .next_back()
            .is_none_or(char::is_whitespace);
    if !is_next || !span_word.starts_with(|c: char| c.is_ascii_digit()) {
        return Ok((text, None));
    }
    let Some(span) = parse_span(span_word) else {
        let shown: String = span_word
            .chars()
            .take(20)
            .filter(|c| !c.is_control())
            .collect();
        return Err(format!("'{shown}' is not a time like 30m after next"));
    };
    if span < std::time::Duration::from_secs(60) || span > MAX_NEXT_UPDATE {
        return Err("the next update is due between 1m and 24h from now".into());
    }
    Ok((&head[..head.len() - 4], Some(span)))
}

/// Reads a time a person typed.
fn clock_time(text: &str) -> Result<ClockTime, String> {
    if text.trim().is_empty() {
        return Err("the time is missing".into());
    }
    ClockTime::parse(text).ok_or_else(|| {
        let shown: String = text
            .trim()
            .chars()
            .take(30)
            .filter(|c| !c.is_control())
            .collect();
        format!("'{shown}' is not a time; use {CLOCK_TIME_FORMS}")
    })
}

/// Reads a step number (from 1).
fn step_number(word: &str) -> Result<u32, String> {
    match word.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ if word.is_empty() => Err("the step number is missing".into()),
        _ => {
            let shown: String = word.chars().take(20).filter(|c| !c.is_control()).collect();
            Err(format!("'{shown}' is not a step number like 3"))
        }
    }
}

/// Reads `name=value` words. Names are letters, digits, `_` and `-` (kept as typed; the
/// engine normalises them); values are checked later by the parameter's rule, so here they
/// only must not be empty. A value cannot hold spaces: each word is one parameter.
pub fn parameters(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for word in text.split_whitespace() {
        let shown = || -> String { word.chars().take(30).filter(|c| !c.is_control()).collect() };
        let Some((name, value)) = word.split_once('=') else {
            return Err(format!(
                "'{}' is not a parameter like pod_name=api-7f9c",
                shown()
            ));
        };
        let (name, value) = parameter(name, value)
            .map_err(|_| format!("'{}' is not a parameter like pod_name=api-7f9c", shown()))?;
        out.insert(name, value);
    }
    Ok(out)
}

/// One parameter given apart from any text (a field of a chat's form): its name normalised
/// (lowercase, `-` as `_`), its value as given. The name is letters, digits, `_` and `-`, at
/// most 64 of them; the value must not be empty (spaces are fine: its rule decides).
pub fn parameter(name: &str, value: &str) -> Result<(String, String), String> {
    let name_ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !name_ok {
        let shown: String = name.chars().take(30).filter(|c| !c.is_control()).collect();
        return Err(format!("'{shown}' is not a parameter name like pod_name"));
    }
    if value.is_empty() {
        return Err(format!("{name} needs a value"));
    }
    Ok((
        name.to_ascii_lowercase().replace('-', "_"),
        value.to_owned(),
    ))
}

/// Parses the words of a command (after `/incident` or `!incident`). Never panics.
pub fn parse(text: &str) -> Result<Command, ParseError> {
    let length = text.chars().count();
    if length > MAX_COMMAND_CHARS {
        return Err(ParseError {
            problem: format!(
                "the command has {length} characters; the most is {MAX_COMMAND_CHARS}"
            ),
            usage: "help",
        });
    }
    let (verb_word, rest) = next_word(text);
    let verb = verb_word.to_ascii_lowercase();
    let canonical = match verb.as_str() {
        "" => "help",
        "severity" => "sev",
        "acknowledge" => "ack",
        "runbooks" => "runbook",
        "postmortem" | "post-mortem" => "postmortem",
        "ls" => "list",
        "on-call" => "oncall",
        other => other,
    };
    let usage = usage_of(canonical);
    if !USAGE.iter().any(|(v, _)| *v == canonical) {
        let shown: String = verb_word
            .chars()
            .take(30)
            .filter(|c| !c.is_control())
            .collect();
        let suggestion = closest(&verb, USAGE.iter().map(|(v, _)| *v))
            .map(|v| format!(" (did you mean {v}?)"))
            .unwrap_or_default();
        return Err(ParseError {
            problem: format!("unknown command '{shown}'{suggestion}"),
            usage: UNKNOWN_USAGE.as_str(),
        });
    }
    let fail = |problem: String| ParseError { problem, usage };

    // An incident named right after the verb.
    let (first, after_first) = next_word(rest);
    let (incident, rest) = match first.parse::<IncidentNumber>() {
        Ok(n) => (Some(n), after_first),
        Err(())
            if first.len() > 4
                && first
                    .get(..4)
                    .is_some_and(|p| p.eq_ignore_ascii_case("inc-")) =>
        {
            return Err(fail(format!(
                "'{first}' is not an incident number like INC-7"
            )));
        }
        Err(()) => (None, rest),
    };
    let text_error = |e: TextError| fail(e.to_string());
    let no_arguments = |rest: &str| {
        if rest.trim().is_empty() {
            Ok(())
        } else {
            Err(fail(format!("{canonical} takes no further words")))
        }
    };

    let action = match canonical {
        "declare" => {
            if incident.is_some() {
                return Err(fail(
                    "declare opens a new incident; it takes no INC number".into(),
                ));
            }
            let (first, after) = next_word(rest);
            let private = first.eq_ignore_ascii_case("private");
            let (sev, title) = if private {
                next_word(after)
            } else {
                (first, after)
            };
            if sev.is_empty() {
                return Err(fail("the severity and title are missing".into()));
            }
            let severity = sev.parse::<Severity>().map_err(|e| fail(e.to_string()))?;
            let title = IncidentTitle::parse(title).map_err(text_error)?;
            Action::Declare {
                severity,
                title,
                private,
            }
        }
        "update" => {
            let (first, after) = next_word(rest);
            let public = first.eq_ignore_ascii_case("public");
            let text = if public { after } else { rest };
            let (text, next) = next_update(text).map_err(fail)?;
            Action::Update {
                text: NoteText::parse(text).map_err(text_error)?,
                public,
                next,
            }
        }
        "title" => Action::Title {
            title: IncidentTitle::parse(rest).map_err(text_error)?,
        },
        "summary" => Action::Summary {
            text: NoteText::parse(rest).map_err(text_error)?,
        },
        "impact" => {
            let (word, time) = next_word(rest);
            if !(word.eq_ignore_ascii_case("started") || word.eq_ignore_ascii_case("start")) {
                return Err(fail(
                    "say when the impact started: impact started 13:52".into(),
                ));
            }
            Action::ImpactStarted {
                at: clock_time(time).map_err(fail)?,
            }
        }
        "detected" => Action::Detected {
            at: clock_time(rest).map_err(fail)?,
        },
        "services" => Action::Services {
            services: service_list(rest).map_err(fail)?,
        },
        "private" => {
            no_arguments(rest)?;
            Action::Private
        }
        "sev" => {
            let (sev, reason) = next_word(rest);
            if sev.is_empty() {
                return Err(fail("the severity is missing".into()));
            }
            let severity = sev.parse::<Severity>().map_err(|e| fail(e.to_string()))?;
            let reason = optional_text(reason, NoteText::parse_reason).map_err(text_error)?;
            Action::Severity { severity, reason }
        }
        "ack" => {
            no_arguments(rest)?;
            Action::Ack
        }
        "status" => {
            let (word, note) = next_word(rest);
            if word.is_empty() {
                return Err(fail("the status is missing".into()));
            }
            let status = word.parse::<Status>().map_err(|e| fail(e.to_string()))?;
            let note = optional_text(note, NoteText::parse).map_err(text_error)?;
            Action::Status { status, note }
        }
        "resolve" => Action::Resolve {
            note: optional_text(rest, NoteText::parse).map_err(text_error)?,
        },
        "reopen" => Action::Reopen {
            reason: optional_text(rest, NoteText::parse_reason).map_err(text_error)?,
        },
        "assign" => {
            let (role_word, after_role) = next_word(rest);
            let (who, extra) = next_word(after_role);
            if role_word.is_empty() || who.is_empty() {
                return Err(fail("the role and the person are missing".into()));
            }
            let role = role_word.parse::<Role>().map_err(|()| {
                fail(format!(
                    "unknown role '{}'",
                    role_word.chars().take(20).collect::<String>()
                ))
            })?;
            let user = UserId::from_mention(who).ok_or_else(|| {
                fail(format!(
                    "'{}' is not a mention like @someone",
                    who.chars().take(40).collect::<String>()
                ))
            })?;
            no_arguments(extra)?;
            Action::Assign { role, user }
        }
        "note" => Action::Note {
            text: NoteText::parse(rest).map_err(text_error)?,
        },
        "runbook" => {
            let (first, after) = next_word(rest);
            if first.eq_ignore_ascii_case("attach") {
                let (id, extra) = next_word(after);
                no_arguments(extra)?;
                Action::Attach {
                    runbook: identifier(id, "runbook").map_err(fail)?,
                }
            } else {
                let query = rest.trim();
                if query.chars().any(char::is_control) {
                    return Err(fail("the query contains a control character".into()));
                }
                Action::Runbook {
                    query: (!query.is_empty()).then(|| query.to_owned()),
                }
            }
        }
        "done" | "skip" => {
            let (number, text) = next_word(rest);
            let step = match number.parse::<u32>() {
                Ok(n) if n > 0 => n,
                _ if number.is_empty() => return Err(fail("the step number is missing".into())),
                _ => {
                    let shown: String = number
                        .chars()
                        .take(20)
                        .filter(|c| !c.is_control())
                        .collect();
                    return Err(fail(format!("'{shown}' is not a step number like 3")));
                }
            };
            if canonical == "done" {
                let note = optional_text(text, NoteText::parse).map_err(text_error)?;
                Action::StepDone { step, note }
            } else {
                let reason = optional_text(text, NoteText::parse_reason).map_err(text_error)?;
                Action::StepSkip { step, reason }
            }
        }
        "run" => {
            let (number, extra) = next_word(rest);
            let step = step_number(number).map_err(fail)?;
            let params = parameters(extra).map_err(fail)?;
            Action::Run { step, params }
        }
        "approve" | "deny" => {
            if incident.is_some() {
                return Err(fail(format!(
                    "{canonical} takes a request id, not an incident"
                )));
            }
            let (request, reason) = next_word(rest);
            let request = identifier(request, "request").map_err(fail)?;
            if canonical == "approve" {
                no_arguments(reason)?;
                Action::Approve { request }
            } else {
                let reason = optional_text(reason, NoteText::parse_reason).map_err(text_error)?;
                Action::Deny { request, reason }
            }
        }
        "timeline" => {
            no_arguments(rest)?;
            Action::Timeline
        }
        "postmortem" => {
            no_arguments(rest)?;
            Action::Postmortem
        }
        "list" | "help" | "oncall" => {
            if incident.is_some() {
                return Err(fail(format!("{canonical} takes no incident")));
            }
            match canonical {
                "list" => {
                    no_arguments(rest)?;
                    Action::List
                }
                "oncall" => {
                    no_arguments(rest)?;
                    Action::OnCall
                }
                _ => Action::Help,
            }
        }
        _ => unreachable!("every verb in USAGE is matched above"),
    };
    Ok(Command { incident, action })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Command {
        parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn err(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn declare_reads_severity_and_the_whole_title() {
        let cmd = ok("declare p1 Checkout API returns 500s");
        assert_eq!(cmd.incident, None);
        let Action::Declare {
            severity, title, ..
        } = cmd.action
        else {
            panic!("not a declare")
        };
        assert_eq!(severity, Severity::P1);
        assert_eq!(title.as_str(), "Checkout API returns 500s");
    }

    #[test]
    fn an_incident_named_after_the_verb_is_the_target() {
        assert_eq!(ok("ack INC-7").incident, Some(IncidentNumber(7)));
        let cmd = ok("note inc-12 rolled back  the deploy");
        assert_eq!(cmd.incident, Some(IncidentNumber(12)));
        assert_eq!(
            cmd.action,
            Action::Note {
                text: NoteText::parse("rolled back  the deploy").unwrap()
            }
        );
    }

    #[test]
    fn malformed_commands_say_what_was_wrong_and_the_right_form() {
        assert_eq!(
            err("declare p5 oops"),
            "unknown severity 'p5' (use p0, p1, p2 or p3); usage: declare [private] <p0|p1|p2|p3> <title…>"
        );
        assert_eq!(
            err("declare p1"),
            "the title is empty; usage: declare [private] <p0|p1|p2|p3> <title…>"
        );
        assert_eq!(
            err("status fixed"),
            "unknown status 'fixed' (use investigating, identified, mitigated or resolved); usage: status <investigating|identified|mitigated|resolved> [note]"
        );
        assert_eq!(
            err("ack now please"),
            "ack takes no further words; usage: ack"
        );
        assert_eq!(
            err("frobnicate"),
            "unknown command 'frobnicate'; usage: help (commands: declare, sev, ack, status, update, title, summary, impact, detected, services, private, resolve, reopen, assign, note, runbook, done, skip, run, approve, deny, timeline, postmortem, list, oncall)"
        );
        assert_eq!(
            err("decalre p1 API down"),
            "unknown command 'decalre' (did you mean declare?); usage: help (commands: declare, sev, ack, status, update, title, summary, impact, detected, services, private, resolve, reopen, assign, note, runbook, done, skip, run, approve, deny, timeline, postmortem, list, oncall)"
        );
        assert!(err("aprove r1").starts_with("unknown command 'aprove' (did you mean approve?)"));
        // Too far from every verb for a guess.
        assert!(err("xyz").starts_with("unknown command 'xyz';"));
        assert_eq!(
            err("assign boss @bob"),
            "unknown role 'boss'; usage: assign <commander|comms|scribe> @someone"
        );
        assert_eq!(
            err("ack INC-x"),
            "'INC-x' is not an incident number like INC-7; usage: ack"
        );
    }

    #[test]
    fn mentions_from_every_chat_are_accepted_by_assign() {
        for (text, id) in [
            ("assign comms @bob", "bob"),
            ("assign comms <@U024BE7LH|bob>", "U024BE7LH"),
            ("assign comms @bob:example.org", "@bob:example.org"),
        ] {
            let Action::Assign { user, .. } = ok(text).action else {
                panic!("not an assign")
            };
            assert_eq!(user.as_str(), id);
        }
    }

    #[test]
    fn the_invocation_prefix_is_recognised_only_as_a_whole_word() {
        assert_eq!(strip_invocation("/incident ack"), Some(" ack"));
        assert_eq!(strip_invocation("!incident"), Some(""));
        assert_eq!(strip_invocation("/incidents"), None);
        assert_eq!(strip_invocation("hello"), None);
    }

    #[test]
    fn runbook_steps_are_marked_by_number() {
        assert_eq!(
            ok("done 3").action,
            Action::StepDone {
                step: 3,
                note: None
            }
        );
        let Action::StepSkip { step, reason } = ok("skip INC-2 4 not needed here").action else {
            panic!("not a skip")
        };
        assert_eq!((step, reason.unwrap().as_str()), (4, "not needed here"));
        assert_eq!(
            err("done three"),
            "'three' is not a step number like 3; usage: done <step> [note]"
        );
        assert_eq!(
            err("skip 0"),
            "'0' is not a step number like 3; usage: skip <step> [reason]"
        );
        assert_eq!(
            ok("runbook attach database-down").action,
            Action::Attach {
                runbook: "database-down".into()
            }
        );
        assert_eq!(
            ok("runbook redis timeouts").action,
            Action::Runbook {
                query: Some("redis timeouts".into())
            }
        );
    }

    #[test]
    fn updates_take_public_and_a_trailing_next() {
        let Action::Update { text, public, next } =
            ok("update public Rolled back; error rate falling next 30m").action
        else {
            panic!("not an update")
        };
        assert_eq!(text.as_str(), "Rolled back; error rate falling");
        assert!(public);
        assert_eq!(next, Some(std::time::Duration::from_secs(1800)));
        let Action::Update { text, public, next } =
            ok("update INC-4 we look at the next step").action
        else {
            panic!("not an update")
        };
        assert_eq!(
            (text.as_str(), public, next),
            ("we look at the next step", false, None)
        );
        assert_eq!(
            err("update next 30m"),
            "the note is empty; usage: update [public] <text…> [next <30m>]"
        );
        assert!(err("update rolling back next 5x").starts_with("'5x' is not a time"));
        assert!(err("update rolling back next 3d").starts_with("the next update is due between"));
    }

    #[test]
    fn incident_fields_are_read_with_their_forms() {
        assert!(matches!(
            ok("impact started 13:52").action,
            Action::ImpactStarted {
                at: ClockTime::HourMinute {
                    hour: 13,
                    minute: 52
                }
            }
        ));
        assert!(matches!(
            ok("detected 10m ago").action,
            Action::Detected { .. }
        ));
        assert_eq!(
            err("impact 13:52"),
            "say when the impact started: impact started 13:52; usage: impact started <13:52|2026-12-07 13:52|15m ago>"
        );
        assert!(err("detected lunchtime").starts_with("'lunchtime' is not a time; use 13:52"));
        assert_eq!(
            ok("services checkout, Payments").action,
            Action::Services {
                services: vec!["checkout".into(), "payments".into()]
            }
        );
        let Action::Declare { private, title, .. } = ok("declare private p1 Leaked token").action
        else {
            panic!("not a declare")
        };
        assert!(private);
        assert_eq!(title.as_str(), "Leaked token");
        let Action::Declare { private, title, .. } = ok("declare p1 private network down").action
        else {
            panic!("not a declare")
        };
        assert!(!private);
        assert_eq!(title.as_str(), "private network down");
        assert_eq!(ok("private INC-2").action, Action::Private);
        assert_eq!(
            err("private now"),
            "private takes no further words; usage: private"
        );
    }

    #[test]
    fn an_empty_command_is_help() {
        assert_eq!(ok("   ").action, Action::Help);
    }

    #[test]
    fn commands_round_trip_through_json_for_buttons() {
        let cmd = ok("sev INC-3 p0 now it is everything");
        let json = serde_json::to_string(&cmd).unwrap();
        assert_eq!(serde_json::from_str::<Command>(&json).unwrap(), cmd);
    }
}
