//! `[matrix]` in `warroom serve`: log the bot in and build its sync loop, when configured.

use std::sync::Arc;

use anyhow::{Context, bail};

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
    let credentials = match (&config.access_token, &config.password) {
        (Some(token), _) => Credentials::AccessToken(token.clone()),
        (None, Some(password)) => Credentials::Password(password.clone()),
        (None, None) => bail!(
            "[matrix] needs the bot's password or an access token: set WARROOM_MATRIX__PASSWORD or WARROOM_MATRIX__ACCESS_TOKEN"
        ),
    };
    let chat = connect(homeserver, user, &credentials, engine.store().clone())
        .await
        .map_err(anyhow::Error::msg)
        .context("[matrix]")?;
    let bot = MatrixBot::new(Arc::new(chat), engine, &config.allowed_users, &config.rooms)
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(Some(bot))
}
