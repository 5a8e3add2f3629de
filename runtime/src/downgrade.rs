//! Down-conversion of results for older clients: a client never receives a
//! construct its protocol revision's schema lacks.

use serde_json::{Map, Value, json};

use crate::protocol::ProtocolVersion;

/// Server `Implementation` fields by revision.
pub(crate) fn implementation(info: &mut Value, v: ProtocolVersion) {
    let Value::Object(obj) = info else { return };
    if !v.has_structured_output() {
        obj.remove("title");
    }
    if !v.has_icons() {
        obj.remove("description");
        obj.remove("icons");
        obj.remove("websiteUrl");
    }
}

/// A `Tool` for the list.
pub(crate) fn tool(tool: &mut Value, v: ProtocolVersion) {
    let Value::Object(obj) = tool else { return };
    if !v.has_annotations() {
        obj.remove("annotations");
    }
    if !v.has_structured_output() {
        obj.remove("title");
        obj.remove("outputSchema");
    }
    if !v.has_icons() {
        obj.remove("icons");
        obj.remove("execution");
    }
}

/// A `Resource`, `ResourceTemplate` or `Prompt` for its list.
pub(crate) fn listed_item(item: &mut Value, v: ProtocolVersion) {
    let Value::Object(obj) = item else { return };
    if !v.has_structured_output() {
        obj.remove("title");
        if let Some(Value::Object(a)) = obj.get_mut("annotations") {
            a.remove("lastModified");
        }
        if let Some(Value::Array(args)) = obj.get_mut("arguments") {
            for arg in args {
                if let Value::Object(a) = arg {
                    a.remove("title");
                }
            }
        }
    }
    if !v.has_icons() {
        obj.remove("icons");
    }
}

/// One content block: audio becomes text before 2025-03-26, resource links become
/// text before 2025-06-18.
pub(crate) fn content(block: &mut Value, v: ProtocolVersion) {
    let kind = block
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let replacement = match kind {
        "audio" if !v.has_audio() => {
            let mime = block
                .get("mimeType")
                .and_then(Value::as_str)
                .unwrap_or("audio");
            Some(format!(
                "[{mime} audio omitted: this client cannot play audio]"
            ))
        }
        "resource_link" if !v.has_structured_output() => {
            let uri = block.get("uri").and_then(Value::as_str).unwrap_or_default();
            let name = block.get("name").and_then(Value::as_str).unwrap_or(uri);
            Some(format!("Resource {name}: {uri}"))
        }
        _ => None,
    };
    if let Some(text) = replacement {
        *block = json!({ "type": "text", "text": text });
        return;
    }
    if let Value::Object(obj) = block {
        if !v.has_structured_output() {
            if let Some(Value::Object(a)) = obj.get_mut("annotations") {
                a.remove("lastModified");
            }
        }
    }
}

/// A `CallToolResult`.
pub(crate) fn call_tool_result(result: &mut Value, v: ProtocolVersion) {
    let Value::Object(obj) = result else { return };
    if !v.has_structured_output() {
        obj.remove("structuredContent");
    }
    contents(obj, "content", v);
}

/// A `GetPromptResult`.
pub(crate) fn prompt_result(result: &mut Value, v: ProtocolVersion) {
    if let Some(Value::Array(messages)) = result.get_mut("messages") {
        for m in messages {
            if let Some(c) = m.get_mut("content") {
                content(c, v);
            }
        }
    }
}

fn contents(obj: &mut Map<String, Value>, key: &str, v: ProtocolVersion) {
    if let Some(Value::Array(blocks)) = obj.get_mut(key) {
        for b in blocks {
            content(b, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_clients_get_text_for_unknown_blocks() {
        let mut r = json!({"content":[{"type":"audio","data":"AA==","mimeType":"audio/wav"},
            {"type":"resource_link","uri":"a://b","name":"b"}],"structuredContent":{"x":1}});
        call_tool_result(&mut r, ProtocolVersion::V2024_11_05);
        assert_eq!(r["content"][0]["type"], "text");
        assert_eq!(r["content"][1]["type"], "text");
        assert!(r.get("structuredContent").is_none());

        let mut r2 = json!({"content":[{"type":"audio","data":"AA==","mimeType":"audio/wav"}]});
        call_tool_result(&mut r2, ProtocolVersion::V2025_03_26);
        assert_eq!(r2["content"][0]["type"], "audio");
    }

    #[test]
    fn tools_lose_newer_fields() {
        let mut t = json!({"name":"x","title":"X","inputSchema":{"type":"object"},
            "outputSchema":{"type":"object"},"annotations":{},"icons":[]});
        tool(&mut t, ProtocolVersion::V2025_06_18);
        assert!(t.get("icons").is_none() && t.get("title").is_some());
        tool(&mut t, ProtocolVersion::V2024_11_05);
        assert_eq!(t, json!({"name":"x","inputSchema":{"type":"object"}}));
    }
}
