//! Everything generated code names, in one place. Generated files say
//! `use mcpgen_runtime::codegen::*;` (or the facade's path) and nothing else, so the
//! runtime's internals can move without breaking them. Not meant for hand-written code.

pub use std::future::Future;
pub use std::sync::Arc;

pub use serde;
pub use serde_json;
pub use serde_json::{Map, Value};

pub use crate::Server;
pub use crate::context::Context;
pub use crate::error::{
    ClientError, CompletionResult, PromptResult, RequestError, ResourceResult, ToolError,
    ToolResult,
};
pub use crate::protocol::{
    CallToolResult, Completion, CompletionRequest, Content, Elicitation, ElicitationForm,
    GetPromptResult, PromptMessage, ReadResourceResult, ResourceContents,
};
pub use crate::registry::{
    CompletionSource, CompletionTarget, PromptSource, ResourceSource, ServerBuilder,
    TemplateSource, VarType,
};

/// Deserializes validated tool arguments into the tool's input type. Arguments have
/// already passed the input schema, so a failure here means the schema admits values
/// the type cannot hold; the model still gets a readable `isError` result.
pub fn tool_input<T: serde::de::DeserializeOwned>(
    args: Map<String, Value>,
) -> Result<T, CallToolResult> {
    let mut args = Value::Object(args);
    integral_floats_to_integers(&mut args);
    serde_json::from_value(args)
        .map_err(|e| CallToolResult::error(format!("Invalid arguments: {e}")))
}

/// JSON Schema counts `3.0` as an integer but serde's integer types refuse a
/// float, so integral floats (within 64 bits) become integers first; `f64` fields
/// take integers all the same.
fn integral_floats_to_integers(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0) {
                // `as` saturates, so the round trip tells whether `f` fits.
                if f >= 0.0 && (f as u64) as f64 == f && f < u64::MAX as f64 {
                    *n = (f as u64).into();
                } else if f < 0.0 && (f as i64) as f64 == f {
                    *n = (f as i64).into();
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

/// `deserialize_with` for a field that tells `null` from absent: with
/// `#[serde(default)]` an absent field is `None`, and a present one is `Some`,
/// `null` included (`Some(None)` for an `Option`, `Some(Value::Null)` for a
/// `Value`).
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Turns a tool handler's unstructured result into the wire result.
pub fn tool_output(result: ToolResult<CallToolResult>) -> Result<CallToolResult, RequestError> {
    Ok(match result {
        Ok(r) => r,
        Err(e) => CallToolResult::error(e.into_protocol()?.message()),
    })
}

/// Turns a tool handler's typed result into `structuredContent` plus its JSON text,
/// as the spec asks for clients that read only `content`.
pub fn tool_structured_output<T: serde::Serialize>(
    result: ToolResult<T>,
) -> Result<CallToolResult, RequestError> {
    match result {
        Ok(value) => {
            let value = serde_json::to_value(&value).map_err(|e| {
                RequestError::internal(format!("tool output did not serialize: {e}"))
            })?;
            Ok(CallToolResult {
                content: vec![Content::text(value.to_string())],
                structured_content: Some(value),
                is_error: None,
            })
        }
        Err(e) => Ok(CallToolResult::error(e.into_protocol()?.message())),
    }
}

/// Deserializes prompt arguments (all strings on the wire) into the prompt's
/// argument type; a failure is `-32602`.
pub fn prompt_arguments<T: serde::de::DeserializeOwned>(
    args: Map<String, Value>,
) -> Result<T, RequestError> {
    serde_json::from_value(Value::Object(args))
        .map_err(|e| RequestError::invalid_params(format!("Invalid prompt arguments: {e}")))
}

/// Deserializes URI template variables (already converted to their declared types)
/// into the template's variable type; a failure is `-32602`.
pub fn template_variables<T: serde::de::DeserializeOwned>(
    vars: Map<String, Value>,
) -> Result<T, RequestError> {
    serde_json::from_value(Value::Object(vars))
        .map_err(|e| RequestError::invalid_params(format!("Invalid URI variables: {e}")))
}
