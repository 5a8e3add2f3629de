//! Middleware and the HTTP request's parts, on a server assembled with
//! `ServerBuilder`: middleware sees every request of both eras over stdio and
//! HTTP (method, name, era, session tag, extensions), can refuse one with a
//! JSON-RPC error, and sees every outcome; what an outer tower layer puts in a
//! request's extensions reaches the handler.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use mcpgen_runtime::codegen::*;
use mcpgen_runtime::{HttpConfig, McpRequest, McpService, Middleware, Outcome};
use serde_json::json;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tower_service::Service as _;

const STEP: Duration = Duration::from_secs(5);

/// What an outer layer leaves in a request's extensions.
#[derive(Clone, Debug, PartialEq)]
struct Tenant(&'static str);

/// Everything middleware saw: one line per `before` and per `after`.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

impl Seen {
    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// Records every request and refuses the tool named `forbidden`.
struct Recorder(Seen);

impl Middleware for Recorder {
    fn before(&self, request: &McpRequest<'_>) -> Result<(), RequestError> {
        let tenant = request.extensions().get::<Tenant>().map(|t| t.0);
        self.0.0.lock().unwrap().push(format!(
            "before {} {:?} stateless={} session={} tenant={tenant:?} http={}",
            request.method(),
            request.name(),
            request.is_stateless(),
            request.session_tag().is_some(),
            request.headers().is_some(),
        ));
        if request.name() == Some("forbidden") {
            return Err(RequestError::new(
                -32000,
                "tool `forbidden` is disabled here",
            ));
        }
        Ok(())
    }

    fn after(&self, request: &McpRequest<'_>, outcome: &Outcome<'_>) {
        self.0.0.lock().unwrap().push(format!(
            "after {} {:?} error={:?} cancelled={}",
            request.method(),
            request.name(),
            outcome.error().map(RequestError::code),
            outcome.is_cancelled(),
        ));
    }
}

/// A second middleware, to show the order: it runs after the first.
struct Second(Seen);

impl Middleware for Second {
    fn before(&self, request: &McpRequest<'_>) -> Result<(), RequestError> {
        self.0
            .0
            .lock()
            .unwrap()
            .push(format!("second {}", request.method()));
        Ok(())
    }
}

fn server(seen: &Seen) -> Server {
    let mut b = ServerBuilder::new(r#"{"name":"middleware-test","version":"0.0.1"}"#);
    for name in ["tenant", "forbidden"] {
        let def = json!({ "name": name, "inputSchema": { "type": "object" } }).to_string();
        b.tool(&def, |ctx: Context, _args| async move {
            let tenant = ctx.extensions().get::<Tenant>().map_or("none", |t| t.0);
            let via = if ctx.http_headers().is_some() {
                "http"
            } else {
                "stdio"
            };
            Ok(CallToolResult::text(format!("tenant {tenant} via {via}")))
        });
    }
    b.build()
        .middleware(Recorder(seen.clone()))
        .middleware(Second(seen.clone()))
}

async fn stdio_exchange(server: Server, messages: &[serde_json::Value]) -> Vec<serde_json::Value> {
    let (client, server_end) = tokio::io::duplex(1 << 16);
    let (input, output) = tokio::io::split(server_end);
    tokio::spawn(server.serve_io(input, output));
    let (reader, mut writer) = tokio::io::split(client);
    for m in messages {
        writer.write_all(format!("{m}\n").as_bytes()).await.unwrap();
    }
    let mut lines = BufReader::new(reader).lines();
    let mut out: Vec<serde_json::Value> = Vec::new();
    let expected = messages.iter().filter(|m| m.get("id").is_some()).count();
    while out.iter().filter(|m| m.get("id").is_some()).count() < expected {
        let line = tokio::time::timeout(STEP, lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("no answer in time; so far: {out:#?}"))
            .unwrap()
            .expect("more output");
        out.push(serde_json::from_str(&line).unwrap());
    }
    out
}

fn modern_meta() -> serde_json::Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": { "name": "t", "version": "1" }
    })
}

#[tokio::test]
async fn middleware_sees_both_eras_on_stdio_and_can_refuse() {
    let seen = Seen::default();
    let answers = stdio_exchange(
        server(&seen),
        &[
            json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": { "name": "t", "version": "1" } } }),
            json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }),
            json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/call",
                    "params": { "name": "tenant" } }),
            json!({ "jsonrpc": "2.0", "id": 3, "method": "tools/call",
                    "params": { "name": "forbidden" } }),
            json!({ "jsonrpc": "2.0", "id": 4, "method": "tools/call",
                    "params": { "name": "forbidden", "_meta": modern_meta() } }),
        ],
    )
    .await;
    let by_id = |id: i64| answers.iter().find(|m| m["id"] == id).cloned().unwrap();
    assert_eq!(
        by_id(2)["result"]["content"][0]["text"],
        "tenant none via stdio"
    );
    for id in [3, 4] {
        let refused = by_id(id);
        assert_eq!(refused["error"]["code"], -32000, "{refused}");
        assert_eq!(
            refused["error"]["message"],
            "tool `forbidden` is disabled here"
        );
    }
    let lines = seen.lines();
    assert_eq!(
        lines,
        [
            "before tools/call Some(\"tenant\") stateless=false session=false tenant=None http=false",
            "second tools/call",
            "after tools/call Some(\"tenant\") error=None cancelled=false",
            "before tools/call Some(\"forbidden\") stateless=false session=false tenant=None http=false",
            // A refusal stops the chain's `before`s; every `after` still runs.
            "after tools/call Some(\"forbidden\") error=Some(-32000) cancelled=false",
            "before tools/call Some(\"forbidden\") stateless=true session=false tenant=None http=false",
            "after tools/call Some(\"forbidden\") error=Some(-32000) cancelled=false",
        ],
        "{lines:#?}"
    );
}

/// One request through the tower service, as an outer layer would pass it on:
/// with a `Tenant` in its extensions.
async fn through_service(
    service: &mut McpService,
    session: Option<&str>,
    body: serde_json::Value,
) -> (http::StatusCode, http::HeaderMap, serde_json::Value) {
    let modern = body.pointer("/params/_meta").is_some();
    let mut request = http::Request::post("/anywhere")
        .header("host", "127.0.0.1")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    if let Some(session) = session {
        request = request
            .header("mcp-session-id", session)
            .header("mcp-protocol-version", "2025-11-25");
    }
    if modern {
        // A 2026-07-28 request repeats its version, method and subject in headers.
        request = request
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", body["method"].as_str().unwrap())
            .header("mcp-name", body["params"]["name"].as_str().unwrap());
    }
    let mut request = request
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    request.extensions_mut().insert(Tenant("acme"));
    let response = service.call(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    // A JSON body, or the `data:` line of the SSE event carrying the answer.
    let json = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .rfind(|d| !d.is_empty())
        .map_or_else(|| serde_json::from_str(&text), serde_json::from_str)
        .unwrap_or(serde_json::Value::Null);
    (parts.status, parts.headers, json)
}

#[tokio::test]
async fn an_outer_layers_extensions_reach_handlers_and_middleware_over_http() {
    let seen = Seen::default();
    let mut service = server(&seen).into_http_service(HttpConfig::default().json_responses(true));
    let (status, headers, _) = through_service(
        &mut service,
        None,
        json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": { "name": "t", "version": "1" } } }),
    )
    .await;
    assert_eq!(status, 200);
    let session = headers["mcp-session-id"].to_str().unwrap().to_owned();
    let (status, _, answer) = through_service(
        &mut service,
        Some(&session),
        json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": { "name": "tenant" } }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        answer["result"]["content"][0]["text"], "tenant acme via http",
        "{answer}"
    );
    let (_, _, answer) = through_service(
        &mut service,
        None,
        json!({ "jsonrpc": "2.0", "id": 3, "method": "tools/call",
                "params": { "name": "tenant", "_meta": modern_meta() } }),
    )
    .await;
    assert_eq!(
        answer["result"]["content"][0]["text"], "tenant acme via http",
        "{answer}"
    );
    let lines = seen.lines();
    assert!(
        lines.contains(&"before tools/call Some(\"tenant\") stateless=false session=true tenant=Some(\"acme\") http=true".to_owned()),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"before tools/call Some(\"tenant\") stateless=true session=false tenant=Some(\"acme\") http=true".to_owned()),
        "{lines:#?}"
    );
    assert!(service.is_ready());
    service.shutdown(Duration::from_secs(1)).await;
    assert!(!service.is_ready());
}
