//! Requests Warroom must refuse: a forged signature, a stale timestamp, a replayed request,
//! an unknown action id, malformed payloads. Each is refused with a plain reason, and nothing
//! is recorded: no incident, no delivery, no call to Slack.

use crate::support::slack_world;
use slack_world::{SECRET, SlackWorld, WORK};

const FORM: &str = "application/x-www-form-urlencoded";

/// Incidents, deliveries and Slack calls so far.
async fn recorded(world: &SlackWorld) -> (usize, i64, usize) {
    let store = world.store().await;
    let incidents = store.open_incidents().await.unwrap().len();
    let deliveries = store.delivery_count().await.unwrap();
    let calls = world.fake.world(|w| w.calls.len());
    (incidents, deliveries, calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_stale_unknown_and_malformed_requests_are_refused_and_change_nothing() {
    let Some(mut world) = SlackWorld::start("slack refusals", "").await else {
        return;
    };
    let before = recorded(&world).await;
    assert_eq!(before, (0, 0, 0));

    // Forged: signed with another secret.
    let body = world.command_body("U0ALICE", "C0GENERAL", "declare p1 forged");
    let ts = chrono::Utc::now().timestamp().to_string();
    let forged = world.sdk.sign("not the signing secret", &ts, &body);
    let answer = world
        .raw("/slack/commands", FORM, body.clone(), &ts, &forged, &[])
        .await;
    assert_eq!(answer.status, 401, "{answer:?}");
    assert!(
        answer.body.contains("signature does not match"),
        "{answer:?}"
    );

    // A right signature over another body.
    let genuine = world.sdk.sign(SECRET, &ts, &body);
    let tampered = body.replace("forged", "tampered");
    let answer = world
        .raw("/slack/commands", FORM, tampered, &ts, &genuine, &[])
        .await;
    assert_eq!(answer.status, 401, "{answer:?}");

    // Stale: signed properly, six minutes ago (and six minutes ahead).
    for skew in [-360, 360] {
        let old = chrono::Utc::now().timestamp() + skew;
        let answer = world
            .signed("/slack/commands", FORM, body.clone(), Some(old))
            .await;
        assert_eq!(answer.status, 401, "{answer:?}");
        assert!(answer.body.contains("timestamp"), "{answer:?}");
    }

    // No signature at all.
    let answer = world
        .client
        .post(
            &format!("{}/slack/commands", world.url),
            &[],
            FORM,
            body.clone(),
        )
        .await;
    assert_eq!(answer.status, 401, "{answer:?}");

    // Unknown action id, properly signed.
    let press = world.press_body("U0ALICE", "C0GENERAL", "drop_all_tables", "b1");
    let answer = world.signed("/slack/interactions", FORM, press, None).await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(
        answer.body.contains("does not know the action"),
        "{answer:?}"
    );

    // Malformed, properly signed: each endpoint.
    for (path, kind, junk) in [
        ("/slack/commands", FORM, "text=declare+p1+x"),
        ("/slack/interactions", FORM, "payload=%7Bnot-json"),
        ("/slack/interactions", FORM, "no_payload=1"),
        (
            "/slack/events",
            "application/json",
            "{\"type\": \"event_callback\"}",
        ),
        ("/slack/events", "application/json", "\u{0}\u{1}"),
    ] {
        let answer = world.signed(path, kind, junk.to_owned(), None).await;
        assert_eq!(answer.status, 400, "{path} {junk}: {answer:?}");
        assert!(answer.body.contains("not a Slack"), "{answer:?}");
    }

    assert_eq!(
        recorded(&world).await,
        before,
        "a refused request recorded something"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_command_acts_once_and_slack_s_url_check_is_answered() {
    let Some(mut world) = SlackWorld::start("slack replay", "").await else {
        return;
    };
    let body = world.command_body("U0ALICE", "C0GENERAL", "declare p2 replayed once");
    let ts = chrono::Utc::now().timestamp().to_string();
    let signature = world.sdk.sign(SECRET, &ts, &body);
    for _ in 0..3 {
        let answer = world
            .raw("/slack/commands", FORM, body.clone(), &ts, &signature, &[])
            .await;
        assert_eq!(answer.status, 200, "{answer:?}");
    }
    world
        .fake
        .wait_for("the war room", WORK, |w| {
            w.channels.values().find(|c| !c.pins.is_empty()).map(|_| ())
        })
        .await;
    // The repeats were claimed in their tasks as soon as they arrived, long before the first
    // one's war room was done: they found the claim taken and did nothing.
    let store = world.store().await;
    assert_eq!(store.delivery_count().await.unwrap(), 1);
    assert_eq!(store.open_incidents().await.unwrap().len(), 1);
    assert_eq!(world.fake.ok_calls("conversations.create").len(), 1);

    let challenge = r#"{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let answer = world
        .signed(
            "/slack/events",
            "application/json",
            challenge.to_owned(),
            None,
        )
        .await;
    assert_eq!(answer.status, 200);
    let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(
        body["challenge"],
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );
}
