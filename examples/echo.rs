//! `specs/echo.yaml` implemented: the server the benchmarks measure.
//!
//! ```text
//! cargo run --release --example echo -- --http 127.0.0.1:3000
//! ```

// `pub`: what this example leaves unused of the shared module is not dead code.
#[path = "shared/echo.rs"]
pub mod echo;

fn main() -> std::process::ExitCode {
    echo::server(echo::Echo).main()
}
