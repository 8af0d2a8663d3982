//! A child's output: stdout and stderr read together into one bounded tail.

use std::collections::VecDeque;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{ChildStderr, ChildStdout};

use super::Redactor;

/// Bytes read from a pipe at a time.
const CHUNK: usize = 16 * 1024;

/// The last `cap` bytes a process wrote, and how many it wrote in all, with secrets hidden.
/// Memory stays below twice what is kept however much the process writes.
///
/// With secrets to hide, a margin more is kept (as long as the longest text to hide, see
/// [`Redactor::margin`]) and searched with the rest, so that a secret cut in half by the
/// start of the kept output is still found; the margin itself is never shown.
#[derive(Debug)]
pub(super) struct OutputTail {
    kept: VecDeque<u8>,
    /// How many bytes are shown.
    cap: usize,
    /// How many bytes are kept: `cap` and the margin.
    keep: usize,
    total: u64,
    redactor: Redactor,
}

impl OutputTail {
    /// An empty tail keeping at most `cap` bytes.
    #[cfg(test)]
    pub(super) fn new(cap: usize) -> Self {
        Self::hiding(cap, Redactor::default())
    }

    /// An empty tail showing at most `cap` bytes, with what `redactor` hides as `***`.
    pub(super) fn hiding(cap: usize, redactor: Redactor) -> Self {
        let keep = if redactor.is_empty() {
            cap
        } else {
            cap + redactor.margin()
        };
        Self {
            kept: VecDeque::with_capacity(keep.min(CHUNK)),
            cap,
            keep,
            total: 0,
            redactor,
        }
    }

    /// Appends what the process wrote, dropping the oldest bytes beyond the cap.
    pub(super) fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        if bytes.len() >= self.keep {
            self.kept.clear();
            self.kept.extend(&bytes[bytes.len() - self.keep..]);
            return;
        }
        let overflow = (self.kept.len() + bytes.len()).saturating_sub(self.keep);
        self.kept.drain(..overflow);
        self.kept.extend(bytes);
    }

    /// How many bytes were written in all.
    pub(super) fn total(&self) -> u64 {
        self.total
    }

    /// How many bytes from the start are not shown.
    pub(super) fn dropped(&self) -> u64 {
        self.total - self.cap.min(self.kept.len()) as u64
    }

    /// True when the beginning of the output is not shown.
    pub(super) fn truncated(&self) -> bool {
        self.total > self.cap.min(self.kept.len()) as u64
    }

    /// The last `cap` kept bytes as text (invalid UTF-8 replaced), secrets hidden. When the
    /// beginning was dropped the cut may fall inside a character; its leftover continuation
    /// bytes are skipped.
    pub(super) fn text(&mut self) -> String {
        let bytes = self.kept.make_contiguous();
        let start = if self.total > bytes.len() as u64 {
            bytes
                .iter()
                .take(3)
                .take_while(|b| (**b & 0b1100_0000) == 0b1000_0000)
                .count()
        } else {
            0
        };
        let text = String::from_utf8_lossy(&bytes[start..]);
        if self.redactor.is_empty() {
            return text.into_owned();
        }
        // The margin is searched, not shown.
        let shown_from = text.len().saturating_sub(self.cap);
        self.redactor.scrub_from(&text, shown_from)
    }
}

/// A child's stdout and stderr, read as data arrives on either.
pub(super) struct Pipes {
    stdout: Option<ChildStdout>,
    stderr: Option<ChildStderr>,
    stdout_buf: Box<[u8]>,
    stderr_buf: Box<[u8]>,
}

/// Which pipe a read came from.
enum Source {
    Stdout,
    Stderr,
}

impl Pipes {
    /// Reads from whichever of the two pipes the child was given.
    pub(super) fn new(stdout: Option<ChildStdout>, stderr: Option<ChildStderr>) -> Self {
        Self {
            stdout,
            stderr,
            stdout_buf: vec![0; CHUNK].into_boxed_slice(),
            stderr_buf: vec![0; CHUNK].into_boxed_slice(),
        }
    }

    /// True until both pipes reached end of file (or failed).
    pub(super) fn is_open(&self) -> bool {
        self.stdout.is_some() || self.stderr.is_some()
    }

    /// Waits for the next chunk on either pipe and appends it to `tail`; a pipe at end of
    /// file is closed. Cancel-safe: dropping the future loses no data.
    pub(super) async fn read_into(&mut self, tail: &mut OutputTail) {
        let (source, result) = tokio::select! {
            r = read_some(&mut self.stdout, &mut self.stdout_buf), if self.stdout.is_some() => (Source::Stdout, r),
            r = read_some(&mut self.stderr, &mut self.stderr_buf), if self.stderr.is_some() => (Source::Stderr, r),
            else => return,
        };
        let buf = match source {
            Source::Stdout => &self.stdout_buf,
            Source::Stderr => &self.stderr_buf,
        };
        match result {
            Ok(n) if n > 0 => tail.push(&buf[..n]),
            // End of file, or a read error (which a pipe only gives when it is gone).
            _ => match source {
                Source::Stdout => self.stdout = None,
                Source::Stderr => self.stderr = None,
            },
        }
    }

    /// Reads until both pipes are closed, for at most `grace`: a process that left the
    /// group may hold a pipe open for ever.
    pub(super) async fn drain_into(&mut self, tail: &mut OutputTail, grace: std::time::Duration) {
        let drained = tokio::time::timeout(grace, async {
            while self.is_open() {
                self.read_into(tail).await;
            }
        })
        .await;
        if drained.is_err() {
            tracing::debug!(
                "output pipes still open after the process group ended; stopped reading"
            );
        }
    }
}

async fn read_some<R: AsyncRead + Unpin>(
    pipe: &mut Option<R>,
    buf: &mut [u8],
) -> std::io::Result<usize> {
    match pipe {
        Some(pipe) => pipe.read(buf).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_output_is_kept_whole() {
        let mut tail = OutputTail::new(16);
        tail.push(b"hello ");
        tail.push(b"world\n");
        assert_eq!(tail.text(), "hello world\n");
        assert_eq!(tail.total(), 12);
        assert!(!tail.truncated());
    }

    #[test]
    fn only_the_last_cap_bytes_are_kept_and_all_are_counted() {
        let mut tail = OutputTail::new(8);
        for chunk in [&b"0123"[..], b"4567", b"89", b"abcdefghijklmnop", b"XY"] {
            tail.push(chunk);
        }
        assert_eq!(tail.text(), "klmnopXY");
        assert_eq!(tail.total(), 28);
        assert!(tail.truncated());
    }

    #[test]
    fn memory_stays_bounded_however_much_is_pushed() {
        let mut tail = OutputTail::new(1024);
        let chunk = [b'x'; 700];
        for _ in 0..10_000 {
            tail.push(&chunk);
        }
        assert_eq!(tail.kept.len(), 1024);
        assert!(tail.kept.capacity() <= 2 * 1024, "{}", tail.kept.capacity());
        assert_eq!(tail.total(), 7_000_000);
    }

    #[test]
    fn a_cut_inside_a_character_drops_its_remains_instead_of_showing_garbage() {
        let mut tail = OutputTail::new(4);
        tail.push("aé€".as_bytes()); // 1 + 2 + 3 bytes: the cut falls inside 'é'
        assert_eq!(tail.text(), "€");
    }

    #[test]
    fn a_secret_cut_by_the_start_of_the_kept_output_is_still_hidden() {
        let secret = "hunter2-correct-horse";
        let redactor = Redactor::new(&[secret]);
        let mut tail = OutputTail::hiding(16, redactor.clone());
        tail.push(b"a lot of output before it, then token=");
        tail.push(secret.as_bytes());
        tail.push(b" and 9 more");
        // The last 16 bytes are "horse and 9 more": the end of the secret.
        assert_eq!(tail.text(), "*** and 9 more");
        assert!(tail.truncated());
        assert_eq!(tail.dropped(), 38 + 21 + 11 - 16);
        // The cut at every place in the secret, and after it.
        for after in 0..12 {
            let mut tail = OutputTail::hiding(8, redactor.clone());
            tail.push("x".repeat(40).as_bytes());
            tail.push(secret.as_bytes());
            tail.push("y".repeat(after).as_bytes());
            let expected = if after < 8 {
                format!("***{}", "y".repeat(after))
            } else {
                "y".repeat(8)
            };
            assert_eq!(tail.text(), expected, "{after} bytes after the secret");
        }
    }

    #[test]
    fn a_zero_cap_keeps_nothing_but_counts() {
        let mut tail = OutputTail::new(0);
        tail.push(b"abc");
        assert_eq!(tail.text(), "");
        assert_eq!(tail.total(), 3);
        assert!(tail.truncated());
    }
}
