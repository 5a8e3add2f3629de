//! JSON-RPC 2.0: ids, error codes, parsing one message (or a batch) and writing
//! responses, requests and notifications.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::error::RequestError;

/// Standard and MCP error codes.
#[derive(Debug)]
pub struct ErrorCode;

impl ErrorCode {
    /// The body is not JSON.
    pub const PARSE_ERROR: i32 = -32700;
    /// The JSON is not a valid request.
    pub const INVALID_REQUEST: i32 = -32600;
    /// The method does not exist (or is not offered).
    pub const METHOD_NOT_FOUND: i32 = -32601;
    /// The parameters are wrong.
    pub const INVALID_PARAMS: i32 = -32602;
    /// The server failed.
    pub const INTERNAL_ERROR: i32 = -32603;
    /// MCP (legacy era): the resource does not exist.
    pub const RESOURCE_NOT_FOUND: i32 = -32002;
}

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
        method: String,
        params: Option<Value>,
    },
    Notification {
        method: String,
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

/// `{"jsonrpc":"2.0","id":…,"result":…}`
pub(crate) fn response(id: &RequestId, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

/// `{"jsonrpc":"2.0","id":…,"error":{…}}`; the id is omitted when unknown
/// (never `null`, which the MCP schema rejects).
pub(crate) fn error_response(id: Option<&RequestId>, error: &RequestError) -> Value {
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
    Value::Object(obj)
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
        assert!(v.get("id").is_none());
    }
}
