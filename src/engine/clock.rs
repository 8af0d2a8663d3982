//! Time, real or simulated (for rehearsals and tests).

use std::sync::Mutex;

use chrono::{DateTime, Duration, DurationRound, NaiveDate, Utc};

/// The longest `wait` a rehearsal takes at once.
pub const LONGEST_WAIT: Duration = Duration::days(366);

/// The last time a simulated clock shows: 9999-01-01 00:00:00 UTC. The databases keep times as
/// text, which sorts `+10000-…` before `9999-…`; stopping a year early leaves every timer the
/// engine sets (reminders, escalations, expiries, all well under a year ahead) a four-digit year.
pub fn simulated_end() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(9999, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Where the engine gets the time from.
pub trait Clock: Send + Sync {
    /// The current time, to the microsecond (what both databases keep).
    fn now(&self) -> DateTime<Utc>;
}

/// The computer's clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        now.duration_trunc(Duration::microseconds(1)).unwrap_or(now)
    }
}

/// A clock that moves only when told to, so a rehearsal plays the same every time.
#[derive(Debug)]
pub struct SimulatedClock {
    now: Mutex<DateTime<Utc>>,
}

impl SimulatedClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        SimulatedClock {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock forward, at most to [`simulated_end`].
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        let end = simulated_end().max(*now);
        *now = now.checked_add_signed(by).map_or(end, |t| t.min(end));
    }

    /// Sets the clock to a time, if it is later than now (a clock never goes back), and at most
    /// to [`simulated_end`].
    pub fn set(&self, at: DateTime<Utc>) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        let at = at.min(simulated_end());
        if at > *now {
            *now = at;
        }
    }

    /// Where a wait of `by` takes the clock: refused (with the sentence to show) when it is
    /// longer than [`LONGEST_WAIT`] or would take the clock past [`simulated_end`].
    pub fn after_wait(&self, by: Duration, shown: &str) -> Result<DateTime<Utc>, String> {
        if by > LONGEST_WAIT {
            return Err(format!(
                "'{shown}' is longer than the longest wait, {}",
                format_duration(LONGEST_WAIT)
            ));
        }
        let now = self.now();
        let end = simulated_end();
        match now.checked_add_signed(by) {
            Some(target) if target <= end => Ok(target),
            _ => Err(format!(
                "the simulated clock stops at {}; wait at most {}",
                end.format("%Y-%m-%d %H:%M:%S UTC"),
                format_duration((end - now).max(Duration::zero()))
            )),
        }
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Reads a duration like `10m`, `90s`, `1h30m`, `2d`; `None` when it is not one.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.is_empty() || text.len() > 32 {
        return None;
    }
    let mut total = Duration::zero();
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().ok()?;
        digits.clear();
        let part = match c {
            's' => Duration::try_seconds(n)?,
            'm' => Duration::try_minutes(n)?,
            'h' => Duration::try_hours(n)?,
            'd' => Duration::try_days(n)?,
            _ => return None,
        };
        total = total.checked_add(&part)?;
    }
    digits.is_empty().then_some(total)
}

/// A duration as `wait` reads it: `16d23h50m`, `90s`, `0s`.
pub fn format_duration(d: Duration) -> String {
    let mut left = d.num_seconds().max(0);
    let mut out = String::new();
    for (unit, secs) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        let n = left / secs;
        left %= secs;
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_the_usual_units() {
        assert_eq!(parse_duration("10m"), Some(Duration::minutes(10)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::minutes(90)));
        assert_eq!(parse_duration("45s"), Some(Duration::seconds(45)));
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration("10x"), None);
        assert_eq!(parse_duration("99999999999999999999d"), None);
    }

    #[test]
    fn a_simulated_clock_moves_only_when_told() {
        let start = DateTime::parse_from_rfc3339("2026-01-05T14:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = SimulatedClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::minutes(10));
        assert_eq!(clock.now(), start + Duration::minutes(10));
    }

    #[test]
    fn a_simulated_clock_never_passes_its_end_and_refuses_waits_beyond_it() {
        let end = simulated_end();
        assert_eq!(end.to_rfc3339(), "9999-01-01T00:00:00+00:00");
        let clock = SimulatedClock::new(end - Duration::days(17));
        assert_eq!(
            clock.after_wait(Duration::days(99_999_999), "99999999d"),
            Err("'99999999d' is longer than the longest wait, 366d".to_owned())
        );
        assert_eq!(
            clock.after_wait(Duration::days(30), "30d"),
            Err(
                "the simulated clock stops at 9999-01-01 00:00:00 UTC; wait at most 17d".to_owned()
            )
        );
        assert_eq!(
            clock.after_wait(Duration::days(17), "17d"),
            Ok(end),
            "up to the end exactly"
        );
        clock.set(end + Duration::days(400));
        assert_eq!(clock.now(), end);
        clock.advance(Duration::MAX);
        assert_eq!(clock.now(), end);
        assert_eq!(format_duration(Duration::seconds(1_467_000)), "16d23h30m");
        assert_eq!(format_duration(Duration::zero()), "0s");
    }
}
