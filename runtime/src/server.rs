//! The server: an immutable registry plus the dispatch of every MCP method.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use futures_util::FutureExt as _;
use serde_json::{Map, Value, json};
use tokio::sync::broadcast;

use crate::context::Context;
use crate::downgrade;
use crate::error::RequestError;
use crate::jsonrpc::{self, Encoded, ErrorCode, RequestId};
use crate::protocol::{
    Implementation, LogLevel, ProtocolVersion, ReadResourceResult, ResourceContents,
};
use crate::registry::{
    CompletionSource, CompletionTarget, PromptSource, Registry, ResourceSource, TemplateSource,
    VarType,
};
use crate::session::{Negotiated, Outbound, Session};

/// A change clients may be told about.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ServerEvent {
    ToolsChanged,
    PromptsChanged,
    ResourcesChanged,
    ResourceUpdated(String),
}

impl ServerEvent {
    /// The notification for a legacy session, if this session should get it.
    pub(crate) fn notification_for(&self, session: &Session) -> Option<Value> {
        let (method, params) = match self {
            ServerEvent::ToolsChanged => ("notifications/tools/list_changed", json!({})),
            ServerEvent::PromptsChanged => ("notifications/prompts/list_changed", json!({})),
            ServerEvent::ResourcesChanged => ("notifications/resources/list_changed", json!({})),
            ServerEvent::ResourceUpdated(uri) => {
                if !session.is_subscribed(uri) {
                    return None;
                }
                ("notifications/resources/updated", json!({ "uri": uri }))
            }
        };
        Some(jsonrpc::notification(method, params))
    }
}

/// An MCP server, built by generated code (`server(handler)`), ready to serve over
/// stdio or Streamable HTTP.
///
/// ```no_run
/// # fn server() -> mcpgen_runtime::Server { unimplemented!() }
/// // In a generated server's `main`: parse the standard command line and serve.
/// fn main() -> std::process::ExitCode {
///     server().main()
/// }
/// ```
pub struct Server {
    pub(crate) shared: Arc<Shared>,
}

/// Everything requests share: the registry, precomputed lists, settings.
pub(crate) struct Shared {
    pub registry: Registry,
    pub name: String,
    pub events: broadcast::Sender<ServerEvent>,
    pub client_request_timeout: Duration,
    pub page_size: usize,
    /// Per protocol version (index into `ProtocolVersion::ALL`), the list items
    /// down-converted once at start-up.
    lists: Vec<Lists>,
}

/// List items, serialized once: a page is their JSON text spliced together.
struct Lists {
    tools: Vec<Encoded>,
    resources: Vec<Encoded>,
    templates: Vec<Encoded>,
    prompts: Vec<Encoded>,
}

fn version_index(v: ProtocolVersion) -> usize {
    ProtocolVersion::ALL
        .iter()
        .position(|x| *x == v)
        .unwrap_or(ProtocolVersion::ALL.len() - 1)
}

impl Server {
    pub(crate) fn from_registry(registry: Registry) -> Server {
        let lists = ProtocolVersion::ALL
            .iter()
            .map(|&v| {
                let map = |defs: Vec<&Value>, f: fn(&mut Value, ProtocolVersion)| {
                    defs.into_iter()
                        .map(|d| {
                            let mut d = d.clone();
                            f(&mut d, v);
                            jsonrpc::encode(&d)
                        })
                        .collect()
                };
                Lists {
                    tools: map(
                        registry.tools.iter().map(|t| &t.definition).collect(),
                        downgrade::tool,
                    ),
                    resources: map(
                        registry.resources.iter().map(|r| &r.definition).collect(),
                        downgrade::listed_item,
                    ),
                    templates: map(
                        registry.templates.iter().map(|t| &t.definition).collect(),
                        downgrade::listed_item,
                    ),
                    prompts: map(
                        registry.prompts.iter().map(|p| &p.definition).collect(),
                        downgrade::listed_item,
                    ),
                }
            })
            .collect();
        let name = registry
            .info
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("mcpgen")
            .to_owned();
        let (events, _) = broadcast::channel(256);
        Server {
            shared: Arc::new(Shared {
                registry,
                name,
                events,
                client_request_timeout: Duration::from_secs(60),
                page_size: 100,
                lists,
            }),
        }
    }

    fn settings(&mut self) -> &mut Shared {
        Arc::get_mut(&mut self.shared).expect("a Server is configured before it serves")
    }

    /// How long a handler waits for the client to answer a sampling, elicitation or
    /// roots request (default 60 s).
    pub fn client_request_timeout(mut self, timeout: Duration) -> Self {
        self.settings().client_request_timeout = timeout;
        self
    }

    /// How many items each page of a list method holds (default 100).
    pub fn page_size(mut self, items: usize) -> Self {
        self.settings().page_size = items.max(1);
        self
    }
}

impl Shared {
    pub(crate) fn publish(&self, event: ServerEvent) {
        // No receivers (nobody listening) is not an error.
        let _ = self.events.send(event);
    }

    fn has_resources(&self) -> bool {
        !self.registry.resources.is_empty() || !self.registry.templates.is_empty()
    }

    fn capabilities(&self, v: ProtocolVersion) -> Value {
        let r = &self.registry;
        let mut caps = Map::new();
        if !r.tools.is_empty() {
            caps.insert("tools".into(), json!({ "listChanged": true }));
        }
        if self.has_resources() {
            caps.insert(
                "resources".into(),
                json!({ "subscribe": true, "listChanged": true }),
            );
        }
        if !r.prompts.is_empty() {
            caps.insert("prompts".into(), json!({ "listChanged": true }));
        }
        caps.insert("logging".into(), json!({}));
        if v >= ProtocolVersion::V2025_03_26 && (!r.prompts.is_empty() || !r.templates.is_empty()) {
            caps.insert("completions".into(), json!({}));
        }
        Value::Object(caps)
    }

    /// Answers `initialize`: negotiates the version and returns the result, encoded.
    pub(crate) fn initialize(
        &self,
        params: Option<&Value>,
    ) -> Result<(Negotiated, Encoded), RequestError> {
        let params = params
            .and_then(Value::as_object)
            .ok_or_else(|| RequestError::invalid_params("initialize needs params"))?;
        let requested = params
            .get("protocolVersion")
            .and_then(Value::as_str)
            .ok_or_else(|| RequestError::invalid_params("`protocolVersion` must be a string"))?;
        let version = requested.parse().unwrap_or(ProtocolVersion::LATEST);
        let client_capabilities = match params.get("capabilities") {
            Some(c @ Value::Object(_)) => c.clone(),
            None => json!({}),
            Some(_) => {
                return Err(RequestError::invalid_params(
                    "`capabilities` must be an object",
                ));
            }
        };
        let client_info = params
            .get("clientInfo")
            .and_then(|c| serde_json::from_value::<Implementation>(c.clone()).ok());
        let mut info = self.registry.info.clone();
        downgrade::implementation(&mut info, version);
        let mut result = Map::new();
        result.insert("protocolVersion".into(), version.as_str().into());
        result.insert("capabilities".into(), self.capabilities(version));
        result.insert("serverInfo".into(), info);
        if let Some(instructions) = &self.registry.instructions {
            result.insert("instructions".into(), instructions.clone().into());
        }
        Ok((
            Negotiated {
                version,
                client_capabilities,
                client_info,
            },
            jsonrpc::encode(&Value::Object(result)),
        ))
    }

    /// Serves one request of an initialized session. The request is registered for
    /// cancellation at once, before the returned future first runs, so a
    /// `notifications/cancelled` read right after it always finds it. The future
    /// yields the JSON-RPC response, or `None` when the client cancelled the request
    /// (no response is due then).
    pub(crate) fn handle_request(
        self: &Arc<Self>,
        session: &Arc<Session>,
        id: RequestId,
        method: String,
        params: Option<Value>,
        outbound: Arc<dyn Outbound>,
    ) -> impl Future<Output = Option<Encoded>> + Send + 'static {
        let cancel = session.begin_request(&id);
        let shared = self.clone();
        let session = session.clone();
        async move {
            let progress_token = params
                .as_ref()
                .and_then(|p| p.pointer("/_meta/progressToken"))
                .filter(|t| t.is_string() || t.is_i64() || t.is_u64())
                .cloned();
            let ctx = Context::new(
                id.clone(),
                progress_token,
                session.clone(),
                outbound,
                shared.clone(),
                cancel.clone(),
            );
            let work = AssertUnwindSafe(shared.dispatch(ctx, &method, params)).catch_unwind();
            let outcome = tokio::select! {
                // Cancellation wins ties: a handler that noticed the cancellation
                // and returned must not be answered either.
                biased;
                _ = cancel.cancelled() => None,
                r = work => Some(r),
            };
            session.end_request(&id);
            if cancel.is_cancelled() {
                return None;
            }
            let result = match outcome? {
                Ok(r) => r,
                Err(_) => Err(RequestError::internal(
                    "Internal error: the handler panicked",
                )),
            };
            Some(match result {
                Ok(result) => jsonrpc::response(&id, &result),
                Err(e) => jsonrpc::error_response(Some(&id), &e),
            })
        }
    }

    /// Handles a notification from the client.
    pub(crate) fn handle_notification(
        &self,
        session: &Session,
        method: &str,
        params: Option<&Value>,
    ) {
        match method {
            "notifications/initialized" => session.mark_initialized(),
            "notifications/cancelled" => {
                let id = params
                    .and_then(|p| p.get("requestId"))
                    .and_then(|v| serde_json::from_value::<RequestId>(v.clone()).ok());
                if let Some(id) = id {
                    session.cancel_request(&id);
                }
            }
            // Progress for server requests, roots changes and anything unknown need
            // no action; notifications never get an answer.
            _ => {}
        }
    }

    async fn dispatch(
        self: &Arc<Self>,
        ctx: Context,
        method: &str,
        params: Option<Value>,
    ) -> Result<Encoded, RequestError> {
        let params = match params {
            None => Map::new(),
            Some(Value::Object(m)) => m,
            Some(_) => return Err(RequestError::invalid_params("`params` must be an object")),
        };
        if let Some((key, items)) = self.listed(method, ctx.protocol_version()) {
            return self.list(&params, key, items);
        }
        self.dispatch_value(ctx, method, params)
            .await
            .map(|result| jsonrpc::encode(&result))
    }

    /// The items a list method serves, and the key they go under, if this server
    /// offers the method.
    fn listed(&self, method: &str, v: ProtocolVersion) -> Option<(&'static str, &[Encoded])> {
        let r = &self.registry;
        let lists = &self.lists[version_index(v)];
        match method {
            "tools/list" if !r.tools.is_empty() => Some(("tools", &lists.tools)),
            "resources/list" if self.has_resources() => Some(("resources", &lists.resources)),
            "resources/templates/list" if self.has_resources() => {
                Some(("resourceTemplates", &lists.templates))
            }
            "prompts/list" if !r.prompts.is_empty() => Some(("prompts", &lists.prompts)),
            _ => None,
        }
    }

    /// Every method but the lists.
    async fn dispatch_value(
        self: &Arc<Self>,
        ctx: Context,
        method: &str,
        params: Map<String, Value>,
    ) -> Result<Value, RequestError> {
        let r = &self.registry;
        match method {
            "ping" => Ok(json!({})),
            "initialize" => Err(RequestError::new(
                ErrorCode::INVALID_REQUEST,
                "Invalid request: the session is already initialized",
            )),
            "tools/call" if !r.tools.is_empty() => self.call_tool(ctx, params).await,
            "resources/read" if self.has_resources() => self.read_resource(ctx, &params).await,
            "resources/subscribe" if self.has_resources() => {
                ctx_session(&ctx, &params, |s, uri| s.subscribe(uri))
            }
            "resources/unsubscribe" if self.has_resources() => {
                ctx_session(&ctx, &params, |s, uri| s.unsubscribe(uri))
            }
            "prompts/get" if !r.prompts.is_empty() => self.get_prompt(ctx, params).await,
            "completion/complete" => self.complete(ctx, &params).await,
            "logging/setLevel" => {
                let level = params
                    .get("level")
                    .and_then(Value::as_str)
                    .and_then(|l| l.parse::<LogLevel>().ok())
                    .ok_or_else(|| {
                        RequestError::invalid_params(
                            "`level` must be one of debug, info, notice, warning, error, critical, alert, emergency",
                        )
                    })?;
                ctx.session().set_log_level(level);
                Ok(json!({}))
            }
            _ => Err(RequestError::method_not_found(method)),
        }
    }

    fn list(
        &self,
        params: &Map<String, Value>,
        key: &str,
        items: &[Encoded],
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
        result.push('}');
        Ok(jsonrpc::from_json_text(result))
    }

    async fn call_tool(
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
            .tool_index
            .get(&name)
            .map(|&i| &self.registry.tools[i])
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
        let result = (tool.handler)(ctx, args).await?;
        let mut result = serde_json::to_value(result)
            .map_err(|e| RequestError::internal(format!("result did not serialize: {e}")))?;
        downgrade::call_tool_result(&mut result, v);
        Ok(result)
    }

    async fn read_resource(
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
        let result: ReadResourceResult = if let Some(&i) = r.resource_index.get(&uri) {
            let entry = &r.resources[i];
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
        serde_json::to_value(result).map_err(|e| RequestError::internal(e.to_string()))
    }

    async fn get_prompt(
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
    fn render_strings(
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

    async fn complete(
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

fn ctx_session(
    ctx: &Context,
    params: &Map<String, Value>,
    f: impl FnOnce(&Session, &str),
) -> Result<Value, RequestError> {
    let uri = params
        .get("uri")
        .and_then(Value::as_str)
        .ok_or_else(|| RequestError::invalid_params("`uri` must be a string"))?;
    f(ctx.session(), uri);
    Ok(json!({}))
}

/// At most 100 values go on the wire; the rest is summarized in `total`/`hasMore`.
fn cap_completion(mut c: crate::Completion) -> Value {
    const MAX: usize = 100;
    if c.values.len() > MAX {
        c.total = Some(c.total.unwrap_or(c.values.len() as u64));
        c.has_more = Some(true);
        c.values.truncate(MAX);
    }
    serde_json::to_value(c).unwrap_or_else(|_| json!({ "values": [] }))
}

fn typed_vars(
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

fn encode_cursor(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o{offset}"))
}

fn decode_cursor(cursor: &str) -> Option<usize> {
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
    fn completions_are_capped_at_100() {
        let c = crate::Completion::from((0..150).map(|i| i.to_string()).collect::<Vec<_>>());
        let v = cap_completion(c);
        assert_eq!(v["values"].as_array().unwrap().len(), 100);
        assert_eq!(v["total"], json!(150));
        assert_eq!(v["hasMore"], json!(true));
    }
}
