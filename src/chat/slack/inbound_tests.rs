//! Tests of reading what Slack sends.

use super::*;

fn form(payload: &serde_json::Value) -> Vec<u8> {
    serde_urlencoded::to_string([("payload", payload.to_string())])
        .unwrap()
        .into_bytes()
}

#[test]
fn a_slash_command_form_is_read() {
    let body = b"command=%2Fincident&text=declare+p1+API+down&user_id=U1&channel_id=C1&response_url=http%3A%2F%2Fx&trigger_id=t.1";
    let c = slash_command(body).unwrap();
    assert_eq!(
        (c.command.as_str(), c.text.as_str()),
        ("/incident", "declare p1 API down")
    );
    assert_eq!(
        slash_command(b"text=x").unwrap_err(),
        InboundError::Malformed("slash command")
    );
}

#[test]
fn buttons_and_selects_are_presses_and_unknown_actions_are_refused() {
    let press = |action: serde_json::Value| {
        interaction(&form(&serde_json::json!({
            "type": "block_actions", "user": {"id": "U2"}, "channel": {"id": "C9"},
            "trigger_id": "t.2", "response_url": "http://r", "actions": [action]
        })))
    };
    let found = press(serde_json::json!({"action_id": "b7", "value": "b7"})).unwrap();
    assert!(matches!(
        found,
        Interaction::Press {
            button: ButtonId(7),
            ..
        }
    ));
    let chosen = press(serde_json::json!({
        "action_id": "select-b3", "selected_option": {"value": "b5"}
    }))
    .unwrap();
    assert!(matches!(
        chosen,
        Interaction::Press {
            button: ButtonId(5),
            ..
        }
    ));
    assert_eq!(
        press(serde_json::json!({"action_id": "delete_everything", "value": "b7"})),
        Err(InboundError::UnknownAction("delete_everything".into()))
    );
    assert_eq!(
        interaction(b"payload=%7Bnot+json"),
        Err(InboundError::Malformed("interaction"))
    );
}

#[test]
fn a_submitted_modal_becomes_a_press_with_parameters() {
    let body = form(&serde_json::json!({
        "type": "view_submission", "user": {"id": "U2"}, "trigger_id": "t.3",
        "view": {
            "callback_id": RUN_MODAL,
            "private_metadata": "{\"button\":\"b4\",\"channel\":\"C1\"}",
            "state": {"values": {
                "pod_name": {"value": {"type": "plain_text_input", "value": " api-7f9c "}},
                "namespace": {"value": {"type": "plain_text_input", "value": "shop"}}
            }}
        }
    }));
    let found = interaction(&body).unwrap();
    assert_eq!(
        found,
        Interaction::Submit {
            user: "U2".into(),
            channel: "C1".into(),
            button: crate::engine::message::ButtonId(4),
            params: [("namespace", "shop"), ("pod_name", "api-7f9c")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            trigger_id: "t.3".into(),
        }
    );
}

#[test]
fn events_are_read_and_a_challenge_is_found() {
    let challenge = br#"{"type":"url_verification","challenge":"abc","token":"x"}"#;
    assert_eq!(
        event(challenge).unwrap(),
        Event::UrlVerification {
            challenge: "abc".into()
        }
    );
    let reaction = br#"{"type":"event_callback","event_id":"Ev1","event":{"type":"reaction_added","user":"U1","reaction":"pushpin","item":{"type":"message","channel":"C1","ts":"1.000100"}}}"#;
    assert!(matches!(event(reaction).unwrap(), Event::Reaction { .. }));
    assert_eq!(event(b"[]"), Err(InboundError::Malformed("event")));
    assert_eq!(
        event(br#"{"type":"event_callback","event":{"type":"reaction_added"}}"#),
        Err(InboundError::Malformed("event"))
    );
}
