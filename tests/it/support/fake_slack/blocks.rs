//! Block Kit's limits, checked by the fake as Slack checks them (`invalid_blocks`). Written
//! apart from Warroom's renderer, from Slack's Block Kit reference.

use std::collections::HashSet;

use serde_json::Value;

fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

fn text_object(v: &Value, max: usize, plain_only: bool, what: &str) -> Result<(), String> {
    let kind = v["type"].as_str().unwrap_or_default();
    let allowed = if plain_only {
        kind == "plain_text"
    } else {
        kind == "plain_text" || kind == "mrkdwn"
    };
    if !allowed {
        return Err(format!("{what}: a text object of type {kind:?}"));
    }
    let n = chars(&v["text"]);
    if n == 0 || n > max {
        return Err(format!("{what}: {n} characters (1 to {max})"));
    }
    Ok(())
}

fn confirm(v: &Value) -> Result<(), String> {
    text_object(&v["title"], 100, true, "confirm title")?;
    text_object(&v["text"], 300, false, "confirm text")?;
    text_object(&v["confirm"], 30, true, "confirm button")?;
    text_object(&v["deny"], 30, true, "deny button")
}

fn element(e: &Value, ids: &mut HashSet<String>) -> Result<(), String> {
    if let Some(id) = e.get("action_id") {
        let n = chars(id);
        if n == 0 || n > 255 {
            return Err(format!("action_id of {n} characters"));
        }
        if !ids.insert(id.as_str().unwrap_or_default().to_owned()) {
            return Err(format!("action_id {id} twice in one message"));
        }
    }
    if let Some(c) = e.get("confirm") {
        confirm(c)?;
    }
    match e["type"].as_str().unwrap_or_default() {
        "button" => {
            text_object(&e["text"], 75, true, "button text")?;
            if let Some(v) = e.get("value")
                && chars(v) > 2000
            {
                return Err("button value over 2000 characters".into());
            }
            if let Some(style) = e.get("style")
                && !matches!(style.as_str(), Some("primary" | "danger"))
            {
                return Err(format!("button style {style}"));
            }
            Ok(())
        }
        "static_select" => {
            if let Some(p) = e.get("placeholder") {
                text_object(p, 150, true, "select placeholder")?;
            }
            let options = e["options"].as_array().ok_or("a select without options")?;
            if options.is_empty() || options.len() > 100 {
                return Err(format!("a select with {} options", options.len()));
            }
            for o in options {
                text_object(&o["text"], 75, true, "option text")?;
                let n = chars(&o["value"]);
                if n == 0 || n > 150 {
                    return Err(format!("option value of {n} characters"));
                }
            }
            Ok(())
        }
        "plain_text_input" => Ok(()),
        other => Err(format!("element type {other:?}")),
    }
}

/// Checks blocks as Slack does: at most `max_blocks`, each within its type's limits.
pub fn check(blocks: &Value, max_blocks: usize) -> Result<(), String> {
    let blocks = blocks.as_array().ok_or("blocks is not an array")?;
    if blocks.len() > max_blocks {
        return Err(format!("{} blocks (at most {max_blocks})", blocks.len()));
    }
    let mut ids = HashSet::new();
    for b in blocks {
        match b["type"].as_str().unwrap_or_default() {
            "header" => text_object(&b["text"], 150, true, "header")?,
            "section" => {
                let text = b.get("text");
                let fields = b.get("fields").and_then(Value::as_array);
                if text.is_none() && fields.is_none() {
                    return Err("a section without text or fields".into());
                }
                if let Some(t) = text {
                    text_object(t, 3000, false, "section text")?;
                }
                if let Some(fields) = fields {
                    if fields.is_empty() || fields.len() > 10 {
                        return Err(format!("a section with {} fields", fields.len()));
                    }
                    for f in fields {
                        text_object(f, 2000, false, "field")?;
                    }
                }
            }
            "actions" => {
                let elements = b["elements"].as_array().ok_or("actions without elements")?;
                if elements.is_empty() || elements.len() > 25 {
                    return Err(format!("an actions block with {} elements", elements.len()));
                }
                for e in elements {
                    element(e, &mut ids)?;
                }
            }
            "context" => {
                let elements = b["elements"].as_array().ok_or("context without elements")?;
                if elements.is_empty() || elements.len() > 10 {
                    return Err(format!("a context block with {} elements", elements.len()));
                }
                for e in elements {
                    text_object(e, 3000, false, "context element")?;
                }
            }
            "input" => {
                text_object(&b["label"], 2000, true, "input label")?;
                element(&b["element"], &mut ids)?;
            }
            "divider" => {}
            other => return Err(format!("block type {other:?}")),
        }
    }
    Ok(())
}

/// Checks a modal view: title, submit and close of at most 24 characters, private metadata of
/// at most 3000, at most 100 blocks.
pub fn check_modal(view: &Value) -> Result<(), String> {
    if view["type"] != "modal" {
        return Err("a view that is not a modal".into());
    }
    text_object(&view["title"], 24, true, "modal title")?;
    for key in ["submit", "close"] {
        if let Some(v) = view.get(key) {
            text_object(v, 24, true, key)?;
        }
    }
    if chars(&view["private_metadata"]) > 3000 {
        return Err("private_metadata over 3000 characters".into());
    }
    check(&view["blocks"], 100)
}
