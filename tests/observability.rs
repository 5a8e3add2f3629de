//! What an operator watches, end to end on the everything example: Prometheus
//! metrics at `/metrics` that move with traffic and parse with the reference
//! OpenMetrics parser (Python's `prometheus_client`), `--metrics-path off`, and
//! `--log-format json` lines carrying the request's span.

mod common;

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use common::http::{HttpClient, HttpServer, post_json, send_to};
use common::{LATEST, Mcp, STEP};
use http::{Method, StatusCode};
use serde_json::{Value, json};

/// The Python with `prometheus_client`: `MCPGEN_PYTHON` (scripts/test sets it to a
/// venv in .cache/), else `python3`.
fn python() -> String {
    std::env::var("MCPGEN_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Parses OpenMetrics text with the reference parser; every sample as
/// `name{label="value",…}` (labels sorted) → value.
fn parse_openmetrics(text: &str) -> HashMap<String, f64> {
    const SCRIPT: &str = r#"
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
samples = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
        samples[f"{s.name}{{{labels}}}"] = s.value
print(json.dumps(samples))
"#;
    let mut child = Command::new(python())
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python (set MCPGEN_PYTHON, or run scripts/test)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the OpenMetrics parser refused the text (or prometheus_client is missing: \
         scripts/test installs it):\n{}\n--- text:\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the parser's JSON")
}

async fn metrics(addr: SocketAddr) -> HashMap<String, f64> {
    let reply = send_to(addr, Method::GET, "/metrics", &[], Vec::new()).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .content_type()
            .starts_with("application/openmetrics-text"),
        "{}",
        reply.content_type()
    );
    let text = String::from_utf8(reply.bytes().await).unwrap();
    parse_openmetrics(&text)
}

fn sample(samples: &HashMap<String, f64>, key: &str) -> f64 {
    samples.get(key).copied().unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_move_with_traffic_and_parse() {
    let server = HttpServer::spawn(&[]).await;
    let calls = r#"mcp_requests_total{method="tools/call",name="greet",outcome="ok"}"#;
    let tool_errors = r#"mcp_requests_total{method="tools/call",name="test_error_handling",outcome="tool_error"}"#;
    let latency = r#"mcp_request_duration_seconds_count{method="tools/call",name="greet"}"#;
    let origin = r#"mcp_rejected_requests_total{reason="origin"}"#;
    let sessions = "mcp_sessions_open{}";
    let before = metrics(server.addr).await;
    assert_eq!(sample(&before, calls), 0.0);

    let mut client = server.client();
    client.initialize(LATEST, json!({})).await;
    for _ in 0..3 {
        client.call_tool("greet", json!({ "name": "Ada" })).await;
    }
    client.call_tool("test_error_handling", json!({})).await;
    // A name the server does not declare is counted without it.
    client
        .exchange("tools/call", json!({ "name": "no_such_tool" }))
        .await;
    let refused = post_json(
        server.addr,
        &[("origin", "https://evil.example")],
        &json!({ "jsonrpc": "2.0", "id": 1, "method": "ping" }),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let after = metrics(server.addr).await;
    assert_eq!(sample(&after, calls), 3.0, "{after:#?}");
    assert_eq!(sample(&after, latency), 3.0, "{after:#?}");
    assert_eq!(sample(&after, tool_errors), 1.0, "{after:#?}");
    assert_eq!(
        sample(
            &after,
            r#"mcp_requests_total{method="tools/call",name="",outcome="error"}"#
        ),
        1.0,
        "{after:#?}"
    );
    assert!(
        !after.keys().any(|k| k.contains("no_such_tool")),
        "{after:#?}"
    );
    assert_eq!(sample(&after, origin), sample(&before, origin) + 1.0);
    // `initialize`, answered before any session exists, is counted too.
    let handshakes = r#"mcp_requests_total{method="initialize",name="",outcome="ok"}"#;
    assert_eq!(
        sample(&after, handshakes),
        sample(&before, handshakes) + 1.0,
        "{after:#?}"
    );
    assert_eq!(sample(&after, sessions), 1.0, "{after:#?}");
    assert!(
        after.contains_key(r#"mcp_tasks{state="working"}"#),
        "{after:#?}"
    );

    // A GET stream is counted while open.
    let stream = client.get(&[]).await;
    assert_eq!(stream.status, StatusCode::OK);
    let open = metrics(server.addr).await;
    assert_eq!(sample(&open, "mcp_sse_streams_open{}"), 1.0, "{open:#?}");
    drop(stream);

    // Ending the session is counted.
    assert_eq!(client.delete().await.status, StatusCode::OK);
    let ended = metrics(server.addr).await;
    assert_eq!(sample(&ended, sessions), 0.0, "{ended:#?}");
}

#[tokio::test]
async fn metrics_and_probes_can_be_turned_off_or_moved() {
    let server = HttpServer::spawn(&[
        "--metrics-path",
        "off",
        "--health-path",
        "/live",
        "--ready-path",
        "off",
    ])
    .await;
    let status = |path: &'static str| async move {
        send_to(server.addr, Method::GET, path, &[], Vec::new())
            .await
            .status
    };
    assert_eq!(status("/metrics").await, StatusCode::NOT_FOUND);
    assert_eq!(status("/readyz").await, StatusCode::NOT_FOUND);
    assert_eq!(status("/healthz").await, StatusCode::NOT_FOUND);
    assert_eq!(status("/live").await, StatusCode::OK);

    // A probe may not take the MCP endpoint's path.
    let out = Command::new(common::everything_binary())
        .args(["--http", "127.0.0.1:0", "--health-path", "/mcp"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--health-path"), "{stderr}");
}

#[tokio::test]
async fn json_logs_carry_the_request_span() {
    let server = HttpServer::spawn(&["--log-format", "json", "--log-level", "debug"]).await;
    let mut client: HttpClient = server.client();
    client.initialize(LATEST, json!({})).await;
    client.call_tool("greet", json!({ "name": "Ada" })).await;
    let deadline = tokio::time::Instant::now() + STEP;
    let line = loop {
        let log = server.stderr.lock().unwrap().clone();
        let found = log
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|l| l["fields"]["message"] == "request" && l["fields"]["method"] == "tools/call");
        if let Some(line) = found {
            break line;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no JSON request line; stderr:\n{log}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let span = &line["span"];
    assert_eq!(span["name"], "mcp.request", "{line}");
    assert_eq!(span["mcp.method.name"], "tools/call", "{line}");
    assert_eq!(span["gen_ai.tool.name"], "greet", "{line}");
    assert_eq!(span["mcp.era"], "session", "{line}");
    let tag = span["mcp.session.tag"].as_str().unwrap_or_default();
    assert_eq!(tag.len(), 8, "{line}");
    assert!(
        !client.session.as_deref().unwrap_or_default().contains(tag),
        "the tag is not the session id"
    );
    assert_eq!(line["level"], "DEBUG");
}
