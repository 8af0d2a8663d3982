//! The `[escalation.p0]`…`[escalation.p3]` tables (paging levels and update reminders per
//! severity) and the `[[rotations]]` (who is on call). Read as text here, checked into the
//! domain's [`Policies`] and [`Rotation`]s by [`EscalationConfig::policies`] and [`rotations`].

use std::fmt;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::{ConfigError, key_line, quoted};
use crate::domain::{
    EscalationPolicy, Level, Override, Policies, Rotation, Severity, UserId, format_span,
    parse_span,
};

/// Paging and reminders per severity; a severity (or key) not given keeps its default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct EscalationConfig {
    /// Complete outages.
    pub p0: Option<SeverityEscalation>,
    /// Partial outages.
    pub p1: Option<SeverityEscalation>,
    /// Degradations with a workaround.
    pub p2: Option<SeverityEscalation>,
    /// Cosmetic issues.
    pub p3: Option<SeverityEscalation>,
    /// Whether a person who declares acknowledges by declaring (nobody is paged for the
    /// incident); true unless set to false. Alerts' incidents page whatever this says.
    pub commander_acknowledges: Option<bool>,
}

/// The `[escalation.pN]` table of one severity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SeverityEscalation {
    /// The paging levels in order; `None` keeps the default, `[]` pages nobody.
    pub levels: Option<Vec<LevelConfig>>,
    /// How often to remind the commander to post an update (`"30m"`), or `"off"`.
    #[serde(deserialize_with = "text_or_number")]
    pub reminder: Option<String>,
}

/// One paging level: `{ after = "5m", targets = ["oncall:secondary"] }`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelConfig {
    /// How long after the declaration (`"0m"`, `"5m"`, `"1h30m"`).
    #[serde(deserialize_with = "required_text_or_number")]
    pub after: String,
    /// Whom to page: `@alice`, `group:sre`, `oncall:primary`.
    pub targets: Vec<String>,
}

/// One `[[rotations]]` table.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RotationConfig {
    /// The alias `oncall:<name>` pages.
    pub name: String,
    /// The people in the order of their turns.
    #[serde(deserialize_with = "super::fields::user_ids")]
    pub people: Vec<UserId>,
    /// The weekly handover, a weekday and a 24-hour local time: `"monday 09:00"`.
    pub handoff: String,
    /// The IANA time zone of the handover (`"Europe/Berlin"`).
    pub time_zone: String,
    /// The week the first person starts (`"2026-01-05"`): the handoff on or after it.
    pub start: String,
    /// Swaps: `{ from = "…Z", until = "…Z", person = "dave" }`.
    pub overrides: Vec<OverrideConfig>,
}

/// One swap of a rotation.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideConfig {
    /// When it begins (RFC 3339).
    pub from: String,
    /// When it ends, not included (RFC 3339).
    pub until: String,
    /// Who is on call meanwhile.
    pub person: String,
}

impl Default for RotationConfig {
    fn default() -> Self {
        RotationConfig {
            name: String::new(),
            people: Vec::new(),
            handoff: "monday 09:00".to_owned(),
            time_zone: "UTC".to_owned(),
            start: String::new(),
            overrides: Vec::new(),
        }
    }
}

fn invalid(key: String, problem: impl Into<String>) -> ConfigError {
    ConfigError::InvalidValue {
        key,
        origin: "in the configuration".to_owned(),
        problem: problem.into(),
    }
}

impl EscalationConfig {
    fn severities(&self) -> [(Severity, Option<&SeverityEscalation>); 4] {
        [
            (Severity::P0, self.p0.as_ref()),
            (Severity::P1, self.p1.as_ref()),
            (Severity::P2, self.p2.as_ref()),
            (Severity::P3, self.p3.as_ref()),
        ]
    }

    /// The paging policies and reminders: the defaults with what the file changes.
    pub fn policies(&self) -> Result<Policies, ConfigError> {
        let mut policies = Policies::default();
        if let Some(acknowledges) = self.commander_acknowledges {
            policies.commander_acknowledges = acknowledges;
        }
        for (severity, table) in self.severities() {
            let Some(table) = table else { continue };
            let prefix = format!("escalation.{}", severity.code());
            if let Some(levels) = &table.levels {
                let levels = levels
                    .iter()
                    .enumerate()
                    .map(|(i, level)| level.checked(&format!("{prefix}.levels[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                policies
                    .paging
                    .insert(severity, EscalationPolicy { levels });
            }
            match table.reminder.as_deref().map(str::trim) {
                None => {}
                Some("off") => {
                    policies.reminders.remove(&severity);
                }
                Some(text) => {
                    let every = parse_duration(text)
                        .filter(|d| *d > Duration::zero())
                        .ok_or_else(|| {
                            invalid(
                                format!("{prefix}.reminder"),
                                "expected a duration such as \"30m\" or \"1h\", or \"off\"",
                            )
                        })?;
                    policies.reminders.insert(severity, every);
                }
            }
        }
        Ok(policies)
    }

    /// Appends the effective `[escalation.pN]` tables to `config show`'s text.
    pub(super) fn describe(&self, out: &mut String) {
        let Ok(policies) = self.policies() else {
            out.push_str("\n# [escalation] is not valid\n");
            return;
        };
        for severity in Severity::ALL {
            out.push_str(&format!("\n[escalation.{}]\n", severity.code()));
            let levels: Vec<String> = policies
                .policy(severity)
                .levels
                .iter()
                .map(|l| {
                    let targets: Vec<String> =
                        l.targets.iter().map(|t| quoted(&t.to_string())).collect();
                    format!(
                        "{{ after = {}, targets = [{}] }}",
                        quoted(&format_duration(l.after)),
                        targets.join(", ")
                    )
                })
                .collect();
            key_line(out, "levels", Some(format!("[{}]", levels.join(", "))));
            let reminder = policies
                .reminder(severity)
                .map_or_else(|| "off".to_owned(), format_duration);
            key_line(out, "reminder", Some(quoted(&reminder)));
        }
    }
}

impl LevelConfig {
    fn checked(&self, key: &str) -> Result<Level, ConfigError> {
        let after = parse_duration(&self.after).ok_or_else(|| {
            invalid(
                format!("{key}.after"),
                "expected a duration such as \"0m\", \"5m\" or \"1h30m\"",
            )
        })?;
        let targets = self
            .targets
            .iter()
            .enumerate()
            .map(|(i, t)| {
                t.parse()
                    .map_err(|e| invalid(format!("{key}.targets[{i}]"), format!("{e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Level { after, targets })
    }
}

/// The rotations of the file, checked: each needs a unique name, people, a weekday and
/// time, a known time zone and a start date.
pub fn rotations(configs: &[RotationConfig]) -> Result<Vec<Rotation>, ConfigError> {
    let mut out: Vec<Rotation> = Vec::new();
    for (i, config) in configs.iter().enumerate() {
        let rotation = config.checked(&format!("rotations[{i}]"))?;
        if out.iter().any(|r| r.name == rotation.name) {
            return Err(invalid(
                format!("rotations[{i}].name"),
                format!("another rotation is also named '{}'", rotation.name),
            ));
        }
        out.push(rotation);
    }
    Ok(out)
}

impl RotationConfig {
    fn checked(&self, key: &str) -> Result<Rotation, ConfigError> {
        let at = |field: &str| format!("{key}.{field}");
        let name = self.name.trim();
        let named = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !named {
            return Err(invalid(
                at("name"),
                "a rotation needs a name of letters, digits, '-', '_' or '.'",
            ));
        }
        let people = self.people.clone();
        if people.is_empty() {
            return Err(invalid(
                at("people"),
                "a rotation needs at least one person",
            ));
        }
        let (handoff_weekday, handoff_time) =
            parse_handoff(&self.handoff).map_err(|problem| invalid(at("handoff"), problem))?;
        let time_zone = self.time_zone.trim().parse().map_err(|_| {
            invalid(
                at("time_zone"),
                "expected an IANA time zone such as \"Europe/Berlin\" or \"UTC\"",
            )
        })?;
        let start = NaiveDate::parse_from_str(self.start.trim(), "%Y-%m-%d")
            .map_err(|_| invalid(at("start"), "expected a date such as \"2026-01-05\""))?;
        let overrides = self
            .overrides
            .iter()
            .enumerate()
            .map(|(i, o)| o.checked(&at(&format!("overrides[{i}]"))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Rotation {
            name: name.to_owned(),
            people,
            handoff_weekday,
            handoff_time,
            time_zone,
            start,
            overrides,
        })
    }
}

impl OverrideConfig {
    fn checked(&self, key: &str) -> Result<Override, ConfigError> {
        let instant = |field: &str, text: &str| {
            DateTime::parse_from_rfc3339(text.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    invalid(
                        format!("{key}.{field}"),
                        "expected a time such as \"2026-01-10T00:00:00Z\"",
                    )
                })
        };
        let from = instant("from", &self.from)?;
        let until = instant("until", &self.until)?;
        if until <= from {
            return Err(invalid(
                format!("{key}.until"),
                "the swap ends before it begins",
            ));
        }
        let person = UserId::parse(&self.person)
            .map_err(|e| invalid(format!("{key}.person"), e.to_string()))?;
        Ok(Override {
            from,
            until,
            person,
        })
    }
}

/// Appends the `[[rotations]]` tables to `config show`'s text.
pub(super) fn describe_rotations(configs: &[RotationConfig], out: &mut String) {
    let list = |items: &[String]| {
        let items: Vec<String> = items.iter().map(|i| quoted(i)).collect();
        Some(format!("[{}]", items.join(", ")))
    };
    for r in configs {
        out.push_str("\n[[rotations]]\n");
        key_line(out, "name", Some(quoted(&r.name)));
        let people: Vec<String> = r.people.iter().map(|p| p.as_str().to_owned()).collect();
        key_line(out, "people", list(&people));
        key_line(out, "handoff", Some(quoted(&r.handoff)));
        key_line(out, "time_zone", Some(quoted(&r.time_zone)));
        key_line(out, "start", Some(quoted(&r.start)));
        let swaps: Vec<String> = r
            .overrides
            .iter()
            .map(|o| {
                format!(
                    "{{ from = {}, until = {}, person = {} }}",
                    quoted(&o.from),
                    quoted(&o.until),
                    quoted(&o.person)
                )
            })
            .collect();
        key_line(out, "overrides", Some(format!("[{}]", swaps.join(", "))));
    }
}

/// `"monday 09:00"` (any case; `mon` too) as a weekday and a time.
fn parse_handoff(text: &str) -> Result<(Weekday, NaiveTime), String> {
    let mut words = text.split_whitespace();
    let (Some(day), Some(time), None) = (words.next(), words.next(), words.next()) else {
        return Err("expected a weekday and a time such as \"monday 09:00\"".to_owned());
    };
    let day: String = day.chars().take(20).collect();
    let weekday = day
        .parse::<Weekday>()
        .map_err(|_| format!("unknown weekday '{day}' (use monday … sunday)"))?;
    let time = NaiveTime::parse_from_str(time, "%H:%M")
        .map_err(|_| "expected a 24-hour time such as \"09:00\"".to_owned())?;
    Ok((weekday, time))
}

/// A duration in the `[actions]` syntax (`"30s"`, `"5m"`, `"1h30m"`, `"1d"`, or plain
/// seconds), where zero is allowed: a first level pages at once.
fn parse_duration(text: &str) -> Option<Duration> {
    parse_span(text).and_then(|span| Duration::from_std(span).ok())
}

/// A duration as [`parse_duration`] reads it back: `"0m"`, `"15m"`, `"1h30m"`.
fn format_duration(span: Duration) -> String {
    format_span(span.to_std().unwrap_or_default())
}

/// Reads a duration given as text, or as a number of seconds (environment variables).
fn text_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    struct Text;

    impl<'de> Visitor<'de> for Text {
        type Value = Option<String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a duration such as \"30m\", or \"off\"")
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            Ok(Some(s.to_owned()))
        }

        fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
            Ok(Some(n.to_string()))
        }

        fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
            Ok(Some(n.to_string()))
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }

    deserializer.deserialize_any(Text)
}

fn required_text_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    text_or_number(deserializer)?.ok_or_else(|| de::Error::custom("expected a duration"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::config::testing::{env, load, no_env};
    use crate::domain::Target;

    fn error_of(text: &str) -> String {
        load(text).unwrap_err().to_string()
    }

    #[test]
    fn no_file_gives_the_default_policies_and_no_rotations() {
        let config = Config::load_from(None, no_env()).unwrap();
        assert_eq!(config.escalation.policies().unwrap(), Policies::default());
        assert!(rotations(&config.rotations).unwrap().is_empty());
    }

    #[test]
    fn a_declarer_acknowledges_unless_the_file_says_otherwise() {
        let config = load("").unwrap();
        assert!(config.escalation.policies().unwrap().commander_acknowledges);
        let config = load("[escalation]\ncommander_acknowledges = false\n").unwrap();
        assert_eq!(config.unknown_keys(), Vec::<String>::new());
        assert!(!config.escalation.policies().unwrap().commander_acknowledges);
    }

    #[test]
    fn a_severity_given_replaces_its_levels_and_the_others_keep_their_defaults() {
        let config = load(
            r#"
            [escalation.p1]
            levels = [ { after = "0m", targets = ["oncall:primary", "@alice"] }, { after = "1h30m", targets = ["group:sre"] } ]
            reminder = "20m"
            [escalation.p3]
            reminder = "2h"
            "#,
        )
        .unwrap();
        assert_eq!(config.unknown_keys(), Vec::<String>::new());
        let policies = config.escalation.policies().unwrap();
        let p1 = &policies.policy(Severity::P1).levels;
        assert_eq!(p1.len(), 2);
        assert_eq!(p1[0].after, Duration::zero());
        assert_eq!(p1[0].targets[1], "@alice".parse::<Target>().unwrap());
        assert_eq!(p1[1].after, Duration::minutes(90));
        assert_eq!(p1[1].targets, [Target::Group("sre".to_owned())]);
        assert_eq!(policies.reminder(Severity::P1), Some(Duration::minutes(20)));
        assert_eq!(policies.reminder(Severity::P3), Some(Duration::hours(2)));
        let defaults = Policies::default();
        for severity in [Severity::P0, Severity::P2] {
            assert_eq!(policies.policy(severity), defaults.policy(severity));
            assert_eq!(policies.reminder(severity), defaults.reminder(severity));
        }
        assert_eq!(policies.policy(Severity::P3), defaults.policy(Severity::P3));
    }

    #[test]
    fn reminders_can_be_turned_off_and_levels_emptied() {
        let config = load("[escalation.p0]\nlevels = []\nreminder = \"off\"\n").unwrap();
        let policies = config.escalation.policies().unwrap();
        assert!(policies.policy(Severity::P0).levels.is_empty());
        assert_eq!(policies.reminder(Severity::P0), None);
    }

    #[test]
    fn a_reminder_comes_from_the_environment_too() {
        let vars = env(&[("WARROOM_ESCALATION__P2__REMINDER", "45m")]);
        let config = Config::load_from(None, vars).unwrap();
        let policies = config.escalation.policies().unwrap();
        assert_eq!(policies.reminder(Severity::P2), Some(Duration::minutes(45)));
    }

    #[test]
    fn bad_durations_and_targets_name_their_key() {
        let err = error_of("[escalation.p1]\nreminder = \"soon\"\n");
        assert!(err.starts_with("`escalation.p1.reminder`"), "{err}");
        let err = error_of("[escalation.p1]\nreminder = \"0m\"\n");
        assert!(err.starts_with("`escalation.p1.reminder`"), "{err}");
        let err = error_of(
            "[escalation.p0]\nlevels = [{ after = \"5 minutes\", targets = [\"group:sre\"] }]\n",
        );
        assert!(err.starts_with("`escalation.p0.levels[0].after`"), "{err}");
        let err = error_of(
            "[escalation.p2]\nlevels = [{ after = \"0m\", targets = [\"group:sre\", \"team:x\"] }]\n",
        );
        assert!(
            err.starts_with("`escalation.p2.levels[0].targets[1]`"),
            "{err}"
        );
        assert!(err.contains("'team:x'"), "{err}");
    }

    const ROTATION: &str = r#"
        [[rotations]]
        name = "primary"
        people = ["alice", "bob", "carol"]
        handoff = "monday 09:00"
        time_zone = "Europe/Berlin"
        start = "2026-01-05"
        overrides = [ { from = "2026-01-10T00:00:00Z", until = "2026-01-11T00:00:00Z", person = "dave" } ]
        "#;

    #[test]
    fn a_rotation_is_read_with_its_overrides() {
        let config = load(ROTATION).unwrap();
        assert_eq!(config.unknown_keys(), Vec::<String>::new());
        let rotations = rotations(&config.rotations).unwrap();
        let r = &rotations[0];
        assert_eq!(r.name, "primary");
        assert_eq!(r.people.len(), 3);
        assert_eq!(r.handoff_weekday, Weekday::Mon);
        assert_eq!(r.handoff_time, NaiveTime::from_hms_opt(9, 0, 0).unwrap());
        assert_eq!(r.time_zone, chrono_tz::Europe::Berlin);
        assert_eq!(r.start, NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
        let at = |t: &str| t.parse::<DateTime<Utc>>().unwrap();
        let who = |t: &str| r.on_call(at(t)).map(|p| p.to_string());
        assert_eq!(who("2026-01-07T12:00:00Z").as_deref(), Some("alice"));
        assert_eq!(who("2026-01-10T12:00:00Z").as_deref(), Some("dave"));
        assert_eq!(who("2026-01-13T12:00:00Z").as_deref(), Some("bob"));
    }

    #[test]
    fn bad_rotations_name_their_key() {
        let cases = [
            ("people = [\"alice\"]", "`rotations[0].name`"),
            ("name = \"p\"", "`rotations[0].people`"),
            (
                "name = \"p\"\npeople = [\"a\"]\nhandoff = \"someday 09:00\"\nstart = \"2026-01-05\"",
                "`rotations[0].handoff`",
            ),
            (
                "name = \"p\"\npeople = [\"a\"]\nhandoff = \"monday 9am\"\nstart = \"2026-01-05\"",
                "`rotations[0].handoff`",
            ),
            (
                "name = \"p\"\npeople = [\"a\"]\ntime_zone = \"Mars/Olympus\"\nstart = \"2026-01-05\"",
                "`rotations[0].time_zone`",
            ),
            ("name = \"p\"\npeople = [\"a\"]", "`rotations[0].start`"),
            (
                "name = \"p\"\npeople = [\"a\"]\nstart = \"2026-01-05\"\noverrides = [{ from = \"2026-01-10T00:00:00Z\", until = \"2026-01-09T00:00:00Z\", person = \"d\" }]",
                "`rotations[0].overrides[0].until`",
            ),
        ];
        for (body, key) in cases {
            let err = error_of(&format!("[[rotations]]\n{body}\n"));
            assert!(err.starts_with(key), "{key}: {err}");
        }
        let err = error_of(
            "[[rotations]]\nname = \"p\"\nhandoff = \"someday 09:00\"\npeople = [\"a\"]\nstart = \"2026-01-05\"\n",
        );
        assert!(err.contains("unknown weekday 'someday'"), "{err}");
        let twice = format!("{ROTATION}\n{ROTATION}");
        let err = error_of(&twice);
        assert!(err.starts_with("`rotations[1].name`"), "{err}");
    }

    #[test]
    fn misspelled_keys_in_escalation_and_rotations_are_reported() {
        let config = load(
            "[escalation.p1]\nremind = \"5m\"\n[escalation.p9]\n[[rotations]]\nname = \"p\"\npeople = [\"a\"]\nstart = \"2026-01-05\"\ntimezone = \"UTC\"\n",
        )
        .unwrap();
        assert_eq!(
            config.unknown_keys(),
            [
                "escalation.p9",
                "escalation.p1.remind",
                "rotations[0].timezone"
            ]
        );
    }

    #[test]
    fn describe_shows_the_effective_policies_and_the_rotations() {
        let config = load(ROTATION).unwrap();
        let text = config.describe();
        assert!(
            text.contains("[escalation.p0]\nlevels = [{ after = \"0m\", targets = [\"oncall:primary\"] }, { after = \"5m\", targets = [\"oncall:secondary\"] }, { after = \"15m\", targets = [\"group:engineering-managers\"] }, { after = \"1h\", targets = [\"group:executives\"] }]\nreminder = \"15m\"\n"),
            "{text}"
        );
        assert!(
            text.contains("[escalation.p3]\nlevels = []\nreminder = \"off\"\n"),
            "{text}"
        );
        assert!(
            text.contains("[[rotations]]\nname = \"primary\"\n"),
            "{text}"
        );
        assert!(text.contains("time_zone = \"Europe/Berlin\""), "{text}");
        // What describe writes reads back to the same configuration.
        let again = load(&text).unwrap().describe();
        let ours = |text: &str| text[text.find("[escalation").unwrap()..].to_owned();
        assert_eq!(ours(&again), ours(&text));
    }

    #[test]
    fn durations_read_the_actions_forms_and_zero() {
        assert_eq!(parse_duration("0m"), Some(Duration::zero()));
        assert_eq!(parse_duration("0"), Some(Duration::zero()));
        assert_eq!(parse_duration("90"), Some(Duration::seconds(90)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::minutes(90)));
        assert_eq!(parse_duration("1d"), Some(Duration::days(1)));
        assert_eq!(parse_duration("-5m"), None);
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration("5x"), None);
        for text in ["0m", "15m", "1h30m", "1d2h"] {
            let span = parse_duration(text).unwrap();
            assert_eq!(format_duration(span), text);
        }
    }
}
