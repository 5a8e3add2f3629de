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
    let discover = |id: i64, params: Value| {
        json!({ "jsonrpc": "2.0", "id": id, "method": "server/discover", "params": params })
    };
    let cases: Vec<(&str, Value, Vec<(&str, &str)>, u16, i64)> = vec![
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
        assert_eq!(reply.response()["id"], body["id"], "{what}: the id is echoed");
    }
    // Removed and unknown methods: 404 with -32601.
    for method in ["initialize", "ping", "logging/setLevel", "resources/subscribe", "tasks/result", "no/such"] {
        let reply = c.request(method, json!({}), json!({})).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method}");
        assert_eq!(reply.error_code(), -32601, "{method}");
    }
    // Resource not found is -32602 with the URI, never the legacy -32002.
    let uri = "test://missing";
    let reply = c.request("resources/read", json!({ "uri": uri }), json!({})).await;
    assert_eq!(reply.error_code(), -32602);
    assert_eq!(reply.response()["error"]["data"]["uri"], uri);
    // `Mcp-Name` must match the body.
    let body = json!({ "jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": with_meta(json!({ "name": "test_simple_text" }), json!({})) });
    let reply = c.raw("tools/call", &body, &[("mcp-name", "other")]).await;
    assert_eq!((reply.status.as_u16(), reply.error_code()), (400, -32020));
    let reply = c.raw("tools/call", &body, &[("mcp-name", "  test_simple_text ")]).await;
    assert_eq!(first_text(reply.result()), "This is a simple text response for testing.");
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
        vec![("mcp-protocol-version", LATEST), ("mcp-method", "tools/list")],
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
        &[("mcp-protocol-version", LATEST), ("mcp-method", "initialize")],
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
        &[("mcp-protocol-version", MODERN), ("mcp-method", "initialize")],
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
    let id = c.send_request("server/discover", with_meta(json!({}), json!({}))).await;
    let answer = c.recv().await;
    assert_eq!(answer["id"], id);
    assert_eq!(answer["result"]["supportedVersions"], json!([MODERN]));
    let id = c.send_request("ping", with_meta(json!({}), json!({}))).await;
    let answer = c.recv().await;
    assert_eq!((answer["id"].clone(), answer["error"]["code"].clone()), (json!(id), json!(-32601)));
    let id = c.send_request("tools/list", json!({ "_meta": { "io.modelcontextprotocol/protocolVersion": "1999-01-01", "io.modelcontextprotocol/clientCapabilities": {} } })).await;
    let answer = c.recv().await;
    assert_eq!(answer["id"], id);
    assert_eq!(answer["error"]["code"], -32022);
    // Now a legacy session in the same process, then modern again.
    c.set_version(LATEST);
    c.initialize(LATEST, json!({})).await;
    let tools = c.call("tools/list", json!({})).await;
    assert!(tools.get("resultType").is_none(), "legacy results have no resultType");
    c.set_version(MODERN);
    let id = c.send_request("tools/call", with_meta(json!({ "name": "test_simple_text" }), json!({}))).await;
    let answer = within("the modern call", c.recv()).await;
    assert_eq!(answer["id"], id);
    assert_eq!(answer["result"]["resultType"], "complete");
    // Nothing else arrives: no logs without `logLevel`, no stray notifications.
    assert!(c.drain_for(Duration::from_millis(200)).await.is_empty());
}
