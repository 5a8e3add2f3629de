//! The standalone HTTP server: the MCP service and the operator's probes on one
//! listener, HTTP/1.1 and HTTP/2 (prior knowledge, h2c; told apart by a
//! connection's first bytes) through hyper, until a shutdown signal drains it.
//! With TLS, each connection's handshake (ALPN `h2` or `http/1.1`) runs in its own
//! task and the decrypted stream goes to the same builders and router as a plain
//! one.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::Either;
use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use super::http::{ResponseBody, full};
use super::service::McpService;
use super::tls::HANDSHAKE_TIMEOUT;
use crate::parts::ClientAddr;

/// Serves `service` and the probes on `listener` (over TLS with `tls`) until
/// `shutdown` completes, then drains (see `Endpoint::drain`) while still answering
/// probes, and returns once connections have closed (or `grace` more has passed).
pub(crate) async fn serve(
    service: McpService,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let grace = service.endpoint().config().shutdown_timeout;
    let builders = Arc::new(Builders::new());
    let connections = GracefulShutdown::new();
    let drained = async {
        shutdown.await;
        tracing::info!(grace = ?grace, "shutting down: draining");
        service.endpoint().drain(grace).await;
    };
    tokio::pin!(drained);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut drained => break,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors and similar: back off, keep serving.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let (service, builders, tls) = (service.clone(), builders.clone(), tls.clone());
        // Watching starts now, so a shutdown waits for a handshake under way too.
        let watcher = connections.watcher();
        // The handshake runs here, not in the accept loop: a slow client must not
        // hold up the next one.
        tokio::spawn(async move {
            let Some(tls) = tls else {
                // Told apart within the time a client has to send its headers.
                return match tokio::time::timeout(HEADER_READ_TIMEOUT, sniff(&tcp)).await {
                    Ok(Ok(protocol)) => {
                        let connection = Connection {
                            io: tcp,
                            protocol,
                            peer,
                        };
                        serve_connection(&builders, connection, service, watcher).await
                    }
                    Ok(Err(e)) => tracing::debug!(%peer, "reading a connection failed: {e}"),
                    Err(_) => tracing::debug!(%peer, "a connection sent nothing in time"),
                };
            };
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(tcp)).await {
                Ok(Ok(stream)) => {
                    // Over TLS the client chose by ALPN; HTTP/1.1 without one.
                    let protocol = match stream.get_ref().1.alpn_protocol() {
                        Some(b"h2") => Protocol::Http2,
                        _ => Protocol::Http1,
                    };
                    let connection = Connection {
                        io: stream,
                        protocol,
                        peer,
                    };
                    serve_connection(&builders, connection, service, watcher).await
                }
                Ok(Err(e)) => tracing::debug!(%peer, "TLS handshake failed: {e}"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
    drop(listener);
    // Idle keep-alive connections close now, HTTP/2 ones get GOAWAY; what still
    // runs gets a moment.
    let _ = tokio::time::timeout(Duration::from_secs(5), connections.shutdown()).await;
    Ok(())
}

/// How long a client has to send a request's headers, and a new connection its
/// first bytes: one that trickles them is cut off rather than holding a
/// connection forever.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The opening bytes of HTTP/2 with prior knowledge (RFC 9113 §3.4).
const HTTP2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The HTTP a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Http1,
    Http2,
}

/// What a plain connection speaks: HTTP/2 with prior knowledge opens with its
/// preface, anything else is taken for HTTP/1.1. The bytes are peeked, not read,
/// so the connection is then served straight from the socket (hyper-util's auto
/// builder would put a rewinding reader under every read of its life).
async fn sniff(tcp: &TcpStream) -> std::io::Result<Protocol> {
    let mut seen = [0; HTTP2_PREFACE.len()];
    loop {
        let n = tcp.peek(&mut seen).await?;
        if n == 0 || seen[..n] != HTTP2_PREFACE[..n] {
            return Ok(Protocol::Http1);
        }
        if n == HTTP2_PREFACE.len() {
            return Ok(Protocol::Http2);
        }
        // Part of the preface so far (clients send it whole, so this is rare);
        // `peek` would return the same bytes at once, so wait a moment.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The HTTP/1.1 and HTTP/2 builders every connection is served with.
struct Builders {
    http1: http1::Builder,
    http2: http2::Builder<TokioExecutor>,
}

impl Builders {
    fn new() -> Builders {
        let mut http1 = http1::Builder::new();
        http1
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .keep_alive(true);
        let mut http2 = http2::Builder::new(TokioExecutor::new());
        http2.timer(TokioTimer::new());
        Builders { http1, http2 }
    }
}

/// An accepted connection, plain or decrypted, and what it speaks.
struct Connection<I> {
    io: I,
    protocol: Protocol,
    peer: std::net::SocketAddr,
}

/// Serves one connection with the router, until it closes or a shutdown closes it.
async fn serve_connection<I>(
    builders: &Builders,
    connection: Connection<I>,
    service: McpService,
    watcher: Watcher,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let Connection { io, protocol, peer } = connection;
    let peer = ClientAddr(peer);
    let router = hyper::service::service_fn(move |request: Request<Incoming>| {
        route(service.clone(), request, peer)
    });
    let io = TokioIo::new(io);
    let _ = match protocol {
        Protocol::Http1 => {
            watcher
                .watch(builders.http1.serve_connection(io, router))
                .await
        }
        Protocol::Http2 => {
            watcher
                .watch(builders.http2.serve_connection(io, router))
                .await
        }
    };
}

/// Sends a request to the MCP endpoint or a probe; anything else is 404. The
/// endpoint's future is not boxed (as `McpService::call`'s must be): one
/// allocation less on every call.
fn route(
    service: McpService,
    request: Request<Incoming>,
    peer: ClientAddr,
) -> impl Future<Output = Result<Response<ResponseBody>, Infallible>> + Send + 'static {
    let path = request.uri().path();
    let config = service.endpoint().config();
    let is = |route: &Option<String>| route.as_deref() == Some(path);
    if path == config.path {
        let endpoint = service.endpoint().clone();
        return Either::Left(async move { Ok(endpoint.handle(request, Some(peer)).await) });
    }
    let guard = service.endpoint().guard();
    let response = if let Some(guard) = guard.filter(|g| g.is_metadata_path(path)) {
        guard.metadata()
    } else if is(&config.health_path) {
        probe(StatusCode::OK, "ok")
    } else if is(&config.metrics_path) {
        let mut r = Response::new(full(service.render_metrics()));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(crate::metrics::CONTENT_TYPE),
        );
        r
    } else if is(&config.ready_path) {
        if service.endpoint().is_draining() {
            probe(StatusCode::SERVICE_UNAVAILABLE, "draining")
        } else {
            probe(StatusCode::OK, "ready")
        }
    } else {
        let mut r = Response::new(full(Bytes::new()));
        *r.status_mut() = StatusCode::NOT_FOUND;
        r
    };
    Either::Right(std::future::ready(Ok(response)))
}

fn probe(status: StatusCode, text: &'static str) -> Response<ResponseBody> {
    let mut r = Response::new(full(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt as _;

    /// What `sniff` makes of a connection whose client sends `parts`, a moment
    /// apart, then keeps the connection open (or closes it, with `close`).
    async fn sniffed(parts: &[&[u8]], close: bool) -> Protocol {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let parts: Vec<Vec<u8>> = parts.iter().map(|p| p.to_vec()).collect();
        let writer = tokio::spawn(async move {
            for part in parts {
                client.write_all(&part).await.unwrap();
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if !close {
                // Held open until the test ends.
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        });
        let protocol = tokio::time::timeout(Duration::from_secs(5), sniff(&server))
            .await
            .expect("sniff decided")
            .unwrap();
        writer.abort();
        protocol
    }

    #[tokio::test]
    async fn connections_are_told_apart_by_their_first_bytes() {
        let request: &[u8] = b"POST /mcp HTTP/1.1\r\nhost: x\r\n\r\n";
        assert_eq!(sniffed(&[request], false).await, Protocol::Http1);
        assert_eq!(sniffed(&[HTTP2_PREFACE], false).await, Protocol::Http2);
        // A preface in pieces is waited for; a method that starts like it is not.
        let (head, tail) = HTTP2_PREFACE.split_at(5);
        assert_eq!(sniffed(&[head, tail], false).await, Protocol::Http2);
        assert_eq!(
            sniffed(&[b"PR", b"OPFIND / HTTP/1.1\r\n"], false).await,
            Protocol::Http1
        );
        // A client that closes without a byte is left to HTTP/1.1 to see the end.
        assert_eq!(sniffed(&[], true).await, Protocol::Http1);
    }
}
