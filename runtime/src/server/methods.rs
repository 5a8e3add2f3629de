//! The MCP methods themselves: the lists (paginated, spliced from items
//! serialized at start-up), `tools/call` (input validation, panics as -32603,
//! timeouts as error results), `resources/read` (templates rendered with
//! minijinja), `prompts/get`, `completion/complete`.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use base64::Engine as _;
use futures_util::FutureExt as _;
use serde_json::{Map, Value, json};

use crate::context::Context;
use crate::downgrade;
use crate::error::RequestError;
use crate::jsonrpc::{self, Encoded};
use crate::method::Method;
use crate::operator_log;
use crate::protocol::{ProtocolVersion, ReadResourceResult, ResourceContents};
use crate::registry::{
    CompletionSource, CompletionTarget, PromptSource, ResourceSource, TemplateSource, VarType,
};

use super::{Shared, insert_cache_hints, version_index};

impl Shared {
    /// The items a list method serves, and the key they go under, if this server
    /// offers the method.
    pub(super) fn listed(
        &self,
        method: Method,
        v: ProtocolVersion,
    ) -> Option<(&'static str, &[Encoded])> {
        let r = &self.registry;
        let lists = &self.lists[version_index(v)];
        match method {
            Method::ToolsList if !r.tools.is_empty() => Some(("tools", &lists.tools)),
            Method::ResourcesList if self.has_resources() => Some(("resources", &lists.resources)),
            Method::ResourcesTemplatesList if self.has_resources() => {
                Some(("resourceTemplates", &lists.templates))
            }
            Method::PromptsList if !r.prompts.is_empty() => Some(("prompts", &lists.prompts)),
            _ => None,
        }
    }

    pub(super) fn list(
        &self,
        params: &Map<String, Value>,
        key: &str,
        items: &[Encoded],
        modern: bool,
        private: bool,
    ) -> Result<Encoded, RequestError> {
        let start = match params.get("cursor") {
            None | Some(Value::Null) => 0,
            Some(Value::String(c)) => decode_cursor(c)
                .filter(|&n| n <= items.len())
                .ok_or_else(|| RequestError::invalid_params("Invalid cursor"))?,
            Some(_) => return Err(RequestError::invalid_params("Invalid cursor")),
        };
        let end = (start + self.page_size).min(items.len());
        // `key` is one of the list keys above: plain ASCII, no escaping needed.
        let mut result = format!("{{\"{key}\":");
        jsonrpc::push_array(&mut result, &items[start..end]);
        if end < items.len() {
            result.push_str(&format!(",\"nextCursor\":\"{}\"", encode_cursor(end)));
        }
        if modern {
            // A list filtered by the caller's scopes is the caller's alone.
            result.push_str(if private {
                &self.modern_private_list_suffix
            } else {
                &self.modern_list_suffix
            });
        }
        result.push('}');
        Ok(jsonrpc::from_json_text(result))
    }

    pub(super) async fn call_tool(
        &self,
        ctx: Context,
        mut params: Map<String, Value>,
    ) -> Result<Value, RequestError> {
        let name = match params.get("name") {
            Some(Value::String(n)) => n.clone(),
            _ => return Err(RequestError::invalid_params("`name` must be a string")),
        };
        let args = match params.remove("arguments") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(a)) => a,
            Some(_) => {
                return Err(RequestError::invalid_params(
                    "`arguments` must be an object",
                ));
            }
        };
        let tool = self
            .registry
            .tool(&name)
            .ok_or_else(|| RequestError::invalid_params(format!("Unknown tool: {name}")))?;
        let v = ctx.protocol_version();
        let args_value = Value::Object(args);
        // `is_valid` is the cheap question; errors are collected only on failure.
        if let Some(validator) = tool.validator.as_ref().filter(|v| !v.is_valid(&args_value)) {
            let problems: Vec<String> = validator
                .iter_errors(&args_value)
                .take(10)
                .map(|e| {
                    let path = e.instance_path().to_string();
                    let at = if path.is_empty() {
                        "/".to_owned()
                    } else {
                        path
                    };
                    format!("{at}: {e}")
                })
                .collect();
            if !problems.is_empty() {
                let text = format!(
                    "Invalid arguments for tool `{name}`:\n{}",
                    problems.join("\n")
                );
                let mut result =
                    json!({ "content": [{ "type": "text", "text": text }], "isError": true });
                downgrade::call_tool_result(&mut result, v);
                return Ok(result);
            }
        }
        let Value::Object(args) = args_value else {
            unreachable!("built as an object above")
        };
        // The context is a shared handle: this copy names the request if the
        // handler panics, so the operator's log says which tool did.
        let caller = ctx.clone();
        let limit = tool.timeout.or(self.tool_timeout);
        // A timeout stops the handler but not the request, which is still answered:
        // the handler gets a context it alone sees cancelled.
        let (ctx, stop) = match limit {
            Some(_) => {
                let (ctx, stop) = ctx.with_own_cancellation();
                (ctx, Some(stop))
            }
            None => (ctx, None),
        };
        let run = AssertUnwindSafe((tool.handler)(ctx, args)).catch_unwind();
        let outcome = match limit {
            None => run.await,
            Some(limit) => match tokio::time::timeout(limit, run).await {
                Ok(outcome) => outcome,
                Err(_) => {
                    // The handler is dropped by now; work it spawned with its
                    // context learns through `ctx.cancelled()`.
                    if let Some(stop) = stop {
                        stop.cancel();
                    }
                    operator_log::tool_timed_out(&name, caller.request_id(), limit);
                    return Ok(timed_out(&name, limit, v));
                }
            },
        };
        let result = match outcome {
            Ok(result) => result?,
            Err(panic) => {
                operator_log::tool_panicked(&name, caller.request_id(), &*panic);
                return Err(RequestError::internal(
                    "Internal error: the handler panicked",
                ));
            }
        };
        let mut result = serde_json::to_value(result)
            .map_err(|e| RequestError::internal(format!("result did not serialize: {e}")))?;
        downgrade::call_tool_result(&mut result, v);
        Ok(result)
    }

    pub(super) async fn read_resource(
        &self,
        ctx: Context,
        params: &Map<String, Value>,
    ) -> Result<Value, RequestError> {
        let uri = params
            .get("uri")
            .and_then(Value::as_str)
            .ok_or_else(|| RequestError::invalid_params("`uri` must be a string"))?
            .to_owned();
        let r = &self.registry;
        let modern = ctx.protocol_version().is_modern();
        let hints;
        let result: ReadResourceResult = if let Some(&i) = r.resource_index.get(&uri) {
            let entry = &r.resources[i];
            hints = entry.cache_hints(r.cache);
            let mime = entry.mime_type.clone();
            match &entry.source {
                ResourceSource::Text(text) => ResourceContents::Text {
                    uri,
                    mime_type: mime,
                    text: (*text).to_owned(),
                }
                .into(),
                ResourceSource::Blob(bytes) => ResourceContents::Blob {
                    uri,
                    mime_type: mime,
                    blob: base64::engine::general_purpose::STANDARD.encode(bytes),
                }
                .into(),
                ResourceSource::Handler(h) => h(ctx, uri).await?,
            }
        } else {
            let found = r
                .templates
                .iter()
                .find_map(|t| t.template.matches(&uri).map(|vars| (t, vars)));
            let Some((entry, raw_vars)) = found else {
                return Err(RequestError::resource_not_found(&uri));
            };
            hints = entry.cache_hints();
            let vars = typed_vars(&entry.variables, raw_vars).map_err(|why| {
                RequestError::resource_not_found(&uri)
                    .with_data(json!({ "uri": uri, "reason": why }))
            })?;
            match &entry.source {
                TemplateSource::Text(body) => {
                    let text = r
                        .templates_env
                        .render_str(body, &vars)
                        .map_err(|e| RequestError::internal(format!("template failed: {e}")))?;
                    ResourceContents::Text {
                        uri,
                        mime_type: entry.mime_type.clone(),
                        text,
                    }
                    .into()
                }
                TemplateSource::Handler(h) => h(ctx, uri, vars).await?,
            }
        };
        let mut result =
            serde_json::to_value(result).map_err(|e| RequestError::internal(e.to_string()))?;
        if modern {
            if let Value::Object(m) = &mut result {
                insert_cache_hints(m, hints);
            }
        }
        Ok(result)
    }

    pub(super) async fn get_prompt(
        &self,
        ctx: Context,
        params: Map<String, Value>,
    ) -> Result<Value, RequestError> {
        let name = params
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| RequestError::invalid_params("`name` must be a string"))?;
        let prompt = self
            .registry
            .prompt_index
            .get(name)
            .map(|&i| &self.registry.prompts[i])
            .ok_or_else(|| RequestError::invalid_params(format!("Unknown prompt: {name}")))?;
        let args = match params.get("arguments") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(a)) => a.clone(),
            Some(_) => {
                return Err(RequestError::invalid_params(
                    "`arguments` must be an object",
                ));
            }
        };
        if let Some((k, _)) = args.iter().find(|(_, v)| !v.is_string()) {
            return Err(RequestError::invalid_params(format!(
                "Prompt argument `{k}` must be a string"
            )));
        }
        if let Some(missing) = prompt
            .required
            .iter()
            .find(|a| !args.contains_key(a.as_str()))
        {
            return Err(RequestError::invalid_params(format!(
                "Missing required argument `{missing}` for prompt `{name}`"
            )));
        }
        let v = ctx.protocol_version();
        let mut result = match (&prompt.source, &prompt.messages) {
            (PromptSource::Messages(_), Some(templates)) => {
                let mut messages = templates.clone();
                self.render_strings(&mut messages, &args)?;
                let mut result = Map::new();
                if let Some(d) = prompt.definition.get("description") {
                    result.insert("description".into(), d.clone());
                }
                result.insert("messages".into(), messages);
                Value::Object(result)
            }
            (PromptSource::Handler(h), _) => {
                let r = h(ctx, args).await?;
                serde_json::to_value(r).map_err(|e| RequestError::internal(e.to_string()))?
            }
            (PromptSource::Messages(_), None) => {
                return Err(RequestError::internal("prompt has no messages"));
            }
        };
        downgrade::prompt_result(&mut result, v);
        Ok(result)
    }

    /// Renders every templated string (`text` and `uri`) in a message tree.
    pub(super) fn render_strings(
        &self,
        value: &mut Value,
        args: &Map<String, Value>,
    ) -> Result<(), RequestError> {
        match value {
            Value::Array(items) => items
                .iter_mut()
                .try_for_each(|i| self.render_strings(i, args)),
            Value::Object(obj) => {
                for (k, v) in obj.iter_mut() {
                    match v {
                        Value::String(s)
                            if (k == "text" || k == "uri")
                                && (s.contains("{{") || s.contains("{%")) =>
                        {
                            *s = self
                                .registry
                                .templates_env
                                .render_str(s, args)
                                .map_err(|e| {
                                    RequestError::internal(format!("template failed: {e}"))
                                })?;
                        }
                        Value::Array(_) | Value::Object(_) => self.render_strings(v, args)?,
                        _ => {}
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    pub(super) async fn complete(
        &self,
        ctx: Context,
        params: &Map<String, Value>,
    ) -> Result<Value, RequestError> {
        let r = &self.registry;
        let reference = params
            .get("ref")
            .and_then(Value::as_object)
            .ok_or_else(|| RequestError::invalid_params("`ref` must be an object"))?;
        let argument = params
            .get("argument")
            .and_then(Value::as_object)
            .ok_or_else(|| RequestError::invalid_params("`argument` must be an object"))?;
        let arg_name = argument
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| RequestError::invalid_params("`argument.name` must be a string"))?;
        let arg_value = argument
            .get("value")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let found = match reference.get("type").and_then(Value::as_str) {
            Some("ref/prompt") => {
                let name = reference
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if !r.prompt_index.contains_key(name) {
                    return Err(RequestError::invalid_params(format!(
                        "Unknown prompt: {name}"
                    )));
                }
                r.completions.iter().find(|(t, _)| {
                    matches!(t, CompletionTarget::PromptArgument { prompt, argument }
                        if *prompt == name && *argument == arg_name)
                })
            }
            Some("ref/resource") => {
                let uri = reference
                    .get("uri")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let known =
                    r.templates.iter().any(|t| {
                        t.definition.get("uriTemplate").and_then(Value::as_str) == Some(uri)
                    }) || r.resource_index.contains_key(uri);
                if !known {
                    return Err(RequestError::invalid_params(format!(
                        "Unknown resource: {uri}"
                    )));
                }
                r.completions.iter().find(|(t, _)| {
                    matches!(t, CompletionTarget::TemplateVariable { uri_template, variable }
                        if *uri_template == uri && *variable == arg_name)
                })
            }
            _ => {
                return Err(RequestError::invalid_params(
                    "`ref.type` must be ref/prompt or ref/resource",
                ));
            }
        };
        let completion = match found.map(|(_, s)| s) {
            None => crate::Completion::default(),
            Some(CompletionSource::Values(values)) => {
                let typed = arg_value.to_lowercase();
                let matching: Vec<String> = values
                    .iter()
                    .filter(|v| v.to_lowercase().starts_with(&typed))
                    .map(|v| (*v).to_owned())
                    .collect();
                crate::Completion::from(matching)
            }
            Some(CompletionSource::Handler(h)) => {
                let context = params
                    .get("context")
                    .and_then(|c| c.get("arguments"))
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                h(
                    ctx,
                    crate::CompletionRequest {
                        argument: arg_name.to_owned(),
                        value: arg_value.to_owned(),
                        context,
                    },
                )
                .await?
            }
        };
        Ok(json!({ "completion": cap_completion(completion) }))
    }
}

/// What a call that ran past its timeout answers: a tool error the model can
/// read, not a JSON-RPC error (the call was valid; the tool did not finish).
fn timed_out(tool: &str, limit: Duration, v: ProtocolVersion) -> Value {
    let text = format!(
        "tool `{tool}` timed out after {}",
        humantime::format_duration(limit)
    );
    let mut result = json!({ "content": [{ "type": "text", "text": text }], "isError": true });
    downgrade::call_tool_result(&mut result, v);
    result
}

/// At most 100 values go on the wire; the rest is summarized in `total`/`hasMore`.
pub(super) fn cap_completion(mut c: crate::Completion) -> Value {
    const MAX: usize = 100;
    if c.values.len() > MAX {
        c.total = Some(c.total.unwrap_or(c.values.len() as u64));
        c.has_more = Some(true);
        c.values.truncate(MAX);
    }
    serde_json::to_value(c).unwrap_or_else(|_| json!({ "values": [] }))
}

pub(super) fn typed_vars(
    types: &[(String, VarType)],
    raw: Vec<(String, String)>,
) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for (name, text) in raw {
        let ty = types
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
            .unwrap_or(VarType::String);
        let value = match ty {
            VarType::String => Value::String(text),
            VarType::Integer => text
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| format!("`{name}` must be an integer"))?,
            VarType::Number => text
                .parse::<f64>()
                .ok()
                .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
                .ok_or_else(|| format!("`{name}` must be a number"))?,
            VarType::Boolean => text
                .parse::<bool>()
                .map(Value::Bool)
                .map_err(|_| format!("`{name}` must be true or false"))?,
        };
        out.insert(name, value);
    }
    Ok(out)
}

pub(super) fn encode_cursor(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o{offset}"))
}

pub(super) fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    std::str::from_utf8(&bytes)
        .ok()?
        .strip_prefix('o')?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert_eq!(decode_cursor("not a cursor"), None);
        assert_eq!(decode_cursor(""), None);
    }

    #[test]
    fn template_variables_get_their_types() {
        let types = vec![("n".to_owned(), VarType::Integer)];
        let ok = typed_vars(&types, vec![("n".into(), "7".into())]).unwrap();
        assert_eq!(ok["n"], json!(7));
        assert!(typed_vars(&types, vec![("n".into(), "x".into())]).is_err());
    }

    #[test]
    fn a_timeout_is_an_error_result_naming_tool_and_limit() {
        let r = timed_out(
            "slow",
            Duration::from_millis(1500),
            ProtocolVersion::V2025_11_25,
        );
        assert_eq!(
            r,
            json!({ "content": [{ "type": "text", "text": "tool `slow` timed out after 1s 500ms" }],
                    "isError": true })
        );
    }

    #[test]
    fn completions_are_capped_at_100() {
        let c = crate::Completion::from((0..150).map(|i| i.to_string()).collect::<Vec<_>>());
        let v = cap_completion(c);
        assert_eq!(v["values"].as_array().unwrap().len(), 100);
        assert_eq!(v["total"], json!(150));
        assert_eq!(v["hasMore"], json!(true));
    }
}
