//! On-call rotations: people take turns, handing over weekly at a local weekday and time.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use crate::domain::UserId;

/// An on-call rotation: people take turns, handing over every week at a weekday and time in
/// a time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The alias that `oncall:<name>` pages.
    pub name: String,
    /// The people, in the order they take their turns.
    pub people: Vec<UserId>,
    /// The weekday of the handover.
    pub handoff_weekday: Weekday,
    /// The local time of the handover.
    pub handoff_time: NaiveTime,
    /// The time zone that weekday and time are in (so handovers follow daylight saving).
    pub time_zone: Tz,
    /// The week the first person starts: their turn begins at the handoff on or after it.
    pub start: NaiveDate,
    /// Swaps that put someone else on call for a while.
    pub overrides: Vec<Override>,
}

/// A swap: during `[from, until)` this person is on call instead of the rotation's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// When the swap begins.
    pub from: DateTime<Utc>,
    /// When it ends (not included).
    pub until: DateTime<Utc>,
    /// Who is on call meanwhile.
    pub person: UserId,
}

impl Override {
    /// Whether the swap holds at `at`.
    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at < self.until
    }
}

impl Rotation {
    /// Who is on call at `at`: an override's person, else the person whose week it is;
    /// `None` before the first handoff or when the rotation has nobody.
    pub fn on_call(&self, at: DateTime<Utc>) -> Option<&UserId> {
        if let Some(swap) = self.overrides.iter().find(|o| o.covers(at)) {
            return Some(&swap.person);
        }
        let turn = self.turn(at)?;
        let count = u64::try_from(self.people.len()).ok().filter(|&n| n > 0)?;
        let index = usize::try_from(turn % count).ok()?;
        self.people.get(index)
    }

    /// The first scheduled handoff after `at` (overrides aside); `None` when the rotation
    /// has nobody or the date is out of range.
    pub fn next_handoff(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.people.is_empty() {
            return None;
        }
        let next = match self.turn(at) {
            Some(turn) => turn.checked_add(1)?,
            None => 0,
        };
        self.handoff(next)
    }

    /// How many handoffs have happened by `at` minus one: 0 during the first person's
    /// week; `None` before the first handoff.
    fn turn(&self, at: DateTime<Utc>) -> Option<u64> {
        let first = self.handoff(0)?;
        if at < first {
            return None;
        }
        let local = at.with_timezone(&self.time_zone).date_naive();
        let days = (local - first.with_timezone(&self.time_zone).date_naive()).num_days();
        let mut turn = u64::try_from(days / 7).ok()?;
        // The local date may be the handoff day before the handoff time.
        if self.handoff(turn).is_none_or(|h| at < h) {
            turn = turn.checked_sub(1)?;
        }
        Some(turn)
    }

    /// The instant of handoff number `turn` (0 starts the first person's week).
    fn handoff(&self, turn: u64) -> Option<DateTime<Utc>> {
        let ahead = (7 + self.handoff_weekday.num_days_from_monday()
            - self.start.weekday().num_days_from_monday())
            % 7;
        let date = self
            .start
            .checked_add_days(Days::new(u64::from(ahead)))?
            .checked_add_days(Days::new(turn.checked_mul(7)?))?;
        local_instant(self.time_zone, date, self.handoff_time)
    }
}

/// The instant a local date and time name: the earlier of two in the autumn overlap, and
/// the first valid time after a spring-forward gap.
fn local_instant(tz: Tz, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    let local = date.and_time(time);
    (0..=4 * 60).find_map(|minutes| {
        let shifted = local.checked_add_signed(chrono::Duration::minutes(minutes))?;
        tz.from_local_datetime(&shifted)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> UserId {
        UserId::parse(name).unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    /// Alice, bob and carol, handing over on Mondays at 09:00 in Berlin from 2026-03-16.
    fn berlin() -> Rotation {
        Rotation {
            name: "primary".to_owned(),
            people: vec![id("alice"), id("bob"), id("carol")],
            handoff_weekday: Weekday::Mon,
            handoff_time: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            time_zone: chrono_tz::Europe::Berlin,
            start: NaiveDate::from_ymd_opt(2026, 3, 14).unwrap(),
            overrides: Vec::new(),
        }
    }

    fn on_call(rotation: &Rotation, at: &str) -> Option<String> {
        rotation.on_call(utc(at)).map(|p| p.to_string())
    }

    #[test]
    fn before_the_first_handoff_nobody_is_on_call() {
        let r = berlin();
        assert_eq!(on_call(&r, "2026-03-01T12:00:00Z"), None);
        // The first handoff is Monday 16 March, 09:00 CET = 08:00 UTC.
        assert_eq!(on_call(&r, "2026-03-16T07:59:59Z"), None);
        assert_eq!(
            on_call(&r, "2026-03-16T08:00:00Z").as_deref(),
            Some("alice")
        );
        assert_eq!(
            r.next_handoff(utc("2026-03-01T00:00:00Z")),
            Some(utc("2026-03-16T08:00:00Z"))
        );
    }

    #[test]
    fn the_handoff_follows_local_time_across_the_change_to_summer_time() {
        let r = berlin();
        // Clocks go forward on Sunday 29 March 2026; Monday 30 March 09:00 CEST = 07:00 UTC.
        assert_eq!(
            r.next_handoff(utc("2026-03-16T08:00:00Z")),
            Some(utc("2026-03-23T08:00:00Z"))
        );
        assert_eq!(
            r.next_handoff(utc("2026-03-23T08:00:00Z")),
            Some(utc("2026-03-30T07:00:00Z"))
        );
        assert_eq!(on_call(&r, "2026-03-30T06:59:59Z").as_deref(), Some("bob"));
        assert_eq!(
            on_call(&r, "2026-03-30T07:00:00Z").as_deref(),
            Some("carol")
        );
    }

    #[test]
    fn the_turns_wrap_around_the_list_of_people() {
        let r = berlin();
        assert_eq!(on_call(&r, "2026-03-23T12:00:00Z").as_deref(), Some("bob"));
        assert_eq!(
            on_call(&r, "2026-04-06T12:00:00Z").as_deref(),
            Some("alice")
        );
        assert_eq!(on_call(&r, "2026-04-13T12:00:00Z").as_deref(), Some("bob"));
    }

    #[test]
    fn an_override_wins_during_its_window_only() {
        let mut r = berlin();
        r.overrides.push(Override {
            from: utc("2026-03-18T00:00:00Z"),
            until: utc("2026-03-19T00:00:00Z"),
            person: id("dave"),
        });
        assert_eq!(
            on_call(&r, "2026-03-17T23:59:59Z").as_deref(),
            Some("alice")
        );
        assert_eq!(on_call(&r, "2026-03-18T00:00:00Z").as_deref(), Some("dave"));
        assert_eq!(on_call(&r, "2026-03-18T23:59:59Z").as_deref(), Some("dave"));
        assert_eq!(
            on_call(&r, "2026-03-19T00:00:00Z").as_deref(),
            Some("alice")
        );
    }

    #[test]
    fn a_rotation_without_people_has_nobody_on_call_and_no_handoff() {
        let mut r = berlin();
        r.people.clear();
        assert_eq!(on_call(&r, "2026-04-01T00:00:00Z"), None);
        assert_eq!(r.next_handoff(utc("2026-04-01T00:00:00Z")), None);
    }

    #[test]
    fn a_handoff_in_the_spring_gap_happens_when_the_clocks_resume() {
        let mut r = berlin();
        r.handoff_weekday = Weekday::Sun;
        r.handoff_time = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
        // 02:30 does not exist on 29 March; 03:00 CEST = 01:00 UTC is the first time after.
        assert_eq!(
            r.next_handoff(utc("2026-03-28T00:00:00Z")),
            Some(utc("2026-03-29T01:00:00Z"))
        );
    }
}
