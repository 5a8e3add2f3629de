//! mcpgen: spec-driven MCP servers. A manifest in, a typed, conformant Rust server
//! out.
//!
//! This crate re-exports the runtime ([`mcpgen_runtime`], also as [`runtime`]) and
//! provides [`include_server!`]. Generation happens in `build.rs` with the
//! `mcpgen-codegen` crate:
//!
//! ```ignore
//! // build.rs
//! fn main() {
//!     mcpgen_codegen::compile_manifests(&["specs/weather.yaml"]);
//! }
//! ```
//!
//! ```ignore
//! // src/main.rs
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
