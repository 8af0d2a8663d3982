//! Running runbook steps with real processes: read actions on a click, write actions after a
//! second person approves, dangerous ones never; parameters that try to inject are refused or
//! arrive as one literal argument; a request runs once however often it is pressed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use warroom::chat::console::ConsoleChat;
use warroom::domain::Platform;
use warroom::domain::{Action, Command, EventKind, IncidentNumber, ParamRules, UserId};
use warroom::engine::clock::SimulatedClock;
use warroom::engine::effect::Effect;
use warroom::engine::port::{Origin, RoomId};
use warroom::engine::{ActionSettings, Engine, Settings};
use warroom::executor::{DryRunExecutor, Executor, ExecutorSettings, ProcessExecutor, Runner};
use warroom::runbook::{Library, load_paths};

use crate::support::engine::{TestEngine, simulated_clock};
use crate::support::screen;
use screen::Screen;

/// A fake kubectl (no cluster runs here) that accepts only the restart the runbook asks for.
const FAKE_KUBECTL: &str = r#"#!/bin/sh
if [ "$#" -eq 5 ] && [ "$1" = rollout ] && [ "$2" = restart ] && [ "$3" = deployment/api ] \
   && [ "$4" = -n ] && [ "$5" = shop ]; then
  echo "deployment.apps/api restarted"
  exit 0
fi
echo "fake kubectl: unexpected arguments: $*" >&2
exit 2
"#;

struct World {
    engine: Arc<Engine>,
    chat: Arc<ConsoleChat>,
    screen: Screen,
    clock: Arc<SimulatedClock>,
    _dir: tempfile::TempDir,
}

#[derive(Default)]
struct Options {
    patterns: BTreeMap<String, String>,
    database_url: Option<String>,
    dry_run: bool,
    /// Who may run steps; empty: anyone.
    may_run: Vec<&'static str>,
    /// Who is on call in the primary rotation, who may then approve
    /// (`on_call_may_approve`).
    on_call: Option<&'static str>,
    /// Where steps run (here unless a test says otherwise).
    runner: Runner,
}

fn fake_bin(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let kubectl = bin.join("kubectl");
    std::fs::write(&kubectl, FAKE_KUBECTL).unwrap();
    std::fs::set_permissions(&kubectl, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// A world whose actions are drills (nothing starts), with the default options otherwise.
async fn drill_world() -> World {
    world(Options {
        dry_run: true,
        ..Options::default()
    })
    .await
}

async fn world(options: Options) -> World {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/action-runbooks");
    let imported = load_paths(&[fixtures]);
    assert!(imported.problems.is_empty(), "{:?}", imported.problems);
    let clock = simulated_clock();
    let executor: Arc<dyn Executor> = if options.dry_run {
        Arc::new(DryRunExecutor)
    } else {
        Arc::new(ProcessExecutor::new(ExecutorSettings {
            allowed_programs: ["printf", "kubectl", "sleep", "psql", "redis-cli"]
                .map(String::from)
                .to_vec(),
            search_path: vec![
                fake_bin(dir.path()),
                PathBuf::from("/usr/bin"),
                PathBuf::from("/bin"),
            ],
            runner: options.runner.clone(),
            ..ExecutorSettings::default()
        }))
    };
    let database_url = options.database_url.clone();
    let secrets: BTreeSet<String> = ["database_url", "redis_url"].map(String::from).into();
    let rules = ParamRules::new(&options.patterns)
        .unwrap()
        .with_trusted(["namespace"])
        .with_secrets(secrets.iter());
    let actions = ActionSettings {
        environment: Some("production".to_owned()),
        approvers: vec![UserId::parse("dave").unwrap()],
        request_expiry: chrono::Duration::minutes(15),
        on_call_may_approve: options.on_call.is_some(),
        default_timeout: Duration::from_secs(20),
        dangerous_allowlist: Vec::new(),
        raised: BTreeMap::new(),
        values: BTreeMap::from([("namespace".to_owned(), "shop".to_owned())]),
        secrets,
        read_secret: Arc::new(move |name: &str| {
            Ok(match name {
                "database_url" => database_url.clone(),
                _ => None,
            })
        }),
        rules: Arc::new(rules),
        executor,
    };
    let settings = Settings {
        runbooks: Arc::new(Library::new(imported.runbooks)),
        actions: Some(actions),
        rotations: options
            .on_call
            .map(|person| warroom::domain::Rotation {
                people: vec![UserId::parse(person).unwrap()],
                ..crate::support::engine::carol_on_call()
            })
            .into_iter()
            .collect(),
        permissions: warroom::domain::Permissions {
            declare: Vec::new(),
            run: options
                .may_run
                .iter()
                .map(|u| UserId::parse(u).unwrap())
                .collect(),
        },
        ..Settings::default()
    };
    let engine = Arc::new(
        TestEngine::sqlite(dir.path())
            .clock(clock.clone())
            .settings(settings)
            .build()
            .await,
    );
    let screen = Screen::default();
    let chat = Arc::new(ConsoleChat::new(Box::new(screen.clone()), "warroom"));
    let world = World {
        engine,
        chat,
        screen,
        clock,
        _dir: dir,
    };
    world
        .say("alice", "lobby", "declare p1 API returns 500s")
        .await;
    world
        .say("alice", "inc-1", "runbook attach api-actions")
        .await;
    world.screen.take();
    world
}

fn origin(user: &str, room: &str) -> Origin {
    Origin {
        room_id: RoomId::new(Platform::Console, room),
        user: UserId::parse(user).unwrap(),
    }
}

impl World {
    async fn say(&self, user: &str, room: &str, text: &str) -> String {
        let origin = origin(user, room);
        let effects = self.engine.incidents().handle_text(&origin, text).await;
        self.engine
            .delivery()
            .dispatch(self.chat.as_ref(), &origin, effects)
            .await;
        self.screen.take()
    }

    async fn run_with(&self, user: &str, step: u32, params: &[(&str, &str)]) -> String {
        let origin = origin(user, "inc-1");
        let command = Command {
            incident: None,
            action: Action::Run {
                step,
                params: params
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            },
        };
        let effects = self.engine.incidents().apply(&origin, command).await;
        self.engine
            .delivery()
            .dispatch(self.chat.as_ref(), &origin, effects)
            .await;
        self.screen.take()
    }

    async fn kinds(&self) -> Vec<EventKind> {
        self.engine
            .store()
            .timeline(IncidentNumber(1))
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }

    async fn count(&self, type_name: &str) -> usize {
        self.kinds()
            .await
            .iter()
            .filter(|k| k.type_name() == type_name)
            .count()
    }
}

#[tokio::test]
async fn a_read_action_runs_when_any_participant_asks() {
    let w = world(Options::default()).await;
    let out = w.say("carol", "inc-1", "run 1 pod_name=api-7f9c").await;
    assert!(
        out.contains("r1 · step 1 — Show the pod argument · exit code 0"),
        "{out}"
    );
    assert!(out.contains("      pod\n      api-7f9c\n"), "{out}");
    // The output is a thread reply under the runbook's message.
    assert!(out.contains("[#inc-1 thread m"), "{out}");
    assert_eq!(w.count("action_requested").await, 1);
    assert_eq!(w.count("action_started").await, 1);
    let finished = w.kinds().await.into_iter().find_map(|k| match k {
        EventKind::ActionFinished {
            exit_code, output, ..
        } => Some((exit_code, output)),
        _ => None,
    });
    assert_eq!(finished, Some((Some(0), "pod\napi-7f9c\n".to_owned())));
    // The run ended well, so its step is done, by the person who asked, and the card says so.
    let done = w.engine.store().timeline(IncidentNumber(1)).await.unwrap();
    let done = done
        .iter()
        .find(|e| e.kind.type_name() == "step_done")
        .expect("the step marked done");
    assert_eq!(done.actor.as_str(), "carol");
    match &done.kind {
        EventKind::StepDone { number, note, .. } => {
            assert_eq!(*number, 1);
            assert_eq!(
                note.as_ref().map(|n| n.as_str()),
                Some("ran r1, exit code 0")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(out.contains("1 of 8 done"), "{out}");
    // Done already: running it again does not mark it twice.
    w.say("carol", "inc-1", "run 1 pod_name=api-7f9c").await;
    assert_eq!(w.count("action_finished").await, 2);
    assert_eq!(w.count("step_done").await, 1);
}

#[tokio::test]
async fn a_missing_parameter_is_asked_for_by_name() {
    let w = world(Options::default()).await;
    let out = w.say("carol", "inc-1", "run 1").await;
    assert!(
        out.contains("step 1 needs pod_name: run 1 pod_name=…"),
        "{out}"
    );
    assert_eq!(w.count("action_requested").await, 0);
}

const INJECTIONS: &[&str] = &[
    "; rm -rf /",
    "$(id)",
    "`id`",
    "api\nrm -rf /",
    "--kubeconfig=/etc/x",
];

#[tokio::test]
async fn injection_attempts_are_refused_by_the_default_rule() {
    let w = world(Options::default()).await;
    for value in INJECTIONS {
        let out = w.run_with("carol", 1, &[("pod_name", value)]).await;
        assert!(out.contains("pod_name"), "{value:?}: {out}");
        assert!(!out.contains("exit code"), "{value:?} must not run: {out}");
    }
    assert_eq!(w.count("action_requested").await, 0);
}

#[tokio::test]
async fn with_a_permissive_rule_an_injection_reaches_the_program_as_one_literal_argument() {
    let patterns = BTreeMap::from([("pod_name".to_owned(), ".*".to_owned())]);
    let w = world(Options {
        patterns,
        ..Options::default()
    })
    .await;
    for (i, value) in INJECTIONS.iter().enumerate() {
        let out = w.run_with("carol", 1, &[("pod_name", value)]).await;
        if value.contains('\n') {
            // No rule lets a control character through.
            assert!(!out.contains("exit code"), "{out}");
            continue;
        }
        assert!(out.contains("exit code 0"), "{value:?}: {out}");
        let finished: Vec<String> = w
            .kinds()
            .await
            .into_iter()
            .filter_map(|k| match k {
                EventKind::ActionFinished { output, .. } => Some(output),
                _ => None,
            })
            .collect();
        // printf prints each argument on its own line: "pod", then the value, whole.
        let last = finished.last().expect("a finished run");
        assert_eq!(last, &format!("pod\n{value}\n"), "attempt {i}");
    }
}

#[tokio::test]
async fn a_write_action_waits_for_an_approver_who_is_not_the_requester() {
    let w = world(Options::default()).await;
    let asked = w.say("bob", "inc-1", "run 3").await;
    assert!(
        asked.contains("r1 · approval needed: step 3 — Restart the API"),
        "{asked}"
    );
    // The card shows what will run: the configured namespace filled in.
    assert!(
        asked.contains("kubectl rollout restart deployment/api -n shop"),
        "{asked}"
    );
    assert!(!asked.contains("<namespace>"), "{asked}");
    assert!(asked.contains("Approvers: @alice, @dave"), "{asked}");
    assert_eq!(w.count("action_started").await, 0);

    let own = w.say("bob", "inc-1", "approve r1").await;
    assert!(
        own.contains("r1 was requested by you; another approver must decide it"),
        "{own}"
    );
    let stranger = w.say("carol", "inc-1", "approve r1").await;
    assert!(
        stranger.contains("only the commander or a configured approver may decide r1"),
        "{stranger}"
    );
    assert_eq!(w.count("action_started").await, 0);

    let approved = w.say("dave", "inc-1", "approve r1").await;
    assert!(approved.contains("@dave approved r1"), "{approved}");
    assert!(approved.contains("exit code 0"), "{approved}");
    assert!(
        approved.contains("deployment.apps/api restarted"),
        "{approved}"
    );
    let again = w.say("alice", "inc-1", "approve r1").await;
    assert!(again.contains("r1 is already finished"), "{again}");

    // The requester is never listed as an approver, and those listed are invited.
    let by_commander = w.say("alice", "inc-1", "run 3").await;
    assert!(
        by_commander.contains("Approvers: @dave\n"),
        "{by_commander}"
    );
    assert!(
        by_commander.contains("[#inc-1] invited dave\n"),
        "{by_commander}"
    );
    assert!(!by_commander.contains("invited alice"), "{by_commander}");
    assert_eq!(w.count("action_started").await, 1);
}

#[tokio::test]
async fn whoever_is_on_call_may_approve_when_the_team_says_so_but_never_their_own_request() {
    let on_call = world(Options {
        dry_run: true,
        on_call: Some("erin"),
        ..Options::default()
    })
    .await;
    let asked = on_call.say("bob", "inc-1", "run 3").await;
    assert!(asked.contains("Approvers: @alice, @dave, @erin"), "{asked}");
    let approved = on_call.say("erin", "inc-1", "approve r1").await;
    assert!(approved.contains("erin approved r1"), "{approved}");
    // Her own request she may not approve.
    let again = on_call.say("erin", "inc-1", "run 3").await;
    assert!(again.contains("r2 · approval needed"), "{again}");
    let own = on_call.say("erin", "inc-1", "approve r2").await;
    assert!(
        own.contains("r2 was requested by you; another approver must decide it"),
        "{own}"
    );
    // Without the setting, being on call is not enough.
    let plain = drill_world().await;
    plain.say("bob", "inc-1", "run 3").await;
    let refused = plain.say("erin", "inc-1", "approve r1").await;
    assert!(
        refused.contains("only the commander or a configured approver may decide r1"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_denied_request_never_runs() {
    let w = world(Options::default()).await;
    w.say("bob", "inc-1", "run 3").await;
    let denied = w.say("alice", "inc-1", "deny r1 not during peak").await;
    assert!(
        denied.contains("@alice denied r1: not during peak"),
        "{denied}"
    );
    let late = w.say("dave", "inc-1", "approve r1").await;
    assert!(late.contains("r1 is already denied"), "{late}");
    assert_eq!(w.count("action_started").await, 0);
}

#[tokio::test]
async fn an_approval_after_expiry_is_refused() {
    let w = world(Options::default()).await;
    w.say("bob", "inc-1", "run 3").await;
    w.clock.advance(chrono::Duration::minutes(16));
    let out = w.say("alice", "inc-1", "approve r1").await;
    assert!(
        out.contains("r1 expired at 14:15 UTC; run the step again to ask anew"),
        "{out}"
    );
    assert_eq!(w.count("action_expired").await, 1);
    assert_eq!(w.count("action_started").await, 0);
    // The step is free again.
    let again = w.say("bob", "inc-1", "run 3").await;
    assert!(again.contains("r2 · approval needed"), "{again}");
}

#[tokio::test]
async fn a_waiting_request_reminds_its_approvers_at_half_time_and_expires_on_time_in_the_war_room()
{
    let w = world(Options::default()).await;
    let start = warroom::engine::clock::Clock::now(w.clock.as_ref());
    w.say("bob", "inc-1", "run 3").await;
    let fire = || async {
        w.engine
            .escalation()
            .fire_due(&[w.chat.as_ref()], "test")
            .await
            .unwrap();
        w.screen.take()
    };
    // Before half time: nothing.
    w.clock.set(start + chrono::Duration::minutes(7));
    assert!(!fire().await.contains("r1"));
    // Half of the 15 minutes: the approvers (alice commands, dave is listed; bob asked) are
    // reminded by name.
    w.clock.set(start + chrono::Duration::seconds(450));
    let reminded = fire().await;
    assert!(
        reminded.contains("r1 (step 3: Restart the API) still waits for an approver; it expires at 14:15 UTC. @alice, @dave: approve r1 or deny r1"),
        "{reminded}"
    );
    assert!(!reminded.contains("@bob"), "{reminded}");
    // At 15 minutes it expires, by itself, at its own time, with a button to ask again.
    w.clock.set(start + chrono::Duration::minutes(15));
    let expired = fire().await;
    assert!(
        expired.contains(
            "r1 (step 3: Restart the API) expired: nobody approved it within 15 min. Nothing ran."
        ),
        "{expired}"
    );
    assert!(expired.contains("Ask again"), "{expired}");
    let timeline = w.engine.store().timeline(IncidentNumber(1)).await.unwrap();
    let at = timeline
        .iter()
        .find(|e| e.kind.type_name() == "action_expired")
        .map(|e| e.at);
    assert_eq!(at, Some(start + chrono::Duration::minutes(15)));
    // Pressing Ask again asks anew.
    let button = expired
        .split("[b")
        .last()
        .and_then(|rest| rest.split(' ').next())
        .expect("a button");
    let bob = origin("bob", "inc-1");
    let press = warroom::engine::Input::Said {
        text: format!("press b{button}"),
    };
    let effects = w.engine.incidents().take(&bob, press).await;
    w.engine
        .delivery()
        .dispatch(w.chat.as_ref(), &bob, effects)
        .await;
    let again = w.screen.take();
    assert!(again.contains("r2 · approval needed"), "{again}");
}

#[tokio::test]
async fn a_severity_change_keeps_the_timers_of_a_waiting_request() {
    let w = world(Options::default()).await;
    let start = warroom::engine::clock::Clock::now(w.clock.as_ref());
    w.say("bob", "inc-1", "run 3").await;
    w.say("alice", "inc-1", "sev p0 every region").await;
    w.clock.set(start + chrono::Duration::minutes(8));
    w.engine
        .escalation()
        .fire_due(&[w.chat.as_ref()], "test")
        .await
        .unwrap();
    let said = w.screen.take();
    assert!(
        said.contains("r1 (step 3: Restart the API) still waits for an approver"),
        "{said}"
    );
}

#[tokio::test]
async fn a_request_decided_before_its_timers_gets_no_reminder_and_no_expiry() {
    let w = drill_world().await;
    let start = warroom::engine::clock::Clock::now(w.clock.as_ref());
    w.say("bob", "inc-1", "run 3").await;
    w.say("dave", "inc-1", "deny r1 not during peak").await;
    for minutes in [8, 16] {
        w.clock.set(start + chrono::Duration::minutes(minutes));
        w.engine
            .escalation()
            .fire_due(&[w.chat.as_ref()], "test")
            .await
            .unwrap();
        let said = w.screen.take();
        assert!(!said.contains("still waits"), "{said}");
        assert!(!said.contains("expired"), "{said}");
    }
    assert_eq!(w.count("action_expired").await, 0);
}

#[tokio::test]
async fn a_request_left_undecided_past_its_expiry_gives_the_step_back() {
    let w = world(Options::default()).await;
    w.say("bob", "inc-1", "run 3").await;
    let early = w.say("carol", "inc-1", "run 3").await;
    assert!(early.contains("step 3 already has r1 (pending)"), "{early}");
    w.clock.advance(chrono::Duration::minutes(15));
    let later = w.say("carol", "inc-1", "run 3").await;
    assert!(later.contains("r2 · approval needed"), "{later}");
    assert_eq!(w.count("action_expired").await, 1);
}

#[tokio::test]
async fn fifty_concurrent_presses_of_run_give_one_execution() {
    let w = world(Options::default()).await;
    let mut presses = Vec::new();
    for i in 0..50 {
        let engine = w.engine.clone();
        presses.push(tokio::spawn(async move {
            let who = origin(&format!("responder{i}"), "inc-1");
            let command = Command {
                incident: None,
                action: Action::Run {
                    step: 4,
                    params: BTreeMap::new(),
                },
            };
            (who.clone(), engine.incidents().apply(&who, command).await)
        }));
    }
    let mut runs = Vec::new();
    for press in presses {
        let (who, effects) = press.await.unwrap();
        // Carry out every press's effects at once, twice over, to try to start it again.
        for _ in 0..2 {
            let engine = w.engine.clone();
            let chat = w.chat.clone();
            let who = who.clone();
            let effects = effects.clone();
            runs.push(tokio::spawn(async move {
                engine
                    .delivery()
                    .dispatch(chat.as_ref(), &who, effects)
                    .await
            }));
        }
    }
    for run in runs {
        run.await.unwrap();
    }
    assert_eq!(w.count("action_requested").await, 1);
    assert_eq!(w.count("action_started").await, 1);
    assert_eq!(w.count("action_finished").await, 1);
}

#[tokio::test]
async fn a_command_past_its_time_limit_is_killed() {
    let w = world(Options::default()).await;
    let out = w.say("carol", "inc-1", "run 4").await;
    assert!(out.contains("killed after its 1 s limit"), "{out}");
    let timed_out = w.kinds().await.into_iter().any(|k| {
        matches!(
            k,
            EventKind::ActionFinished {
                timed_out: true,
                ..
            }
        )
    });
    assert!(timed_out);
    // A run that did not end well leaves its step to do, and the step says what became of it:
    // on the runbook's message (edited when the run ended) and in the post-mortem, whose
    // runbooks table agrees with its actions.
    assert_eq!(w.count("step_done").await, 0);
    assert!(
        out.contains("4. Wait far too long · `sleep 600` · read\n")
            && out
                .contains("last run: r1 was killed at its time limit; its output is in the thread"),
        "{out}"
    );
    let markdown = w
        .engine
        .postmortems()
        .markdown(IncidentNumber(1))
        .await
        .unwrap();
    assert!(
        markdown.contains("| not done (r1 was killed at its time limit) |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("r1 was killed at its time limit"),
        "{markdown}"
    );
}

#[tokio::test]
async fn a_dangerous_action_is_shown_and_never_run() {
    let w = world(Options::default()).await;
    let out = w.say("alice", "inc-1", "run 5").await;
    assert!(out.contains("Step 5 is dangerous"), "{out}");
    assert!(out.contains("Warroom will not run it"), "{out}");
    assert!(out.contains("redis-cli -u <redis_url> FLUSHALL"), "{out}");
    assert_eq!(w.count("action_requested").await, 0);
}

#[tokio::test]
async fn scripts_and_sql_are_labelled_copy_only_and_never_run() {
    let w = world(Options::default()).await;
    // Marking a step re-renders the card.
    let card = w.say("alice", "inc-1", "done 1").await;
    // Each step's text and controls: from `N. ` to the next step.
    let step = |n: u32| {
        let from = card
            .find(&format!("    {n}. "))
            .unwrap_or_else(|| panic!("step {n}: {card}"));
        let to = card[from..]
            .find(&format!("    {}. ", n + 1))
            .map_or(card.len(), |i| from + i);
        card[from..to].to_owned()
    };
    // The loop is one step, whole, to copy: no Run button, and `done` is not a step.
    let script = step(6);
    assert!(
        script.contains("6. Delete every API pod · `for pod in $(kubectl get pods"),
        "{card}"
    );
    assert!(
        script.contains("kubectl delete -n shop \"$pod\"\n"),
        "{card}"
    );
    assert!(script.contains("done` · copy only\n"), "{card}");
    let sql = step(7);
    assert!(
        sql.contains("7. Count the stuck orders · `-- Count the stuck orders\n    SELECT"),
        "{card}"
    );
    assert!(sql.contains("` · copy only\n"), "{card}");
    for code in [&script, &sql] {
        assert!(!code.contains("Run]"), "{code}");
        assert!(code.contains("Done]"), "{code}");
    }
    // Why, under the code, before anyone clicks.
    assert!(
        script.contains("not run: a script: loops, pipes, redirections and substitutions"),
        "{script}"
    );
    assert!(
        sql.contains("not run: SQL to copy into a database client"),
        "{sql}"
    );
    assert!(!card.contains("· read\n    not run"), "{card}");
    // The read and write commands keep theirs.
    assert!(card.contains("· read"), "{card}");
    assert!(card.contains("· needs approval"), "{card}");

    let out = w.say("alice", "inc-1", "run 6").await;
    assert!(
        out.contains("step 6 is a script to copy, not one command: Warroom does not run it"),
        "{out}"
    );
    let out = w.say("alice", "inc-1", "run 7").await;
    assert!(out.contains("step 7 is SQL to copy"), "{out}");
    assert_eq!(w.count("action_requested").await, 0);
}

#[tokio::test]
async fn a_drill_starts_nothing_and_says_so() {
    let w = drill_world().await;
    let out = w.say("carol", "inc-1", "run 1 pod_name=api-7f9c").await;
    assert!(out.contains("drill: not run"), "{out}");
    assert!(out.contains("dry run: would run"), "{out}");
    let kinds = w.kinds().await;
    let started = kinds
        .iter()
        .any(|k| matches!(k, EventKind::ActionStarted { dry_run: true, .. }));
    assert!(started);
    // Its end is a drill's too: the timeline never says it exited 0.
    let finished = kinds
        .iter()
        .find(|k| matches!(k, EventKind::ActionFinished { .. }))
        .expect("the run ended");
    assert!(
        matches!(finished, EventKind::ActionFinished { drill: true, .. }),
        "{finished:?}"
    );
    assert_eq!(finished.describe(), "r1: drill: not run");
    // A drill did nothing, so its step is not done.
    assert_eq!(w.count("step_done").await, 0);
}

#[tokio::test]
async fn a_read_action_queries_the_test_postgresql() {
    let Ok(url) = std::env::var("WARROOM_TEST_POSTGRES_URL") else {
        println!("skipped: set WARROOM_TEST_POSTGRES_URL to run psql against PostgreSQL");
        return;
    };
    let w = world(Options {
        database_url: Some(url.clone()),
        ..Options::default()
    })
    .await;
    let out = w.say("carol", "inc-1", "run 2").await;
    assert!(
        out.contains("r1 · step 2 — Ask the database · exit code 0"),
        "{out}"
    );
    assert!(out.contains("  42\n"), "{out}");
    assert!(!out.contains(&url), "the secret URL is not shown");
}

#[tokio::test]
async fn the_post_mortem_tells_who_asked_approved_and_what_came_of_it() {
    let w = world(Options::default()).await;
    w.say("bob", "inc-1", "run 3").await;
    w.say("dave", "inc-1", "approve r1").await;
    let markdown = w
        .engine
        .postmortems()
        .markdown(IncidentNumber(1))
        .await
        .unwrap();
    assert!(
        markdown.contains("| bob | asked to run step 3 (Restart the API), a write action, as r1"),
        "{markdown}"
    );
    assert!(markdown.contains("| dave | approved r1 |"), "{markdown}");
    assert!(
        markdown.contains("r1 finished with exit code 0"),
        "{markdown}"
    );
    let effects = w
        .engine
        .incidents()
        .handle_text(&origin("bob", "inc-1"), "approve r1")
        .await;
    assert!(matches!(&effects[0], Effect::Reply { .. }));
}

#[tokio::test]
async fn a_run_cut_short_by_a_crash_is_settled_once_it_is_surely_over_and_frees_its_step() {
    let w = world(Options::default()).await;
    w.say("bob", "inc-1", "run 3").await;
    // Approved, moved to running, and then the process died before the command ended.
    let store = w.engine.store();
    let r1 = warroom::domain::RequestId(1);
    use warroom::domain::RequestState::{Approved, Pending, Running};
    assert!(
        store
            .move_request(r1, Pending, Approved, None)
            .await
            .unwrap()
    );
    assert!(
        store
            .move_request(r1, Approved, Running, None)
            .await
            .unwrap()
    );

    // Not yet surely over: approved by 14:15 at the latest, a 20 s limit, a minute's grace.
    w.clock.advance(chrono::Duration::minutes(16));
    let finished = w.engine.sweep().run(&[w.chat.as_ref()]).await.unwrap();
    assert_eq!(finished, 0);
    let still = w.say("carol", "inc-1", "run 3").await;
    assert!(still.contains("step 3 already has r1 (running)"), "{still}");
    assert_eq!(w.count("action_finished").await, 0);

    w.clock.advance(chrono::Duration::minutes(1));
    let finished = w.engine.sweep().run(&[w.chat.as_ref()]).await.unwrap();
    assert_eq!(finished, 1);
    let told = w.screen.take();
    assert!(
        told.contains("r1 · step 3 — Restart the API · interrupted: Warroom stopped while it ran"),
        "{told}"
    );
    let finished = w.kinds().await.into_iter().find_map(|k| match k {
        EventKind::ActionFinished {
            exit_code, output, ..
        } => Some((exit_code, output)),
        _ => None,
    });
    let (code, output) = finished.expect("an ActionFinished event");
    assert_eq!(code, None);
    assert!(output.starts_with("interrupted:"), "{output}");
    // The step is open again and says why.
    assert!(
        told.contains("last run: r1 ended without an exit code"),
        "{told}"
    );
    // Settled once: the next look, a minute later, finds nothing to settle.
    w.clock.advance(chrono::Duration::minutes(1));
    w.engine
        .escalation()
        .fire_due(&[w.chat.as_ref()], "test")
        .await
        .unwrap();
    assert!(!w.screen.take().contains("interrupted"));
    assert_eq!(w.count("action_finished").await, 1);
    let again = w.say("bob", "inc-1", "run 3").await;
    assert!(again.contains("r2 · approval needed"), "{again}");
}

#[tokio::test]
async fn only_the_people_listed_may_run_steps() {
    let w = world(Options {
        may_run: vec!["alice", "dave"],
        ..Options::default()
    })
    .await;
    let refused = w.say("carol", "inc-1", "run 1 pod_name=api-7f9c").await;
    assert!(
        refused.contains("only @alice, @dave may run runbook steps here"),
        "{refused}"
    );
    assert_eq!(w.count("action_requested").await, 0);
    let ran = w.say("dave", "inc-1", "run 1 pod_name=api-7f9c").await;
    assert!(ran.contains("exit code 0"), "{ran}");
}

#[tokio::test]
async fn resolving_cancels_the_requests_still_waiting_and_says_so() {
    let w = world(Options::default()).await;
    let asked = w.say("bob", "inc-1", "run 3").await;
    assert!(asked.contains("r1 · approval needed"), "{asked}");
    let resolved = w.say("alice", "inc-1", "resolve").await;
    assert!(
        resolved.contains("r1 · step 3 — Restart the API: cancelled, INC-1 was resolved"),
        "{resolved}"
    );
    assert_eq!(w.count("action_cancelled").await, 1);
    let store = w.engine.store();
    let r1 = store
        .action_request(warroom::domain::RequestId(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r1.state, warroom::domain::RequestState::Cancelled);
    // Nothing runs, and approving it now is refused.
    let late = w.say("dave", "inc-1", "approve r1").await;
    assert!(late.contains("r1 is already cancelled"), "{late}");
    assert_eq!(w.count("action_started").await, 0);
    let markdown = w
        .engine
        .postmortems()
        .markdown(IncidentNumber(1))
        .await
        .unwrap();
    assert!(
        markdown.contains("cancelled 14:00: the incident was resolved"),
        "{markdown}"
    );
}

/// The ssh client configuration of the test's sshd (scripts/start-sshd.sh), or `None` (and a
/// note) when there is none and the test may skip.
fn ssh_config() -> Option<PathBuf> {
    match std::env::var("WARROOM_TEST_SSH_CONFIG") {
        Ok(path) => Some(PathBuf::from(path)),
        Err(_) => {
            assert!(
                std::env::var_os("WARROOM_TEST_REQUIRE_SSHD").is_none(),
                "WARROOM_TEST_SSH_CONFIG is not set; start sshd with scripts/start-sshd.sh"
            );
            println!("skipped: no sshd (export WARROOM_TEST_SSH_CONFIG=$(scripts/start-sshd.sh))");
            None
        }
    }
}

fn ssh_world(destination: &str, config: PathBuf) -> Options {
    Options {
        runner: Runner::parse(&format!("ssh:{destination}"), Some(config)).unwrap(),
        ..Options::default()
    }
}

#[tokio::test]
async fn a_read_step_runs_over_ssh_on_a_real_sshd_with_its_arguments_intact() {
    let Some(config) = ssh_config() else {
        return;
    };
    let log = config.with_file_name("sshd.log");
    let logged_before = std::fs::read_to_string(&log).unwrap_or_default().len();
    let w = world(ssh_world("warroom-test-ssh", config)).await;
    // printf's format is '%s\n', which only arrives intact if ssh's remote shell gets every
    // argument quoted: the output is one word per line.
    let out = w.run_with("carol", 1, &[("pod_name", "api-7f9c")]).await;
    assert!(out.contains("exit code 0"), "{out}");
    assert!(out.contains("· on warroom-test-ssh (ssh)"), "{out}");
    assert!(out.contains("      pod\n      api-7f9c\n"), "{out}");
    // The runbook's message says where its commands run, and with which environment's values.
    assert!(
        out.contains("api.md:1 · commands run on warroom-test-ssh (ssh) with the production environment's values\n"),
        "{out}"
    );
    // It went through the server: sshd accepted the key and ran one command.
    let logged = std::fs::read_to_string(&log).expect("the sshd log");
    assert!(
        logged[logged_before..].contains("Accepted publickey"),
        "{}",
        &logged[logged_before..]
    );
    assert_eq!(w.count("action_finished").await, 1);
}

#[tokio::test]
async fn over_ssh_the_allowlist_still_decides_and_a_host_that_is_down_is_a_failed_run() {
    let Some(config) = ssh_config() else {
        return;
    };
    // A host nobody answers on: the run fails with ssh's own exit code and says why, and the
    // step is free to run again.
    let w = world(ssh_world("warroom-test-ssh-down", config.clone())).await;
    let out = w.run_with("carol", 1, &[("pod_name", "api-7f9c")]).await;
    assert!(out.contains("exit code 255"), "{out}");
    assert!(out.contains("Connection refused"), "{out}");
    assert!(out.contains("· on warroom-test-ssh-down (ssh)"), "{out}");
    let again = w.run_with("carol", 1, &[("pod_name", "api-7f9c")]).await;
    assert!(again.contains("r2"), "a new run: {again}");

    // A program the allowlist does not name never reaches the other host.
    let w = world(ssh_world("warroom-test-ssh", config)).await;
    let executor = ProcessExecutor::new(ExecutorSettings {
        allowed_programs: vec!["printf".to_owned()],
        runner: Runner::parse("ssh:warroom-test-ssh", None).unwrap(),
        ..ExecutorSettings::default()
    });
    let refused = executor
        .run(&warroom::executor::Job::new(["id"]))
        .await
        .expect_err("not allowed");
    assert!(refused.to_string().contains("id"), "{refused}");
    drop(w);
}
