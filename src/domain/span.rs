//! Spans of time as people write them in commands and configuration: `30s`, `5m`, `1h30m`,
//! `500ms`, `1d`, or plain seconds (`90`). One reader for the console, `[actions]` and
//! `[escalation]`.

use std::time::Duration;

/// Reads a span; `None` when the text is not one. Zero is a span (`0m`); callers that need
/// more than zero say so.
pub fn parse_span(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.is_empty() || text.len() > 32 {
        return None;
    }
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        let unit_len = rest[digits..]
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .count();
        let number: u64 = rest[..digits].parse().ok()?;
        let seconds = |factor: u64| number.checked_mul(factor).map(Duration::from_secs);
        let part = match &rest[digits..digits + unit_len] {
            "ms" => Some(Duration::from_millis(number)),
            "s" | "sec" | "secs" => seconds(1),
            "m" | "min" | "mins" => seconds(60),
            "h" => seconds(3600),
            "d" => seconds(86_400),
            _ => None,
        }?;
        total = total.checked_add(part)?;
        rest = rest[digits + unit_len..].trim_start();
    }
    Some(total)
}

/// Writes a span back the way [`parse_span`] reads it: `0m`, `30s`, `15m`, `1h30m`, `500ms`.
pub fn format_span(span: Duration) -> String {
    let mut secs = span.as_secs();
    let millis = span.subsec_millis();
    if secs == 0 {
        return if millis == 0 {
            "0m".to_owned()
        } else {
            format!("{millis}ms")
        };
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    if millis > 0 {
        out.push_str(&format!("{millis}ms"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_in_the_usual_units_and_write_back() {
        for (text, secs) in [
            ("30s", 30),
            ("5m", 300),
            ("1h30m", 5400),
            ("1d", 86_400),
            ("90", 90),
            ("0m", 0),
        ] {
            assert_eq!(parse_span(text), Some(Duration::from_secs(secs)), "{text}");
        }
        assert_eq!(parse_span("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(format_span(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_span(Duration::ZERO), "0m");
        assert_eq!(
            parse_span(&format_span(Duration::from_millis(90_500))),
            Some(Duration::from_millis(90_500))
        );
    }

    #[test]
    fn things_that_are_not_spans_are_refused() {
        for text in [
            "",
            "m",
            "10x",
            "soon",
            "-5m",
            "99999999999999999999d",
            "1h 30",
        ] {
            assert_eq!(parse_span(text), None, "{text}");
        }
    }
}
