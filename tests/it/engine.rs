//! The engine through its public API, with a chat port that records every call and can be told
//! to fail, so the paths where the chat goes away are tried too.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use warroom::domain::{EventKind, IncidentNumber, Platform, UserId};
use warroom::engine::clock::Clock;
use warroom::engine::effect::Effect;
use warroom::engine::message::{FileUpload, Message};
use warroom::engine::port::{ChatError, ChatPort, MessageId, Origin, RoomId, RoomRef};
use warroom::engine::{Engine, Input, Settings};

use crate::support::engine::{TestEngine, carol_on_call, simulated_clock};

/// A chat that writes down each call as a line, and refuses to create rooms when told to.
#[derive(Default)]
struct RecordingChat {
    calls: Mutex<Vec<String>>,
    refuse_rooms: bool,
    /// Whether direct messages fail as if the chat could not be reached.
    dms_down: std::sync::atomic::AtomicBool,
    /// Which chat it plays; the console when `None`.
    platform: Option<Platform>,
}

impl RecordingChat {
    fn log(&self, line: String) {
        self.calls.lock().unwrap().push(line);
    }
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait]
impl ChatPort for RecordingChat {
    fn platform(&self) -> Platform {
        self.platform.unwrap_or(Platform::Console)
    }
    async fn create_room(
        &self,
        name: &str,
        _topic: &str,
        _private: bool,
    ) -> Result<RoomRef, ChatError> {
        if self.refuse_rooms {
            return Err(ChatError::Refused("restricted_action".into()));
        }
        self.log(format!("create_room {name}"));
        Ok(RoomRef {
            id: RoomId::new(self.platform(), format!("R-{name}")),
            name: name.into(),
        })
    }
    async fn set_topic(&self, room: &RoomRef, topic: &str) -> Result<(), ChatError> {
        self.log(format!("set_topic {} {topic}", room.id));
        Ok(())
    }
    async fn invite(&self, room: &RoomRef, users: &[UserId]) -> Result<(), ChatError> {
        let users: Vec<&str> = users.iter().map(UserId::as_str).collect();
        self.log(format!("invite {} {}", room.id, users.join(",")));
        Ok(())
    }
    async fn post(&self, room: &RoomRef, message: &Message) -> Result<MessageId, ChatError> {
        self.log(format!("post {} {}", room.id, message.plain_text()));
        Ok(MessageId::new(
            room.id.clone(),
            format!("M{}", self.calls().len()),
        ))
    }
    async fn update(&self, target: &MessageId, message: &Message) -> Result<(), ChatError> {
        self.log(format!("update {} {}", target, message.plain_text()));
        Ok(())
    }
    async fn reply_in_thread(
        &self,
        parent: &MessageId,
        message: &Message,
    ) -> Result<MessageId, ChatError> {
        self.log(format!("thread {} {}", parent, message.plain_text()));
        Ok(parent.clone())
    }
    async fn reply_privately(&self, origin: &Origin, message: &Message) -> Result<(), ChatError> {
        self.log(format!("reply {} {}", origin.user, message.plain_text()));
        Ok(())
    }
    async fn direct_message(&self, user: &UserId, message: &Message) -> Result<(), ChatError> {
        if self.dms_down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(ChatError::Unavailable(
                "conversations.open timed out".into(),
            ));
        }
        self.log(format!("dm {user} {}", message.plain_text()));
        Ok(())
    }
    async fn pin(&self, target: &MessageId) -> Result<(), ChatError> {
        self.log(format!("pin {}", target));
        Ok(())
    }
    async fn upload(&self, room: &RoomRef, file: &FileUpload) -> Result<(), ChatError> {
        self.log(format!("upload {} {}", room.id, file.name));
        Ok(())
    }
}

/// Delivers the outbox of `chat` as its delivery worker would; returns how many entries the
/// chat took.
async fn deliver(engine: &Engine, chat: &RecordingChat) -> usize {
    engine
        .delivery()
        .deliver_due(chat, "test")
        .await
        .unwrap()
        .delivered
}

/// Says `text` from `origin` and carries out what it causes through `chat`.
async fn say(engine: &Engine, chat: &RecordingChat, origin: &Origin, text: &str) {
    let effects = engine.incidents().handle_text(origin, text).await;
    engine.delivery().dispatch(chat, origin, effects).await;
}

/// `declare p1 Checkout API returns 500s`, said in `lobby`, what most tests start from.
async fn declare_checkout(engine: &Engine, chat: &RecordingChat, lobby: &Origin) {
    say(engine, chat, lobby, "declare p1 Checkout API returns 500s").await;
}

/// `press BUTTON`, as typed in any chat.
fn press(button: &str) -> Input {
    Input::Said {
        text: format!("press {button}"),
    }
}

fn origin(room: &str, user: &str) -> Origin {
    Origin {
        room_id: RoomId::new(Platform::Console, room),
        user: UserId::parse(user).unwrap(),
    }
}

#[tokio::test]
async fn declaring_creates_the_room_invites_responders_pins_the_card_and_announces() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        responders: vec![
            UserId::parse("oncall-bob").unwrap(),
            UserId::parse("alice").unwrap(),
        ],
        announce_rooms: [(Platform::Console, "C-INCIDENTS".to_owned())].into(),
        ..Settings::default()
    };
    let engine = TestEngine::sqlite(dir.path())
        .clock(simulated_clock())
        .settings(settings)
        .build()
        .await;
    let chat = RecordingChat::default();
    let lobby = origin("C-GENERAL", "alice");
    let effects = engine
        .incidents()
        .handle_text(&lobby, "declare p1 Checkout API returns 500s")
        .await;
    // Everything a declaration tells the chat waits in the outbox, written with it.
    assert!(effects.is_empty(), "{effects:?}");
    assert!(chat.calls().is_empty());
    // Room, invitations, card, suggestions, two announcements.
    assert_eq!(deliver(&engine, &chat).await, 6);
    let calls = chat.calls();
    let room = "R-inc-1-checkout-api-returns-500s";
    assert_eq!(calls[0], "create_room inc-1-checkout-api-returns-500s");
    assert_eq!(calls[1], format!("invite {room} alice,oncall-bob"));
    assert!(
        calls[2].starts_with(&format!("post {room} INC-1 · P1 · Investigating")),
        "{calls:?}"
    );
    assert!(
        calls[2].contains("Acknowledge | Identified | Mitigated | Resolve | Runbooks | Severity"),
        "{calls:?}"
    );
    // The card's Runbooks button (b5) looks for runbooks that fit the incident.
    let pressed = engine
        .incidents()
        .take(&origin(room, "carol"), press("b5"))
        .await;
    let shown = format!("{pressed:?}");
    assert!(
        shown.contains("no runbooks are loaded; see runbook_dirs"),
        "{shown}"
    );
    assert_eq!(calls[3], "pin M3");
    assert!(
        calls[4].starts_with("post C-GENERAL INC-1 (P1) declared by @alice"),
        "{calls:?}"
    );
    // The announcement, which is kept current: where the incident stands, who leads it.
    assert!(
        calls[5]
            .starts_with("post C-INCIDENTS INC-1 · P1 · Investigating — Checkout API returns 500s"),
        "{calls:?}"
    );
    assert!(calls[5].contains("Commander: @alice"), "{calls:?}");
    assert_eq!(calls.len(), 6);

    // The room is now the war room: commands there need no incident number.
    let war_room = origin(room, "bob");
    let effects = engine.incidents().handle_text(&war_room, "ack").await;
    engine.delivery().dispatch(&chat, &war_room, effects).await;
    assert_eq!(deliver(&engine, &chat).await, 2);
    let calls = chat.calls();
    assert_eq!(calls[6], format!("post {room} INC-1 · @bob acknowledged"));
    assert!(
        calls[7].starts_with("update M3 INC-1 · P1 · Investigating"),
        "{calls:?}"
    );
    assert!(
        calls[7].contains("Acknowledged: @bob at 14:00 UTC"),
        "{calls:?}"
    );
}

#[tokio::test]
async fn a_chat_that_refuses_the_room_is_reported_and_the_incident_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let engine = TestEngine::sqlite(dir.path())
        .clock(simulated_clock())
        .build()
        .await;
    let chat = RecordingChat {
        refuse_rooms: true,
        ..Default::default()
    };
    let lobby = origin("C-GENERAL", "alice");
    let effects = engine
        .incidents()
        .handle_text(&lobby, "declare p2 Search is slow")
        .await;
    assert_eq!(engine.delivery().dispatch(&chat, &lobby, effects).await, 0);
    let round = engine.delivery().deliver_due(&chat, "test").await.unwrap();
    assert_eq!(round.refused, 1, "only the room creation failed: {round:?}");
    // Refused for good: not tried again, told where the declaration came from, and on the
    // timeline.
    let calls = chat.calls();
    assert!(
        calls.contains(&"post C-GENERAL @alice: Warroom could not create the war room (INC-1): the chat refused: restricted_action".to_owned()),
        "{calls:?}"
    );
    assert!(engine.delivery().deliver_due(&chat, "test").await.unwrap() == Default::default());
    let timeline = engine.store().timeline(IncidentNumber(1)).await.unwrap();
    assert!(
        timeline.iter().any(|e| matches!(&e.kind, EventKind::DeliveryFailed { what, .. } if what == "create the war room")),
        "{timeline:?}"
    );
    let incident = engine.store().incident(IncidentNumber(1)).await.unwrap();
    assert!(
        incident.is_some(),
        "the declaration is recorded all the same"
    );
    // Without a war room the incident is still reachable by its number.
    let effects = engine.incidents().handle_text(&lobby, "ack INC-1").await;
    engine.delivery().dispatch(&chat, &lobby, effects).await;
    assert!(
        chat.calls()
            .contains(&"reply alice INC-1 · @alice acknowledged".to_owned())
    );
}

#[tokio::test]
async fn concurrent_changes_to_one_incident_are_all_recorded_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Arc::new(
        TestEngine::sqlite(dir.path())
            .clock(simulated_clock())
            .build()
            .await,
    );
    let lobby = origin("C-GENERAL", "alice");
    engine
        .incidents()
        .handle_text(&lobby, "declare p1 Checkout API returns 500s")
        .await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let engine = engine.clone();
        tasks.push(tokio::spawn(async move {
            let who = origin("C-GENERAL", &format!("responder{i}"));
            engine
                .incidents()
                .handle_text(&who, &format!("note INC-1 finding {i}"))
                .await
        }));
    }
    for task in tasks {
        let effects = task.await.unwrap();
        assert!(
            !effects.iter().any(|e| matches!(e, Effect::Reply { message } if message.plain_text().contains("changed by someone else"))),
            "{effects:?}"
        );
    }
    let timeline = engine.store().timeline(IncidentNumber(1)).await.unwrap();
    assert_eq!(timeline.len(), 21);
    let notes = timeline
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Note { .. }))
        .count();
    assert_eq!(notes, 20);
    for (i, event) in timeline.iter().enumerate() {
        assert_eq!(event.seq as usize, i + 1);
    }
}

#[tokio::test]
async fn pressing_a_stale_button_says_what_happened_instead() {
    let dir = tempfile::tempdir().unwrap();
    let engine = TestEngine::sqlite(dir.path())
        .clock(simulated_clock())
        .build()
        .await;
    let chat = RecordingChat::default();
    let lobby = origin("C-GENERAL", "alice");
    declare_checkout(&engine, &chat, &lobby).await;
    let room = "R-inc-1-checkout-api-returns-500s";
    // b1 is the card's Acknowledge button.
    deliver(&engine, &chat).await;
    let first = engine
        .incidents()
        .take(&origin(room, "bob"), press("b1"))
        .await;
    engine
        .delivery()
        .dispatch(&chat, &origin(room, "bob"), first)
        .await;
    let second = engine
        .incidents()
        .take(&origin(room, "carol"), press("b1"))
        .await;
    assert_eq!(second.len(), 1);
    let Effect::Reply { message } = &second[0] else {
        panic!("{second:?}")
    };
    assert_eq!(
        message.plain_text(),
        "INC-1 was already acknowledged by bob at 14:00 UTC"
    );
}

#[tokio::test]
async fn two_engines_on_one_database_see_each_others_changes() {
    let dir = tempfile::tempdir().unwrap();
    let first = TestEngine::sqlite(dir.path())
        .clock(simulated_clock())
        .build()
        .await;
    let second = TestEngine::sqlite(dir.path())
        .clock(simulated_clock())
        .build()
        .await;
    let lobby = origin("C-GENERAL", "alice");
    first
        .incidents()
        .handle_text(&lobby, "declare p1 Checkout API returns 500s")
        .await;
    // The first engine remembers INC-1 as open and unacknowledged; the second moves it on.
    let bob = origin("C-GENERAL", "bob");
    for text in ["ack INC-1", "resolve INC-1", "reopen INC-1 errors are back"] {
        let effects = second.incidents().handle_text(&bob, text).await;
        assert!(
            matches!(&effects[0], Effect::Reply { message } if message.plain_text().starts_with("INC-1 · @bob ")),
            "{text}: {effects:?}"
        );
    }
    // A refusal is checked against the database, not the first engine's memory.
    let effects = first.incidents().handle_text(&lobby, "ack INC-1").await;
    let replies: Vec<String> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Reply { message } => Some(message.plain_text()),
            _ => None,
        })
        .collect();
    assert_eq!(
        replies,
        ["INC-1 was already acknowledged by bob at 14:00 UTC"]
    );
    // A change lands after the second engine's, with the next sequence number.
    first
        .incidents()
        .handle_text(&lobby, "note INC-1 still failing")
        .await;
    first
        .incidents()
        .handle_text(&lobby, "status INC-1 mitigated")
        .await;
    let timeline = first.store().timeline(IncidentNumber(1)).await.unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| e.kind.type_name()).collect();
    assert_eq!(
        kinds,
        [
            "declared",
            "acknowledged",
            "status_changed",
            "reopened",
            "note",
            "status_changed"
        ]
    );
    let incident = second
        .store()
        .incident(IncidentNumber(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(incident.status, warroom::domain::Status::Mitigated);
    assert_eq!(incident.version, 6);

    // A refusal that only the first engine's stale memory would give is not given: it
    // remembers INC-2 as resolved, the second engine reopens it, and the ack goes through.
    first
        .incidents()
        .handle_text(&lobby, "declare p2 Search is slow")
        .await;
    first.incidents().handle_text(&lobby, "resolve INC-2").await;
    second.incidents().handle_text(&bob, "reopen INC-2").await;
    let effects = first.incidents().handle_text(&lobby, "ack INC-2").await;
    assert!(
        matches!(&effects[0], Effect::Reply { message } if message.plain_text() == "INC-2 · @alice acknowledged"),
        "{effects:?}"
    );
    let incident = second
        .store()
        .incident(IncidentNumber(2))
        .await
        .unwrap()
        .unwrap();
    assert!(incident.acknowledged.is_some());
}

#[tokio::test]
async fn each_chat_announces_its_incidents_in_its_own_room() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        announce_rooms: [
            (Platform::Slack, "C-INCIDENTS".to_owned()),
            (Platform::Matrix, "!incidents:x".to_owned()),
        ]
        .into(),
        ..Settings::default()
    };
    let engine = TestEngine::sqlite(dir.path())
        .clock(simulated_clock())
        .settings(settings)
        .build()
        .await;
    let slack = RecordingChat {
        platform: Some(Platform::Slack),
        ..Default::default()
    };
    let matrix = RecordingChat {
        platform: Some(Platform::Matrix),
        ..Default::default()
    };
    for (platform, room) in [
        (Platform::Matrix, "!lobby:x"),
        (Platform::Slack, "C-GENERAL"),
    ] {
        let origin = Origin {
            room_id: RoomId::new(platform, room),
            user: UserId::parse("alice").unwrap(),
        };
        let now = engine
            .incidents()
            .handle_text(&origin, "declare p2 Search is slow")
            .await;
        assert!(now.is_empty(), "{now:?}");
    }
    deliver(&engine, &matrix).await;
    deliver(&engine, &slack).await;
    let announced = |chat: &RecordingChat| -> Vec<String> {
        // The line in the lobby, the announcement in the announcements room; not the card.
        chat.calls()
            .into_iter()
            .filter(|c| c.starts_with("post ") && !c.starts_with("post R-"))
            .filter(|c| c.contains("declared by @alice") || c.contains("Declared"))
            .map(|c| c.split(' ').take(3).collect::<Vec<_>>().join(" "))
            .collect()
    };
    assert_eq!(
        announced(&matrix),
        ["post !lobby:x INC-1", "post !incidents:x INC-1"]
    );
    assert_eq!(
        announced(&slack),
        ["post C-GENERAL INC-2", "post C-INCIDENTS INC-2"]
    );
}

#[tokio::test]
async fn pages_go_to_the_chat_that_holds_the_war_room() {
    let dir = tempfile::tempdir().unwrap();
    let primary = carol_on_call();
    let settings = Settings {
        rotations: vec![primary],
        ..Settings::default()
    };
    let engine = TestEngine::sqlite(dir.path())
        .clock(simulated_clock())
        .settings(settings)
        .build()
        .await;
    let first = RecordingChat {
        platform: Some(Platform::Matrix),
        ..Default::default()
    };
    let second = RecordingChat {
        platform: Some(Platform::Slack),
        ..Default::default()
    };
    let lobby = Origin {
        room_id: RoomId::new(Platform::Slack, "C-GENERAL"),
        user: UserId::parse("alice").unwrap(),
    };
    let effects = engine
        .incidents()
        .handle_text(&lobby, "declare p1 Checkout API returns 500s")
        .await;
    assert_eq!(
        engine.delivery().dispatch(&second, &lobby, effects).await,
        0
    );
    deliver(&engine, &second).await;
    let before = second.calls().len();
    // The P1 policy pages level 1 at once.
    let fired = engine
        .escalation()
        .fire_due(&[&first, &second], "test")
        .await
        .unwrap();
    assert_eq!(fired, 1);
    assert_eq!(deliver(&engine, &first).await, 0);
    assert_eq!(deliver(&engine, &second).await, 3);
    assert!(first.calls().is_empty(), "{:?}", first.calls());
    let paged = &second.calls()[before..];
    // Carol is brought into the war room, the war room is told, and carol gets her page.
    assert_eq!(
        paged[0], "invite R-inc-1-checkout-api-returns-500s carol",
        "{paged:?}"
    );
    assert!(
        paged[1].starts_with("post R-inc-1-checkout-api-returns-500s Paging level 1 for INC-1"),
        "{paged:?}"
    );
    assert!(
        paged[2].starts_with("dm carol You are paged for INC-1"),
        "{paged:?}"
    );
    // An incident whose war room could not be made still pages through the chat it was
    // declared in: the direct message reaches carol there.
    let effects = engine
        .incidents()
        .handle_text(&lobby, "declare p1 Search is down")
        .await;
    // The chat refuses to create its room this time.
    let refusing = RecordingChat {
        platform: Some(Platform::Slack),
        refuse_rooms: true,
        ..Default::default()
    };
    assert_eq!(
        engine.delivery().dispatch(&refusing, &lobby, effects).await,
        0
    );
    assert_eq!(
        engine
            .delivery()
            .deliver_due(&refusing, "test")
            .await
            .unwrap()
            .refused,
        1
    );
    assert_eq!(
        engine
            .escalation()
            .fire_due(&[&first, &second], "test")
            .await
            .unwrap(),
        1
    );
    assert_eq!(deliver(&engine, &first).await, 0);
    let before = second.calls().len();
    deliver(&engine, &second).await;
    let calls = &second.calls()[before..];
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(
        calls[0].starts_with("dm carol You are paged for INC-2"),
        "{calls:?}"
    );
    let timeline = engine.store().timeline(IncidentNumber(2)).await.unwrap();
    assert!(
        timeline.iter().any(|e| matches!(&e.kind, EventKind::PageDelivered { level: 1, person, .. } if person.as_str() == "carol")),
        "{timeline:?}"
    );
}

#[tokio::test]
async fn only_the_people_listed_may_declare_and_a_refusal_records_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        permissions: warroom::domain::Permissions {
            declare: vec![UserId::parse("alice").unwrap()],
            run: Vec::new(),
        },
        ..Settings::default()
    };
    let engine = TestEngine::sqlite(dir.path())
        .clock(simulated_clock())
        .settings(settings)
        .build()
        .await;
    let chat = RecordingChat::default();
    let lobby = origin("C-GENERAL", "mallory");
    declare_checkout(&engine, &chat, &lobby).await;
    assert_eq!(
        chat.calls(),
        vec![
            "reply mallory only @alice may declare incidents here; ask one of them, or an admin to add you to [permissions] declare"
                .to_owned()
        ]
    );
    assert!(engine.store().open_incidents().await.unwrap().is_empty());
    let lobby = origin("C-GENERAL", "alice");
    let effects = engine
        .incidents()
        .handle_text(&lobby, "declare p1 Checkout API returns 500s")
        .await;
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(engine.store().open_incidents().await.unwrap().len(), 1);
    deliver(&engine, &chat).await;
    assert_eq!(
        chat.calls()[1],
        "create_room inc-1-checkout-api-returns-500s"
    );
}

#[tokio::test]
async fn a_page_that_cannot_be_delivered_is_retried_and_the_war_room_is_told_it_is_late() {
    let dir = tempfile::tempdir().unwrap();
    let clock = simulated_clock();
    let start = clock.now();
    let settings = Settings {
        rotations: vec![carol_on_call()],
        ..Settings::default()
    };
    let engine = TestEngine::sqlite(dir.path())
        .clock(clock.clone())
        .settings(settings)
        .build()
        .await;
    let chat = RecordingChat::default();
    chat.dms_down
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let lobby = origin("C-GENERAL", "alice");
    engine
        .incidents()
        .handle_text(&lobby, "declare p1 Checkout API returns 500s")
        .await;
    engine
        .escalation()
        .fire_due(&[&chat], "test")
        .await
        .unwrap();
    // Four attempts fail quietly, each retried later than the one before.
    let mut waits = Vec::new();
    for _ in 0..4 {
        let round = engine.delivery().deliver_due(&chat, "test").await.unwrap();
        assert_eq!(round.retrying, 1, "{round:?}");
        let next = engine
            .store()
            .outbox_next_due(Platform::Console)
            .await
            .unwrap()
            .unwrap();
        waits.push((next - clock.now()).num_milliseconds());
        clock.set(next);
    }
    assert!(waits.windows(2).all(|w| w[1] > w[0]), "{waits:?}");
    assert!(!chat.calls().iter().any(|c| c.contains("not delivered yet")));
    // The fifth tells the war room, in a lane of its own, while the page keeps trying.
    let round = engine.delivery().deliver_due(&chat, "test").await.unwrap();
    assert_eq!((round.retrying, round.delivered), (1, 1), "{round:?}");
    let late = chat.calls().last().unwrap().clone();
    assert!(
        late.starts_with("post R-inc-1-checkout-api-returns-500s The level 1 page to @carol is not delivered yet (5 attempts since 14:00:00 UTC): conversations.open timed out. Warroom keeps trying"),
        "{late}"
    );
    let backlog = engine
        .store()
        .outbox_backlog(Platform::Console, start)
        .await
        .unwrap();
    assert_eq!(backlog.undelivered_pages, 1);
    // Back: the page arrives, and its delivery goes on the timeline with how late it was.
    chat.dms_down
        .store(false, std::sync::atomic::Ordering::SeqCst);
    clock.set(
        engine
            .store()
            .outbox_next_due(Platform::Console)
            .await
            .unwrap()
            .unwrap(),
    );
    engine.delivery().deliver_due(&chat, "test").await.unwrap();
    assert!(
        chat.calls()
            .last()
            .unwrap()
            .starts_with("dm carol You are paged for INC-1")
    );
    let timeline = engine.store().timeline(IncidentNumber(1)).await.unwrap();
    let delay = timeline.iter().find_map(|e| match &e.kind {
        EventKind::PageDelivered { delay_secs, .. } => Some(*delay_secs),
        _ => None,
    });
    assert!(delay.is_some_and(|d| d >= 15), "{timeline:?}");
    assert_eq!(
        engine
            .store()
            .outbox_backlog(Platform::Console, start)
            .await
            .unwrap()
            .undelivered_pages,
        0
    );
}

#[tokio::test]
async fn by_default_a_person_who_declares_acknowledges_and_nobody_is_paged_but_alerts_page() {
    let dir = tempfile::tempdir().unwrap();
    let clock = simulated_clock();
    let start = clock.now();
    let settings = Settings {
        rotations: vec![carol_on_call()],
        ..Settings::default()
    };
    let engine = TestEngine::sqlite(dir.path())
        .clock(clock.clone())
        .settings(settings)
        .commander_acknowledges()
        .build()
        .await;
    let chat = RecordingChat::default();
    let lobby = origin("C-GENERAL", "alice");
    declare_checkout(&engine, &chat, &lobby).await;
    let incident = engine
        .store()
        .incident(IncidentNumber(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        incident.acknowledged,
        Some((UserId::parse("alice").unwrap(), start))
    );
    // Twenty minutes on (past levels 1 to 3 of P1): no page; the 30-minute reminder still
    // comes.
    for minutes in [1, 6, 16, 31] {
        clock.set(start + chrono::Duration::minutes(minutes));
        engine
            .escalation()
            .fire_due(&[&chat], "test")
            .await
            .unwrap();
        deliver(&engine, &chat).await;
    }
    let timeline = engine.store().timeline(IncidentNumber(1)).await.unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| e.kind.type_name()).collect();
    assert_eq!(&kinds[..2], ["declared", "acknowledged"], "{kinds:?}");
    assert_eq!(timeline[1].actor.as_str(), "alice");
    assert!(!kinds.contains(&"paged"), "{kinds:?}");
    assert!(
        !chat.calls().iter().any(|c| c.starts_with("dm ")),
        "{:?}",
        chat.calls()
    );
    assert!(
        chat.calls()
            .iter()
            .any(|c| c.contains("Status update due for INC-1")),
        "{:?}",
        chat.calls()
    );
    // `ack` says it is acknowledged already.
    let answer = engine
        .incidents()
        .handle_text(&origin("C-GENERAL", "carol"), "ack INC-1")
        .await;
    assert!(
        format!("{answer:?}").contains("already acknowledged"),
        "{answer:?}"
    );

    // An incident the alerts open has no declarer at work: it pages.
    let firing = include_bytes!("../fixtures/alertmanager/alertmanager-firing.json");
    let notification = warroom::alerts::parse(firing).unwrap();
    let alertmanager = Origin {
        room_id: RoomId::new(Platform::Console, ""),
        user: warroom::engine::alertmanager_actor(),
    };
    let (outcome, _) = engine
        .alerts()
        .receive(&alertmanager, &notification)
        .await
        .unwrap();
    let opened = outcome.incident.expect("an incident");
    engine
        .escalation()
        .fire_due(&[&chat], "test")
        .await
        .unwrap();
    let paged = engine
        .store()
        .timeline(opened)
        .await
        .unwrap()
        .iter()
        .any(|e| matches!(e.kind, EventKind::Paged { .. }));
    assert!(paged, "an alert's incident pages the on-call");
}

#[tokio::test]
async fn without_any_rotation_level_one_pages_the_responders() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        responders: vec![
            UserId::parse("bob").unwrap(),
            UserId::parse("erin").unwrap(),
        ],
        ..Settings::default()
    };
    let engine = TestEngine::sqlite(dir.path())
        .clock(simulated_clock())
        .settings(settings)
        .build()
        .await;
    let chat = RecordingChat::default();
    let lobby = origin("C-GENERAL", "alice");
    declare_checkout(&engine, &chat, &lobby).await;
    engine
        .escalation()
        .fire_due(&[&chat], "test")
        .await
        .unwrap();
    deliver(&engine, &chat).await;
    let paged = engine
        .store()
        .timeline(IncidentNumber(1))
        .await
        .unwrap()
        .into_iter()
        .find_map(|e| match e.kind {
            EventKind::Paged {
                people, unresolved, ..
            } => Some((people, unresolved)),
            _ => None,
        })
        .expect("level 1 paged");
    let people: Vec<&str> = paged.0.iter().map(UserId::as_str).collect();
    assert_eq!(people, ["bob", "erin"]);
    assert!(paged.1.is_empty(), "{paged:?}");
    let calls = chat.calls();
    assert!(
        calls.iter().any(|c| c.contains("Paging level 1 for INC-1")
            && c.contains("(the responders: no on-call rotation is configured)")),
        "{calls:?}"
    );
    assert!(
        calls.iter().any(|c| c.starts_with("dm bob You are paged")),
        "{calls:?}"
    );
}
