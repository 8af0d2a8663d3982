//! Slack: slash commands, interactions and events in, Block Kit and the Web API out. Requests
//! are verified before anything is read, acknowledged at once, and worked on in a task.

mod api;
mod channel_name;
pub mod check;
mod handlers;
pub mod inbound;
pub mod limits;
mod modal;
mod port;
pub mod render;
mod reply;
#[cfg(test)]
mod router_tests;
pub mod signature;
mod socket;
mod verified;
mod work;

use std::sync::Arc;
use std::time::Duration;

pub use api::{ApiSettings, SlackApi};
pub use handlers::routes;
pub use port::SlackChat;
pub use signature::SignatureVerifier;

use crate::config::{SlackConfig, SlackSecrets};
use crate::domain::Platform;
use crate::engine::Engine;
use crate::engine::port::ChatError;

/// The platform name Slack's rooms are stored under.
pub const PLATFORM: Platform = Platform::Slack;

/// Everything the Slack endpoints share: the engine, the Web API port and the verifier.
pub struct SlackAdapter {
    engine: Arc<Engine>,
    chat: Arc<SlackChat>,
    /// Checks the signatures of HTTP requests; `None` in Socket Mode without a signing secret,
    /// where every HTTP request is refused.
    verifier: Option<SignatureVerifier>,
    /// Deliveries claimed by this process, to forget old claims now and then.
    claimed: std::sync::atomic::AtomicU64,
    /// Where delivery claims are kept.
    ledger: Arc<dyn crate::engine::ledger::Ledger>,
    /// How long a request's body may take once its head passed ([`verified::BODY_DEADLINE`];
    /// shorter in the router tests).
    body_deadline: std::time::Duration,
}

impl SlackAdapter {
    /// An adapter over an engine, a Slack port and the signing secret's verifier.
    pub fn new(
        engine: Arc<Engine>,
        chat: Arc<SlackChat>,
        verifier: Option<SignatureVerifier>,
    ) -> Self {
        SlackAdapter {
            ledger: engine.ledger(),
            engine,
            chat,
            verifier,
            claimed: std::sync::atomic::AtomicU64::new(0),
            body_deadline: verified::BODY_DEADLINE,
        }
    }

    /// The adapter with a shorter body deadline, so that a router test of the deadline does
    /// not wait five seconds.
    #[cfg(test)]
    pub(crate) fn with_body_deadline(mut self, deadline: std::time::Duration) -> Self {
        self.body_deadline = deadline;
        self
    }

    /// Builds the adapter from the configuration and its secrets.
    pub fn from_config(
        engine: Arc<Engine>,
        config: &SlackConfig,
        secrets: &SlackSecrets,
    ) -> Result<SlackAdapter, ChatError> {
        let api = SlackApi::new(
            ApiSettings {
                api_url: config.api_url().to_owned(),
                max_retries: config.max_retries.unwrap_or(3),
                post_interval: Duration::from_millis(config.post_interval_ms.unwrap_or(1000)),
            },
            &secrets.bot_token,
        )?;
        Ok(SlackAdapter::new(
            engine,
            Arc::new(SlackChat::new(api)),
            secrets.signing_secret.clone().map(SignatureVerifier::new),
        ))
    }

    /// Listens over Socket Mode with the app token until `stop` completes.
    pub async fn socket_mode(
        self: &Arc<Self>,
        app_token: &secrecy::SecretString,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<(), ChatError> {
        socket::run(self.clone(), app_token, stop).await
    }

    /// The Slack chat port, for the scheduler's pages and reminders.
    pub fn chat(&self) -> Arc<SlackChat> {
        self.chat.clone()
    }
}
