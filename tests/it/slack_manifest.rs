//! The Slack app manifests under `deploy/slack/` against the code they install: every Web API
//! method the Slack adapter calls (read from its source) has its bot scope in both manifests,
//! and no scope is asked for that nothing uses; the events the adapter reads are subscribed;
//! the HTTP manifest's URLs are the routes `serve` answers, and the Socket Mode one has none.
//! Scopes per method are Slack's (api.slack.com/methods, "Required scopes", bot tokens).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

// The bot scope each method Warroom calls needs (`None` for methods that need none), and each
// event's: the fake Slack enforces the same table.
use crate::support::fake_slack::scopes::{
    EVENT_SCOPES, METHOD_SCOPES as SCOPES, WAR_ROOM_METHODS, needed_for,
};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn manifest(name: &str) -> Value {
    let path = root().join("deploy/slack").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The Rust source of the Slack adapter, every file.
fn slack_source() -> String {
    fn walk(dir: &Path, out: &mut String) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path.to_string_lossy().ends_with("_tests.rs")
            {
                out.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = String::new();
    walk(&root().join("src/chat/slack"), &mut out);
    out
}

/// The quoted names that follow `marker` in `source` (`.call("chat.postMessage"`).
fn quoted_after(source: &str, marker: &str) -> BTreeSet<String> {
    source
        .match_indices(marker)
        .filter_map(|(at, _)| {
            let rest = source[at + marker.len()..].trim_start();
            let rest = rest.strip_prefix('"')?;
            Some(rest[..rest.find('"')?].to_owned())
        })
        .collect()
}

fn strings(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect()
}

/// The scopes the code needs: those of the methods it calls, the slash command's and the
/// events'.
fn needed_scopes(source: &str) -> BTreeSet<String> {
    let called = quoted_after(source, ".call(");
    assert!(
        called.len() >= 10,
        "the adapter's calls were not found: {called:?}"
    );
    let mut needed = BTreeSet::from(["commands".to_owned()]);
    for method in &called {
        let scope = SCOPES
            .iter()
            .find(|(m, _)| m == method)
            .unwrap_or_else(|| {
                panic!("Warroom calls {method}: add its bot scope to SCOPES and the manifests")
            })
            .1;
        needed.extend(scope.map(str::to_owned));
        if WAR_ROOM_METHODS.contains(&method.as_str()) {
            needed.extend(needed_for(method, true).map(str::to_owned));
        }
    }
    for (_, scope) in EVENT_SCOPES {
        needed.insert((*scope).to_owned());
    }
    needed
}

#[test]
fn both_manifests_ask_for_exactly_the_scopes_and_events_the_adapter_uses() {
    let source = slack_source();
    let needed = needed_scopes(&source);
    // The events the adapter reads from Slack's Events API.
    let read: BTreeSet<String> = quoted_after(&source, "raw[\"type\"] ==");
    assert!(read.contains("reaction_added"), "{read:?}");
    for name in ["manifest-http.json", "manifest-socket.json"] {
        let m = manifest(name);
        let scopes = strings(&m["oauth_config"]["scopes"]["bot"]);
        assert_eq!(scopes, needed, "{name}: bot scopes");
        // What `warroom doctor` checks a token for is what the manifests ask for.
        let checked: BTreeSet<String> = warroom::chat::slack::check::BOT_SCOPES
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert_eq!(checked, scopes, "{name}: doctor's scopes");
        let events = strings(&m["settings"]["event_subscriptions"]["bot_events"]);
        assert_eq!(events, read, "{name}: bot events");
        for event in &events {
            let (_, scope) = EVENT_SCOPES
                .iter()
                .find(|(e, _)| e == event)
                .unwrap_or_else(|| panic!("{name}: {event} needs a scope in EVENT_SCOPES"));
            assert!(scopes.contains(*scope), "{name}: {event} needs {scope}");
        }
        let commands = m["features"]["slash_commands"]
            .as_array()
            .expect("commands");
        assert_eq!(commands.len(), 1, "{name}");
        assert_eq!(commands[0]["command"], "/incident", "{name}");
        assert_eq!(m["settings"]["interactivity"]["is_enabled"], true, "{name}");
        assert_eq!(
            m["features"]["bot_user"]["display_name"], "warroom",
            "{name}"
        );
        assert_eq!(m["_metadata"]["major_version"], 1, "{name}");
    }
}

#[test]
fn the_http_manifest_points_at_the_routes_serve_answers_and_the_socket_one_at_none() {
    let routes = quoted_after(
        &std::fs::read_to_string(root().join("src/chat/slack/handlers.rs")).unwrap(),
        ".route(",
    );
    let http = manifest("manifest-http.json");
    assert_eq!(http["settings"]["socket_mode_enabled"], false);
    let urls = [
        &http["features"]["slash_commands"][0]["url"],
        &http["settings"]["interactivity"]["request_url"],
        &http["settings"]["event_subscriptions"]["request_url"],
    ];
    let paths: BTreeSet<String> = urls
        .iter()
        .map(|u| {
            let url = url::Url::parse(u.as_str().expect("a URL")).expect("a valid URL");
            assert_eq!(
                url.scheme(),
                "https",
                "Slack sends requests over HTTPS only: {url}"
            );
            url.path().to_owned()
        })
        .collect();
    assert_eq!(
        paths,
        BTreeSet::from([
            "/slack/commands".to_owned(),
            "/slack/interactions".to_owned(),
            "/slack/events".to_owned()
        ])
    );
    assert!(paths.is_subset(&routes), "{paths:?} not all in {routes:?}");
    let socket = manifest("manifest-socket.json");
    assert_eq!(socket["settings"]["socket_mode_enabled"], true);
    assert!(socket["features"]["slash_commands"][0].get("url").is_none());
    assert!(
        socket["settings"]["interactivity"]
            .get("request_url")
            .is_none()
    );
    assert!(
        socket["settings"]["event_subscriptions"]
            .get("request_url")
            .is_none()
    );
}
