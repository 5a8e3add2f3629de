//! End-to-end tests of `everything --stdio`: each test starts its own server and
//! every message it writes is validated against the negotiated version's schema.

mod common;

use std::time::Duration;

use common::scenarios::{self, assert_serving};
use common::stdio::StdioClient;
use common::{LATEST, Mcp, VERSIONS, first_text, initialize_params};
use serde_json::{Value, json};

/// A server with an initialized session at `version`.
async fn initialized(version: &str, capabilities: Value) -> StdioClient {
    let mut c = StdioClient::spawn().await;
    let result = c.initialize(version, capabilities).await;
    scenarios::check_initialize_result(&result, version);
    c
}

fn full_client() -> Value {
    json!({ "sampling": {}, "elicitation": {} })
}

#[tokio::test]
async fn initialize_negotiates_each_version() {
    for version in VERSIONS {
        initialized(version, json!({})).await;
    }
    // An unknown version gets the newest.
    let mut c = StdioClient::spawn().await;
    let result = c.initialize("1999-01-01", json!({})).await;
    scenarios::check_initialize_result(&result, LATEST);
    assert_serving(&mut c).await;
}

#[tokio::test]
async fn basic_flow_2025_11_25() {
    let mut c = initialized(LATEST, full_client()).await;
    scenarios::check_basic_flow(&mut c).await;
}

#[tokio::test]
async fn basic_flow_2025_06_18() {
    let mut c = initialized("2025-06-18", full_client()).await;
    scenarios::check_basic_flow(&mut c).await;
}

#[tokio::test]
async fn basic_flow_2025_03_26() {
    let mut c = initialized("2025-03-26", json!({})).await;
    scenarios::check_basic_flow(&mut c).await;
}

#[tokio::test]
async fn basic_flow_2024_11_05() {
    let mut c = initialized("2024-11-05", json!({})).await;
    scenarios::check_basic_flow(&mut c).await;
}

#[tokio::test]
async fn logging_follows_set_level() {
    let mut c = initialized(LATEST, json!({})).await;
    scenarios::check_logging(&mut c).await;
}

#[tokio::test]
async fn progress_notifications_precede_the_response() {
    let mut c = initialized(LATEST, json!({})).await;
    scenarios::check_progress(&mut c).await;
}

#[tokio::test]
async fn sampling_round_trip() {
    let mut c = initialized(LATEST, full_client()).await;
    scenarios::check_sampling(&mut c).await;
    assert_serving(&mut c).await;
}

#[tokio::test]
async fn sampling_needs_the_client_capability() {
    let mut c = initialized(LATEST, json!({ "elicitation": {} })).await;
    scenarios::check_sampling_without_capability(&mut c).await;
    assert_serving(&mut c).await;
}

#[tokio::test]
async fn elicitation_round_trips() {
    let mut c = initialized(LATEST, full_client()).await;
    scenarios::check_elicitation(&mut c).await;
    let mut c = initialized("2025-06-18", full_client()).await;
    scenarios::check_elicitation(&mut c).await;
    // Before 2025-06-18 there is no elicitation: an error result, no request.
    let mut c = initialized("2025-03-26", full_client()).await;
    let e = c
        .exchange(
            "tools/call",
            json!({ "name": "test_elicitation", "arguments": { "message": "m" } }),
        )
        .await;
    assert!(e.server_requests.is_empty());
    assert_eq!(e.result()["isError"], true, "{:?}", e.response);
}

#[tokio::test]
async fn cancelled_requests_get_no_response() {
    let mut c = initialized(LATEST, json!({})).await;
    let call = json!({ "name": "test_tool_with_logging", "arguments": {} });

    // Cancelled while surely running: after its first log.
    let id = c.send_request("tools/call", call.clone()).await;
    let first = c.recv().await;
    assert_eq!(first["method"], "notifications/message", "{first}");
    c.notify(
        "notifications/cancelled",
        json!({ "requestId": id, "reason": "test" }),
    )
    .await;
    let later = c.drain_for(Duration::from_millis(500)).await;
    assert!(
        later.iter().all(|m| m.get("id") != Some(&json!(id))),
        "a cancelled request was answered: {later:?}"
    );
    assert_serving(&mut c).await;

    // Cancelling an unknown request is ignored.
    c.notify("notifications/cancelled", json!({ "requestId": 999 }))
        .await;
    assert_serving(&mut c).await;
}

#[tokio::test]
async fn cancelled_while_awaiting_the_client_gets_no_response() {
    let mut c = initialized(LATEST, full_client()).await;
    // Several rounds: a race between the handler and the cancellation must not
    // let a response through in any of them.
    for round in 0..4 {
        let id = c
            .send_request(
                "tools/call",
                json!({ "name": "test_sampling", "arguments": { "prompt": "p" } }),
            )
            .await;
        let request = c.recv().await;
        assert_eq!(request["method"], "sampling/createMessage", "{request}");
        c.notify("notifications/cancelled", json!({ "requestId": id }))
            .await;
        let later = c.drain_for(Duration::from_millis(150)).await;
        assert!(
            later.iter().all(|m| m.get("id") != Some(&json!(id))),
            "round {round}: a cancelled request was answered: {later:?}"
        );
        // A late answer to the abandoned sampling request is ignored.
        let answer = common::reply(
            &request,
            json!({ "role": "assistant", "model": "m",
                    "content": { "type": "text", "text": "late" } }),
        );
        c.send(&answer).await;
        assert!(
            c.drain_for(Duration::from_millis(100)).await.is_empty(),
            "round {round}: nothing follows a late answer"
        );
    }
    assert_serving(&mut c).await;
}

#[tokio::test]
async fn cancelled_at_once_gets_no_response() {
    let mut c = initialized(LATEST, json!({})).await;
    let call = json!({ "name": "test_tool_with_logging", "arguments": {} });
    // Cancelled right after it was sent, before it had a chance to start.
    let id = c.send_request("tools/call", call).await;
    c.notify("notifications/cancelled", json!({ "requestId": id }))
        .await;
    let later = c.drain_for(Duration::from_millis(500)).await;
    assert!(
        later.iter().all(|m| m.get("id") != Some(&json!(id))),
        "a request cancelled at once was answered: {later:?}"
    );
    assert_serving(&mut c).await;
}

#[tokio::test]
async fn requests_before_initialize() {
    let mut c = StdioClient::spawn().await;
    let e = c.exchange("tools/list", json!({})).await;
    assert_eq!(e.error_code(), -32600, "a known method before initialize");
    let e = c.exchange("no/such/method", json!({})).await;
    assert_eq!(
        e.error_code(),
        -32601,
        "an unknown method before initialize"
    );
    assert_eq!(
        c.call("ping", json!({})).await,
        json!({}),
        "ping is allowed"
    );
    let result = c.initialize(LATEST, json!({})).await;
    scenarios::check_initialize_result(&result, LATEST);
    scenarios::check_tools_list(&mut c).await;
    // initialize only once.
    let e = c
        .exchange("initialize", initialize_params(LATEST, json!({})))
        .await;
    assert_eq!(e.error_code(), -32600, "a second initialize");
    assert_serving(&mut c).await;
}

/// Sends a raw line and returns the single error it gets.
async fn error_for(c: &mut StdioClient, line: &str) -> Value {
    c.send_raw(line).await;
    let m = c.recv().await;
    assert!(
        m.get("error").is_some(),
        "expected an error for {line}, got {m}"
    );
    m
}

#[tokio::test]
async fn malformed_and_invalid_messages() {
    let mut c = initialized(LATEST, json!({})).await;

    let m = error_for(&mut c, r#"{"jsonrpc":"2.0","id":1,"method":"#).await;
    assert_eq!(m["error"]["code"], -32700, "malformed JSON: {m}");
    assert!(m.get("id").is_none(), "a parse error has no id: {m}");
    assert_serving(&mut c).await;

    let cases = [
        (r#"{"jsonrpc":"1.0","id":71,"method":"ping"}"#, Some(71)),
        (r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#, None),
        (
            r#"{"jsonrpc":"2.0","id":72,"method":"ping","params":5}"#,
            Some(72),
        ),
        (r#"{"jsonrpc":"2.0","id":73,"method":7}"#, Some(73)),
        (r#"{"id":74,"method":"ping"}"#, Some(74)),
        (r#""hello""#, None),
        (r#"[]"#, None),
    ];
    for (line, id) in cases {
        let m = error_for(&mut c, line).await;
        assert_eq!(m["error"]["code"], -32600, "invalid request {line}: {m}");
        assert_eq!(m.get("id"), id.map(Value::from).as_ref(), "id of {line}");
        assert_serving(&mut c).await;
    }

    // Blank lines are skipped; a CRLF line is fine.
    c.send_raw("").await;
    c.send_raw("{\"jsonrpc\":\"2.0\",\"id\":\"crlf\",\"method\":\"ping\"}\r")
        .await;
    let m = c.recv().await;
    assert_eq!(m, json!({ "jsonrpc": "2.0", "id": "crlf", "result": {} }));
}

#[tokio::test]
async fn bad_params_and_unknown_methods() {
    let mut c = initialized(LATEST, json!({})).await;
    scenarios::check_bad_params(&mut c).await;
}

#[tokio::test]
async fn tool_input_failing_its_schema_is_an_error_result() {
    let mut c = initialized(LATEST, full_client()).await;
    scenarios::check_invalid_tool_input(&mut c).await;
    // Nothing was sent to the client for the invalid test_sampling calls.
    assert!(
        c.drain_for(Duration::from_millis(100)).await.is_empty(),
        "stray messages"
    );
}

#[tokio::test]
async fn batches_only_on_2025_03_26() {
    let batch = json!([
        { "jsonrpc": "2.0", "id": "b1", "method": "ping" },
        { "jsonrpc": "2.0", "method": "notifications/initialized" },
        { "jsonrpc": "2.0", "id": "b2", "method": "tools/call",
          "params": { "name": "add", "arguments": { "a": 1, "b": 2 } } },
        { "jsonrpc": "2.0", "id": "b3", "method": "no/such/method" },
    ]);

    let mut c = initialized("2025-03-26", json!({})).await;
    c.send(&batch).await;
    let answer = c.recv().await;
    let items = answer
        .as_array()
        .unwrap_or_else(|| panic!("an array: {answer}"));
    assert_eq!(items.len(), 3, "one response per request: {answer}");
    let by_id = |id: &str| {
        items
            .iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("no response to {id}: {answer}"))
    };
    assert_eq!(by_id("b1")["result"], json!({}));
    assert!(first_text(&by_id("b2")["result"]).contains('3'));
    assert_eq!(by_id("b3")["error"]["code"], -32601);
    assert_serving(&mut c).await;

    for version in ["2025-06-18", LATEST] {
        let mut c = initialized(version, json!({})).await;
        c.send(&batch).await;
        let m = c.recv().await;
        assert_eq!(m["error"]["code"], -32600, "a batch at {version}: {m}");
        assert!(
            c.drain_for(Duration::from_millis(200)).await.is_empty(),
            "nothing of the batch ran at {version}"
        );
        assert_serving(&mut c).await;
    }
}

#[tokio::test]
async fn reconnection_tool_just_completes_on_stdio() {
    let mut c = initialized(LATEST, json!({})).await;
    let r = c.call_tool("test_reconnection", json!({})).await;
    assert_eq!(first_text(&r), "Reconnection test completed");
}

#[tokio::test]
async fn concurrent_requests_are_answered_by_id() {
    let mut c = initialized(LATEST, json!({})).await;
    // A slow call, then a fast one: the fast one may overtake it.
    let slow = c
        .send_request("tools/call", json!({ "name": "test_tool_with_progress" }))
        .await;
    let fast = c.send_request("ping", json!({})).await;
    let mut answered = Vec::new();
    while answered.len() < 2 {
        let m = c.recv().await;
        if let Some(id) = m.get("id").and_then(Value::as_i64) {
            assert!(m.get("result").is_some(), "{m}");
            answered.push(id);
        }
    }
    answered.sort_unstable();
    assert_eq!(answered, [slow, fast]);
}
