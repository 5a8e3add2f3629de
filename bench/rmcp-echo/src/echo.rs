//! The echo tool, written the way rmcp's documentation shows.

use std::sync::Arc;

use rmcp::{
    ServerHandler,
    handler::server::{router::tool::ToolRouter, wrapper::Parameters},
    schemars, tool, tool_handler, tool_router,
};
use serde::Deserialize;

/// The arguments of `echo`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct EchoInput {
    /// The text to send back.
    pub text: String,
}

/// Sends every text back unchanged.
#[derive(Debug, Clone)]
pub struct Echo {
    // Built once and shared, as in rmcp's counter example (which keeps it in a
    // field), rather than rebuilt by `Self::tool_router()` on every call: the
    // faster setup, so the comparison does not flatter mcpgen. The `Arc` makes
    // the per-session (or, stateless, per-request) clone of the server cheap.
    tool_router: Arc<ToolRouter<Echo>>,
}

impl Default for Echo {
    fn default() -> Self {
        Self {
            tool_router: Arc::new(Self::tool_router()),
        }
    }
}

#[tool_router]
impl Echo {
    /// Returns the given text as one text block.
    #[tool(description = "Returns the given text as one text block.")]
    fn echo(&self, Parameters(EchoInput { text }): Parameters<EchoInput>) -> String {
        text
    }
}

#[tool_handler(router = self.tool_router, name = "rmcp-echo")]
impl ServerHandler for Echo {}
