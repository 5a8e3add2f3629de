//! The benchmarks' echo server (`specs/echo.yaml`, the handler of `shared/echo.rs`)
//! mounted at `/mcp` in a bare axum router: no layers, so that comparing it with the
//! standalone `echo` measures the cost of mounting alone (`mcpgen-loadgen service`).
//!
//! ```text
//! cargo run --release --example echo_axum -- --http 127.0.0.1:3000
//! ```

use axum::Router;
use clap::Parser;
use mcpgen::ServerArgs;

// `pub`: what this example leaves unused of the shared modules is not dead code.
#[path = "shared/echo.rs"]
pub mod echo;
#[path = "shared/listen.rs"]
pub mod listen;

/// The echo server, mounted at /mcp in an axum router.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    listen: listen::Listen,
    /// The standalone server's options (`--json-responses`, `--log-level`, …), so
    /// both pay the same for logs and metrics.
    #[command(flatten)]
    mcp: ServerArgs,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args = Args::parse();
    let server = args.mcp.configure(echo::server(echo::Echo));
    let _log = args.mcp.init_logging(&server)?;
    let config = args.mcp.http_config();
    let grace = config.shutdown_timeout;
    let mcp = server.into_http_service(config);
    let app = Router::new().route_service("/mcp", mcp.clone());
    let listener = args.listen.bind().await?;
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = tokio::signal::ctrl_c().await;
            mcp.shutdown(grace).await;
        })
        .await?;
    Ok(())
}
