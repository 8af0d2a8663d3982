//! The console's input: `USER: TEXT` lines, `USER@ROOM: TEXT`, `wait 10m`, `# comments`. A
//! line is at most [`LONGEST_LINE`] bytes of UTF-8; a longer one or one that is not UTF-8 is
//! refused with a line of its own and skipped, and the console goes on.

use std::sync::Arc;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use super::ConsoleChat;
use crate::domain::{UserId, strip_invocation};
use crate::engine::clock::{Clock, SimulatedClock, parse_duration, simulated_end};
use crate::engine::port::{ChatError, ChatPort, Origin, RoomId};
use crate::engine::{Engine, Input};

/// The longest input line, in bytes: a longer one is skipped as it is read, never held whole.
pub const LONGEST_LINE: usize = 64 * 1024;

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

/// One line of input as it came: text, or why it is refused.
#[derive(Debug, PartialEq, Eq)]
enum Raw {
    Text(String),
    /// Longer than [`LONGEST_LINE`] bytes; its bytes were skipped as they came.
    TooLong,
    /// Not UTF-8: the 1-based position of the first bad byte.
    NotUtf8(usize),
}

/// Reads the next line (without its `\n` or `\r\n`), keeping at most [`LONGEST_LINE`] bytes
/// of it in `buf`; `None` at the end of the input.
async fn next_line(
    input: &mut (impl AsyncBufRead + Unpin),
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<Raw>> {
    buf.clear();
    let mut too_long = false;
    let mut any = false;
    loop {
        let available = input.fill_buf().await?;
        if available.is_empty() {
            if !any {
                return Ok(None);
            }
            break;
        }
        any = true;
        let newline = available.iter().position(|&b| b == b'\n');
        let part = &available[..newline.unwrap_or(available.len())];
        if !too_long {
            if buf.len() + part.len() > LONGEST_LINE + 1 {
                // One byte more than the limit is kept for a `\r` before the newline.
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(part);
            }
        }
        let used = part.len() + usize::from(newline.is_some());
        input.consume(used);
        if newline.is_some() {
            break;
        }
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    if too_long || buf.len() > LONGEST_LINE {
        return Ok(Some(Raw::TooLong));
    }
    Ok(Some(match std::str::from_utf8(buf) {
        Ok(text) => Raw::Text(text.to_owned()),
        Err(e) => Raw::NotUtf8(e.valid_up_to() + 1),
    }))
}

/// Plays console input until it ends. Returns how many lines were not understood (a simulated
/// clock that starts past its end counts as one, and no line is read).
pub async fn run(
    engine: &Engine,
    chat: &ConsoleChat,
    mut input: impl AsyncBufRead + Unpin,
    options: &ConsoleOptions,
) -> Result<usize, ChatError> {
    if let Some(clock) = &options.simulated {
        let end = simulated_end();
        if clock.now() > end {
            chat.print(&format!(
                "! the simulated clock cannot start after {} (it was told {}); give an earlier --simulated-clock\n",
                end.format("%Y-%m-%d %H:%M:%S UTC"),
                clock.now().format("%Y-%m-%d %H:%M:%S UTC"),
            ))?;
            return Ok(1);
        }
    }
    let mut buf = Vec::new();
    let mut number = 0usize;
    let mut bad = 0usize;
    loop {
        let raw = match next_line(&mut input, &mut buf).await {
            Ok(Some(raw)) => raw,
            Ok(None) => break,
            Err(e) => return Err(ChatError::Unavailable(format!("reading input: {e}"))),
        };
        number += 1;
        let line = match raw {
            Raw::Text(line) => line,
            Raw::TooLong => {
                bad += 1;
                chat.print(&format!(
                    "! line {number}: the line is longer than {LONGEST_LINE} bytes; skipped\n"
                ))?;
                continue;
            }
            Raw::NotUtf8(at) => {
                bad += 1;
                chat.print(&format!(
                    "! line {number}: the line is not valid UTF-8 (at byte {at}); skipped\n"
                ))?;
                continue;
            }
        };
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
    let target = match clock.after_wait(by, &text.chars().take(20).collect::<String>()) {
        Ok(target) => target,
        Err(why) => return Some(why),
    };
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

/// Fires the timers that are due now, and settles runs cut short by a crash (the console has
/// no background jobs; its clock moves only here).
async fn fire(engine: &Engine, chat: &ConsoleChat) {
    if let Err(e) = engine.escalation().fire_due(&[chat], "console").await {
        let _ = chat.print(&format!("! timers: {}\n", e.sentence()));
    }
    match engine.post_digest_if_due().await {
        Ok(true) => {
            if let Err(e) = engine.delivery().deliver_due(chat, "console").await {
                let _ = chat.print(&format!("! digest: {}\n", e.sentence()));
            }
        }
        Ok(false) => {}
        Err(e) => {
            let _ = chat.print(&format!("! digest: {}\n", e.sentence()));
        }
    }
    if let Err(e) = engine.sweep().run(&[chat]).await {
        let _ = chat.print(&format!("! interrupted runs: {}\n", e.sentence()));
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
        Some(room) => RoomId::new(chat.platform(), room),
        None => default_room(engine, chat, &options.lobby).await,
    };
    let origin = Origin { room_id, user };
    let words = strip_invocation(text).unwrap_or(text);
    let effects = engine
        .incidents()
        .take(
            &origin,
            Input::Said {
                text: words.to_owned(),
            },
        )
        .await;
    engine.delivery().dispatch(chat, &origin, effects).await;
}

/// The war room of the newest open incident, or the lobby when none is open here.
async fn default_room(engine: &Engine, chat: &ConsoleChat, lobby: &str) -> RoomId {
    match engine.newest_war_room(chat.platform()).await {
        Ok(Some(room)) => room,
        Ok(None) => RoomId::new(chat.platform(), lobby),
        Err(e) => {
            tracing::warn!(error = ?e, "could not find the newest war room");
            RoomId::new(chat.platform(), lobby)
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

    async fn all_lines(bytes: &[u8]) -> Vec<Raw> {
        // A tiny buffer, so that lines arrive in many pieces.
        let mut input = tokio::io::BufReader::with_capacity(7, bytes);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(raw) = next_line(&mut input, &mut buf).await.unwrap() {
            assert!(
                buf.capacity() <= 2 * LONGEST_LINE + 16,
                "{}",
                buf.capacity()
            );
            out.push(raw);
        }
        out
    }

    #[tokio::test]
    async fn lines_too_long_or_not_utf8_are_refused_and_the_next_line_is_read() {
        let text = |s: &str| Raw::Text(s.to_owned());
        assert_eq!(
            all_lines(b"a: one\r\nb: two\n\nlast").await,
            [text("a: one"), text("b: two"), text(""), text("last")]
        );
        assert_eq!(all_lines(b"").await, []);
        assert_eq!(
            all_lines(b"ok\ncaf\xe9\n\xff\nok\n").await,
            [text("ok"), Raw::NotUtf8(4), Raw::NotUtf8(1), text("ok")]
        );
        let mut long = vec![b'x'; LONGEST_LINE];
        long.extend_from_slice(b"\r\n");
        long.extend(std::iter::repeat_n(b'y', LONGEST_LINE + 1));
        long.extend_from_slice(b"\nafter\n");
        long.extend(std::iter::repeat_n(b'z', 3 * LONGEST_LINE));
        let lines = all_lines(&long).await;
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0], text(&"x".repeat(LONGEST_LINE)));
        assert_eq!(lines[1..], [Raw::TooLong, text("after"), Raw::TooLong]);
    }
}
