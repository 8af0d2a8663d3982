//! The fake's Socket Mode: a websocket that says hello, carries envelopes the test sends,
//! and records the client's acknowledgements (each must name an envelope that was sent).

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use super::Shared;

/// Accepts Socket Mode connections; the latest one gets the envelopes.
pub(super) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    while let Ok((stream, _)) = listener.accept().await {
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
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
            *shared.socket.lock().unwrap() = Some(tx);
            loop {
                tokio::select! {
                    out = rx.recv() => match out {
                        Some(text) => {
                            if write.send(Message::text(text)).await.is_err() {
                                break;
                            }
                        }
                        None => break,
                    },
                    incoming = read.next() => match incoming {
                        Some(Ok(Message::Text(text))) => {
                            let mut world = shared.world.lock().unwrap();
                            match serde_json::from_str::<Value>(&text) {
                                Ok(ack) if ack["envelope_id"].as_str().is_some_and(|id| id.starts_with("env-")) => {
                                    world.acks.push(ack);
                                }
                                _ => world.violations.push(format!("Socket Mode: not an acknowledgement: {text}")),
                            }
                        }
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
            *shared.socket.lock().unwrap() = None;
        });
    }
}
