//! `specs/echo.yaml` implemented: the handler the benchmarks measure, shared by the
//! examples that serve it (`echo.rs` standalone, `echo_axum.rs` mounted in a bare
//! axum router) with `#[path = "shared/echo.rs"] pub mod echo;`.

use mcpgen::{CallToolResult, Context, ToolResult};

mcpgen::include_server!("echo");

/// Sends every text back unchanged.
pub struct Echo;

impl EchoServer for Echo {
    async fn echo(&self, _ctx: &Context, input: EchoInput) -> ToolResult {
        Ok(CallToolResult::text(input.text))
    }
}
