//! The runtime on its own: a server assembled with `ServerBuilder` (as generated code
//! does), served over an in-memory duplex with the stdio framing. Covers what the
//! everything fixture does not reach: pagination, change notifications,
//! subscriptions, client-request timeouts, roots, handler panics, tool timeouts.

use std::time::Duration;

use mcpgen_runtime::codegen::*;
use mcpgen_runtime::{CreateMessageParams, LogLevel};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, ReadHalf, WriteHalf};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

const STEP: Duration = Duration::from_secs(5);

struct Client {
    reader: BufReader<ReadHalf<DuplexStream>>,
    writer: WriteHalf<DuplexStream>,
    next_id: i64,
}

impl Client {
    fn start(server: Server) -> Client {
        let (client, server_end) = tokio::io::duplex(1 << 20);
        let (input, output) = tokio::io::split(server_end);
        tokio::spawn(server.serve_io(input, output));
        let (reader, writer) = tokio::io::split(client);
        Client {
            reader: BufReader::new(reader),
            writer,
            next_id: 1,
        }
    }

    async fn send(&mut self, message: Value) {
        let mut line = serde_json::to_vec(&message).unwrap();
        line.push(b'\n');
        self.writer.write_all(&line).await.unwrap();
    }

    async fn recv(&mut self) -> Value {
        let mut line = String::new();
        let n = tokio::time::timeout(STEP, self.reader.read_line(&mut line))
            .await
            .expect("a message in time")
            .unwrap();
        assert!(n > 0, "the server closed its output");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }

    /// Nothing arrives for `quiet`.
    async fn expect_silence(&mut self, quiet: Duration) {
        let mut line = String::new();
        if let Ok(r) = tokio::time::timeout(quiet, self.reader.read_line(&mut line)).await {
            panic!("expected silence, got {r:?}: {line}");
        }
    }

    async fn request_id(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }))
            .await;
        id
    }

    /// Sends a request; returns its response, collecting anything sent before it.
    async fn call(&mut self, method: &str, params: Value) -> (Value, Vec<Value>) {
        let id = self.request_id(method, params).await;
        let mut before = Vec::new();
        loop {
            let m = self.recv().await;
            if m.get("id") == Some(&json!(id)) && m.get("method").is_none() {
                return (m, before);
            }
            before.push(m);
        }
    }

    async fn initialize(&mut self, version: &str, capabilities: Value) -> Value {
        let (r, _) = self
            .call(
                "initialize",
                json!({ "protocolVersion": version, "capabilities": capabilities,
                        "clientInfo": { "name": "runtime-test", "version": "1" } }),
            )
            .await;
        self.send(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }))
            .await;
        r["result"].clone()
    }
}

fn tool_def(name: &str) -> String {
    json!({ "name": name, "description": format!("tool {name}"),
            "inputSchema": { "type": "object" } })
    .to_string()
}

fn builder() -> ServerBuilder {
    ServerBuilder::new(r#"{"name":"runtime-test","version":"0.0.1","title":"Runtime test"}"#)
}

#[tokio::test]
async fn list_methods_paginate_with_opaque_cursors() {
    let mut b = builder();
    for i in 0..5 {
        b.tool(&tool_def(&format!("t{i}")), |_ctx, _args| async {
            Ok(CallToolResult::text("ok"))
        });
    }
    let mut c = Client::start(b.build().page_size(2));
    c.initialize("2025-11-25", json!({})).await;
    let mut names = Vec::new();
    let mut cursor: Option<Value> = None;
    let mut pages = 0;
    loop {
        let params = match &cursor {
            Some(c) => json!({ "cursor": c }),
            None => json!({}),
        };
        let (r, _) = c.call("tools/list", params).await;
        pages += 1;
        for t in r["result"]["tools"].as_array().unwrap() {
            names.push(t["name"].as_str().unwrap().to_owned());
        }
        match r["result"].get("nextCursor") {
            Some(next) => cursor = Some(next.clone()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names, ["t0", "t1", "t2", "t3", "t4"]);

    let (r, _) = c.call("tools/list", json!({ "cursor": "bogus" })).await;
    assert_eq!(r["error"]["code"], -32602, "{r}");
}

#[tokio::test]
async fn change_notifications_reach_the_client_and_respect_subscriptions() {
    let mut b = builder();
    b.resource(
        r#"{"uri":"mem://a","name":"a","mimeType":"text/plain"}"#,
        ResourceSource::Text("A"),
    );
    b.resource(
        r#"{"uri":"mem://b","name":"b","mimeType":"text/plain"}"#,
        ResourceSource::Text("B"),
    );
    b.tool(&tool_def("touch"), |ctx: Context, _args| async move {
        ctx.notify_resource_updated("mem://a");
        ctx.notify_resource_updated("mem://b");
        ctx.notify_tools_changed();
        Ok(CallToolResult::text("touched"))
    });
    let mut c = Client::start(b.build());
    let caps = c.initialize("2025-11-25", json!({})).await;
    assert_eq!(caps["capabilities"]["resources"]["subscribe"], true);

    let (r, _) = c
        .call("resources/subscribe", json!({ "uri": "mem://a" }))
        .await;
    assert_eq!(r["result"], json!({}));
    let (r, mut seen) = c.call("tools/call", json!({ "name": "touch" })).await;
    assert_eq!(r["result"]["content"][0]["text"], "touched");
    // Notifications travel separately from the response; collect a little longer.
    while seen.len() < 2 {
        seen.push(c.recv().await);
    }
    c.expect_silence(Duration::from_millis(200)).await;
    let methods: Vec<&str> = seen.iter().map(|m| m["method"].as_str().unwrap()).collect();
    assert!(
        methods.contains(&"notifications/tools/list_changed"),
        "{seen:?}"
    );
    let updated: Vec<&Value> = seen
        .iter()
        .filter(|m| m["method"] == "notifications/resources/updated")
        .collect();
    assert_eq!(updated.len(), 1, "only the subscribed resource: {seen:?}");
    assert_eq!(updated[0]["params"]["uri"], "mem://a");

    c.call("resources/unsubscribe", json!({ "uri": "mem://a" }))
        .await;
    c.call("tools/call", json!({ "name": "touch" })).await;
    let m = c.recv().await;
    assert_eq!(m["method"], "notifications/tools/list_changed", "{m}");
    c.expect_silence(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn unanswered_client_requests_time_out_and_are_cancelled() {
    let mut b = builder();
    b.tool(&tool_def("ask"), |ctx: Context, _args| async move {
        let answer = ctx
            .create_message(CreateMessageParams::user_text("hi", 10))
            .await;
        Ok(CallToolResult::text(format!("{answer:?}")))
    });
    let server = b.build().client_request_timeout(Duration::from_millis(100));
    let mut c = Client::start(server);
    c.initialize("2025-11-25", json!({ "sampling": {} })).await;
    let (r, before) = c.call("tools/call", json!({ "name": "ask" })).await;
    let request = &before[0];
    assert_eq!(request["method"], "sampling/createMessage");
    let cancel = &before[1];
    assert_eq!(cancel["method"], "notifications/cancelled");
    assert_eq!(cancel["params"]["requestId"], request["id"]);
    assert!(
        r["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Timeout"),
        "{r}"
    );
    // A late answer is ignored, and the server keeps serving.
    c.send(json!({ "jsonrpc": "2.0", "id": request["id"], "result": {
        "role": "assistant", "content": { "type": "text", "text": "late" }, "model": "m" } }))
        .await;
    let (r, _) = c.call("ping", json!({})).await;
    assert_eq!(r["result"], json!({}));
}

#[tokio::test]
async fn roots_round_trip_only_with_the_capability() {
    let mut b = builder();
    b.tool(&tool_def("roots"), |ctx: Context, _args| async move {
        Ok(match ctx.list_roots().await {
            Ok(roots) => CallToolResult::text(
                roots
                    .iter()
                    .map(|r| r.uri.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            Err(e) => CallToolResult::error(e.to_string()),
        })
    });
    let server = b.build();
    let mut c = Client::start(server);
    c.initialize("2025-06-18", json!({ "roots": {} })).await;
    let id = c.request_id("tools/call", json!({ "name": "roots" })).await;
    let request = c.recv().await;
    assert_eq!(request["method"], "roots/list");
    c.send(json!({ "jsonrpc": "2.0", "id": request["id"],
                   "result": { "roots": [{ "uri": "file:///work", "name": "work" }] } }))
        .await;
    let r = c.recv().await;
    assert_eq!(r["id"], id);
    assert_eq!(r["result"]["content"][0]["text"], "file:///work");

    let mut b = builder();
    b.tool(&tool_def("roots"), |ctx: Context, _args| async move {
        Ok(CallToolResult::text(format!(
            "{:?}",
            ctx.list_roots().await
        )))
    });
    let mut c = Client::start(b.build());
    c.initialize("2025-06-18", json!({})).await;
    let (r, before) = c.call("tools/call", json!({ "name": "roots" })).await;
    assert!(
        before.is_empty(),
        "no request without the capability: {before:?}"
    );
    assert!(
        r["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("CapabilityMissing"),
        "{r}"
    );
}

#[tokio::test]
async fn a_panicking_handler_is_an_internal_error_and_the_server_keeps_serving() {
    let mut b = builder();
    b.tool(&tool_def("boom"), |_ctx, _args| async move {
        if std::hint::black_box(true) {
            panic!("handler bug");
        }
        Ok(CallToolResult::text("unreachable"))
    });
    let mut c = Client::start(b.build());
    c.initialize("2025-11-25", json!({})).await;
    let (r, _) = c.call("tools/call", json!({ "name": "boom" })).await;
    assert_eq!(r["error"]["code"], -32603, "{r}");
    let (r, _) = c.call("ping", json!({})).await;
    assert_eq!(r["result"], json!({}));
}

#[tokio::test]
async fn log_level_filters_and_capabilities_follow_the_version() {
    let mut b = builder();
    b.tool(&tool_def("logs"), |ctx: Context, _args| async move {
        ctx.log(LogLevel::Debug, "debug").await;
        ctx.log(LogLevel::Warning, "warning").await;
        Ok(CallToolResult::text("done"))
    });
    b.prompt(
        r#"{"name":"p","description":"a prompt"}"#,
        PromptSource::Messages(r#"[{"role":"user","content":{"type":"text","text":"hi"}}]"#),
    );
    let mut c = Client::start(b.build());
    let init = c.initialize("2024-11-05", json!({})).await;
    assert_eq!(init["protocolVersion"], "2024-11-05");
    assert!(init["capabilities"].get("completions").is_none(), "{init}");
    assert!(init["serverInfo"].get("title").is_none(), "{init}");
    let (_, before) = c.call("tools/call", json!({ "name": "logs" })).await;
    assert_eq!(before.len(), 1, "info and above by default: {before:?}");
    assert_eq!(before[0]["params"]["data"], "warning");
    c.call("logging/setLevel", json!({ "level": "debug" }))
        .await;
    let (_, before) = c.call("tools/call", json!({ "name": "logs" })).await;
    assert_eq!(before.len(), 2, "{before:?}");

    let mut c = Client::start({
        let mut b = builder();
        b.prompt(
            r#"{"name":"p","description":"a prompt"}"#,
            PromptSource::Messages(r#"[{"role":"user","content":{"type":"text","text":"hi"}}]"#),
        );
        b.build()
    });
    let init = c.initialize("2025-11-25", json!({})).await;
    assert_eq!(init["capabilities"]["completions"], json!({}));
    assert_eq!(init["serverInfo"]["title"], "Runtime test");
    assert!(
        init["capabilities"].get("tools").is_none(),
        "no tools, no capability"
    );
    let (r, _) = c.call("tools/list", json!({})).await;
    assert_eq!(r["error"]["code"], -32601, "{r}");
}

/// A tool that never finishes in a test: it reports on `events` when its context
/// is cancelled (seen by work it spawned) and when the handler itself is dropped.
fn register_stuck(b: &mut ServerBuilder, name: &str, events: UnboundedSender<&'static str>) {
    struct DroppedWith(UnboundedSender<&'static str>);
    impl Drop for DroppedWith {
        fn drop(&mut self) {
            let _ = self.0.send("handler dropped");
        }
    }
    b.tool(&tool_def(name), move |ctx: Context, _args| {
        let events = events.clone();
        async move {
            let watcher = events.clone();
            let spawned = ctx.clone();
            tokio::spawn(async move {
                spawned.cancelled().await;
                let _ = watcher.send("context cancelled");
            });
            let _dropped = DroppedWith(events);
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok(CallToolResult::text("finished"))
        }
    });
}

fn register_fast(b: &mut ServerBuilder, name: &str) {
    b.tool(&tool_def(name), |_ctx, _args| async {
        Ok(CallToolResult::text("fast"))
    });
}

/// The text of a `tools/call` answer that must be a tool error.
fn tool_error_text(r: &Value) -> &str {
    assert_eq!(r["result"]["isError"], true, "{r}");
    r["result"]["content"][0]["text"].as_str().expect("text")
}

async fn next_event(events: &mut UnboundedReceiver<&'static str>) -> &'static str {
    tokio::time::timeout(STEP, events.recv())
        .await
        .expect("an event in time")
        .expect("the handler keeps a sender")
}

#[tokio::test]
async fn a_tool_past_its_timeout_is_cancelled_and_answered_with_an_error() {
    let (tx, mut events) = unbounded_channel();
    let mut b = builder();
    register_stuck(&mut b, "slow", tx);
    b.tool_policy("slow", r#"{"timeoutMs":100}"#);
    register_fast(&mut b, "fast");
    let mut c = Client::start(b.build());
    c.initialize("2025-11-25", json!({})).await;

    let (r, _) = c.call("tools/call", json!({ "name": "slow" })).await;
    assert_eq!(tool_error_text(&r), "tool `slow` timed out after 100ms");
    let mut seen = [next_event(&mut events).await, next_event(&mut events).await];
    seen.sort();
    assert_eq!(seen, ["context cancelled", "handler dropped"]);

    let (r, _) = c.call("tools/call", json!({ "name": "fast" })).await;
    assert_eq!(r["result"]["content"][0]["text"], "fast", "{r}");

    // A stateless 2026-07-28 request on the same stream is held to it too.
    let id = c
        .request_id(
            "tools/call",
            json!({ "name": "slow", "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
                "io.modelcontextprotocol/clientInfo": { "name": "runtime-test", "version": "1" },
            } }),
        )
        .await;
    let r = loop {
        let m = c.recv().await;
        if m["id"] == id {
            break m;
        }
    };
    assert_eq!(tool_error_text(&r), "tool `slow` timed out after 100ms");
    assert_eq!(r["result"]["resultType"], "complete", "{r}");
}

#[tokio::test]
async fn the_server_default_holds_tools_without_a_timeout_of_their_own() {
    let (tx, _events) = unbounded_channel();
    let mut b = builder();
    register_stuck(&mut b, "unbounded", tx.clone());
    register_stuck(&mut b, "own_shorter", tx);
    b.tool_policy("own_shorter", r#"{"timeoutMs":100}"#);
    b.tool(&tool_def("own_longer"), |_ctx, _args| async {
        // Past the server's default, within the tool's own timeout.
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok(CallToolResult::text("took its time"))
    });
    b.tool_policy("own_longer", r#"{"timeoutMs":10000}"#);
    let server = b.build().tool_timeout(Some(Duration::from_millis(150)));
    let mut c = Client::start(server);
    c.initialize("2025-06-18", json!({})).await;

    let (r, _) = c.call("tools/call", json!({ "name": "unbounded" })).await;
    assert_eq!(
        tool_error_text(&r),
        "tool `unbounded` timed out after 150ms"
    );
    let (r, _) = c.call("tools/call", json!({ "name": "own_shorter" })).await;
    assert_eq!(
        tool_error_text(&r),
        "tool `own_shorter` timed out after 100ms"
    );
    let (r, _) = c.call("tools/call", json!({ "name": "own_longer" })).await;
    assert_eq!(r["result"]["content"][0]["text"], "took its time", "{r}");
    assert!(r["result"].get("isError").is_none(), "{r}");
}

#[tokio::test]
async fn a_task_past_its_timeout_fails_with_the_timeout() {
    let (tx, _events) = unbounded_channel();
    let mut b = builder();
    register_stuck(&mut b, "job", tx);
    b.tool_policy("job", r#"{"taskSupport":"optional","timeoutMs":100}"#);
    let mut c = Client::start(b.build());
    c.initialize("2025-11-25", json!({})).await;

    let (r, _) = c
        .call("tools/call", json!({ "name": "job", "task": {} }))
        .await;
    let id = r["result"]["task"]["taskId"].clone();
    assert!(id.is_string(), "a task: {r}");
    let (r, _) = c.call("tasks/result", json!({ "taskId": id })).await;
    assert_eq!(tool_error_text(&r), "tool `job` timed out after 100ms");
    let (r, _) = c.call("tasks/get", json!({ "taskId": id })).await;
    assert_eq!(r["result"]["status"], "failed", "{r}");
}
