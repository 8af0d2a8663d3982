//! What Warroom refuses in Matrix, against a real Synapse: commands in an encrypted room (told
//! by direct message, nothing posted there), people not allowed, bad input; and a war room
//! alias that is already taken.

use scene::{Scene, direct_room_with_bot};
use serde_json::json;
use warroom::domain::IncidentNumber;

use crate::support::matrix;
use crate::support::matrix_scene as scene;
use matrix::{Human, body, says};

#[tokio::test]
async fn a_command_in_an_encrypted_room_is_refused_by_direct_message_and_nothing_is_posted_there() {
    let _turn = matrix::share_synapse().await;
    let test =
        "a_command_in_an_encrypted_room_is_refused_by_direct_message_and_nothing_is_posted_there";
    let Some(url) = matrix::synapse(test).await else {
        return;
    };
    let alice = Human::login(&url, "alice").await;
    let bot = matrix::mxid("warroom-bot4");
    let secret = alice
        .create_room(json!({
            "name": "secret ops",
            "invite": [bot],
            "initial_state": [{
                "type": "m.room.encryption", "state_key": "",
                "content": { "algorithm": "m.megolm.v1.aes-sha2" }
            }],
        }))
        .await;
    let Some(scene) = Scene::new(test, "warroom-bot4", &[&secret]).await else {
        return;
    };
    let deadline = std::time::Instant::now() + matrix::DEADLINE;
    while !alice
        .members(&secret)
        .await
        .iter()
        .any(|(u, m)| *u == bot && m == "join")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the bot did not join the encrypted room"
        );
        tokio::time::sleep(matrix::POLL).await;
    }
    // A client without encryption sends plaintext; Warroom must not answer in kind.
    alice
        .say(&secret, "!incident declare p1 leaked credentials")
        .await;
    let dm = direct_room_with_bot(&scene, &scene.alice).await;
    let told = scene
        .alice
        .wait_for(&dm, "the refusal by direct message", |e| {
            says(e, &bot, "encrypted")
        })
        .await;
    assert!(body(&told).contains(&secret), "{}", body(&told));
    let posted: Vec<_> = alice
        .events(&secret)
        .await
        .into_iter()
        .filter(|e| e["sender"] == bot && e["type"] != "m.room.member")
        .collect();
    assert!(
        posted.is_empty(),
        "the bot posted into the encrypted room: {posted:?}"
    );
    let store = scene.store().await;
    assert!(store.open_incidents().await.expect("incidents").is_empty());
    assert!(
        store
            .incident(IncidentNumber(1))
            .await
            .expect("read")
            .is_none()
    );
}

#[tokio::test]
async fn bad_input_strangers_and_a_taken_alias_are_handled_plainly() {
    let _turn = matrix::share_synapse().await;
    let test = "bad_input_strangers_and_a_taken_alias_are_handled_plainly";
    let Some(scene) = Scene::new(test, "warroom-bot5", &[]).await else {
        return;
    };
    let bot = scene.bot.as_str();
    // An invitation to a room it is not configured for is left alone. The commands below are
    // answered after the bot's sync saw the invitation, which came first.
    let elsewhere = scene
        .alice
        .create_room(json!({ "name": "not configured", "invite": [bot] }))
        .await;
    // Someone not in allowed_users is told so, and nothing happens.
    scene
        .carol
        .say(&scene.lobby, "!incident declare p1 I am not on the list")
        .await;
    scene
        .alice
        .wait_for(&scene.lobby, "carol's refusal", |e| {
            says(e, bot, "may not give Warroom commands")
        })
        .await;
    // A wrong severity gets one clear line.
    scene
        .alice
        .say(&scene.lobby, "!incident declare p9 broken")
        .await;
    let answer = scene
        .alice
        .wait_for(&scene.lobby, "the answer to p9", |e| says(e, bot, "p9"))
        .await;
    assert_eq!(answer["content"]["msgtype"], "m.notice");
    scene
        .alice
        .say(&scene.lobby, "!incident press b999999")
        .await;
    scene
        .alice
        .wait_for(&scene.lobby, "the answer to a missing button", |e| {
            says(e, bot, "there is no button b999999")
        })
        .await;
    assert!(
        scene
            .store()
            .await
            .incident(IncidentNumber(1))
            .await
            .expect("read")
            .is_none()
    );
    let members = scene.alice.members(&elsewhere).await;
    assert!(
        members.iter().any(|(u, m)| u == bot && m == "invite"),
        "the bot joined a room it is not configured for: {members:?}"
    );

    // The war room's alias is taken: it gets the next free one.
    let slug = format!("inc-1-search-down-{}", scene.tag);
    scene
        .alice
        .create_room(json!({ "name": "squatter", "room_alias_name": slug }))
        .await;
    let room = scene.declare(&format!("Search down {}", scene.tag)).await;
    let canonical = scene
        .alice
        .state(&room, "m.room.canonical_alias")
        .await
        .expect("an alias");
    assert_eq!(canonical["alias"], format!("#{slug}-2:localhost"));
}

#[tokio::test]
async fn an_access_token_logs_the_bot_in_instead_of_a_password() {
    let _turn = matrix::share_synapse().await;
    let test = "an_access_token_logs_the_bot_in_instead_of_a_password";
    let Some(scene) = Scene::with_access_token(test, "warroom-bot9").await else {
        return;
    };
    scene.alice.say(&scene.lobby, "!incident help").await;
    scene
        .alice
        .wait_for(&scene.lobby, "the help", |e| {
            says(e, &scene.bot, "declare") && e["content"]["msgtype"] == "m.notice"
        })
        .await;
    let store = scene.store().await;
    let kept = store
        .matrix_session(&scene.bot)
        .await
        .expect("sessions are read");
    // Nothing of a configured token is written down; only the sync token is kept.
    assert!(
        kept.is_none_or(|s| s.access_token.is_empty()),
        "the token was stored"
    );
    assert!(
        store
            .matrix_sync_token(&scene.bot)
            .await
            .expect("read")
            .is_some()
    );
}
