//! The status page of a real `warroom serve`, over incidents a console rehearsal made in the
//! same SQLite file: what is published shows (HTML, JSON, Atom), what is not never does, and
//! the feed reads with a real feed parser (feed-rs).

use std::path::Path;
use std::process::Child;
use std::time::Duration;

use crate::support::binary::{sqlite_url, warroom};
use crate::support::http_client::HttpClient;
use crate::support::serving;

pub(crate) const CONFIG: &str = r#"
announce_room = "incidents"

[[services]]
name = "checkout"
title = "Checkout"

[[services]]
name = "search"
title = "Search"

[status_page]
enabled = true
title = "Acme status"
"#;

/// Four incidents: a published P1 on checkout, resolved one published and resolved, one never
/// published, one private with a "public" update.
pub(crate) const SCRIPT: &str = "\
alice@lobby: /incident declare p1 Checkout API returns 500s
alice@inc-1: /incident services checkout
alice@inc-1: /incident update internal: the deploy 4711 looks bad
alice@inc-1: /incident update public Card payments fail for some customers. We are rolling back. next 30m
wait 5m
bob@lobby: /incident declare p2 Search results are slow
bob@inc-2: /incident services search
bob@inc-2: /incident update public Search is slower than usual <for now> & we are on it.
bob@inc-2: /incident resolve index rebuilt
carol@lobby: /incident declare p0 Everything is on fire in staging
dave@lobby: /incident declare private p0 Signing key <leaked> & rotated
dave@inc-4: /incident services checkout
dave@inc-4: /incident update public Rotating the signing key.
";

pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn serve(dir: &Path, database_url: &str) -> Server {
    let mut command = crate::support::binary::command(dir);
    command.env("WARROOM_DATABASE_URL", database_url);
    let (child, address, _) =
        serving::start_serve(command, "status serve", Duration::from_secs(60));
    Server {
        child,
        base: format!("http://{address}"),
    }
}

/// Plays [`SCRIPT`] with [`CONFIG`] in `dir`, two hours ago by a simulated clock (so that the
/// resolved incident is within the page's 90 days); the database's URL and what was said.
pub(crate) fn rehearse(dir: &Path) -> (String, String) {
    std::fs::write(dir.join("warroom.toml"), CONFIG).expect("config");
    let url = sqlite_url(dir);
    let start = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339();
    let clock = format!("--simulated-clock={start}");
    let rehearsal = warroom(dir, &url, &["console", &clock], SCRIPT);
    assert!(
        rehearsal.status.success(),
        "{}",
        String::from_utf8_lossy(&rehearsal.stderr)
    );
    let said = String::from_utf8_lossy(&rehearsal.stdout).into_owned();
    (url, said)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_published_incidents_reach_the_page_the_json_and_the_feed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, said) = rehearse(dir.path());
    for done in [
        "Update on INC-1",
        "Update on INC-2",
        "INC-2 · @bob changed status Investigating → Resolved",
        "private room #inc-4-private created",
        "Update on INC-4",
    ] {
        assert!(said.contains(done), "{done:?} did not happen:\n{said}");
    }
    let server = serve(dir.path(), &url);
    let client = HttpClient::default();

    // The page: no script, the published incidents with their public updates only.
    let page = client.get(&format!("{}/status", server.base)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let html = &page.body;
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("<title>Acme status</title>"), "{html}");
    assert!(html.contains("Checkout API returns 500s"), "{html}");
    assert!(
        html.contains("Card payments fail for some customers. We are rolling back."),
        "{html}"
    );
    assert!(html.contains("Search results are slow"), "{html}");
    assert!(
        html.contains("Search is slower than usual &lt;for now&gt; &amp; we are on it."),
        "{html}"
    );
    assert!(
        html.contains(
            "<p class=\"overall partial_outage\" role=\"status\" id=\"overall\">Partial outage</p>"
        ),
        "{html}"
    );
    assert!(html.contains("<li><span>Checkout</span> <span class=\"state partial_outage\">Partial outage</span></li>"), "{html}");
    assert!(
        html.contains(
            "<li><span>Search</span> <span class=\"state operational\">Operational</span></li>"
        ),
        "{html}"
    );
    for hidden in [
        "the deploy 4711",
        "staging",
        "Signing key",
        "Rotating the signing key",
        "INC-3",
        "INC-4",
    ] {
        assert!(!html.contains(hidden), "{hidden:?} is on the page:\n{html}");
    }

    // The same as data.
    let json = client.get(&format!("{}/status.json", server.base)).await;
    assert_eq!(json.status, 200);
    let data: serde_json::Value = serde_json::from_str(&json.body).expect("JSON");
    assert_eq!(data["overall"], "partial_outage");
    assert_eq!(data["open"].as_array().unwrap().len(), 1);
    assert_eq!(data["open"][0]["number"], "INC-1");
    assert_eq!(data["open"][0]["services"][0], "Checkout");
    assert_eq!(data["past"][0]["number"], "INC-2");
    assert_eq!(data["past"][0]["status"], "resolved");
    assert!(!json.body.contains("Signing") && !json.body.contains("4711"));

    // The feed, read by a real parser: one entry per public update, newest first.
    let atom = client.get(&format!("{}/status.atom", server.base)).await;
    assert_eq!(atom.status, 200);
    let feed = feed_rs::parser::parse(atom.body.as_bytes()).expect("a valid feed");
    assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
    assert_eq!(
        feed.title.as_ref().map(|t| t.content.as_str()),
        Some("Acme status")
    );
    let titles: Vec<String> = feed
        .entries
        .iter()
        .map(|e| {
            e.title
                .as_ref()
                .map(|t| t.content.clone())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        titles,
        [
            "INC-2 · Investigating — Search results are slow",
            "INC-1 · Investigating — Checkout API returns 500s",
        ]
    );
    let first = &feed.entries[1];
    assert_eq!(
        first.content.as_ref().and_then(|c| c.body.as_deref()),
        Some("Card payments fail for some customers. We are rolling back.")
    );
    assert!(first.updated.is_some());
    assert_eq!(
        feed.entries[0]
            .content
            .as_ref()
            .and_then(|c| c.body.as_deref()),
        Some("Search is slower than usual <for now> & we are on it.")
    );
    assert!(!atom.body.contains("Signing"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_is_off_by_default_and_says_how_to_turn_it_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = sqlite_url(dir.path());
    let server = serve(dir.path(), &url);
    let client = HttpClient::default();
    for route in ["/status", "/status.json", "/status.atom"] {
        let answer = client.get(&format!("{}{route}", server.base)).await;
        assert_eq!(answer.status, 404, "{route}");
        assert!(
            answer.body.contains("[status_page] enabled = true"),
            "{route}: {}",
            answer.body
        );
    }
}
