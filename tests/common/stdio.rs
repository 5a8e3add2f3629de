//! A client of `everything --stdio`: newline-delimited JSON-RPC over the child's
//! stdin and stdout. Every line the server writes is parsed and schema-checked.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

use super::{Exchange, LATEST, Mcp, Responder, STEP, drain_stderr, everything_binary, schema};

/// A running `everything --stdio`, killed on drop.
pub struct StdioClient {
    _child: Child,
    stdin: ChildStdin,
    lines: mpsc::UnboundedReceiver<String>,
    version: String,
    next_id: i64,
    /// Method of each request sent, by the JSON of its id.
    methods: HashMap<String, String>,
    /// What the server wrote on stderr.
    pub stderr: Arc<Mutex<String>>,
}

impl StdioClient {
    /// Starts the everything server.
    pub async fn spawn() -> StdioClient {
        StdioClient::spawn_binary(everything_binary()).await
    }

    /// Starts another example's server.
    pub async fn spawn_example(name: &str) -> StdioClient {
        StdioClient::spawn_binary(super::example_binary(name)).await
    }

    /// Starts another example's server with these environment variables.
    pub async fn spawn_example_with_env(name: &str, env: &[(&str, &str)]) -> StdioClient {
        StdioClient::spawn_binary_with_env(super::example_binary(name), env).await
    }

    async fn spawn_binary(binary: std::path::PathBuf) -> StdioClient {
        StdioClient::spawn_binary_with_env(binary, &[]).await
    }

    async fn spawn_binary_with_env(
        binary: std::path::PathBuf,
        env: &[(&str, &str)],
    ) -> StdioClient {
        let mut child = Command::new(binary)
            .envs(env.iter().copied())
            .arg("--stdio")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn the example with --stdio");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (stderr, _) = drain_stderr(child.stderr.take().expect("stderr"), |_| None);
        let (tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        StdioClient {
            _child: child,
            stdin,
            lines,
            version: LATEST.to_owned(),
            next_id: 1,
            methods: HashMap::new(),
            stderr,
        }
    }

    /// Validates messages against this version's schema from now on.
    pub fn set_version(&mut self, version: &str) {
        self.version = version.to_owned();
    }

    /// A fresh request id.
    pub fn next_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Writes one line as is (for malformed input).
    pub async fn send_raw(&mut self, line: &str) {
        let mut bytes = line.as_bytes().to_vec();
        bytes.push(b'\n');
        super::within("writing to stdin", async {
            self.stdin.write_all(&bytes).await.expect("write stdin");
            self.stdin.flush().await.expect("flush stdin");
        })
        .await;
    }

    /// Writes one message, remembering the method of a request for validation.
    pub async fn send(&mut self, message: &Value) {
        self.remember(message);
        self.send_raw(&message.to_string()).await;
    }

    fn remember(&mut self, message: &Value) {
        let items: Vec<&Value> = match message {
            Value::Array(items) => items.iter().collect(),
            m => vec![m],
        };
        for m in items {
            if let (Some(id), Some(method)) = (m.get("id"), m["method"].as_str()) {
                self.methods.insert(id.to_string(), method.to_owned());
            }
        }
    }

    /// Sends a request with a fresh id; returns the id.
    pub async fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id();
        let message = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        self.send(&message).await;
        id
    }

    fn validate(&self, message: &Value) {
        let method = message
            .get("id")
            .and_then(|id| self.methods.get(&id.to_string()))
            .map(String::as_str);
        schema::check_server_message(&self.version, message, method);
    }

    /// The next message, or `None` if none comes within `limit`. Batch answers
    /// (arrays) are returned whole, each element validated.
    pub async fn recv_within(&mut self, limit: Duration) -> Option<Value> {
        let line = match tokio::time::timeout(limit, self.lines.recv()).await {
            Err(_) => return None,
            Ok(None) => panic!(
                "the server closed stdout; stderr:\n{}",
                self.stderr.lock().unwrap_or_else(|e| e.into_inner())
            ),
            Ok(Some(line)) => line,
        };
        let message: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line:?}"));
        match &message {
            Value::Array(items) => {
                assert!(!items.is_empty(), "an empty batch answer");
                for item in items {
                    self.validate(item);
                }
            }
            m => self.validate(m),
        }
        Some(message)
    }

    /// The next message; fails the test if none comes in time.
    pub async fn recv(&mut self) -> Value {
        match self.recv_within(STEP).await {
            Some(m) => m,
            None => panic!("no message from the server within {STEP:?}"),
        }
    }

    /// Every message that arrives within `window`.
    pub async fn drain_for(&mut self, window: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + window;
        let mut out = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return out;
            }
            match self.recv_within(left).await {
                Some(m) => out.push(m),
                None => return out,
            }
        }
    }

    /// Reads until the response to `id`, collecting notifications and answering
    /// server requests on the way.
    pub async fn collect_response(&mut self, id: &Value, responder: Responder<'_>) -> Exchange {
        let mut notifications = Vec::new();
        let mut server_requests = Vec::new();
        loop {
            let m = self.recv().await;
            if m.is_array() {
                panic!("unexpected batch answer while waiting for {id}: {m}");
            }
            if m.get("method").is_some() {
                if m.get("id").is_some() {
                    let answer = responder(&m);
                    server_requests.push(m);
                    self.send(&answer).await;
                } else {
                    notifications.push(m);
                }
                continue;
            }
            if m.get("id") == Some(id) {
                return Exchange {
                    response: m,
                    notifications,
                    server_requests,
                };
            }
            panic!("unexpected message while waiting for the response to {id}: {m}");
        }
    }
}

impl Mcp for StdioClient {
    fn version(&self) -> &str {
        &self.version
    }

    async fn exchange_with(
        &mut self,
        method: &str,
        params: Value,
        responder: Responder<'_>,
    ) -> Exchange {
        let id = self.send_request(method, params).await;
        self.collect_response(&json!(id), responder).await
    }

    async fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }))
            .await;
    }

    async fn initialize(&mut self, version: &str, capabilities: Value) -> Value {
        if super::VERSIONS.contains(&version) {
            self.version = version.to_owned();
        }
        let result = self
            .call(
                "initialize",
                super::initialize_params(version, capabilities),
            )
            .await;
        self.version = result["protocolVersion"]
            .as_str()
            .expect("protocolVersion")
            .to_owned();
        self.notify("notifications/initialized", json!({})).await;
        result
    }
}

/// The everything server on stdio with `args`, spoken to line by line with no
/// checks: for what happens around the protocol (limits, the end of input).
pub struct RawStdio {
    pub child: Child,
    stdin: Option<ChildStdin>,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl RawStdio {
    pub fn spawn(args: &[&str]) -> RawStdio {
        RawStdio::spawn_with_env(args, &[])
    }

    /// [`RawStdio::spawn`], with these environment variables set.
    pub fn spawn_with_env(args: &[&str], env: &[(&str, &str)]) -> RawStdio {
        let mut child = Command::new(everything_binary())
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn the everything example");
        let stdin = child.stdin.take();
        let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        RawStdio {
            child,
            stdin,
            lines,
        }
    }

    /// Writes one message as a line.
    pub async fn send(&mut self, message: &Value) {
        let stdin = self.stdin.as_mut().expect("input is open");
        stdin
            .write_all(format!("{message}\n").as_bytes())
            .await
            .expect("write to the server");
    }

    /// Ends the server's input.
    pub fn close_input(&mut self) {
        self.stdin = None;
    }

    /// The next message the server writes; `None` once its output ends.
    pub async fn next(&mut self) -> Option<Value> {
        let line = super::within("the server's next line", self.lines.next_line())
            .await
            .expect("read the server's output")?;
        Some(serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
    }
}
