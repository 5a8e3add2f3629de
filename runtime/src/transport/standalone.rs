//! The standalone HTTP server: the MCP service and the operator's probes on one
//! listener, HTTP/1.1 and HTTP/2 (prior knowledge, h2c) through hyper-util's auto
//! builder, until a shutdown signal drains it. With TLS, each connection's
//! handshake (ALPN `h2` or `http/1.1`) runs in its own task and the decrypted
//! stream goes to the same builder and router as a plain one.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower_service::Service as _;

use super::http::{ResponseBody, full};
use super::service::McpService;
use super::tls::HANDSHAKE_TIMEOUT;
use crate::limits::ClientAddr;

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
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // A client that trickles its headers is cut off rather than holding a
    // connection forever.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .keep_alive(true);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
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
        let (service, builder, tls) = (service.clone(), builder.clone(), tls.clone());
        // Watching starts now, so a shutdown waits for a handshake under way too.
        let watcher = connections.watcher();
        // The handshake runs here, not in the accept loop: a slow client must not
        // hold up the next one.
        tokio::spawn(async move {
            let Some(tls) = tls else {
                return serve_connection(&builder, tcp, peer, service, watcher).await;
            };
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(tcp)).await {
                Ok(Ok(stream)) => serve_connection(&builder, stream, peer, service, watcher).await,
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

/// Serves one connection, plain or decrypted, with the one builder and router.
async fn serve_connection<I>(
    builder: &auto::Builder<TokioExecutor>,
    io: I,
    peer: std::net::SocketAddr,
    service: McpService,
    watcher: Watcher,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let router = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        // The per-client rate limit (and handlers) read the peer from here.
        request.extensions_mut().insert(ClientAddr(peer));
        route(service.clone(), request)
    });
    let connection = builder.serve_connection(TokioIo::new(io), router);
    let _ = watcher.watch(connection).await;
}

/// Sends a request to the MCP endpoint or a probe; anything else is 404.
fn route(mut service: McpService, request: Request<Incoming>) -> super::service::ResponseFuture {
    let path = request.uri().path();
    let config = service.endpoint().config();
    let is = |route: &Option<String>| route.as_deref() == Some(path);
    if path == config.path {
        return service.call(request);
    }
    let response = if is(&config.health_path) {
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
    Box::pin(std::future::ready(Ok::<_, Infallible>(response)))
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
