//! JSON Schema keywords grouped by what their values hold, for every walk over a
//! schema (validation, typing, header annotations, shared definitions): one list
//! each, so the walks agree on where subschemas are.

/// Keywords whose value maps names to subschemas: their keys are names, never
/// keywords.
pub(crate) const SCHEMA_MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];

/// Keywords whose value is a list of subschemas.
pub(crate) const SCHEMA_LISTS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];

/// Keywords whose values are data, not schemas: nothing under them is a keyword.
pub(crate) const DATA: &[&str] = &["enum", "const", "default", "examples"];
