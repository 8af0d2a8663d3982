//! The sweep job of `warroom serve`: at start and then once a minute, settles the runs that a
//! process which died left running (see the engine's `Sweep`). It runs beside the scheduler,
//! not inside its rounds, so firing timers never waits on it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::Engine;
use crate::engine::port::ChatPort;

/// How often the job looks: a run is only settled a minute after it is surely over anyway.
pub const EVERY: Duration = Duration::from_secs(60);

/// Sweeps through `chats` until `shutdown` completes; a failure is logged and the next sweep
/// tries again.
pub async fn run(
    engine: Arc<Engine>,
    chats: Vec<Arc<dyn ChatPort>>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let ports: Vec<&dyn ChatPort> = chats.iter().map(|c| c.as_ref()).collect();
        match engine.sweep().run(&ports).await {
            Ok(0) => {}
            Ok(finished) => tracing::warn!(finished, "runs cut short by a crash were settled"),
            Err(e) => {
                tracing::error!(error = %e, "runs cut short by a crash could not be looked for")
            }
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(EVERY) => {}
        }
    }
}
