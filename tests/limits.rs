//! Limits end to end on the everything example: a rate limit answers 429 with
//! `Retry-After` (and, on stdio, -32000 with `data.retryAfterMs`) and the next
//! window is served; the session cap answers 503 while old sessions still work;
//! the concurrency and stream caps refuse only what is over them.

mod common;

use std::time::Duration;

use common::http::{HttpClient, HttpServer, post_json};
use common::stdio::RawStdio;
use common::{LATEST, Mcp, initialize_params};
use http::StatusCode;
use serde_json::json;

async fn ping(client: &mut HttpClient) -> common::http::HttpReply {
    let (_, message) = client.request_message("ping", json!({}));
    client.post(&message).await
}

#[tokio::test]
async fn a_session_over_its_rate_gets_429_then_the_next_window() {
    let server = HttpServer::spawn(&["--rate-limit-per-session", "3/s"]).await;
    let mut client = server.client();
    client.initialize(LATEST, json!({})).await;
    let mut statuses = Vec::new();
    let mut refused = None;
    // A token comes back every 333 ms: however slow the machine, twenty pings
    // outrun the bucket.
    for _ in 0..20 {
        let reply = ping(&mut client).await;
        statuses.push(reply.status);
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(reply);
            break;
        }
    }
    // `initialized` took no token; three pings fit the burst.
    assert_eq!(&statuses[..3], [StatusCode::OK; 3], "{statuses:?}");
    let refused = refused.unwrap_or_else(|| panic!("no 429 in {statuses:?}"));
    assert_eq!(refused.header("retry-after").as_deref(), Some("1"));
    let body = refused.json().await;
    assert_eq!(body["error"]["code"], -32000, "{body}");
    let retry_ms = body["error"]["data"]["retryAfterMs"]
        .as_u64()
        .expect("retryAfterMs");
    assert!(retry_ms <= 1000, "{body}");

    // Another session has its own bucket.
    let mut other = server.client();
    other.initialize(LATEST, json!({})).await;
    assert_eq!(ping(&mut other).await.status, StatusCode::OK);

    // The next window is served.
    tokio::time::sleep(Duration::from_millis(retry_ms + 50)).await;
    assert_eq!(client.call("ping", json!({})).await, json!({}));
}

#[tokio::test]
async fn a_client_address_over_its_rate_gets_429() {
    let server = HttpServer::spawn(&["--rate-limit-per-client", "2/m"]).await;
    let init = json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize",
                       "params": initialize_params(LATEST, json!({})) });
    assert_eq!(
        post_json(server.addr, &[], &init).await.status,
        StatusCode::OK
    );
    assert_eq!(
        post_json(server.addr, &[], &init).await.status,
        StatusCode::OK
    );
    let refused = post_json(server.addr, &[], &init).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
}

#[tokio::test]
async fn the_session_cap_answers_503_and_old_sessions_still_work() {
    let server = HttpServer::spawn(&["--max-sessions", "2"]).await;
    let mut first = server.client();
    first.initialize(LATEST, json!({})).await;
    let mut second = server.client();
    second.initialize(LATEST, json!({})).await;
    let init = json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize",
                       "params": initialize_params(LATEST, json!({})) });
    let refused = post_json(server.addr, &[], &init).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.header("retry-after").is_some());
    let body = refused.json().await;
    assert_eq!(body["error"]["code"], -32000, "{body}");

    let text = first.call_tool("greet", json!({ "name": "Ada" })).await;
    assert_eq!(text["content"][0]["text"], "Hello, Ada!");
    second.call_tool("greet", json!({ "name": "Bo" })).await;

    // Ending a session makes room.
    assert_eq!(first.delete().await.status, StatusCode::OK);
    let mut third = server.client();
    third.initialize(LATEST, json!({})).await;
    third.call_tool("greet", json!({ "name": "Cy" })).await;
}

#[tokio::test]
async fn a_session_over_its_concurrency_gets_429_for_the_extra_request_only() {
    let server = HttpServer::spawn(&["--max-requests-per-session", "1"]).await;
    let mut client = server.client();
    client.initialize(LATEST, json!({})).await;
    let (id, slow) = client.request_message(
        "tools/call",
        json!({ "name": "slow_compute", "arguments": { "seconds": 1 } }),
    );
    let running = client.post(&slow).await;
    assert_eq!(running.status, StatusCode::OK);
    assert_eq!(
        ping(&mut client).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let done = client
        .read_answer(running, &json!(id), &mut |r| panic!("{r}"))
        .await;
    assert_eq!(
        done.result()["content"][0]["text"],
        "slow_compute: computed for 1 s"
    );
    assert_eq!(ping(&mut client).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_stream_cap_refuses_a_second_get_stream() {
    let server = HttpServer::spawn(&["--max-sse-streams", "1"]).await;
    let mut a = server.client();
    a.initialize(LATEST, json!({})).await;
    let mut b = server.client();
    b.initialize(LATEST, json!({})).await;
    let stream = a.get(&[]).await;
    assert_eq!(stream.status, StatusCode::OK);
    let refused = b.get(&[]).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    drop(stream);
    // Once the first stream is gone, a new one is let in.
    let deadline = tokio::time::Instant::now() + common::STEP;
    loop {
        let reply = b.get(&[]).await;
        if reply.status == StatusCode::OK {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the cap never freed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn stdio_over_its_rate_gets_an_error_with_retry_after_ms() {
    let mut server = RawStdio::spawn(&["--rate-limit-per-session", "2/s"]);
    let mut messages = vec![json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize",
                                    "params": initialize_params(LATEST, json!({})) })];
    messages.extend((2..=4).map(|id| json!({ "jsonrpc": "2.0", "id": id, "method": "ping" })));
    for m in &messages {
        server.send(m).await;
    }
    let mut answers = Vec::new();
    while answers.len() < messages.len() {
        answers.push(server.next().await.expect("an answer"));
    }
    let by_id = |id: i64| answers.iter().find(|a| a["id"] == id).unwrap().clone();
    assert!(by_id(1)["result"].is_object());
    assert_eq!(by_id(2)["result"], json!({}));
    let refused = by_id(3);
    assert_eq!(refused["error"]["code"], -32000, "{refused}");
    assert!(
        refused["error"]["data"]["retryAfterMs"].is_u64(),
        "{refused}"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    server
        .send(&json!({ "jsonrpc": "2.0", "id": 5, "method": "ping" }))
        .await;
    let answer = server.next().await.expect("an answer");
    assert_eq!(answer["id"], 5);
    assert_eq!(answer["result"], json!({}), "the next window is served");
}
