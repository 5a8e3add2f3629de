//! mcpgen: spec-driven MCP servers. A manifest in, a typed, conformant Rust server
//! out.
//!
//! This crate is all a server needs: it re-exports the runtime ([`mcpgen_runtime`],
//! also as [`runtime`]), provides [`include_server!`], and, with the `build`
//! feature, the generator for `build.rs` as [`build`](mod@build) (the
//! `mcpgen-codegen` crate, set up so that generated code reaches the runtime through
//! this crate). The `otel` feature adds OpenTelemetry export of the request spans
//! (`--otlp-endpoint`, and `otel::layer` for servers with their own subscriber).
//! In `Cargo.toml`:
//!
//! ```toml
//! [dependencies]
//! mcpgen = "0.1"
//!
//! [build-dependencies]
//! mcpgen = { version = "0.1", features = ["build"] }
//! ```
//!
//! ```ignore
//! // build.rs
//! fn main() {
//!     mcpgen::build::compile_manifests(&["specs/weather.yaml"]);
//! }
//! ```
//!
//! ```ignore
//! // src/main.rs
//! use mcpgen::{CallToolResult, Context, ToolResult};
//!
//! mcpgen::include_server!("weather");
//!
//! struct Weather;
//!
//! impl WeatherServer for Weather {
//!     async fn get_forecast(&self, ctx: &Context, input: GetForecastInput) -> ToolResult {
//!         Ok(CallToolResult::text(format!("Sunny in {}", input.city)))
//!     }
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     server(Weather).main()
//! }
//! ```

#[cfg(feature = "build")]
pub mod build;

pub use mcpgen_runtime as runtime;
pub use mcpgen_runtime::*;

/// Includes the server generated from the manifest with this file stem: its types,
/// its `<Stem>Server` trait and its `server()` function.
///
/// `include_server!("weather")` is `include!(concat!(env!("OUT_DIR"), "/weather.rs"))`.
#[macro_export]
macro_rules! include_server {
    ($name:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $name, ".rs"));
    };
}
