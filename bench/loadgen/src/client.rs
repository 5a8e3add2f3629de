//! A minimal MCP client over Streamable HTTP: one keep-alive HTTP/1.1 connection,
//! session setup, echo calls and session deletion.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::check;
use crate::http1::{self, Parsed};
use crate::target::Target;

/// The protocol version the load generator speaks.
pub const PROTOCOL_VERSION: &str = "2025-11-25";

/// Why a request failed.
#[derive(Debug)]
pub enum Failure {
    /// The connection broke or the answer could not be framed: it must be replaced.
    Transport(String),
    /// An answer came but was wrong; the connection is still usable.
    Reply(String),
}

impl Failure {
    /// The reason, for the report.
    pub fn into_reason(self) -> String {
        match self {
            Failure::Transport(reason) | Failure::Reply(reason) => reason,
        }
    }
}

impl From<String> for Failure {
    fn from(reason: String) -> Self {
        Failure::Reply(reason)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Transport(reason) | Failure::Reply(reason) => f.write_str(reason),
        }
    }
}

/// How long a single answer may take before it counts as missing (outside the
/// measured loop of `calls`, which has its own end-of-window limit).
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// `exchange`, failing with a transport error after [`ANSWER_TIMEOUT`] (the
/// connection is then mid-answer and must be replaced).
pub async fn within_timeout<T>(
    exchange: impl Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    tokio::time::timeout(ANSWER_TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| {
            Err(Failure::Transport(format!(
                "no answer within {ANSWER_TIMEOUT:?}"
            )))
        })
}

/// A whole HTTP answer.
pub type Reply = http1::Response;

/// Bytes read from the socket at a time (an SSE answer to an echo call is ~250).
const READ_CHUNK: usize = 16 * 1024;

/// One keep-alive HTTP/1.1 connection to the target.
pub struct Connection {
    stream: TcpStream,
    target: Arc<Target>,
    /// The request being written; reused.
    out: Vec<u8>,
    /// Bytes read and not yet consumed.
    input: Vec<u8>,
    /// The server said it closes the connection after the last answer.
    closing: bool,
}

impl Connection {
    /// Connects to the first of the target's addresses that accepts.
    pub async fn open(target: &Arc<Target>) -> Result<Connection, String> {
        let mut last_error = String::from("no address");
        for addr in &target.addrs {
            match TcpStream::connect(addr).await {
                Ok(stream) => {
                    // Requests are small and latency is measured: no Nagle delay.
                    stream
                        .set_nodelay(true)
                        .map_err(|e| format!("TCP_NODELAY on {addr}: {e}"))?;
                    return Ok(Connection {
                        stream,
                        target: target.clone(),
                        out: Vec::with_capacity(1024),
                        input: Vec::with_capacity(READ_CHUNK),
                        closing: false,
                    });
                }
                Err(e) => last_error = format!("connecting to {addr}: {e}"),
            }
        }
        Err(last_error)
    }

    /// A new connection to the same target (after this one broke).
    pub async fn reopen(&self) -> Result<Connection, String> {
        Connection::open(&self.target).await
    }

    /// POSTs a JSON-RPC message, in `session` if given, and reads the whole answer.
    pub async fn post(&mut self, session: Option<&str>, body: &[u8]) -> Result<Reply, Failure> {
        let json = ("content-type", "application/json");
        let accept = ("accept", "application/json, text/event-stream");
        match session {
            Some(id) => {
                let headers = [
                    json,
                    accept,
                    ("mcp-session-id", id),
                    ("mcp-protocol-version", PROTOCOL_VERSION),
                ];
                self.exchange("POST", &headers, body).await
            }
            None => self.exchange("POST", &[json, accept], body).await,
        }
    }

    /// DELETEs a session; returns the status code.
    pub async fn delete(&mut self, session: &str) -> Result<u16, Failure> {
        let headers = [
            ("mcp-session-id", session),
            ("mcp-protocol-version", PROTOCOL_VERSION),
        ];
        Ok(self.exchange("DELETE", &headers, b"").await?.status)
    }

    /// Writes one request and reads its answer.
    async fn exchange(
        &mut self,
        method: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Reply, Failure> {
        if self.closing {
            // The server ended the connection cleanly after its last answer.
            *self = self.reopen().await.map_err(Failure::Transport)?;
        }
        self.out.clear();
        http1::write_request(
            &mut self.out,
            method,
            &self.target.path,
            &self.target.host_header,
            self.target.authorization.as_deref(),
            headers,
            body,
        );
        self.stream
            .write_all(&self.out)
            .await
            .map_err(|e| Failure::Transport(format!("connection lost: {e}")))?;
        let mut eof = false;
        loop {
            match http1::parse_response(&self.input, eof).map_err(Failure::Transport)? {
                Parsed::Complete(reply, used) => {
                    self.input.drain(..used);
                    self.closing = reply.closes || eof;
                    return Ok(reply);
                }
                Parsed::Partial if eof => {
                    return Err(Failure::Transport(
                        "connection closed before an answer".into(),
                    ));
                }
                Parsed::Partial => {
                    self.input.reserve(READ_CHUNK);
                    let read = self
                        .stream
                        .read_buf(&mut self.input)
                        .await
                        .map_err(|e| Failure::Transport(format!("connection lost: {e}")))?;
                    eof = read == 0;
                }
            }
        }
    }

    /// Opens a session: `initialize`, then `notifications/initialized`. Returns the
    /// session id; a server that gives none is refused.
    pub async fn open_session(&mut self) -> Result<String, Failure> {
        self.initialize().await?.ok_or_else(|| {
            "initialize answered without an mcp-session-id header"
                .to_owned()
                .into()
        })
    }

    /// `initialize`, then `notifications/initialized`: the session id, or `None`
    /// from a stateless server (rmcp answers JSON only without sessions), whose
    /// later requests then carry no session header.
    pub async fn initialize(&mut self) -> Result<Option<String>, Failure> {
        let reply = self.post(None, &initialize_request()).await?;
        let (_, response) = check::response_in_http_reply(
            reply.status,
            reply.content_type.as_deref(),
            &reply.body,
            0,
        )?;
        check::check_success(&response, 0).map_err(|e| format!("initialize: {e}"))?;
        let session = reply.session_id;
        let initialized = self
            .post(session.as_deref(), initialized_notification())
            .await?;
        if !(200..300).contains(&initialized.status) {
            return Err(format!("notifications/initialized: HTTP {}", initialized.status).into());
        }
        Ok(session)
    }

    /// Calls the `echo` tool with `text` (request id `id`) and checks the answer.
    pub async fn echo(
        &mut self,
        session: Option<&str>,
        id: u64,
        text: &str,
    ) -> Result<check::Format, Failure> {
        let mut body = Vec::with_capacity(100 + text.len());
        write_echo_request(&mut body, id, text);
        let reply = self.post(session, &body).await?;
        let format = check::check_echo_http_reply(
            reply.status,
            reply.content_type.as_deref(),
            &reply.body,
            id,
            text,
        )?;
        Ok(format)
    }

    /// Sends a `ping` in `session` and checks that it succeeds.
    pub async fn ping(&mut self, session: &str, id: u64) -> Result<(), Failure> {
        let body = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ping"}}"#);
        let reply = self.post(Some(session), body.as_bytes()).await?;
        let (_, response) = check::response_in_http_reply(
            reply.status,
            reply.content_type.as_deref(),
            &reply.body,
            id,
        )?;
        check::check_success(&response, id)?;
        Ok(())
    }
}

/// The `initialize` request (id 0).
pub fn initialize_request() -> Vec<u8> {
    format!(
        r#"{{"jsonrpc":"2.0","id":0,"method":"initialize","params":{{"protocolVersion":"{PROTOCOL_VERSION}","capabilities":{{}},"clientInfo":{{"name":"mcpgen-loadgen","version":"{}"}}}}}}"#,
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes()
}

/// The `notifications/initialized` notification.
pub fn initialized_notification() -> &'static [u8] {
    br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#
}

/// Appends a tools/call of `echo` to `buffer` (no newline). The text must need no
/// JSON escaping (see [`text_for`]).
pub fn write_echo_request(buffer: &mut Vec<u8>, id: u64, text: &str) {
    use std::io::Write;
    // Writing to a Vec cannot fail.
    let _ = write!(
        buffer,
        r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"echo","arguments":{{"text":"{text}"}}}}}}"#
    );
}

/// The text sent with request `id`: the id's digits, zero-padded to `len` bytes
/// (longer only if the id has more digits), so every request's text is distinct.
pub fn text_for(id: u64, len: usize) -> String {
    format!("{id:0>len$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_distinct_and_sized() {
        assert_eq!(text_for(42, 8), "00000042");
        assert_eq!(text_for(7, 64).len(), 64);
        assert_ne!(text_for(1, 64), text_for(2, 64));
        assert_eq!(text_for(123_456, 3), "123456");
    }

    #[test]
    fn messages_are_valid_json_rpc() {
        let mut call = Vec::new();
        write_echo_request(&mut call, 9, &text_for(9, 64));
        for body in [&initialize_request()[..], initialized_notification(), &call] {
            let value: serde_json::Value = serde_json::from_slice(body).unwrap();
            assert_eq!(value["jsonrpc"], "2.0");
        }
        call.clear();
        write_echo_request(&mut call, 9, "abc");
        let call: serde_json::Value = serde_json::from_slice(&call).unwrap();
        assert_eq!(call["id"], 9);
        assert_eq!(call["params"]["arguments"]["text"], "abc");
        let init: serde_json::Value = serde_json::from_slice(&initialize_request()).unwrap();
        assert_eq!(init["params"]["protocolVersion"], PROTOCOL_VERSION);
    }

    /// Reads one request head and its body from `stream`; returns the head.
    async fn read_request(stream: &mut TcpStream) -> String {
        let mut data = Vec::new();
        loop {
            let mut chunk = [0u8; 4096];
            let read = stream.read(&mut chunk).await.unwrap();
            assert!(read > 0, "client closed");
            data.extend_from_slice(&chunk[..read]);
            let text = String::from_utf8_lossy(&data).into_owned();
            if let Some(end) = text.find("\r\n\r\n") {
                let length: usize = text
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .map_or(0, |l| l.trim().parse().unwrap());
                if data.len() >= end + 4 + length {
                    return text[..end].to_owned();
                }
            }
        }
    }

    /// An SSE echo answer, sent in pieces as a streaming server does.
    fn sse_answer_pieces(id: u64, text: &str, close: bool) -> Vec<Vec<u8>> {
        let event = format!(
            "id: 1-1\nevent: message\ndata: {{\"jsonrpc\":\"2.0\",\"id\":{id},\"result\":{{\"content\":[{{\"type\":\"text\",\"text\":\"{text}\"}}]}}}}\n\n"
        );
        let priming = "id: 1-0\nretry: 1000\ndata: \n\n";
        let connection = if close { "connection: close\r\n" } else { "" };
        vec![
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n{connection}transfer-encoding: chunked\r\n\r\n{:x}\r\n{priming}\r\n",
                priming.len()
            )
            .into_bytes(),
            format!("{:x}\r\n{event}\r\n", event.len()).into_bytes(),
            b"0\r\n\r\n".to_vec(),
        ]
    }

    #[tokio::test]
    async fn calls_over_a_streaming_keep_alive_connection() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/mcp", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            // First connection: two answers, the second announcing a close.
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut heads = Vec::new();
            for (id, close) in [(1, false), (2, true)] {
                heads.push(read_request(&mut stream).await);
                for piece in sse_answer_pieces(id, &text_for(id, 8), close) {
                    stream.write_all(&piece).await.unwrap();
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            drop(stream);
            // The client reconnects by itself for the third call.
            let (mut stream, _) = listener.accept().await.unwrap();
            heads.push(read_request(&mut stream).await);
            for piece in sse_answer_pieces(3, "wrong", false) {
                stream.write_all(&piece).await.unwrap();
            }
            heads
        });
        let target = Arc::new(Target::parse(&url).unwrap());
        let mut connection = Connection::open(&target).await.unwrap();
        for id in 1..=2 {
            let format = connection
                .echo(Some("session-1"), id, &text_for(id, 8))
                .await
                .unwrap();
            assert_eq!(format, check::Format::Sse);
        }
        let wrong = connection
            .echo(Some("session-1"), 3, &text_for(3, 8))
            .await
            .unwrap_err();
        assert!(
            matches!(wrong, Failure::Reply(ref r) if r.contains("wrong text")),
            "{wrong}"
        );
        let heads = server.await.unwrap();
        assert_eq!(heads.len(), 3);
        for head in heads {
            assert!(head.starts_with("POST /mcp HTTP/1.1\r\n"), "{head}");
            assert!(head.contains("\r\nmcp-session-id: session-1\r\n"), "{head}");
            assert!(
                head.contains("\r\nmcp-protocol-version: 2025-11-25\r\n"),
                "{head}"
            );
            assert!(
                head.contains("\r\naccept: application/json, text/event-stream\r\n"),
                "{head}"
            );
        }
    }

    #[tokio::test]
    async fn a_connection_closed_mid_answer_is_a_transport_failure() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/mcp", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            read_request(&mut stream).await;
            let pieces = sse_answer_pieces(1, &text_for(1, 8), false);
            stream.write_all(&pieces[0]).await.unwrap();
        });
        let target = Arc::new(Target::parse(&url).unwrap());
        let mut connection = Connection::open(&target).await.unwrap();
        let failure = connection
            .echo(Some("s"), 1, &text_for(1, 8))
            .await
            .unwrap_err();
        assert!(matches!(failure, Failure::Transport(_)), "{failure}");
    }
}
