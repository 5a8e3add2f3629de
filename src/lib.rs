//! mcpgen (work in progress).
pub use mcpgen_runtime::*;
