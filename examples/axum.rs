//! An axum app with an MCP server inside: its own `GET /hello` route, and the
//! conformance fixture (`specs/everything.yaml`, the handler of `shared/everything.rs`)
//! mounted at `/mcp`, all under the app's tower layers. A layer of the app records
//! a `RequestOrigin` in every request's extensions; the `test_request_origin` tool
//! reads it back through `Context::extensions`.
//!
//! ```text
//! cargo run --release --example axum -- --http 127.0.0.1:3000
//! curl --compressed http://127.0.0.1:3000/hello
//! ```

use axum::Router;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use clap::Parser;
use mcpgen::{ClientAddr, McpService, ServerArgs};
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::trace::TraceLayer;
use tower_http::validate_request::ValidateRequestHeaderLayer;

// `pub`: what this example leaves unused of the shared modules is not dead code.
#[path = "shared/everything.rs"]
pub mod everything;
#[path = "shared/listen.rs"]
pub mod listen;

use everything::{Everything, RequestOrigin};

/// The MCP conformance fixture, mounted at /mcp in an axum app beside its own routes.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    listen: listen::Listen,
    /// The MCP server's own options, as every mcpgen server has them: allowed
    /// origins and hosts, limits, timeouts, request-state keys, logs and their
    /// OpenTelemetry export.
    #[command(flatten)]
    mcp: ServerArgs,
}

/// The app's own route. Long enough for the compression layer to gzip it.
async fn hello() -> &'static str {
    "Hello from axum! This app serves an MCP server at /mcp, beside this route.\n"
}

/// 200 while the MCP endpoint takes new work, 503 once it drains.
async fn readiness(State(mcp): State<McpService>) -> (StatusCode, &'static str) {
    if mcp.is_ready() {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "draining")
    }
}

/// The app's middleware: what it puts in a request's extensions, MCP handlers
/// read with `ctx.extensions().get::<RequestOrigin>()`.
/// It also passes the peer's address on as a `ClientAddr`, which the per-client
/// rate limit (`--rate-limit-per-client`) counts by and `ctx.client_addr()` returns.
async fn record_origin(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let extensions = request.extensions_mut();
    extensions.insert(RequestOrigin {
        app: "the axum example",
    });
    extensions.insert(ClientAddr(peer));
    next.run(request).await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args = Args::parse();
    let server = args.mcp.configure(everything::server(Everything));
    // `--log-level debug` also shows tower-http's request traces. The guard
    // exports spans still buffered (`--otlp-endpoint`) when it drops, at exit.
    let _log = args.mcp.init_logging(&server)?;

    // The MCP endpoint as a tower service. It checks Origin and Host itself (DNS
    // rebinding), so the allow-lists go to it, whatever the CORS layer says.
    let listener = args.listen.bind().await?;
    let mut config = args.mcp.http_config();
    if config.public_url.is_none() {
        // With `--auth-issuer`, the resource tokens are for: here, by default.
        let addr = axum::serve::Listener::local_addr(&listener)?;
        config = config.public_url(format!("http://{addr}/mcp"));
    }
    let grace = config.shutdown_timeout;
    let mcp = server.into_http_service(config);

    let mut app = Router::new()
        // A plain-text route refuses clients that do not take plain text (406).
        .route(
            "/hello",
            get(hello).route_layer(ValidateRequestHeaderLayer::accept("text/plain")),
        )
        .route_service("/mcp", mcp.clone())
        // Readiness for a load balancer: 503 once a shutdown began.
        .route("/readyz", get(readiness).with_state(mcp.clone()))
        // Outermost first: every route, /mcp included, passes through all four.
        .layer(
            ServiceBuilder::new()
                .layer(TraceLayer::new_for_http())
                // A permissive policy for the example; restrict origins in production.
                .layer(CorsLayer::permissive())
                // The default predicate leaves `text/event-stream` alone: SSE events
                // must reach the client as they are sent, not when a block fills.
                .layer(CompressionLayer::new())
                .layer(middleware::from_fn(record_origin)),
        );

    // With `--auth-issuer`: the protected resource metadata (RFC 9728), where
    // clients find the authorization server.
    if let Some((paths, _)) = mcp.resource_metadata() {
        for path in paths {
            let mcp = mcp.clone();
            let metadata = move || {
                let found = mcp.resource_metadata().map(|(_, response)| response);
                async move { found.ok_or(StatusCode::NOT_FOUND) }
            };
            app = app.route(&path, get(metadata));
        }
    }

    // The peer's address reaches `record_origin` through `ConnectInfo`.
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            // New MCP requests get 503 from now on, those in flight get `grace` to
            // finish, and open SSE streams end; then axum stops.
            mcp.shutdown(grace).await;
        })
        .await?;
    Ok(())
}

/// Completes on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
