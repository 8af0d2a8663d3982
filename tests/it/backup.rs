//! `warroom backup` on a database in use: 200 commands (declarations and notes) run while the
//! backup is taken, and the backup, put in place as a restore would, holds every incident
//! committed before it started, each whole, opens with nothing to migrate, and passes
//! `warroom doctor`.

use std::sync::Arc;

use warroom::domain::{Incident, IncidentNumber, Platform, UserId};
use warroom::engine::port::{Origin, RoomId};
use warroom::store::Store;

use crate::support::binary::warroom;
use crate::support::engine::TestEngine;

const COMMANDS: usize = 200;
/// A configuration under which `warroom doctor` finds nothing wrong on a sound database: a
/// rotation for each on-call alias the default escalation names, one installed program.
const DOCTOR_CONFIG: &str = "responders = [\"alice\"]\n\
[actions]\nallowed_programs = [\"df\"]\n\
[[rotations]]\nname = \"primary\"\npeople = [\"alice\"]\nhandoff = \"monday 09:00\"\nstart = \"2026-01-05\"\n\
[[rotations]]\nname = \"secondary\"\npeople = [\"bob\"]\nhandoff = \"monday 09:00\"\nstart = \"2026-01-05\"\n";
/// The tasks that share them.
const TASKS: usize = 10;

fn origin(room: &str, user: &str) -> Origin {
    Origin {
        room_id: RoomId::new(Platform::Console, room),
        user: UserId::parse(user).expect("a user"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_while_200_commands_run_restores_every_committed_incident() {
    let dir = tempfile::tempdir().expect("temp dir");
    let live = dir.path().join("warroom.db");
    let url = format!("sqlite://{}", live.display());
    let engine = Arc::new(TestEngine::url(&url).build().await);

    // The commands, spread over the tasks; each notes when its declaration was committed.
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let engine = Arc::clone(&engine);
        tasks.push(tokio::spawn(async move {
            let mut committed = Vec::new();
            for i in 0..COMMANDS / TASKS / 2 {
                let lobby = origin("lobby", &format!("user{task}"));
                engine
                    .incidents()
                    .handle_text(&lobby, &format!("declare p2 Load test {task}-{i}"))
                    .await;
                committed.push((format!("Load test {task}-{i}"), started.elapsed()));
                engine
                    .incidents()
                    .handle_text(&lobby, &format!("note INC-1 load note {task}-{i}"))
                    .await;
            }
            committed
        }));
    }
    // The backup starts while they run.
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let backup_started = started.elapsed();
    let backup_path = dir.path().join("backup.db");
    let out = tokio::task::spawn_blocking({
        let dir = dir.path().to_path_buf();
        let url = url.clone();
        let target = backup_path.display().to_string();
        move || warroom(&dir, &url, &["backup", "--out", &target], "")
    })
    .await
    .expect("backup ran");
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.starts_with(&format!("backed up {url} to ")), "{said}");
    let mut committed_before = Vec::new();
    let mut total = 0;
    for task in tasks {
        for (title, at) in task.await.expect("task") {
            total += 1;
            if at < backup_started {
                committed_before.push(title);
            }
        }
    }
    assert_eq!(total, COMMANDS / 2, "every declaration ran");
    let live_store = Store::connect(&url).await.expect("the live database");
    assert!(
        live_store
            .incident(IncidentNumber(COMMANDS as u32 / 2))
            .await
            .expect("read")
            .is_some(),
        "every declaration was recorded"
    );
    assert!(
        !committed_before.is_empty() && committed_before.len() < total,
        "the backup ran among the commands ({} of {total} before it)",
        committed_before.len()
    );

    // Restore: the backup put in place of a lost database.
    let restored = dir.path().join("restored.db");
    std::fs::copy(&backup_path, &restored).expect("restored");
    let restored_url = format!("sqlite://{}", restored.display());
    let migrate = warroom(dir.path(), &restored_url, &["migrate"], "");
    assert_eq!(
        String::from_utf8_lossy(&migrate.stdout),
        format!("nothing to apply\n{restored_url} is up to date (sqlite)\n")
    );
    let store = Store::connect(&restored_url)
        .await
        .expect("the restore opens");
    let mut titles = Vec::new();
    let mut n = 1;
    while let Some(incident) = store.incident(IncidentNumber(n)).await.expect("read") {
        // Each incident is whole: its timeline rebuilds the same incident.
        let timeline = store.timeline(IncidentNumber(n)).await.expect("timeline");
        let rebuilt = Incident::from_timeline(&timeline).expect("a declaration first");
        assert_eq!(rebuilt, incident, "INC-{n} rebuilt from its timeline");
        titles.push(incident.title.to_string());
        n += 1;
    }
    for title in &committed_before {
        assert!(titles.contains(title), "{title} is missing from the backup");
    }
    // And `warroom doctor` passes on it, with a configuration whose every check can pass.
    std::fs::write(dir.path().join("warroom.toml"), DOCTOR_CONFIG).expect("config");
    let doctor = warroom(dir.path(), &restored_url, &["doctor"], "");
    let said = String::from_utf8_lossy(&doctor.stdout).into_owned();
    assert!(doctor.status.success(), "{said}");
    assert!(
        said.contains(&format!(
            "ok    database {restored_url} (sqlite), schema up to date"
        )),
        "{said}"
    );
    // A second backup to the same file is refused, and the first is left as it was.
    let before = std::fs::read(&backup_path).expect("backup");
    let again = warroom(
        dir.path(),
        &url,
        &["backup", "--out", &backup_path.display().to_string()],
        "",
    );
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr)
            .contains("already exists; a backup never overwrites a file"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(std::fs::read(&backup_path).expect("backup"), before);
}

#[tokio::test]
async fn a_postgresql_database_is_pointed_at_pg_dump() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some((_, _, url)) = crate::support::postgres::fresh_postgres(
        "a_postgresql_database_is_pointed_at_pg_dump",
        "backup",
    )
    .await
    else {
        return;
    };
    let out = warroom(dir.path(), &url, &["backup", "--out", "b.db"], "");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("backed up with pg_dump"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dir.path().join("b.db").exists());
}
