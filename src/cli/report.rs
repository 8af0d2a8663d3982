//! `warroom report`: the incidents of a window across the whole database, as Markdown (for a
//! monthly review), JSON or one HTML page with charts.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, Utc};

use crate::config::Config;
use crate::engine::clock::SystemClock;
use crate::engine::report::{self, Window};

/// What `warroom report` is asked.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The incidents declared since this long ago (`30d`, `12h`, `2d12h`) or this day
    /// (`2026-11-01`, UTC) or time (RFC 3339).
    #[arg(long, default_value = "30d", value_name = "WHEN")]
    since: String,
    /// And before this day or time (default: now).
    #[arg(long, value_name = "WHEN")]
    until: Option<String>,
    /// `md`, `json` or `html`.
    #[arg(long, default_value = "md", value_parser = ["md", "json", "html"])]
    format: String,
    /// Whose clock says what a night is, for night pages (an IANA zone: `Europe/Berlin`).
    #[arg(long, default_value = "UTC", value_name = "ZONE")]
    timezone: String,
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Report on the console's drills, from its drill database (sqlite://warroom-drill.db
    /// unless --database-url or WARROOM_DATABASE_URL names one), instead of real incidents.
    #[arg(long)]
    pub drill: bool,
}

/// Runs `warroom report`.
pub async fn run(config: &Config, args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    let since = when(&args.since, now).context("--since")?;
    let until = match &args.until {
        Some(text) => when(text, now).context("--until")?,
        None => now,
    };
    if since >= until {
        bail!(
            "--since ({}) is not before --until ({})",
            since.format("%Y-%m-%d %H:%M UTC"),
            until.format("%Y-%m-%d %H:%M UTC")
        );
    }
    let zone: chrono_tz::Tz = args.timezone.parse().map_err(|_| {
        anyhow::anyhow!(
            "--timezone: '{}' is not an IANA time zone like Europe/Berlin",
            args.timezone
        )
    })?;
    let engine = super::build_engine(config, Arc::new(SystemClock), false).await?;
    let found = engine
        .report(Window {
            since,
            until,
            zone,
            drills: args.drill,
        })
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.sentence()))?;
    let text = match args.format.as_str() {
        "json" => serde_json::to_string_pretty(&found).context("the report as JSON")? + "\n",
        "html" => report::html(&found),
        _ => report::markdown(&found),
    };
    match &args.out {
        Some(path) => {
            tokio::fs::write(path, text)
                .await
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "wrote the report of {} incidents to {}",
                found.incidents,
                path.display()
            );
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `30d` (that long before `now`), `2026-11-01` (midnight UTC) or an RFC 3339 time.
fn when(text: &str, now: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
    if let Some(span) = crate::domain::parse_span(text) {
        let span = chrono::Duration::from_std(span).context("too long a span")?;
        return now.checked_sub_signed(span).context("too long a span");
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            anyhow::anyhow!(
                "'{text}' is neither a span like 30d nor a day like 2026-11-01 nor a time like \
                 2026-11-01T09:00:00Z"
            )
        })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_window_edge_is_a_span_a_day_or_a_time() {
        let now = Utc
            .with_ymd_and_hms(2026, 12, 8, 9, 30, 0)
            .single()
            .unwrap();
        assert_eq!(
            when("30d", now).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 8, 9, 30, 0)
                .single()
                .unwrap()
        );
        assert_eq!(
            when("2026-11-01", now).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().unwrap()
        );
        assert_eq!(
            when("2026-11-01T10:00:00+01:00", now).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).single().unwrap()
        );
        let err = when("last month", now).unwrap_err().to_string();
        assert!(err.contains("30d"), "{err}");
    }
}
