//! The accept loop of `warroom serve`: HTTP/1.1 only (cleartext HTTP/2 is refused, see below),
//! a header-read timeout that also ends idle keep-alive connections, a cap on open
//! connections over all clients and per client address (the excess is closed as soon as it is
//! accepted), accept errors such as "too many open files" met with a growing pause instead of
//! a spin, and a graceful stop with a deadline after which open connections are dropped.
//!
//! Cleartext HTTP/2 is not served: hyper's HTTP/2 server has no header-read or idle timeout,
//! so a client could hold connections open with pings; Alertmanager and Slack speak HTTP/1.1.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::config::HttpConfig;

/// Descriptors kept free for everything else (the database, chat clients, runbook processes)
/// when the connection cap is fitted to the open-file limit.
const RESERVED_FILES: u64 = 64;
/// The first pause after an accept error that is not the client's doing, doubled up to the
/// longest.
const FIRST_PAUSE: Duration = Duration::from_millis(10);
const LONGEST_PAUSE: Duration = Duration::from_secs(1);
/// Refused connections are logged at most once in this long, with a count.
const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);

/// The connection side of `[http]`, fitted to the process's open-file limit.
#[derive(Clone, Debug)]
pub struct Limits {
    /// How long a connection may take to send a request's head; also the idle keep-alive time.
    pub header_read_timeout: Duration,
    /// How long requests in flight get after a stop.
    pub shutdown_timeout: Duration,
    /// Open connections at most.
    pub max_connections: usize,
    /// Open connections at most per client address; 0: no cap.
    pub max_connections_per_peer: usize,
}

impl Limits {
    /// The limits `config` asks for, with `max_connections` lowered (and a warning logged)
    /// when the open-file limit could not hold that many.
    pub fn fitted(config: &HttpConfig) -> Limits {
        let files = open_file_limit();
        let max_connections = fit_to_files(config.max_connections, files);
        if max_connections < config.max_connections {
            tracing::warn!(
                configured = config.max_connections,
                open_file_limit = files,
                used = max_connections,
                "http.max_connections is more than the open-file limit allows; lowered"
            );
        }
        Limits {
            header_read_timeout: config.header_read_timeout,
            shutdown_timeout: config.shutdown_timeout,
            max_connections,
            max_connections_per_peer: config.max_connections_per_peer,
        }
    }
}

/// The soft limit on open files, or `None` when unknown or unlimited.
fn open_file_limit() -> Option<u64> {
    use nix::sys::resource::{Resource, getrlimit};
    getrlimit(Resource::RLIMIT_NOFILE)
        .ok()
        .map(|(soft, _)| soft)
        .filter(|&soft| soft != nix::sys::resource::RLIM_INFINITY)
}

/// `wanted` connections, or fewer so that `files` leaves some descriptors for the rest.
fn fit_to_files(wanted: usize, files: Option<u64>) -> usize {
    match files {
        Some(files) => {
            let room = usize::try_from(files.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX);
            wanted.min(room.max(1))
        }
        None => wanted,
    }
}

/// Counts open connections, over all and per address.
struct Admission {
    max: usize,
    per_peer: usize,
    state: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    open: usize,
    by_peer: HashMap<IpAddr, usize>,
    refused_since_log: u64,
    last_log: Option<Instant>,
}

/// Why a connection was closed at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Full,
    PeerFull,
}

/// An admitted connection's place; given back when dropped.
struct Ticket {
    admission: Arc<Admission>,
    peer: IpAddr,
}

impl Admission {
    fn new(max: usize, per_peer: usize) -> Arc<Admission> {
        Arc::new(Admission {
            max,
            per_peer,
            state: Mutex::new(Counts::default()),
        })
    }

    fn counts(&self) -> MutexGuard<'_, Counts> {
        // The counts stay consistent whatever panicked while holding them.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A place for a connection from `peer`, or why there is none.
    fn admit(self: &Arc<Self>, peer: IpAddr) -> Result<Ticket, Refusal> {
        let mut counts = self.counts();
        let from_peer = counts.by_peer.get(&peer).copied().unwrap_or(0);
        let refusal = if counts.open >= self.max {
            Some(Refusal::Full)
        } else if self.per_peer > 0 && from_peer >= self.per_peer {
            Some(Refusal::PeerFull)
        } else {
            None
        };
        if let Some(refusal) = refusal {
            counts.refused_since_log += 1;
            let due = counts
                .last_log
                .is_none_or(|at| at.elapsed() >= REFUSAL_LOG_EVERY);
            if due {
                tracing::warn!(
                    %peer,
                    reason = match refusal {
                        Refusal::Full => "http.max_connections reached",
                        Refusal::PeerFull => "http.max_connections_per_peer reached",
                    },
                    open = counts.open,
                    refused = counts.refused_since_log,
                    "closed connections as soon as they were accepted"
                );
                counts.refused_since_log = 0;
                counts.last_log = Some(Instant::now());
            }
            return Err(refusal);
        }
        counts.open += 1;
        *counts.by_peer.entry(peer).or_insert(0) += 1;
        Ok(Ticket {
            admission: self.clone(),
            peer,
        })
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut counts = self.admission.counts();
        counts.open = counts.open.saturating_sub(1);
        if let Some(n) = counts.by_peer.get_mut(&self.peer) {
            *n -= 1;
            if *n == 0 {
                counts.by_peer.remove(&self.peer);
            }
        }
    }
}

/// Whether an accept error is about one connection (try the next at once) rather than the
/// process (out of descriptors or memory: pause).
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

/// Serves `app` on `listener` until `stop` resolves; then lets requests in flight finish for
/// at most `limits.shutdown_timeout` and drops the connections still open.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    stop: impl Future<Output = ()>,
) -> io::Result<()> {
    let builder = http1_builder(limits);
    let admission = Admission::new(limits.max_connections, limits.max_connections_per_peer);
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut failures = AcceptFailures::new();
    tokio::pin!(stop);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut stop => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                // Out of descriptors (EMFILE) or the like: the listener stays readable, so
                // trying again at once would spin. Pause longer each time; log once.
                let pause = failures.failed(&e);
                tokio::select! {
                    () = &mut stop => break,
                    () = tokio::time::sleep(pause) => {}
                }
                continue;
            }
        };
        failures.recovered();
        let Ok(ticket) = admission.admit(peer.ip().to_canonical()) else {
            drop(stream);
            continue;
        };
        let connection = Connection {
            stream,
            peer,
            ticket,
        };
        connection.spawn(&builder, &app, &graceful, &mut connections);
    }
    drop(listener);
    drain(connections, graceful, limits).await;
    Ok(())
}

/// The HTTP/1.1 side of hyper: the header-read timeout (on hyper's timer) and keep-alive.
fn http1_builder(limits: &Limits) -> Builder<TokioExecutor> {
    let mut builder = Builder::new(TokioExecutor::new()).http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    builder
}

/// Accept errors that are not one connection's: the pause before the next try, which grows
/// with each, and since when (and how often) accepting fails, for the log.
struct AcceptFailures {
    pause: Duration,
    failing_since: Option<(Instant, u64)>,
}

impl AcceptFailures {
    fn new() -> AcceptFailures {
        AcceptFailures {
            pause: FIRST_PAUSE,
            failing_since: None,
        }
    }

    /// Counts a failure (logging only the first of a run) and returns how long to pause before
    /// the next try; the pause after that is twice as long, up to [`LONGEST_PAUSE`].
    fn failed(&mut self, e: &io::Error) -> Duration {
        match &mut self.failing_since {
            Some((_, n)) => *n += 1,
            None => {
                tracing::error!(error = %e, "cannot accept connections; pausing and trying again");
                self.failing_since = Some((Instant::now(), 1));
            }
        }
        let pause = self.pause;
        self.pause = (self.pause * 2).min(LONGEST_PAUSE);
        pause
    }

    /// A connection was accepted: logs the end of a run of failures, if there was one, and
    /// starts the pause over.
    fn recovered(&mut self) {
        if let Some((since, failures)) = self.failing_since.take() {
            tracing::warn!(
                failures,
                secs = since.elapsed().as_secs_f64(),
                "accepting connections again"
            );
        }
        self.pause = FIRST_PAUSE;
    }
}

/// An accepted and admitted connection, with the ticket that holds its place.
struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    ticket: Ticket,
}

impl Connection {
    /// Serves `app` on the connection in a task of `connections`, watched by `graceful`; its
    /// ticket is given back when the connection ends.
    fn spawn(
        self,
        builder: &Builder<TokioExecutor>,
        app: &Router,
        graceful: &GracefulShutdown,
        connections: &mut JoinSet<()>,
    ) {
        let Connection {
            stream,
            peer,
            ticket,
        } = self;
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        connections.spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            drop(ticket);
        });
    }
}

/// After a stop: lets requests in flight finish for at most `limits.shutdown_timeout`, then
/// drops the connections still open.
async fn drain(mut connections: JoinSet<()>, graceful: GracefulShutdown, limits: &Limits) {
    let open = connections.len();
    if tokio::time::timeout(limits.shutdown_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            open,
            still_open = connections.len(),
            after_secs = limits.shutdown_timeout.as_secs_f64(),
            "requests still in flight at the stop deadline: their connections are dropped"
        );
    }
    connections.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_fits_the_open_file_limit() {
        assert_eq!(fit_to_files(512, None), 512);
        assert_eq!(fit_to_files(512, Some(1_048_576)), 512);
        assert_eq!(fit_to_files(512, Some(1024)), 512);
        assert_eq!(fit_to_files(2000, Some(1024)), 960);
        assert_eq!(fit_to_files(512, Some(10)), 1);
    }

    #[test]
    fn connections_are_capped_over_all_and_per_address_and_given_back() {
        let admission = Admission::new(3, 2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let c: IpAddr = "10.0.0.3".parse().unwrap();
        let a1 = admission.admit(a).unwrap();
        let _a2 = admission.admit(a).unwrap();
        assert_eq!(admission.admit(a).err(), Some(Refusal::PeerFull));
        let _b1 = admission.admit(b).unwrap();
        assert_eq!(admission.admit(c).err(), Some(Refusal::Full));
        drop(a1);
        assert!(admission.admit(c).is_ok());
        assert_eq!(
            admission.counts().open,
            2,
            "the ticket of c was given back at once"
        );
    }

    #[test]
    fn no_cap_per_address_when_it_is_zero() {
        let admission = Admission::new(3, 0);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let tickets: Vec<Ticket> = (0..3).map(|_| admission.admit(a).unwrap()).collect();
        assert_eq!(admission.admit(a).err(), Some(Refusal::Full));
        drop(tickets);
        assert!(admission.counts().by_peer.is_empty());
    }
}
