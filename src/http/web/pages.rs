//! The web view's pages, written as HTML here: landmarks (`header`, `nav`, `main`), a label on
//! every control, states in words as well as colours, light and dark by the reader's setting,
//! no script. Everything shown is escaped.

use std::fmt::Write as _;

use super::session::Session;
use crate::domain::{Incident, Severity, StepState, TimelineEvent, escape_html as escape};

const STYLE: &str = "\
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#4b5563;--line:#d0d7de;\
--card:#f6f8fa;--link:#0550ae;--p0:#a40e26;--p1:#953800;--p2:#7a4d00;--p3:#4b5563}\
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9da7b3;\
--line:#30363d;--card:#161b22;--link:#79c0ff;--p0:#ff7b72;--p1:#f0883e;--p2:#d29922;\
--p3:#9da7b3}}\
body{margin:0;background:var(--bg);color:var(--fg);font:1rem/1.5 system-ui,-apple-system,\
'Segoe UI',sans-serif}a{color:var(--link)}\
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between;\
padding:.6rem 1rem;border-bottom:1px solid var(--line);background:var(--card)}\
header nav a{margin-right:.8rem}main{max-width:64rem;margin:0 auto;padding:1rem}\
h1{font-size:1.4rem;margin:.2rem 0 1rem}form.filters{display:flex;flex-wrap:wrap;gap:.6rem;\
align-items:end;margin-bottom:1rem}label{display:flex;flex-direction:column;font-size:.9rem}\
select,input,button{font:inherit;padding:.3rem .4rem;min-height:2.2rem}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.45rem .5rem;\
border-bottom:1px solid var(--line);vertical-align:top}\
.sev{font-weight:700}.P0{color:var(--p0)}.P1{color:var(--p1)}.P2{color:var(--p2)}\
.P3{color:var(--p3)}.muted{color:var(--muted)}\
:focus-visible{outline:3px solid var(--link);outline-offset:2px}";

fn head(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} · Warroom</title><style>{STYLE}</style></head><body>",
        escape(title)
    );
}

/// A page that says one thing.
pub fn message(title: &str, text: &str) -> String {
    let mut out = String::new();
    head(&mut out, title);
    let _ = write!(
        out,
        "<main><h1>{}</h1><p>{}</p><p><a href=\"/web\">Warroom</a></p></main></body></html>",
        escape(title),
        escape(text)
    );
    out
}

/// The bar on every page: the view's sections, who is signed in, and the sign-out form.
fn bar(out: &mut String, session: &Session) {
    let _ = write!(
        out,
        "<header><nav aria-label=\"Warroom\"><a href=\"/web\">Incidents</a>\
         <a href=\"/web/oncall\">On call</a><a href=\"/web/runbooks\">Runbooks</a>\
         <a href=\"/web/report\">Report</a></nav>\
         <form method=\"post\" action=\"/web/logout\"><span>{} <span class=\"muted\">({})</span></span> \
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <button type=\"submit\">Sign out</button></form></header>",
        escape(&session.name),
        escape(&session.role),
        escape(&session.csrf)
    );
}

/// What the list is filtered by.
pub struct Filters<'a> {
    /// `open`, `resolved` or `all`.
    pub status: &'a str,
    /// A severity, or any.
    pub severity: Option<Severity>,
    /// A service, or any.
    pub service: Option<&'a str>,
}

fn option(out: &mut String, value: &str, label: &str, selected: bool) {
    let _ = write!(
        out,
        "<option value=\"{}\"{}>{}</option>",
        escape(value),
        if selected { " selected" } else { "" },
        escape(label)
    );
}

/// The incident list.
pub fn incident_list(session: &Session, filters: &Filters<'_>, incidents: &[Incident]) -> String {
    let mut out = String::with_capacity(8 * 1024 + incidents.len() * 300);
    head(&mut out, "Incidents");
    bar(&mut out, session);
    out.push_str("<main><h1>Incidents</h1>");
    out.push_str(
        "<form class=\"filters\" method=\"get\" action=\"/web\" role=\"search\">\
         <label for=\"status\">Status<select id=\"status\" name=\"status\">",
    );
    for (value, label) in [("open", "Open"), ("resolved", "Resolved"), ("all", "All")] {
        option(&mut out, value, label, filters.status == value);
    }
    out.push_str("</select></label><label for=\"severity\">Severity<select id=\"severity\" name=\"severity\">");
    option(&mut out, "", "Any", filters.severity.is_none());
    for severity in Severity::ALL {
        let code = severity.to_string();
        option(&mut out, &code, &code, filters.severity == Some(severity));
    }
    let _ = write!(
        out,
        "</select></label><label for=\"service\">Service\
         <input id=\"service\" name=\"service\" value=\"{}\"></label>\
         <button type=\"submit\">Filter</button></form>",
        escape(filters.service.unwrap_or(""))
    );
    if incidents.is_empty() {
        out.push_str("<p>No incident matches.</p>");
    } else {
        out.push_str(
            "<table><caption class=\"muted\">Newest first</caption><thead><tr>\
             <th scope=\"col\">Incident</th><th scope=\"col\">Severity</th>\
             <th scope=\"col\">Status</th><th scope=\"col\">Title</th>\
             <th scope=\"col\">Services</th><th scope=\"col\">Declared (UTC)</th>\
             </tr></thead><tbody>",
        );
        for i in incidents {
            let private = if i.details.private {
                " <span class=\"muted\">(private)</span>"
            } else {
                ""
            };
            let _ = write!(
                out,
                "<tr><th scope=\"row\"><a href=\"/web/incidents/{}\">{}</a></th>\
                 <td class=\"sev {}\">{}</td><td>{}</td>\
                 <td>{}{private}</td><td>{}</td><td>{}</td></tr>",
                i.number,
                i.number,
                i.severity,
                i.severity,
                escape(i.status.word()),
                escape(i.title.as_str()),
                escape(&i.details.services.join(", ")),
                i.declared_at.format("%Y-%m-%d %H:%M")
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</main></body></html>\n");
    out
}

/// Which events an incident page's timeline shows.
pub fn shown(kind: &str, show: &str) -> bool {
    match show {
        "notes" => matches!(kind, "note" | "quoted" | "status_update"),
        "changes" => matches!(
            kind,
            "declared"
                | "severity_changed"
                | "status_changed"
                | "acknowledged"
                | "role_assigned"
                | "reopened"
                | "title_changed"
                | "summary_changed"
                | "services_changed"
                | "impact_started"
                | "detected"
                | "made_private"
        ),
        "pages" => matches!(
            kind,
            "paged" | "page_delivered" | "notified" | "delivery_failed"
        ),
        "actions" => {
            kind.starts_with("action_") || kind.starts_with("step_") || kind == "runbook_attached"
        }
        _ => true,
    }
}

/// An incident's page: its card, runbook progress, timeline (filtered by `show`) and links
/// to the post-mortem draft's preview and download.
pub fn incident_page(
    session: &Session,
    incident: &Incident,
    timeline: &[TimelineEvent],
    show: &str,
) -> String {
    let mut out = String::with_capacity(16 * 1024 + timeline.len() * 200);
    let title = format!("{} · {}", incident.number, incident.title.as_str());
    head(&mut out, &title);
    bar(&mut out, session);
    let _ = write!(
        out,
        "<main><p><a href=\"/web\">Incidents</a></p><h1>{} <span class=\"sev {}\">{}</span> \
         · {} — {}</h1>",
        incident.number,
        incident.severity,
        incident.severity,
        escape(incident.status.word()),
        escape(incident.title.as_str())
    );
    let person = |p: &Option<crate::domain::UserId>| {
        p.as_ref().map_or("—".to_owned(), |u| escape(u.as_str()))
    };
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or("—".to_owned(), |t| {
            t.format("%Y-%m-%d %H:%M UTC").to_string()
        })
    };
    let _ = write!(
        out,
        "<section aria-labelledby=\"card\"><h2 id=\"card\">Card</h2><dl>\
         <dt>Commander</dt><dd>{}</dd><dt>Comms</dt><dd>{}</dd><dt>Scribe</dt><dd>{}</dd>\
         <dt>Declared</dt><dd>{} by {}</dd><dt>Acknowledged</dt><dd>{}</dd>\
         <dt>Services</dt><dd>{}</dd><dt>Impact started</dt><dd>{}</dd>\
         <dt>Detected</dt><dd>{}</dd><dt>Summary</dt><dd>{}</dd></dl></section>",
        person(&incident.commander),
        person(&incident.comms),
        person(&incident.scribe),
        time(Some(incident.declared_at)),
        escape(incident.declared_by.as_str()),
        incident
            .acknowledged
            .as_ref()
            .map_or("not yet".to_owned(), |(u, at)| format!(
                "{} by {}",
                at.format("%Y-%m-%d %H:%M UTC"),
                escape(u.as_str())
            )),
        escape(&incident.details.services.join(", ")),
        time(incident.details.impact_started),
        time(incident.details.detected),
        incident
            .details
            .summary
            .as_ref()
            .map_or("—".to_owned(), |s| escape(s.as_str())),
    );
    out.push_str("<section aria-labelledby=\"runbooks\"><h2 id=\"runbooks\">Runbooks</h2>");
    if incident.runbooks.is_empty() {
        out.push_str("<p>No runbook is attached.</p>");
    }
    for attached in &incident.runbooks {
        let done = attached
            .states
            .iter()
            .filter(|s| !matches!(s, StepState::Pending))
            .count();
        let _ = write!(
            out,
            "<h3>{} <span class=\"muted\">({done} of {} steps done or skipped)</span></h3><ol>",
            escape(&attached.runbook.title),
            attached.states.len()
        );
        for (step, state) in attached.runbook.steps.iter().zip(&attached.states) {
            let said = match state {
                StepState::Pending => "to do".to_owned(),
                StepState::Done { by, .. } => format!("done by {}", escape(by.as_str())),
                StepState::Skipped { by, .. } => format!("skipped by {}", escape(by.as_str())),
            };
            let _ = write!(
                out,
                "<li>{} <span class=\"muted\">— {said}</span></li>",
                escape(&step.title)
            );
        }
        out.push_str("</ol>");
    }
    out.push_str("</section>");
    let _ = write!(
        out,
        "<section aria-labelledby=\"timeline\"><h2 id=\"timeline\">Timeline</h2>\
         <form class=\"filters\" method=\"get\"><label for=\"show\">Show<select id=\"show\" name=\"show\">"
    );
    for (value, label) in [
        ("all", "Everything"),
        ("changes", "Changes"),
        ("notes", "Notes and updates"),
        ("pages", "Pages"),
        ("actions", "Runbooks and actions"),
    ] {
        option(&mut out, value, label, show == value);
    }
    out.push_str(
        "</select></label><button type=\"submit\">Show</button></form>\
         <table><thead><tr><th scope=\"col\">Time (UTC)</th><th scope=\"col\">Who</th>\
         <th scope=\"col\">What</th></tr></thead><tbody>",
    );
    for event in timeline.iter().filter(|e| shown(e.kind.type_name(), show)) {
        let _ = write!(
            out,
            "<tr data-type=\"{}\"><td>{}</td><td>{}</td><td>{}</td></tr>",
            event.kind.type_name(),
            event.at.format("%Y-%m-%d %H:%M:%S"),
            escape(event.actor.as_str()),
            escape(&event.kind.describe())
        );
    }
    let _ = write!(
        out,
        "</tbody></table></section><section aria-labelledby=\"postmortem\">\
         <h2 id=\"postmortem\">Post-mortem draft</h2>\
         <p><a href=\"/web/incidents/{n}/postmortem\">Preview</a> · \
         <a href=\"/web/incidents/{n}/postmortem.md\" download>Download the Markdown</a></p>\
         </section></main></body></html>",
        n = incident.number,
    );
    out
}

/// The post-mortem draft of an incident, to read.
pub fn postmortem_preview(session: &Session, incident: &Incident, markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len() + 4096);
    let title = format!("{} post-mortem draft", incident.number);
    head(&mut out, &title);
    bar(&mut out, session);
    let _ = write!(
        out,
        "<main><p><a href=\"/web/incidents/{n}\">{n}</a></p><h1>{}</h1>\
         <p><a href=\"/web/incidents/{n}/postmortem.md\" download>Download the Markdown</a></p>\
         <pre style=\"white-space:pre-wrap\">{}</pre></main></body></html>",
        escape(&title),
        escape(markdown),
        n = incident.number,
    );
    out
}

/// Who is on call now and next, and whom each severity's first level pages.
pub fn on_call(
    session: &Session,
    at: chrono::DateTime<chrono::Utc>,
    rotations: &[crate::engine::browse::RotationNow],
    pages: &[crate::engine::browse::FirstPage],
) -> String {
    let mut out = String::new();
    head(&mut out, "On call");
    bar(&mut out, session);
    let _ = write!(
        out,
        "<main><h1>On call</h1><p class=\"muted\">At {}</p>",
        at.format("%Y-%m-%d %H:%M UTC")
    );
    if rotations.is_empty() {
        out.push_str("<p>No rotation is configured ([[rotations]]).</p>");
    } else {
        out.push_str(
            "<table><caption class=\"muted\">Rotations</caption><thead><tr>\
             <th scope=\"col\">Rotation</th><th scope=\"col\">Now</th>\
             <th scope=\"col\">Until (UTC)</th><th scope=\"col\">Next</th></tr></thead><tbody>",
        );
        for r in rotations {
            let who = |u: &Option<crate::domain::UserId>| {
                u.as_ref()
                    .map_or("nobody".to_owned(), |u| escape(u.as_str()))
            };
            let _ = write!(
                out,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&r.name),
                who(&r.now),
                r.until
                    .map_or("—".to_owned(), |t| t.format("%Y-%m-%d %H:%M").to_string()),
                who(&r.next)
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str(
        "<h2>Whom a new incident pages first</h2><table><thead><tr>\
         <th scope=\"col\">Severity</th><th scope=\"col\">People and groups</th>\
         <th scope=\"col\">Aliases that find nobody</th></tr></thead><tbody>",
    );
    for page in pages {
        let mut named: Vec<String> = page
            .paged
            .people
            .iter()
            .map(|u| u.as_str().to_owned())
            .collect();
        named.extend(page.paged.groups.iter().cloned());
        let _ = write!(
            out,
            "<tr><th scope=\"row\" class=\"sev {}\">{}</th><td>{}</td><td>{}</td></tr>",
            page.severity,
            page.severity,
            escape(&named.join(", ")),
            escape(&page.paged.unresolved.join(", "))
        );
    }
    out.push_str("</tbody></table></main></body></html>");
    out
}

/// The runbook library, each step with its effective risk and label.
pub fn runbooks(session: &Session, catalog: &[crate::engine::browse::CatalogEntry<'_>]) -> String {
    let mut out = String::with_capacity(catalog.len() * 600 + 4096);
    head(&mut out, "Runbooks");
    bar(&mut out, session);
    let _ = write!(
        out,
        "<main><h1>Runbooks</h1><p class=\"muted\">{} runbooks</p>",
        catalog.len()
    );
    for entry in catalog {
        let r = entry.runbook;
        let _ = write!(
            out,
            "<section aria-labelledby=\"rb-{id}\"><h2 id=\"rb-{id}\">{}</h2>\
             <p class=\"muted\">{} · services: {} · from {}</p><ol>",
            escape(&r.title),
            escape(&r.id),
            escape(&r.services.join(", ")),
            escape(&r.source),
            id = escape(&r.id)
        );
        for (step, verdict) in r.steps.iter().zip(&entry.verdicts) {
            let label = verdict.as_ref().map_or(String::new(), |v| {
                let label = match v.label() {
                    "read" => "runs on a click",
                    label => label,
                };
                format!(
                    " <span class=\"muted\">[{} · {}]</span>",
                    v.risk.name(),
                    escape(label)
                )
            });
            let _ = write!(out, "<li>{}{label}</li>", escape(&step.title));
        }
        out.push_str("</ol></section>");
    }
    out.push_str("</main></body></html>");
    out
}

/// The report page: the report's own HTML body inside the view's bar.
pub fn report(session: &Session, report_html: &str) -> String {
    let mut out = String::with_capacity(report_html.len() + 4096);
    head(&mut out, "Report");
    bar(&mut out, session);
    // The report is a whole document: its body goes in, its own styles with it.
    let body = report_html
        .split_once("<body>")
        .map_or(report_html, |(_, b)| b)
        .trim_end()
        .trim_end_matches("</html>")
        .trim_end_matches("</body>");
    let style = report_html
        .split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .map_or("", |(style, _)| style);
    let _ = write!(out, "<style>{style}</style>{body}</body></html>");
    out
}
