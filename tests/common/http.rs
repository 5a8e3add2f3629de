//! A Streamable HTTP client of `everything --http 127.0.0.1:0`, on hyper 1: one
//! connection per HTTP request (HTTP/1.1 by default; h2c or TLS by [`Wire`]), JSON
//! bodies and SSE streams read incrementally, every JSON-RPC message schema-checked.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::header::HeaderMap;
use http::{Method, Request, StatusCode, Version};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::process::{Child, Command};

use super::{
    Exchange, LATEST, Mcp, Responder, STEP, drain_stderr, everything_binary, schema, within,
};

/// A running `everything --http 127.0.0.1:0 …`, killed on drop.
pub struct HttpServer {
    pub child: Child,
    pub addr: SocketAddr,
    pub stderr: Arc<Mutex<String>>,
}

/// Starts the everything binary with `args` and `env` (it listens where they say);
/// returns it, its stderr, and the address it reports listening on.
pub async fn spawn_listening(
    args: &[&str],
    env: &[(&str, &str)],
) -> (Child, Arc<Mutex<String>>, String) {
    spawn_example_listening(&everything_binary(), args, env).await
}

/// Starts an example binary with `args` and `env`; returns it, its stderr, and the
/// address it reports listening on (`listening on http://ADDR/…`).
pub async fn spawn_example_listening(
    binary: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Child, Arc<Mutex<String>>, String) {
    let mut child = Command::new(binary)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", binary.display()));
    let (stderr, listening) = drain_stderr(child.stderr.take().expect("stderr"), |line| {
        let line = line.trim();
        let rest = (line.strip_prefix("listening on http://"))
            .or_else(|| line.strip_prefix("listening on https://"))?;
        Some(rest.split('/').next().unwrap_or_default().to_owned())
    });
    let addr = match tokio::time::timeout(STEP, listening).await {
        Ok(Ok(addr)) => addr,
        other => panic!(
            "the server did not report its address ({other:?}); stderr:\n{}",
            stderr.lock().unwrap_or_else(|e| e.into_inner())
        ),
    };
    (child, stderr, addr)
}

impl HttpServer {
    /// Starts a server with these extra arguments and waits until it listens.
    pub async fn spawn(args: &[&str]) -> HttpServer {
        HttpServer::spawn_binary(&everything_binary(), args).await
    }

    /// Starts another example serving `/mcp` (`--http 127.0.0.1:0` and `args`).
    pub async fn spawn_binary(binary: &Path, args: &[&str]) -> HttpServer {
        let args: Vec<&str> = ["--http", "127.0.0.1:0"]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        let (child, stderr, addr) = spawn_example_listening(binary, &args, &[]).await;
        HttpServer {
            child,
            addr: addr.parse().expect("a socket address"),
            stderr,
        }
    }

    /// A client of this server (no session yet).
    pub fn client(&self) -> HttpClient {
        HttpClient::new(self.addr)
    }
}

/// One Server-Sent Event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
    pub retry: Option<u64>,
}

impl SseEvent {
    /// `(stream, sequence)` of an `id: N-M`.
    pub fn id_parts(&self) -> Option<(u64, u64)> {
        let (a, b) = self.id.as_deref()?.split_once('-')?;
        Some((a.parse().ok()?, b.parse().ok()?))
    }

    /// The SEP-1699 priming event: an id, a retry interval, empty data.
    pub fn is_priming(&self) -> bool {
        self.id.is_some() && self.data.is_empty()
    }
}

/// An HTTP response whose body is read on demand.
pub struct HttpReply {
    pub status: StatusCode,
    /// The HTTP version the response came over.
    pub version: Version,
    pub headers: HeaderMap,
    body: Incoming,
    buf: Vec<u8>,
    ended: bool,
}

impl HttpReply {
    /// The Content-Type, without parameters.
    pub fn content_type(&self) -> String {
        self.header("content-type")
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    }

    /// A header as a string.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// Reads more of the body; false at its end.
    async fn fill(&mut self) -> bool {
        if self.ended {
            return false;
        }
        match self.body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    self.buf.extend_from_slice(&data);
                }
                true
            }
            // A dropped connection ends the body like a clean end does.
            Some(Err(_)) | None => {
                self.ended = true;
                false
            }
        }
    }

    /// The whole body.
    pub async fn bytes(mut self) -> Vec<u8> {
        within("the response body", async { while self.fill().await {} }).await;
        self.buf
    }

    /// The whole body as JSON.
    pub async fn json(self) -> Value {
        let bytes = self.bytes().await;
        serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&bytes)
            )
        })
    }

    fn take_event(&mut self) -> Option<SseEvent> {
        let text = std::str::from_utf8(&self.buf).ok()?;
        let (block, consumed) = match (text.find("\n\n"), text.find("\r\n\r\n")) {
            (Some(a), Some(b)) if b < a => (&text[..b], b + 4),
            (Some(a), _) => (&text[..a], a + 2),
            (None, Some(b)) => (&text[..b], b + 4),
            (None, None) => return None,
        };
        let mut event = SseEvent::default();
        let mut data_lines = Vec::new();
        for line in block.lines() {
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = match line.split_once(':') {
                Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
                None => (line, ""),
            };
            match field {
                "id" => event.id = Some(value.to_owned()),
                "event" => event.event = Some(value.to_owned()),
                "data" => data_lines.push(value.to_owned()),
                "retry" => event.retry = value.trim().parse().ok(),
                _ => {}
            }
        }
        event.data = data_lines.join("\n");
        self.buf.drain(..consumed);
        Some(event)
    }

    /// The next event, `Ok(None)` at the end of the stream, `Err` if nothing
    /// arrives within `limit`.
    pub async fn next_event_within(&mut self, limit: Duration) -> Result<Option<SseEvent>, ()> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Some(e) = self.take_event() {
                return Ok(Some(e));
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.fill()).await {
                Err(_) => return Err(()),
                Ok(true) => {}
                Ok(false) => {
                    if let Some(e) = self.take_event() {
                        return Ok(Some(e));
                    }
                    let rest = String::from_utf8_lossy(&self.buf);
                    assert!(
                        rest.trim().is_empty(),
                        "the stream ended inside an event: {rest:?}"
                    );
                    return Ok(None);
                }
            }
        }
    }

    /// The next event, or `None` at the end of the stream; fails on a timeout.
    pub async fn next_event(&mut self) -> Option<SseEvent> {
        match self.next_event_within(STEP).await {
            Ok(e) => e,
            Err(()) => panic!("no SSE event and no end of stream within {STEP:?}"),
        }
    }
}

/// How a client reaches the server.
#[derive(Clone, Default)]
pub enum Wire {
    /// HTTP/1.1 over TCP.
    #[default]
    Http1,
    /// HTTP/2 over TCP with prior knowledge (h2c).
    H2c,
    /// TLS to `localhost` with this client configuration, then HTTP/2 if ALPN
    /// picks `h2`, else HTTP/1.1; the response must come over `expect`.
    Tls {
        config: Arc<rustls::ClientConfig>,
        expect: Version,
    },
}

/// Sends one HTTP request on a new connection. Unless `headers` names them, sends
/// `Host: <addr>`, and for POST `Content-Type: application/json` and `Accept:
/// application/json, text/event-stream`, for GET `Accept: text/event-stream`. A
/// header given with an empty value is left out.
pub async fn send(
    addr: SocketAddr,
    method: Method,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> HttpReply {
    send_on(&Wire::Http1, addr, method, headers, body).await
}

/// Like [`send`], to another path than `/mcp`.
pub async fn send_to(
    addr: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> HttpReply {
    send_on_path(&Wire::Http1, addr, method, path, headers, body).await
}

/// [`send`] over `wire`. Over HTTP/2 the `Host` becomes the URI's authority.
pub async fn send_on(
    wire: &Wire,
    addr: SocketAddr,
    method: Method,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> HttpReply {
    send_on_path(wire, addr, method, "/mcp", headers, body).await
}

/// [`send_on`] to `path`.
pub async fn send_on_path(
    wire: &Wire,
    addr: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> HttpReply {
    let mut all: Vec<(String, String)> = vec![("host".into(), addr.to_string())];
    if method == Method::POST {
        all.push(("content-type".into(), "application/json".into()));
        all.push((
            "accept".into(),
            "application/json, text/event-stream".into(),
        ));
    } else if method == Method::GET {
        all.push(("accept".into(), "text/event-stream".into()));
    }
    for (name, value) in headers {
        all.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        if !value.is_empty() {
            all.push((name.to_ascii_lowercase(), (*value).to_owned()));
        }
    }
    let wire = wire.clone();
    let path = path.to_owned();
    let what = format!("the HTTP response to {method}");
    // Boxed: the connection futures of every wire are large, and a test awaiting
    // several requests in one future would overflow a test thread's stack.
    let reply = Box::pin(async move {
        let tcp = tokio::net::TcpStream::connect(addr)
            .await
            .expect("connect to the server");
        let (sender, scheme, expect) = match wire {
            Wire::Http1 => (handshake(tcp, false).await, "http", Version::HTTP_11),
            Wire::H2c => (handshake(tcp, true).await, "http", Version::HTTP_2),
            Wire::Tls { config, expect } => {
                let name = rustls::pki_types::ServerName::try_from("localhost").expect("a name");
                let tls = tokio_rustls::TlsConnector::from(config)
                    .connect(name, tcp)
                    .await
                    .expect("TLS handshake");
                let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                (handshake(tls, h2).await, "https", expect)
            }
        };
        let mut request = Request::builder().method(method.clone());
        request = match &sender {
            Sender::H1(_) => request.uri(path.as_str()),
            Sender::H2(_) => {
                // HTTP/2 has no Host header: the authority carries it.
                let host = all
                    .iter()
                    .find(|(n, _)| n == "host")
                    .map(|(_, v)| v.clone());
                all.retain(|(n, _)| n != "host");
                let host = host.unwrap_or_else(|| addr.to_string());
                request.uri(format!("{scheme}://{host}{path}"))
            }
        };
        for (n, v) in &all {
            request = request.header(n.as_str(), v.as_str());
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .expect("a valid request");
        let response = match sender {
            Sender::H1(mut s) => s.send_request(request).await,
            Sender::H2(mut s) => s.send_request(request).await,
        }
        .expect("send the HTTP request");
        assert_eq!(response.version(), expect, "the response's HTTP version");
        let (parts, body) = response.into_parts();
        HttpReply {
            status: parts.status,
            version: parts.version,
            headers: parts.headers,
            body,
            buf: Vec::new(),
            ended: false,
        }
    });
    within(&what, reply).await
}

enum Sender {
    H1(hyper::client::conn::http1::SendRequest<Full<Bytes>>),
    H2(hyper::client::conn::http2::SendRequest<Full<Bytes>>),
}

/// An HTTP/1.1 or HTTP/2 client connection on `io`, driven by a task of its own.
async fn handshake<I>(io: I, h2: bool) -> Sender
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    if h2 {
        let (sender, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(io))
                .await
                .expect("HTTP/2 handshake");
        tokio::spawn(connection);
        Sender::H2(sender)
    } else {
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .expect("HTTP/1 handshake");
        tokio::spawn(connection);
        Sender::H1(sender)
    }
}

/// POSTs a JSON body.
pub async fn post_json(addr: SocketAddr, headers: &[(&str, &str)], body: &Value) -> HttpReply {
    send(addr, Method::POST, headers, body.to_string().into_bytes()).await
}

/// An MCP client over Streamable HTTP.
pub struct HttpClient {
    pub addr: SocketAddr,
    /// How requests reach the server (HTTP/1.1 over TCP unless set).
    pub wire: Wire,
    /// The `mcp-session-id` the server issued.
    pub session: Option<String>,
    version: String,
    /// Whether requests after `initialize` carry `mcp-protocol-version`.
    pub send_version_header: bool,
    next_id: i64,
    methods: HashMap<String, String>,
    /// The SSE events of the last exchange (empty for JSON answers).
    pub last_events: Vec<SseEvent>,
    /// The Content-Type of the last exchange's answer.
    pub last_content_type: String,
    /// `Authorization: Bearer <token>` on every request, when set.
    pub bearer: Option<String>,
}

impl HttpClient {
    pub fn new(addr: SocketAddr) -> HttpClient {
        HttpClient {
            addr,
            wire: Wire::Http1,
            session: None,
            version: LATEST.to_owned(),
            send_version_header: true,
            next_id: 1,
            methods: HashMap::new(),
            last_events: Vec::new(),
            last_content_type: String::new(),
            bearer: None,
        }
    }

    /// Sends `token` as the bearer token of every request from now on.
    pub fn with_token(mut self, token: &str) -> HttpClient {
        self.bearer = Some(format!("Bearer {token}"));
        self
    }

    /// A fresh request id.
    pub fn next_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// The session, version and authorization headers, then `extra` (which may
    /// override them).
    fn headers<'a>(&'a self, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut h = Vec::new();
        if let Some(authorization) = &self.bearer {
            h.push(("authorization", authorization.as_str()));
        }
        if let Some(s) = &self.session {
            h.push(("mcp-session-id", s.as_str()));
            if self.send_version_header {
                h.push(("mcp-protocol-version", self.version.as_str()));
            }
        }
        h.extend_from_slice(extra);
        h
    }

    /// Remembers the methods of the requests in `body`, to validate their results.
    pub fn remember(&mut self, body: &Value) {
        let items: Vec<&Value> = match body {
            Value::Array(items) => items.iter().collect(),
            m => vec![m],
        };
        for m in items {
            if let (Some(id), Some(method)) = (m.get("id"), m["method"].as_str()) {
                self.methods.insert(id.to_string(), method.to_owned());
            }
        }
    }

    /// The session and version headers, as owned pairs.
    pub fn session_headers(&self) -> Vec<(String, String)> {
        self.headers(&[])
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect()
    }

    /// POSTs `body` with the session headers plus `extra`; nothing is checked.
    pub async fn post_with(&mut self, body: &Value, extra: &[(&str, &str)]) -> HttpReply {
        self.remember(body);
        let body = body.to_string().into_bytes();
        send_on(
            &self.wire,
            self.addr,
            Method::POST,
            &self.headers(extra),
            body,
        )
        .await
    }

    /// POSTs `body` with the session headers.
    pub async fn post(&mut self, body: &Value) -> HttpReply {
        self.post_with(body, &[]).await
    }

    /// A request message with a fresh id.
    pub fn request_message(&mut self, method: &str, params: Value) -> (i64, Value) {
        let id = self.next_id();
        (
            id,
            json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }),
        )
    }

    /// GET on the endpoint with the session headers plus `extra`.
    pub async fn get(&self, extra: &[(&str, &str)]) -> HttpReply {
        send_on(
            &self.wire,
            self.addr,
            Method::GET,
            &self.headers(extra),
            Vec::new(),
        )
        .await
    }

    /// DELETE on the endpoint with the session headers.
    pub async fn delete(&self) -> HttpReply {
        let headers = self.headers(&[]);
        send_on(&self.wire, self.addr, Method::DELETE, &headers, Vec::new()).await
    }

    /// Checks one message from the server against the session's schema.
    pub fn validate(&self, message: &Value) {
        let method = message
            .get("id")
            .and_then(|id| self.methods.get(&id.to_string()))
            .map(String::as_str);
        schema::check_server_message(&self.version, message, method);
    }

    /// Parses and validates the JSON-RPC message of one SSE event.
    pub fn event_message(&self, event: &SseEvent) -> Value {
        assert_eq!(
            event.event.as_deref(),
            Some("message"),
            "a data event must be `event: message`: {event:?}"
        );
        assert!(
            event.id_parts().is_some(),
            "an event id must be N-M: {event:?}"
        );
        let message: Value = serde_json::from_str(&event.data)
            .unwrap_or_else(|e| panic!("SSE data is not JSON ({e}): {:?}", event.data));
        match &message {
            Value::Array(items) => items.iter().for_each(|m| self.validate(m)),
            m => self.validate(m),
        }
        message
    }

    /// POSTs a client's answer to a server request; it must be accepted (202).
    pub async fn answer(&mut self, answer: &Value) {
        let reply = self.post(answer).await;
        assert_eq!(
            reply.status,
            StatusCode::ACCEPTED,
            "posting a response to the server must give 202"
        );
    }

    /// Reads the answer to request `id` from `reply` (JSON or SSE), answering
    /// server requests with `responder` and checking the stream's framing.
    pub async fn read_answer(
        &mut self,
        mut reply: HttpReply,
        id: &Value,
        responder: Responder<'_>,
    ) -> Exchange {
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "a request must be answered with 200"
        );
        self.last_content_type = reply.content_type();
        self.last_events.clear();
        if self.last_content_type == "application/json" {
            let response = reply.json().await;
            self.validate(&response);
            assert_eq!(response.get("id"), Some(id), "response to another id");
            return Exchange {
                response,
                notifications: Vec::new(),
                server_requests: Vec::new(),
            };
        }
        assert_eq!(
            self.last_content_type, "text/event-stream",
            "a request is answered with JSON or SSE"
        );
        let mut notifications = Vec::new();
        let mut server_requests = Vec::new();
        let mut stream_no = None;
        let mut last_seq = None;
        loop {
            let Some(event) = reply.next_event().await else {
                panic!(
                    "the SSE stream ended before the response to {id}; events: {:?}",
                    self.last_events
                );
            };
            self.last_events.push(event.clone());
            let (stream, seq) = event
                .id_parts()
                .unwrap_or_else(|| panic!("an event without an N-M id: {event:?}"));
            assert!(
                stream_no.is_none_or(|s| s == stream),
                "one stream's events share their stream number: {:?}",
                self.last_events
            );
            assert!(
                last_seq.is_none_or(|l| seq > l),
                "event sequence numbers increase: {:?}",
                self.last_events
            );
            stream_no = Some(stream);
            last_seq = Some(seq);
            if event.is_priming() {
                assert_eq!(
                    self.last_events.len(),
                    1,
                    "the priming event comes first: {:?}",
                    self.last_events
                );
                continue;
            }
            let m = self.event_message(&event);
            if m.get("method").is_some() {
                if m.get("id").is_some() {
                    let answer = responder(&m);
                    server_requests.push(m);
                    self.answer(&answer).await;
                } else {
                    notifications.push(m);
                }
                continue;
            }
            assert_eq!(
                m.get("id"),
                Some(id),
                "a response to another request on this stream"
            );
            if self.version == LATEST {
                let first = &self.last_events[0];
                assert!(
                    first.is_priming() && first.retry.is_some(),
                    "a 2025-11-25 stream starts with a priming event with retry: {:?}",
                    self.last_events
                );
            }
            assert_eq!(
                reply.next_event().await,
                None,
                "the stream ends after the response"
            );
            return Exchange {
                response: m,
                notifications,
                server_requests,
            };
        }
    }

    /// `initialize` alone (no `initialized`): the raw answer, validated.
    pub async fn initialize_only(&mut self, version: &str, capabilities: Value) -> Value {
        if super::VERSIONS.contains(&version) {
            self.version = version.to_owned();
        }
        let (id, message) = self.request_message(
            "initialize",
            super::initialize_params(version, capabilities),
        );
        self.session = None;
        let reply = self.post(&message).await;
        assert_eq!(reply.status, StatusCode::OK, "initialize gives 200");
        assert_eq!(reply.content_type(), "application/json");
        let session = reply
            .header("mcp-session-id")
            .expect("initialize issues an mcp-session-id");
        assert!(
            !session.is_empty() && session.bytes().all(|b| (0x21..=0x7e).contains(&b)),
            "a session id is visible ASCII: {session:?}"
        );
        let response = reply.json().await;
        self.validate(&response);
        assert_eq!(response["id"], json!(id));
        let result = response
            .get("result")
            .unwrap_or_else(|| panic!("initialize failed: {response}"))
            .clone();
        self.version = result["protocolVersion"]
            .as_str()
            .expect("protocolVersion")
            .to_owned();
        self.session = Some(session);
        result
    }
}

impl Mcp for HttpClient {
    fn version(&self) -> &str {
        &self.version
    }

    async fn exchange_with(
        &mut self,
        method: &str,
        params: Value,
        responder: Responder<'_>,
    ) -> Exchange {
        let (id, message) = self.request_message(method, params);
        let reply = self.post(&message).await;
        self.read_answer(reply, &json!(id), responder).await
    }

    async fn notify(&mut self, method: &str, params: Value) {
        let reply = self
            .post(&json!({ "jsonrpc": "2.0", "method": method, "params": params }))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::ACCEPTED,
            "a notification is answered with 202"
        );
    }

    async fn initialize(&mut self, version: &str, capabilities: Value) -> Value {
        let result = self.initialize_only(version, capabilities).await;
        self.notify("notifications/initialized", json!({})).await;
        result
    }
}
