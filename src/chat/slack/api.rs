//! Warroom's Slack Web API client: slack-morphism's client on a configurable base URL, with
//! 429 answers waited out (Retry-After) and `chat.postMessage` paced per channel.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;
use tokio::time::Instant;

use crate::engine::port::ChatError;
use crate::telemetry::CallOutcome;

/// How the client behaves.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// The Web API's base URL, without a trailing slash (`https://slack.com/api`).
    pub api_url: String,
    /// Times a call answered with 429 is tried again.
    pub max_retries: u32,
    /// The least time between two messages posted in one channel (Slack allows about 1 s).
    pub post_interval: Duration,
}

/// The Web API client with the bot's token.
pub struct SlackApi {
    client: std::sync::Arc<SlackHyperClient>,
    token: SlackApiToken,
    settings: ApiSettings,
    /// When each channel may next get a message.
    next_post: Mutex<HashMap<String, Instant>>,
}

impl SlackApi {
    /// A client for `settings.api_url` with the bot token.
    pub fn new(settings: ApiSettings, bot_token: &SecretString) -> Result<SlackApi, ChatError> {
        crate::chat::install_tls_provider();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| ChatError::Unavailable(format!("no TLS root certificates: {e}")))?;
        // Plain http only when the configured URL says so (a local test server).
        let https = if settings.api_url.starts_with("http://") {
            https.https_or_http()
        } else {
            https.https_only()
        };
        let connector =
            SlackClientHyperConnector::with_connector(https.enable_http1().enable_http2().build())
                .with_slack_api_url(settings.api_url.trim_end_matches('/'));
        Ok(SlackApi {
            client: std::sync::Arc::new(SlackClient::new(connector)),
            token: SlackApiToken::new(bot_token.expose_secret().to_owned().into()),
            settings,
            next_post: Mutex::new(HashMap::new()),
        })
    }

    /// A session of the bot for one or more calls.
    pub fn session(&self) -> SlackClientSession<'_, SlackClientHyperHttpsConnector> {
        self.client.open_session(&self.token)
    }

    /// The underlying client (for response_url posts, which take no token, and Socket Mode).
    pub fn client(&self) -> &std::sync::Arc<SlackHyperClient> {
        &self.client
    }

    /// Waits until `channel` may get another message, and books the slot after it.
    pub async fn pace(&self, channel: &str) {
        let interval = self.settings.post_interval;
        if interval.is_zero() {
            return;
        }
        let slot = {
            let mut next = self.next_post.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = next
                .get(channel)
                .copied()
                .filter(|t| *t > now)
                .unwrap_or(now);
            next.insert(channel.to_owned(), slot + interval);
            // Forget channels that have been quiet, so the map stays small.
            if next.len() > 10_000 {
                next.retain(|_, t| *t > now);
            }
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Books the next slot of `channel` when it is free now; otherwise says how long until it
    /// is, and books nothing (a delivery is tried again then instead of holding its claim).
    pub fn try_pace(&self, channel: &str) -> Result<(), Duration> {
        let interval = self.settings.post_interval;
        if interval.is_zero() {
            return Ok(());
        }
        let mut next = self.next_post.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        match next.get(channel) {
            Some(slot) if *slot > now => Err(*slot - now),
            _ => {
                next.insert(channel.to_owned(), now + interval);
                Ok(())
            }
        }
    }

    /// Runs a call, waiting out 429 answers up to the configured number of retries. Inside an
    /// outbox delivery a 429 is not waited out here: it is returned (as `Throttled` with
    /// Slack's Retry-After), and the outbox tries again when Slack asked, without holding its
    /// claim meanwhile.
    pub async fn call<T, F, Fut>(
        &self,
        method: &'static str,
        mut attempt: F,
    ) -> Result<T, SlackCallError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = ClientResult<T>>,
    {
        let mut retries = 0;
        loop {
            let started = std::time::Instant::now();
            let answer = attempt().await;
            let outcome = match &answer {
                Ok(_) => CallOutcome::Ok,
                Err(SlackClientError::RateLimitError(_)) => CallOutcome::Throttled,
                Err(_) => CallOutcome::Error,
            };
            crate::telemetry::chat_call("slack", method, started.elapsed(), outcome);
            match answer {
                Ok(v) => return Ok(v),
                Err(SlackClientError::RateLimitError(e))
                    if retries < self.settings.max_retries
                        && !crate::engine::port::DeliveryKey::active() =>
                {
                    retries += 1;
                    let wait = e.retry_after.unwrap_or(Duration::from_secs(1));
                    tracing::warn!(
                        method,
                        ?wait,
                        retries,
                        "Slack answered 429: waiting as it asked"
                    );
                    tokio::time::sleep(wait).await;
                }
                Err(e) => return Err(SlackCallError { method, error: e }),
            }
        }
    }
}

/// A failed Web API call: the method and slack-morphism's error.
#[derive(Debug)]
pub struct SlackCallError {
    /// The method (`chat.postMessage`).
    pub method: &'static str,
    /// What went wrong.
    pub error: SlackClientError,
}

impl SlackCallError {
    /// The API's error code, when Slack answered `ok: false`.
    pub fn code(&self) -> Option<&str> {
        match &self.error {
            SlackClientError::ApiError(e) => Some(e.code.as_str()),
            _ => None,
        }
    }
}

impl From<SlackCallError> for ChatError {
    fn from(e: SlackCallError) -> ChatError {
        let method = e.method;
        match &e.error {
            SlackClientError::ApiError(api) => match api.code.as_str() {
                "channel_not_found" | "message_not_found" | "thread_not_found"
                | "user_not_found" | "users_not_found" => {
                    ChatError::NotFound(format!("{method}: {}", api.code))
                }
                // Slack's own trouble, not a refusal: worth another try.
                code @ ("internal_error"
                | "fatal_error"
                | "service_unavailable"
                | "request_timeout"
                | "ratelimited") => ChatError::Unavailable(format!("Slack's {method} said {code}")),
                code => ChatError::Refused(format!("Slack's {method} said {code}")),
            },
            SlackClientError::RateLimitError(limit) => ChatError::Throttled {
                wait: limit.retry_after.unwrap_or(Duration::from_secs(1)),
                reason: format!("Slack answered {method} with 429 (rate limited)"),
            },
            other => {
                tracing::warn!(method, error = %other, "Slack call failed");
                ChatError::Unavailable(format!("Slack's {method} could not be reached"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn posts_to_one_channel_are_spaced_by_the_interval() {
        let interval = Duration::from_millis(60);
        let api = SlackApi::new(
            ApiSettings {
                api_url: "http://127.0.0.1:9/api".into(),
                max_retries: 0,
                post_interval: interval,
            },
            &SecretString::from("xoxb-test"),
        )
        .unwrap();
        let start = Instant::now();
        for _ in 0..3 {
            api.pace("C1").await;
        }
        // The third post in one channel may go two intervals after the first, not sooner.
        assert!(start.elapsed() >= interval * 2, "{:?}", start.elapsed());
    }
}
