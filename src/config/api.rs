//! `[[api_tokens]]`: who may read the JSON API (`/api/v1/…`). Each token is stored as the
//! SHA-256 of the token, never the token: `warroom api-token NAME` makes one and prints both.
//! Without any, the API is off (404).

use serde::Deserialize;

use super::ConfigError;
use super::services::invalid;

/// What a token may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiRole {
    /// Every incident but the private ones.
    Viewer,
    /// Every incident, private ones too.
    Responder,
}

impl ApiRole {
    /// `viewer` or `responder`.
    pub fn name(self) -> &'static str {
        match self {
            ApiRole::Viewer => "viewer",
            ApiRole::Responder => "responder",
        }
    }
}

/// One `[[api_tokens]]` table.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiTokenConfig {
    /// Who holds it, for the logs (`grafana`, `status-bot`).
    pub name: String,
    /// The SHA-256 of the token, in hex (64 characters).
    pub sha256: String,
    /// What it may see (`viewer` by default).
    #[serde(default = "viewer")]
    pub role: ApiRole,
}

fn viewer() -> ApiRole {
    ApiRole::Viewer
}

/// A checked token: its holder, its hash and its role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    /// Who holds it.
    pub name: String,
    /// The SHA-256 of the token.
    pub sha256: [u8; 32],
    /// What it may see.
    pub role: ApiRole,
}

/// The tokens of the file, checked: names are 1 to 64 plain characters, each once; hashes
/// are 64 hex digits, each once.
pub fn api_tokens(configs: &[ApiTokenConfig]) -> Result<Vec<ApiToken>, ConfigError> {
    let mut out: Vec<ApiToken> = Vec::new();
    for (i, config) in configs.iter().enumerate() {
        let key = |field: &str| format!("api_tokens[{i}].{field}");
        let name = config.name.trim();
        if name.is_empty()
            || name.len() > 64
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(invalid(
                key("name"),
                "expected 1 to 64 letters, digits, '-', '_' or '.'",
            ));
        }
        let mut sha256 = [0u8; 32];
        if hex::decode_to_slice(config.sha256.trim(), &mut sha256).is_err() {
            return Err(invalid(
                key("sha256"),
                "expected the 64 hex digits of the token's SHA-256 (warroom api-token makes one)",
            ));
        }
        if out.iter().any(|t| t.name == name) {
            return Err(invalid(key("name"), format!("'{name}' is named twice")));
        }
        if out.iter().any(|t| t.sha256 == sha256) {
            return Err(invalid(key("sha256"), "the same token is listed twice"));
        }
        out.push(ApiToken {
            name: name.to_owned(),
            sha256,
            role: config.role,
        });
    }
    Ok(out)
}

pub(super) fn describe_api_tokens(configs: &[ApiTokenConfig], out: &mut String) {
    for token in configs {
        out.push_str("\n[[api_tokens]]\n");
        super::key_line(out, "name", Some(super::quoted(&token.name)));
        super::key_line(out, "sha256", Some(super::quoted(&token.sha256)));
        super::key_line(out, "role", Some(super::quoted(token.role.name())));
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::testing::{file, no_env};

    const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn tokens_are_hashes_with_a_role_and_bad_ones_are_named() {
        let (_dir, path) = file(&format!(
            "[[api_tokens]]\nname = \"grafana\"\nsha256 = \"{HASH}\"\n\n\
             [[api_tokens]]\nname = \"oncall-bot\"\nsha256 = \"{}\"\nrole = \"responder\"\n",
            "a".repeat(64)
        ));
        let config = Config::load_from(Some(&path), no_env()).unwrap();
        let tokens = super::api_tokens(&config.api_tokens).unwrap();
        assert_eq!(tokens[0].role, super::ApiRole::Viewer);
        assert_eq!(tokens[1].role, super::ApiRole::Responder);
        for (body, key) in [
            (
                format!("name = \"x\"\nsha256 = \"{}\"", "z".repeat(64)),
                "api_tokens[0].sha256",
            ),
            (
                format!("name = \"a b\"\nsha256 = \"{HASH}\""),
                "api_tokens[0].name",
            ),
            (
                format!("name = \"x\"\nsha256 = \"{HASH}\"\nrole = \"admin\""),
                "role",
            ),
        ] {
            let (_dir, path) = file(&format!("[[api_tokens]]\n{body}\n"));
            let err = Config::load_from(Some(&path), no_env())
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "{err}");
        }
        let (_dir, path) = file(&format!(
            "[[api_tokens]]\nname = \"a\"\nsha256 = \"{HASH}\"\n[[api_tokens]]\nname = \"b\"\nsha256 = \"{HASH}\"\n"
        ));
        let err = Config::load_from(Some(&path), no_env())
            .unwrap_err()
            .to_string();
        assert!(err.contains("listed twice"), "{err}");
    }
}
