//! The conformance fixture, `specs/everything.yaml`, served standalone with the
//! standard command line. The handler is `shared/everything.rs` (also mounted in an
//! axum app by `axum.rs`).
//!
//! ```text
//! cargo run --release --example everything -- --http 127.0.0.1:3000
//! cargo run --release --example everything -- --stdio
//! ```

// `pub`: what this example leaves unused of the shared module is not dead code.
#[path = "shared/everything.rs"]
pub mod everything;

fn main() -> std::process::ExitCode {
    everything::server(everything::Everything).main()
}
