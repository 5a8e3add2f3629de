//! Graceful shutdown and the probes, end to end on the everything example: on
//! SIGTERM `/readyz` turns 503 while `/healthz` stays 200, new work gets 503 with
//! `Retry-After`, a call in flight finishes (or, past `--shutdown-timeout`, is
//! answered with an error), and the process exits 0; on stdio, the end of stdin
//! lets calls in flight finish.

mod common;

use std::time::Duration;

use common::http::{HttpClient, HttpReply, post_json, send_to, spawn_listening};
use common::stdio::RawStdio;
use common::{LATEST, Mcp, STEP, initialize_params, terminate, within};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::process::Child;

async fn probe(addr: std::net::SocketAddr, path: &str) -> StatusCode {
    send_to(addr, Method::GET, path, &[], Vec::new())
        .await
        .status
}

/// Starts a `slow_compute` call of `seconds` in a session; returns the reply
/// (an SSE stream still open) and the request's id.
async fn slow_call(client: &mut HttpClient, seconds: f64) -> (HttpReply, Value) {
    let (id, message) = client.request_message(
        "tools/call",
        json!({ "name": "slow_compute", "arguments": { "seconds": seconds } }),
    );
    let reply = client.post(&message).await;
    assert_eq!(reply.status, StatusCode::OK);
    (reply, json!(id))
}

async fn exit_status(mut child: Child, limit: Duration) -> std::process::ExitStatus {
    within(
        "the server exits",
        tokio::time::timeout(limit, child.wait()),
    )
    .await
    .expect("the server exits within its shutdown deadline")
    .expect("wait for the server")
}

#[tokio::test]
async fn a_drain_refuses_new_work_finishes_calls_in_flight_and_exits_zero() {
    let (child, stderr, addr) = spawn_listening(
        &[
            "--http",
            "127.0.0.1:0",
            "--shutdown-timeout",
            "20s",
            "--log-level",
            "info",
        ],
        &[],
    )
    .await;
    let addr: std::net::SocketAddr = addr.parse().unwrap();
    assert_eq!(probe(addr, "/healthz").await, StatusCode::OK);
    assert_eq!(probe(addr, "/readyz").await, StatusCode::OK);
    assert_eq!(probe(addr, "/elsewhere").await, StatusCode::NOT_FOUND);

    let mut client = HttpClient::new(addr);
    client.initialize(LATEST, json!({})).await;
    let (reply, id) = slow_call(&mut client, 1.5).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    terminate(&child);

    // Draining: probes still answered, readiness off, new work refused.
    let deadline = tokio::time::Instant::now() + STEP;
    while probe(addr, "/readyz").await != StatusCode::SERVICE_UNAVAILABLE {
        assert!(
            tokio::time::Instant::now() < deadline,
            "/readyz never turned 503"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(probe(addr, "/healthz").await, StatusCode::OK);
    let refused = post_json(
        addr,
        &[],
        &json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize",
                 "params": initialize_params(LATEST, json!({})) }),
    )
    .await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.header("retry-after").as_deref(), Some("1"));
    let body = refused.json().await;
    assert_eq!(body["error"]["code"], -32000, "{body}");
    let (_, ping) = client.request_message("ping", json!({}));
    let refused = client.post(&ping).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);

    // The call in flight completes with its result.
    let exchange = client.read_answer(reply, &id, &mut |r| panic!("{r}")).await;
    let text = exchange.result()["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(text, "slow_compute: computed for 1.5 s");

    let status = exit_status(child, Duration::from_secs(15)).await;
    assert!(status.success(), "exit status {status:?}");
    let log = stderr.lock().unwrap().clone();
    assert!(log.contains("shutting down"), "{log}");
}

#[tokio::test]
async fn a_call_past_the_shutdown_deadline_is_answered_with_an_error() {
    let (child, _stderr, addr) = spawn_listening(
        &["--http", "127.0.0.1:0", "--shutdown-timeout", "300ms"],
        &[],
    )
    .await;
    let mut client = HttpClient::new(addr.parse().unwrap());
    client.initialize(LATEST, json!({})).await;
    let (reply, id) = slow_call(&mut client, 60.0).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    terminate(&child);
    let exchange = client.read_answer(reply, &id, &mut |r| panic!("{r}")).await;
    let error = &exchange.response["error"];
    assert_eq!(error["code"], -32000, "{}", exchange.response);
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("shutting down"),
        "{error}"
    );
    let status = exit_status(child, Duration::from_secs(10)).await;
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test]
async fn a_get_stream_ends_with_its_last_event_id_and_a_retry() {
    let (child, _stderr, addr) =
        spawn_listening(&["--http", "127.0.0.1:0", "--shutdown-timeout", "5s"], &[]).await;
    let mut client = HttpClient::new(addr.parse().unwrap());
    client.initialize(LATEST, json!({})).await;
    let mut stream = client.get(&[]).await;
    assert_eq!(stream.status, StatusCode::OK);
    let priming = stream.next_event().await.expect("the priming event");
    assert!(priming.is_priming(), "{priming:?}");
    terminate(&child);
    let last = stream
        .next_event()
        .await
        .expect("a last event before the end");
    assert_eq!(last.id.as_deref(), Some("0-0"), "{last:?}");
    assert!(last.retry.is_some(), "{last:?}");
    assert_eq!(stream.next_event().await, None, "the stream ends");
    let status = exit_status(child, Duration::from_secs(10)).await;
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test]
async fn the_end_of_stdin_lets_calls_in_flight_finish_then_exits_zero() {
    let mut server = RawStdio::spawn(&[]);
    let messages = [
        json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": initialize_params(LATEST, json!({})) }),
        json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }),
        json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/call",
                "params": { "name": "slow_compute", "arguments": { "seconds": 0.5 } } }),
    ];
    for m in &messages {
        server.send(m).await;
    }
    server.close_input();
    let mut answered = false;
    while let Some(m) = server.next().await {
        if m["id"] == 2 {
            assert_eq!(
                m["result"]["content"][0]["text"],
                "slow_compute: computed for 0.5 s"
            );
            answered = true;
        }
    }
    assert!(answered, "the call in flight was answered before the end");
    let status = exit_status(server.child, STEP).await;
    assert!(status.success(), "exit status {status:?}");
}
