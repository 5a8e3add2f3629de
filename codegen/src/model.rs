//! The manifest model: what a manifest file says, as serde and schemars see it.
//!
//! Our own structs deny unknown fields; JSON Schema bodies are free-form JSON.

use indexmap::IndexMap;
use schemars1::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

/// A JSON Schema object, kept exactly as written (key order preserved).
pub(crate) type JsonObject = Map<String, Value>;

/// The manifest's `definitions`, in the author's order.
pub(crate) type Definitions = IndexMap<String, JsonObject>;

/// An mcpgen manifest: one MCP server, its tools, resources, prompts, elicitation
/// forms and completions. YAML or JSON.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "schemars1", title = "mcpgen manifest")]
pub(crate) struct Manifest {
    /// The server's identity, sent to clients as `serverInfo`.
    pub server: ServerInfo,
    /// Tools, by name, in the order `tools/list` returns them.
    #[serde(default)]
    pub tools: IndexMap<String, Tool>,
    /// Resources with a fixed URI: static (`text`, `blob`, `file`) or read by a handler.
    #[serde(default)]
    pub resources: Vec<Resource>,
    /// Resources addressed by an RFC 6570 URI template.
    #[serde(default)]
    pub resource_templates: Vec<ResourceTemplate>,
    /// Prompts, by name: templated messages, or composed by a handler.
    #[serde(default)]
    pub prompts: IndexMap<String, Prompt>,
    /// Elicitation forms, by name; each becomes a typed Rust struct.
    #[serde(default)]
    pub elicitations: IndexMap<String, Elicitation>,
    /// Completions of prompt arguments and template variables.
    #[serde(default)]
    pub completions: Vec<Completion>,
    /// Schemas that tool schemas share, by name: a schema names one with
    /// `$ref: "#/definitions/<name>"`. Each served schema gets the definitions it
    /// uses copied into its `$defs`; each definition is one Rust type, `<Name>`,
    /// shared by every tool.
    #[serde(default)]
    pub definitions: Definitions,
    /// Roles, by name: the scopes each grants. A caller's roles come from its
    /// token's role claim (`--role-claim`, default `roles`); `admin: [notes:read,
    /// notes:write, notes:admin]` lets an admin do what those scopes allow.
    #[serde(default)]
    pub roles: IndexMap<String, Vec<String>>,
}

/// The server's identity.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "schemars1")]
pub(crate) struct ServerInfo {
    /// Program name.
    pub name: String,
    /// Program version.
    pub version: String,
    /// Human-readable name.
    pub title: Option<String>,
    /// What the server does.
    pub description: Option<String>,
    /// Instructions for the model, sent in the `initialize` result.
    pub instructions: Option<String>,
    /// The server's website.
    pub website_url: Option<String>,
    /// Icons for the server.
    pub icons: Option<Vec<Icon>>,
    /// Default cache hints (2026-07-28 `ttlMs`, `cacheScope`) for `server/discover`
    /// and every list result. Absent: 60 000 ms, public.
    pub cache: Option<CacheHints>,
    /// OAuth scopes every request needs, when the server checks tokens
    /// (`--auth-issuer`); a token without them gets 403 `insufficient_scope`.
    pub scopes: Option<Vec<String>>,
    /// `required`: a token that names no tenant (`--tenant-claim`) is refused, so
    /// nothing is served outside a tenant. Absent: `optional`.
    pub tenancy: Option<Tenancy>,
}

/// Whether callers must belong to a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(crate = "schemars1")]
pub(crate) enum Tenancy {
    /// Tokens without a tenant are served.
    Optional,
    /// Tokens without a tenant are refused.
    Required,
}

impl Tenancy {
    pub fn as_str(self) -> &'static str {
        match self {
            Tenancy::Optional => "optional",
            Tenancy::Required => "required",
        }
    }
}

/// How long, and for whom, a client may cache a result (2026-07-28 `ttlMs` and
/// `cacheScope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "schemars1")]
pub(crate) struct CacheHints {
    /// How long the result stays fresh, in milliseconds.
    pub ttl_ms: u64,
    /// Who may share a cached copy.
    pub scope: CacheScope,
}

/// Who may share a cached result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(crate = "schemars1")]
pub(crate) enum CacheScope {
    /// Any client may reuse it, whoever is authorized.
    Public,
    /// Only the caller it was served to: it depends on their authorization.
    Private,
}

impl CacheScope {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheScope::Public => "public",
            CacheScope::Private => "private",
        }
    }
}

/// An icon for a server, tool, resource or prompt.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "schemars1")]
pub(crate) struct Icon {
    /// URL or `data:` URI of the image.
    pub src: String,
    /// MIME type of the image.
    pub mime_type: Option<String>,
    /// Sizes, e.g. `48x48` or `any`.
    pub sizes: Option<Vec<String>>,
    /// The theme the icon is meant for.
    pub theme: Option<Theme>,
}

/// A UI theme.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(crate = "schemars1")]
pub(crate) enum Theme {
    /// For light backgrounds.
    Light,
    /// For dark backgrounds.
    Dark,
}

/// A tool the model can call.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "schemars1")]
pub(crate) struct Tool {
    /// Human-readable name.
    pub title: Option<String>,
    /// What the tool does; the model reads it.
    pub description: Option<String>,
    /// JSON Schema (2020-12) of the arguments; its root is `type: object`. Served
    /// verbatim as `inputSchema`. Absent: the tool takes no arguments.
    pub input: Option<JsonObject>,
    /// JSON Schema of the `structuredContent` the tool returns; root `type: object`.
    pub output: Option<JsonObject>,
    /// Hints about the tool's behavior.
    pub annotations: Option<ToolAnnotations>,
    /// Icons for the tool.
    pub icons: Option<Vec<Icon>>,
    /// Client capabilities the tool cannot run without; a 2026-07-28 request that
    /// lacks one is refused before the handler runs.
    pub requires: Option<Vec<ClientCapability>>,
    /// Whether a call may run as a task (tasks extension). Absent: `forbidden`.
    pub task_support: Option<TaskSupport>,
    /// Where a task call becomes a task. Absent: `on_call`.
    pub task_starts: Option<TaskStarts>,
    /// How long a call may run (`30s`, `500ms`, `2m`, `1h 30m`) before its handler
    /// is cancelled and the client gets an error result. Absent: the server's
    /// default (`--tool-timeout`), if any.
    pub timeout: Option<String>,
    /// OAuth scopes a caller needs to call it (besides the server's); callers
    /// without them do not see it listed, and get 403 `insufficient_scope`.
    pub scopes: Option<Vec<String>>,
}

/// Why a tool's `timeout` cannot be the runtime's `timeoutMs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BadTimeout {
    /// Not a humantime duration; humantime's reason.
    NotADuration(String),
    /// Zero: every call would fail at once.
    Zero,
    /// Positive but under the runtime's resolution of a millisecond.
    UnderAMillisecond,
    /// More milliseconds than `timeoutMs` holds.
    TooLong,
}

impl Tool {
    /// The `timeout` in whole milliseconds, as `ServerBuilder::tool_policy` reads
    /// it (`timeoutMs`); `None` when the tool declares none.
    pub fn timeout_ms(&self) -> Option<Result<u64, BadTimeout>> {
        let text = self.timeout.as_deref()?;
        Some(match humantime::parse_duration(text) {
            Err(e) => Err(BadTimeout::NotADuration(e.to_string())),
            Ok(d) if d.is_zero() => Err(BadTimeout::Zero),
            Ok(d) => match u64::try_from(d.as_millis()) {
                Ok(0) => Err(BadTimeout::UnderAMillisecond),
                Ok(ms) => Ok(ms),
                Err(_) => Err(BadTimeout::TooLong),
            },
        })
    }
}

/// A client capability a tool may require.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[schemars(crate = "schemars1")]
pub(crate) enum ClientCapability {
    /// Sampling (`sampling/createMessage`).
    #[serde(rename = "sampling")]
    Sampling,
    /// Sampling with tools.
    #[serde(rename = "sampling.tools")]
    SamplingTools,
    /// Sampling with `includeContext`.
    #[serde(rename = "sampling.context")]
    SamplingContext,
    /// Elicitation (form mode).
    #[serde(rename = "elicitation")]
    Elicitation,
    /// Form-mode elicitation, declared explicitly.
    #[serde(rename = "elicitation.form")]
    ElicitationForm,
    /// URL-mode elicitation.
    #[serde(rename = "elicitation.url")]
    ElicitationUrl,
    /// Roots (`roots/list`).
    #[serde(rename = "roots")]
    Roots,
}

impl ClientCapability {
    /// The name as written in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientCapability::Sampling => "sampling",
            ClientCapability::SamplingTools => "sampling.tools",
            ClientCapability::SamplingContext => "sampling.context",
            ClientCapability::Elicitation => "elicitation",
            ClientCapability::ElicitationForm => "elicitation.form",
            ClientCapability::ElicitationUrl => "elicitation.url",
            ClientCapability::Roots => "roots",
        }
    }
}

/// Whether a tool's calls may run as tasks (tasks extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(crate = "schemars1")]
pub(crate) enum TaskSupport {
    /// Never a task: always answered synchronously.
    Forbidden,
    /// A task when the client declared the tasks extension, else synchronous.
    Optional,
    /// Always a task; a client without the tasks extension is refused.
    Required,
}

impl TaskSupport {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskSupport::Forbidden => "forbidden",
            TaskSupport::Optional => "optional",
            TaskSupport::Required => "required",
        }
    }
}

/// Where a task call becomes a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(crate = "schemars1")]
pub(crate) enum TaskStarts {
    /// As soon as the call arrives; client input is asked through the task.
    OnCall,
    /// Where the handler calls `ctx.detach().await`: input asked before that
    /// round-trips with the client synchronously.
    OnDetach,
}

impl TaskStarts {
    /// The wire spelling the runtime reads.
    pub fn wire(self) -> &'static str {
        match self {
            TaskStarts::OnCall => "onCall",
            TaskStarts::OnDetach => "onDetach",
        }
    }
}

/// MCP's tool annotations, spelled as on the wire.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(crate = "schemars1")]
pub(crate) struct ToolAnnotations {
    /// Human-readable name.
    pub title: Option<String>,
    /// The tool does not modify its environment.
    pub read_only_hint: Option<bool>,
    /// The tool may perform destructive updates.
    pub destructive_hint: Option<bool>,
    /// Calling the tool again with the same arguments has no further effect.
    pub idempotent_hint: Option<bool>,
    /// The tool interacts with an open world of external entities.
    pub open_world_hint: Option<bool>,
}

/// Who a piece of content is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(crate = "schemars1")]
pub(crate) enum Role {
    /// The user.
    User,
    /// The model.
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// Annotations of a resource or resource template, spelled as on the wire.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "schemars1")]
pub(crate) struct Annotations {
    /// Who the content is for.
    pub audience: Option<Vec<Role>>,
    /// Importance, from 0 (optional) to 1 (required).
    pub priority: Option<f64>,
    /// ISO 8601 time of the last modification.
    #[serde(rename = "lastModified")]
    pub last_modified: Option<String>,
}

/// A resource with a fixed URI. At most one of `text`, `blob`, `file`; with none of
/// them the resource is read by a handler (a trait method).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "schemars1")]
pub(crate) struct Resource {
    /// The resource's URI.
    pub uri: String,
    /// Programmatic name.
    pub name: String,
    /// Human-readable name.
    pub title: Option<String>,
    /// What the resource is.
    pub description: Option<String>,
    /// MIME type of the contents.
    pub mime_type: Option<String>,
    /// Size in bytes; computed for static resources when not given.
    pub size: Option<u64>,
    /// Audience, priority and modification time.
    pub annotations: Option<Annotations>,
    /// Icons for the resource.
    pub icons: Option<Vec<Icon>>,
    /// Cache hints for `resources/read` of this resource. Absent: static contents
    /// take `server.cache`, a handler's 0 ms, public.
    pub cache: Option<CacheHints>,
    /// Static text contents.
    pub text: Option<String>,
    /// Static binary contents, base64-encoded.
    pub blob: Option<String>,
    /// A file, relative to the manifest, embedded at build time; text or binary by
    /// its MIME type.
    pub file: Option<String>,
    /// OAuth scopes a caller needs to read it (besides the server's); callers
    /// without them do not see it listed, and get 403 `insufficient_scope`.
    pub scopes: Option<Vec<String>>,
}

/// A family of resources addressed by an RFC 6570 URI template.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "schemars1")]
pub(crate) struct ResourceTemplate {
    /// The RFC 6570 URI template, e.g. `weather://{city}/current`.
    pub uri_template: String,
    /// Programmatic name.
    pub name: String,
    /// Human-readable name.
    pub title: Option<String>,
    /// What the resources are.
    pub description: Option<String>,
    /// MIME type of the contents.
    pub mime_type: Option<String>,
    /// Audience, priority and modification time.
    pub annotations: Option<Annotations>,
    /// Icons for the template.
    pub icons: Option<Vec<Icon>>,
    /// The template's variables and their types.
    pub variables: Option<IndexMap<String, TemplateVariable>>,
    /// Cache hints for `resources/read` of the template's resources. Absent:
    /// 0 ms, public.
    pub cache: Option<CacheHints>,
    /// A minijinja template rendered with the variables; absent: a handler reads it.
    pub text: Option<String>,
    /// OAuth scopes a caller needs to read its resources (besides the server's); callers
    /// without them do not see it listed, and get 403 `insufficient_scope`.
    pub scopes: Option<Vec<String>>,
}

/// A URI template variable.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "schemars1")]
pub(crate) struct TemplateVariable {
    /// The type the variable is parsed into (default `string`).
    #[serde(rename = "type")]
    pub ty: Option<VarType>,
    /// What the variable is.
    pub description: Option<String>,
}

/// The type of a URI template variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(crate = "schemars1")]
pub(crate) enum VarType {
    /// Any string.
    String,
    /// A signed 64-bit integer.
    Integer,
    /// A floating-point number.
    Number,
    /// `true` or `false`.
    Boolean,
}

/// A prompt: templated messages, or (with no `messages`) composed by a handler.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "schemars1")]
pub(crate) struct Prompt {
    /// Human-readable name.
    pub title: Option<String>,
    /// What the prompt is for.
    pub description: Option<String>,
    /// Icons for the prompt.
    pub icons: Option<Vec<Icon>>,
    /// Arguments, by name, in order.
    pub arguments: Option<IndexMap<String, PromptArgument>>,
    /// The messages; every text is a minijinja template over the arguments.
    pub messages: Option<Vec<PromptMessage>>,
    /// OAuth scopes a caller needs to get it (besides the server's); callers
    /// without them do not see it listed, and get 403 `insufficient_scope`.
    pub scopes: Option<Vec<String>>,
}

impl Prompt {
    /// The declared argument names, in order.
    pub fn argument_names(&self) -> Vec<&str> {
        self.arguments
            .iter()
            .flat_map(|a| a.keys())
            .map(String::as_str)
            .collect()
    }
}

/// A prompt argument (always a string on the wire).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "schemars1")]
pub(crate) struct PromptArgument {
    /// Human-readable name.
    pub title: Option<String>,
    /// What the argument is.
    pub description: Option<String>,
    /// Whether the argument must be given.
    pub required: Option<bool>,
}

/// A prompt message: a role and exactly one of `text`, `image`, `audio`, `resource`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "schemars1")]
pub(crate) struct PromptMessage {
    /// Who speaks.
    pub role: Role,
    /// A minijinja template.
    pub text: Option<String>,
    /// An image.
    pub image: Option<Media>,
    /// An audio clip.
    pub audio: Option<Media>,
    /// An embedded resource.
    pub resource: Option<EmbeddedResource>,
}

/// Image or audio data: base64 `data` or a `file` relative to the manifest.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "schemars1")]
pub(crate) struct Media {
    /// Base64-encoded bytes.
    pub data: Option<String>,
    /// A file relative to the manifest, embedded at build time.
    pub file: Option<String>,
    /// MIME type of the data.
    pub mime_type: String,
}

/// A resource embedded in a prompt message.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "schemars1")]
pub(crate) struct EmbeddedResource {
    /// The resource's URI (a minijinja template).
    pub uri: String,
    /// MIME type of the contents.
    pub mime_type: Option<String>,
    /// Text contents (a minijinja template).
    pub text: Option<String>,
    /// Binary contents, base64-encoded.
    pub blob: Option<String>,
    /// A file relative to the manifest, embedded at build time.
    pub file: Option<String>,
}

/// An elicitation form: a message and a restricted JSON Schema (a flat object of
/// strings, numbers, integers, booleans and enums).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "schemars1")]
pub(crate) struct Elicitation {
    /// The message shown with the form.
    pub message: String,
    /// The form's restricted JSON Schema.
    pub schema: JsonObject,
}

/// Completions for a prompt argument (`prompt` + `argument`) or a template variable
/// (`template` + `variable`): a fixed list of `values`, or `coded: true`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "schemars1")]
pub(crate) struct Completion {
    /// The prompt's name.
    pub prompt: Option<String>,
    /// The prompt argument's name.
    pub argument: Option<String>,
    /// The resource template's `uri_template`, exactly as declared.
    pub template: Option<String>,
    /// The template variable's name.
    pub variable: Option<String>,
    /// Fixed values, filtered by what the user typed.
    pub values: Option<Vec<String>>,
    /// Completed by a handler (a trait method).
    pub coded: Option<bool>,
}

/// The JSON Schema of the manifest format, pretty-printed.
pub(crate) fn manifest_schema() -> String {
    let schema = schemars1::schema_for!(Manifest);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
