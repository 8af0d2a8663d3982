//! The report written out: Markdown for a monthly review, and a page of HTML with bar charts
//! in SVG (drawn here: bars and labels need no plotting library, and each chart has its
//! numbers in a table beside it for screen readers). JSON is the `Report` itself, by serde.

use std::fmt::Write as _;

use super::build::{Count, NIGHT_ENDS, NIGHT_STARTS, Report, human};
use crate::domain::escape_html as escape;

/// `45 s`, or `–` when there is no figure.
fn figure(secs: Option<i64>) -> String {
    secs.map_or_else(|| "–".to_owned(), human)
}

fn percent(part: usize, whole: usize) -> String {
    match (part * 100 + whole / 2).checked_div(whole) {
        Some(share) => format!("{share} %"),
        None => "–".to_owned(),
    }
}

/// Text fit for a Markdown table cell: one line, pipes escaped.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn heading(report: &Report) -> String {
    format!(
        "{} to {}",
        report.since.format("%Y-%m-%d %H:%M"),
        report.until.format("%Y-%m-%d %H:%M UTC")
    )
}

fn summary(report: &Report) -> String {
    let mut line = format!(
        "{} {}{} ({} still open)",
        report.incidents,
        if report.on_drills {
            "drill"
        } else {
            "incident"
        },
        if report.incidents == 1 { "" } else { "s" },
        report.open
    );
    if report.left_out > 0 {
        let others = match (report.on_drills, report.left_out) {
            (true, 1) => "real incident",
            (true, _) => "real incidents",
            (false, 1) => "drill",
            (false, _) => "drills",
        };
        let _ = write!(line, "; {} {others} left out", report.left_out);
    }
    let _ = write!(
        line,
        ". Nights are {NIGHT_STARTS:02}:00 to {NIGHT_ENDS:02}:00 in {}.",
        report.zone
    );
    line
}

/// The report as Markdown.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Incident report, {}\n", heading(report));
    let _ = writeln!(out, "{}\n", summary(report));
    counts_md(&mut out, "By severity", "severity", &report.by_severity);
    counts_md(&mut out, "By service", "service", &report.by_service);
    out.push_str("## Durations\n\n| time to | incidents | p50 | p90 | from and to |\n| --- | ---: | ---: | ---: | --- |\n");
    for d in &report.durations {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            d.name,
            d.count,
            figure(d.p50_secs),
            figure(d.p90_secs),
            d.meaning
        );
    }
    out.push_str("\n## On-call load\n\n");
    if report.pages.is_empty() {
        out.push_str("Nobody was paged.\n\n");
    } else {
        out.push_str("| person | pages | at night | incidents |\n| --- | ---: | ---: | ---: |\n");
        for p in &report.pages {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&p.person),
                p.pages,
                p.night,
                p.incidents
            );
        }
        out.push('\n');
    }
    out.push_str("## Runbooks\n\n");
    if report.runbooks.is_empty() {
        out.push_str("No runbook was attached.\n\n");
    } else {
        out.push_str("| runbook | incidents | steps | done | skipped | completion |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
        for r in &report.runbooks {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&r.runbook),
                r.attached,
                r.steps,
                r.done,
                r.skipped,
                percent(r.done, r.steps)
            );
        }
        out.push('\n');
    }
    out.push_str("## Actions\n\n");
    if report.actions.is_empty() {
        out.push_str("No action was requested.\n\n");
    } else {
        out.push_str("| risk | outcome | actions |\n| --- | --- | ---: |\n");
        for a in &report.actions {
            let _ = writeln!(out, "| {} | {} | {} |", a.risk, a.outcome, a.count);
        }
        out.push('\n');
    }
    out.push_str("## Incidents\n\n");
    if report.list.is_empty() {
        out.push_str("None.\n");
    } else {
        out.push_str("| incident | severity | status | declared (UTC) | resolved in | title |\n| --- | --- | --- | --- | ---: | --- |\n");
        for i in &report.list {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                i.number,
                i.severity,
                i.status,
                i.declared_at.format("%Y-%m-%d %H:%M"),
                figure(i.resolve_secs),
                cell(&i.title)
            );
        }
    }
    out
}

fn counts_md(out: &mut String, title: &str, what: &str, counts: &[Count]) {
    let _ = writeln!(out, "## {title}\n\n| {what} | incidents |\n| --- | ---: |");
    for c in counts {
        let _ = writeln!(out, "| {} | {} |", cell(&c.name), c.count);
    }
    out.push('\n');
}

const STYLE: &str = "\
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#4b5563;--line:#d0d7de;\
--bar:#0969da;--night:#8250df}\
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9da7b3;\
--line:#30363d;--bar:#4493f8;--night:#ab7df8}}\
body{margin:0 auto;max-width:60rem;padding:1rem;background:var(--bg);color:var(--fg);\
font:1rem/1.5 system-ui,-apple-system,'Segoe UI',sans-serif}\
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid var(--line)}\
table{border-collapse:collapse;margin:.5rem 0}th,td{padding:.25rem .6rem;\
border-bottom:1px solid var(--line);text-align:left}td.n{text-align:right}\
svg{max-width:100%;height:auto}svg text{fill:var(--fg);font:12px system-ui,sans-serif}\
.bar{fill:var(--bar)}.night{fill:var(--night)}.muted{color:var(--muted)}";

/// One bar of a chart: its label, its value, and a part of it drawn apart (night pages).
struct Bar<'a> {
    label: &'a str,
    value: f64,
    part: f64,
    shown: String,
}

/// A horizontal bar chart with `title` as its accessible name.
fn chart(out: &mut String, title: &str, bars: &[Bar<'_>]) {
    if bars.is_empty() {
        return;
    }
    const ROW: usize = 22;
    const LABEL: f64 = 150.0;
    const WIDTH: f64 = 560.0;
    let most = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let scale = if most > 0.0 {
        (WIDTH - LABEL - 90.0) / most
    } else {
        0.0
    };
    let height = bars.len() * ROW + 4;
    let _ = write!(
        out,
        "<svg role=\"img\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title>",
        escape(title)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = i * ROW + 2;
        let width = bar.value * scale;
        let part = bar.part * scale;
        let label: String = bar.label.chars().take(22).collect();
        let _ = write!(
            out,
            "<text x=\"{:.0}\" y=\"{}\" text-anchor=\"end\">{}</text>\
             <rect class=\"bar\" x=\"{LABEL}\" y=\"{y}\" width=\"{width:.1}\" height=\"{}\"/>",
            LABEL - 6.0,
            y + 14,
            escape(&label),
            ROW - 6
        );
        if part > 0.0 {
            let _ = write!(
                out,
                "<rect class=\"night\" x=\"{:.1}\" y=\"{y}\" width=\"{part:.1}\" height=\"{}\"/>",
                LABEL + width - part,
                ROW - 6
            );
        }
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{}\">{}</text>",
            LABEL + width + 6.0,
            y + 14,
            escape(&bar.shown)
        );
    }
    out.push_str("</svg>");
}

fn count_bars(counts: &[Count]) -> Vec<Bar<'_>> {
    counts
        .iter()
        .map(|c| Bar {
            label: &c.name,
            value: c.count as f64,
            part: 0.0,
            shown: c.count.to_string(),
        })
        .collect()
}

/// A table with a header row; each cell of `rows` is text (escaped here) and whether it is a
/// number (aligned right).
fn table(out: &mut String, caption: &str, head: &[&str], rows: &[Vec<(String, bool)>]) {
    let _ = write!(
        out,
        "<table><caption class=\"muted\">{}</caption><thead><tr>",
        escape(caption)
    );
    for h in head {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for (text, number) in row {
            let class = if *number { " class=\"n\"" } else { "" };
            let _ = write!(out, "<td{class}>{}</td>", escape(text));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

fn count_rows(counts: &[Count]) -> Vec<Vec<(String, bool)>> {
    counts
        .iter()
        .map(|c| vec![(c.name.clone(), false), (c.count.to_string(), true)])
        .collect()
}

/// The report as one HTML page: no script, no outside resource.
pub fn html(report: &Report) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let title = format!("Incident report, {}", heading(report));
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>\
         <h1>{}</h1><p>{}</p>",
        escape(&title),
        escape(&title),
        escape(&summary(report))
    );
    out.push_str("<section aria-labelledby=\"severity\"><h2 id=\"severity\">By severity</h2>");
    chart(
        &mut out,
        "Incidents by severity",
        &count_bars(&report.by_severity),
    );
    table(
        &mut out,
        "Incidents by severity",
        &["severity", "incidents"],
        &count_rows(&report.by_severity),
    );
    out.push_str(
        "</section><section aria-labelledby=\"service\"><h2 id=\"service\">By service</h2>",
    );
    chart(
        &mut out,
        "Incidents by service",
        &count_bars(&report.by_service),
    );
    table(
        &mut out,
        "Incidents by service",
        &["service", "incidents"],
        &count_rows(&report.by_service),
    );
    out.push_str(
        "</section><section aria-labelledby=\"durations\"><h2 id=\"durations\">Durations</h2>",
    );
    let bars: Vec<Bar<'_>> = report
        .durations
        .iter()
        .filter_map(|d| {
            d.p50_secs.map(|p50| Bar {
                label: d.name,
                value: p50 as f64 / 60.0,
                part: 0.0,
                shown: format!("p50 {}", human(p50)),
            })
        })
        .collect();
    chart(
        &mut out,
        "Median time to detect, acknowledge, mitigate and resolve, in minutes",
        &bars,
    );
    let rows: Vec<Vec<(String, bool)>> = report
        .durations
        .iter()
        .map(|d| {
            vec![
                (d.name.to_owned(), false),
                (d.count.to_string(), true),
                (figure(d.p50_secs), true),
                (figure(d.p90_secs), true),
                (d.meaning.to_owned(), false),
            ]
        })
        .collect();
    table(
        &mut out,
        "Time to …",
        &["time to", "incidents", "p50", "p90", "from and to"],
        &rows,
    );
    out.push_str("</section><section aria-labelledby=\"load\"><h2 id=\"load\">On-call load</h2>");
    if report.pages.is_empty() {
        out.push_str("<p>Nobody was paged.</p>");
    } else {
        let bars: Vec<Bar<'_>> = report
            .pages
            .iter()
            .map(|p| Bar {
                label: &p.person,
                value: p.pages as f64,
                part: p.night as f64,
                shown: format!("{} ({} at night)", p.pages, p.night),
            })
            .collect();
        chart(
            &mut out,
            "Pages per person; the darker end of each bar is night pages",
            &bars,
        );
        let rows: Vec<Vec<(String, bool)>> = report
            .pages
            .iter()
            .map(|p| {
                vec![
                    (p.person.clone(), false),
                    (p.pages.to_string(), true),
                    (p.night.to_string(), true),
                    (p.incidents.to_string(), true),
                ]
            })
            .collect();
        table(
            &mut out,
            "Pages per person",
            &["person", "pages", "at night", "incidents"],
            &rows,
        );
    }
    out.push_str(
        "</section><section aria-labelledby=\"runbooks\"><h2 id=\"runbooks\">Runbooks</h2>",
    );
    if report.runbooks.is_empty() {
        out.push_str("<p>No runbook was attached.</p>");
    } else {
        let rows: Vec<Vec<(String, bool)>> = report
            .runbooks
            .iter()
            .map(|r| {
                vec![
                    (r.runbook.clone(), false),
                    (r.attached.to_string(), true),
                    (r.steps.to_string(), true),
                    (r.done.to_string(), true),
                    (r.skipped.to_string(), true),
                    (percent(r.done, r.steps), true),
                ]
            })
            .collect();
        table(
            &mut out,
            "Runbook use",
            &[
                "runbook",
                "incidents",
                "steps",
                "done",
                "skipped",
                "completion",
            ],
            &rows,
        );
    }
    out.push_str("</section><section aria-labelledby=\"actions\"><h2 id=\"actions\">Actions</h2>");
    if report.actions.is_empty() {
        out.push_str("<p>No action was requested.</p>");
    } else {
        let rows: Vec<Vec<(String, bool)>> = report
            .actions
            .iter()
            .map(|a| {
                vec![
                    (a.risk.to_owned(), false),
                    (a.outcome.to_owned(), false),
                    (a.count.to_string(), true),
                ]
            })
            .collect();
        table(
            &mut out,
            "Actions by risk and outcome",
            &["risk", "outcome", "actions"],
            &rows,
        );
    }
    out.push_str("</section><section aria-labelledby=\"list\"><h2 id=\"list\">Incidents</h2>");
    let rows: Vec<Vec<(String, bool)>> = report
        .list
        .iter()
        .map(|i| {
            vec![
                (i.number.clone(), false),
                (i.severity.to_string(), false),
                (i.status.clone(), false),
                (i.declared_at.format("%Y-%m-%d %H:%M").to_string(), false),
                (figure(i.resolve_secs), true),
                (i.title.clone(), false),
            ]
        })
        .collect();
    table(
        &mut out,
        "Every incident, newest first",
        &[
            "incident",
            "severity",
            "status",
            "declared (UTC)",
            "resolved in",
            "title",
        ],
        &rows,
    );
    out.push_str("</section></main></body></html>\n");
    out
}
