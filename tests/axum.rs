//! End-to-end tests of `examples/axum.rs`: the everything server mounted at `/mcp`
//! of an axum app, under its tower layers, beside its own `/hello`. Every JSON-RPC
//! message the server sends is validated against the negotiated version's schema.

mod common;

use std::io::Read as _;
use std::path::PathBuf;

use common::http::{HttpServer, post_json, send_to};
use common::modern::ModernClient;
use common::scenarios::{self, assert_serving};
use common::{LATEST, Mcp, first_text, initialize_params, schema, within};
use http::{Method, StatusCode};
use serde_json::{Value, json};

const HELLO: &str = "Hello from axum! This app serves an MCP server at /mcp, beside this route.\n";

fn axum_binary() -> PathBuf {
    common::example_binary("axum")
}

async fn spawn() -> HttpServer {
    HttpServer::spawn_binary(&axum_binary(), &[]).await
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a gzip body");
    out
}

#[tokio::test]
async fn hello_is_served_beside_the_mcp_endpoint() {
    let server = spawn().await;
    let plain = send_to(
        server.addr,
        Method::GET,
        "/hello",
        &[("accept", "text/plain")],
        Vec::new(),
    )
    .await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.bytes().await, HELLO.as_bytes());

    // The compression layer gzips it for a client that accepts gzip.
    let gzipped = send_to(
        server.addr,
        Method::GET,
        "/hello",
        &[("accept", "text/plain"), ("accept-encoding", "gzip")],
        Vec::new(),
    )
    .await;
    assert_eq!(gzipped.status, StatusCode::OK);
    assert_eq!(gzipped.header("content-encoding").as_deref(), Some("gzip"));
    assert_eq!(gunzip(&gzipped.bytes().await), HELLO.as_bytes());

    // Its ValidateRequestHeaderLayer refuses a client that takes no plain text.
    let refused = send_to(
        server.addr,
        Method::GET,
        "/hello",
        &[("accept", "application/json")],
        Vec::new(),
    )
    .await;
    assert_eq!(refused.status, StatusCode::NOT_ACCEPTABLE);

    // Its readiness route asks the MCP service.
    let ready = send_to(server.addr, Method::GET, "/readyz", &[], Vec::new()).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.bytes().await, b"ready");

    // Routes the app does not have are the app's 404, not the MCP endpoint's.
    let missing = send_to(server.addr, Method::GET, "/nothing", &[], Vec::new()).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // And /mcp serves a session as the standalone server does.
    let mut c = server.client();
    let result = c.initialize(LATEST, json!({})).await;
    scenarios::check_initialize_result(&result, LATEST);
    scenarios::check_tools_list(&mut c).await;
    assert_serving(&mut c).await;
}

#[tokio::test]
async fn a_value_from_an_outer_layer_reaches_the_handler() {
    let server = spawn().await;
    let mut c = server.client();
    c.initialize(LATEST, json!({})).await;
    let result = c.call_tool("test_request_origin", json!({})).await;
    assert_eq!(
        first_text(&result),
        "Served by the axum example; client 127.0.0.1"
    );

    // A 2026-07-28 request (no session) gets it too.
    let mut modern = ModernClient::new(server.addr);
    let reply = modern
        .call_tool("test_request_origin", json!({}), json!({}))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        first_text(reply.result()),
        "Served by the axum example; client 127.0.0.1"
    );
}

#[tokio::test]
async fn the_standalone_server_has_no_such_value_but_knows_the_client() {
    let server = HttpServer::spawn(&[]).await;
    let mut c = server.client();
    c.initialize(LATEST, json!({})).await;
    let result = c.call_tool("test_request_origin", json!({})).await;
    assert_eq!(
        first_text(&result),
        "No request origin: no HTTP layer recorded one; client 127.0.0.1"
    );
}

#[tokio::test]
async fn sse_answers_are_not_compressed_json_answers_are() {
    let server = spawn().await;

    // initialize is answered with JSON, which the compression layer gzips.
    let reply = post_json(
        server.addr,
        &[("accept-encoding", "gzip")],
        &json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize",
                 "params": initialize_params(LATEST, json!({})) }),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type(), "application/json");
    assert_eq!(reply.header("content-encoding").as_deref(), Some("gzip"));
    let session = reply.header("mcp-session-id").expect("a session id");
    let body: Value = serde_json::from_slice(&gunzip(&reply.bytes().await)).expect("JSON");
    schema::check_server_message(LATEST, &body, Some("initialize"));
    scenarios::check_initialize_result(&body["result"], LATEST);

    let mut c = server.client();
    c.session = Some(session);
    c.notify("notifications/initialized", json!({})).await;

    // A tool call is answered with SSE: never compressed, whatever the client accepts.
    let (id, call) = c.request_message(
        "tools/call",
        json!({ "name": "test_tool_with_progress", "arguments": {},
                "_meta": { "progressToken": "p" } }),
    );
    let reply = c.post_with(&call, &[("accept-encoding", "gzip")]).await;
    assert_eq!(reply.content_type(), "text/event-stream");
    assert_eq!(reply.header("content-encoding"), None);
    let mut refuse = |r: &Value| -> Value { panic!("unexpected server request {r}") };
    let exchange = c.read_answer(reply, &json!(id), &mut refuse).await;
    assert_eq!(first_text(exchange.result()), "Progress tool completed");
    assert_eq!(
        exchange.notifications_named("notifications/progress").len(),
        3
    );

    // So is the GET stream.
    let stream = c.get(&[("accept-encoding", "gzip")]).await;
    assert_eq!(stream.status, StatusCode::OK);
    assert_eq!(stream.content_type(), "text/event-stream");
    assert_eq!(stream.header("content-encoding"), None);
}

/// The app flattens the standard options into its own command line: a limit
/// given there reaches the mounted service, and the per-client rate counts the
/// peer address the app passes on from axum's `ConnectInfo`.
#[tokio::test]
async fn the_standard_flags_configure_the_mounted_service() {
    let server = HttpServer::spawn_binary(
        &axum_binary(),
        &["--rate-limit-per-client", "8/m", "--max-sessions", "1"],
    )
    .await;
    let mut first = server.client();
    first.initialize(LATEST, json!({})).await;
    // The session cap: a second session is refused while the first works on.
    let init = json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize",
                       "params": initialize_params(LATEST, json!({})) });
    let capped = post_json(server.addr, &[], &init).await;
    assert_eq!(capped.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(capped.header("retry-after").is_some());
    // Requests from one address beyond eight a minute (this test's included).
    let mut statuses = Vec::new();
    let limited = loop {
        let reply = post_json(server.addr, &[], &init).await;
        if reply.status != StatusCode::SERVICE_UNAVAILABLE || statuses.len() == 8 {
            break reply;
        }
        statuses.push(reply.status);
    };
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "after {statuses:?}"
    );
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // The app's own routes are not MCP's to limit.
    let hello = send_to(
        server.addr,
        Method::GET,
        "/hello",
        &[("accept", "text/plain")],
        Vec::new(),
    )
    .await;
    assert_eq!(hello.status, StatusCode::OK);
}

#[tokio::test]
async fn sigterm_ends_streams_and_the_app() {
    let mut server = spawn().await;
    let mut c = server.client();
    c.initialize(LATEST, json!({})).await;
    let mut stream = c.get(&[]).await;
    assert_eq!(stream.status, StatusCode::OK);
    let priming = stream.next_event().await.expect("a priming event");
    assert!(priming.is_priming(), "{priming:?}");

    common::terminate(&server.child);
    // The open stream ends (its clients resume elsewhere), then the app exits.
    while stream.next_event().await.is_some() {}
    let status = within("the app to exit", server.child.wait())
        .await
        .expect("wait for the app");
    assert!(
        status.success(),
        "exit status {status}; stderr:\n{}",
        server.stderr.lock().unwrap_or_else(|e| e.into_inner())
    );
    // Nothing listens any more.
    assert!(
        tokio::net::TcpStream::connect(server.addr).await.is_err(),
        "the port still accepts connections"
    );
}
