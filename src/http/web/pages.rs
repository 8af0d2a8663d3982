//! The web view's pages, written as HTML here: landmarks (`header`, `nav`, `main`), a label on
//! every control, states in words as well as colours, light and dark by the reader's setting,
//! no script. Everything shown is escaped.

use std::fmt::Write as _;

use super::session::Session;
use crate::domain::{Incident, Severity, escape_html as escape};

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
        "<header><nav aria-label=\"Warroom\"><a href=\"/web\">Incidents</a></nav>\
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
                "<tr><th scope=\"row\">{}</th><td class=\"sev {}\">{}</td><td>{}</td>\
                 <td>{}{private}</td><td>{}</td><td>{}</td></tr>",
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
