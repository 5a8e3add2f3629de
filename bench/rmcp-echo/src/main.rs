//! `rmcp-echo`: the benchmark peer of mcpgen's `examples/echo.rs`, built with
//! the official Rust MCP SDK (rmcp) and offering the same command line.

mod echo;
mod http;

use std::net::SocketAddr;
use std::process::ExitCode;

use rmcp::ServiceExt;

use crate::echo::Echo;
use crate::http::ResponseMode;

const USAGE: &str = "usage: rmcp-echo [--stdio | --http ADDR|PORT [--json-responses]]

  --stdio            serve newline-delimited JSON-RPC on stdin/stdout (the default)
  --http ADDR|PORT   serve Streamable HTTP at /mcp on ADDR, or on PORT of 127.0.0.1
                     (port 0 picks a free port; the address is printed on stderr)
  --json-responses   answer POSTs with application/json (rmcp: stateless only)";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Stdio,
    Http(SocketAddr, ResponseMode),
    Help,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut http = None;
    let mut stdio = false;
    let mut json_responses = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--stdio" => stdio = true,
            "--json-responses" => json_responses = true,
            "--http" => {
                let value = args.next().ok_or("--http needs an address or a port")?;
                http = Some(parse_addr(&value)?);
            }
            "-h" | "--help" => return Ok(Command::Help),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    match (http, stdio) {
        (Some(_), true) => Err("--stdio and --http exclude each other".into()),
        (Some(addr), false) => {
            let mode = if json_responses {
                ResponseMode::StatelessJson
            } else {
                ResponseMode::SessionSse
            };
            Ok(Command::Http(addr, mode))
        }
        (None, _) if json_responses => Err("--json-responses needs --http".into()),
        (None, _) => Ok(Command::Stdio),
    }
}

/// A full socket address, or a port on the loopback interface.
fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.parse()
        .map_err(|_| format!("`{text}` is not an address like 127.0.0.1:3000 or a port"))
}

async fn serve_stdio() -> Result<(), Box<dyn std::error::Error>> {
    let running = Echo::default()
        .serve(rmcp::transport::stdio_pipes())
        .await?;
    running.waiting().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let command = match parse_args(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let outcome = match command {
        Command::Help => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Command::Stdio => serve_stdio().await,
        Command::Http(addr, mode) => http::serve(addr, mode).await.map_err(Into::into),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_args(args.iter().map(|arg| arg.to_string()))
    }

    #[test]
    fn stdio_is_the_default() {
        assert_eq!(parse(&[]), Ok(Command::Stdio));
        assert_eq!(parse(&["--stdio"]), Ok(Command::Stdio));
    }

    #[test]
    fn a_bare_port_binds_loopback() {
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        assert_eq!(
            parse(&["--http", "0"]),
            Ok(Command::Http(addr, ResponseMode::SessionSse))
        );
        assert_eq!(
            parse(&["--http", "127.0.0.1:0", "--json-responses"]),
            Ok(Command::Http(addr, ResponseMode::StatelessJson))
        );
    }

    #[test]
    fn contradictions_are_refused() {
        assert!(parse(&["--stdio", "--http", "0"]).is_err());
        assert!(parse(&["--json-responses"]).is_err());
        assert!(parse(&["--http"]).is_err());
        assert!(parse(&["--http", "localhost:3000"]).is_err());
    }
}
