//! `[http]`: how `warroom serve` treats HTTP clients: how long it waits for a request's head
//! and for the whole request, how many connections it keeps (in all and per client address),
//! how many requests it works on at once, and how long a stop waits for requests in flight.

use std::time::Duration;

use serde::Deserialize;

use super::actions::duration;
use super::alerts::invalid;
use super::{ConfigError, key_line, quoted};
use crate::domain::format_span;

/// The `[http]` table.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct HttpConfig {
    /// How long a connection may take to send a request's head (request line and headers),
    /// counted from when the server starts waiting for it: a new connection, or an idle
    /// keep-alive one after its last answer. After it the connection is closed.
    #[serde(deserialize_with = "duration")]
    pub header_read_timeout: Duration,
    /// How long one request may take from its head to its answer, body included (408 after).
    #[serde(deserialize_with = "duration")]
    pub request_timeout: Duration,
    /// After SIGTERM or Ctrl-C, how long requests in flight may take to finish; then their
    /// connections are dropped and the process exits.
    #[serde(deserialize_with = "duration")]
    pub shutdown_timeout: Duration,
    /// Open connections at most, over every client; more are closed as soon as they arrive.
    pub max_connections: usize,
    /// Open connections at most from one client address; more are closed as soon as they
    /// arrive. 0: no cap per address (behind a proxy, every client has the proxy's address).
    pub max_connections_per_peer: usize,
    /// Requests worked on at once; more are answered 503 at once.
    pub max_concurrent_requests: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(10),
            max_connections: 512,
            max_connections_per_peer: 64,
            max_concurrent_requests: 256,
        }
    }
}

impl HttpConfig {
    /// Checks the counts: at least one connection and one request.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        if self.max_connections == 0 {
            return Err(invalid("http.max_connections", "expected 1 or more"));
        }
        if self.max_concurrent_requests == 0 {
            return Err(invalid(
                "http.max_concurrent_requests",
                "expected 1 or more",
            ));
        }
        Ok(())
    }

    pub(super) fn describe(&self, out: &mut String) {
        let span = |d: Duration| Some(quoted(&format_span(d)));
        out.push_str("\n[http]\n");
        key_line(out, "header_read_timeout", span(self.header_read_timeout));
        key_line(out, "request_timeout", span(self.request_timeout));
        key_line(out, "shutdown_timeout", span(self.shutdown_timeout));
        key_line(
            out,
            "max_connections",
            Some(self.max_connections.to_string()),
        );
        key_line(
            out,
            "max_connections_per_peer",
            Some(self.max_connections_per_peer.to_string()),
        );
        key_line(
            out,
            "max_concurrent_requests",
            Some(self.max_concurrent_requests.to_string()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::config::testing::{env, file, no_env};

    #[test]
    fn defaults_are_ten_and_thirty_seconds_and_a_cap_per_address() {
        let http = Config::load_from(None, no_env()).unwrap().http;
        assert_eq!(http.header_read_timeout, Duration::from_secs(10));
        assert_eq!(http.request_timeout, Duration::from_secs(30));
        assert_eq!(http.shutdown_timeout, Duration::from_secs(10));
        assert_eq!(http.max_connections_per_peer, 64);
        assert!(http.max_connections >= http.max_connections_per_peer);
    }

    #[test]
    fn the_file_and_the_environment_set_them() {
        let (_dir, path) = file(
            "[http]\nheader_read_timeout = \"500ms\"\nrequest_timeout = 5\n\
             max_connections_per_peer = 0\n",
        );
        let vars = env(&[
            ("WARROOM_HTTP__SHUTDOWN_TIMEOUT", "2s"),
            ("WARROOM_HTTP__MAX_CONNECTIONS", "100"),
        ]);
        let config = Config::load_from(Some(&path), vars).unwrap();
        let http = &config.http;
        assert_eq!(http.header_read_timeout, Duration::from_millis(500));
        assert_eq!(http.request_timeout, Duration::from_secs(5));
        assert_eq!(http.shutdown_timeout, Duration::from_secs(2));
        assert_eq!(http.max_connections, 100);
        assert_eq!(http.max_connections_per_peer, 0);
        assert!(
            config.unknown_keys().is_empty(),
            "{:?}",
            config.unknown_keys()
        );
        assert!(
            config
                .describe()
                .contains("header_read_timeout = \"500ms\""),
            "{}",
            config.describe()
        );
    }

    #[test]
    fn zero_and_inconsistent_values_are_refused_with_their_key() {
        for (text, key) in [
            ("header_read_timeout = \"0s\"", "http.header_read_timeout"),
            ("request_timeout = \"soon\"", "http.request_timeout"),
            ("max_connections = 0", "http.max_connections"),
            (
                "max_concurrent_requests = 0",
                "http.max_concurrent_requests",
            ),
            (
                "max_connections_per_peer = -1",
                "http.max_connections_per_peer",
            ),
        ] {
            let (_dir, path) = file(&format!("[http]\n{text}\n"));
            let err = Config::load_from(Some(&path), no_env()).unwrap_err();
            assert!(err.to_string().contains(key), "{text}: {err}");
        }
    }
}
