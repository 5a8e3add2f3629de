//! End-to-end: the 2026-07-28 protocol beside 2025-11-25 on one server, over
//! Streamable HTTP and stdio. Every message received is validated against the
//! schema of its era.

mod common;

use std::time::Duration;

use common::http::{HttpServer, post_json};
use common::modern::{MODERN, ModernClient, meta, with_meta};
use common::stdio::StdioClient;
use common::{LATEST, Mcp, first_text, within};
use hyper::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn discover_describes_the_server_and_its_versions() {
    let server = HttpServer::spawn(&[]).await;
    let mut c = ModernClient::new(server.addr);
    let reply = c.request("server/discover", json!({}), json!({})).await;
    assert_eq!(reply.status, StatusCode::OK);
    let result = reply.result();
    assert_eq!(result["supportedVersions"], json!([MODERN]));
    assert_eq!(result["resultType"], "complete");
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "mcpgen-everything"
    );
    for cap in ["tools", "resources", "prompts", "completions"] {
        assert!(result["capabilities"].get(cap).is_some(), "{cap}: {result}");
    }
    assert!(result["ttlMs"].as_u64().is_some());
    // No session is minted for a modern request.
    let raw = post_json(
        server.addr,
        &[("mcp-protocol-version", MODERN), ("mcp-method", "server/discover")],
        &json!({ "jsonrpc": "2.0", "id": 9, "method": "server/discover", "params": with_meta(json!({}), json!({})) }),
    )
    .await;
    assert!(raw.header("mcp-session-id").is_none());
}

/// The checklist's pipeline (§1.3): each probe gets its code and status, its id
/// echoed, as `application/json`.
#[tokio::test]
async fn modern_errors_come_in_order_with_their_statuses() {
    let server = HttpServer::spawn(&[]).await;
    let mut c = ModernClient::new(server.addr);
    let discover = |id: i64, params: Value| json!({ "jsonrpc": "2.0", "id": id, "method": "server/discover", "params": params });
    // What is probed, the body, extra headers, the status and code expected.
    type Probe = (
        &'static str,
        Value,
        Vec<(&'static str, &'static str)>,
        u16,
        i64,
    );
    let cases: Vec<Probe> = vec![
        ("no _meta", discover(1, json!({})), vec![], 400, -32602),
        (
            "no version header",
            discover(2, with_meta(json!({}), json!({}))),
            vec![("mcp-protocol-version", "")],
            400,
            -32020,
        ),
        (
            "header and body disagree",
            discover(3, {
                let mut p = with_meta(json!({}), json!({}));
                p["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("v999.0.0");
                p
            }),
            vec![],
            400,
            -32020,
        ),
        (
            "unsupported version",
            discover(4, {
                let mut p = with_meta(json!({}), json!({}));
                p["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("v999.0.0");
                p
            }),
            vec![("mcp-protocol-version", "v999.0.0")],
            400,
            -32022,
        ),
        (
            "Mcp-Method in capitals",
            discover(5, with_meta(json!({}), json!({}))),
            vec![("mcp-method", "SERVER/DISCOVER")],
            400,
            -32020,
        ),
    ];
    for (what, body, headers, status, code) in cases {
        let reply = c.raw("server/discover", &body, &headers).await;
        assert_eq!(reply.status.as_u16(), status, "{what}");
        assert_eq!(reply.content_type, "application/json", "{what}");
        assert_eq!(reply.error_code(), code, "{what}");
        assert_eq!(
            reply.response()["id"],
            body["id"],
            "{what}: the id is echoed"
        );
    }
    // Removed and unknown methods: 404 with -32601.
    for method in [
        "initialize",
        "ping",
        "logging/setLevel",
        "resources/subscribe",
        "tasks/result",
        "no/such",
    ] {
        let reply = c.request(method, json!({}), json!({})).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method}");
        assert_eq!(reply.error_code(), -32601, "{method}");
    }
    // Resource not found is -32602 with the URI, never the legacy -32002.
    let uri = "test://missing";
    let reply = c
        .request("resources/read", json!({ "uri": uri }), json!({}))
        .await;
    assert_eq!(reply.error_code(), -32602);
    assert_eq!(reply.response()["error"]["data"]["uri"], uri);
    // `Mcp-Name` must match the body.
    let body = json!({ "jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": with_meta(json!({ "name": "test_simple_text" }), json!({})) });
    let reply = c.raw("tools/call", &body, &[("mcp-name", "other")]).await;
    assert_eq!((reply.status.as_u16(), reply.error_code()), (400, -32020));
    let reply = c
        .raw("tools/call", &body, &[("mcp-name", "  test_simple_text ")])
        .await;
    assert_eq!(
        first_text(reply.result()),
        "This is a simple text response for testing."
    );
}

/// Requests without modern `_meta` are legacy, whatever they ask: they never get
/// a modern error code (dual-era clients fall back on exactly those).
#[tokio::test]
async fn legacy_requests_never_get_modern_codes() {
    let server = HttpServer::spawn(&[]).await;
    let list = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" });
    for headers in [
        vec![],
        vec![("mcp-protocol-version", LATEST)],
        vec![
            ("mcp-protocol-version", LATEST),
            ("mcp-method", "tools/list"),
        ],
    ] {
        let reply = post_json(server.addr, &headers, &list).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{headers:?}");
        let body = reply.json().await;
        let code = body["error"]["code"].as_i64().expect("an error code");
        assert!(!(-32022..=-32020).contains(&code), "{headers:?}: {body}");
    }
    // An unknown session is the legacy 404 ("initialize again").
    let reply = post_json(server.addr, &[("mcp-session-id", "nope")], &list).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    // `initialize` with odd headers still opens a session.
    let init = json!({ "jsonrpc": "2.0", "id": 2, "method": "initialize",
        "params": common::initialize_params(LATEST, json!({})) });
    let reply = post_json(
        server.addr,
        &[
            ("mcp-protocol-version", LATEST),
            ("mcp-method", "initialize"),
        ],
        &init,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.header("mcp-session-id").is_some());
    // ...but `initialize` with modern `_meta` is a modern request for a removed method.
    let mut modern_init = init.clone();
    modern_init["params"]["_meta"] = meta(json!({}));
    let reply = post_json(
        server.addr,
        &[
            ("mcp-protocol-version", MODERN),
            ("mcp-method", "initialize"),
        ],
        &modern_init,
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.header("mcp-session-id").is_none());
}

/// On stdio a request with modern `_meta` is served on its own, before or after
/// a legacy `initialize`; errors carry the request's id.
#[tokio::test]
async fn stdio_serves_both_eras_in_one_process() {
    let mut c = StdioClient::spawn().await;
    c.set_version(MODERN);
    let id = c
        .send_request("server/discover", with_meta(json!({}), json!({})))
        .await;
    let answer = c.recv().await;
    assert_eq!(answer["id"], id);
    assert_eq!(answer["result"]["supportedVersions"], json!([MODERN]));
    let id = c
        .send_request("ping", with_meta(json!({}), json!({})))
        .await;
    let answer = c.recv().await;
    assert_eq!(
        (answer["id"].clone(), answer["error"]["code"].clone()),
        (json!(id), json!(-32601))
    );
    let id = c.send_request("tools/list", json!({ "_meta": { "io.modelcontextprotocol/protocolVersion": "1999-01-01", "io.modelcontextprotocol/clientCapabilities": {} } })).await;
    let answer = c.recv().await;
    assert_eq!(answer["id"], id);
    assert_eq!(answer["error"]["code"], -32022);
    // Now a legacy session in the same process, then modern again.
    c.set_version(LATEST);
    c.initialize(LATEST, json!({})).await;
    let tools = c.call("tools/list", json!({})).await;
    assert!(
        tools.get("resultType").is_none(),
        "legacy results have no resultType"
    );
    c.set_version(MODERN);
    let id = c
        .send_request(
            "tools/call",
            with_meta(json!({ "name": "test_simple_text" }), json!({})),
        )
        .await;
    let answer = within("the modern call", c.recv()).await;
    assert_eq!(answer["id"], id);
    assert_eq!(answer["result"]["resultType"], "complete");
    // Nothing else arrives: no logs without `logLevel`, no stray notifications.
    assert!(c.drain_for(Duration::from_millis(200)).await.is_empty());
}

const ELICITATION: fn() -> Value = || json!({ "elicitation": {} });
const TASKS: &str = "io.modelcontextprotocol/tasks";

fn accept(content: Value) -> Value {
    json!({ "action": "accept", "content": content })
}

/// The next JSON-RPC message of a stream, or `None` if nothing comes in `limit`.
async fn next_message(reply: &mut common::http::HttpReply, limit: Duration) -> Option<Value> {
    loop {
        match reply.next_event_within(limit).await {
            Ok(Some(event)) if event.data.trim().is_empty() => continue,
            Ok(Some(event)) => {
                let message: Value = serde_json::from_str(&event.data).expect("JSON data");
                return Some(message);
            }
            _ => return None,
        }
    }
}

/// A 2025-11-25 session and 2026 requests on one server at once; the same handler
/// (`test_elicitation`) asks the legacy client with a real request on its stream
/// and the modern one with `input_required`; one change event reaches the legacy
/// GET stream and the modern listener.
#[tokio::test]
async fn a_modern_and_a_legacy_client_share_one_server() {
    let server = HttpServer::spawn(&[]).await;
    let mut legacy = server.client();
    legacy
        .initialize(LATEST, json!({ "elicitation": {} }))
        .await;
    let mut legacy_stream = legacy.get(&[]).await;
    assert_eq!(legacy_stream.status, StatusCode::OK);
    let mut modern = ModernClient::new(server.addr);
    let listen_id = modern.next_id();
    let listen = json!({ "jsonrpc": "2.0", "id": listen_id, "method": "subscriptions/listen",
        "params": with_meta(json!({ "notifications": { "toolsListChanged": true } }), json!({})) });
    let mut listener = modern.send(&listen, &[]).await;
    let ack = next_message(&mut listener, Duration::from_secs(5))
        .await
        .expect("an ack");
    common::schema::check_server_message(MODERN, &ack, None);
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");

    // The same handler, both eras, concurrently.
    let mut answer = |request: &Value| -> Value {
        assert_eq!(request["method"], "elicitation/create");
        common::reply(
            request,
            accept(json!({ "username": "ada", "email": "ada@example.com" })),
        )
    };
    let legacy_call = legacy.exchange_with(
        "tools/call",
        json!({ "name": "test_elicitation", "arguments": { "message": "Who are you?" } }),
        &mut answer,
    );
    let mut modern2 = ModernClient::new(server.addr);
    let modern_call = modern2.call_tool(
        "test_elicitation",
        json!({ "message": "Who are you?" }),
        ELICITATION(),
    );
    let (legacy_done, first) = tokio::join!(legacy_call, modern_call);
    assert_eq!(legacy_done.server_requests.len(), 1);
    let legacy_text = first_text(legacy_done.result()).to_owned();
    let r1 = first.result();
    assert_eq!(r1["resultType"], "input_required");
    let (key, request) = r1["inputRequests"]
        .as_object()
        .expect("inputRequests")
        .iter()
        .next()
        .expect("one request");
    assert_eq!(request["method"], "elicitation/create");
    let retry = modern2
        .request(
            "tools/call",
            json!({ "name": "test_elicitation", "arguments": { "message": "Who are you?" },
                    "inputResponses": { key: accept(json!({ "username": "ada", "email": "ada@example.com" })) },
                    "requestState": r1["requestState"] }),
            ELICITATION(),
        )
        .await;
    assert_eq!(
        first_text(retry.result()),
        legacy_text,
        "one handler, the same answer"
    );

    // One change event, two kinds of subscriber.
    let trigger = modern2
        .call_tool("test_trigger_tool_change", json!({}), json!({}))
        .await;
    assert_eq!(trigger.result()["resultType"], "complete");
    let tagged = next_message(&mut listener, Duration::from_secs(5))
        .await
        .expect("a tagged change");
    common::schema::check_server_message(MODERN, &tagged, None);
    assert_eq!(tagged["method"], "notifications/tools/list_changed");
    assert_eq!(
        tagged["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        listen_id
    );
    let untagged = within("the legacy GET stream", async {
        loop {
            let m = next_message(&mut legacy_stream, Duration::from_secs(5))
                .await
                .expect("an event");
            if m["method"] == "notifications/tools/list_changed" {
                return m;
            }
        }
    })
    .await;
    assert!(
        untagged["params"].get("_meta").is_none(),
        "legacy events are not tagged: {untagged}"
    );
}

/// Four requests, three questions: each retry carries only the latest answer; the
/// earlier ones ride in the sealed state, which changes every round.
#[tokio::test]
async fn state_rides_across_three_retries() {
    let server = HttpServer::spawn(&[]).await;
    let mut c = ModernClient::new(server.addr);
    let answers = [
        json!({ "name": "Ada" }),
        json!({ "color": "teal" }),
        json!({ "ok": true }),
    ];
    let mut params = json!({ "name": "test_three_questions", "arguments": {} });
    let mut states = Vec::new();
    for answer in &answers {
        let reply = c.request("tools/call", params.clone(), ELICITATION()).await;
        let result = reply.result();
        assert_eq!(result["resultType"], "input_required", "{result}");
        let requests = result["inputRequests"].as_object().expect("inputRequests");
        assert_eq!(requests.len(), 1, "one question per round: {result}");
        let key = requests.keys().next().expect("a key").clone();
        let state = result["requestState"]
            .as_str()
            .expect("a requestState")
            .to_owned();
        assert!(!states.contains(&state), "the state changes every round");
        states.push(state.clone());
        params["inputResponses"] = json!({ key: accept(answer.clone()) });
        params["requestState"] = json!(state);
    }
    let done = c.request("tools/call", params, ELICITATION()).await;
    let text = first_text(done.result());
    for part in ["Ada", "teal", "true"] {
        assert!(text.contains(part), "{part} in {text:?}");
    }
}

/// A requestState altered, bound to other arguments, or to another tool is refused
/// with a JSON-RPC error; the untouched one still works.
#[tokio::test]
async fn tampered_request_state_is_rejected() {
    let server = HttpServer::spawn(&[]).await;
    let mut c = ModernClient::new(server.addr);
    let tool = "test_input_required_result_tampered_state";
    let r1 = c.call_tool(tool, json!({}), ELICITATION()).await;
    let result = r1.result().clone();
    let key = result["inputRequests"]
        .as_object()
        .expect("requests")
        .keys()
        .next()
        .expect("key")
        .clone();
    let state = result["requestState"].as_str().expect("state").to_owned();
    let answer = json!({ key.clone(): accept(json!({ "ok": true })) });
    let mut flipped = state.clone().into_bytes();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    for (what, name, arguments, state) in [
        (
            "appended text",
            tool,
            json!({}),
            format!("{state}-TAMPERED"),
        ),
        (
            "a changed byte",
            tool,
            json!({}),
            String::from_utf8(flipped).expect("ascii"),
        ),
        (
            "other arguments",
            tool,
            json!({ "extra": 1 }),
            state.clone(),
        ),
        (
            "another tool",
            "test_input_required_result_request_state",
            json!({}),
            state.clone(),
        ),
    ] {
        let reply = c
            .request(
                "tools/call",
                json!({ "name": name, "arguments": arguments, "inputResponses": answer, "requestState": state }),
                ELICITATION(),
            )
            .await;
        assert_eq!(reply.error_code(), -32602, "{what}: {:?}", reply.response());
    }
    let ok = c
        .request(
            "tools/call",
            json!({ "name": tool, "arguments": {}, "inputResponses": answer, "requestState": state }),
            ELICITATION(),
        )
        .await;
    assert_eq!(ok.result()["resultType"], "complete");
}

/// A listener that asked only for tool changes gets its ack, then tool changes,
/// and nothing else: not prompt changes, not other requests' logs or progress.
#[tokio::test]
async fn a_listener_gets_only_what_it_asked_for() {
    let server = HttpServer::spawn(&[]).await;
    let mut c = ModernClient::new(server.addr);
    let id = c.next_id();
    let listen = json!({ "jsonrpc": "2.0", "id": id, "method": "subscriptions/listen",
        "params": with_meta(json!({ "notifications": { "toolsListChanged": true, "resourceSubscriptions": ["test://watched-resource"] } }), json!({})) });
    let mut stream = c.send(&listen, &[]).await;
    assert_eq!(stream.content_type(), "text/event-stream");
    let ack = next_message(&mut stream, Duration::from_secs(5))
        .await
        .expect("ack");
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
    assert_eq!(
        ack["params"]["notifications"],
        json!({ "toolsListChanged": true, "resourceSubscriptions": ["test://watched-resource"] })
    );
    let mut other = ModernClient::new(server.addr);
    other
        .call_tool("test_trigger_prompt_change", json!({}), json!({}))
        .await;
    let mut logged = with_meta(
        json!({ "name": "test_tool_with_progress", "arguments": {} }),
        json!({}),
    );
    logged["_meta"]["progressToken"] = json!("p1");
    logged["_meta"]["io.modelcontextprotocol/logLevel"] = json!("debug");
    other
        .raw(
            "tools/call",
            &json!({ "jsonrpc": "2.0", "id": 99, "method": "tools/call", "params": logged }),
            &[],
        )
        .await;
    other
        .call_tool("test_trigger_tool_change", json!({}), json!({}))
        .await;
    let next = next_message(&mut stream, Duration::from_secs(5))
        .await
        .expect("the tool change");
    assert_eq!(next["method"], "notifications/tools/list_changed", "{next}");
    assert_eq!(
        next["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        id
    );
    assert!(
        next_message(&mut stream, Duration::from_millis(300))
            .await
            .is_none(),
        "nothing else on the stream"
    );
}

/// On stdio a listener is acknowledged, tagged, and ended by `notifications/cancelled`.
#[tokio::test]
async fn stdio_listeners_end_on_cancel() {
    let mut c = StdioClient::spawn().await;
    c.set_version(MODERN);
    let listen = c
        .send_request(
            "subscriptions/listen",
            with_meta(
                json!({ "notifications": { "promptsListChanged": true } }),
                json!({}),
            ),
        )
        .await;
    let ack = c.recv().await;
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
    assert_eq!(
        ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        listen
    );
    let call = c
        .send_request(
            "tools/call",
            with_meta(json!({ "name": "test_trigger_prompt_change" }), json!({})),
        )
        .await;
    let mut seen = Vec::new();
    while seen.len() < 2 {
        seen.push(c.recv().await);
    }
    assert!(
        seen.iter()
            .any(|m| m["method"] == "notifications/prompts/list_changed"
                && m["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == listen)
    );
    assert!(seen.iter().any(|m| m["id"] == call));
    c.send(&json!({ "jsonrpc": "2.0", "method": "notifications/cancelled", "params": { "requestId": listen } })).await;
    let call = c
        .send_request(
            "tools/call",
            with_meta(json!({ "name": "test_trigger_prompt_change" }), json!({})),
        )
        .await;
    let answer = c.recv().await;
    assert_eq!(answer["id"], call, "no notification after the cancel");
    assert!(c.drain_for(Duration::from_millis(200)).await.is_empty());
}

/// Logs go out only when the request set a level; progress only with a token.
#[tokio::test]
async fn logs_only_for_requests_that_ask() {
    let server = HttpServer::spawn(&[]).await;
    let mut c = ModernClient::new(server.addr);
    let quiet = c
        .call_tool("test_tool_with_logging", json!({}), json!({}))
        .await;
    assert!(quiet.notifications().is_empty(), "{:?}", quiet.messages);
    let mut params = with_meta(
        json!({ "name": "test_tool_with_logging", "arguments": {} }),
        json!({}),
    );
    params["_meta"]["io.modelcontextprotocol/logLevel"] = json!("info");
    let loud = c
        .raw(
            "tools/call",
            &json!({ "jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": params }),
            &[],
        )
        .await;
    assert_eq!(loud.content_type, "text/event-stream");
    assert_eq!(loud.notifications().len(), 3, "{:?}", loud.messages);
    params["_meta"]["io.modelcontextprotocol/logLevel"] = json!("error");
    let filtered = c
        .raw(
            "tools/call",
            &json!({ "jsonrpc": "2.0", "id": 6, "method": "tools/call", "params": params }),
            &[],
        )
        .await;
    assert!(
        filtered.notifications().is_empty(),
        "below the level: {:?}",
        filtered.messages
    );
}

/// A tool that needs sampling, called without it: 400 and -32021 naming what is
/// missing, decided before any byte of an answer.
#[tokio::test]
async fn a_missing_capability_is_refused_up_front() {
    let server = HttpServer::spawn(&[]).await;
    let mut c = ModernClient::new(server.addr);
    let refused = c
        .call_tool(
            "test_missing_capability",
            json!({}),
            json!({ "elicitation": {} }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.content_type, "application/json");
    assert_eq!(refused.error_code(), -32021);
    assert_eq!(
        refused.response()["error"]["data"]["requiredCapabilities"],
        json!({ "sampling": {} })
    );
    let asked = c
        .call_tool(
            "test_missing_capability",
            json!({}),
            json!({ "sampling": {} }),
        )
        .await;
    assert_eq!(asked.status, StatusCode::OK);
    assert_eq!(
        asked.result()["inputRequests"]["sampling"]["method"],
        "sampling/createMessage"
    );
}

/// `x-mcp-header` arguments must be mirrored in `Mcp-Param-*` headers.
#[tokio::test]
async fn header_params_must_match_the_body() {
    let server = HttpServer::spawn(&[]).await;
    let mut c = ModernClient::new(server.addr);
    let call = |region: &str| {
        json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": with_meta(json!({ "name": "test_header_param", "arguments": { "region": region } }), json!({})) })
    };
    let ok = c
        .raw(
            "tools/call",
            &call("eu-west"),
            &[("mcp-param-region", "eu-west")],
        )
        .await;
    assert_eq!(first_text(ok.result()), "Region: eu-west");
    let encoded = c
        .raw(
            "tools/call",
            &call("zürich"),
            &[("Mcp-Param-Region", "=?base64?esO8cmljaA==?=")],
        )
        .await;
    assert_eq!(first_text(encoded.result()), "Region: zürich");
    for (what, headers) in [
        ("missing", vec![]),
        ("different", vec![("mcp-param-region", "us-east")]),
        (
            "bad base64",
            vec![("mcp-param-region", "=?base64?ZXUtd2VzdA?=")],
        ),
    ] {
        let reply = c.raw("tools/call", &call("eu-west"), &headers).await;
        assert_eq!(
            (reply.status.as_u16(), reply.error_code()),
            (400, -32020),
            "{what}"
        );
    }
}

/// The tasks extension: a task handle at once, polled to completion; input asked
/// within a task and given with `tasks/update`; cancel; undeclared clients refused.
#[tokio::test]
async fn tasks_run_in_the_background() {
    let server = HttpServer::spawn(&[]).await;
    let mut c = ModernClient::new(server.addr);
    let caps = || json!({ "elicitation": {}, "extensions": { TASKS: {} } });
    let created = c
        .call_tool(
            "slow_compute",
            json!({ "seconds": 0.2, "label": "quick" }),
            caps(),
        )
        .await;
    let task = created.result().clone();
    assert_eq!(task["resultType"], "task", "{task}");
    let id = task["taskId"].as_str().expect("taskId").to_owned();
    let done = within("the task to complete", async {
        loop {
            let got = c
                .request("tasks/get", json!({ "taskId": id }), caps())
                .await;
            let got = got.result().clone();
            if got["status"] == "completed" {
                return got;
            }
            assert_eq!(got["status"], "working");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(first_text(&done["result"]).contains("quick"), "{done}");

    let created = c
        .call_tool("confirm_delete", json!({ "filename": "a.txt" }), caps())
        .await;
    let id = created.result()["taskId"]
        .as_str()
        .expect("taskId")
        .to_owned();
    let waiting = within("input_required", async {
        loop {
            let got = c
                .request("tasks/get", json!({ "taskId": id }), caps())
                .await
                .result()
                .clone();
            if got["status"] == "input_required" {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let key = waiting["inputRequests"]
        .as_object()
        .expect("requests")
        .keys()
        .next()
        .expect("key")
        .clone();
    let ack = c
        .request("tasks/update", json!({ "taskId": id, "inputResponses": { key: accept(json!({ "ok": true, "confirm": true })) } }), caps())
        .await;
    assert_eq!(ack.result()["resultType"], "complete");
    let finished = within("completion after the answer", async {
        loop {
            let got = c
                .request("tasks/get", json!({ "taskId": id }), caps())
                .await
                .result()
                .clone();
            if got["status"] != "input_required" && got["status"] != "working" {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert_eq!(finished["status"], "completed", "{finished}");

    let created = c
        .call_tool("slow_compute", json!({ "seconds": 60 }), caps())
        .await;
    let id = created.result()["taskId"]
        .as_str()
        .expect("taskId")
        .to_owned();
    let ack = c
        .request("tasks/cancel", json!({ "taskId": id }), caps())
        .await;
    assert_eq!(ack.result()["resultType"], "complete");
    let got = c
        .request("tasks/get", json!({ "taskId": id }), caps())
        .await;
    assert_eq!(got.result()["status"], "cancelled");

    let refused = c
        .request("tasks/get", json!({ "taskId": id }), json!({}))
        .await;
    assert_eq!(
        (refused.status.as_u16(), refused.error_code()),
        (400, -32021)
    );
    let unknown = c
        .request("tasks/get", json!({ "taskId": "nope" }), caps())
        .await;
    assert_eq!(unknown.error_code(), -32602);
    let required = c.call_tool("failing_job", json!({}), json!({})).await;
    assert_eq!(required.error_code(), -32021);
    let sync = c
        .call_tool("slow_compute", json!({ "seconds": 0 }), json!({}))
        .await;
    assert_eq!(
        sync.result()["resultType"],
        "complete",
        "no extension, no task"
    );
}

/// 2025-11-25 experimental tasks on a session: `task` param, tasks/get, tasks/result,
/// tasks/list, tasks/cancel, each checked against the 2025-11-25 schema.
#[tokio::test]
async fn legacy_sessions_get_experimental_tasks() {
    let server = HttpServer::spawn(&[]).await;
    let mut c = server.client();
    let init = c.initialize(LATEST, json!({})).await;
    assert!(
        init["capabilities"]["tasks"]["requests"]["tools"]["call"].is_object(),
        "{init}"
    );
    let tools = c.call("tools/list", json!({})).await;
    let slow = tools["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .find(|t| t["name"] == "slow_compute")
        .expect("slow_compute");
    assert_eq!(slow["execution"]["taskSupport"], "optional");
    let created = c
        .call("tools/call", json!({ "name": "slow_compute", "arguments": { "seconds": 0.1, "label": "legacy" }, "task": { "ttl": 60000 } }))
        .await;
    common::schema::assert_valid(LATEST, "CreateTaskResult", &created, "tools/call as a task");
    let id = created["task"]["taskId"].clone();
    let result = c.call("tasks/result", json!({ "taskId": id })).await;
    assert!(first_text(&result).contains("legacy"));
    let got = c.call("tasks/get", json!({ "taskId": id })).await;
    common::schema::assert_valid(LATEST, "GetTaskResult", &got, "tasks/get");
    assert_eq!(got["status"], "completed");
    let listed = c.call("tasks/list", json!({})).await;
    common::schema::assert_valid(LATEST, "ListTasksResult", &listed, "tasks/list");
    assert_eq!(listed["tasks"][0]["taskId"], id);
    let long = c
        .call(
            "tools/call",
            json!({ "name": "slow_compute", "arguments": { "seconds": 60 }, "task": {} }),
        )
        .await;
    let long_id = long["task"]["taskId"].clone();
    let cancelled = c.call("tasks/cancel", json!({ "taskId": long_id })).await;
    common::schema::assert_valid(LATEST, "CancelTaskResult", &cancelled, "tasks/cancel");
    assert_eq!(cancelled["status"], "cancelled");
    // Another session cannot see these tasks.
    let mut other = server.client();
    other.initialize(LATEST, json!({})).await;
    let hidden = other.exchange("tasks/get", json!({ "taskId": id })).await;
    assert_eq!(hidden.error_code(), -32602);
}

/// Multi-round input over stdio: `input_required`, then the retry completes; no
/// JSON-RPC request is ever written to stdout for a modern client.
#[tokio::test]
async fn stdio_asks_modern_clients_with_input_required() {
    let mut c = StdioClient::spawn().await;
    c.set_version(MODERN);
    let params = json!({ "name": "test_input_required_result_multi_round", "arguments": {} });
    let id = c
        .send_request("tools/call", with_meta(params.clone(), ELICITATION()))
        .await;
    let r1 = c.recv().await;
    assert_eq!(r1["id"], id);
    assert_eq!(r1["result"]["resultType"], "input_required");
    let mut retry = params.clone();
    retry["inputResponses"] = json!({ "user_name": accept(json!({ "name": "Ada" })) });
    retry["requestState"] = r1["result"]["requestState"].clone();
    c.send_request("tools/call", with_meta(retry.clone(), ELICITATION()))
        .await;
    let r2 = c.recv().await;
    assert_eq!(r2["result"]["resultType"], "input_required");
    assert!(
        r2["result"]["inputRequests"]["favorite_color"].is_object(),
        "{r2}"
    );
    retry["inputResponses"] = json!({ "favorite_color": accept(json!({ "color": "teal" })) });
    retry["requestState"] = r2["result"]["requestState"].clone();
    c.send_request("tools/call", with_meta(retry, ELICITATION()))
        .await;
    let done = c.recv().await;
    assert_eq!(done["result"]["resultType"], "complete");
    let text = first_text(&done["result"]);
    assert!(text.contains("Ada") && text.contains("teal"), "{text}");
    // Task events need the tasks extension on the listen request.
    c.send_request(
        "subscriptions/listen",
        with_meta(json!({ "notifications": { "taskIds": ["x"] } }), json!({})),
    )
    .await;
    assert_eq!(c.recv().await["error"]["code"], -32021);
    assert!(c.drain_for(Duration::from_millis(200)).await.is_empty());
}
