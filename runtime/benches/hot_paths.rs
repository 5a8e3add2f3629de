//! The hot paths of a request, timed one at a time: decode + dispatch of a
//! `tools/call`, `tools/list` serialization, SSE framing, and session lookup.
//!
//! `cargo bench -p mcpgen-runtime --bench hot_paths`; under `cargo test` each
//! benchmark runs once, as a test. The load generator (`bench/loadgen`) measures
//! the whole server; these say where its time goes.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mcpgen_runtime::bench_internals::{Dispatcher, Sessions, sse_frame};
use mcpgen_runtime::codegen::{CallToolResult, ServerBuilder, Value, tool_input};
use serde_json::json;

const TEXT: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[derive(serde::Deserialize)]
struct EchoInput {
    text: String,
}

/// A server of `tools` tools, each an echo with a realistic schema and description.
fn server(tools: usize) -> mcpgen_runtime::Server {
    let mut builder = ServerBuilder::new(r#"{"name":"bench","version":"1.0.0"}"#);
    for i in 0..tools {
        let name = if i == 0 {
            "echo".to_owned()
        } else {
            format!("tool_{i:03}")
        };
        let definition = json!({
            "name": name,
            "title": format!("Tool {i}"),
            "description": "Returns the given text as one text block; a description of typical length.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "text": { "type": "string", "description": "The text to send back." },
                    "repeat": { "type": "integer", "minimum": 1, "maximum": 10, "default": 1 }
                },
                "required": ["text"],
                "additionalProperties": false
            },
            "annotations": { "readOnlyHint": true }
        });
        builder.tool(&definition.to_string(), |_ctx, args| async move {
            Ok(match tool_input::<EchoInput>(args) {
                Ok(input) => CallToolResult::text(input.text),
                Err(refusal) => refusal,
            })
        });
    }
    builder.build()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime")
}

fn decode_and_dispatch(c: &mut Criterion) {
    let rt = runtime();
    let dispatcher = Dispatcher::new(server(1));
    let call = json!({
        "jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": { "name": "echo", "arguments": { "text": TEXT } }
    })
    .to_string();
    let reply = rt.block_on(dispatcher.handle(call.as_bytes()));
    assert!(
        String::from_utf8_lossy(&reply).contains(TEXT),
        "the echo must come back"
    );
    let ping = br#"{"jsonrpc":"2.0","id":8,"method":"ping"}"#;
    let mut group = c.benchmark_group("decode_dispatch");
    group.throughput(Throughput::Elements(1));
    group.bench_function("tools_call_echo", |b| {
        b.iter(|| rt.block_on(dispatcher.handle(black_box(call.as_bytes()))))
    });
    group.bench_function("ping", |b| {
        b.iter(|| rt.block_on(dispatcher.handle(black_box(ping))))
    });
    group.finish();
}

fn tools_list(c: &mut Criterion) {
    let rt = runtime();
    let list = br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    let mut group = c.benchmark_group("tools_list");
    for tools in [10, 100] {
        let dispatcher = Dispatcher::new(server(tools));
        let reply: Value = serde_json::from_slice(&rt.block_on(dispatcher.handle(list)))
            .expect("tools/list answers JSON");
        assert_eq!(
            reply["result"]["tools"].as_array().map(Vec::len),
            Some(tools)
        );
        group.throughput(Throughput::Elements(tools as u64));
        group.bench_with_input(BenchmarkId::from_parameter(tools), &dispatcher, |b, d| {
            b.iter(|| rt.block_on(d.handle(black_box(list))))
        });
    }
    group.finish();
}

fn sse_framing(c: &mut Criterion) {
    let response = json!({
        "jsonrpc": "2.0", "id": 7,
        "result": { "content": [{ "type": "text", "text": TEXT }] }
    });
    let mut group = c.benchmark_group("sse_frame");
    group.throughput(Throughput::Elements(1));
    group.bench_function("echo_response", |b| {
        b.iter(|| sse_frame(black_box(3), black_box(1), black_box(&response)))
    });
    group.finish();
}

fn session_lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("session_lookup");
    group.throughput(Throughput::Elements(1));
    for count in [10_000, 100_000] {
        let (sessions, ids) = Sessions::with(count);
        assert!(ids.iter().all(|id| sessions.find(id)));
        assert!(!sessions.find("not-a-session"));
        let mut next = ids.iter().cycle();
        group.bench_function(BenchmarkId::from_parameter(count), |b| {
            b.iter(|| sessions.find(black_box(next.next().map_or("", String::as_str))))
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    decode_and_dispatch,
    tools_list,
    sse_framing,
    session_lookup
);
criterion_main!(benches);
