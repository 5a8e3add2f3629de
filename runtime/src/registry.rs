//! The immutable registry of a server's tools, resources, prompts and completions,
//! built once by generated code through [`ServerBuilder`].

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::access::{Access, AccessJson};
use crate::context::Context;
use crate::error::RequestError;
use crate::protocol::{
    CallToolResult, Completion, CompletionRequest, GetPromptResult, ReadResourceResult,
};
use crate::uri_template::UriTemplate;

/// A boxed, sendable future: the one allocation per call made by the dispatch glue.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Calls a tool with validated arguments.
pub type ToolHandler = Arc<
    dyn Fn(Context, Map<String, Value>) -> BoxFuture<Result<CallToolResult, RequestError>>
        + Send
        + Sync,
>;
/// Reads a dynamic resource, given its URI.
pub type ResourceHandler = Arc<
    dyn Fn(Context, String) -> BoxFuture<Result<ReadResourceResult, RequestError>> + Send + Sync,
>;
/// Reads a resource matched by a URI template, given the URI and its typed variables.
pub type TemplateHandler = Arc<
    dyn Fn(
            Context,
            String,
            Map<String, Value>,
        ) -> BoxFuture<Result<ReadResourceResult, RequestError>>
        + Send
        + Sync,
>;
/// Renders a coded prompt from its arguments.
pub type PromptHandler = Arc<
    dyn Fn(Context, Map<String, Value>) -> BoxFuture<Result<GetPromptResult, RequestError>>
        + Send
        + Sync,
>;
/// Completes a prompt argument or template variable.
pub type CompletionHandler = Arc<
    dyn Fn(Context, CompletionRequest) -> BoxFuture<Result<Completion, RequestError>> + Send + Sync,
>;

/// Where a static resource's bytes come from.
pub enum ResourceSource {
    /// Text, served as `text`.
    Text(&'static str),
    /// Bytes, served base64-encoded as `blob`.
    Blob(&'static [u8]),
    /// A handler computes the contents on each read.
    Handler(ResourceHandler),
}

impl ResourceSource {
    /// A coded resource.
    pub fn handler<F, Fut>(f: F) -> Self
    where
        F: Fn(Context, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ReadResourceResult, RequestError>> + Send + 'static,
    {
        ResourceSource::Handler(Arc::new(move |ctx, uri| Box::pin(f(ctx, uri))))
    }
}

/// How a resource template's contents are produced.
pub enum TemplateSource {
    /// A minijinja template rendered with the URI's variables, served as `text`.
    Text(&'static str),
    /// A handler receives the URI and its typed variables.
    Handler(TemplateHandler),
}

impl TemplateSource {
    /// A coded template.
    pub fn handler<F, Fut>(f: F) -> Self
    where
        F: Fn(Context, String, Map<String, Value>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ReadResourceResult, RequestError>> + Send + 'static,
    {
        TemplateSource::Handler(Arc::new(move |ctx, uri, vars| Box::pin(f(ctx, uri, vars))))
    }
}

/// How a prompt's messages are produced.
pub enum PromptSource {
    /// A JSON array of `PromptMessage`s in which every string (except base64 `data`
    /// and `blob`) is a minijinja template rendered with the prompt's arguments.
    Messages(&'static str),
    /// A handler renders the prompt.
    Handler(PromptHandler),
}

impl PromptSource {
    /// A coded prompt.
    pub fn handler<F, Fut>(f: F) -> Self
    where
        F: Fn(Context, Map<String, Value>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<GetPromptResult, RequestError>> + Send + 'static,
    {
        PromptSource::Handler(Arc::new(move |ctx, args| Box::pin(f(ctx, args))))
    }
}

/// What a completion applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CompletionTarget {
    /// An argument of a prompt.
    PromptArgument {
        /// The prompt's name.
        prompt: &'static str,
        /// The argument's name.
        argument: &'static str,
    },
    /// A variable of a resource template.
    TemplateVariable {
        /// The template, exactly as declared.
        uri_template: &'static str,
        /// The variable's name.
        variable: &'static str,
    },
}

/// Where completion values come from.
pub enum CompletionSource {
    /// A fixed list, filtered by prefix (case-insensitive) of what the user typed.
    Values(&'static [&'static str]),
    /// A handler computes them.
    Handler(CompletionHandler),
}

impl CompletionSource {
    /// Coded completions.
    pub fn handler<F, Fut>(f: F) -> Self
    where
        F: Fn(Context, CompletionRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Completion, RequestError>> + Send + 'static,
    {
        CompletionSource::Handler(Arc::new(move |ctx, req| Box::pin(f(ctx, req))))
    }
}

/// The type a URI template variable is parsed into before it reaches a handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarType {
    /// Any string (the default).
    String,
    /// A signed 64-bit integer.
    Integer,
    /// A floating-point number.
    Number,
    /// `true` or `false`.
    Boolean,
}

/// How long, and for whom, a client may cache a result: 2026-07-28's `ttlMs` and
/// `cacheScope`, in that wire shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CacheHints {
    /// How long the result stays fresh, in milliseconds.
    #[serde(rename = "ttlMs")]
    pub ttl_ms: u64,
    /// Who may share a cached copy.
    #[serde(rename = "cacheScope")]
    pub scope: CacheScope,
}

impl CacheHints {
    /// For contents computed on each read: stale at once.
    #[allow(dead_code)] // read by the 2026 dispatch
    pub(crate) const UNCACHED: CacheHints = CacheHints {
        ttl_ms: 0,
        scope: CacheScope::Public,
    };
}

impl Default for CacheHints {
    /// The server's hints when the manifest declares none: a minute, shared.
    fn default() -> Self {
        CacheHints {
            ttl_ms: 60_000,
            scope: CacheScope::Public,
        }
    }
}

/// Who may share a cached result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum CacheScope {
    /// Any client, whatever its authorization.
    Public,
    /// Only the caller it was served to.
    Private,
}

/// Whether a tool's calls may run as tasks (the tasks extension).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TaskSupport {
    /// Always answered synchronously.
    #[default]
    Forbidden,
    /// A task for clients that declared the extension, else synchronous.
    Optional,
    /// Always a task; clients without the extension are refused (-32021).
    Required,
}

/// Where a task call becomes a task.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum TaskStarts {
    /// When the call arrives; client input is asked through the task.
    #[default]
    OnCall,
    /// When the handler calls `Context::detach`; input asked before that
    /// round-trips with the client synchronously.
    OnDetach,
}

/// A tool argument the client mirrors in an `Mcp-Param-<header>` HTTP header
/// (`x-mcp-header` in the input schema), for the runtime to check against the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeaderParam {
    /// The header's name as declared, e.g. `Region` for `Mcp-Param-Region`.
    pub header: String,
    /// The property names from the root of the arguments to the value.
    pub path: Vec<String>,
    /// The property's type, which decides how the header value compares.
    pub kind: HeaderParamKind,
}

/// The JSON type of a header parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeaderParamKind {
    /// Compared as text.
    String,
    /// Compared as a number.
    Integer,
    /// `true` or `false`.
    Boolean,
}

pub(crate) struct ToolEntry {
    pub definition: Value,
    pub validator: Option<jsonschema::Validator>,
    pub handler: ToolHandler,
    /// Client capabilities the tool cannot run without, as a `ClientCapabilities`
    /// object (`{"sampling":{}}`); empty when none.
    pub requires: Map<String, Value>,
    pub task_support: TaskSupport,
    pub task_starts: TaskStarts,
    /// How long a call may run, overriding the server's default.
    pub timeout: Option<Duration>,
    /// The `x-mcp-header` parameters of the input schema.
    #[allow(dead_code)] // read by the 2026 dispatch
    pub header_params: Vec<HeaderParam>,
    /// The name as metrics label it (shared, so counting a call allocates nothing).
    pub metric_name: Arc<str>,
}

pub(crate) struct ResourceEntry {
    pub mime_type: Option<String>,
    pub definition: Value,
    pub source: ResourceSource,
    /// The hints declared for reading it, if any (see [`ResourceEntry::cache_hints`]).
    pub cache: Option<CacheHints>,
}

impl ResourceEntry {
    /// The hints for a read: the declared ones; else static contents take the
    /// server's, and a handler's contents are uncached.
    #[allow(dead_code)] // read by the 2026 dispatch
    pub(crate) fn cache_hints(&self, server: CacheHints) -> CacheHints {
        self.cache.unwrap_or(match self.source {
            ResourceSource::Text(_) | ResourceSource::Blob(_) => server,
            ResourceSource::Handler(_) => CacheHints::UNCACHED,
        })
    }
}

pub(crate) struct TemplateEntry {
    pub template: UriTemplate,
    pub mime_type: Option<String>,
    pub definition: Value,
    pub variables: Vec<(String, VarType)>,
    pub source: TemplateSource,
    /// The hints declared for reading its resources, if any.
    pub cache: Option<CacheHints>,
}

impl TemplateEntry {
    /// The hints for a read: the declared ones, else uncached (contents depend on
    /// the URI, and are rendered or computed on each read).
    #[allow(dead_code)] // read by the 2026 dispatch
    pub(crate) fn cache_hints(&self) -> CacheHints {
        self.cache.unwrap_or(CacheHints::UNCACHED)
    }
}

pub(crate) struct PromptEntry {
    pub definition: Value,
    pub required: Vec<String>,
    pub source: PromptSource,
    /// Parsed once: the message templates of a templated prompt.
    pub messages: Option<Value>,
    /// The name as metrics label it.
    pub metric_name: Arc<str>,
}

/// Names to their position in a registry's list.
pub(crate) type Index = HashMap<String, usize, foldhash::fast::RandomState>;

pub(crate) struct Registry {
    pub info: Value,
    pub instructions: Option<String>,
    /// Cache hints of `server/discover` and every list result.
    pub cache: CacheHints,
    pub tools: Vec<ToolEntry>,
    /// Looked up on every call, by keys fixed at start-up (so a fast hash is safe:
    /// clients cannot add keys to flood it).
    pub tool_index: Index,
    pub resources: Vec<ResourceEntry>,
    pub resource_index: Index,
    pub templates: Vec<TemplateEntry>,
    pub prompts: Vec<PromptEntry>,
    pub prompt_index: Index,
    pub completions: HashMap<CompletionTarget, CompletionSource>,
    /// Renders templated prompts and resource templates.
    pub templates_env: minijinja::Environment<'static>,
    /// Who may use what (scopes, roles, tenancy); empty unless the manifest says.
    pub access: Access,
}

impl Registry {
    /// The tool registered under `name`.
    pub(crate) fn tool(&self, name: &str) -> Option<&ToolEntry> {
        self.tool_index.get(name).map(|&i| &self.tools[i])
    }
}

/// A non-empty text of a server's `Implementation` (`name`, `version`, `title`,
/// `description`), as the manifest gave it.
pub(crate) fn info_text<'a>(info: &'a Value, key: &str) -> Option<&'a str> {
    info.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// A server's name, as its command line and exported traces show it.
pub(crate) fn server_name(info: &Value) -> &str {
    info_text(info, "name").unwrap_or("mcp-server")
}

/// Builds a [`Server`](crate::Server). Called by generated code; definitions are the
/// JSON objects served in the list methods, exactly as the manifest declared them.
pub struct ServerBuilder {
    registry: Registry,
    /// The access rules, aligned with the items once all are registered.
    access: Option<AccessJson>,
    errors: Vec<String>,
}

fn parse_definition(kind: &str, json: &str, errors: &mut Vec<String>) -> Value {
    match serde_json::from_str::<Value>(json) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => {
            errors.push(format!("{kind} definition is not a JSON object"));
            Value::Object(Map::new())
        }
        Err(e) => {
            errors.push(format!("{kind} definition is not valid JSON: {e}"));
            Value::Object(Map::new())
        }
    }
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// A JSON object into `T` (serde would also take a struct from a JSON array).
fn parse_object<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, String> {
    match serde_json::from_str::<Value>(json) {
        Ok(v @ Value::Object(_)) => serde_json::from_value(v).map_err(|e| e.to_string()),
        Ok(_) => Err("not a JSON object".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}

/// Cache hints, `{"ttlMs":…,"cacheScope":…}`.
fn parse_cache(what: &str, json: &str, errors: &mut Vec<String>) -> Option<CacheHints> {
    parse_object(json)
        .map_err(|e| errors.push(format!("{what}: cache hints are invalid: {e}")))
        .ok()
}

/// What `ServerBuilder::tool_policy` reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ToolPolicy {
    #[serde(default)]
    requires: Map<String, Value>,
    #[serde(default)]
    task_support: TaskSupport,
    #[serde(default)]
    task_starts: TaskStarts,
    timeout_ms: Option<u64>,
}

/// The `x-mcp-header` annotations of an input schema, reached from the root
/// through `properties` (the only place clients read them). A malformed one is a
/// definition error: clients would drop the tool.
fn header_params(tool: &str, schema: &Value, errors: &mut Vec<String>) -> Vec<HeaderParam> {
    fn walk(
        tool: &str,
        schema: &Value,
        path: &mut Vec<String>,
        out: &mut Vec<HeaderParam>,
        errors: &mut Vec<String>,
    ) {
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            return;
        };
        for (name, property) in properties {
            path.push(name.clone());
            if let Some(header) = property.get("x-mcp-header") {
                let at = path.join(".");
                let kind = match property.get("type").and_then(Value::as_str) {
                    Some("string") => Some(HeaderParamKind::String),
                    Some("integer") => Some(HeaderParamKind::Integer),
                    Some("boolean") => Some(HeaderParamKind::Boolean),
                    _ => None,
                };
                let tchars = |h: &str| {
                    !h.is_empty()
                        && h.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
                };
                match (header.as_str(), kind) {
                    (Some(h), Some(kind)) if tchars(h) => {
                        if out.iter().any(|p| p.header.eq_ignore_ascii_case(h)) {
                            errors.push(format!(
                                "tool `{tool}`: header parameter `{h}` is declared twice"
                            ));
                        }
                        out.push(HeaderParam {
                            header: h.to_owned(),
                            path: path.clone(),
                            kind,
                        });
                    }
                    (_, None) => errors.push(format!(
                        "tool `{tool}`: `{at}` has `x-mcp-header` but is not a string, integer or boolean"
                    )),
                    _ => errors.push(format!(
                        "tool `{tool}`: the `x-mcp-header` of `{at}` is not a header name"
                    )),
                }
            }
            walk(tool, property, path, out, errors);
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(tool, schema, &mut Vec::new(), &mut out, errors);
    out
}

impl ServerBuilder {
    /// Starts a server from its `Implementation` JSON (`name`, `version`, `title`, …).
    pub fn new(info_json: &str) -> Self {
        let mut errors = Vec::new();
        let info = parse_definition("server info", info_json, &mut errors);
        let mut templates_env = minijinja::Environment::new();
        templates_env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
        ServerBuilder {
            registry: Registry {
                info,
                instructions: None,
                cache: CacheHints::default(),
                tools: Vec::new(),
                tool_index: Index::default(),
                resources: Vec::new(),
                resource_index: Index::default(),
                templates: Vec::new(),
                prompts: Vec::new(),
                prompt_index: Index::default(),
                completions: HashMap::new(),
                templates_env,
                access: Access::default(),
            },
            access: None,
            errors,
        }
    }

    /// The manifest's access rules: `{"scopes":[…],"tenancy":"required",
    /// "roles":{"admin":[…]},"tools":{"purge":["notes:admin"]},"resources":{…},
    /// "resourceTemplates":{…},"prompts":{…}}` (items by name, resources by URI,
    /// templates by URI template). Enforced for callers with a verified principal.
    pub fn access(&mut self, access_json: &str) -> &mut Self {
        match parse_object::<AccessJson>(access_json) {
            Ok(access) => self.access = Some(access),
            Err(e) => self.errors.push(format!("access rules are invalid: {e}")),
        }
        self
    }

    /// Instructions for the model, sent in the `initialize` result.
    pub fn instructions(&mut self, text: &str) -> &mut Self {
        self.registry.instructions = Some(text.to_owned());
        self
    }

    /// Cache hints (`{"ttlMs":60000,"cacheScope":"public"}`) for `server/discover`
    /// and every list result, replacing the default of a minute, public.
    pub fn cache(&mut self, hints_json: &str) -> &mut Self {
        if let Some(hints) = parse_cache("server", hints_json, &mut self.errors) {
            self.registry.cache = hints;
        }
        self
    }

    /// Registers a tool: its `Tool` JSON and the handler that calls it. Arguments are
    /// validated against the `inputSchema` before the handler runs.
    pub fn tool<F, Fut>(&mut self, definition_json: &str, handler: F) -> &mut Self
    where
        F: Fn(Context, Map<String, Value>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<CallToolResult, RequestError>> + Send + 'static,
    {
        let definition = parse_definition("tool", definition_json, &mut self.errors);
        let name = str_field(&definition, "name").unwrap_or_default();
        let validator = definition.get("inputSchema").and_then(|schema| {
            match jsonschema::validator_for(schema) {
                Ok(v) => Some(v),
                Err(e) => {
                    self.errors
                        .push(format!("tool `{name}`: input schema does not compile: {e}"));
                    None
                }
            }
        });
        let header_params = definition
            .get("inputSchema")
            .map(|schema| header_params(&name, schema, &mut self.errors))
            .unwrap_or_default();
        let handler: ToolHandler = Arc::new(move |ctx, args| Box::pin(handler(ctx, args)));
        let r = &mut self.registry;
        let metric_name = Arc::from(name.as_str());
        r.tool_index.insert(name, r.tools.len());
        r.tools.push(ToolEntry {
            metric_name,
            definition,
            validator,
            handler,
            requires: Map::new(),
            task_support: TaskSupport::default(),
            task_starts: TaskStarts::default(),
            timeout: None,
            header_params,
        });
        self
    }

    /// Sets a registered tool's policy:
    /// `{"requires":{"sampling":{}},"taskSupport":"optional","taskStarts":"onDetach","timeoutMs":30000}`,
    /// every member optional. `requires` is a `ClientCapabilities` object of what
    /// the tool cannot run without; `taskSupport` is `forbidden` (the default),
    /// `optional` or `required`; `taskStarts` is `onCall` (the default) or
    /// `onDetach`; `timeoutMs` (at least 1) is how long a call may run, instead of
    /// the server's default ([`Server::tool_timeout`](crate::Server::tool_timeout)).
    pub fn tool_policy(&mut self, name: &str, policy_json: &str) -> &mut Self {
        let what = format!("tool `{name}`");
        let policy = match parse_object::<ToolPolicy>(policy_json) {
            Ok(p) => p,
            Err(e) => {
                self.errors.push(format!("{what}: policy is invalid: {e}"));
                return self;
            }
        };
        if let Some((key, _)) = policy.requires.iter().find(|(_, v)| !v.is_object()) {
            self.errors.push(format!(
                "{what}: policy is invalid: required capability `{key}` is not an object"
            ));
            return self;
        }
        if policy.timeout_ms == Some(0) {
            self.errors.push(format!(
                "{what}: policy is invalid: `timeoutMs` must be at least 1"
            ));
            return self;
        }
        let Some(&at) = self.registry.tool_index.get(name) else {
            self.errors
                .push(format!("{what}: a policy for a tool not registered"));
            return self;
        };
        let tool = &mut self.registry.tools[at];
        tool.requires = policy.requires;
        tool.task_support = policy.task_support;
        tool.task_starts = policy.task_starts;
        tool.timeout = policy.timeout_ms.map(Duration::from_millis);
        self
    }

    /// Registers a resource: its `Resource` JSON and where its contents come from.
    pub fn resource(&mut self, definition_json: &str, source: ResourceSource) -> &mut Self {
        let definition = parse_definition("resource", definition_json, &mut self.errors);
        let uri = str_field(&definition, "uri").unwrap_or_default();
        let r = &mut self.registry;
        r.resource_index.insert(uri, r.resources.len());
        r.resources.push(ResourceEntry {
            mime_type: str_field(&definition, "mimeType"),
            definition,
            source,
            cache: None,
        });
        self
    }

    /// Cache hints for `resources/read` of a registered resource, replacing the
    /// default (the server's hints for static contents, uncached for a handler's).
    pub fn resource_cache(&mut self, uri: &str, hints_json: &str) -> &mut Self {
        let what = format!("resource `{uri}`");
        let Some(hints) = parse_cache(&what, hints_json, &mut self.errors) else {
            return self;
        };
        match self.registry.resource_index.get(uri) {
            Some(&at) => self.registry.resources[at].cache = Some(hints),
            None => self
                .errors
                .push(format!("{what}: cache hints for a resource not registered")),
        }
        self
    }

    /// Registers a resource template: its `ResourceTemplate` JSON, the types of its
    /// variables, and where contents come from.
    pub fn resource_template(
        &mut self,
        definition_json: &str,
        variables: &[(&str, VarType)],
        source: TemplateSource,
    ) -> &mut Self {
        let definition = parse_definition("resource template", definition_json, &mut self.errors);
        let text = str_field(&definition, "uriTemplate").unwrap_or_default();
        let template = match UriTemplate::parse(&text) {
            Ok(t) => t,
            Err(e) => {
                self.errors.push(format!("resource template `{text}`: {e}"));
                return self;
            }
        };
        if let TemplateSource::Text(body) = &source {
            if let Err(e) = self.registry.templates_env.template_from_str(body) {
                self.errors.push(format!("resource template `{text}`: {e}"));
            }
        }
        self.registry.templates.push(TemplateEntry {
            template,
            mime_type: str_field(&definition, "mimeType"),
            definition,
            variables: variables
                .iter()
                .map(|(n, t)| ((*n).to_owned(), *t))
                .collect(),
            source,
            cache: None,
        });
        self
    }

    /// Cache hints for `resources/read` of a registered template's resources,
    /// replacing the default (uncached). `uri_template` is as registered.
    pub fn template_cache(&mut self, uri_template: &str, hints_json: &str) -> &mut Self {
        let what = format!("resource template `{uri_template}`");
        let Some(hints) = parse_cache(&what, hints_json, &mut self.errors) else {
            return self;
        };
        let template = self.registry.templates.iter_mut().find(|t| {
            t.definition.get("uriTemplate").and_then(Value::as_str) == Some(uri_template)
        });
        match template {
            Some(t) => t.cache = Some(hints),
            None => self
                .errors
                .push(format!("{what}: cache hints for a template not registered")),
        }
        self
    }

    /// Registers a prompt: its `Prompt` JSON and how its messages are produced.
    pub fn prompt(&mut self, definition_json: &str, source: PromptSource) -> &mut Self {
        let definition = parse_definition("prompt", definition_json, &mut self.errors);
        let name = str_field(&definition, "name").unwrap_or_default();
        let required = definition
            .get("arguments")
            .and_then(Value::as_array)
            .map(|args| {
                args.iter()
                    .filter(|a| a.get("required").and_then(Value::as_bool) == Some(true))
                    .filter_map(|a| str_field(a, "name"))
                    .collect()
            })
            .unwrap_or_default();
        let messages = match &source {
            PromptSource::Messages(json) => match serde_json::from_str::<Value>(json) {
                Ok(v @ Value::Array(_)) => Some(v),
                _ => {
                    self.errors
                        .push(format!("prompt `{name}`: messages are not a JSON array"));
                    None
                }
            },
            PromptSource::Handler(_) => None,
        };
        let r = &mut self.registry;
        let metric_name = Arc::from(name.as_str());
        r.prompt_index.insert(name, r.prompts.len());
        r.prompts.push(PromptEntry {
            metric_name,
            definition,
            required,
            source,
            messages,
        });
        self
    }

    /// Registers completions for a prompt argument or template variable.
    pub fn completion(&mut self, target: CompletionTarget, source: CompletionSource) -> &mut Self {
        self.registry.completions.insert(target, source);
        self
    }

    /// The registry, checked. `build` (in `server`, which sits above the registry)
    /// makes the server of it.
    ///
    /// # Panics
    ///
    /// When a definition is malformed. Generated code never passes one; the panic
    /// marks a generator bug at start-up, never a reaction to input.
    pub(crate) fn finish(&mut self) -> Registry {
        if let Some(access) = self.access.take() {
            let r = &self.registry;
            fn name<'a>(d: &'a Value, key: &str) -> &'a str {
                d.get(key).and_then(Value::as_str).unwrap_or("")
            }
            let names = [
                r.tools
                    .iter()
                    .map(|t| name(&t.definition, "name"))
                    .collect(),
                r.resources
                    .iter()
                    .map(|e| name(&e.definition, "uri"))
                    .collect(),
                r.templates
                    .iter()
                    .map(|t| name(&t.definition, "uriTemplate"))
                    .collect(),
                r.prompts
                    .iter()
                    .map(|p| name(&p.definition, "name"))
                    .collect(),
            ];
            let access = Access::new(access, names, &mut self.errors);
            self.registry.access = access;
        }
        assert!(
            self.errors.is_empty(),
            "mcpgen: invalid server definition (a generator bug):\n{}",
            self.errors.join("\n")
        );
        std::mem::replace(&mut self.registry, ServerBuilder::new("{}").registry)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn builder() -> ServerBuilder {
        ServerBuilder::new(r#"{"name":"t","version":"1"}"#)
    }

    fn add_tool(b: &mut ServerBuilder, definition: Value) {
        b.tool(&definition.to_string(), |_ctx, _args| async {
            Ok(CallToolResult::text("ok"))
        });
    }

    fn tool<'b>(b: &'b ServerBuilder, name: &str) -> &'b ToolEntry {
        &b.registry.tools[b.registry.tool_index[name]]
    }

    #[test]
    fn what_nothing_declares_defaults_to() {
        let mut b = builder();
        add_tool(
            &mut b,
            json!({ "name": "plain", "inputSchema": { "type": "object" } }),
        );
        b.resource(
            r#"{"uri":"a://static","name":"s"}"#,
            ResourceSource::Text("x"),
        );
        b.resource(
            r#"{"uri":"a://blob","name":"b"}"#,
            ResourceSource::Blob(b"x"),
        );
        b.resource(
            r#"{"uri":"a://coded","name":"c"}"#,
            ResourceSource::handler(|_ctx, uri| async move {
                Ok(crate::ResourceContents::text(uri, "text/plain", "x").into())
            }),
        );
        b.resource_template(
            r#"{"uriTemplate":"a://t/{x}","name":"t"}"#,
            &[("x", VarType::String)],
            TemplateSource::Text("{{ x }}"),
        );
        assert!(b.errors.is_empty(), "{:?}", b.errors);
        let r = &b.registry;
        assert_eq!(
            r.cache,
            CacheHints {
                ttl_ms: 60_000,
                scope: CacheScope::Public
            }
        );
        let t = tool(&b, "plain");
        assert!(t.requires.is_empty());
        assert_eq!(t.task_support, TaskSupport::Forbidden);
        assert_eq!(t.task_starts, TaskStarts::OnCall);
        assert!(t.header_params.is_empty());
        let server = CacheHints {
            ttl_ms: 5,
            scope: CacheScope::Private,
        };
        let hints: Vec<CacheHints> = r.resources.iter().map(|e| e.cache_hints(server)).collect();
        assert_eq!(hints, [server, server, CacheHints::UNCACHED]);
        assert_eq!(r.templates[0].cache_hints(), CacheHints::UNCACHED);
    }

    #[test]
    fn cache_hints_are_read_for_the_server_resources_and_templates() {
        let mut b = builder();
        b.cache(r#"{"ttlMs":300000,"cacheScope":"private"}"#);
        b.resource(
            r#"{"uri":"a://coded","name":"c"}"#,
            ResourceSource::handler(|_ctx, uri| async move {
                Ok(crate::ResourceContents::text(uri, "text/plain", "x").into())
            }),
        );
        b.resource_cache("a://coded", r#"{"ttlMs":1000,"cacheScope":"public"}"#);
        b.resource_template(
            r#"{"uriTemplate":"a://t/{x}","name":"t"}"#,
            &[("x", VarType::String)],
            TemplateSource::Text("{{ x }}"),
        );
        b.template_cache("a://t/{x}", r#"{"ttlMs":0,"cacheScope":"private"}"#);
        assert!(b.errors.is_empty(), "{:?}", b.errors);
        let r = &b.registry;
        let private = |ttl_ms| CacheHints {
            ttl_ms,
            scope: CacheScope::Private,
        };
        assert_eq!(r.cache, private(300_000));
        assert_eq!(
            r.resources[0].cache_hints(r.cache),
            CacheHints {
                ttl_ms: 1000,
                scope: CacheScope::Public
            }
        );
        assert_eq!(r.templates[0].cache_hints(), private(0));
        // Serialized as the wire spells them.
        assert_eq!(
            serde_json::to_value(r.cache).unwrap(),
            json!({ "ttlMs": 300000, "cacheScope": "private" })
        );
    }

    #[test]
    fn malformed_cache_hints_are_definition_errors() {
        let mut b = builder();
        for bad in [
            "",
            r#"[60000,"public"]"#,
            r#"{"ttlMs":-1,"cacheScope":"public"}"#,
            r#"{"ttlMs":1,"cacheScope":"shared"}"#,
            r#"{"ttlMs":1}"#,
            r#"{"ttlMs":1,"cacheScope":"public","extra":true}"#,
        ] {
            b.cache(bad);
        }
        assert_eq!(b.errors.len(), 6, "{:?}", b.errors);
        assert_eq!(b.registry.cache, CacheHints::default(), "unchanged");
        b.resource_cache("a://nothing", r#"{"ttlMs":1,"cacheScope":"public"}"#);
        b.template_cache("a://{nothing}", r#"{"ttlMs":1,"cacheScope":"public"}"#);
        assert_eq!(b.errors.len(), 8, "{:?}", b.errors);
        assert!(b.errors[6].contains("a://nothing"), "{}", b.errors[6]);
    }

    #[test]
    fn tool_policies_are_read() {
        let mut b = builder();
        add_tool(
            &mut b,
            json!({ "name": "ask", "inputSchema": { "type": "object" } }),
        );
        add_tool(
            &mut b,
            json!({ "name": "job", "inputSchema": { "type": "object" } }),
        );
        b.tool_policy(
            "ask",
            r#"{"requires":{"sampling":{"tools":{}},"elicitation":{}}}"#,
        );
        b.tool_policy(
            "job",
            r#"{"taskSupport":"required","taskStarts":"onDetach","timeoutMs":1500}"#,
        );
        assert!(b.errors.is_empty(), "{:?}", b.errors);
        let ask = tool(&b, "ask");
        assert_eq!(
            Value::Object(ask.requires.clone()),
            json!({ "sampling": { "tools": {} }, "elicitation": {} })
        );
        assert_eq!(ask.task_support, TaskSupport::Forbidden);
        assert_eq!(ask.timeout, None);
        let job = tool(&b, "job");
        assert!(job.requires.is_empty());
        assert_eq!(job.task_support, TaskSupport::Required);
        assert_eq!(job.task_starts, TaskStarts::OnDetach);
        assert_eq!(job.timeout, Some(Duration::from_millis(1500)));
    }

    #[test]
    fn malformed_tool_policies_are_definition_errors() {
        let mut b = builder();
        add_tool(
            &mut b,
            json!({ "name": "t", "inputSchema": { "type": "object" } }),
        );
        for bad in [
            "[]",
            r#"{"taskSupport":"sometimes"}"#,
            r#"{"taskStarts":"on_detach"}"#,
            r#"{"requires":["sampling"]}"#,
            r#"{"requires":{"sampling":true}}"#,
            r#"{"retries":3}"#,
            r#"{"timeoutMs":0}"#,
            r#"{"timeoutMs":"30s"}"#,
        ] {
            b.tool_policy("t", bad);
        }
        b.tool_policy("missing", r#"{"taskSupport":"optional"}"#);
        assert_eq!(b.errors.len(), 9, "{:?}", b.errors);
        assert!(b.errors[8].contains("`missing`"), "{}", b.errors[8]);
        assert_eq!(tool(&b, "t").task_support, TaskSupport::Forbidden);
    }

    #[test]
    fn header_parameters_are_found_through_properties() {
        let mut b = builder();
        add_tool(
            &mut b,
            json!({ "name": "h", "inputSchema": {
                "type": "object",
                "properties": {
                    "region": { "type": "string", "x-mcp-header": "Region" },
                    "limits": {
                        "type": "object",
                        "properties": {
                            "max": { "type": "integer", "x-mcp-header": "Max-Items" },
                            "strict": { "type": "boolean", "x-mcp-header": "Strict" },
                        },
                    },
                    // Clients read annotations through `properties` only.
                    "list": { "type": "array", "items": { "type": "string", "x-mcp-header": "Item" } },
                },
            }}),
        );
        assert!(b.errors.is_empty(), "{:?}", b.errors);
        let found: Vec<(&str, Vec<&str>, HeaderParamKind)> = tool(&b, "h")
            .header_params
            .iter()
            .map(|p| {
                (
                    p.header.as_str(),
                    p.path.iter().map(String::as_str).collect(),
                    p.kind,
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("Region", vec!["region"], HeaderParamKind::String),
                ("Max-Items", vec!["limits", "max"], HeaderParamKind::Integer),
                ("Strict", vec!["limits", "strict"], HeaderParamKind::Boolean),
            ]
        );
    }

    #[test]
    fn malformed_header_parameters_are_definition_errors() {
        let mut b = builder();
        let schema = |properties: Value| json!({ "name": "h", "inputSchema": { "type": "object", "properties": properties } });
        add_tool(
            &mut b,
            schema(json!({ "n": { "type": "number", "x-mcp-header": "N" } })),
        );
        add_tool(
            &mut b,
            schema(json!({ "s": { "type": "string", "x-mcp-header": "Bad Name" } })),
        );
        add_tool(
            &mut b,
            schema(json!({ "s": { "type": "string", "x-mcp-header": 7 } })),
        );
        add_tool(
            &mut b,
            schema(json!({
                "a": { "type": "string", "x-mcp-header": "Same" },
                "b": { "type": "string", "x-mcp-header": "same" },
            })),
        );
        assert_eq!(b.errors.len(), 4, "{:?}", b.errors);
        assert!(b.errors[3].contains("twice"), "{}", b.errors[3]);
    }
}
