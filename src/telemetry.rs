//! What Warroom tells Prometheus about itself: every metric's name, kind, labels and help in
//! one place, the recorder `warroom serve` installs, and the text of `/metrics`.
//!
//! The engine, the chats and the HTTP side record through the functions below (the `metrics`
//! facade underneath: without an installed recorder, as in a console drill or a unit test,
//! they do nothing). Two kinds of figures:
//! - **what this process saw** (counters and histograms: declarations, time to acknowledge and
//!   to resolve, pages, chat calls, timer lateness, action runs, HTTP requests), from its start;
//!   with several replicas, Prometheus sums them;
//! - **what the database holds** (gauges: incidents by severity and status, each chat's
//!   outbox backlog), read by a task of `serve` every `[metrics] refresh_secs`
//!   ([`Scrape::figures`]), not by the scrape: a scrape costs the same however large the
//!   database, never waits on one that is down, and several scrapers cost the database
//!   nothing more. `warroom_database_figures_timestamp_seconds` says when they were read.
//!   Every replica reports the same, so take `max` over replicas, not `sum`.

use std::sync::OnceLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::domain::{Incident, Severity, Status};
use crate::store::{IncidentCount, PendingCount};

/// Time to acknowledge and to resolve, in seconds: 30 s to a day.
const INCIDENT_BUCKETS: &[f64] = &[
    30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 43200.0, 86400.0,
];
/// Chat calls and HTTP requests, in seconds: 1 ms to 10 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// How late a timer fired, in seconds: 10 ms to 5 minutes.
const LATENESS_BUCKETS: &[f64] = &[0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 300.0];

const DECLARED: &str = "warroom_incidents_declared_total";
const INCIDENTS: &str = "warroom_incidents";
const TO_ACKNOWLEDGE: &str = "warroom_time_to_acknowledge_seconds";
const TO_RESOLVE: &str = "warroom_time_to_resolve_seconds";
const PAGES: &str = "warroom_pages_total";
const OUTBOX_PENDING: &str = "warroom_outbox_pending";
const OUTBOX_OLDEST: &str = "warroom_outbox_oldest_age_seconds";
const CHAT_CALLS: &str = "warroom_chat_request_duration_seconds";
const TIMER_LATENESS: &str = "warroom_timer_lateness_seconds";
const ACTION_RUNS: &str = "warroom_action_runs_total";
const HTTP_REQUESTS: &str = "warroom_http_request_duration_seconds";
const BUILD_INFO: &str = "warroom_build_info";
const FIGURE_ERRORS: &str = "warroom_database_figures_errors_total";
const FIGURES_READ: &str = "warroom_database_figures_timestamp_seconds";

/// Every severity and status, so that a pair with no incidents shows as 0 rather than
/// vanishing from the scrape.
const SEVERITIES: [Severity; 4] = [Severity::P0, Severity::P1, Severity::P2, Severity::P3];
const STATUSES: [Status; 4] = [
    Status::Investigating,
    Status::Identified,
    Status::Mitigated,
    Status::Resolved,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on the first call (later calls get the same one).
/// `None` when another recorder was installed first (a library user's own).
pub fn install() -> Option<Scrape> {
    if let Some(handle) = HANDLE.get() {
        return Some(Scrape(handle.clone()));
    }
    let handle = match recorder() {
        Ok(handle) => handle,
        Err(e) => {
            tracing::warn!(error = %e, "/metrics is off: a metrics recorder was installed already");
            return None;
        }
    };
    let handle = HANDLE.get_or_init(|| handle).clone();
    describe();
    gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    Some(Scrape(handle))
}

fn recorder() -> Result<PrometheusHandle, metrics_exporter_prometheus::BuildError> {
    let mut builder = PrometheusBuilder::new();
    for (name, buckets) in [
        (TO_ACKNOWLEDGE, INCIDENT_BUCKETS),
        (TO_RESOLVE, INCIDENT_BUCKETS),
        (CHAT_CALLS, LATENCY_BUCKETS),
        (HTTP_REQUESTS, LATENCY_BUCKETS),
        (TIMER_LATENESS, LATENESS_BUCKETS),
    ] {
        builder = builder.set_buckets_for_metric(Matcher::Full(name.to_owned()), buckets)?;
    }
    builder.install_recorder()
}

fn describe() {
    describe_counter!(
        DECLARED,
        "Incidents this process declared, by severity at declaration."
    );
    describe_gauge!(
        INCIDENTS,
        "Incidents in the database, by current severity and status."
    );
    describe_histogram!(
        TO_ACKNOWLEDGE,
        metrics::Unit::Seconds,
        "From declaration to the first acknowledgement, by severity then."
    );
    describe_histogram!(
        TO_RESOLVE,
        metrics::Unit::Seconds,
        "From declaration to resolution, by severity then."
    );
    describe_counter!(
        PAGES,
        "Page deliveries, by escalation level, the way it went (chat, or a provider such as ntfy) \
         and outcome: delivered, retrying (failed, tried again) or refused (given up)."
    );
    describe_gauge!(OUTBOX_PENDING, "Outbox entries not delivered yet, by chat.");
    describe_gauge!(
        OUTBOX_OLDEST,
        metrics::Unit::Seconds,
        "The age of the oldest outbox entry not delivered yet, by chat (0 when none waits)."
    );
    describe_histogram!(
        CHAT_CALLS,
        metrics::Unit::Seconds,
        "Calls to a chat's API, by chat, method and outcome (ok, error, throttled)."
    );
    describe_histogram!(
        TIMER_LATENESS,
        metrics::Unit::Seconds,
        "How long after its due time a timer fired, by kind."
    );
    describe_counter!(
        ACTION_RUNS,
        "Runbook steps run as actions, by risk and outcome: succeeded, failed, timed_out, \
         not_started, drill."
    );
    describe_histogram!(
        HTTP_REQUESTS,
        metrics::Unit::Seconds,
        "HTTP requests served, by route, method and status code."
    );
    describe_gauge!(BUILD_INFO, "Always 1; the version is a label.");
    describe_counter!(
        FIGURE_ERRORS,
        "Times the database's figures (incidents, outbox) could not be read; the last ones stand."
    );
    describe_gauge!(
        FIGURES_READ,
        metrics::Unit::Seconds,
        "When the database's figures were last read, as a Unix time."
    );
}

/// Renders `/metrics`.
#[derive(Clone)]
pub struct Scrape(PrometheusHandle);

impl Scrape {
    /// Keeps the database's figures read at `now` (`None`: they could not be read; the last
    /// ones stand and `warroom_database_figures_errors_total` counts up). `chats` are the
    /// chats this process delivers to, shown at 0 when nothing waits for them.
    pub fn figures(
        &self,
        figures: Option<(&[IncidentCount], &[PendingCount])>,
        chats: &[&str],
        now: DateTime<Utc>,
    ) {
        match figures {
            Some((incidents, pending)) => {
                set_incidents(incidents);
                set_pending(pending, chats, now);
                gauge!(FIGURES_READ).set(now.timestamp() as f64);
            }
            None => counter!(FIGURE_ERRORS).increment(1),
        }
    }

    /// The scrape's text.
    pub fn render(&self) -> String {
        self.0.run_upkeep();
        self.0.render()
    }
}

fn set_incidents(counts: &[IncidentCount]) {
    for severity in SEVERITIES {
        for status in STATUSES {
            let count = counts
                .iter()
                .find(|c| c.severity == severity && c.status == status)
                .map_or(0, |c| c.count);
            gauge!(INCIDENTS, "severity" => severity.to_string(), "status" => status.word())
                .set(count as f64);
        }
    }
}

fn set_pending(pending: &[PendingCount], chats: &[&str], now: DateTime<Utc>) {
    let mut names: Vec<&str> = chats.to_vec();
    names.extend(pending.iter().map(|p| p.chat.as_str()));
    names.sort_unstable();
    names.dedup();
    for chat in names {
        let found = pending.iter().find(|p| p.chat == chat);
        let count = found.map_or(0, |p| p.pending);
        let age = found
            .and_then(|p| p.oldest)
            .map_or(0.0, |oldest| seconds(now - oldest));
        gauge!(OUTBOX_PENDING, "chat" => chat.to_owned()).set(count as f64);
        gauge!(OUTBOX_OLDEST, "chat" => chat.to_owned()).set(age);
    }
}

fn seconds(span: chrono::Duration) -> f64 {
    span.to_std().map_or(0.0, |d| d.as_secs_f64())
}

/// An incident changed from `before` (`None`: it was just declared) to `after`: counts a
/// declaration, a first acknowledgement and a resolution (each resolution, when an incident
/// is reopened and resolved again).
pub fn incident_moved(before: Option<&Incident>, after: &Incident) {
    if before.is_none() {
        declared(after.severity);
    }
    if let Some((_, at)) = &after.acknowledged
        && before.is_none_or(|b| b.acknowledged.is_none())
    {
        acknowledged(after.severity, *at - after.declared_at);
    }
    if let Some(at) = after.resolved_at
        && after.status == Status::Resolved
        && before.is_none_or(|b| b.status != Status::Resolved)
    {
        resolved(after.severity, at - after.declared_at);
    }
}

/// An incident was declared.
fn declared(severity: Severity) {
    counter!(DECLARED, "severity" => severity.to_string()).increment(1);
}

/// An incident was acknowledged for the first time, `after` its declaration.
fn acknowledged(severity: Severity, after: chrono::Duration) {
    histogram!(TO_ACKNOWLEDGE, "severity" => severity.to_string()).record(seconds(after));
}

/// An incident was resolved, `after` its declaration.
fn resolved(severity: Severity, after: chrono::Duration) {
    histogram!(TO_RESOLVE, "severity" => severity.to_string()).record(seconds(after));
}

/// How a page delivery went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageOutcome {
    /// It reached the person's chat or provider.
    Delivered,
    /// It failed and will be tried again.
    Retrying,
    /// It was refused for good.
    Refused,
}

impl PageOutcome {
    fn name(self) -> &'static str {
        match self {
            PageOutcome::Delivered => "delivered",
            PageOutcome::Retrying => "retrying",
            PageOutcome::Refused => "refused",
        }
    }
}

/// A page at escalation `level`, sent `via` a chat (`chat`) or a provider (`ntfy`, …).
pub fn page(level: u32, via: &str, outcome: PageOutcome) {
    counter!(
        PAGES,
        "level" => level.to_string(),
        "via" => via.to_owned(),
        "outcome" => outcome.name()
    )
    .increment(1);
}

/// How a chat call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// The chat did it.
    Ok,
    /// The chat refused or could not be reached.
    Error,
    /// The chat asked to slow down (429).
    Throttled,
}

/// A call to `chat`'s API `method` (`chat.postMessage`, `PUT /rooms/…/send`) that took `took`.
pub fn chat_call(chat: &'static str, method: &'static str, took: Duration, outcome: CallOutcome) {
    let outcome = match outcome {
        CallOutcome::Ok => "ok",
        CallOutcome::Error => "error",
        CallOutcome::Throttled => "throttled",
    };
    histogram!(CHAT_CALLS, "chat" => chat, "method" => method, "outcome" => outcome)
        .record(took.as_secs_f64());
}

/// A timer of `kind` (`page`, `reminder`, …) fired `late` after its due time.
pub fn timer_fired(kind: &'static str, late: chrono::Duration) {
    histogram!(TIMER_LATENESS, "kind" => kind).record(seconds(late));
}

/// An action of `risk` (`read`, `write`) ran and ended with `outcome`.
pub fn action_ran(risk: &'static str, outcome: &'static str) {
    counter!(ACTION_RUNS, "risk" => risk, "outcome" => outcome).increment(1);
}

/// An HTTP request to `route` (the route's pattern, `/ack/:token`, never the path itself).
pub fn http_request(route: String, method: String, status: u16, took: Duration) {
    histogram!(
        HTTP_REQUESTS,
        "route" => route,
        "method" => method,
        "status" => status.to_string()
    )
    .record(took.as_secs_f64());
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::{IncidentNumber, IncidentTitle, UserId};

    /// What `record` leaves in a recorder of its own, rendered.
    fn rendered(record: impl FnOnce()) -> String {
        let mut builder = PrometheusBuilder::new();
        for name in [TO_ACKNOWLEDGE, TO_RESOLVE] {
            builder = builder
                .set_buckets_for_metric(Matcher::Full(name.to_owned()), INCIDENT_BUCKETS)
                .expect("buckets");
        }
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, record);
        handle.render()
    }

    #[test]
    fn an_incident_counts_its_declaration_first_acknowledgement_and_each_resolution() {
        let at = Utc
            .with_ymd_and_hms(2026, 1, 5, 14, 0, 0)
            .single()
            .expect("a time");
        let alice = UserId::parse("alice").expect("a user");
        let (declared, _) = Incident::declare(
            IncidentNumber(1),
            IncidentTitle::parse("Checkout down").expect("a title"),
            Severity::P1,
            alice.clone(),
            at,
        );
        let mut acked = declared.clone();
        acked.acknowledged = Some((alice.clone(), at + chrono::Duration::seconds(90)));
        let mut acked_again = acked.clone();
        acked_again.acknowledged = Some((alice, at + chrono::Duration::seconds(300)));
        let mut resolved = acked.clone();
        resolved.status = Status::Resolved;
        resolved.resolved_at = Some(at + chrono::Duration::hours(1));
        let mut reopened = resolved.clone();
        reopened.status = Status::Investigating;
        reopened.resolved_at = None;
        let mut resolved_again = reopened.clone();
        resolved_again.status = Status::Resolved;
        resolved_again.resolved_at = Some(at + chrono::Duration::hours(3));

        let text = rendered(|| {
            incident_moved(None, &declared);
            incident_moved(Some(&declared), &acked);
            // A second acknowledgement is no first one.
            incident_moved(Some(&acked), &acked_again);
            incident_moved(Some(&acked), &resolved);
            // A change while resolved is no resolution.
            incident_moved(Some(&resolved), &resolved);
            incident_moved(Some(&resolved), &reopened);
            incident_moved(Some(&reopened), &resolved_again);
        });
        assert!(
            text.contains("warroom_incidents_declared_total{severity=\"P1\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("warroom_time_to_acknowledge_seconds_count{severity=\"P1\"} 1\n")
                && text.contains("warroom_time_to_acknowledge_seconds_sum{severity=\"P1\"} 90\n"),
            "{text}"
        );
        assert!(
            text.contains("warroom_time_to_resolve_seconds_count{severity=\"P1\"} 2\n")
                && text.contains("warroom_time_to_resolve_seconds_sum{severity=\"P1\"} 14400\n"),
            "{text}"
        );
        // 90 s falls in the 120 s bucket, not the 60 s one.
        assert!(
            text.contains(
                "warroom_time_to_acknowledge_seconds_bucket{severity=\"P1\",le=\"60\"} 0\n"
            ) && text.contains(
                "warroom_time_to_acknowledge_seconds_bucket{severity=\"P1\",le=\"120\"} 1\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn pending_figures_name_every_chat_and_age_the_oldest_entry() {
        let now = Utc
            .with_ymd_and_hms(2026, 1, 5, 14, 0, 0)
            .single()
            .expect("a time");
        let pending = [PendingCount {
            chat: "slack".into(),
            pending: 3,
            oldest: Some(now - chrono::Duration::seconds(42)),
        }];
        let text = rendered(|| set_pending(&pending, &["slack", "matrix"], now));
        for line in [
            "warroom_outbox_pending{chat=\"slack\"} 3\n",
            "warroom_outbox_oldest_age_seconds{chat=\"slack\"} 42\n",
            "warroom_outbox_pending{chat=\"matrix\"} 0\n",
            "warroom_outbox_oldest_age_seconds{chat=\"matrix\"} 0\n",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
    }
}
