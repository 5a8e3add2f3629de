//! The benchmarks' echo server (`specs/echo.yaml`, the handler of `shared/echo.rs`)
//! mounted at `/mcp` in a bare axum router: no layers, so that comparing it with the
//! standalone `echo` measures the cost of mounting alone (`mcpgen-loadgen service`).
//!
//! ```text
//! cargo run --release --example echo_axum -- --http 127.0.0.1:3000
//! ```

use axum::Router;
use axum::serve::ListenerExt as _;
use clap::Parser;
use mcpgen::ServerArgs;

// `pub`: what this example leaves unused of the shared module is not dead code.
#[path = "shared/echo.rs"]
pub mod echo;

/// The echo server, mounted at /mcp in an axum router.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Where to listen: 127.0.0.1:3000, localhost:3000, or a bare port of 127.0.0.1
    /// (port 0 picks a free port; the address is printed on stderr).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:3000")]
    http: String,
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

    // A bare port means 127.0.0.1, as for every mcpgen server.
    let addr = match args.http.parse::<u16>() {
        Ok(port) => format!("127.0.0.1:{port}"),
        Err(_) => args.http,
    };
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
    eprintln!("listening on http://{}/mcp", listener.local_addr()?);
    // As the standalone server: small answers go out at once, without Nagle's delay.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });

    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = tokio::signal::ctrl_c().await;
            mcp.shutdown(grace).await;
        })
        .await?;
    Ok(())
}
