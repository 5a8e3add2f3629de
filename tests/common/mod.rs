//! Shared helpers of the end-to-end tests: spawning `examples/everything`, a stdio
//! client, a Streamable HTTP client, an OTLP/HTTP collector, and validation of
//! every message the server sends against the MCP JSON schema of the negotiated
//! protocol version.
//!
//! Every wait is bounded: a test fails with a message rather than hangs.

#![allow(dead_code)]

pub mod auth;
pub mod http;
pub mod modern;
pub mod otlp;
pub mod scenarios;
pub mod schema;
pub mod stdio;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

/// The newest protocol version.
pub const LATEST: &str = "2025-11-25";
/// Every protocol version the server speaks, oldest first.
pub const VERSIONS: [&str; 4] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

/// The longest any single step (a response, an event, a process start) may take.
pub const STEP: Duration = Duration::from_secs(10);

/// Awaits `fut`, failing the test if it takes longer than [`STEP`].
pub async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    within_for(STEP, what, fut).await
}

/// Awaits `fut`, failing the test if it takes longer than `limit`.
pub async fn within_for<T>(limit: Duration, what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(limit, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {limit:?} waiting for {what}"),
    }
}

/// Sends SIGTERM to a server under test, as an orchestrator stopping it would.
pub fn terminate(child: &tokio::process::Child) {
    let pid = child.id().expect("the server runs");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

/// The path of an example binary, brought up to date once per test process:
/// `cargo test --all-targets` and `cargo test --test X` do not rebuild it, and a
/// stale server would make the tests judge old code.
pub fn example_binary(name: &str) -> PathBuf {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let exe = std::env::current_exe().expect("current_exe");
    // target/debug/deps/<test> -> target/debug/examples/<name>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps");
    let bin = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built.iter().any(|b| b == name) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        // Without the variables cargo sets for this test process: ring's build
        // script watches CARGO_MANIFEST_DIR, CARGO_PKG_NAME, OUT_DIR and more, so
        // inheriting them would rebuild ring (and everything above it) here and
        // again at the next `cargo` command.
        let mut command = std::process::Command::new(cargo);
        for (key, _) in std::env::vars_os() {
            let key_text = key.to_string_lossy();
            let set_for_tests = [
                "CARGO_PKG_",
                "CARGO_MANIFEST_",
                "CARGO_CRATE_",
                "CARGO_BIN_",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "OUT_DIR",
            ];
            if set_for_tests.iter().any(|p| key_text.starts_with(p)) {
                command.env_remove(&key);
            }
        }
        let status = command
            .args(["build", "--quiet", "--example", name])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("run cargo build --example");
        assert!(status.success(), "cargo build --example {name} failed");
        built.push(name.to_owned());
    }
    assert!(bin.exists(), "{} is missing", bin.display());
    bin
}

/// The everything example, the conformance fixture.
pub fn everything_binary() -> PathBuf {
    example_binary("everything")
}

/// Drains a child's stderr into a shared buffer (so the pipe never fills), and
/// reports the first line for which `watch` returns `Some`.
pub fn drain_stderr<R>(
    stderr: R,
    watch: impl Fn(&str) -> Option<String> + Send + 'static,
) -> (Arc<Mutex<String>>, tokio::sync::oneshot::Receiver<String>)
where
    R: tokio::io::AsyncRead + Unpin + Send + 'static,
{
    let log = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = tokio::sync::oneshot::channel();
    let sink = log.clone();
    tokio::spawn(async move {
        let mut tx = Some(tx);
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(found) = watch(&line) {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(found);
                }
            }
            let mut log = sink.lock().unwrap_or_else(|e| e.into_inner());
            log.push_str(&line);
            log.push('\n');
        }
    });
    (log, rx)
}

/// One request and everything the server sent until its response.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The JSON-RPC response (result or error).
    pub response: Value,
    /// Notifications received before the response, in order.
    pub notifications: Vec<Value>,
    /// Server-to-client requests received before the response, in order.
    pub server_requests: Vec<Value>,
}

impl Exchange {
    /// The `result`, failing the test on an error response.
    pub fn result(&self) -> &Value {
        match self.response.get("result") {
            Some(r) => r,
            None => panic!("expected a result, got {}", self.response),
        }
    }

    /// The `error`, failing the test on a result.
    pub fn error(&self) -> &Value {
        match self.response.get("error") {
            Some(e) => e,
            None => panic!("expected an error, got {}", self.response),
        }
    }

    /// The error code, failing the test on a result.
    pub fn error_code(&self) -> i64 {
        self.error()["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("error without an integer code: {}", self.response))
    }

    /// The notifications with this method.
    pub fn notifications_named(&self, method: &str) -> Vec<&Value> {
        self.notifications
            .iter()
            .filter(|n| n["method"] == method)
            .collect()
    }
}

/// Answers to server-to-client requests.
pub type Responder<'a> = &'a mut dyn FnMut(&Value) -> Value;

/// A successful JSON-RPC response to a server-to-client request.
pub fn reply(request: &Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": request["id"].clone(), "result": result })
}

/// The MCP client operations the scenarios need, over either transport.
#[allow(async_fn_in_trait)]
pub trait Mcp {
    /// The negotiated protocol version (the requested one before `initialize`).
    fn version(&self) -> &str;

    /// Sends a request and collects everything up to its response, answering
    /// server-to-client requests with `responder`.
    async fn exchange_with(
        &mut self,
        method: &str,
        params: Value,
        responder: Responder<'_>,
    ) -> Exchange;

    /// Sends a notification.
    async fn notify(&mut self, method: &str, params: Value);

    /// Sends a request; a server-to-client request fails the test.
    async fn exchange(&mut self, method: &str, params: Value) -> Exchange {
        let mut refuse = |r: &Value| -> Value { panic!("unexpected server request: {r}") };
        self.exchange_with(method, params, &mut refuse).await
    }

    /// Sends a request and returns its result, failing the test on an error.
    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.exchange(method, params).await.result().clone()
    }

    /// `initialize` with these capabilities, then `notifications/initialized`.
    async fn initialize(&mut self, version: &str, capabilities: Value) -> Value;

    /// `tools/call` and its result.
    async fn call_tool(&mut self, name: &str, arguments: Value) -> Value {
        self.call(
            "tools/call",
            json!({ "name": name, "arguments": arguments }),
        )
        .await
    }
}

/// The standard `initialize` params.
pub fn initialize_params(version: &str, capabilities: Value) -> Value {
    json!({
        "protocolVersion": version,
        "capabilities": capabilities,
        "clientInfo": { "name": "mcpgen-e2e", "version": "1.0.0" },
    })
}

/// The text of the first content block of a tool result.
pub fn first_text(result: &Value) -> &str {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text in content[0]: {result}"))
}

/// The JSON of `specs/everything.yaml`.
pub fn manifest() -> &'static Value {
    static MANIFEST: OnceLock<Value> = OnceLock::new();
    MANIFEST.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/everything.yaml");
        let text = std::fs::read_to_string(&path).expect("read specs/everything.yaml");
        serde_yaml::from_str(&text).expect("parse specs/everything.yaml")
    })
}
