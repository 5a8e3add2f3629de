//! The immutable registry of a server's tools, resources, prompts and completions,
//! built once by generated code through [`ServerBuilder`].

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::{Map, Value};

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

pub(crate) struct ToolEntry {
    pub definition: Value,
    pub validator: Option<jsonschema::Validator>,
    pub handler: ToolHandler,
}

pub(crate) struct ResourceEntry {
    pub mime_type: Option<String>,
    pub definition: Value,
    pub source: ResourceSource,
}

pub(crate) struct TemplateEntry {
    pub template: UriTemplate,
    pub mime_type: Option<String>,
    pub definition: Value,
    pub variables: Vec<(String, VarType)>,
    pub source: TemplateSource,
}

pub(crate) struct PromptEntry {
    pub definition: Value,
    pub required: Vec<String>,
    pub source: PromptSource,
    /// Parsed once: the message templates of a templated prompt.
    pub messages: Option<Value>,
}

pub(crate) struct Registry {
    pub info: Value,
    pub instructions: Option<String>,
    pub tools: Vec<ToolEntry>,
    pub tool_index: HashMap<String, usize>,
    pub resources: Vec<ResourceEntry>,
    pub resource_index: HashMap<String, usize>,
    pub templates: Vec<TemplateEntry>,
    pub prompts: Vec<PromptEntry>,
    pub prompt_index: HashMap<String, usize>,
    pub completions: HashMap<CompletionTarget, CompletionSource>,
    /// Renders templated prompts and resource templates.
    pub templates_env: minijinja::Environment<'static>,
}

/// Builds a [`Server`](crate::Server). Called by generated code; definitions are the
/// JSON objects served in the list methods, exactly as the manifest declared them.
pub struct ServerBuilder {
    registry: Registry,
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
                tools: Vec::new(),
                tool_index: HashMap::new(),
                resources: Vec::new(),
                resource_index: HashMap::new(),
                templates: Vec::new(),
                prompts: Vec::new(),
                prompt_index: HashMap::new(),
                completions: HashMap::new(),
                templates_env,
            },
            errors,
        }
    }

    /// Instructions for the model, sent in the `initialize` result.
    pub fn instructions(&mut self, text: &str) -> &mut Self {
        self.registry.instructions = Some(text.to_owned());
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
        let handler: ToolHandler = Arc::new(move |ctx, args| Box::pin(handler(ctx, args)));
        let r = &mut self.registry;
        r.tool_index.insert(name, r.tools.len());
        r.tools.push(ToolEntry {
            definition,
            validator,
            handler,
        });
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
        });
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
        });
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
        r.prompt_index.insert(name, r.prompts.len());
        r.prompts.push(PromptEntry {
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

    /// Finishes the server.
    ///
    /// # Panics
    ///
    /// When a definition is malformed. Generated code never passes one; the panic
    /// marks a generator bug at start-up, never a reaction to input.
    pub fn build(&mut self) -> crate::Server {
        assert!(
            self.errors.is_empty(),
            "mcpgen: invalid server definition (a generator bug):\n{}",
            self.errors.join("\n")
        );
        let registry = std::mem::replace(&mut self.registry, ServerBuilder::new("{}").registry);
        crate::Server::from_registry(registry)
    }
}
