//! Logging the bot in: with a configured access token, or with a password once and then with
//! the session the store kept (so that restarts reuse one device instead of making new ones).

use std::sync::Arc;
use std::time::Duration;

use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::RequestConfig;
use matrix_sdk::ruma::{OwnedDeviceId, OwnedUserId};
use matrix_sdk::store::RoomLoadSettings;
use matrix_sdk::{Client, SessionMeta, SessionTokens};
use secrecy::{ExposeSecret, SecretString};

use super::MatrixChat;
use crate::engine::ledger::{Ledger, MatrixSession as StoredSession};

/// How long one request may take (a sync asks for less: see the bot's sync timeout).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a request is retried while the homeserver cannot be reached (it restarts).
const RETRY_FOR: Duration = Duration::from_secs(15);

/// How the bot logs in.
pub enum Credentials {
    /// A password: logs in once, then reuses the session kept in the store.
    Password(SecretString),
    /// An access token made elsewhere.
    AccessToken(SecretString),
}

/// Logs in to `homeserver` as `user` and returns the chat port.
pub async fn connect(
    homeserver: &str,
    user: &str,
    credentials: &Credentials,
    ledger: Arc<dyn Ledger>,
) -> Result<MatrixChat, String> {
    let user_id = OwnedUserId::try_from(user)
        .map_err(|_| format!("[matrix] user '{user}' is not a Matrix user id (@name:server)"))?;
    let client = match credentials {
        Credentials::AccessToken(token) => {
            let stored = ledger
                .matrix_session(user)
                .await
                .map_err(|e| e.to_string())?;
            let device = stored
                .map(|s| s.device_id)
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| "WARROOM".to_owned());
            let client = restore(homeserver, &user_id, &device, token.expose_secret()).await?;
            client
                .whoami()
                .await
                .map_err(|e| format!("the Matrix access token was not accepted: {e}"))?;
            client
        }
        Credentials::Password(password) => {
            let kept = ledger
                .matrix_session(user)
                .await
                .map_err(|e| e.to_string())?;
            let kept = kept.filter(|s| !s.access_token.is_empty());
            let mut resumed = None;
            if let Some(kept) = kept {
                let client =
                    restore(homeserver, &user_id, &kept.device_id, &kept.access_token).await?;
                match client.whoami().await {
                    Ok(_) => resumed = Some(client),
                    Err(e) => {
                        tracing::info!(error = %e, "the kept Matrix session is gone; logging in again")
                    }
                }
            }
            match resumed {
                Some(client) => client,
                None => password_login(homeserver, user, password, ledger.as_ref()).await?,
            }
        }
    };
    if client.user_id() != Some(user_id.as_ref()) {
        return Err(format!(
            "the Matrix credentials belong to {:?}, not to {user}",
            client.user_id()
        ));
    }
    MatrixChat::new(client, ledger)
}

async fn build(homeserver: &str) -> Result<Client, String> {
    crate::chat::install_tls_provider();
    Client::builder()
        .homeserver_url(homeserver)
        .request_config(
            RequestConfig::new()
                .timeout(REQUEST_TIMEOUT)
                .max_retry_time(RETRY_FOR),
        )
        .build()
        .await
        .map_err(|e| format!("the Matrix homeserver {homeserver}: {e}"))
}

async fn restore(
    homeserver: &str,
    user: &OwnedUserId,
    device: &str,
    token: &str,
) -> Result<Client, String> {
    let client = build(homeserver).await?;
    let session = MatrixSession {
        meta: SessionMeta {
            user_id: user.clone(),
            device_id: OwnedDeviceId::from(device),
        },
        tokens: SessionTokens {
            access_token: token.to_owned(),
            refresh_token: None,
        },
    };
    client
        .matrix_auth()
        .restore_session(session, RoomLoadSettings::default())
        .await
        .map_err(|e| format!("the Matrix session could not be restored: {e}"))?;
    Ok(client)
}

async fn password_login(
    homeserver: &str,
    user: &str,
    password: &SecretString,
    ledger: &dyn Ledger,
) -> Result<Client, String> {
    let client = build(homeserver).await?;
    let response = client
        .matrix_auth()
        .login_username(user, password.expose_secret())
        .initial_device_display_name("Warroom")
        .send()
        .await
        .map_err(|e| format!("the Matrix login of {user} failed: {e}"))?;
    let session = StoredSession {
        user_id: response.user_id.to_string(),
        device_id: response.device_id.to_string(),
        access_token: response.access_token.clone(),
    };
    ledger
        .save_matrix_session(&session)
        .await
        .map_err(|e| format!("the Matrix session could not be kept: {e}"))?;
    Ok(client)
}
