//! The committed output of mcpgen for every spec and the adversarial corpus.
//!
//! Written by `codegen/tests/goldens.rs` (`MCPGEN_BLESS=1`); do not edit.

// Generated code documents every public item.
#![warn(missing_docs)]

/// Generated from `deep_nesting`.
pub mod deep_nesting {
    include!("../generated/deep_nesting.rs");
}

/// Generated from `echo`.
pub mod echo {
    include!("../generated/echo.rs");
}

/// Generated from `everything`.
pub mod everything {
    include!("../generated/everything.rs");
}

/// Generated from `long_names`.
pub mod long_names {
    include!("../generated/long_names.rs");
}

/// Generated from `many_tools`.
pub mod many_tools {
    include!("../generated/many_tools.rs");
}

/// Generated from `markdown_docs`.
pub mod markdown_docs {
    include!("../generated/markdown_docs.rs");
}

/// Generated from `minimal`.
pub mod minimal {
    include!("../generated/minimal.rs");
}

/// Generated from `notes`.
pub mod notes {
    include!("../generated/notes.rs");
}

/// Generated from `reserved_words`.
pub mod reserved_words {
    include!("../generated/reserved_words.rs");
}

/// Generated from `schemas`.
pub mod schemas {
    include!("../generated/schemas.rs");
}

/// Generated from `shared_definitions`.
pub mod shared_definitions {
    include!("../generated/shared_definitions.rs");
}

/// Generated from `tool_policies`.
pub mod tool_policies {
    include!("../generated/tool_policies.rs");
}

/// Generated from `ui_kinds`.
pub mod ui_kinds {
    include!("../generated/ui_kinds.rs");
}

/// Generated from `ui_notes`.
pub mod ui_notes {
    include!("../generated/ui_notes.rs");
}

/// Generated from `unicode`.
pub mod unicode {
    include!("../generated/unicode.rs");
}

/// Generated from `weather`.
pub mod weather {
    include!("../generated/weather.rs");
}
