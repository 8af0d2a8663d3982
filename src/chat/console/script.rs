//! The console's input: `USER: TEXT` lines, `USER@ROOM: TEXT`, `wait 10m`, `# comments`.

use std::sync::Arc;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use super::ConsoleChat;
use crate::domain::{UserId, strip_invocation};
use crate::engine::clock::{SimulatedClock, parse_duration};
use crate::engine::port::{ChatError, ChatPort, Origin};
use crate::engine::{Engine, Input};

/// How the console runs.
pub struct ConsoleOptions {
    /// The simulated clock, when the console rehearses (`wait` lines move it).
    pub simulated: Option<Arc<SimulatedClock>>,
    /// Whether to print each input line before its answers (when input is not a terminal).
    pub echo: bool,
    /// The room for commands outside war rooms.
    pub lobby: String,
}

/// One line of input, read.
#[derive(Debug, PartialEq, Eq)]
enum Line<'a> {
    Skip,
    Wait(&'a str),
    Say {
        user: &'a str,
        room: Option<&'a str>,
        text: &'a str,
    },
    Bad(String),
}

fn read_line(line: &str) -> Line<'_> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Line::Skip;
    }
    if let Some(rest) = line.strip_prefix("wait")
        && (rest.is_empty() || rest.starts_with(char::is_whitespace))
    {
        return Line::Wait(rest.trim());
    }
    let Some((who, text)) = line.split_once(':') else {
        return Line::Bad(
            "expected USER: TEXT, USER@ROOM: TEXT, wait <duration> or a # comment".into(),
        );
    };
    let who = who.trim();
    if who.is_empty() || who.contains(char::is_whitespace) {
        return Line::Bad(format!(
            "'{}' is not a user name; expected USER: TEXT",
            who.chars().take(40).collect::<String>()
        ));
    }
    let (user, room) = match who.split_once('@') {
        Some((user, room)) if !user.is_empty() && !room.is_empty() => {
            (user, Some(room.trim_start_matches('#')))
        }
        Some(_) => return Line::Bad("expected USER@ROOM: TEXT".into()),
        None => (who, None),
    };
    Line::Say {
        user,
        room,
        text: text.trim(),
    }
}

/// Plays console input until it ends. Returns how many lines were not understood.
pub async fn run(
    engine: &Engine,
    chat: &ConsoleChat,
    input: impl AsyncBufRead + Unpin,
    options: &ConsoleOptions,
) -> Result<usize, ChatError> {
    let mut lines = input.lines();
    let mut number = 0usize;
    let mut bad = 0usize;
    loop {
        let line = match lines.next_line().await {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => return Err(ChatError::Unavailable(format!("reading input: {e}"))),
        };
        number += 1;
        let parsed = read_line(&line);
        if options.echo && parsed != Line::Skip {
            chat.print(&format!("> {}\n", line.trim()))?;
        }
        let problem = match parsed {
            Line::Skip => None,
            Line::Bad(why) => Some(why),
            Line::Wait(text) => wait(engine, chat, options, text).await,
            Line::Say { user, room, text } => match UserId::parse(user) {
                Err(e) => Some(e.to_string()),
                Ok(user) => {
                    say(engine, chat, options, user, room, text).await;
                    fire(engine, chat).await;
                    None
                }
            },
        };
        if let Some(why) = problem {
            bad += 1;
            chat.print(&format!("! line {number}: {why}\n"))?;
        }
    }
    Ok(bad)
}

/// Moves the simulated clock on, stopping at each timer due on the way so that pages and
/// reminders fire at their own time.
async fn wait(
    engine: &Engine,
    chat: &ConsoleChat,
    options: &ConsoleOptions,
    text: &str,
) -> Option<String> {
    let Some(clock) = &options.simulated else {
        return Some(
            "wait needs a simulated clock: start the console with --simulated-clock".into(),
        );
    };
    let by = match parse_duration(text) {
        Some(by) if by > chrono::Duration::zero() => by,
        _ => {
            return Some(format!(
                "'{}' is not a duration like 10m, 90s or 1h30m",
                text.chars().take(20).collect::<String>()
            ));
        }
    };
    let target = engine.clock().now() + by;
    loop {
        match engine.next_timer().await {
            Ok(Some(next)) if next <= target && next > engine.clock().now() => {
                clock.set(next);
                fire(engine, chat).await;
            }
            Ok(_) => break,
            Err(e) => return Some(e.sentence()),
        }
    }
    clock.set(target);
    fire(engine, chat).await;
    tracing::debug!(now = %engine.clock().now(), "simulated clock advanced");
    None
}

/// Fires the timers that are due now.
async fn fire(engine: &Engine, chat: &ConsoleChat) {
    if let Err(e) = engine.fire_due(&[chat], "console").await {
        let _ = chat.print(&format!("! timers: {}\n", e.sentence()));
    }
}

async fn say(
    engine: &Engine,
    chat: &ConsoleChat,
    options: &ConsoleOptions,
    user: UserId,
    room: Option<&str>,
    text: &str,
) {
    let room_id = match room {
        Some(room) => room.to_owned(),
        None => default_room(engine, chat, &options.lobby).await,
    };
    let origin = Origin {
        platform: chat.platform().to_owned(),
        room_id,
        user,
    };
    let words = strip_invocation(text).unwrap_or(text);
    let effects = engine
        .take(
            &origin,
            Input::Said {
                text: words.to_owned(),
            },
        )
        .await;
    engine.dispatch(chat, &origin, effects).await;
}

/// The war room of the newest open incident, or the lobby when none is open here.
async fn default_room(engine: &Engine, chat: &ConsoleChat, lobby: &str) -> String {
    match engine.newest_war_room(chat.platform()).await {
        Ok(Some(room)) => room,
        Ok(None) => lobby.to_owned(),
        Err(e) => {
            tracing::warn!(error = ?e, "could not find the newest war room");
            lobby.to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_name_a_user_and_maybe_a_room() {
        assert_eq!(
            read_line("alice: /incident ack"),
            Line::Say {
                user: "alice",
                room: None,
                text: "/incident ack"
            }
        );
        assert_eq!(
            read_line("bob@#inc-7: note it: works"),
            Line::Say {
                user: "bob",
                room: Some("inc-7"),
                text: "note it: works"
            }
        );
        assert_eq!(read_line("wait 10m"), Line::Wait("10m"));
        assert_eq!(read_line("  # a comment"), Line::Skip);
        assert!(matches!(read_line("no colon here"), Line::Bad(_)));
        assert!(matches!(read_line("two words: hi"), Line::Bad(_)));
        assert!(matches!(read_line("@room: hi"), Line::Bad(_)));
    }
}
