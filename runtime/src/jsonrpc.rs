//! JSON-RPC 2.0: ids, error codes, parsing one message (or a batch) and writing
//! responses, requests and notifications.

use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

// The codes live with the errors that carry them (`error` is a leaf); they are
// named here too, where the wire is.
pub use crate::error::ErrorCode;
use crate::error::RequestError;
use crate::method::MethodName;

/// A request id: a string or an integer, never null.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RequestId {
    /// An integer id.
    Number(i64),
    /// A string id.
    String(String),
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestId::Number(n) => write!(f, "{n}"),
            RequestId::String(s) => f.write_str(s),
        }
    }
}

impl RequestId {
    fn from_value(v: &Value) -> Option<RequestId> {
        match v {
            Value::String(s) => Some(RequestId::String(s.clone())),
            Value::Number(n) => n.as_i64().map(RequestId::Number),
            _ => None,
        }
    }
}

/// One incoming JSON-RPC message.
#[derive(Debug)]
pub(crate) enum Incoming {
    Request {
        id: RequestId,
        method: MethodName,
        params: Option<Value>,
    },
    Notification {
        method: MethodName,
        params: Option<Value>,
    },
    Response {
        id: RequestId,
        result: Result<Value, RequestError>,
    },
}

/// A message that is not valid JSON-RPC: answer with this error, using the id
/// when one could be read.
#[derive(Debug)]
pub(crate) struct Invalid {
    pub id: Option<RequestId>,
    pub error: RequestError,
}

fn invalid(id: Option<RequestId>, why: &str) -> Box<Invalid> {
    Box::new(Invalid {
        id,
        error: RequestError::new(
            ErrorCode::INVALID_REQUEST,
            format!("Invalid request: {why}"),
        ),
    })
}

/// Sorts one parsed JSON value into a request, notification or response.
pub(crate) fn classify(value: Value) -> Result<Incoming, Box<Invalid>> {
    let Value::Object(mut obj) = value else {
        return Err(invalid(None, "a message must be a JSON object"));
    };
    let raw_id = obj.remove("id");
    let id = match &raw_id {
        None => None,
        Some(v) => match RequestId::from_value(v) {
            Some(id) => Some(id),
            None => return Err(invalid(None, "`id` must be a string or an integer")),
        },
    };
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(invalid(id, "`jsonrpc` must be \"2.0\""));
    }
    if let Some(method) = obj.remove("method") {
        let Value::String(method) = method else {
            return Err(invalid(id, "`method` must be a string"));
        };
        let params = obj.remove("params");
        if let Some(p) = &params {
            if !p.is_object() && !p.is_array() {
                return Err(invalid(id, "`params` must be an object"));
            }
        }
        // The one place a method name is parsed.
        let method = MethodName::parse(method);
        return Ok(match id {
            Some(id) => Incoming::Request { id, method, params },
            None => Incoming::Notification { method, params },
        });
    }
    let Some(id) = id else {
        return Err(invalid(
            None,
            "a message needs a `method`, or an `id` with a result",
        ));
    };
    if let Some(result) = obj.remove("result") {
        return Ok(Incoming::Response {
            id,
            result: Ok(result),
        });
    }
    if let Some(Value::Object(err)) = obj.remove("error") {
        let code = err
            .get("code")
            .and_then(Value::as_i64)
            .and_then(|c| i32::try_from(c).ok())
            .unwrap_or(ErrorCode::INTERNAL_ERROR);
        let message = err
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut error = RequestError::new(code, message);
        error.data = err.get("data").cloned();
        return Ok(Incoming::Response {
            id,
            result: Err(error),
        });
    }
    Err(invalid(
        Some(id),
        "a message needs a `method`, a `result` or an `error`",
    ))
}

/// A whole body: one message or, where the protocol allows, a batch.
pub(crate) enum Body {
    Single(Value),
    Batch(Vec<Value>),
}

/// Parses a body. A syntax error is `-32700`; an empty batch is `-32600`.
pub(crate) fn parse_body(bytes: &[u8]) -> Result<Body, RequestError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Array(items)) if items.is_empty() => Err(RequestError::new(
            ErrorCode::INVALID_REQUEST,
            "Invalid request: empty batch",
        )),
        Ok(Value::Array(items)) => Ok(Body::Batch(items)),
        Ok(v) => Ok(Body::Single(v)),
        Err(e) => Err(RequestError::new(
            ErrorCode::PARSE_ERROR,
            format!("Parse error: {e}"),
        )),
    }
}

/// One JSON-RPC message, serialized: what the transports write. Answers are
/// encoded once, where they are made, so a precomputed result (a list page) is
/// copied into the message rather than rebuilt as a `Value`.
pub(crate) type Encoded = Box<RawValue>;

/// Serializes a message. `Value`s always serialize; the fallback is unreachable.
pub(crate) fn encode(message: &Value) -> Encoded {
    serde_json::value::to_raw_value(message).unwrap_or_else(|_| empty_object())
}

fn empty_object() -> Encoded {
    RawValue::from_string("{}".to_owned()).unwrap_or_default()
}

/// Wraps already-valid JSON text; `text` must be JSON (every caller builds it
/// from encoded parts).
pub(crate) fn from_json_text(text: String) -> Encoded {
    RawValue::from_string(text).unwrap_or_else(|_| empty_object())
}

/// `{"jsonrpc":"2.0","id":…,"result":…}`
pub(crate) fn response(id: &RequestId, result: &RawValue) -> Encoded {
    let mut out = String::with_capacity(result.get().len() + 40);
    out.push_str(r#"{"jsonrpc":"2.0","id":"#);
    write_id(&mut out, id);
    out.push_str(r#","result":"#);
    out.push_str(result.get());
    out.push('}');
    from_json_text(out)
}

fn write_id(out: &mut String, id: &RequestId) {
    match id {
        RequestId::Number(n) => {
            let _ = write!(out, "{n}");
        }
        // String ids are rare; numbers are what clients send.
        RequestId::String(s) => out.push_str(&Value::String(s.clone()).to_string()),
    }
}

/// A batch's answers, as one JSON array.
pub(crate) fn batch(messages: &[Encoded]) -> Encoded {
    let mut out = String::new();
    push_array(&mut out, messages);
    from_json_text(out)
}

/// Appends `[a,b,…]` made of encoded values: a batch, or a list page.
pub(crate) fn push_array(out: &mut String, items: &[Encoded]) {
    out.reserve(items.iter().map(|i| i.get().len() + 1).sum::<usize>() + 2);
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item.get());
    }
    out.push(']');
}

/// `{"jsonrpc":"2.0","id":…,"error":{…}}`; the id is omitted when unknown
/// (never `null`, which the MCP schema rejects).
pub(crate) fn error_response(id: Option<&RequestId>, error: &RequestError) -> Encoded {
    let mut err = Map::new();
    err.insert("code".into(), error.code.into());
    err.insert("message".into(), error.message.clone().into());
    if let Some(data) = &error.data {
        err.insert("data".into(), data.clone());
    }
    let mut obj = Map::new();
    obj.insert("jsonrpc".into(), "2.0".into());
    if let Some(id) = id {
        obj.insert("id".into(), json!(id));
    }
    obj.insert("error".into(), Value::Object(err));
    encode(&Value::Object(obj))
}

/// `{"jsonrpc":"2.0","method":…,"params":…}`
pub(crate) fn notification(method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "method": method, "params": params })
}

/// `{"jsonrpc":"2.0","id":…,"method":…,"params":…}`
pub(crate) fn request(id: &RequestId, method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_each_kind() {
        let r = classify(json!({"jsonrpc":"2.0","id":1,"method":"ping"})).unwrap();
        assert!(matches!(
            r,
            Incoming::Request {
                id: RequestId::Number(1),
                ..
            }
        ));
        let n = classify(json!({"jsonrpc":"2.0","method":"notifications/initialized"})).unwrap();
        assert!(matches!(n, Incoming::Notification { .. }));
        let ok = classify(json!({"jsonrpc":"2.0","id":"a","result":{}})).unwrap();
        assert!(matches!(ok, Incoming::Response { result: Ok(_), .. }));
        let err =
            classify(json!({"jsonrpc":"2.0","id":"a","error":{"code":-1,"message":"no"}})).unwrap();
        assert!(matches!(err, Incoming::Response { result: Err(ref e), .. } if e.code == -1));
    }

    #[test]
    fn rejects_invalid_messages_keeping_the_id() {
        let e = classify(json!({"jsonrpc":"1.0","id":7,"method":"ping"})).unwrap_err();
        assert_eq!(e.id, Some(RequestId::Number(7)));
        assert_eq!(e.error.code, ErrorCode::INVALID_REQUEST);
        let e = classify(json!({"jsonrpc":"2.0","id":null,"method":"ping"})).unwrap_err();
        assert_eq!(e.id, None);
        let e = classify(json!("hello")).unwrap_err();
        assert_eq!(e.error.code, ErrorCode::INVALID_REQUEST);
        let e = classify(json!({"jsonrpc":"2.0","id":1,"method":"x","params":3})).unwrap_err();
        assert_eq!(e.error.code, ErrorCode::INVALID_REQUEST);
    }

    #[test]
    fn parse_errors_are_32700() {
        assert_eq!(
            parse_body(b"{oops").err().unwrap().code,
            ErrorCode::PARSE_ERROR
        );
        assert_eq!(
            parse_body(b"[]").err().unwrap().code,
            ErrorCode::INVALID_REQUEST
        );
        assert!(matches!(parse_body(b"[{}]"), Ok(Body::Batch(_))));
    }

    #[test]
    fn error_without_id_omits_it() {
        let v = error_response(None, &RequestError::new(-32700, "Parse error"));
        let v: Value = serde_json::from_str(v.get()).unwrap();
        assert!(v.get("id").is_none());
    }

    #[test]
    fn responses_splice_the_result() {
        let result = encode(&json!({"content": [{"type": "text", "text": "a\"b"}]}));
        let number = response(&RequestId::Number(-7), &result);
        let v: Value = serde_json::from_str(number.get()).unwrap();
        assert_eq!(
            v,
            json!({"jsonrpc": "2.0", "id": -7, "result": {"content": [{"type": "text", "text": "a\"b"}]}})
        );
        let string = response(&RequestId::String("x\"y".into()), &result);
        let v: Value = serde_json::from_str(string.get()).unwrap();
        assert_eq!(v["id"], json!("x\"y"));
        let both: Value = serde_json::from_str(batch(&[number, string]).get()).unwrap();
        assert_eq!(both.as_array().map(Vec::len), Some(2));
    }
}
