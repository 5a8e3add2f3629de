//! OpenTelemetry export end to end: the everything example run with
//! `--otlp-endpoint` pointing at a collector in the test (OTLP/HTTP, protobuf),
//! over HTTP with a `traceparent` header and over stdio with `_meta.traceparent`.
//! The batch exporter is told to wait a minute before sending, so the spans that
//! arrive are the ones the server flushed as it exited.

mod common;

use std::time::Duration;

use common::http::spawn_listening;
use common::otlp::{Collector, ExportedSpan, hex};
use common::stdio::RawStdio;
use common::{LATEST, Mcp, STEP, initialize_params, terminate, within};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode as SpanStatus;
use serde_json::{Value, json};

/// The client's trace and span over HTTP (the W3C specification's example ids).
const HTTP_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const HTTP_PARENT: &str = "00f067aa0ba902b7";
/// Over stdio, another trace.
const STDIO_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const STDIO_PARENT: &str = "b7ad6b7169203331";

/// Spans leave only when the server flushes them at exit (or after a minute).
const HOLD_SPANS: (&str, &str) = ("OTEL_BSP_SCHEDULE_DELAY", "60000");

fn traceparent(trace: &str, parent: &str) -> String {
    format!("00-{trace}-{parent}-01")
}

/// The manifest's `server.name` and `server.version`.
fn manifest_server(key: &str) -> String {
    common::manifest()["server"][key]
        .as_str()
        .unwrap_or_else(|| panic!("the manifest has a server.{key}"))
        .to_owned()
}

/// What every exported request span of the everything server shares.
fn assert_server_span_of(span: &ExportedSpan, trace: &str, parent: &str) {
    assert_eq!(
        span.span.kind,
        SpanKind::Server as i32,
        "a server span: {span:?}"
    );
    assert_eq!(
        hex(&span.span.trace_id),
        trace,
        "the client's trace: {span:?}"
    );
    assert_eq!(
        hex(&span.span.parent_span_id),
        parent,
        "the client's span is the parent: {span:?}"
    );
    assert_eq!(
        span.resource.get("service.name"),
        Some(&manifest_server("name")),
        "{span:?}"
    );
    assert_eq!(
        span.resource.get("service.version"),
        Some(&manifest_server("version")),
        "{span:?}"
    );
    // The layer's own fields name, kind and status the span; they are no attributes.
    assert_eq!(span.attribute("otel.kind"), None, "{span:?}");
    assert_eq!(span.attribute("thread.name"), None, "lean spans: {span:?}");
}

fn status_code(span: &ExportedSpan) -> i32 {
    span.span.status.as_ref().map_or(0, |s| s.code)
}

#[tokio::test]
async fn http_request_spans_are_exported_under_the_clients_traceparent() {
    let mut collector = Collector::start().await;
    let endpoint = collector.endpoint();
    // The log stays at its default, `warn`: export has a filter of its own.
    let (mut child, stderr, addr) = spawn_listening(
        &["--http", "127.0.0.1:0", "--otlp-endpoint", &endpoint],
        &[HOLD_SPANS],
    )
    .await;
    let mut client = common::http::HttpClient::new(addr.parse().expect("an address"));
    client.initialize(LATEST, json!({})).await;
    let header = traceparent(HTTP_TRACE, HTTP_PARENT);
    let mut refuse = |r: &Value| -> Value { panic!("unexpected server request: {r}") };
    let (id, call) = client.request_message(
        "tools/call",
        json!({ "name": "greet", "arguments": { "name": "Ada" } }),
    );
    let reply = client.post_with(&call, &[("traceparent", &header)]).await;
    let greeted = client.read_answer(reply, &json!(id), &mut refuse).await;
    assert!(
        common::first_text(greeted.result()).contains("Ada"),
        "{greeted:?}"
    );
    let (id, unknown) = client.request_message(
        "tools/call",
        json!({ "name": "no_such_tool", "arguments": {} }),
    );
    let reply = client
        .post_with(&unknown, &[("traceparent", &header)])
        .await;
    let refused = client.read_answer(reply, &json!(id), &mut refuse).await;
    refused.error_code();

    terminate(&child);
    let status = within("the server exits", child.wait())
        .await
        .expect("wait for the server");
    assert!(status.success(), "{status:?}");

    let greet = collector
        .wait_for(STEP, "the span of tools/call greet", |s| {
            s.span.name == "tools/call greet"
        })
        .await;
    assert_server_span_of(&greet, HTTP_TRACE, HTTP_PARENT);
    assert_eq!(
        greet.attribute("mcp.method.name").as_deref(),
        Some("tools/call")
    );
    assert_eq!(
        greet.attribute("gen_ai.tool.name").as_deref(),
        Some("greet")
    );
    assert_eq!(greet.attribute("outcome").as_deref(), Some("ok"));
    assert_ne!(status_code(&greet), SpanStatus::Error as i32, "{greet:?}");

    let failed = collector
        .wait_for(STEP, "the span of the failed call", |s| {
            s.span.name == "tools/call no_such_tool"
        })
        .await;
    assert_server_span_of(&failed, HTTP_TRACE, HTTP_PARENT);
    assert_eq!(failed.attribute("outcome").as_deref(), Some("error"));
    assert_eq!(status_code(&failed), SpanStatus::Error as i32, "{failed:?}");
    let log = stderr.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert!(!log.contains("error"), "the export went quietly:\n{log}");
}

#[tokio::test]
async fn stdio_request_spans_take_the_traceparent_of_meta() {
    let mut collector = Collector::start().await;
    let endpoint = collector.endpoint();
    let mut server =
        RawStdio::spawn_with_env(&["--stdio", "--otlp-endpoint", &endpoint], &[HOLD_SPANS]);
    server
        .send(&json!({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": initialize_params(LATEST, json!({})),
        }))
        .await;
    let initialized = server.next().await.expect("the initialize response");
    assert!(initialized.get("result").is_some(), "{initialized}");
    server
        .send(&json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }))
        .await;
    let meta = json!({ "traceparent": traceparent(STDIO_TRACE, STDIO_PARENT) });
    server
        .send(&json!({
            "jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": { "name": "greet", "arguments": { "name": "Ada" }, "_meta": meta },
        }))
        .await;
    let answer = server.next().await.expect("the tools/call response");
    assert_eq!(answer["id"], 2, "{answer}");
    assert!(answer.get("result").is_some(), "{answer}");
    // The end of input ends the server, which flushes its spans on the way out.
    server.close_input();
    let status = within("the server exits", server.child.wait())
        .await
        .expect("wait for the server");
    assert!(status.success(), "{status:?}");

    let greet = collector
        .wait_for(
            Duration::from_secs(5),
            "the span of tools/call greet",
            |s| s.span.name == "tools/call greet",
        )
        .await;
    assert_server_span_of(&greet, STDIO_TRACE, STDIO_PARENT);
    assert_eq!(
        greet.attribute("gen_ai.tool.name").as_deref(),
        Some("greet")
    );
    assert_eq!(greet.attribute("mcp.era").as_deref(), Some("session"));
}

#[test]
fn a_bad_endpoint_is_a_usage_error() {
    let out = std::process::Command::new(common::everything_binary())
        .args(["--stdio", "--otlp-endpoint", "collector:4318"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run the server");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--otlp-endpoint") && stderr.contains("not an OTLP/HTTP endpoint"),
        "{stderr}"
    );
}
