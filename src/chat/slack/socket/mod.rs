//! Socket Mode: Warroom opens a websocket to Slack (`apps.connections.open` with the app
//! token) instead of receiving HTTP requests, for teams without a public URL. The websocket is
//! opened here ([`connection`], with `TCP_NODELAY`), not by slack-morphism's listener, whose
//! connections leave Nagle's algorithm on; the frames are slack-morphism's typed Socket Mode
//! envelopes ([`SlackSocketModeEvent`]). Each envelope is acknowledged ([`envelope`]) and its
//! payload goes through the same readers, delivery claims and work as over HTTP (the websocket
//! itself is authenticated, so there is no signature to check).
//!
//! One connection at a time: a `disconnect` frame (Slack refreshes connections every few
//! hours) opens the next connection before the old one is closed; a connection that fails or
//! stops answering pings is replaced after a pause that doubles up to [`LONGEST_PAUSE`].

mod connection;
mod envelope;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use secrecy::SecretString;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::SlackAdapter;
use crate::engine::port::ChatError;
use connection::Socket;

/// The writing half of a connection.
type Sink = futures_util::stream::SplitSink<Socket, Message>;
/// The reading half of a connection.
type Stream = futures_util::stream::SplitStream<Socket>;

/// How often Warroom pings Slack over an open websocket.
const PING_EVERY: Duration = Duration::from_secs(15);
/// A connection without any frame from Slack (a pong at least) for this long is replaced.
const SILENCE_LIMIT: Duration = Duration::from_secs(75);
/// The first pause after a failed connection, doubled after each failure up to the longest.
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const LONGEST_PAUSE: Duration = Duration::from_secs(30);

/// Why Warroom stopped reading a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Warroom is stopping.
    Stopped,
    /// Slack asked for a new connection (`disconnect`).
    Refresh,
    /// The connection closed, failed or went silent.
    Lost,
}

/// How a connection's life ended.
enum Ended {
    /// Warroom is stopping; the connection was closed.
    Stopped,
    /// Slack asked for a new connection; the old one is closed once the next is open.
    Refresh(Box<Socket>),
    /// The connection is gone.
    Lost,
}

/// Listens over Socket Mode until `stop` completes; failed connections are retried with a
/// growing pause, so this only returns once stopped.
pub async fn run(
    adapter: Arc<SlackAdapter>,
    app_token: &SecretString,
    stop: impl Future<Output = ()>,
) -> Result<(), ChatError> {
    tokio::pin!(stop);
    let mut old: Option<Box<Socket>> = None;
    loop {
        let socket = tokio::select! {
            socket = connect_with_backoff(&adapter, app_token) => socket,
            () = &mut stop => return Ok(()),
        };
        if let Some(mut old) = old.take() {
            let _ = old.as_mut().close(None).await;
        }
        tracing::info!("Slack Socket Mode connected");
        match serve(&adapter, socket, &mut stop).await {
            Ended::Stopped => return Ok(()),
            Ended::Refresh(socket) => old = Some(socket),
            Ended::Lost => tracing::warn!("Socket Mode: the connection was lost; reconnecting"),
        }
    }
}

/// Opens a connection, pausing longer after each failure.
async fn connect_with_backoff(adapter: &SlackAdapter, app_token: &SecretString) -> Socket {
    let mut pause = FIRST_PAUSE;
    loop {
        match connection::open(adapter.chat.api(), app_token).await {
            Ok(socket) => return socket,
            Err(e) => {
                tracing::error!(error = %e, retry_in_s = pause.as_secs(), "Socket Mode: could not connect");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(LONGEST_PAUSE);
            }
        }
    }
}

/// Reads one connection's frames until it ends; acknowledgements go out through a writer
/// task, so that an event awaiting its delivery claim does not hold up the frames behind it.
async fn serve(
    adapter: &Arc<SlackAdapter>,
    socket: Socket,
    stop: &mut (impl Future<Output = ()> + Unpin),
) -> Ended {
    let (write, mut read) = socket.split();
    let (acks, outgoing) = mpsc::unbounded_channel::<Message>();
    let writer = tokio::spawn(write_frames(write, outgoing));
    let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    let mut heard = Instant::now();
    let outcome = loop {
        tokio::select! {
            () = &mut *stop => break Outcome::Stopped,
            () = acks.closed() => break Outcome::Lost,
            _ = ping.tick() => {
                if heard.elapsed() > SILENCE_LIMIT {
                    tracing::warn!("Socket Mode: Slack has not answered pings; reconnecting");
                    break Outcome::Lost;
                }
                let _ = acks.send(Message::Ping(Vec::new().into()));
            }
            frame = read.next() => {
                heard = Instant::now();
                if let Some(outcome) = on_frame(adapter, frame, &acks) {
                    break outcome;
                }
            }
        }
    };
    drop(acks);
    let write = writer.await.ok();
    finish(outcome, write, read).await
}

/// Acts on one frame from Slack; `Some` when the connection's life ends with it.
fn on_frame(
    adapter: &Arc<SlackAdapter>,
    frame: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    acks: &mpsc::UnboundedSender<Message>,
) -> Option<Outcome> {
    match frame {
        Some(Ok(Message::Text(text))) => match envelope::handle(adapter, text.as_str(), acks) {
            envelope::Next::Read => None,
            envelope::Next::Refresh => Some(Outcome::Refresh),
        },
        Some(Ok(Message::Close(_))) | None => Some(Outcome::Lost),
        Some(Err(e)) => {
            tracing::warn!(error = %e, "Socket Mode: the connection failed");
            Some(Outcome::Lost)
        }
        Some(Ok(_)) => None,
    }
}

/// Closes what is left of a connection: at a stop, with a close frame; on a refresh, the
/// halves are put back together for closing once the next connection is open.
async fn finish(outcome: Outcome, write: Option<Sink>, read: Stream) -> Ended {
    let socket = write.and_then(|write| write.reunite(read).ok());
    match (outcome, socket) {
        (Outcome::Stopped, Some(mut socket)) => {
            let _ = socket.close(None).await;
            tracing::info!("Slack Socket Mode closed");
            Ended::Stopped
        }
        (Outcome::Stopped, None) => Ended::Stopped,
        (Outcome::Refresh, Some(socket)) => Ended::Refresh(Box::new(socket)),
        (Outcome::Refresh | Outcome::Lost, _) => Ended::Lost,
    }
}

/// Writes frames as they come, flushing once per batch of what is waiting; gives the sink
/// back when the channel closes or a write fails (which closes the channel, and so ends the
/// reading of the connection).
async fn write_frames(mut write: Sink, mut outgoing: mpsc::UnboundedReceiver<Message>) -> Sink {
    while let Some(frame) = outgoing.recv().await {
        let mut batch = write.feed(frame).await;
        while batch.is_ok()
            && let Ok(frame) = outgoing.try_recv()
        {
            batch = write.feed(frame).await;
        }
        if batch.is_err() || write.flush().await.is_err() {
            tracing::warn!("Socket Mode: a frame could not be written");
            break;
        }
    }
    write
}
