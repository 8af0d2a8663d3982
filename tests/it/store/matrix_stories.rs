//! Stories about the Matrix adapter's bookkeeping: its session and sync token, direct rooms,
//! emoji keys and handled events.

use warroom::store::{MatrixSession, ReactionKey, Store};

const BOT: &str = "@warroom:example.org";

pub async fn a_matrix_event_is_claimed_once_also_by_concurrent_claimers(store: Store) {
    assert!(store.claim_matrix_event("$a", 1).await.expect("claimed"));
    assert!(!store.claim_matrix_event("$a", 2).await.expect("seen"));
    let mut claims = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        claims.push(tokio::spawn(async move {
            store.claim_matrix_event("$b", 3).await.expect("claimed")
        }));
    }
    let mut won = 0;
    for claim in claims {
        if claim.await.expect("joined") {
            won += 1;
        }
    }
    assert_eq!(won, 1, "{won} claimers won the same event");
}

pub async fn the_matrix_session_and_sync_token_are_kept_per_bot(store: Store) {
    assert_eq!(store.matrix_session(BOT).await.unwrap(), None);
    assert_eq!(store.matrix_sync_token(BOT).await.unwrap(), None);
    // A bot with a configured access token keeps only its token.
    store.save_matrix_sync_token(BOT, "s1").await.unwrap();
    assert_eq!(
        store.matrix_sync_token(BOT).await.unwrap().as_deref(),
        Some("s1")
    );
    let session = MatrixSession {
        user_id: BOT.into(),
        device_id: "DEV1".into(),
        access_token: "syt_secret".into(),
    };
    store.save_matrix_session(&session).await.unwrap();
    assert_eq!(
        store.matrix_session(BOT).await.unwrap(),
        Some(session.clone())
    );
    assert!(!format!("{session:?}").contains("syt_secret"));
    store.save_matrix_sync_token(BOT, "s2").await.unwrap();
    assert_eq!(
        store.matrix_sync_token(BOT).await.unwrap().as_deref(),
        Some("s2")
    );
    assert_eq!(store.matrix_session(BOT).await.unwrap(), Some(session));
    assert_eq!(
        store.matrix_sync_token("@other:example.org").await.unwrap(),
        None
    );
}

pub async fn direct_rooms_are_remembered_per_bot_and_person(store: Store) {
    let alice = "@alice:example.org";
    assert_eq!(store.matrix_direct_room(BOT, alice).await.unwrap(), None);
    store
        .save_matrix_direct_room(BOT, alice, "!dm1:example.org")
        .await
        .unwrap();
    assert_eq!(
        store
            .matrix_direct_room(BOT, alice)
            .await
            .unwrap()
            .as_deref(),
        Some("!dm1:example.org")
    );
    assert!(
        store
            .is_matrix_direct_room(BOT, "!dm1:example.org")
            .await
            .unwrap()
    );
    assert!(
        !store
            .is_matrix_direct_room("@other:example.org", "!dm1:example.org")
            .await
            .unwrap()
    );
    store
        .save_matrix_direct_room(BOT, alice, "!dm2:example.org")
        .await
        .unwrap();
    assert_eq!(
        store
            .matrix_direct_room(BOT, alice)
            .await
            .unwrap()
            .as_deref(),
        Some("!dm2:example.org")
    );
}

pub async fn emoji_keys_point_at_buttons_and_keep_the_bots_reaction(store: Store) {
    let key = |k: &str, button, reaction: Option<&str>| ReactionKey {
        key: k.into(),
        button_id: b(button),
        bot_reaction_id: reaction.map(str::to_owned),
    };
    store
        .save_matrix_reaction_key("!r", "$card", &key("✅", 1, None))
        .await
        .unwrap();
    store
        .save_matrix_reaction_key("!r", "$card", &key("✅", 1, Some("$re")))
        .await
        .unwrap();
    // Saving again without a reaction keeps the one known.
    store
        .save_matrix_reaction_key("!r", "$card", &key("✅", 5, None))
        .await
        .unwrap();
    store
        .save_matrix_reaction_key("!r", "$card", &key("🏁", 2, None))
        .await
        .unwrap();
    assert_eq!(
        store.matrix_reaction_button("$card", "✅").await.unwrap(),
        Some(b(5))
    );
    assert_eq!(
        store.matrix_reaction_button("$card", "👍").await.unwrap(),
        None
    );
    let mut keys = store.matrix_reaction_keys("$card").await.unwrap();
    keys.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(keys, vec![key("✅", 5, Some("$re")), key("🏁", 2, None)]);
    store
        .delete_matrix_reaction_key("$card", "✅")
        .await
        .unwrap();
    assert_eq!(
        store.matrix_reaction_button("$card", "✅").await.unwrap(),
        None
    );
}

/// The button id `b<n>`.
fn b(n: i64) -> warroom::domain::ButtonId {
    format!("b{n}").parse().expect("a button id")
}
