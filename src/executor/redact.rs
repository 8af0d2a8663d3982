//! Hiding secrets in what a command printed, before anyone stores or posts it.
//!
//! A command that gets a secret in its argv can print it: `echo token=$API_TOKEN`, an error
//! message quoting its connection string, `base64` of it. Each configured secret's value
//! used by the run is replaced by `***` wherever it appears, and so are its base64 forms:
//!
//! - the whole value encoded, standard (`+/`) and URL-safe (`-_`) alphabets, with and without
//!   `=` padding;
//! - inside longer base64 text (the secret preceded by 0, 1 or 2 other bytes modulo 3, as in
//!   `base64` of `token=<secret>` or of a file holding it): for each of the three alignments,
//!   the run of characters that depends on the secret's bytes alone, when it is at least
//!   [`MIN_CORE`] characters long (a secret of 7 bytes or more);
//! - also when `base64` wrapped its lines (newlines inside the encoded text are skipped).
//!
//! Other encodings (hex, URL-encoding, a secret split across separate writes with other
//! text between) are not recognised.

use std::ops::Range;

use crate::domain::HIDDEN;

/// The shortest base64 run matched inside longer base64 text; shorter runs would hide
/// innocent text too often.
pub const MIN_CORE: usize = 8;

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The texts to hide for a set of secrets.
#[derive(Clone, Default)]
pub struct Redactor {
    /// The secrets' values, found as they are.
    literal: Vec<String>,
    /// Their base64 forms, found also across line breaks.
    encoded: Vec<String>,
}

impl Redactor {
    /// A redactor for these secret values (empty ones are ignored).
    pub fn new<S: AsRef<str>>(secrets: &[S]) -> Redactor {
        let mut redactor = Redactor::default();
        for secret in secrets.iter().map(AsRef::as_ref) {
            if secret.is_empty() {
                continue;
            }
            redactor.literal.push(secret.to_owned());
            let bytes = secret.as_bytes();
            for alphabet in [STANDARD, URL_SAFE] {
                let padded = encode(bytes, alphabet, true);
                let bare = padded.trim_end_matches('=').to_owned();
                redactor.encoded.push(padded);
                redactor.encoded.push(bare);
                for offset in 0..3 {
                    let core = core(bytes, offset, alphabet);
                    if core.len() >= MIN_CORE {
                        redactor.encoded.push(core);
                    }
                }
            }
        }
        redactor.literal.sort();
        redactor.literal.dedup();
        redactor.encoded.sort();
        redactor.encoded.dedup();
        redactor
    }

    /// Whether there is nothing to hide.
    pub fn is_empty(&self) -> bool {
        self.literal.is_empty()
    }

    /// How many bytes before a cut in the output a match can start and still reach past it:
    /// output is kept this much longer than shown, so that a secret cut in half at the start
    /// of what is kept is still recognised.
    pub fn margin(&self) -> usize {
        let longest = self
            .literal
            .iter()
            .chain(&self.encoded)
            .map(String::len)
            .max()
            .unwrap_or(0);
        // Base64 found across line breaks spans more bytes than it has characters: `base64`
        // wraps at 76 columns, with `\r\n` at worst.
        longest + 2 * (longest / 60 + 1)
    }

    /// `text` with every secret and base64 form replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        self.scrub_from(text, 0)
    }

    /// `text[start..]` with every secret and base64 form replaced by `***`, matches found in
    /// the whole of `text`: one that begins before `start` and reaches past it leaves `***`
    /// at the beginning. `start` is moved forward to a character boundary.
    pub fn scrub_from(&self, text: &str, start: usize) -> String {
        let mut start = start.min(text.len());
        while !text.is_char_boundary(start) {
            start += 1;
        }
        let mut out = String::with_capacity(text.len() - start);
        let mut at = start;
        for range in self.ranges(text) {
            if range.end <= start {
                continue;
            }
            let from = range.start.max(start);
            if from > at {
                out.push_str(&text[at..from]);
            }
            out.push_str(HIDDEN);
            at = range.end;
        }
        out.push_str(&text[at.max(start)..]);
        out
    }

    /// The byte ranges to hide in `text`, sorted, merged, on character boundaries.
    fn ranges(&self, text: &str) -> Vec<Range<usize>> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<Range<usize>> = Vec::new();
        for needle in self.literal.iter().chain(&self.encoded) {
            found.extend(
                text.match_indices(needle.as_str())
                    .map(|(i, m)| i..i + m.len()),
            );
        }
        if text.contains(['\n', '\r']) {
            // The text without line breaks, and where each of its bytes was.
            let mut joined = String::with_capacity(text.len());
            let mut origin = Vec::with_capacity(text.len());
            for (i, c) in text.char_indices() {
                if c != '\n' && c != '\r' {
                    joined.push(c);
                    origin.extend((0..c.len_utf8()).map(|k| i + k));
                }
            }
            for needle in &self.encoded {
                for (i, m) in joined.match_indices(needle.as_str()) {
                    // Base64 is ASCII: both ends are whole characters.
                    found.push(origin[i]..origin[i + m.len() - 1] + 1);
                }
            }
        }
        found.sort_by_key(|r| (r.start, r.end));
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(found.len());
        for range in found {
            match merged.last_mut() {
                Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
                _ => merged.push(range),
            }
        }
        merged
    }
}

// By hand: never show the values.
impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.literal.len())
            .finish()
    }
}

/// Base64 of `bytes` in `alphabet`, padded with `=` when `pad`.
fn encode(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..4 {
            if i < chars {
                out.push(char::from(alphabet[((n >> (18 - 6 * i)) & 63) as usize]));
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// The base64 characters that depend only on `bytes` when they start `offset` bytes (0 to 2)
/// into a group of three in a longer encoded text: without the characters that share bits
/// with the bytes before or after.
fn core(bytes: &[u8], offset: usize, alphabet: &[u8; 64]) -> String {
    let mut shifted = vec![0u8; offset];
    shifted.extend_from_slice(bytes);
    let text = encode(&shifted, alphabet, false);
    // Character i covers bits 6i..6i+6 of the shifted bytes; the secret's bits are
    // 8·offset..8·(offset+len).
    let first = (8 * offset).div_ceil(6);
    let end = (8 * (offset + bytes.len())) / 6;
    if first >= end {
        return String::new();
    }
    text[first..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_encoded_as_the_standard_says() {
        // RFC 4648, section 10.
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(plain.as_bytes(), STANDARD, true), encoded);
        }
        assert_eq!(encode(&[0xfb, 0xff], URL_SAFE, false), "-_8");
        assert_eq!(encode(&[0xfb, 0xff], STANDARD, true), "+/8=");
    }

    #[test]
    fn a_secret_and_its_base64_forms_are_hidden() {
        let secret = "s3cr3t-T0ken/with+bits?";
        let r = Redactor::new(&[secret]);
        let std = encode(secret.as_bytes(), STANDARD, true);
        let url = encode(secret.as_bytes(), URL_SAFE, false);
        let text = format!("a {secret} b {std} c {url} d");
        assert_eq!(r.scrub(&text), "a *** b *** c *** d");
        // Inside longer base64 text, at each alignment, with and without a newline after.
        for prefix in ["", "x", "xy", "token=", "Authorization: Bearer "] {
            for suffix in ["", "\n", "-and-more"] {
                let whole = format!("{prefix}{secret}{suffix}");
                for alphabet in [STANDARD, URL_SAFE] {
                    let encoded = encode(whole.as_bytes(), alphabet, true);
                    let scrubbed = r.scrub(&encoded);
                    assert!(scrubbed.contains(HIDDEN), "{whole:?}: {scrubbed}");
                    let core = core(secret.as_bytes(), prefix.len() % 3, alphabet);
                    assert!(!scrubbed.contains(&core), "{whole:?}: {scrubbed}");
                }
            }
        }
    }

    #[test]
    fn wrapped_base64_is_found_across_the_line_breaks() {
        let secret = "a-long-secret-".repeat(8);
        let r = Redactor::new(&[secret.as_str()]);
        let encoded = encode(secret.as_bytes(), STANDARD, true);
        let wrapped: Vec<String> = encoded
            .as_bytes()
            .chunks(76)
            .map(|c| String::from_utf8(c.to_vec()).unwrap())
            .collect();
        let text = format!("before\n{}\nafter", wrapped.join("\n"));
        assert_eq!(r.scrub(&text), "before\n***\nafter");
    }

    #[test]
    fn other_text_is_left_alone() {
        let r = Redactor::new(&["hunter2-long"]);
        let text = "nothing secret here: héllo\nZm9vYmFy\n";
        assert_eq!(r.scrub(text), text);
        assert_eq!(Redactor::new::<&str>(&[]).scrub(text), text);
        assert!(!format!("{r:?}").contains("hunter2"));
    }

    /// A figure, not a check: how long hiding three secrets in a full 64 KiB tail takes.
    #[test]
    fn the_cost_of_scrubbing_a_full_tail_is_printed() {
        let secrets = [
            "postgres://app:pw-1234567@db/shop",
            "tok-abcdefghijkl",
            "x-y-z-0123456789",
        ];
        let r = Redactor::new(&secrets);
        let line = "2026-01-05T14:00:00Z level=info msg=\"request served\" status=200 ms=12\n";
        let text = line.repeat(64 * 1024 / line.len() + 1);
        let runs = 50;
        let started = std::time::Instant::now();
        for _ in 0..runs {
            std::hint::black_box(r.scrub(std::hint::black_box(&text)));
        }
        println!(
            "scrubbing {} bytes for 3 secrets ({} texts to find): {:.2} ms each",
            text.len(),
            r.literal.len() + r.encoded.len(),
            started.elapsed().as_secs_f64() * 1000.0 / f64::from(runs)
        );
    }

    #[test]
    fn a_match_that_starts_before_the_cut_leaves_stars_at_the_start() {
        let r = Redactor::new(&["hunter2"]);
        assert_eq!(r.scrub_from("xxhunter2 tail", 4), "*** tail");
        assert_eq!(r.scrub_from("hunter2 tail hunter2", 7), " tail ***");
        assert_eq!(r.scrub_from("é hunter2", 1), " ***");
        assert_eq!(r.scrub_from("abc", 9), "");
    }
}
