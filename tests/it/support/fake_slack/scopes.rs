//! The bot scope each Web API method Warroom calls needs, as Slack's method pages list them
//! (facts carried over from api.slack.com/methods). The fake answers `missing_scope` when the
//! token lacks it, and tests/it/slack_manifest.rs holds the manifests to the same table.

/// Method → the scope it needs (`None`: any token, or no token at all).
pub const METHOD_SCOPES: &[(&str, Option<&str>)] = &[
    ("auth.test", None),
    ("chat.postEphemeral", Some("chat:write")),
    ("chat.postMessage", Some("chat:write")),
    ("chat.update", Some("chat:write")),
    ("conversations.create", Some("channels:manage")),
    ("conversations.history", Some("channels:history")),
    ("conversations.info", Some("channels:read")),
    ("conversations.invite", Some("channels:manage")),
    ("conversations.list", Some("channels:read")),
    ("conversations.open", Some("im:write")),
    ("conversations.setTopic", Some("channels:manage")),
    ("files.completeUploadExternal", Some("files:write")),
    ("files.getUploadURLExternal", Some("files:write")),
    ("pins.add", Some("pins:write")),
    ("views.open", None),
    // An answer through a slash command's or an action's response_url: no token at all.
    ("response_url", None),
    // The file's bytes, to the upload URL files.getUploadURLExternal gave: no token.
    ("the file upload", None),
];

/// The scope an event subscription needs.
pub const EVENT_SCOPES: &[(&str, &str)] = &[("reaction_added", "reactions:read")];

/// Every scope the app is installed with by default: what the HTTP manifest asks for.
pub fn manifest_scopes() -> Vec<String> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/slack/manifest-http.json");
    let text = std::fs::read_to_string(&path).expect("the manifest");
    let manifest: serde_json::Value = serde_json::from_str(&text).expect("the manifest is JSON");
    manifest["oauth_config"]["scopes"]["bot"]
        .as_array()
        .expect("bot scopes")
        .iter()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

/// The scope `method` needs, if the table names one.
pub fn needed(method: &str) -> Option<&'static str> {
    METHOD_SCOPES
        .iter()
        .find(|(m, _)| *m == method)
        .and_then(|(_, scope)| *scope)
}

/// The scope a call needs, for a private channel's call where `private` (Slack's method pages
/// list both kinds: a public channel's calls need the `channels:` scopes, a private channel's
/// the `groups:` ones).
pub fn needed_for(method: &str, private: bool) -> Option<&'static str> {
    let scope = needed(method)?;
    if !private {
        return Some(scope);
    }
    Some(match scope {
        "channels:manage" => "groups:write",
        "channels:read" => "groups:read",
        "channels:history" => "groups:history",
        other => other,
    })
}

/// The methods Warroom calls on a war room, which is a private channel for a private
/// incident: the app needs their `groups:` scopes too.
pub const WAR_ROOM_METHODS: &[&str] = &[
    "conversations.create",
    "conversations.history",
    "conversations.invite",
    "conversations.setTopic",
];
