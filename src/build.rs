//! The generator, for build scripts (feature `build`): the `mcpgen-codegen` crate,
//! with generated code naming the runtime through this facade, so a crate that
//! depends on `mcpgen` alone compiles what it generates.
//!
//! ```no_run
//! // in build.rs's `main`:
//! mcpgen::build::compile_manifests(&["specs/weather.yaml"]);
//! ```
//!
//! For more control, [`configure`] returns a [`Builder`]:
//!
//! ```no_run
//! // in build.rs's `main`:
//! mcpgen::build::configure()
//!     .manifest("specs/weather.yaml")
//!     .manifest("specs/notes.yaml")
//!     .compile();
//! ```

use std::path::Path;

pub use mcpgen_codegen::{Builder, Diagnostic, Diagnostics, Generated, Severity};

/// The path generated code uses to reach the runtime: this crate's
/// [`runtime`](crate::runtime) re-export.
pub const RUNTIME_PATH: &str = "::mcpgen::runtime";

/// A [`Builder`] whose generated code reaches the runtime through this crate.
pub fn configure() -> Builder {
    Builder::new().runtime_path(RUNTIME_PATH)
}

/// Generates servers for `manifests` into `OUT_DIR`: see [`Builder::compile`]. It
/// prints `cargo:rerun-if-changed` for every file read and each warning as
/// `cargo:warning=`; on errors, it prints them rendered like rustc's and fails the
/// build.
pub fn compile_manifests<P: AsRef<Path>>(manifests: &[P]) {
    manifests
        .iter()
        .fold(configure(), |b, m| b.manifest(m))
        .compile();
}
