//! `[matrix]` in `warroom serve`: log the bot in and build its sync loop, when configured.

use std::sync::Arc;

use std::path::PathBuf;

use anyhow::{Context, bail};
use secrecy::SecretString;

use crate::chat::matrix::{Credentials, MatrixBot, connect};
use crate::config::MatrixConfig;
use crate::engine::Engine;

/// The Matrix bot of `[matrix]`, logged in; `None` when no homeserver is configured.
pub(super) async fn bot(
    config: &MatrixConfig,
    engine: Arc<Engine>,
) -> anyhow::Result<Option<MatrixBot>> {
    let Some(homeserver) = config.homeserver.as_deref() else {
        return Ok(None);
    };
    let Some(user) = config.user.as_deref() else {
        bail!(
            "[matrix] homeserver is set but user is not: name the bot's account (@warroom:example.org)"
        );
    };
    let credentials = credentials(config)?;
    let chat = connect(homeserver, user, &credentials, engine.ledger())
        .await
        .map_err(anyhow::Error::msg)
        .context("[matrix]")?;
    let bot = MatrixBot::new(Arc::new(chat), engine, &config.allowed_users, &config.rooms)
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(Some(bot))
}

/// The bot's credentials: the access token when there is one, else the password.
pub(super) fn credentials(config: &MatrixConfig) -> anyhow::Result<Credentials> {
    let token = secret(
        &config.access_token,
        &config.access_token_file,
        "access_token_file",
    )?;
    let password = secret(&config.password, &config.password_file, "password_file")?;
    Ok(match (token, password) {
        (Some(token), _) => Credentials::AccessToken(token),
        (None, Some(password)) => Credentials::Password(password),
        (None, None) => bail!(
            "[matrix] needs the bot's password or an access token: set WARROOM_MATRIX__PASSWORD or WARROOM_MATRIX__ACCESS_TOKEN, or password_file / access_token_file"
        ),
    })
}

/// A secret given directly (from the environment) or as a file, whose content is trimmed.
fn secret(
    given: &Option<SecretString>,
    file: &Option<PathBuf>,
    key: &str,
) -> anyhow::Result<Option<SecretString>> {
    if let Some(given) = given {
        return Ok(Some(given.clone()));
    }
    let Some(path) = file else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("[matrix] {key}: cannot read {}", path.display()))?;
    let text = text.trim();
    if text.is_empty() {
        bail!("[matrix] {key}: {} is empty", path.display());
    }
    Ok(Some(SecretString::from(text.to_owned())))
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn a_secret_comes_from_the_environment_first_then_from_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "syt_from_file\n").unwrap();
        let file = Some(path.clone());
        let read = secret(&None, &file, "access_token_file").unwrap().unwrap();
        assert_eq!(read.expose_secret(), "syt_from_file");
        let given = Some(SecretString::from("syt_from_env"));
        let read = secret(&given, &file, "access_token_file").unwrap().unwrap();
        assert_eq!(read.expose_secret(), "syt_from_env");
        assert!(secret(&None, &None, "password_file").unwrap().is_none());
        std::fs::write(&path, "  \n").unwrap();
        let empty = secret(&None, &file, "password_file").unwrap_err();
        assert!(format!("{empty:#}").contains("is empty"), "{empty:#}");
        let missing = Some(dir.path().join("missing"));
        let error = secret(&None, &missing, "password_file").unwrap_err();
        assert!(format!("{error:#}").contains("cannot read"), "{error:#}");
    }
}
