//! Opening one Socket Mode websocket: `apps.connections.open` with the app token gives a
//! one-time `wss://` URL (`ws://` from a local test server); the TCP connection is made here
//! with Nagle's algorithm off, so that each acknowledgement leaves at once instead of waiting
//! for the previous one's TCP acknowledgement (40 ms and more behind a delayed ACK), and TLS
//! is rustls with the system's roots, as for the Web API.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use slack_morphism::prelude::*;
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::super::SlackApi;

/// An open Socket Mode websocket.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long the TCP connection, TLS and the websocket handshake may take together.
const CONNECT_DEADLINE: Duration = Duration::from_secs(15);

/// Why a websocket could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// `apps.connections.open` failed (a wrong app token, Slack unreachable).
    #[error("apps.connections.open failed: {0}")]
    Open(String),
    /// The URL it gave is not a websocket URL Warroom can connect to.
    #[error("apps.connections.open gave an unusable URL ({0})")]
    Url(&'static str),
    /// The TCP connection failed.
    #[error("the websocket's TCP connection failed: {0}")]
    Tcp(#[from] std::io::Error),
    /// TLS or the websocket handshake failed.
    #[error("the websocket handshake failed: {0}")]
    Handshake(#[from] tokio_tungstenite::tungstenite::Error),
    /// Connecting took longer than [`CONNECT_DEADLINE`].
    #[error("the websocket was not open within {} s", CONNECT_DEADLINE.as_secs())]
    Timeout,
}

/// Asks Slack for a websocket URL with the app token and opens it.
pub async fn open(api: &SlackApi, app_token: &SecretString) -> Result<Socket, ConnectError> {
    let token = SlackApiToken::new(app_token.expose_secret().to_owned().into());
    let opened = api
        .client()
        .open_session(&token)
        .apps_connections_open(&SlackApiAppsConnectionOpenRequest::new())
        .await
        .map_err(|e| ConnectError::Open(e.to_string()))?;
    tokio::time::timeout(CONNECT_DEADLINE, connect(opened.url.0))
        .await
        .map_err(|_| ConnectError::Timeout)?
}

/// Connects to a `wss://` (or `ws://`) URL with `TCP_NODELAY` set.
async fn connect(url: url::Url) -> Result<Socket, ConnectError> {
    let secure = match url.scheme() {
        "wss" => true,
        "ws" => false,
        _ => return Err(ConnectError::Url("not ws:// or wss://")),
    };
    let host = url.host_str().ok_or(ConnectError::Url("no host"))?;
    let port = url.port().unwrap_or(if secure { 443 } else { 80 });
    let stream = TcpStream::connect((host.trim_matches(['[', ']']), port)).await?;
    stream.set_nodelay(true)?;
    // The connector `None` means rustls with the system's roots for wss:// (the process's
    // crypto provider, installed with the Web API client) and no TLS for ws://.
    let (socket, _) =
        tokio_tungstenite::client_async_tls_with_config(url.as_str(), stream, None, None).await?;
    Ok(socket)
}
