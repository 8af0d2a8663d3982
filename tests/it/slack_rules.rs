//! Slack's rules that Warroom keeps on its side: a taken channel name gets a suffix, a 429 is
//! waited out as long as Retry-After says, and a page mentions people and user groups in the
//! war room and sends each paged person a direct message.

use std::time::Duration;

use crate::support::slack_world;
use slack_world::{SlackWorld, WORK};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_name_gets_a_suffix_and_a_429_is_waited_out() {
    let Some(mut world) = SlackWorld::start("slack rules", "").await else {
        return;
    };
    world.fake.take_name("inc-1-checkout-is-down");
    world.fake.rate_limit("chat.postMessage", 1, 1);
    world
        .command("U0ALICE", "C0GENERAL", "declare p1 Checkout is down")
        .await;
    let room = world
        .fake
        .wait_for("the war room, its card pinned", WORK, |w| {
            let room = w.channels.values().find(|c| c.name.starts_with("inc-1"))?;
            (!room.pins.is_empty()).then(|| (room.id.clone(), room.name.clone()))
        })
        .await;
    assert_eq!(room.1, "inc-1-checkout-is-down-2");
    let creates = world.fake.world(|w| {
        w.calls
            .iter()
            .filter(|c| c.method == "conversations.create")
            .map(|c| (c.args["name"].clone(), c.error.clone()))
            .collect::<Vec<_>>()
    });
    assert_eq!(creates.len(), 2);
    assert_eq!(creates[0].1.as_deref(), Some("name_taken"));
    // The 429 came, and the same post was tried again after the second it asked for.
    let (limited, retried) = world
        .fake
        .wait_for("the rate-limited post, tried again", WORK, |w| {
            let limited = w
                .calls
                .iter()
                .find(|c| c.error.as_deref() == Some("ratelimited"))?;
            let retried = w
                .calls
                .iter()
                .find(|c| c.error.is_none() && c.at > limited.at && c.args == limited.args)?;
            Some((limited.at, retried.at))
        })
        .await;
    assert!(
        retried - limited >= Duration::from_secs(1),
        "{:?}",
        retried - limited
    );
    let violations = world.fake.world(|w| w.violations.clone());
    assert!(violations.is_empty(), "{violations:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_mentions_people_and_groups_and_messages_each_person_directly() {
    let paging = r#"
[escalation.p1]
levels = [{ after = "0m", targets = ["@U0ONCALL", "group:S0SRE"] }]
"#;
    let Some(mut world) = SlackWorld::start("slack pages", paging).await else {
        return;
    };
    world
        .command("U0ALICE", "C0GENERAL", "declare p1 Payments fail")
        .await;
    let page = world
        .fake
        .wait_for("the page in the war room", WORK, |w| {
            let room = w.channels.values().find(|c| c.name.starts_with("inc-1"))?;
            room.messages
                .iter()
                .find(|m| m.blocks.to_string().contains("Paging level 1"))
                .map(|m| m.blocks.to_string())
        })
        .await;
    assert!(page.contains("<@U0ONCALL>"), "{page}");
    assert!(page.contains("<!subteam^S0SRE>"), "{page}");
    let dm = world
        .fake
        .wait_for("the direct message", WORK, |w| {
            let im = w
                .channels
                .values()
                .find(|c| c.is_im && c.members == ["U0ONCALL"])?;
            im.messages.first().map(|m| m.text.clone())
        })
        .await;
    assert!(dm.contains("You are paged for INC-1"), "{dm}");
    let violations = world.fake.world(|w| w.violations.clone());
    assert!(violations.is_empty(), "{violations:#?}");
}

/// A private incident's war room is a private channel, named for nothing, which takes the
/// `groups:write` scope; an app installed without that scope is told so in the room the
/// incident was declared in, and no public channel is made instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_incident_gets_a_private_channel_and_a_missing_scope_is_named() {
    let Some(mut world) = SlackWorld::start("slack private", "").await else {
        return;
    };
    world
        .command(
            "U0ALICE",
            "C0GENERAL",
            "declare private p1 Deploy token leaked",
        )
        .await;
    let room = world
        .fake
        .wait_for("the private war room, its card pinned", WORK, |w| {
            let room = w.channels.values().find(|c| c.name.starts_with("inc-1"))?;
            (!room.pins.is_empty()).then(|| room.clone())
        })
        .await;
    assert_eq!(room.name, "inc-1-private");
    assert!(room.is_private);
    assert!(room.topic.contains("Deploy token leaked"), "{}", room.topic);
    assert!(
        room.members.iter().any(|m| m == "U0ALICE"),
        "{:?}",
        room.members
    );
    // The lobby hears of it without its title.
    let lobby = world
        .fake
        .wait_for("the line in the lobby", WORK, |w| {
            let general = w.channels.get("C0GENERAL")?;
            general
                .messages
                .iter()
                .find(|m| m.text.contains("INC-1"))
                .map(|m| m.text.clone())
        })
        .await;
    assert!(lobby.contains("(private)"), "{lobby}");
    assert!(!lobby.contains("Deploy token"), "{lobby}");

    world.fake.revoke_scope("groups:write");
    world
        .command("U0ALICE", "C0GENERAL", "declare private p2 Second leak")
        .await;
    let told = world
        .fake
        .wait_for("the refusal, told in the lobby", WORK, |w| {
            let general = w.channels.get("C0GENERAL")?;
            general
                .messages
                .iter()
                .find(|m| m.text.contains("could not create the war room (INC-2)"))
                .map(|m| m.text.clone())
        })
        .await;
    assert!(told.contains("missing_scope"), "{told}");
    let channels = world.fake.world(|w| {
        w.channels
            .values()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    });
    assert!(
        !channels.iter().any(|n| n.starts_with("inc-2")),
        "{channels:?}"
    );
}
