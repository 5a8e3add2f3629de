//! HTTP/2 over cleartext TCP with prior knowledge (h2c), for `calls --protocol h2`:
//! hyper's client, many calls multiplexed as streams over each connection. The
//! HTTP/1.1 path keeps its own small layer ([`crate::http1`]); this one is only as
//! cheap as hyper, so its CPU per call is reported beside the server's.

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Uri};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

use crate::check::{self, Format};
use crate::client::{Failure, PROTOCOL_VERSION, write_echo_request};
use crate::target::Target;

/// One HTTP/2 connection; clones share it, each call a stream of its own.
#[derive(Clone)]
pub struct H2Connection {
    sender: SendRequest<Full<Bytes>>,
    /// The absolute URI of the endpoint (HTTP/2 sends scheme and authority).
    uri: Uri,
    /// `Bearer TOKEN`, built once; each request takes a reference-counted clone.
    authorization: Option<HeaderValue>,
}

impl H2Connection {
    /// Connects to the first of the target's addresses that accepts and opens
    /// HTTP/2 on it; the connection is driven by a task of its own.
    pub async fn open(target: &Target) -> Result<H2Connection, String> {
        let uri = endpoint_uri(target)?;
        let authorization = match &target.authorization {
            Some(value) => {
                let mut value = HeaderValue::from_str(value)
                    .map_err(|_| "--bearer: the token is not a valid header value".to_owned())?;
                // HPACK keeps it out of its dynamic table.
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        let mut last_error = String::from("no address");
        for addr in &target.addrs {
            let stream = match TcpStream::connect(addr).await {
                Ok(stream) => stream,
                Err(e) => {
                    last_error = format!("connecting to {addr}: {e}");
                    continue;
                }
            };
            // As over HTTP/1.1: small frames, latency measured, no Nagle delay.
            stream
                .set_nodelay(true)
                .map_err(|e| format!("TCP_NODELAY on {addr}: {e}"))?;
            let (sender, connection) =
                hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                    .await
                    .map_err(|e| format!("HTTP/2 handshake with {addr}: {e}"))?;
            tokio::spawn(async move {
                // Its end shows as failed calls on the streams using it.
                let _ = connection.await;
            });
            return Ok(H2Connection {
                sender,
                uri,
                authorization,
            });
        }
        Err(last_error)
    }

    /// Calls the `echo` tool with `text` (request id `id`) and checks the answer.
    pub async fn echo(
        &mut self,
        session: Option<&str>,
        id: u64,
        text: &str,
    ) -> Result<Format, Failure> {
        let mut body = Vec::with_capacity(100 + text.len());
        write_echo_request(&mut body, id, text);
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(self.uri.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(
                ACCEPT,
                HeaderValue::from_static("application/json, text/event-stream"),
            );
        if let Some(value) = &self.authorization {
            request = request.header(AUTHORIZATION, value.clone());
        }
        if let Some(id) = session {
            let id = HeaderValue::from_str(id).map_err(|_| format!("invalid session id {id:?}"))?;
            request = request
                .header("mcp-session-id", id)
                .header("mcp-protocol-version", PROTOCOL_VERSION);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("building the request: {e}"))?;
        self.sender
            .ready()
            .await
            .map_err(|e| Failure::Transport(format!("connection lost: {e}")))?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| Failure::Transport(format!("request failed: {e}")))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| Failure::Transport(format!("reading the answer: {e}")))?
            .to_bytes();
        Ok(check::check_echo_http_reply(
            status,
            content_type.as_deref(),
            &body,
            id,
            text,
        )?)
    }
}

/// `http://AUTHORITY/PATH`, from a target already checked to be loopback.
fn endpoint_uri(target: &Target) -> Result<Uri, String> {
    format!("http://{}{}", target.host_header, target.path)
        .parse()
        .map_err(|e| format!("{}: not a URI for HTTP/2: {e}", target.url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_uris_keep_authority_and_path() {
        for (url, expected) in [
            ("http://127.0.0.1:3000/mcp", "http://127.0.0.1:3000/mcp"),
            ("http://localhost/mcp?x=1#frag", "http://localhost/mcp?x=1"),
            ("http://[::1]:9/", "http://[::1]:9/"),
        ] {
            let uri = endpoint_uri(&Target::parse(url).unwrap()).unwrap();
            assert_eq!(uri.to_string(), expected);
            assert_eq!(uri.scheme_str(), Some("http"));
        }
    }

    /// An h2c server answering every POST in session `session-1` with the echo of
    /// its text as an SSE event (after a priming event), any other with 400.
    async fn echo_server() -> String {
        use hyper::body::Incoming;
        use hyper::service::service_fn;

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/mcp", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let service = service_fn(|request: Request<Incoming>| async move {
                let in_session = request
                    .headers()
                    .get("mcp-session-id")
                    .is_some_and(|id| id == "session-1");
                // A token, when sent, must be the right one.
                let authorized = request
                    .headers()
                    .get(AUTHORIZATION)
                    .is_none_or(|value| value == "Bearer t0k3n");
                let body = request.into_body().collect().await?.to_bytes();
                let call: serde_json::Value = serde_json::from_slice(&body).unwrap();
                let answer = serde_json::json!({
                    "jsonrpc": "2.0",
                    "id": call["id"],
                    "result": {"content": [{"type": "text", "text": call["params"]["arguments"]["text"]}]},
                });
                let sse = format!("id: 1-0\ndata: \n\nevent: message\ndata: {answer}\n\n");
                let response = http::Response::builder()
                    .status(match (authorized, in_session) {
                        (false, _) => 401,
                        (true, true) => 200,
                        (true, false) => 400,
                    })
                    .header(CONTENT_TYPE, "text/event-stream")
                    .body(Full::new(Bytes::from(sse)))
                    .unwrap();
                Ok::<_, hyper::Error>(response)
            });
            let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        url
    }

    #[tokio::test]
    async fn echo_calls_are_streams_on_one_connection() {
        let target = Target::parse(&echo_server().await).unwrap();
        let connection = H2Connection::open(&target).await.unwrap();
        // Eight calls in flight at once, each a stream of the one connection.
        let calls: Vec<_> = (1..=8u64)
            .map(|id| {
                let mut stream = connection.clone();
                tokio::spawn(async move {
                    let text = crate::client::text_for(id, 16);
                    stream.echo(Some("session-1"), id, &text).await
                })
            })
            .collect();
        for call in calls {
            assert_eq!(call.await.unwrap().unwrap(), Format::Sse);
        }
        let mut stream = connection.clone();
        let outside = stream.echo(None, 9, "x").await.unwrap_err();
        assert!(
            matches!(outside, Failure::Reply(ref r) if r.contains("HTTP 400")),
            "{outside}"
        );
    }

    #[tokio::test]
    async fn bearer_tokens_go_with_every_call() {
        let url = echo_server().await;
        let target = Target::parse(&url)
            .unwrap()
            .with_bearer(Some("t0k3n"))
            .unwrap();
        let mut stream = H2Connection::open(&target).await.unwrap();
        for id in 1..=2u64 {
            let text = crate::client::text_for(id, 16);
            assert_eq!(
                stream.echo(Some("session-1"), id, &text).await.unwrap(),
                Format::Sse
            );
        }
        let url = echo_server().await;
        let target = Target::parse(&url)
            .unwrap()
            .with_bearer(Some("wrong"))
            .unwrap();
        let mut stream = H2Connection::open(&target).await.unwrap();
        let refused = stream.echo(Some("session-1"), 1, "x").await.unwrap_err();
        assert!(
            matches!(refused, Failure::Reply(ref r) if r.contains("HTTP 401")),
            "{refused}"
        );
    }
}
