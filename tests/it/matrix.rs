//! The incident flow in Matrix against a real Synapse: people act through the client-server
//! API, `warroom serve` runs as a process with `[matrix]`, and the database is checked.
//! Each test has its own bot account, so that they can run side by side.

use scene::{Scene, direct_room_with_bot};
use serde_json::json;
use warroom::domain::EventKind;

use crate::support::matrix;
use crate::support::matrix_scene as scene;
use matrix::{body, says};

#[tokio::test]
async fn declaring_from_the_lobby_opens_a_named_war_room_and_a_check_mark_acknowledges() {
    let _turn = matrix::share_synapse().await;
    let test = "declaring_from_the_lobby_opens_a_named_war_room_and_a_check_mark_acknowledges";
    let Some(scene) = Scene::new(test, "warroom-bot1", &[]).await else {
        return;
    };
    let title = format!("Checkout API returns 500s {}", scene.tag);
    let room = scene.declare(&title).await;

    // The room: its name, alias, topic and members; never encrypted.
    let name = scene
        .alice
        .state(&room, "m.room.name")
        .await
        .expect("a name");
    assert_eq!(name["name"], format!("INC-1 [P1] {title}"));
    let alias = format!("#inc-1-checkout-api-returns-500s-{}:localhost", scene.tag);
    let canonical = scene.alice.state(&room, "m.room.canonical_alias").await;
    assert_eq!(canonical.expect("an alias")["alias"], alias);
    assert_eq!(
        scene.alice.room_of_alias(&alias).await.as_deref(),
        Some(room.as_str())
    );
    let topic = scene
        .alice
        .state(&room, "m.room.topic")
        .await
        .expect("a topic");
    assert!(
        topic["topic"]
            .as_str()
            .unwrap_or_default()
            .contains("INC-1 · P1")
    );
    assert!(
        scene
            .alice
            .state(&room, "m.room.encryption")
            .await
            .is_none()
    );
    let members = scene.alice.members(&room).await;
    for who in [&scene.bot, &scene.alice.id, &scene.bob.id] {
        assert!(
            members.iter().any(|(u, m)| u == who && m == "join"),
            "{who} is not in the war room: {members:?}"
        );
    }

    // The card: Matrix HTML, pinned, pre-reacted with its keys.
    let card = scene.card(&room).await;
    let card_id = card["event_id"].as_str().expect("an event id").to_owned();
    assert_eq!(card["content"]["format"], "org.matrix.custom.html");
    let html = card["content"]["formatted_body"]
        .as_str()
        .unwrap_or_default();
    assert!(
        html.contains("<h4>") && html.contains("https://matrix.to/#/@alice:localhost"),
        "{html}"
    );
    assert!(body(&card).contains("✅ Acknowledge ["), "{}", body(&card));
    scene
        .alice
        .wait_for(&room, "the card's pin", |e| {
            e["type"] == "m.room.pinned_events" && e["content"]["pinned"] == json!([card_id])
        })
        .await;
    scene
        .alice
        .wait_for(&room, "the bot's ✅ on the card", |e| {
            e["type"] == "m.reaction"
                && e["sender"] == scene.bot
                && e["content"]["m.relates_to"]["event_id"] == card_id
                && e["content"]["m.relates_to"]["key"] == "✅"
        })
        .await;
    // The lobby hears of it.
    scene
        .alice
        .wait_for(&scene.lobby, "the announcement", |e| {
            says(e, &scene.bot, "INC-1 (P1) declared")
        })
        .await;

    // Bob is paged at once, in the war room (which the page waits for while it is being
    // made) and by direct message; two seconds later carol is paged in the war room, with a
    // pill and m.mentions, and by direct message.
    let first = scene
        .alice
        .wait_for(&room, "the level 1 page", |e| {
            says(e, &scene.bot, "Paging level 1")
        })
        .await;
    assert_eq!(
        first["content"]["m.mentions"]["user_ids"],
        json!(["@bob:localhost"])
    );
    let dm = direct_room_with_bot(&scene, &scene.bob).await;
    let bob_page = scene
        .bob
        .wait_for(&dm, "the page by direct message", |e| {
            says(e, &scene.bot, "You are paged for INC-1")
        })
        .await;
    let page = scene
        .alice
        .wait_for(&room, "the level 2 page", |e| {
            says(e, &scene.bot, "Paging level 2")
        })
        .await;
    assert_eq!(
        page["content"]["m.mentions"]["user_ids"],
        json!(["@carol:localhost"])
    );
    assert!(
        page["content"]["formatted_body"]
            .as_str()
            .unwrap_or_default()
            .contains("<a href=\"https://matrix.to/#/@carol:localhost\">")
    );
    let carol_dm = direct_room_with_bot(&scene, &scene.carol).await;
    scene
        .carol
        .wait_for(&carol_dm, "carol's page", |e| {
            says(e, &scene.bot, "You are paged for INC-1")
        })
        .await;
    // A page links to the war room through matrix.to and offers its Acknowledge key.
    let page_body = bob_page["content"]["body"].as_str().unwrap_or_default();
    let encoded: String = url::form_urlencoded::byte_serialize(room.as_bytes()).collect();
    assert!(
        page_body.contains(&format!(
            "War room: https://matrix.to/#/{encoded}?via=localhost\n"
        )),
        "{page_body}"
    );
    assert!(page_body.contains("✅ Acknowledge [b"), "{page_body}");

    // Bob's ✅ on the page in his direct messages acknowledges: the card is edited, the bot
    // takes its ✅ back, paging stops.
    let bob_page_id = bob_page["event_id"]
        .as_str()
        .expect("an event id")
        .to_owned();
    scene.bob.react(&dm, &bob_page_id, "✅").await;
    let edit = scene
        .alice
        .wait_for(&room, "the card's edit", |e| {
            e["content"]["m.relates_to"]["rel_type"] == "m.replace"
                && e["content"]["m.relates_to"]["event_id"] == card_id
        })
        .await;
    let new_body = edit["content"]["m.new_content"]["body"]
        .as_str()
        .unwrap_or_default();
    assert!(
        new_body.contains("Acknowledged: @bob:localhost"),
        "{new_body}"
    );
    assert!(!new_body.contains("Acknowledge ["), "{new_body}");
    let events = scene
        .timeline_until("the acknowledgement", |t| {
            t.iter().any(|e| e.kind == EventKind::Acknowledged)
        })
        .await;
    let ack = events
        .iter()
        .find(|e| e.kind == EventKind::Acknowledged)
        .expect("ack");
    assert_eq!(ack.actor.as_str(), "@bob:localhost");
    let store = scene.store().await;
    assert_eq!(
        store.next_due().await.expect("timers are read"),
        None,
        "pages still pending"
    );
    scene
        .alice
        .wait_for(&room, "the redaction of the bot's ✅", |e| {
            e["type"] == "m.room.redaction"
        })
        .await;
}

#[tokio::test]
async fn a_read_step_runs_on_one_reaction_and_a_write_step_needs_a_second_persons_thumbs_up() {
    let _turn = matrix::share_synapse().await;
    let test = "a_read_step_runs_on_one_reaction_and_a_write_step_needs_a_second_persons_thumbs_up";
    let Some(scene) = Scene::new(test, "warroom-bot2", &[]).await else {
        return;
    };
    let room = scene
        .declare(&format!("Checkout API 500s {}", scene.tag))
        .await;
    let bot = scene.bot.as_str();

    // The runbook is offered; 1️⃣ attaches it.
    let offer = scene
        .alice
        .wait_for(&room, "the runbook suggestions", |e| {
            says(e, bot, "1️⃣ Attach 1")
        })
        .await;
    let offer_id = offer["event_id"].as_str().expect("an id");
    scene.alice.react(&room, offer_id, "1️⃣").await;
    let steps = scene
        .alice
        .wait_for(&room, "the runbook's steps", |e| {
            says(e, bot, "Show the API pods") && e["content"]["m.relates_to"].is_null()
        })
        .await;
    let steps_id = steps["event_id"].as_str().expect("an id").to_owned();
    assert!(body(&steps).contains("1️⃣ Run ["), "{}", body(&steps));

    // A read step runs on one reaction; its output answers in the runbook's thread.
    scene.alice.react(&room, &steps_id, "1️⃣").await;
    let output = scene
        .alice
        .wait_for(&room, "the read step's output", |e| {
            says(e, bot, "all-ready") && e["content"]["m.relates_to"]["rel_type"] == "m.thread"
        })
        .await;
    assert_eq!(
        output["content"]["m.relates_to"]["event_id"],
        steps_id.as_str()
    );

    // A write step asks for approval; the requester's own 👍 is refused.
    scene.alice.react(&room, &steps_id, "2️⃣").await;
    let request = scene
        .alice
        .wait_for(&room, "the approval request", |e| {
            says(e, bot, "approval needed")
        })
        .await;
    let request_id = request["event_id"].as_str().expect("an id").to_owned();
    assert!(body(&request).contains("👍 Approve [") && body(&request).contains("👎 Deny ["));
    scene.alice.react(&room, &request_id, "👍").await;
    scene
        .alice
        .wait_for(&room, "the refusal of alice's own approval", |e| {
            e["content"]["msgtype"] == "m.notice"
                && says(e, bot, "@alice:localhost")
                && body(e).to_lowercase().contains("approve")
        })
        .await;
    let before = scene.alice.events(&room).await;
    assert!(
        !before
            .iter()
            .any(|e| says(e, bot, "deployment.apps/api restarted")),
        "the write step ran on its requester's approval"
    );

    // Bob's 👍 runs it: the real (fake) kubectl answers.
    scene.bob.react(&room, &request_id, "👍").await;
    scene
        .alice
        .wait_for(&room, "the write step's output", |e| {
            says(e, bot, "deployment.apps/api restarted")
        })
        .await;
    let events = scene
        .timeline_until("the approval", |t| {
            t.iter()
                .any(|e| matches!(e.kind, EventKind::ActionApproved { .. }))
        })
        .await;
    let approved = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::ActionApproved { .. }))
        .expect("approved");
    assert_eq!(approved.actor.as_str(), "@bob:localhost");
}

#[tokio::test]
async fn a_pin_resolve_and_the_post_mortem_file_land_in_the_war_room() {
    let _turn = matrix::share_synapse().await;
    let test = "a_pin_resolve_and_the_post_mortem_file_land_in_the_war_room";
    let Some(scene) = Scene::new(test, "warroom-bot3", &[]).await else {
        return;
    };
    let room = scene
        .declare(&format!("Checkout pool exhausted {}", scene.tag))
        .await;
    let bot = scene.bot.as_str();

    // 📌 puts bob's words on the timeline with bob as their author.
    let said = scene
        .bob
        .say(&room, "the pool is at 100/100 connections")
        .await;
    scene.alice.react(&room, &said, "📌").await;
    // The same event as a Slack pin: bob's words, with bob as author and alice as actor.
    let events = scene
        .timeline_until("the pinned message", |t| {
            t.iter().any(|e| matches!(&e.kind, EventKind::Quoted { text, .. } if text.as_str().contains("100/100")))
        })
        .await;
    let pinned = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Quoted { .. }))
        .expect("the pinned message");
    let EventKind::Quoted { author, text, .. } = &pinned.kind else {
        unreachable!()
    };
    assert_eq!(author.as_str(), "@bob:localhost");
    assert_eq!(text.as_str(), "the pool is at 100/100 connections");
    assert_eq!(pinned.actor.as_str(), "@alice:localhost");

    // Text commands: press a button by id, resolve, then the post-mortem.
    let card = scene.card(&room).await;
    let ack = body(&card)
        .split("✅ Acknowledge [")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .expect("the acknowledge button's id")
        .to_owned();
    scene
        .bob
        .say(&room, &format!("!incident press {ack}"))
        .await;
    scene
        .timeline_until("the acknowledgement", |t| {
            t.iter().any(|e| e.kind == EventKind::Acknowledged)
        })
        .await;
    scene
        .alice
        .say(&room, "!incident resolve restarted the pool")
        .await;
    scene
        .alice
        .wait_for(&room, "the card showing Resolved", |e| {
            e["content"]["m.new_content"]["body"]
                .as_str()
                .is_some_and(|b| b.contains("Status: Resolved"))
        })
        .await;
    scene.alice.say(&room, "!incident postmortem").await;
    let file = scene
        .alice
        .wait_for(&room, "the post-mortem file", |e| {
            e["sender"] == bot && e["content"]["msgtype"] == "m.file"
        })
        .await;
    assert_eq!(file["content"]["info"]["mimetype"], "text/markdown");
    assert_eq!(file["content"]["body"], "INC-1-postmortem.md");
    let url = file["content"]["url"].as_str().expect("an mxc URI");
    let markdown = String::from_utf8(scene.alice.download(url).await).expect("UTF-8");
    assert!(markdown.contains("INC-1"), "{markdown}");
    assert!(
        markdown.contains("100/100"),
        "the pinned note is not in the post-mortem"
    );
    scene
        .alice
        .wait_for(&room, "the summary under the file", |e| {
            says(e, bot, "Post-mortem draft") && e["content"]["msgtype"] == "m.notice"
        })
        .await;
}

#[tokio::test]
async fn a_delivery_repeated_under_the_same_outbox_entry_posts_once() {
    let _turn = matrix::share_synapse().await;
    use secrecy::SecretString;
    use warroom::chat::matrix::{Credentials, connect};
    use warroom::engine::message::Message;
    use warroom::engine::port::{ChatPort, DeliveryKey, RoomRef};

    let test = "a_delivery_repeated_under_the_same_outbox_entry_posts_once";
    let Some(url) = matrix::synapse(test).await else {
        return;
    };
    let name = "warroom-bot10";
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = warroom::store::Store::connect(&format!(
        "sqlite://{}",
        dir.path().join("warroom.db").display()
    ))
    .await
    .expect("the database");
    let password = Credentials::Password(SecretString::from(format!("{name}-password")));
    let chat = connect(
        &url,
        &matrix::mxid(name),
        &password,
        std::sync::Arc::new(store),
    )
    .await
    .expect("the bot logs in");
    let tag = matrix::nonce();
    let room: RoomRef = chat
        .create_room(&format!("txn-{tag}"), "transaction ids", false)
        .await
        .expect("a room");
    let message = Message::text(format!("said once {tag}"));
    // Entry ids of this run: a fresh device, but unlike any other run's all the same.
    let entry = i64::from(std::process::id()) << 20;

    // The same entry delivered twice (as after a crash before it was marked): one event.
    let first = DeliveryKey::scope(entry, chat.post(&room, &message))
        .await
        .expect("the first attempt");
    let again = DeliveryKey::scope(entry, chat.post(&room, &message))
        .await
        .expect("the repeated attempt");
    assert_eq!(
        first.as_str(),
        again.as_str(),
        "the repeat was not recognised as the same event"
    );
    // Another entry with the same content: a second event.
    let other = DeliveryKey::scope(entry + 1, chat.post(&room, &message))
        .await
        .expect("another entry");
    assert_ne!(first.as_str(), other.as_str());
    // Outside a delivery each call is new.
    let loose = chat.post(&room, &message).await.expect("a loose post");
    assert!(loose.as_str() != first.as_str() && loose.as_str() != other.as_str());

    let reader = matrix::Human::login(&url, name).await;
    let said = reader
        .events(room.id.as_str())
        .await
        .into_iter()
        .filter(|e| body(e) == format!("said once {tag}"))
        .count();
    assert_eq!(
        said, 3,
        "the room should hold the entry, the other and the loose post"
    );
}
