//! What `warroom doctor` asks of Slack: whether the bot token works (`auth.test`), which scopes
//! it was granted (Slack names them in every Web API answer's `x-oauth-scopes` header), and
//! whether the bot is in a configured channel.

use axum::http::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::chat::probe;

/// The bot scopes Warroom's calls and events need; `deploy/slack`'s manifests ask for exactly
/// these (tests/it/slack_manifest.rs holds both to the calls in this adapter).
pub const BOT_SCOPES: &[&str] = &[
    "channels:history",
    "channels:manage",
    "channels:read",
    "chat:write",
    "commands",
    "files:write",
    "groups:history",
    "groups:write",
    "im:write",
    "pins:write",
    "reactions:read",
];

/// Who the token is, and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The bot's user id (`U0123`).
    pub user_id: String,
    /// The bot's name.
    pub user: String,
    /// The workspace's name.
    pub team: String,
    /// The scopes granted, as Slack lists them.
    pub scopes: Vec<String>,
}

impl Identity {
    /// The needed scopes the token lacks, in [`BOT_SCOPES`] order.
    pub fn missing_scopes(&self) -> Vec<&'static str> {
        BOT_SCOPES
            .iter()
            .copied()
            .filter(|s| !self.scopes.iter().any(|g| g == s))
            .collect()
    }
}

/// Calls `method` at `api_url` with the token and form `args`; the JSON answer and the
/// `x-oauth-scopes` header, or what went wrong as a sentence.
async fn call(
    api_url: &str,
    token: &SecretString,
    method: &str,
    args: &str,
) -> Result<(Value, Option<String>), String> {
    let url = format!("{}/{method}", api_url.trim_end_matches('/'));
    let answer = probe::request(
        Method::POST,
        &url,
        token.expose_secret(),
        Some((
            "application/x-www-form-urlencoded",
            args.as_bytes().to_vec(),
        )),
    )
    .await?;
    if !answer.status.is_success() {
        return Err(format!("{method} at {url}: HTTP {}", answer.status));
    }
    let scopes = answer
        .headers
        .get("x-oauth-scopes")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok((answer.json(), scopes))
}

/// `error` of a Slack answer that says `"ok": false`.
fn refused(json: &Value) -> Option<String> {
    (json["ok"] != Value::Bool(true))
        .then(|| json["error"].as_str().unwrap_or("unknown").to_owned())
}

/// Who the bot token is and which scopes it has (`auth.test`).
pub async fn identity(api_url: &str, token: &SecretString) -> Result<Identity, String> {
    let (json, scopes) = call(api_url, token, "auth.test", "").await?;
    if let Some(error) = refused(&json) {
        return Err(format!("auth.test refused the bot token: {error}"));
    }
    let field = |k: &str| json[k].as_str().unwrap_or_default().to_owned();
    Ok(Identity {
        user_id: field("user_id"),
        user: field("user"),
        team: field("team"),
        scopes: scopes
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

/// Whether the bot is a member of `channel` (an id such as `C0123`), or why that is unknown.
pub async fn is_member(api_url: &str, token: &SecretString, channel: &str) -> Result<bool, String> {
    let encoded: String = url::form_urlencoded::byte_serialize(channel.as_bytes()).collect();
    let args = format!("channel={encoded}");
    let (json, _) = call(api_url, token, "conversations.info", &args).await?;
    if let Some(error) = refused(&json) {
        return Err(format!("conversations.info for {channel}: {error}"));
    }
    Ok(json["channel"]["is_member"] == Value::Bool(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_scopes_are_the_needed_ones_not_granted() {
        let identity = Identity {
            user_id: "U1".into(),
            user: "warroom".into(),
            team: "T".into(),
            scopes: vec!["chat:write".into(), "commands".into(), "extra:thing".into()],
        };
        let missing = identity.missing_scopes();
        assert!(!missing.contains(&"chat:write"));
        assert!(missing.contains(&"pins:write"));
        assert_eq!(missing.len(), BOT_SCOPES.len() - 2);
    }
}
