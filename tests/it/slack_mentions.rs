//! Text that people and alerts supply never pings a channel or a group on Slack: a title or an
//! alert summary holding `<!channel>`, `<!everyone>`, `<!here>`, `<!subteam^…>` or `<@U…>`
//! reaches the strict fake Slack escaped (`&lt;!channel&gt;`) in the blocks, in the
//! `chat.postMessage` text fallback and in the channel topic, while Warroom's own mentions (the
//! responders it pages, the escalation's group) stay mentions.

use serde_json::Value;

use crate::support::slack_world;
use slack_world::{SlackWorld, WORK};

/// The mentions that would notify people if Slack read them as markup.
const RAW: [&str; 6] = [
    "<!channel>",
    "<!everyone>",
    "<!here>",
    "<!subteam^S123>",
    "<@U0BOB>",
    "<@U0EVE>",
];

/// The mrkdwn texts of some blocks: what Slack reads mentions in (`plain_text`, such as a
/// header, shows `<!channel>` as it is and pings nobody).
fn mrkdwn(blocks: &Value) -> String {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if map.get("type").and_then(Value::as_str) == Some("mrkdwn")
                    && let Some(text) = map.get("text").and_then(Value::as_str)
                {
                    out.push(text.to_owned());
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(blocks, &mut out);
    out.join("\n")
}

/// Every text Warroom sent to Slack where Slack reads mentions: each message's fallback and
/// mrkdwn, each topic, each ephemeral and each `response_url` answer, with where it was.
fn everything_sent(world: &SlackWorld) -> Vec<(String, String)> {
    world.fake.world(|w| {
        let mut out = Vec::new();
        for c in w.channels.values() {
            out.push((format!("topic of #{}", c.name), c.topic.clone()));
            for m in &c.messages {
                out.push((format!("text in #{}", c.name), m.text.clone()));
                out.push((format!("blocks in #{}", c.name), mrkdwn(&m.blocks)));
            }
        }
        for (channel, _, text, blocks) in &w.ephemerals {
            out.push((format!("ephemeral text in {channel}"), text.clone()));
            out.push((format!("ephemeral blocks in {channel}"), mrkdwn(blocks)));
        }
        for (url, body) in &w.responses {
            let text = body["text"].as_str().unwrap_or_default();
            out.push((format!("answer text to {url}"), text.to_owned()));
            out.push((format!("answer blocks to {url}"), mrkdwn(&body["blocks"])));
        }
        out
    })
}

fn assert_no_raw_mention(world: &SlackWorld) {
    for (place, text) in everything_sent(world) {
        for raw in RAW {
            assert!(!text.contains(raw), "{raw} raw in the {place}: {text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_title_or_an_alert_summary_cannot_ping_a_channel_or_a_group() {
    let extra = "[alerts]\nenabled = true\ntoken = { env = \"TEST_ALERTS_TOKEN\" }\n\
                 [escalation.p1]\nlevels = [{ after = \"0m\", targets = [\"@U0ONCALL\", \"group:S0614TZR7\"] }]\n";
    let Some(mut world) = SlackWorld::start_with(
        "slack mentions escaped",
        extra,
        &[("TEST_ALERTS_TOKEN", "alerts-token-1")],
    )
    .await
    else {
        return;
    };

    // A responder declares an incident whose title holds mentions.
    world
        .command(
            "U0ALICE",
            "C0GENERAL",
            "declare p1 <!channel> db down <!subteam^S123> & <@U0BOB>",
        )
        .await;
    let room = world
        .fake
        .wait_for(
            "the war room with its topic and card, and the announcement",
            WORK,
            |w| {
                let c = w.channels.values().find(|c| c.name.starts_with("inc-1-"))?;
                // The announcement goes to another channel, in a lane of its own.
                let announced = w.channels["C0ANNOUNCE"]
                    .messages
                    .iter()
                    .any(|m| m.text.contains("INC-1"));
                (!c.topic.is_empty() && !c.pins.is_empty() && announced).then(|| c.id.clone())
            },
        )
        .await;
    let (topic, announced) = world.fake.world(|w| {
        let announced = w.channels["C0ANNOUNCE"]
            .messages
            .iter()
            .find(|m| m.text.contains("INC-1"))
            .map(|m| m.text.clone());
        (w.channels[&room].topic.clone(), announced)
    });
    assert!(
        topic.contains("&lt;!channel&gt; db down &lt;!subteam^S123&gt; &amp; &lt;@U0BOB&gt;"),
        "{topic}"
    );
    let announced = announced.expect("the announcement of INC-1");
    assert!(
        announced.contains("&lt;!channel&gt; db down &lt;!subteam^S123&gt;"),
        "{announced}"
    );

    // The page of the escalation's first level: Warroom's own mentions.
    let paged = world
        .fake
        .wait_for("the page in the war room", WORK, |w| {
            w.channels[&room]
                .messages
                .iter()
                .find(|m| m.text.contains("<!subteam^S0614TZR7>"))
                .map(|m| m.text.clone())
        })
        .await;
    assert!(paged.contains("<@U0ONCALL>"), "{paged}");
    // An alert whose summary holds mentions opens a second incident.
    let mut alert: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/alertmanager/alertmanager-firing.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let summary = "<!everyone> pool exhausted <!here> ping <@U0EVE>";
    alert["commonAnnotations"]["summary"] = summary.into();
    alert["alerts"][0]["annotations"]["summary"] = summary.into();
    let answer = world
        .client
        .post(
            &format!("{}/alerts/alertmanager", world.url),
            &[("authorization", "Bearer alerts-token-1".to_owned())],
            "application/json",
            alert.to_string(),
        )
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let second = world
        .fake
        .wait_for("the alert's war room with its topic", WORK, |w| {
            let c = w.channels.values().find(|c| c.name.starts_with("inc-2-"))?;
            let listed = c.messages.iter().any(|m| m.text.contains("pool exhausted"));
            (!c.topic.is_empty() && listed).then(|| c.id.clone())
        })
        .await;
    let topic = world.fake.world(|w| w.channels[&second].topic.clone());
    assert!(
        topic.contains("&lt;!everyone&gt; pool exhausted &lt;!here&gt;"),
        "{topic}"
    );

    assert_no_raw_mention(&world);
    let violations = world.fake.world(|w| w.violations.clone());
    assert!(
        violations.is_empty(),
        "Warroom broke Slack's rules: {violations:#?}"
    );
}
