//! Guards the guard: the schema validation every e2e client helper applies must
//! accept good messages and reject bad ones, at every protocol version.

mod common;

use common::schema::{check_server_message, errors};
use common::{LATEST, VERSIONS};
use serde_json::json;

fn rejects(f: impl FnOnce() + std::panic::UnwindSafe) -> bool {
    std::panic::catch_unwind(f).is_err()
}

#[test]
fn good_messages_pass_at_every_version() {
    for v in VERSIONS {
        check_server_message(
            v,
            &json!({ "jsonrpc": "2.0", "id": 1, "result": { "content": [{ "type": "text", "text": "hi" }] } }),
            Some("tools/call"),
        );
        check_server_message(
            v,
            &json!({ "jsonrpc": "2.0", "method": "notifications/progress",
                     "params": { "progressToken": "t", "progress": 1 } }),
            None,
        );
        check_server_message(
            v,
            &json!({ "jsonrpc": "2.0", "id": "srv-0", "method": "sampling/createMessage",
                     "params": { "messages": [], "maxTokens": 1 } }),
            None,
        );
        // An error without id (a parse error) passes at every version.
        check_server_message(
            v,
            &json!({ "jsonrpc": "2.0", "error": { "code": -32700, "message": "Parse error" } }),
            None,
        );
        check_server_message(
            v,
            &json!({ "jsonrpc": "2.0", "id": 2, "result": {} }),
            Some("ping"),
        );
    }
}

#[test]
fn bad_messages_fail_at_every_version() {
    for v in VERSIONS {
        let bad_results = [
            // An image block without data.
            (
                json!({ "content": [{ "type": "image", "mimeType": "image/png" }] }),
                "tools/call",
            ),
            // No content at all.
            (json!({ "isError": true }), "tools/call"),
            // A tool without inputSchema.
            (json!({ "tools": [{ "name": "x" }] }), "tools/list"),
            // Contents without uri.
            (json!({ "contents": [{ "text": "x" }] }), "resources/read"),
            (json!({ "completion": {} }), "completion/complete"),
            (json!({ "capabilities": {} }), "initialize"),
        ];
        for (result, method) in bad_results {
            let message = json!({ "jsonrpc": "2.0", "id": 1, "result": result });
            assert!(
                rejects(|| check_server_message(v, &message, Some(method))),
                "{v}: {message} accepted as the result of {method}"
            );
        }
        let bad_messages = [
            json!({ "jsonrpc": "2.0", "method": "notifications/progress", "params": { "progress": 1 } }),
            json!({ "jsonrpc": "2.0", "method": "notifications/message", "params": { "data": "x" } }),
            json!({ "jsonrpc": "2.0", "method": "notifications/unknown", "params": {} }),
            json!({ "jsonrpc": "2.0", "id": "srv-0", "method": "tools/list", "params": {} }),
            json!({ "jsonrpc": "1.0", "id": 1, "result": {} }),
            json!({ "jsonrpc": "2.0", "id": null, "result": {} }),
            json!({ "jsonrpc": "2.0", "id": 1, "error": { "code": "x", "message": "m" } }),
            json!({ "jsonrpc": "2.0", "id": 1 }),
        ];
        for message in bad_messages {
            assert!(
                rejects(|| check_server_message(v, &message, None)),
                "{v}: {message} accepted"
            );
        }
    }
}

#[test]
fn version_specific_constructs() {
    let audio =
        json!({ "content": [{ "type": "audio", "data": "AA==", "mimeType": "audio/wav" }] });
    assert!(!errors("2024-11-05", "CallToolResult", &audio).is_empty());
    assert!(errors("2025-03-26", "CallToolResult", &audio).is_empty());
    let uri = json!({ "contents": [{ "uri": "not a uri", "text": "x" }] });
    assert!(
        !errors(LATEST, "ReadResourceResult", &uri).is_empty(),
        "formats are checked"
    );
}
