//! What each Web API method does to the fake's world, and its answer, shaped as Slack's.

use serde_json::{Map, Value, json};

use super::{BOT, Channel, Posted, SharedFile, Upload, World, blocks};

/// A method's refusal: Slack's error code, and whether it shows a mistake of the client
/// (a violation) rather than a state of the world (such as name_taken).
pub struct Refusal {
    pub error: String,
    pub violation: bool,
}

fn mistake(error: &str) -> Refusal {
    Refusal {
        error: error.to_owned(),
        violation: true,
    }
}

fn state(error: &str) -> Refusal {
    Refusal {
        error: error.to_owned(),
        violation: false,
    }
}

pub(super) fn text(args: &Map<String, Value>, key: &str) -> String {
    match args.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// A list argument: a JSON array, a JSON array in a string, or comma-separated.
fn list(args: &Map<String, Value>, key: &str) -> Vec<String> {
    match args.get(key) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        Some(Value::String(s)) => match serde_json::from_str::<Vec<String>>(s) {
            Ok(v) => v,
            Err(_) => s
                .split(',')
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect(),
        },
        _ => Vec::new(),
    }
}

/// A JSON argument given as JSON or as a string of JSON (form posts).
fn json_arg(args: &Map<String, Value>, key: &str) -> Option<Value> {
    match args.get(key)? {
        Value::String(s) => serde_json::from_str(s).ok(),
        other => Some(other.clone()),
    }
}

fn channel_info(ch: &Channel) -> Value {
    json!({
        "id": ch.id, "name": ch.name, "is_channel": !ch.is_im && !ch.is_private,
        "is_group": ch.is_private, "is_private": ch.is_private, "is_im": ch.is_im,
        "created": 1764000000, "creator": BOT, "is_archived": false,
        "topic": {"value": ch.topic, "creator": BOT, "last_set": 1764000000},
        "purpose": {"value": "", "creator": BOT, "last_set": 0},
    })
}

fn message_json(m: &Posted) -> Value {
    let mut v = json!({"type": "message", "ts": m.ts, "user": m.user, "text": m.text});
    if !m.blocks.is_null() {
        v["blocks"] = m.blocks.clone();
    }
    if let Some(t) = &m.thread_ts {
        v["thread_ts"] = json!(t);
    }
    v
}

fn check_name(name: &str) -> Result<(), Refusal> {
    if name.is_empty() {
        return Err(mistake("invalid_name_required"));
    }
    if name.chars().count() > 80 {
        return Err(mistake("invalid_name_maxlength"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(mistake("invalid_name_specials"));
    }
    Ok(())
}

fn message_blocks(args: &Map<String, Value>) -> Result<Value, Refusal> {
    let Some(b) = json_arg(args, "blocks") else {
        if text(args, "text").is_empty() {
            return Err(mistake("no_text"));
        }
        return Ok(Value::Null);
    };
    blocks::check(&b, 50).map_err(|e| mistake(&format!("invalid_blocks: {e}")))?;
    Ok(b)
}

fn channel<'w>(w: &'w mut World, args: &Map<String, Value>) -> Result<&'w mut Channel, Refusal> {
    let id = text(args, "channel");
    w.channels
        .get_mut(&id)
        .ok_or_else(|| state("channel_not_found"))
}

/// Carries out a call whose arguments already passed the spec's checks.
pub fn call(
    w: &mut World,
    base: &str,
    method: &str,
    args: &Map<String, Value>,
) -> Result<Value, Refusal> {
    match method {
        "auth.test" => Ok(json!({
            "url": "https://warroom-test.slack.com/", "team": "Warroom Test",
            "user": "warroom", "team_id": "T0001", "user_id": BOT, "bot_id": "B0BOT",
        })),
        "conversations.info" => {
            let ch = channel(w, args)?;
            let mut info = channel_info(ch);
            info["is_member"] = json!(ch.members.iter().any(|m| m == BOT));
            Ok(json!({ "channel": info }))
        }
        "conversations.list" => {
            let types = list(args, "types");
            let public_only = !types.is_empty() && types.iter().all(|t| t == "public_channel");
            let channels: Vec<Value> = w
                .channels
                .values()
                .filter(|c| !c.is_im || !public_only)
                .map(channel_info)
                .collect();
            Ok(json!({"channels": channels, "response_metadata": {"next_cursor": ""}}))
        }
        "conversations.create" => {
            let name = text(args, "name");
            check_name(&name)?;
            if w.taken.contains(&name) || w.channels.values().any(|c| c.name == name) {
                return Err(state("name_taken"));
            }
            let is_private = text(args, "is_private") == "true";
            let id = w.next_id("C");
            let ch = Channel {
                id: id.clone(),
                name,
                members: vec![BOT.to_owned()],
                is_private,
                ..Channel::default()
            };
            let info = channel_info(&ch);
            w.channels.insert(id, ch);
            Ok(json!({"channel": info}))
        }
        "conversations.setTopic" => {
            let topic = text(args, "topic");
            if topic.chars().count() > 250 {
                return Err(mistake("too_long"));
            }
            let ch = channel(w, args)?;
            ch.topic = topic.clone();
            Ok(json!({"channel": channel_info(ch), "topic": topic}))
        }
        "conversations.invite" => {
            let users = list(args, "users");
            if users.len() > 1000 || users.iter().any(|u| !u.starts_with(['U', 'W'])) {
                return Err(mistake("user_not_found"));
            }
            let ch = channel(w, args)?;
            for u in users {
                if u == BOT {
                    return Err(state("cant_invite_self"));
                }
                if !ch.members.contains(&u) {
                    ch.members.push(u);
                }
            }
            Ok(json!({"channel": channel_info(ch)}))
        }
        "conversations.open" => {
            let users = list(args, "users");
            if users.len() != 1 || !users[0].starts_with(['U', 'W']) {
                return Err(mistake("users_not_found"));
            }
            let user = users[0].clone();
            let existing = w
                .channels
                .values()
                .find(|c| c.is_im && c.members == [user.clone()]);
            let id = match existing {
                Some(c) => c.id.clone(),
                None => {
                    let id = w.next_id("D");
                    w.channels.insert(
                        id.clone(),
                        Channel {
                            id: id.clone(),
                            name: user.clone(),
                            members: vec![user],
                            is_im: true,
                            ..Channel::default()
                        },
                    );
                    id
                }
            };
            Ok(json!({"channel": {"id": id, "created": 1764000000, "is_im": true}}))
        }
        "conversations.history" => {
            let latest = text(args, "latest");
            let inclusive = text(args, "inclusive") == "true" || text(args, "inclusive") == "1";
            let limit: usize = text(args, "limit").parse().unwrap_or(100);
            let ch = channel(w, args)?;
            let mut found: Vec<Value> = ch
                .messages
                .iter()
                .rev()
                .filter(|m| m.thread_ts.is_none())
                .filter(|m| latest.is_empty() || m.ts < latest || (inclusive && m.ts == latest))
                .take(limit)
                .map(message_json)
                .collect();
            found.truncate(limit);
            Ok(json!({
                "messages": found, "has_more": false, "pin_count": ch.pins.len(),
                "channel_actions_ts": null, "channel_actions_count": 0,
            }))
        }
        "chat.postMessage" => {
            let blocks = message_blocks(args)?;
            let thread_ts = Some(text(args, "thread_ts")).filter(|t| !t.is_empty());
            let ts = w.next_ts();
            let ch = channel(w, args)?;
            if let Some(t) = &thread_ts
                && !ch.messages.iter().any(|m| &m.ts == t)
            {
                return Err(mistake("thread_not_found"));
            }
            let posted = Posted {
                ts: ts.clone(),
                user: BOT.to_owned(),
                text: text(args, "text"),
                blocks,
                thread_ts,
                edits: 0,
            };
            let message = message_json(&posted);
            ch.messages.push(posted);
            Ok(json!({"channel": ch.id, "ts": ts, "message": message}))
        }
        "chat.update" => {
            let blocks = message_blocks(args)?;
            let ts = text(args, "ts");
            let ch = channel(w, args)?;
            let id = ch.id.clone();
            let m = ch
                .messages
                .iter_mut()
                .find(|m| m.ts == ts)
                .ok_or_else(|| state("message_not_found"))?;
            if m.user != BOT {
                return Err(mistake("cant_update_message"));
            }
            m.text = text(args, "text");
            m.blocks = blocks;
            m.edits += 1;
            let message = message_json(m);
            Ok(json!({"channel": id, "ts": ts, "text": m.text, "message": message}))
        }
        "chat.postEphemeral" => {
            let blocks = message_blocks(args)?;
            let user = text(args, "user");
            let ch = channel(w, args)?;
            if !ch.members.contains(&user) && !ch.members.is_empty() && ch.is_im {
                return Err(state("user_not_in_channel"));
            }
            let id = ch.id.clone();
            let ts = w.next_ts();
            w.ephemerals.push((id, user, text(args, "text"), blocks));
            Ok(json!({"message_ts": ts}))
        }
        "pins.add" => {
            let ts = text(args, "timestamp");
            let ch = channel(w, args)?;
            if !ch.messages.iter().any(|m| m.ts == ts) {
                return Err(mistake("message_not_found"));
            }
            if ch.pins.contains(&ts) {
                return Err(state("already_pinned"));
            }
            ch.pins.push(ts);
            Ok(json!({}))
        }
        "views.open" => {
            let view = json_arg(args, "view").ok_or_else(|| mistake("invalid_arguments"))?;
            blocks::check_modal(&view).map_err(|e| mistake(&format!("invalid_view: {e}")))?;
            let trigger = text(args, "trigger_id");
            w.views.push((trigger, view.clone()));
            let id = w.next_id("V");
            Ok(json!({"view": {"id": id, "type": "modal", "blocks": view["blocks"]}}))
        }
        "files.getUploadURLExternal" => {
            let filename = text(args, "filename");
            let length: usize = text(args, "length")
                .parse()
                .map_err(|_| mistake("invalid_arguments"))?;
            if length == 0 {
                return Err(mistake("invalid_length"));
            }
            let id = w.next_id("F");
            w.uploads.insert(
                id.clone(),
                Upload {
                    filename,
                    length,
                    content: None,
                },
            );
            Ok(json!({"upload_url": format!("{base}/upload/{id}"), "file_id": id}))
        }
        "files.completeUploadExternal" => {
            let files = json_arg(args, "files").ok_or_else(|| mistake("invalid_arguments"))?;
            let files = files.as_array().cloned().unwrap_or_default();
            let channel_id = Some(text(args, "channel_id")).filter(|c| !c.is_empty());
            if let Some(c) = &channel_id
                && !w.channels.contains_key(c)
            {
                return Err(state("channel_not_found"));
            }
            let mut shared = Vec::new();
            for f in &files {
                let id = f["id"].as_str().unwrap_or_default().to_owned();
                let upload = w
                    .uploads
                    .remove(&id)
                    .ok_or_else(|| mistake("file_not_found"))?;
                let content = upload
                    .content
                    .ok_or_else(|| mistake("file_upload_not_completed"))?;
                let title = f["title"].as_str().map(String::from);
                shared.push(json!({"id": id, "name": upload.filename, "title": title}));
                w.files.push(SharedFile {
                    filename: upload.filename,
                    title,
                    channel: channel_id.clone(),
                    content,
                });
            }
            if shared.is_empty() {
                return Err(mistake("invalid_arguments"));
            }
            Ok(json!({"files": shared}))
        }
        other => Err(mistake(&format!("the fake does not do {other}"))),
    }
}
