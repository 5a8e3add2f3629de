//! Checking replies: every answer must be the right JSON-RPC response, carrying
//! exactly the text that was sent. A reply that is not is an error, with a reason.

use serde::Serialize;
use serde_json::Value;

use crate::sse;

/// How an HTTP answer was framed, from its `content-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `application/json`: the body is the JSON-RPC message.
    Json,
    /// `text/event-stream`: the message is in one of the events.
    Sse,
}

impl Format {
    /// The format a `content-type` value names, if it is one of the two.
    pub fn from_content_type(content_type: &str) -> Option<Format> {
        let media = content_type.split(';').next().unwrap_or_default().trim();
        if media.eq_ignore_ascii_case("application/json") {
            Some(Format::Json)
        } else if media.eq_ignore_ascii_case("text/event-stream") {
            Some(Format::Sse)
        } else {
            None
        }
    }

    /// The media type, for messages.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Sse => "text/event-stream",
        }
    }
}

/// The JSON-RPC response with id `id` in an HTTP answer: status 200, a JSON or SSE
/// body (SSE events with empty data, such as the priming event, are skipped).
pub fn response_in_http_reply(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    id: u64,
) -> Result<(Format, Value), String> {
    if status != 200 {
        let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
        return Err(format!("HTTP {status}: {text}"));
    }
    let content_type = content_type.ok_or("no content-type")?;
    let format = Format::from_content_type(content_type)
        .ok_or_else(|| format!("unexpected content-type {content_type:?}"))?;
    let body = std::str::from_utf8(body).map_err(|_| "body is not UTF-8".to_owned())?;
    let response = match format {
        Format::Json => {
            let message: Value =
                serde_json::from_str(body).map_err(|e| format!("invalid JSON body: {e}"))?;
            find_response(message, id)
        }
        Format::Sse => {
            let parsed = sse::parse(body);
            let mut found = None;
            for event in parsed.events.iter().filter(|e| !e.data.is_empty()) {
                let message: Value = serde_json::from_str(&event.data)
                    .map_err(|e| format!("invalid JSON in SSE data: {e}"))?;
                if let Some(response) = find_response(message, id) {
                    found = Some(response);
                    break;
                }
            }
            if found.is_none() && parsed.truncated {
                return Err("SSE stream ended inside an event, before the response".into());
            }
            found
        }
    };
    let response = response.ok_or_else(|| format!("no response with id {id} in the reply"))?;
    Ok((format, response))
}

/// The response with id `id` in a message (or a batch of messages), if any.
fn find_response(message: Value, id: u64) -> Option<Value> {
    match message {
        Value::Array(batch) => batch.into_iter().find(|m| has_id(m, id)),
        single => has_id(&single, id).then_some(single),
    }
}

fn has_id(message: &Value, id: u64) -> bool {
    message.get("id").and_then(Value::as_u64) == Some(id) && message.get("method").is_none()
}

/// Checks an echo tools/call response: JSON-RPC 2.0, id `id`, no `error`, no
/// `isError: true`, and `result.content[0].text` exactly `text`.
pub fn check_echo_response(response: &Value, id: u64, text: &str) -> Result<(), String> {
    check_success(response, id)?;
    let result = &response["result"];
    if result.get("isError").and_then(Value::as_bool) == Some(true) {
        return Err(format!("tool error: {}", clip(&result.to_string())));
    }
    let block = &result["content"][0];
    if block.get("type").and_then(Value::as_str) != Some("text") {
        return Err(format!(
            "first content block is not text: {}",
            clip(&block.to_string())
        ));
    }
    match block.get("text").and_then(Value::as_str) {
        Some(echoed) if echoed == text => Ok(()),
        Some(echoed) => Err(format!(
            "wrong text: sent {:?}, got {:?}",
            clip(text),
            clip(echoed)
        )),
        None => Err("text block without text".into()),
    }
}

/// Checks that `response` is a successful JSON-RPC 2.0 response with id `id`.
pub fn check_success(response: &Value, id: u64) -> Result<(), String> {
    if response.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(format!("not JSON-RPC 2.0: {}", clip(&response.to_string())));
    }
    if response.get("id").and_then(Value::as_u64) != Some(id) {
        return Err(format!("wrong id: expected {id}, got {}", response["id"]));
    }
    if let Some(error) = response.get("error") {
        return Err(format!("JSON-RPC error: {}", clip(&error.to_string())));
    }
    if !response.get("result").is_some_and(Value::is_object) {
        return Err(format!("no result object: {}", clip(&response.to_string())));
    }
    Ok(())
}

/// Checks a whole HTTP answer to an echo call.
pub fn check_echo_http_reply(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    id: u64,
    text: &str,
) -> Result<Format, String> {
    let (format, response) = response_in_http_reply(status, content_type, body, id)?;
    check_echo_response(&response, id, text)?;
    Ok(format)
}

/// At most 120 characters of `text`, for error reasons.
fn clip(text: &str) -> &str {
    match text.char_indices().nth(120) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SSE: Option<&str> = Some("text/event-stream");
    const JSON: Option<&str> = Some("application/json");

    fn echo_result(id: u64, text: &str) -> String {
        format!(
            r#"{{"jsonrpc":"2.0","id":{id},"result":{{"content":[{{"type":"text","text":"{text}"}}]}}}}"#
        )
    }

    fn sse_body(message: &str) -> String {
        format!("id: 1-0\nretry: 1000\ndata: \n\nid: 1-1\nevent: message\ndata: {message}\n\n")
    }

    #[test]
    fn good_replies_pass() {
        let json = echo_result(7, "hi there");
        assert_eq!(
            check_echo_http_reply(200, JSON, json.as_bytes(), 7, "hi there"),
            Ok(Format::Json)
        );
        let sse = sse_body(&json);
        assert_eq!(
            check_echo_http_reply(200, SSE, sse.as_bytes(), 7, "hi there"),
            Ok(Format::Sse)
        );
        let with_charset = Some("application/json; charset=utf-8");
        assert!(check_echo_http_reply(200, with_charset, json.as_bytes(), 7, "hi there").is_ok());
    }

    #[test]
    fn sse_skips_other_messages_before_the_response() {
        let note = r#"{"jsonrpc":"2.0","method":"notifications/message","params":{}}"#;
        let body = format!("data: {note}\n\n{}", sse_body(&echo_result(3, "x")));
        assert!(check_echo_http_reply(200, SSE, body.as_bytes(), 3, "x").is_ok());
    }

    #[test]
    fn wrong_id_is_an_error() {
        let json = echo_result(8, "a");
        assert!(check_echo_http_reply(200, JSON, json.as_bytes(), 7, "a").is_err());
        let sse = sse_body(&json);
        assert!(check_echo_http_reply(200, SSE, sse.as_bytes(), 7, "a").is_err());
        let response: Value = serde_json::from_str(&json).unwrap();
        assert!(
            check_echo_response(&response, 7, "a")
                .unwrap_err()
                .contains("wrong id")
        );
    }

    #[test]
    fn wrong_text_is_an_error() {
        let json = echo_result(1, "abd");
        let reason = check_echo_http_reply(200, JSON, json.as_bytes(), 1, "abc").unwrap_err();
        assert!(reason.contains("wrong text"), "{reason}");
        // Text sent back only as a prefix or with more is wrong too.
        let longer = echo_result(1, "abcd");
        assert!(check_echo_http_reply(200, JSON, longer.as_bytes(), 1, "abc").is_err());
    }

    #[test]
    fn error_replies_are_errors() {
        let error = r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"bad"}}"#;
        let reason = check_echo_http_reply(200, JSON, error.as_bytes(), 1, "a").unwrap_err();
        assert!(reason.contains("JSON-RPC error"), "{reason}");
        let sse = sse_body(error);
        assert!(check_echo_http_reply(200, SSE, sse.as_bytes(), 1, "a").is_err());
    }

    #[test]
    fn tool_errors_are_errors() {
        let is_error = r#"{"jsonrpc":"2.0","id":1,"result":{"isError":true,"content":[{"type":"text","text":"a"}]}}"#;
        let reason = check_echo_http_reply(200, JSON, is_error.as_bytes(), 1, "a").unwrap_err();
        assert!(reason.contains("tool error"), "{reason}");
    }

    #[test]
    fn truncated_sse_is_an_error() {
        let full = sse_body(&echo_result(5, "abc"));
        // Cut before the blank line that ends the response event, and mid-JSON.
        let unterminated = &full[..full.len() - 1];
        let reason =
            check_echo_http_reply(200, SSE, unterminated.as_bytes(), 5, "abc").unwrap_err();
        assert!(reason.contains("SSE stream ended"), "{reason}");
        let mid_json = &full[..full.len() - 12];
        assert!(check_echo_http_reply(200, SSE, mid_json.as_bytes(), 5, "abc").is_err());
        // Only the priming event.
        let priming = "id: 1-0\nretry: 1000\ndata: \n\n";
        assert!(check_echo_http_reply(200, SSE, priming.as_bytes(), 5, "abc").is_err());
    }

    #[test]
    fn http_failures_are_errors() {
        let json = echo_result(1, "a");
        let reason = check_echo_http_reply(500, JSON, b"oops", 1, "a").unwrap_err();
        assert!(reason.starts_with("HTTP 500"), "{reason}");
        assert!(check_echo_http_reply(200, None, json.as_bytes(), 1, "a").is_err());
        assert!(check_echo_http_reply(200, Some("text/plain"), json.as_bytes(), 1, "a").is_err());
        assert!(check_echo_http_reply(200, JSON, b"{not json", 1, "a").is_err());
        assert!(check_echo_http_reply(200, JSON, b"\xff\xfe", 1, "a").is_err());
    }

    #[test]
    fn malformed_results_are_errors() {
        for response in [
            r#"{"id":1,"result":{"content":[{"type":"text","text":"a"}]}}"#,
            r#"{"jsonrpc":"2.0","id":1}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":{"content":[]}}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"image","data":"a"}]}}"#,
            r#"{"jsonrpc":"2.0","id":"1","result":{"content":[{"type":"text","text":"a"}]}}"#,
        ] {
            let value: Value = serde_json::from_str(response).unwrap();
            assert!(check_echo_response(&value, 1, "a").is_err(), "{response}");
        }
    }
}
