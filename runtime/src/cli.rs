//! The standard command line of every generated server.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;

use crate::Server;
use crate::seal::Sealer;
use crate::transport::http::HttpConfig;

/// Serve this MCP server over stdio (the default) or Streamable HTTP.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Serve newline-delimited JSON-RPC on stdin/stdout (the default).
    #[arg(long, conflicts_with = "http")]
    stdio: bool,
    /// Serve Streamable HTTP on this address, e.g. 127.0.0.1:3000, or on a bare
    /// port of 127.0.0.1 (port 0 picks a free port; the address is printed on stderr).
    #[arg(long, value_name = "ADDR", value_parser = parse_addr)]
    http: Option<SocketAddr>,
    /// The MCP endpoint path.
    #[arg(long, default_value = "/mcp", requires = "http")]
    path: String,
    /// An Origin to accept besides localhost ones (repeatable; `*` for any).
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    allowed_origins: Vec<String>,
    /// A Host to accept besides localhost ones (repeatable; `*` for any).
    #[arg(long = "allowed-host", value_name = "HOST")]
    allowed_hosts: Vec<String>,
    /// Answer HTTP requests with JSON instead of SSE streams.
    #[arg(long)]
    json_responses: bool,
    /// The key sealing the `requestState` of 2026 requests that wait for input (64
    /// hex digits, or base64 of 32 bytes). Give every replica the same key so any
    /// of them accepts a retry; without one, a random key lives as long as the process.
    #[arg(long, env = "MCPGEN_STATE_KEY", hide_env_values = true, value_name = "KEY", value_parser = Sealer::parse_key)]
    state_key: Option<[u8; 32]>,
    /// The key used before `--state-key` during a rotation: state it sealed is still accepted.
    #[arg(long, env = "MCPGEN_PREVIOUS_STATE_KEY", hide_env_values = true, value_name = "KEY", value_parser = Sealer::parse_key, requires = "state_key")]
    previous_state_key: Option<[u8; 32]>,
    /// The server's own log filter on stderr (error, warn, info, debug, trace).
    #[arg(long, default_value = "warn", value_name = "LEVEL")]
    log_level: String,
}

/// A full socket address, or a port on the loopback interface: servers are local
/// unless asked otherwise.
fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.parse()
        .map_err(|_| format!("`{text}` is not an address like 127.0.0.1:3000 or a port"))
}

pub(crate) fn main(mut server: Server) -> ExitCode {
    let args = Args::parse();
    if let Some(key) = args.state_key {
        server = server.request_state_key(key, args.previous_state_key);
    }
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async move {
        match args.http {
            Some(addr) => {
                let config = HttpConfig {
                    path: args.path,
                    allowed_origins: args.allowed_origins,
                    allowed_hosts: args.allowed_hosts,
                    json_responses: args.json_responses,
                    ..HttpConfig::default()
                };
                server.serve_http(addr, config).await
            }
            None => server.serve_stdio().await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_port_binds_loopback() {
        assert_eq!(parse_addr("3000").unwrap().to_string(), "127.0.0.1:3000");
        assert_eq!(parse_addr("[::1]:80").unwrap().to_string(), "[::1]:80");
        assert!(parse_addr("localhost:3000").is_err());
    }
}
