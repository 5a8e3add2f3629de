//! `specs/echo.yaml` implemented: the server the benchmarks measure.
//!
//! ```text
//! cargo run --release --example echo -- --http 127.0.0.1:3000
//! ```

use mcpgen::{CallToolResult, Context, ToolResult};

mcpgen::include_server!("echo");

/// Sends every text back unchanged.
struct Echo;

impl EchoServer for Echo {
    async fn echo(&self, _ctx: &Context, input: EchoInput) -> ToolResult {
        Ok(CallToolResult::text(input.text))
    }
}

fn main() -> std::process::ExitCode {
    server(Echo).main()
}
