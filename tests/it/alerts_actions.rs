//! Alert labels as action parameters: an incident opened by Alertmanager gets the runbook that
//! lists its alert, and running a step fills `<pod-name>` from the alert's `pod` label, with real
//! processes. A responder's value wins over a label, the configuration wins over both, and a
//! label value that would be unsafe as an argument is not used.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use warroom::chat::console::ConsoleChat;
use warroom::domain::Platform;
use warroom::domain::{IncidentNumber, ParamRules, UserId};
use warroom::engine::port::{Origin, RoomId};
use warroom::engine::{ActionSettings, Engine, Settings, alertmanager_actor};
use warroom::executor::{ExecutorSettings, ProcessExecutor};
use warroom::runbook::{Library, load_paths};

use crate::support::engine::TestEngine;
use crate::support::screen;
use screen::Screen;

const FIRING: &[u8] = include_bytes!("../fixtures/alertmanager/alertmanager-firing.json");

struct World {
    engine: Engine,
    chat: ConsoleChat,
    screen: Screen,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/action-runbooks");
    let imported = load_paths(&[fixtures]);
    let executor = ProcessExecutor::new(ExecutorSettings {
        allowed_programs: vec!["printf".to_owned()],
        search_path: vec![PathBuf::from("/usr/bin"), PathBuf::from("/bin")],
        ..ExecutorSettings::default()
    });
    let secrets: BTreeSet<String> = ["database_url", "redis_url"].map(String::from).into();
    let rules = ParamRules::new(&BTreeMap::new())
        .expect("the default rules")
        .with_trusted(["namespace"])
        .with_secrets(secrets.iter());
    let actions = ActionSettings {
        environment: None,
        approvers: vec![UserId::parse("dave").expect("a user")],
        request_expiry: chrono::Duration::minutes(15),
        on_call_may_approve: false,
        default_timeout: Duration::from_secs(20),
        dangerous_allowlist: Vec::new(),
        raised: BTreeMap::new(),
        values: BTreeMap::from([("namespace".to_owned(), "shop".to_owned())]),
        secrets,
        read_secret: Arc::new(|_: &str| Ok(None)),
        rules: Arc::new(rules),
        executor: Arc::new(executor),
    };
    let settings = Settings {
        runbooks: Arc::new(Library::new(imported.runbooks)),
        actions: Some(actions),
        ..Settings::default()
    };
    let engine = TestEngine::sqlite(dir.path())
        .settings(settings)
        .build()
        .await;
    let screen = Screen::default();
    let chat = ConsoleChat::new(Box::new(screen.clone()), "warroom");
    World {
        engine,
        chat,
        screen,
        _dir: dir,
    }
}

impl World {
    /// Alertmanager delivers the fixture, renamed to the test runbook's alert, with `labels`
    /// as the group's common labels.
    async fn alert(&self, labels: &[(&str, &str)]) -> IncidentNumber {
        let body = crate::support::webhook::renamed_body(FIRING, "ApiActionsTest", labels);
        let notification = warroom::alerts::parse(&body).expect("a notification");
        let origin = Origin {
            room_id: RoomId::new(Platform::Console, "lobby"),
            user: alertmanager_actor(),
        };
        let (outcome, effects) = self
            .engine
            .alerts()
            .receive(&origin, &notification)
            .await
            .expect("recorded");
        self.engine
            .delivery()
            .dispatch(&self.chat, &origin, effects)
            .await;
        outcome.incident.expect("an incident")
    }

    async fn say(&self, user: &str, text: &str) -> String {
        let origin = Origin {
            room_id: RoomId::new(Platform::Console, "inc-1"),
            user: UserId::parse(user).expect("a user"),
        };
        let effects = self.engine.incidents().handle_text(&origin, text).await;
        self.engine
            .delivery()
            .dispatch(&self.chat, &origin, effects)
            .await;
        self.screen.take()
    }
}

#[tokio::test]
async fn the_pod_label_fills_the_pod_parameter_and_a_responder_may_name_another() {
    let w = world().await;
    let n = w.alert(&[("pod", "api-7f9c"), ("namespace", "evil")]).await;
    let incident = w.engine.store().incident(n).await.unwrap().unwrap();
    assert_eq!(incident.runbooks[0].runbook.id, "api-actions");
    w.screen.take();

    let out = w.say("alice", "run 1").await;
    assert!(
        out.contains("exit code 0") && out.contains("api-7f9c"),
        "{out}"
    );

    // A value the responder gives wins over the label.
    let out = w.say("alice", "run 1 pod_name=api-other").await;
    assert!(
        out.contains("exit code 0") && out.contains("api-other") && !out.contains("api-7f9c"),
        "{out}"
    );

    // The configuration's namespace wins over the label: the label is not even offered.
    let params = w
        .engine
        .store()
        .alert_params(n)
        .await
        .expect("the alert parameters");
    assert_eq!(params["namespace"], "evil");
    w.say("alice", "run 3").await;
    let request = w
        .engine
        .store()
        .open_request(n, 3)
        .await
        .unwrap()
        .expect("a request for step 3");
    assert!(!request.params.contains_key("namespace"), "{request:?}");
}

#[tokio::test]
async fn a_label_value_unsafe_as_an_argument_is_not_used() {
    let w = world().await;
    w.alert(&[("pod", "--kubeconfig=/etc/x")]).await;
    w.screen.take();
    let out = w.say("alice", "run 1").await;
    assert!(out.contains("step 1 needs pod_name"), "{out}");
    assert!(!out.contains("kubeconfig"), "{out}");
}
