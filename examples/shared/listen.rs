//! The listener of the examples that mount a server in axum (`axum.rs`,
//! `echo_axum.rs`): the `--http` option as every mcpgen server reads it, bound and
//! announced the same way, with `mod listen;` by `#[path]`.

use axum::serve::{ListenerExt as _, TapIo};
use tokio::net::{TcpListener, TcpStream};

/// The listener [`Listen::bind`] gives: named, not `impl Listener`, as axum's
/// `ConnectInfo<SocketAddr>` is implemented for it by name.
pub type NoDelayListener = TapIo<TcpListener, fn(&mut TcpStream)>;

/// Where to listen.
#[derive(Debug, clap::Args)]
pub struct Listen {
    /// Where to listen: 127.0.0.1:3000, localhost:3000, or a bare port of 127.0.0.1
    /// (port 0 picks a free port; the address is printed on stderr).
    #[arg(
        long,
        env = "MCPGEN_HTTP",
        value_name = "ADDR",
        default_value = "127.0.0.1:3000"
    )]
    pub http: String,
}

impl Listen {
    /// Binds the address, prints `listening on http://ADDR/mcp` (what scripts and
    /// the load generator wait for), and sends small answers at once, without
    /// Nagle's delay, as the standalone server does.
    pub async fn bind(&self) -> std::io::Result<NoDelayListener> {
        // A bare port means 127.0.0.1, as for every mcpgen server.
        let addr = match self.http.parse::<u16>() {
            Ok(port) => format!("127.0.0.1:{port}"),
            Err(_) => self.http.clone(),
        };
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
        eprintln!("listening on http://{}/mcp", listener.local_addr()?);
        Ok(listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        }))
    }
}
