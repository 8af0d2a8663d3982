//! A started child that leads its own process group, and the killing of that group.
//!
//! The group id is the leader's pid. Linux does not hand that number to a new process
//! while the leader is unreaped, so the group is signalled only before the leader is
//! reaped: its exit is awaited with `WNOWAIT`, the group killed, and only then reaped. A
//! signal can never reach an unrelated process that later got the same number.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::sys::wait::{Id, WaitPidFlag, waitid};
use nix::unistd::Pid;
use tokio::process::{Child, ChildStderr, ChildStdout};
use tokio::task::JoinHandle;

/// A running child started with `process_group(0)`. Dropping it unreaped (a cancelled
/// run) kills the whole group.
pub(super) struct ProcessGroup {
    child: Child,
    pgid: Pid,
    reaped: bool,
}

/// How the leader ended: an exit code or the signal that killed it.
pub(super) struct Ending {
    pub(super) exit_code: Option<i32>,
    pub(super) signal: Option<i32>,
}

impl ProcessGroup {
    /// Takes charge of a child that was just spawned as the leader of a new group.
    pub(super) fn new(child: Child) -> Option<Self> {
        let pid = i32::try_from(child.id()?).ok()?;
        Some(Self {
            child,
            pgid: Pid::from_raw(pid),
            reaped: false,
        })
    }

    /// The group id (the leader's pid).
    pub(super) fn id(&self) -> i32 {
        self.pgid.as_raw()
    }

    /// The child's output pipes, for the reader.
    pub(super) fn take_pipes(&mut self) -> (Option<ChildStdout>, Option<ChildStderr>) {
        (self.child.stdout.take(), self.child.stderr.take())
    }

    /// Resolves when the leader has exited, leaving it unreaped so the group id stays
    /// reserved. Waits on a blocking thread; dropping the handle leaves that thread to end
    /// when the leader does (which the drop of `self` brings about).
    pub(super) fn leader_exit(&self) -> JoinHandle<()> {
        let pid = self.pgid;
        tokio::task::spawn_blocking(move || {
            let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT;
            loop {
                match waitid(Id::Pid(pid), flags) {
                    Err(Errno::EINTR) => continue,
                    Ok(_) => return,
                    Err(error) => {
                        // ECHILD: already reaped; nothing left to wait for here.
                        tracing::debug!(%error, pid = pid.as_raw(), "waiting for the leader's exit");
                        return;
                    }
                }
            }
        })
    }

    /// Sends SIGKILL to every process still in the group. Does nothing once the leader is
    /// reaped, when the number may belong to someone else.
    pub(super) fn kill(&self) {
        if self.reaped {
            return;
        }
        match killpg(self.pgid, Signal::SIGKILL) {
            Ok(()) | Err(Errno::ESRCH) => {}
            Err(error) => {
                tracing::warn!(%error, pgid = self.pgid.as_raw(), "could not kill a process group");
            }
        }
    }

    /// Reaps the leader and says how it ended. Call [`Self::kill`] first.
    pub(super) async fn reap(&mut self) -> Ending {
        let status = self.child.wait().await;
        self.reaped = true;
        match status {
            Ok(status) => ending(status),
            Err(error) => {
                tracing::warn!(%error, pid = self.pgid.as_raw(), "could not reap a finished action");
                Ending {
                    exit_code: None,
                    signal: None,
                }
            }
        }
    }
}

fn ending(status: ExitStatus) -> Ending {
    Ending {
        exit_code: status.code(),
        signal: status.signal(),
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        // A run cancelled half-way: the leader is not reaped yet, so the group id is still
        // ours. `kill_on_drop` on the child then lets tokio reap the leader.
        self.kill();
    }
}
