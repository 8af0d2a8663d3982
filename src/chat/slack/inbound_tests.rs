//! Tests of reading what Slack sends.

use super::*;

fn form(payload: &serde_json::Value) -> Vec<u8> {
    serde_urlencoded::to_string([("payload", payload.to_string())])
        .unwrap()
        .into_bytes()
}

#[test]
fn a_slash_command_form_is_read() {
    let body = b"token=x&team_id=T1&team_domain=fake&command=%2Fincident&text=declare+p1+API+down&user_id=U1&channel_id=C1&response_url=http%3A%2F%2Fx&trigger_id=t.1";
    let c = slash_command(body).unwrap();
    assert_eq!(
        (c.command.as_str(), c.text.as_str()),
        ("/incident", "declare p1 API down")
    );
    assert_eq!(
        slash_command(b"text=x").unwrap_err(),
        InboundError::Malformed("slash command")
    );
    let empty_user = b"team_id=T1&command=%2Fincident&user_id=&channel_id=C1&response_url=http%3A%2F%2Fx&trigger_id=t.1";
    assert_eq!(
        slash_command(empty_user).unwrap_err(),
        InboundError::Malformed("slash command")
    );
}

#[test]
fn buttons_and_selects_are_presses_and_unknown_actions_are_refused() {
    let press = |action: serde_json::Value| {
        interaction(&form(&serde_json::json!({
            "type": "block_actions", "user": {"id": "U2"}, "channel": {"id": "C9"},
            "team": {"id": "T1"}, "api_app_id": "A1",
            "container": {"type": "message", "message_ts": "1.2", "channel_id": "C9"},
            "trigger_id": "t.2", "response_url": "http://r", "actions": [action]
        })))
    };
    let found =
        press(serde_json::json!({"type": "button", "action_id": "b7", "value": "b7"})).unwrap();
    assert!(matches!(
        found,
        Interaction::Press { button, .. } if button == b(7)
    ));
    let chosen = press(serde_json::json!({
        "type": "static_select", "action_id": "select-b3",
        "selected_option": {"text": {"type": "plain_text", "text": "P2"}, "value": "b5"}
    }))
    .unwrap();
    assert!(matches!(
        chosen,
        Interaction::Press { button, .. } if button == b(5)
    ));
    assert_eq!(
        press(
            serde_json::json!({"type": "button", "action_id": "delete_everything", "value": "b7"})
        ),
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
        "team": {"id": "T1"}, "api_app_id": "A1",
        "view": {
            "id": "V1", "team_id": "T1", "type": "modal", "hash": "1.a", "app_id": "A1",
            "title": {"type": "plain_text", "text": "Run a step"}, "blocks": [],
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
            button: b(4),
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
    let reaction = br#"{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":"Ev1","event_time":1764000000,"event":{"type":"reaction_added","user":"U1","reaction":"pushpin","item":{"type":"message","channel":"C1","ts":"1.000100"},"item_user":"U2","event_ts":"1764000000.1"}}"#;
    assert!(matches!(event(reaction).unwrap(), Event::Reaction { .. }));
    assert_eq!(event(b"[]"), Err(InboundError::Malformed("event")));
    assert_eq!(
        event(br#"{"type":"event_callback","event":{"type":"reaction_added"}}"#),
        Err(InboundError::Malformed("event"))
    );
}

#[test]
fn interactions_warroom_never_offers_are_unknown_actions() {
    let shortcut = form(&serde_json::json!({
        "type": "shortcut", "user": {"id": "U2"}, "team": {"id": "T1"},
        "callback_id": "do_it", "trigger_id": "t.4"
    }));
    assert_eq!(
        interaction(&shortcut),
        Err(InboundError::UnknownAction("shortcut".into()))
    );
    let unmodelled = form(&serde_json::json!({"type": "workflow_step_edit", "trigger_id": "t.5"}));
    assert_eq!(
        interaction(&unmodelled),
        Err(InboundError::UnknownAction("workflow_step_edit".into()))
    );
    let no_user = form(&serde_json::json!({"type": "block_actions", "trigger_id": "t.6"}));
    assert_eq!(
        interaction(&no_user),
        Err(InboundError::Malformed("interaction"))
    );
}

#[test]
fn a_reaction_on_a_message_without_its_channel_is_malformed_and_other_events_are_left_alone() {
    let callback = |event: serde_json::Value| {
        serde_json::json!({
            "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
            "event_id": "Ev2", "event_time": 1764000000, "event": event
        })
        .to_string()
    };
    let no_item = callback(serde_json::json!({"type": "reaction_added", "user": "U1"}));
    assert_eq!(
        event(no_item.as_bytes()),
        Err(InboundError::Malformed("event"))
    );
    let no_channel = callback(serde_json::json!({
        "type": "reaction_added", "user": "U1", "reaction": "pushpin",
        "item": {"type": "message", "ts": "1.1"}, "event_ts": "1.2"
    }));
    assert_eq!(
        event(no_channel.as_bytes()),
        Err(InboundError::Malformed("event"))
    );
    let joined = callback(serde_json::json!({
        "type": "member_joined_channel", "user": "U1", "channel": "C1"
    }));
    assert_eq!(
        event(joined.as_bytes()),
        Ok(Event::Other {
            event_id: Some("Ev2".into())
        })
    );
}

/// The button id `b<n>`.
fn b(n: i64) -> ButtonId {
    format!("b{n}").parse().expect("a button id")
}
