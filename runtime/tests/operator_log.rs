//! The operator's log of a handler panic, captured from a server served over an
//! in-memory duplex. One test in its own process: the subscriber is the global
//! one, so no other test's events (or tracing's per-callsite caching of who
//! listens) can interfere.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcpgen_runtime::codegen::*;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Everything the subscriber writes.
#[derive(Clone, Default)]
struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLog {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

#[tokio::test]
async fn a_handler_panic_is_logged_with_its_tool_and_request_id() {
    let log = CapturedLog::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .init();

    let mut b = ServerBuilder::new(r#"{"name":"panics","version":"1"}"#);
    b.tool(
        r#"{"name":"boom","inputSchema":{"type":"object"}}"#,
        |_ctx, _args| async move {
            if std::hint::black_box(true) {
                panic!("handler bug");
            }
            Ok(CallToolResult::text("unreachable"))
        },
    );
    b.resource(
        r#"{"uri":"x://broken","name":"broken"}"#,
        ResourceSource::handler(|_ctx, _uri| async move {
            if std::hint::black_box(true) {
                panic!("resource bug");
            }
            Ok(mcpgen_runtime::ResourceContents::text("x://broken", "text/plain", "").into())
        }),
    );
    let (client, server_end) = tokio::io::duplex(1 << 16);
    let (input, output) = tokio::io::split(server_end);
    tokio::spawn(b.build().serve_io(input, output));
    let (reader, mut writer) = tokio::io::split(client);
    let mut lines = BufReader::new(reader).lines();
    let requests = [
        json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": { "protocolVersion": "2025-11-25", "capabilities": {},
                            "clientInfo": { "name": "log-test", "version": "1" } } }),
        json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }),
        json!({ "jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": { "name": "boom" } }),
        json!({ "jsonrpc": "2.0", "id": 8, "method": "resources/read",
                "params": { "uri": "x://broken" } }),
    ];
    for r in &requests {
        writer
            .write_all(format!("{r}\n").as_bytes())
            .await
            .expect("write");
    }
    for expected_id in [1, 7, 8] {
        let line = tokio::time::timeout(Duration::from_secs(5), lines.next_line())
            .await
            .expect("an answer in time")
            .expect("read")
            .expect("a line");
        let answer: Value = serde_json::from_str(&line).expect("JSON");
        assert_eq!(answer["id"], expected_id, "{answer}");
        if expected_id != 1 {
            assert_eq!(answer["error"]["code"], -32603, "{answer}");
        }
    }

    let text = log.text();
    let tool_panic = text
        .lines()
        .find(|l| l.contains("ERROR") && l.contains("tool=\"boom\""))
        .unwrap_or_else(|| panic!("no error line naming the tool:\n{text}"));
    assert!(tool_panic.contains("id=7"), "{tool_panic}");
    assert!(tool_panic.contains("handler bug"), "{tool_panic}");
    assert!(
        text.lines().any(|l| l.contains("ERROR")
            && l.contains("method=\"resources/read\"")
            && l.contains("id=8")
            && l.contains("resource bug")),
        "no error line for the resource handler:\n{text}"
    );
    // The failed call also gets its info line, and the debug line of the request.
    assert!(
        text.lines()
            .any(|l| l.contains("INFO") && l.contains("request failed") && l.contains("id=7")),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.contains("DEBUG")
            && l.contains("name=\"boom\"")
            && l.contains("outcome=\"error\"")),
        "{text}"
    );
}
