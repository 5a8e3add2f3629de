//! End-to-end tests of `everything --http 127.0.0.1:0` (Streamable HTTP): each
//! test starts its own server; every JSON-RPC message it sends, in JSON bodies and
//! SSE events alike, is validated against the negotiated version's schema.

mod common;

use std::time::Duration;

use common::http::{HttpClient, HttpReply, HttpServer, post_json, send};
use common::scenarios::{self, assert_serving};
use common::{LATEST, Mcp, first_text, initialize_params, schema};
use http::{Method, StatusCode};
use serde_json::{Value, json};

/// A server and an initialized session on it.
async fn session(args: &[&str], version: &str, capabilities: Value) -> (HttpServer, HttpClient) {
    let server = HttpServer::spawn(args).await;
    let mut c = server.client();
    let result = c.initialize(version, capabilities).await;
    scenarios::check_initialize_result(&result, version);
    (server, c)
}

fn full_client() -> Value {
    json!({ "sampling": {}, "elicitation": {} })
}

/// Checks an HTTP error: its status, and a JSON-RPC error body when it has one.
async fn expect_status(reply: HttpReply, status: StatusCode, what: &str) -> Option<Value> {
    assert_eq!(reply.status, status, "{what}");
    let is_json = reply.content_type() == "application/json";
    let body = reply.bytes().await;
    if !is_json || body.is_empty() {
        return None;
    }
    let body: Value = serde_json::from_slice(&body).expect("a JSON error body");
    schema::check_server_message(LATEST, &body, None);
    Some(body)
}

fn ping(id: &str) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": "ping" })
}

#[tokio::test]
async fn session_lifecycle() {
    let server = HttpServer::spawn(&[]).await;
    let mut c = server.client();
    // No MCP-Protocol-Version header on initialize, as the conformance suite does.
    let result = c.initialize(LATEST, json!({})).await;
    scenarios::check_initialize_result(&result, LATEST);
    assert_serving(&mut c).await;
    scenarios::check_tools_list(&mut c).await;

    // A second initialize opens a second, independent session.
    // It negotiates its own version, and works without MCP-Protocol-Version.
    let mut other = server.client();
    other.send_version_header = false;
    let result = other.initialize("2099-01-01", json!({})).await;
    scenarios::check_initialize_result(&result, LATEST);
    assert_ne!(other.session, c.session);

    let reply = c.delete().await;
    expect_status(reply, StatusCode::OK, "DELETE of the session").await;
    let reply = c.post(&ping("after-delete")).await;
    expect_status(
        reply,
        StatusCode::NOT_FOUND,
        "a request on a deleted session",
    )
    .await;
    let reply = c.delete().await;
    expect_status(reply, StatusCode::NOT_FOUND, "a second DELETE").await;
    let reply = c.get(&[]).await;
    expect_status(reply, StatusCode::NOT_FOUND, "GET on a deleted session").await;

    // The other session lives on.
    assert_serving(&mut other).await;
}

#[tokio::test]
async fn basic_flow_2025_11_25() {
    let (_server, mut c) = session(&[], LATEST, full_client()).await;
    scenarios::check_basic_flow(&mut c).await;
    assert_eq!(c.last_content_type, "text/event-stream");
    let priming = &c.last_events[0];
    assert!(priming.is_priming(), "{:?}", c.last_events);
    assert_eq!(priming.retry, Some(1000));
    assert_eq!(priming.id_parts().map(|p| p.1), Some(0));
}

#[tokio::test]
async fn basic_flow_2025_06_18() {
    let (_server, mut c) = session(&[], "2025-06-18", full_client()).await;
    scenarios::check_basic_flow(&mut c).await;
    assert_eq!(c.last_content_type, "text/event-stream");
    assert!(
        !c.last_events[0].is_priming(),
        "no priming before 2025-11-25: {:?}",
        c.last_events
    );
}

#[tokio::test]
async fn basic_flow_2025_03_26() {
    let (_server, mut c) = session(&[], "2025-03-26", json!({})).await;
    scenarios::check_basic_flow(&mut c).await;
}

#[tokio::test]
async fn json_responses_mode() {
    let (_server, mut c) = session(&["--json-responses"], LATEST, full_client()).await;
    scenarios::check_basic_flow(&mut c).await;
    assert_eq!(c.last_content_type, "application/json");
    assert!(c.last_events.is_empty());
    scenarios::check_bad_params(&mut c).await;
    assert_eq!(c.last_content_type, "application/json");
}

#[tokio::test]
async fn json_responses_send_logs_on_the_get_stream() {
    let (_server, mut c) = session(&["--json-responses"], LATEST, json!({})).await;
    let level = c
        .call("logging/setLevel", json!({ "level": "debug" }))
        .await;
    assert_eq!(level, json!({}));
    let mut stream = c.get(&[]).await;
    assert_eq!(stream.status, StatusCode::OK);
    assert_eq!(stream.content_type(), "text/event-stream");
    let priming = stream.next_event().await.expect("a priming event");
    assert!(priming.is_priming(), "{priming:?}");
    assert_eq!(priming.id.as_deref(), Some("0-0"));

    let e = c
        .exchange(
            "tools/call",
            json!({ "name": "test_tool_with_logging", "arguments": {} }),
        )
        .await;
    assert_eq!(c.last_content_type, "application/json");
    assert_eq!(
        first_text(e.result()),
        "Tool with logging executed successfully"
    );
    let mut logs = Vec::new();
    while logs.len() < 3 {
        let event = stream
            .next_event()
            .await
            .expect("the GET stream stays open");
        logs.push(c.event_message(&event));
    }
    assert!(logs.iter().all(|m| m["method"] == "notifications/message"));
    assert_eq!(logs[2]["params"]["data"], "Tool execution completed");
}

#[tokio::test]
async fn logging_over_sse() {
    let (_server, mut c) = session(&[], LATEST, json!({})).await;
    scenarios::check_logging(&mut c).await;
}

#[tokio::test]
async fn progress_over_sse() {
    let (_server, mut c) = session(&[], LATEST, json!({})).await;
    scenarios::check_progress(&mut c).await;
}

#[tokio::test]
async fn sampling_over_http() {
    // The request arrives on the tools/call stream; the answer POST gets 202;
    // the result follows on the same stream (all checked by the client helper).
    let (_server, mut c) = session(&[], LATEST, full_client()).await;
    scenarios::check_sampling(&mut c).await;
    assert_serving(&mut c).await;
}

#[tokio::test]
async fn sampling_needs_the_client_capability() {
    let (_server, mut c) = session(&[], LATEST, json!({})).await;
    scenarios::check_sampling_without_capability(&mut c).await;
}

#[tokio::test]
async fn elicitation_over_http() {
    let (_server, mut c) = session(&[], LATEST, full_client()).await;
    scenarios::check_elicitation(&mut c).await;
}

#[tokio::test]
async fn bad_params_and_invalid_tool_input() {
    let (_server, mut c) = session(&[], LATEST, full_client()).await;
    scenarios::check_bad_params(&mut c).await;
    scenarios::check_invalid_tool_input(&mut c).await;
}

#[tokio::test]
async fn bad_http_requests_are_refused() {
    let (server, mut c) = session(&[], LATEST, json!({})).await;
    let addr = server.addr;
    let sid = c.session.clone().expect("a session");
    let sid = sid.as_str();
    let good = [("mcp-session-id", sid), ("mcp-protocol-version", LATEST)];

    let reply = post_json(addr, &[], &ping("no-session")).await;
    expect_status(reply, StatusCode::BAD_REQUEST, "no mcp-session-id").await;
    assert_serving(&mut c).await;

    let reply = post_json(addr, &[("mcp-session-id", "nope")], &ping("x")).await;
    let body = expect_status(reply, StatusCode::NOT_FOUND, "an unknown session").await;
    assert!(body.is_some_and(|b| b.get("error").is_some()));
    assert_serving(&mut c).await;

    let reply = c
        .post_with(&ping("v"), &[("mcp-protocol-version", "1999-01-01")])
        .await;
    expect_status(
        reply,
        StatusCode::BAD_REQUEST,
        "an unsupported protocol version",
    )
    .await;
    assert_serving(&mut c).await;

    let reply = c
        .post_with(&ping("o"), &[("origin", "http://evil.example.com")])
        .await;
    expect_status(reply, StatusCode::FORBIDDEN, "a foreign Origin").await;
    let reply = c
        .post_with(&ping("h"), &[("host", "evil.example.com")])
        .await;
    expect_status(reply, StatusCode::FORBIDDEN, "a foreign Host").await;
    let evil_init = post_json(
        addr,
        &[
            ("host", "evil.example.com"),
            ("origin", "http://evil.example.com"),
        ],
        &json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize",
                 "params": initialize_params(LATEST, json!({})) }),
    )
    .await;
    expect_status(
        evil_init,
        StatusCode::FORBIDDEN,
        "DNS rebinding on initialize",
    )
    .await;
    let local = format!("http://localhost:{}", addr.port());
    let reply = c.post_with(&ping("l"), &[("origin", &local)]).await;
    assert_eq!(reply.status, StatusCode::OK, "a localhost Origin is fine");
    drop(reply);
    assert_serving(&mut c).await;

    let mut big = ping("big");
    big["params"] = json!({ "pad": "x".repeat(4 * 1024 * 1024) });
    let reply = c.post(&big).await;
    expect_status(reply, StatusCode::PAYLOAD_TOO_LARGE, "a body over 4 MiB").await;
    assert_serving(&mut c).await;

    let reply = send(addr, Method::POST, &good, b"{\"jsonrpc\":".to_vec()).await;
    let body = expect_status(reply, StatusCode::BAD_REQUEST, "malformed JSON").await;
    let body = body.expect("a JSON-RPC error body");
    assert_eq!(body["error"]["code"], -32700, "{body}");
    assert!(body.get("id").is_none(), "{body}");
    assert_serving(&mut c).await;

    let reply = c
        .post(&json!({ "jsonrpc": "1.0", "id": 5, "method": "ping" }))
        .await;
    let body = expect_status(reply, StatusCode::BAD_REQUEST, "jsonrpc 1.0").await;
    assert_eq!(body.expect("a body")["error"]["code"], -32600);
    assert_serving(&mut c).await;

    let batch = json!([ping("b1"), ping("b2")]);
    let reply = c.post(&batch).await;
    let body = expect_status(reply, StatusCode::BAD_REQUEST, "a batch at 2025-11-25").await;
    assert_eq!(body.expect("a body")["error"]["code"], -32600);
    assert_serving(&mut c).await;

    let reply = c
        .post_with(&ping("ct"), &[("content-type", "text/plain")])
        .await;
    expect_status(
        reply,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Content-Type text/plain",
    )
    .await;
    let reply = c.post_with(&ping("acc"), &[("accept", "text/html")]).await;
    expect_status(reply, StatusCode::NOT_ACCEPTABLE, "Accept text/html").await;
    let reply = send(addr, Method::PUT, &good, Vec::new()).await;
    expect_status(reply, StatusCode::METHOD_NOT_ALLOWED, "PUT").await;
    let reply = c.get(&[("last-event-id", "garbage")]).await;
    expect_status(reply, StatusCode::BAD_REQUEST, "a malformed Last-Event-ID").await;
    let reply = c.get(&[("mcp-session-id", "")]).await;
    expect_status(reply, StatusCode::BAD_REQUEST, "GET without a session").await;
    assert_serving(&mut c).await;
}

#[tokio::test]
async fn notifications_and_responses_get_202() {
    let (_server, mut c) = session(&[], LATEST, json!({})).await;
    for body in [
        json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }),
        json!({ "jsonrpc": "2.0", "method": "notifications/cancelled", "params": { "requestId": 42 } }),
        json!({ "jsonrpc": "2.0", "id": "srv-99", "result": {} }),
    ] {
        let reply = c.post(&body).await;
        expect_status(reply, StatusCode::ACCEPTED, &format!("{body}")).await;
    }
    assert_serving(&mut c).await;
}

#[tokio::test]
async fn batch_on_2025_03_26() {
    let (_server, mut c) = session(&[], "2025-03-26", json!({})).await;
    let batch = json!([
        ping("b1"),
        { "jsonrpc": "2.0", "id": "b2", "method": "tools/call",
          "params": { "name": "add", "arguments": { "a": 1, "b": 2 } } },
        { "jsonrpc": "2.0", "method": "notifications/initialized" },
    ]);
    let mut reply = c.post(&batch).await;
    assert_eq!(reply.status, StatusCode::OK);
    let mut responses = Vec::new();
    if reply.content_type() == "application/json" {
        let body = reply.json().await;
        for m in body.as_array().expect("an array") {
            c.validate(m);
            responses.push(m.clone());
        }
    } else {
        assert_eq!(reply.content_type(), "text/event-stream");
        while let Some(event) = reply.next_event().await {
            match c.event_message(&event) {
                Value::Array(items) => responses.extend(items),
                m => responses.push(m),
            }
        }
    }
    let mut ids: Vec<&str> = responses.iter().filter_map(|m| m["id"].as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["b1", "b2"], "{responses:?}");
    assert_serving(&mut c).await;
}

#[tokio::test]
async fn three_concurrent_posts_on_one_session() {
    let (server, mut c) = session(&[], LATEST, json!({})).await;
    let headers = c.session_headers();
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let bodies: Vec<Value> = (1000..1003)
        .map(|id| json!({ "jsonrpc": "2.0", "id": id, "method": "tools/list" }))
        .collect();
    for b in &bodies {
        c.remember(b);
    }
    let (a, b, d) = tokio::join!(
        post_json(server.addr, &headers, &bodies[0]),
        post_json(server.addr, &headers, &bodies[1]),
        post_json(server.addr, &headers, &bodies[2]),
    );
    let mut refuse = |r: &Value| -> Value { panic!("unexpected server request {r}") };
    for (reply, id) in [(a, 1000), (b, 1001), (d, 1002)] {
        assert_eq!(reply.status, StatusCode::OK, "POST {id}");
        let e = c.read_answer(reply, &json!(id), &mut refuse).await;
        assert_eq!(
            e.result()["tools"].as_array().map(Vec::len),
            Some(scenarios::TOOLS.len())
        );
    }
}

#[tokio::test]
async fn resumption_after_test_reconnection_closes_the_stream() {
    let (_server, mut c) = session(&[], LATEST, json!({})).await;
    let (id, message) = c.request_message(
        "tools/call",
        json!({ "name": "test_reconnection", "arguments": {} }),
    );
    let mut reply = c.post(&message).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type(), "text/event-stream");
    let priming = reply.next_event().await.expect("a priming event");
    assert!(priming.is_priming(), "{priming:?}");
    assert_eq!(priming.retry, Some(1000));
    let (stream, seq) = priming.id_parts().expect("N-M");
    assert_eq!(seq, 0);
    // The connection closes without the result.
    while let Some(event) = reply.next_event().await {
        let m = c.event_message(&event);
        assert!(
            m.get("id") != Some(&json!(id)),
            "the result came early: {m}"
        );
    }

    let last = format!("{stream}-0");
    let mut resumed = c.get(&[("last-event-id", &last)]).await;
    assert_eq!(resumed.status, StatusCode::OK, "GET with Last-Event-ID");
    assert_eq!(resumed.content_type(), "text/event-stream");
    let mut result = None;
    while let Some(event) = resumed.next_event().await {
        assert_eq!(event.id_parts().map(|p| p.0), Some(stream), "{event:?}");
        let m = c.event_message(&event);
        if m.get("id") == Some(&json!(id)) {
            result = Some(m["result"].clone());
        }
    }
    let result = result.expect("the result after reconnecting");
    assert_eq!(first_text(&result), "Reconnection test completed");

    // The completed stream can be replayed again, and then ends.
    let mut again = c.get(&[("last-event-id", &last)]).await;
    assert_eq!(again.status, StatusCode::OK);
    let mut replayed = Vec::new();
    while let Some(event) = again.next_event().await {
        replayed.push(c.event_message(&event));
    }
    assert!(replayed.iter().any(|m| m.get("id") == Some(&json!(id))));

    let reply = c.get(&[("last-event-id", "999-0")]).await;
    expect_status(reply, StatusCode::BAD_REQUEST, "an unknown stream").await;
    assert_serving(&mut c).await;
}

#[tokio::test]
async fn standalone_get_stream() {
    let (_server, mut c) = session(&[], LATEST, json!({})).await;
    let mut stream = c.get(&[]).await;
    assert_eq!(stream.status, StatusCode::OK);
    assert_eq!(stream.content_type(), "text/event-stream");
    let priming = stream.next_event().await.expect("a priming event");
    assert!(priming.is_priming(), "{priming:?}");
    assert_eq!(priming.id.as_deref(), Some("0-0"));

    let second = c.get(&[]).await;
    expect_status(second, StatusCode::CONFLICT, "a second GET stream").await;

    let reply = c.get(&[("accept", "application/json")]).await;
    expect_status(
        reply,
        StatusCode::NOT_ACCEPTABLE,
        "GET without text/event-stream",
    )
    .await;

    // Requests still work while the GET stream is open, and it stays quiet.
    assert_serving(&mut c).await;
    assert!(
        stream
            .next_event_within(Duration::from_millis(200))
            .await
            .is_err(),
        "the GET stream stays open and quiet"
    );
}

#[tokio::test]
async fn allowed_origin_and_host_flags() {
    let init = json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize",
                       "params": initialize_params(LATEST, json!({})) });

    let default = HttpServer::spawn(&[]).await;
    let reply = post_json(default.addr, &[("origin", "http://example.test")], &init).await;
    expect_status(reply, StatusCode::FORBIDDEN, "example.test by default").await;

    let server = HttpServer::spawn(&[
        "--allowed-origin",
        "http://example.test",
        "--allowed-host",
        "example.test",
    ])
    .await;
    let reply = post_json(server.addr, &[("origin", "http://example.test")], &init).await;
    assert_eq!(reply.status, StatusCode::OK, "an allowed Origin");
    let body = reply.json().await;
    schema::check_server_message(LATEST, &body, Some("initialize"));
    let reply = post_json(server.addr, &[("origin", "http://other.test")], &init).await;
    expect_status(reply, StatusCode::FORBIDDEN, "another Origin").await;
    let reply = post_json(server.addr, &[("host", "example.test")], &init).await;
    assert_eq!(reply.status, StatusCode::OK, "an allowed Host");
    let reply = post_json(server.addr, &[("host", "other.test")], &init).await;
    expect_status(reply, StatusCode::FORBIDDEN, "another Host").await;
}

#[tokio::test]
async fn cancelled_request_stream_ends_without_a_response() {
    let (_server, mut c) = session(&[], LATEST, json!({})).await;
    // Long enough that only the cancellation can end it, however slow the machine.
    let (id, message) = c.request_message(
        "tools/call",
        json!({ "name": "slow_compute", "arguments": { "seconds": 60 } }),
    );
    let mut reply = c.post(&message).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type(), "text/event-stream");
    // The stream's headers come once the handler runs (it did not finish at once).
    let priming = reply.next_event().await.expect("the priming event");
    assert!(priming.is_priming(), "{priming:?}");
    c.notify(
        "notifications/cancelled",
        json!({ "requestId": id, "reason": "test" }),
    )
    .await;
    while let Some(event) = reply.next_event().await {
        let m = c.event_message(&event);
        assert!(
            m.get("id") != Some(&json!(id)),
            "a cancelled request was answered: {m}"
        );
    }
    assert_serving(&mut c).await;
}

#[tokio::test]
async fn cancelled_while_awaiting_the_client_stream_ends_without_a_response() {
    let (_server, mut c) = session(&[], LATEST, full_client()).await;
    for round in 0..4 {
        let (id, message) = c.request_message(
            "tools/call",
            json!({ "name": "test_sampling", "arguments": { "prompt": "p" } }),
        );
        let mut reply = c.post(&message).await;
        assert_eq!(reply.status, StatusCode::OK);
        let request = loop {
            let event = reply.next_event().await.expect("the sampling request");
            if !event.is_priming() {
                break c.event_message(&event);
            }
        };
        assert_eq!(request["method"], "sampling/createMessage", "{request}");
        c.notify("notifications/cancelled", json!({ "requestId": id }))
            .await;
        while let Some(event) = reply.next_event().await {
            let m = c.event_message(&event);
            assert!(
                m.get("id") != Some(&json!(id)),
                "round {round}: a cancelled request was answered: {m}"
            );
        }
    }
    assert_serving(&mut c).await;
}
