//! The committed output of mcpgen for every spec and the adversarial corpus.
//!
//! Written by `codegen/tests/goldens.rs` (`MCPGEN_BLESS=1`); do not edit.

/// Generated from `everything`.
pub mod everything {
    include!("../generated/everything.rs");
}

/// Generated from `schemas`.
pub mod schemas {
    include!("../generated/schemas.rs");
}

/// Generated from `weather`.
pub mod weather {
    include!("../generated/weather.rs");
}
