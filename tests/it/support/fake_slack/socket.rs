//! The fake's Socket Mode: a websocket that says hello, carries envelopes the test sends (a
//! burst in one write), and records the client's acknowledgements with their arrival times
//! (each must name an envelope that was sent; only envelopes that accept a response payload
//! may be answered with one).

use std::sync::Arc;
use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use super::Shared;

/// Frames for the client, written together and flushed once: `(envelope id, frame)`.
pub(super) type Burst = Vec<(String, String)>;

/// What the test tells the open connection to do.
pub(super) enum Outgoing {
    /// Send these frames.
    Frames(Burst),
    /// Drop the connection without a goodbye, as a network failure would.
    Drop,
}

/// Accepts Socket Mode connections; the latest one gets the envelopes.
pub(super) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    while let Ok((stream, _)) = listener.accept().await {
        // As Slack's servers do: small frames go out at once.
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            let (mut write, mut read) = ws.split();
            let hello = json!({
                "type": "hello", "num_connections": 1,
                "connection_info": {"app_id": "A0FAKE"},
                "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
            });
            if write.send(Message::text(hello.to_string())).await.is_err() {
                return;
            }
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Outgoing>();
            shared.world.lock().unwrap().socket_connections += 1;
            *shared.socket.lock().unwrap() = Some(tx.clone());
            loop {
                tokio::select! {
                    out = rx.recv() => match out {
                        Some(Outgoing::Frames(burst)) => {
                            if send_burst(&mut write, &shared, burst).await.is_err() {
                                break;
                            }
                        }
                        Some(Outgoing::Drop) | None => break,
                    },
                    incoming = read.next() => match incoming {
                        Some(Ok(Message::Text(text))) => record_ack(&shared, &text),
                        Some(Ok(Message::Ping(p))) => {
                            if write.send(Message::Pong(p)).await.is_err() {
                                break;
                            }
                        }
                        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                        Some(Ok(_)) => {}
                    },
                }
            }
            let mut socket = shared.socket.lock().unwrap();
            if socket.as_ref().is_some_and(|s| s.same_channel(&tx)) {
                *socket = None;
            }
        });
    }
}

/// Writes a burst's frames and flushes them together, noting when they left.
async fn send_burst<S>(write: &mut S, shared: &Shared, burst: Burst) -> Result<(), S::Error>
where
    S: futures_util::Sink<Message> + Unpin,
{
    let mut ids = Vec::new();
    for (id, frame) in burst {
        write.feed(Message::text(frame)).await?;
        ids.push(id);
    }
    let at = Instant::now();
    {
        let mut world = shared.world.lock().unwrap();
        for id in ids.into_iter().filter(|id| !id.is_empty()) {
            world.sent_at.insert(id, at);
        }
    }
    write.flush().await
}

/// Records an acknowledgement, or the violation when it is not one.
fn record_ack(shared: &Shared, text: &str) {
    let at = Instant::now();
    let mut world = shared.world.lock().unwrap();
    let ack = match serde_json::from_str::<Value>(text) {
        Ok(ack)
            if ack["envelope_id"]
                .as_str()
                .is_some_and(|id| id.starts_with("env-")) =>
        {
            ack
        }
        _ => {
            world
                .violations
                .push(format!("Socket Mode: not an acknowledgement: {text}"));
            return;
        }
    };
    let id = ack["envelope_id"].as_str().unwrap_or_default().to_owned();
    if !ack["payload"].is_null() && world.no_payload.contains(&id) {
        world.violations.push(format!(
            "Socket Mode: a payload for an envelope that accepts none: {text}"
        ));
    }
    world.acked_at.entry(id).or_insert(at);
    world.acks.push(ack);
}
