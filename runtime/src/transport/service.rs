//! The Streamable HTTP endpoint as a tower `Service`: what an axum app mounts
//! (`Router::route_service("/mcp", service)`), and what the standalone server runs.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};

use super::http::{Endpoint, ResponseBody};

/// The future of an [`McpService`] response.
pub type ResponseFuture =
    Pin<Box<dyn Future<Output = Result<Response<ResponseBody>, Infallible>> + Send + 'static>>;

/// A server's Streamable HTTP endpoint as a [`tower_service::Service`]: clone it
/// freely (clones share sessions), mount it in axum, put tower layers around it.
/// It serves every request it is given, whatever the path: the router in front
/// decides which requests reach it.
///
/// Made by [`Server::into_http_service`](crate::Server::into_http_service).
///
/// ```no_run
/// # fn server() -> mcpgen_runtime::Server { unimplemented!() }
/// use mcpgen_runtime::HttpConfig;
///
/// let mcp = server().into_http_service(HttpConfig::default());
/// // axum: let app = Router::new().route_service("/mcp", mcp);
/// # drop(mcp);
/// ```
#[derive(Clone)]
pub struct McpService {
    endpoint: Endpoint,
}

impl McpService {
    pub(crate) fn new(endpoint: Endpoint) -> McpService {
        McpService { endpoint }
    }

    pub(crate) fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The server's Prometheus metrics as OpenMetrics text (serve it with
    /// [`METRICS_CONTENT_TYPE`](crate::METRICS_CONTENT_TYPE)): what the standalone
    /// server answers at `/metrics`, for an embedding app to serve where it likes.
    /// Empty when metrics are off ([`Server::metrics`](crate::Server::metrics)).
    pub fn render_metrics(&self) -> String {
        self.endpoint.render_metrics()
    }

    /// The OAuth protected resource metadata (RFC 9728) of a service with
    /// [`Server::auth`](crate::Server::auth): the paths clients look for it at
    /// (`/.well-known/oauth-protected-resource` and the same with the MCP path
    /// appended) and the response to serve there. `None` without authentication.
    /// The standalone server serves it itself; an embedding app routes it:
    ///
    /// ```ignore
    /// if let Some((paths, _)) = mcp.resource_metadata() {
    ///     for path in paths {
    ///         let mcp = mcp.clone();
    ///         app = app.route(&path, get(move || {
    ///             let mcp = mcp.clone();
    ///             async move { mcp.resource_metadata().map(|(_, r)| r) }
    ///         }));
    ///     }
    /// }
    /// ```
    pub fn resource_metadata(&self) -> Option<(Vec<String>, Response<ResponseBody>)> {
        let guard = self.endpoint.guard()?;
        Some((guard.metadata_paths(), guard.metadata()))
    }

    /// Whether the service takes new work: false once a shutdown began. What an
    /// embedding app's readiness probe answers.
    pub fn is_ready(&self) -> bool {
        !self.endpoint.is_draining()
    }

    /// Shuts the service down gracefully: new sessions and requests get 503 with
    /// `Retry-After` at once; requests in flight (and tasks) get up to `grace` to
    /// finish, and are then answered with an error; finally every open SSE stream
    /// ends with its last event id and a `retry`, so clients resume elsewhere.
    /// Completes when all that is done; then stop the HTTP server (with axum:
    /// complete `with_graceful_shutdown`'s future).
    ///
    /// ```no_run
    /// # async fn run(mcp: mcpgen_runtime::McpService) {
    /// tokio::signal::ctrl_c().await.ok();
    /// mcp.shutdown(std::time::Duration::from_secs(30)).await;
    /// # }
    /// ```
    pub async fn shutdown(&self, grace: std::time::Duration) {
        self.endpoint.drain(grace).await
    }
}

impl std::fmt::Debug for McpService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpService").finish_non_exhaustive()
    }
}

impl<B> tower_service::Service<Request<B>> for McpService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> ResponseFuture {
        let endpoint = self.endpoint.clone();
        Box::pin(async move { Ok(endpoint.handle(request, None).await) })
    }
}
