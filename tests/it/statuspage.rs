//! Atlassian Statuspage, driven by the engine through the real publisher (src/notify) over
//! HTTP, against a strict fake checked against Statuspage's published API description. The
//! first public update makes the incident there, later changes change it, nothing private or
//! internal goes out, and an outage (500, 429) is waited out by the outbox.

use std::sync::Arc;

use warroom::chat::console::ConsoleChat;
use warroom::config::Config;
use warroom::domain::{EventKind, IncidentNumber, Platform, UserId};
use warroom::engine::port::{Origin, RoomId};
use warroom::engine::{Engine, Settings};
use warroom::notify::StatuspagePublisher;

use crate::support::engine::{TestEngine, simulated_clock};
use crate::support::fake_statuspage::FakeStatuspage;
use crate::support::screen::Screen;

const PAGE: &str = "gytm4qzbx9t6";
const COMPONENT: &str = "8kbf7d35c070";
const KEY: &str = "89a229ce1a8dbcf9ff30430fbe35eb4c0426574bca932061892cefd2138aa4b1";

struct World {
    engine: Engine,
    chat: ConsoleChat,
    screen: Screen,
    clock: Arc<warroom::engine::clock::SimulatedClock>,
    _dir: tempfile::TempDir,
}

impl World {
    async fn start(fake: &FakeStatuspage, key: &str) -> World {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("statuspage-key"), format!("{key}\n")).unwrap();
        let config = format!(
            "[[services]]\nname = \"checkout\"\ntitle = \"Checkout\"\n[[services]]\nname = \"search\"\n\
             [statuspage]\npage_id = \"{PAGE}\"\napi_key = {{ file = \"statuspage-key\" }}\n\
             url = \"{}\"\ncomponents = {{ checkout = \"{COMPONENT}\" }}\n",
            fake.url
        );
        std::fs::write(dir.path().join("warroom.toml"), config).unwrap();
        let config = Config::load_from(Some(&dir.path().join("warroom.toml")), Vec::new()).unwrap();
        let publisher = StatuspagePublisher::from_config(&config).expect("[statuspage] is set");
        let clock = simulated_clock();
        let settings = Settings {
            services: warroom::config::services(&config.services).unwrap(),
            ..Settings::default()
        };
        let engine = TestEngine::sqlite(dir.path())
            .clock(clock.clone())
            .settings(settings)
            .build()
            .await
            .with_publisher(Arc::new(publisher));
        let screen = Screen::default();
        let chat = ConsoleChat::new(Box::new(screen.clone()), "warroom");
        World {
            engine,
            chat,
            screen,
            clock,
            _dir: dir,
        }
    }

    async fn say(&self, user: &str, room: &str, text: &str) -> String {
        let origin = Origin {
            room_id: RoomId::new(Platform::Console, room),
            user: UserId::parse(user).unwrap(),
        };
        let effects = self.engine.incidents().handle_text(&origin, text).await;
        self.engine
            .delivery()
            .dispatch(&self.chat, &origin, effects)
            .await;
        self.screen.take()
    }

    /// Lets the outbox's retry time pass and delivers what is due.
    async fn later(&self) {
        self.clock.advance(chrono::Duration::minutes(10));
        self.engine
            .delivery()
            .deliver_due(&self.chat, "console")
            .await
            .expect("the outbox is delivered");
    }
}

#[tokio::test]
async fn the_first_public_update_publishes_and_later_changes_follow_through_an_outage() {
    let fake = FakeStatuspage::start(PAGE, KEY, &[COMPONENT]).await;
    let world = World::start(&fake, KEY).await;
    world
        .say("alice", "lobby", "declare p1 Checkout API returns 500s")
        .await;
    world
        .say("alice", "inc-1", "services checkout,search")
        .await;
    world
        .say("alice", "inc-1", "update internal: deploy 4711 looks bad")
        .await;
    world.say("alice", "inc-1", "sev p0").await;
    assert!(
        fake.calls().is_empty(),
        "nothing is published before a public update"
    );

    // Statuspage is down, then rate-limits: the update waits in the outbox.
    fake.fail_next(&[500, 429]);
    world
        .say(
            "alice",
            "inc-1",
            "update public Card payments fail for some customers.",
        )
        .await;
    assert!(fake.incidents().is_empty());
    world.later().await;
    assert!(fake.incidents().is_empty());
    world.later().await;
    let incidents = fake.incidents();
    assert_eq!(incidents.len(), 1, "{:?}", fake.calls());
    let made = &incidents[0];
    assert_eq!(made.name, "Checkout API returns 500s");
    assert_eq!(made.status, "investigating");
    assert_eq!(made.impact, "critical");
    assert_eq!(made.components[COMPONENT], "major_outage");
    assert_eq!(
        made.updates,
        [(
            "investigating".to_owned(),
            "Card payments fail for some customers.".to_owned()
        )]
    );
    let statuses: Vec<u16> = fake.calls().iter().map(|c| c.status).collect();
    assert_eq!(statuses, [500, 429, 201]);

    // Later changes change the same incident; the search service has no component there.
    world
        .say("alice", "inc-1", "status mitigated rolled back")
        .await;
    world
        .say(
            "alice",
            "inc-1",
            "update public Rolled back; watching. next 30m",
        )
        .await;
    world
        .say("alice", "inc-1", "note nothing for the public")
        .await;
    world.say("alice", "inc-1", "resolve").await;
    let incidents = fake.incidents();
    assert_eq!(incidents.len(), 1);
    let changed = &incidents[0];
    assert_eq!(changed.status, "resolved");
    assert_eq!(changed.components[COMPONENT], "operational");
    assert_eq!(
        changed.updates,
        [
            (
                "investigating".to_owned(),
                "Card payments fail for some customers.".to_owned()
            ),
            ("monitoring".to_owned(), String::new()),
            ("monitoring".to_owned(), "Rolled back; watching.".to_owned()),
            ("resolved".to_owned(), String::new()),
        ]
    );
    let calls: Vec<String> = fake
        .calls()
        .iter()
        .map(|c| format!("{} {}", c.method, c.path))
        .collect();
    let create = format!("POST /pages/{PAGE}/incidents");
    let change = format!("PATCH /pages/{PAGE}/incidents/{}", changed.id);
    assert_eq!(
        calls,
        [create.as_str(), &create, &create, &change, &change, &change]
    );
    assert!(
        !fake
            .calls()
            .iter()
            .any(|c| c.body.to_string().contains("4711")
                || c.body.to_string().contains("nothing for")),
        "internal text went out"
    );

    // A private incident never goes out, public update or not.
    world
        .say("bob", "lobby", "declare private p0 Signing key leaked")
        .await;
    world
        .say("bob", "inc-2", "update public Rotating the key.")
        .await;
    assert_eq!(fake.calls().len(), 6);
    assert!(fake.violations().is_empty(), "{:#?}", fake.violations());
}

#[tokio::test]
async fn a_wrong_key_is_refused_for_good_and_the_war_room_is_told() {
    let fake = FakeStatuspage::start(PAGE, KEY, &[COMPONENT]).await;
    let world = World::start(&fake, "not-the-key").await;
    world
        .say("alice", "lobby", "declare p1 Checkout API returns 500s")
        .await;
    let said = world
        .say("alice", "inc-1", "update public We are looking into it.")
        .await;
    assert!(
        said.contains(
            "could not update the status page (INC-1): the chat refused: Statuspage answered 401"
        ),
        "{said}"
    );
    assert!(fake.incidents().is_empty());
    // Refused for good: not tried again.
    world.later().await;
    assert_eq!(fake.calls().len(), 1);
    let timeline = world
        .engine
        .store()
        .timeline(IncidentNumber(1))
        .await
        .unwrap();
    assert!(timeline.iter().any(|e| matches!(&e.kind,
        EventKind::DeliveryFailed { what, .. } if what == "update the status page")));
}

/// The fake holds requests to the API description, so the tests above can fail: a property
/// the description lacks, a status it does not list, or a path it does not have is refused.
#[tokio::test]
async fn the_fake_refuses_what_the_api_description_does_not_allow() {
    let fake = FakeStatuspage::start(PAGE, KEY, &[COMPONENT]).await;
    let client = crate::support::http_client::HttpClient::default();
    let auth = [("authorization", format!("OAuth {KEY}"))];
    let incidents = format!("{}/pages/{PAGE}/incidents", fake.url);
    for (body, expected) in [
        (
            r#"{"incident":{"name":"x","state":"bad"}}"#,
            ".incident.state: not in the API description",
        ),
        (
            r#"{"incident":{"name":"x","status":"fixed"}}"#,
            r#".incident.status: "fixed" is not one of"#,
        ),
        (
            r#"{"incident":{"name":"x","components":{"8kbf7d35c070":"down"}}}"#,
            r#".incident.components.8kbf7d35c070: "down" is not one of"#,
        ),
    ] {
        let answer = client
            .post(&incidents, &auth, "application/json", body.to_owned())
            .await;
        assert_eq!(answer.status, 400, "{body}: {}", answer.body);
        assert!(
            fake.violations().iter().any(|v| v.contains(expected)),
            "{expected}: {:#?}",
            fake.violations()
        );
    }
    let answer = client
        .post(
            &format!("{}/pages/{PAGE}/incident", fake.url),
            &auth,
            "application/json",
            "{}".to_owned(),
        )
        .await;
    assert_eq!(answer.status, 404);
    let answer = client
        .post(&incidents, &[], "application/json", "{}".to_owned())
        .await;
    assert_eq!(answer.status, 401);
    assert!(fake.incidents().is_empty());
}
