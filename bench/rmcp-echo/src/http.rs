//! Streamable HTTP at `/mcp`, in rmcp's documented axum setup plus TCP_NODELAY.

use std::net::SocketAddr;

use axum::serve::ListenerExt;
use rmcp::transport::streamable_http_server::{
    StreamableHttpServerConfig, StreamableHttpService,
    session::{SessionManager, local::LocalSessionManager, never::NeverSessionManager},
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::echo::Echo;

/// How POST requests are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    /// Stateful sessions (`mcp-session-id`), every answer an SSE stream.
    SessionSse,
    /// rmcp answers with `application/json` only without sessions: its
    /// `json_response` option is read on the stateless path alone.
    StatelessJson,
}

/// Binds `addr`, announces the bound address on stderr and serves until Ctrl-C.
pub async fn serve(addr: SocketAddr, mode: ResponseMode) -> std::io::Result<()> {
    let cancel = CancellationToken::new();
    let config =
        StreamableHttpServerConfig::default().with_cancellation_token(cancel.child_token());
    let router = match mode {
        ResponseMode::SessionSse => mcp_router(LocalSessionManager::default(), config),
        ResponseMode::StatelessJson => mcp_router(
            NeverSessionManager::default(),
            config
                .with_legacy_session_mode(false)
                .with_json_response(true),
        ),
    };

    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    // Without this, a small response waits on Nagle + delayed ACK (~40 ms).
    let listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            eprintln!("warning: cannot set TCP_NODELAY: {error}");
        }
    });
    eprintln!("listening on http://{local}/mcp");

    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            // If the signal cannot be watched, serve until killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
            cancel.cancel();
        })
        .await
}

fn mcp_router<M: SessionManager>(
    session_manager: M,
    config: StreamableHttpServerConfig,
) -> axum::Router {
    // rmcp asks the factory for a server per session, or per request when
    // stateless; cloning one shares its tool router.
    let echo = Echo::default();
    let service =
        StreamableHttpService::new(move || Ok(echo.clone()), session_manager.into(), config);
    axum::Router::new().nest_service("/mcp", service)
}
