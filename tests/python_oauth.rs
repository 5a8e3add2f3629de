//! The official MCP Python SDK (`mcp`, pinned in scripts/test) as an OAuth client
//! of the notes example, end to end: its `OAuthClientProvider` discovers the
//! authorization server from our 401 challenge and protected resource metadata,
//! registers itself (RFC 7591), runs the authorization-code flow with PKCE against
//! npm's oauth2-mock-server, steps up when `create_note` needs `notes:write`, and
//! calls the tools with a token whose audience is our MCP endpoint (RFC 8707).
//! The client is tests/support/python_oauth_client.py; it reports what it saw as
//! one JSON line.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::auth::MockAuthServer;
use common::http::spawn_example_listening;
use common::{example_binary, within_for};
use serde_json::Value;
use tokio::process::Command;

/// The Python with the `mcp` package: `MCPGEN_PYTHON` (scripts/test sets it to a
/// venv in .cache/ and installs the SDK there), or `None`.
fn python() -> Option<String> {
    std::env::var("MCPGEN_PYTHON").ok()
}

/// The scopes of a space-separated `scope` value.
fn scopes(value: &Value) -> Vec<&str> {
    value.as_str().unwrap_or_default().split(' ').collect()
}

#[tokio::test]
async fn python_sdk_authorizes_with_pkce_and_calls_protected_tools() {
    let Some(python) = python() else {
        eprintln!(
            "skipped: MCPGEN_PYTHON is not set (scripts/test sets it to a venv with the \
             MCP Python SDK, `mcp`)"
        );
        return;
    };

    let auth = MockAuthServer::start_with(&["--claim", "org=acme"]).await;
    let (_server, server_log, addr) = spawn_example_listening(
        &example_binary("notes"),
        &[
            "--http",
            "127.0.0.1:0",
            "--auth-issuer",
            &auth.issuer,
            "--tenant-claim",
            "org",
            // Every request logged: the log below must still show no token.
            "--log-level",
            "debug",
        ],
        &[],
    )
    .await;
    let url = format!("http://{addr}/mcp");

    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/python_oauth_client.py"
    );
    let client = Command::new(&python)
        .arg(script)
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("run {python} (MCPGEN_PYTHON): {e}"));
    let out = within_for(
        Duration::from_secs(120),
        "the Python SDK client",
        client.wait_with_output(),
    )
    .await
    .expect("the client's output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let server_log = server_log.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert!(
        out.status.success(),
        "the Python SDK client failed ({}; is `mcp` installed in MCPGEN_PYTHON's \
         environment? scripts/test installs it):\n{stderr}\n--- stdout:\n{stdout}\n\
         --- notes' log:\n{server_log}\n--- the authorization server's log:\n{}",
        out.status,
        auth.stderr.lock().unwrap_or_else(|e| e.into_inner()),
    );
    let seen: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("the client printed no JSON line ({e}):\n{stdout}"));
    let context = format!("the client saw:\n{seen:#}");

    assert_eq!(seen["server"], "notes", "{context}");

    // The first authorization asks for the scope of the 401 challenge (and the
    // list shows only what that token may call); create_note's 403 challenge
    // makes the SDK step up to both scopes.
    let authorizations = seen["authorizations"].as_array().expect("authorizations");
    assert_eq!(authorizations.len(), 2, "{context}");
    assert_eq!(authorizations[0]["scope"], "notes:read", "{context}");
    let stepped_up = scopes(&authorizations[1]["scope"]);
    assert!(
        stepped_up.contains(&"notes:read") && stepped_up.contains(&"notes:write"),
        "{context}"
    );
    for request in authorizations {
        assert_eq!(request["resource"], url.as_str(), "{context}");
        assert_eq!(request["code_challenge_method"], "S256", "{context}");
    }
    assert_eq!(seen["client_registered"], true, "{context}");

    let tools_first: Vec<&str> = seen["tools_first"]
        .as_array()
        .expect("tools_first")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(tools_first.contains(&"list_notes"), "{context}");
    assert!(!tools_first.contains(&"create_note"), "{context}");
    let tools: Vec<&str> = seen["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        tools.contains(&"list_notes") && tools.contains(&"create_note"),
        "{context}"
    );

    // The note create_note made is listed, written by the token's subject.
    let id = seen["created_id"].as_i64().expect("a note id");
    let notes = seen["notes"].as_array().expect("notes");
    let note = notes
        .iter()
        .find(|n| n["id"] == id)
        .unwrap_or_else(|| panic!("note {id} is not listed; {context}"));
    assert_eq!(note["author"], "johndoe", "{context}");
    assert_eq!(note["title"], "From Python", "{context}");

    // The token the SDK ended with: for this endpoint, from the mock, for the
    // tenant, with both scopes.
    let claims = &seen["claims"];
    assert_eq!(claims["aud"], url.as_str(), "{context}");
    assert_eq!(claims["iss"], auth.issuer.as_str(), "{context}");
    assert_eq!(claims["sub"], "johndoe", "{context}");
    assert_eq!(claims["org"], "acme", "{context}");
    let granted = scopes(&claims["scope"]);
    assert!(
        granted.contains(&"notes:read") && granted.contains(&"notes:write"),
        "{context}"
    );

    // No token in the server's log (every JWT starts with `eyJ`, base64url of
    // `{"`), nor in what the client printed.
    assert!(
        server_log.contains("tools/call"),
        "the debug log shows no request:\n{server_log}"
    );
    assert!(
        !server_log.contains("eyJ"),
        "notes' log shows a token:\n{server_log}"
    );
    assert!(!stdout.contains("eyJ"), "the client printed a token");
}
