//! SQLite on a disk that fills up and frees again (a 4 MiB tmpfs mounted for the test, so it
//! needs root: as another user it says so and skips; `.ci/run` sets
//! `WARROOM_TEST_REQUIRE_TMPFS=1`, which makes a skip a failure). While the disk is full, writes
//! fail with "the disk is full" and the write probe of `/healthz` says so; once space is freed,
//! the next write succeeds at once, from this process and from another one, without a restart.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::Utc;
use warroom::domain::{IncidentTitle, Severity, UserId};
use warroom::store::{Store, StoreError};

/// A tmpfs of `size` mounted on a fresh directory; unmounted when dropped.
struct Tmpfs {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(test: &str, size: &str) -> Option<Tmpfs> {
        let required = std::env::var_os("WARROOM_TEST_REQUIRE_TMPFS").is_some();
        if !nix_is_root() {
            assert!(!required, "{test} needs root to mount a tmpfs");
            println!("skipped {test}: mounting a tmpfs needs root");
            return None;
        }
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join("disk");
        std::fs::create_dir(&path).expect("a mount point");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .status()
            .expect("mount runs");
        if !status.success() {
            assert!(!required, "{test}: mount -t tmpfs failed");
            println!("skipped {test}: mount -t tmpfs failed");
            return None;
        }
        Some(Tmpfs { path, _dir: dir })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

fn nix_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

async fn declare(store: &Store, i: usize) -> Result<(), StoreError> {
    // Long titles fill the disk in a few hundred declarations.
    let title = format!("Incident {i} {}", "x".repeat(180));
    store
        .declare(
            &IncidentTitle::parse(&title).expect("a title"),
            Severity::P2,
            &UserId::parse("alice").expect("a user"),
            Utc::now(),
        )
        .await
        .map(|_| ())
}

fn fill(path: &Path, bytes: usize) {
    std::fs::write(path, vec![0u8; bytes]).expect("the filler is written");
}

#[tokio::test(flavor = "multi_thread")]
async fn after_the_disk_was_full_writes_succeed_again_without_a_restart() {
    let test = "after_the_disk_was_full_writes_succeed_again_without_a_restart";
    let Some(disk) = Tmpfs::mount(test, "4m") else {
        return;
    };
    let filler = disk.path.join("filler");
    fill(&filler, 1024 * 1024);
    let url = format!("sqlite://{}", disk.path.join("warroom.db").display());
    let store = Store::connect(&url).await.expect("the database");
    store
        .probe_write()
        .await
        .expect("a healthy database takes the probe");

    let mut failures = Vec::new();
    let mut written = 0;
    for i in 0..100_000 {
        match declare(&store, i).await {
            Ok(()) => written += 1,
            Err(e) => {
                failures.push(e);
                if failures.len() == 20 {
                    break;
                }
            }
        }
    }
    assert!(written > 0, "nothing fit on the disk");
    assert_eq!(failures.len(), 20, "the disk never filled");
    for e in &failures {
        assert!(
            matches!(e, StoreError::Full),
            "a write on a full disk: {e:?}"
        );
    }
    let probe = store.probe_write().await;
    assert!(matches!(probe, Err(StoreError::Full)), "{probe:?}");

    std::fs::remove_file(&filler).expect("space is freed");
    for i in 0..20 {
        declare(&store, 1_000_000 + i)
            .await
            .expect("a write after space was freed");
    }
    store
        .probe_write()
        .await
        .expect("the probe after space was freed");
    // Another pool (as another process would) can write too: no lock was left behind.
    let other = Store::connect(&url).await.expect("a second pool");
    declare(&other, 2_000_000)
        .await
        .expect("a write from a second pool");
    declare(&store, 2_000_001)
        .await
        .expect("and from the first again");
}
