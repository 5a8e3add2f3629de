//! A 2026-07-28 ("modern") client over Streamable HTTP: no session, version and
//! capabilities in every request's `_meta`, the SEP-2243 headers on every POST.
//! Every message it receives is validated against the 2026-07-28 schema.

use std::net::SocketAddr;

use hyper::StatusCode;
use serde_json::{Value, json};

use super::http::{HttpReply, post_json};
use super::schema;

/// The modern protocol version.
pub const MODERN: &str = "2026-07-28";

/// The `_meta` of a modern request declaring `capabilities`.
pub fn meta(capabilities: Value) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": capabilities,
        "io.modelcontextprotocol/clientInfo": { "name": "mcpgen-e2e", "version": "1.0.0" },
    })
}

/// `params` with a modern `_meta` added (kept beside any `_meta` keys given).
pub fn with_meta(params: Value, capabilities: Value) -> Value {
    let mut params = match params {
        Value::Null => json!({}),
        p => p,
    };
    let mut m = meta(capabilities);
    if let Some(extra) = params.get("_meta").and_then(Value::as_object) {
        for (k, v) in extra {
            m[k] = v.clone();
        }
    }
    params["_meta"] = m;
    params
}

/// The `Mcp-Name` a request needs, if any.
fn name_header(method: &str, params: &Value) -> Option<String> {
    let key = match method {
        "tools/call" | "prompts/get" => "name",
        "resources/read" => "uri",
        "tasks/get" | "tasks/update" | "tasks/cancel" => "taskId",
        _ => return None,
    };
    params[key].as_str().map(str::to_owned)
}

/// A whole answer: the status, the media type, and every JSON-RPC message of the
/// body (one for JSON, each `data:` line of an SSE stream).
#[derive(Debug)]
pub struct ModernReply {
    pub status: StatusCode,
    pub content_type: String,
    pub messages: Vec<Value>,
}

impl ModernReply {
    /// The last message: the response.
    pub fn response(&self) -> &Value {
        self.messages
            .last()
            .unwrap_or_else(|| panic!("no message in the answer (status {})", self.status))
    }

    /// The response's result; fails on an error.
    pub fn result(&self) -> &Value {
        let r = self.response();
        r.get("result")
            .unwrap_or_else(|| panic!("expected a result, got {r}"))
    }

    /// The response's error code; fails on a result.
    pub fn error_code(&self) -> i64 {
        let r = self.response();
        r["error"]["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("expected an error, got {r}"))
    }

    /// The notifications before the response.
    pub fn notifications(&self) -> Vec<&Value> {
        self.messages
            .iter()
            .filter(|m| m.get("method").is_some() && m.get("id").is_none())
            .collect()
    }
}

/// Reads a reply to the end and validates every message in it.
pub async fn read_reply(reply: HttpReply, method: &str) -> ModernReply {
    let status = reply.status;
    let content_type = reply.content_type();
    let body = reply.bytes().await;
    let text = String::from_utf8(body).expect("a UTF-8 body");
    let messages: Vec<Value> = if content_type == "text/event-stream" {
        text.lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| serde_json::from_str(d).unwrap_or_else(|e| panic!("bad SSE data ({e}): {d}")))
            .collect()
    } else if text.trim().is_empty() {
        Vec::new()
    } else {
        assert_eq!(content_type, "application/json", "body: {text}");
        vec![serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON ({e}): {text}"))]
    };
    for m in &messages {
        assert!(
            m.get("id").is_none() || m.get("method").is_none(),
            "a modern response stream carried a server request: {m}"
        );
        schema::check_server_message(MODERN, m, Some(method));
    }
    ModernReply {
        status,
        content_type,
        messages,
    }
}

/// A modern client of one server.
pub struct ModernClient {
    pub addr: SocketAddr,
    next_id: i64,
    /// `Authorization: Bearer <token>` on every request, when set.
    pub bearer: Option<String>,
}

impl ModernClient {
    pub fn new(addr: SocketAddr) -> ModernClient {
        ModernClient {
            addr,
            next_id: 1,
            bearer: None,
        }
    }

    pub fn next_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// A request with conformant headers and `_meta`; the reply read and validated.
    pub async fn request(
        &mut self,
        method: &str,
        params: Value,
        capabilities: Value,
    ) -> ModernReply {
        let params = with_meta(params, capabilities);
        let body =
            json!({ "jsonrpc": "2.0", "id": self.next_id(), "method": method, "params": params });
        self.raw(method, &body, &[]).await
    }

    /// POSTs `body` with the standard headers derived from it, then `extra`
    /// (which may override or, with an empty value, remove them).
    pub async fn raw(&mut self, method: &str, body: &Value, extra: &[(&str, &str)]) -> ModernReply {
        let reply = self.send(body, extra).await;
        read_reply(reply, method).await
    }

    /// Like [`ModernClient::raw`], without reading the reply (for streams).
    pub async fn send(&mut self, body: &Value, extra: &[(&str, &str)]) -> HttpReply {
        let method = body["method"].as_str().unwrap_or_default().to_owned();
        let name = name_header(&method, &body["params"]);
        let mut headers: Vec<(&str, &str)> =
            vec![("mcp-protocol-version", MODERN), ("mcp-method", &method)];
        if let Some(name) = &name {
            headers.push(("mcp-name", name));
        }
        if let Some(bearer) = &self.bearer {
            headers.push(("authorization", bearer));
        }
        headers.extend_from_slice(extra);
        post_json(self.addr, &headers, body).await
    }

    /// Calls a tool and returns the reply.
    pub async fn call_tool(
        &mut self,
        name: &str,
        arguments: Value,
        capabilities: Value,
    ) -> ModernReply {
        self.request(
            "tools/call",
            json!({ "name": name, "arguments": arguments }),
            capabilities,
        )
        .await
    }
}
