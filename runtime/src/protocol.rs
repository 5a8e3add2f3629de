//! MCP protocol types: what handlers return and what they receive from clients.
//!
//! Only the types a handler touches are typed here; list metadata (tools, resources,
//! prompts) is produced by the generator as JSON and served as written.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A protocol revision this runtime speaks, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProtocolVersion {
    /// 2024-11-05: the first public revision.
    V2024_11_05,
    /// 2025-03-26: Streamable HTTP, batches, audio, completions capability.
    V2025_03_26,
    /// 2025-06-18: titles, structured tool output, elicitation, resource links.
    V2025_06_18,
    /// 2025-11-25: icons, SSE polling, enum elicitation, URL elicitation.
    V2025_11_25,
    /// 2026-07-28, the stateless ("modern") revision: no handshake, version and
    /// capabilities in every request's `_meta`, multi-round-trip input.
    V2026_07_28,
}

impl ProtocolVersion {
    /// Every supported revision, oldest first.
    pub const ALL: [ProtocolVersion; 5] = [
        ProtocolVersion::V2024_11_05,
        ProtocolVersion::V2025_03_26,
        ProtocolVersion::V2025_06_18,
        ProtocolVersion::V2025_11_25,
        ProtocolVersion::V2026_07_28,
    ];
    /// The revision `initialize` offers when a client asks for one it cannot
    /// negotiate: the newest with a handshake.
    pub const LATEST: ProtocolVersion = ProtocolVersion::V2025_11_25;
    /// The revisions served statelessly, newest first (`server/discover`'s
    /// `supportedVersions`).
    pub const MODERN: [ProtocolVersion; 1] = [ProtocolVersion::V2026_07_28];

    /// The wire spelling, e.g. `"2025-11-25"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolVersion::V2024_11_05 => "2024-11-05",
            ProtocolVersion::V2025_03_26 => "2025-03-26",
            ProtocolVersion::V2025_06_18 => "2025-06-18",
            ProtocolVersion::V2025_11_25 => "2025-11-25",
            ProtocolVersion::V2026_07_28 => "2026-07-28",
        }
    }

    /// The experimental tasks of 2025-11-25 (`task` param, `tasks/*`); 2026-07-28
    /// moved tasks to an extension.
    pub fn has_tasks(self) -> bool {
        self == ProtocolVersion::V2025_11_25
    }

    /// Served statelessly, per request, without `initialize` (2026-07-28 on).
    pub fn is_modern(self) -> bool {
        self >= ProtocolVersion::V2026_07_28
    }

    /// JSON-RPC batches are part of this revision (2025-03-26 only).
    pub fn accepts_batches(self) -> bool {
        self == ProtocolVersion::V2025_03_26
    }
    /// Audio content blocks exist (2025-03-26 on).
    pub fn has_audio(self) -> bool {
        self >= ProtocolVersion::V2025_03_26
    }
    /// Tool annotations and the `completions` capability exist (2025-03-26 on).
    pub fn has_annotations(self) -> bool {
        self >= ProtocolVersion::V2025_03_26
    }
    /// Titles, output schemas, structured content, resource links, elicitation (2025-06-18 on).
    pub fn has_structured_output(self) -> bool {
        self >= ProtocolVersion::V2025_06_18
    }
    /// Icons, URL elicitation, titled/multi-select enums, SSE priming and polling (2025-11-25 on).
    pub fn has_icons(self) -> bool {
        self >= ProtocolVersion::V2025_11_25
    }
    /// SSE priming events and close-to-poll are understood (2025-11-25 on).
    pub fn has_sse_polling(self) -> bool {
        self >= ProtocolVersion::V2025_11_25
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProtocolVersion {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        ProtocolVersion::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or(())
    }
}

/// Log severity, in RFC 5424 order (`Debug` is the least severe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Detailed debugging information.
    Debug,
    /// Informational messages.
    Info,
    /// Normal but significant events.
    Notice,
    /// Warning conditions.
    Warning,
    /// Error conditions.
    Error,
    /// Critical conditions.
    Critical,
    /// Action must be taken immediately.
    Alert,
    /// The system is unusable.
    Emergency,
}

impl FromStr for LogLevel {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        serde_json::from_value(Value::String(s.to_owned())).map_err(|_| ())
    }
}

/// Who a message or annotation is meant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The human user.
    User,
    /// The model.
    Assistant,
}

/// Display hints on content and resources.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotations {
    /// Who the content is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<Vec<Role>>,
    /// Importance from 0 (least) to 1 (most).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<f64>,
    /// ISO 8601 time of the last change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// The contents of a resource: text or base64 bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ResourceContents {
    /// Text contents.
    Text {
        /// The resource URI.
        uri: String,
        /// MIME type, when known.
        #[serde(rename = "mimeType", skip_serializing_if = "Option::is_none")]
        mime_type: Option<String>,
        /// The text.
        text: String,
    },
    /// Binary contents, base64-encoded.
    Blob {
        /// The resource URI.
        uri: String,
        /// MIME type, when known.
        #[serde(rename = "mimeType", skip_serializing_if = "Option::is_none")]
        mime_type: Option<String>,
        /// Base64 of the bytes.
        blob: String,
    },
}

impl ResourceContents {
    /// Text contents with a MIME type.
    pub fn text(
        uri: impl Into<String>,
        mime_type: impl Into<String>,
        text: impl Into<String>,
    ) -> Self {
        ResourceContents::Text {
            uri: uri.into(),
            mime_type: Some(mime_type.into()),
            text: text.into(),
        }
    }
    /// Binary contents with a MIME type; `bytes` are base64-encoded here.
    pub fn blob(uri: impl Into<String>, mime_type: impl Into<String>, bytes: &[u8]) -> Self {
        use base64::Engine as _;
        ResourceContents::Blob {
            uri: uri.into(),
            mime_type: Some(mime_type.into()),
            blob: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }
}

/// One block of content in a tool result, prompt message or sampling message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    /// Plain text.
    Text {
        /// The text.
        text: String,
        /// Display hints.
        #[serde(skip_serializing_if = "Option::is_none")]
        annotations: Option<Annotations>,
    },
    /// An image, base64-encoded.
    Image {
        /// Base64 of the image bytes.
        data: String,
        /// MIME type, e.g. `image/png`.
        #[serde(rename = "mimeType")]
        mime_type: String,
        /// Display hints.
        #[serde(skip_serializing_if = "Option::is_none")]
        annotations: Option<Annotations>,
    },
    /// Audio, base64-encoded (2025-03-26 on; sent as text to older clients).
    Audio {
        /// Base64 of the audio bytes.
        data: String,
        /// MIME type, e.g. `audio/wav`.
        #[serde(rename = "mimeType")]
        mime_type: String,
        /// Display hints.
        #[serde(skip_serializing_if = "Option::is_none")]
        annotations: Option<Annotations>,
    },
    /// A link to a resource (2025-06-18 on; sent as text to older clients).
    ResourceLink {
        /// The resource URI.
        uri: String,
        /// The resource name.
        name: String,
        /// A description.
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        /// MIME type, when known.
        #[serde(rename = "mimeType", skip_serializing_if = "Option::is_none")]
        mime_type: Option<String>,
        /// Display hints.
        #[serde(skip_serializing_if = "Option::is_none")]
        annotations: Option<Annotations>,
    },
    /// A resource's contents, embedded.
    Resource {
        /// The contents.
        resource: ResourceContents,
        /// Display hints.
        #[serde(skip_serializing_if = "Option::is_none")]
        annotations: Option<Annotations>,
    },
}

impl Content {
    /// A text block.
    pub fn text(text: impl Into<String>) -> Self {
        Content::Text {
            text: text.into(),
            annotations: None,
        }
    }
    /// An image block from base64 data.
    pub fn image(base64_data: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Content::Image {
            data: base64_data.into(),
            mime_type: mime_type.into(),
            annotations: None,
        }
    }
    /// An audio block from base64 data.
    pub fn audio(base64_data: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Content::Audio {
            data: base64_data.into(),
            mime_type: mime_type.into(),
            annotations: None,
        }
    }
    /// An embedded resource block.
    pub fn resource(contents: ResourceContents) -> Self {
        Content::Resource {
            resource: contents,
            annotations: None,
        }
    }
    /// A link to a resource.
    pub fn resource_link(uri: impl Into<String>, name: impl Into<String>) -> Self {
        Content::ResourceLink {
            uri: uri.into(),
            name: name.into(),
            description: None,
            mime_type: None,
            annotations: None,
        }
    }
}

/// The result of `tools/call`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallToolResult {
    /// Unstructured content.
    pub content: Vec<Content>,
    /// Typed output, when the tool declares an output schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub structured_content: Option<Value>,
    /// `true` when the tool failed in a way the model can act on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_error: Option<bool>,
}

impl CallToolResult {
    /// A result holding one text block.
    pub fn text(text: impl Into<String>) -> Self {
        CallToolResult {
            content: vec![Content::text(text)],
            ..Default::default()
        }
    }
    /// A result holding these blocks.
    pub fn contents(content: impl IntoIterator<Item = Content>) -> Self {
        CallToolResult {
            content: content.into_iter().collect(),
            ..Default::default()
        }
    }
    /// Appends a block.
    pub fn with(mut self, block: Content) -> Self {
        self.content.push(block);
        self
    }
    /// An execution error the model can read (`isError: true`).
    pub fn error(message: impl Into<String>) -> Self {
        CallToolResult {
            content: vec![Content::text(message)],
            structured_content: None,
            is_error: Some(true),
        }
    }
}

impl From<String> for CallToolResult {
    fn from(text: String) -> Self {
        CallToolResult::text(text)
    }
}

impl From<&str> for CallToolResult {
    fn from(text: &str) -> Self {
        CallToolResult::text(text)
    }
}

impl From<Content> for CallToolResult {
    fn from(block: Content) -> Self {
        CallToolResult::contents([block])
    }
}

impl From<Vec<Content>> for CallToolResult {
    fn from(blocks: Vec<Content>) -> Self {
        CallToolResult::contents(blocks)
    }
}

/// The result of `resources/read`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadResourceResult {
    /// The resource and any sub-resources.
    pub contents: Vec<ResourceContents>,
}

impl From<ResourceContents> for ReadResourceResult {
    fn from(contents: ResourceContents) -> Self {
        ReadResourceResult {
            contents: vec![contents],
        }
    }
}

impl From<Vec<ResourceContents>> for ReadResourceResult {
    fn from(contents: Vec<ResourceContents>) -> Self {
        ReadResourceResult { contents }
    }
}

/// One message of a prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptMessage {
    /// Who speaks.
    pub role: Role,
    /// What is said: one block.
    pub content: Content,
}

impl PromptMessage {
    /// A user message.
    pub fn user(content: Content) -> Self {
        PromptMessage {
            role: Role::User,
            content,
        }
    }
    /// An assistant message.
    pub fn assistant(content: Content) -> Self {
        PromptMessage {
            role: Role::Assistant,
            content,
        }
    }
}

/// The result of `prompts/get`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GetPromptResult {
    /// A description of this rendering of the prompt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The messages.
    pub messages: Vec<PromptMessage>,
}

impl From<Vec<PromptMessage>> for GetPromptResult {
    fn from(messages: Vec<PromptMessage>) -> Self {
        GetPromptResult {
            description: None,
            messages,
        }
    }
}

/// The values a completion handler suggests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Completion {
    /// Suggestions, best first; at most 100 are sent.
    pub values: Vec<String>,
    /// The number of matches in all, when more exist than are sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Whether more matches exist than are sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_more: Option<bool>,
}

impl From<Vec<String>> for Completion {
    fn from(values: Vec<String>) -> Self {
        Completion {
            values,
            total: None,
            has_more: None,
        }
    }
}

/// What a completion request asks about.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletionRequest {
    /// The argument or template variable being completed.
    pub argument: String,
    /// What the user has typed so far.
    pub value: String,
    /// Values of the other arguments already given (2025-06-18 on).
    pub context: Map<String, Value>,
}

/// Information about the client or server software.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Implementation {
    /// Program name.
    pub name: String,
    /// Program version.
    pub version: String,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// The W3C Trace Context a 2026-07-28 client sent with a request (`traceparent`,
/// `tracestate` and `baggage` in its `_meta`), to parent the handler's own spans on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceContext {
    /// `version-traceid-parentid-flags`, e.g.
    /// `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`.
    pub traceparent: String,
    /// Vendor-specific trace state, as sent.
    pub tracestate: Option<String>,
    /// W3C Baggage, as sent.
    pub baggage: Option<String>,
}

impl TraceContext {
    /// Reads the trace keys of a request's `_meta`; a missing or malformed
    /// `traceparent` means no trace context.
    pub(crate) fn from_meta(meta: &serde_json::Map<String, serde_json::Value>) -> Option<Self> {
        let text = |key: &str| meta.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        let traceparent = text("traceparent").filter(|t| is_traceparent(t))?;
        Some(TraceContext {
            traceparent,
            tracestate: text("tracestate"),
            baggage: text("baggage"),
        })
    }

    /// A well-formed `traceparent` (from an HTTP header, say), owned.
    pub(crate) fn parse_traceparent(text: &str) -> Option<String> {
        is_traceparent(text).then(|| text.to_owned())
    }
}

/// `2 hex - 32 hex - 16 hex - 2 hex`, lowercase, ids not all zero (W3C Trace Context).
fn is_traceparent(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    matches!(parts.as_slice(), [v, trace, parent, flags]
        if hex(v, 2) && *v != "ff" && hex(trace, 32) && hex(parent, 16) && hex(flags, 2)
            && trace.bytes().any(|b| b != b'0') && parent.bytes().any(|b| b != b'0'))
}

/// A message of a sampling conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamplingMessage {
    /// Who speaks.
    pub role: Role,
    /// What is said.
    pub content: Content,
}

/// Parameters of `sampling/createMessage`: ask the client's model for a completion.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateMessageParams {
    /// The conversation so far.
    pub messages: Vec<SamplingMessage>,
    /// The most tokens to generate.
    pub max_tokens: u32,
    /// A system prompt the client may use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    /// Sampling temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Sequences that stop generation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<Vec<String>>,
    /// Model preferences, passed through as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_preferences: Option<Value>,
    /// Provider-specific metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

impl CreateMessageParams {
    /// A single user text message.
    pub fn user_text(text: impl Into<String>, max_tokens: u32) -> Self {
        CreateMessageParams {
            messages: vec![SamplingMessage {
                role: Role::User,
                content: Content::text(text),
            }],
            max_tokens,
            ..Default::default()
        }
    }
}

/// What the client's model answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateMessageResult {
    /// Who spoke (normally the assistant).
    pub role: Role,
    /// What was generated.
    pub content: Content,
    /// The model that generated it.
    pub model: String,
    /// Why generation stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
}

/// A root the client exposes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Root {
    /// A `file://` URI.
    pub uri: String,
    /// A display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// How the user answered an elicitation.
#[derive(Debug, Clone, PartialEq)]
pub enum Elicitation<T> {
    /// The user submitted the form.
    Accept(T),
    /// The user explicitly declined.
    Decline,
    /// The user dismissed the request.
    Cancel,
}

/// A form declared in the manifest's `elicitations`, asked with
/// [`Context::elicit`](crate::Context::elicit). Generated; not implemented by hand.
pub trait ElicitationForm: serde::de::DeserializeOwned + Send + 'static {
    /// The form's name in the manifest; the key under which a 2026 client is asked
    /// to fill it in.
    const NAME: &'static str;
    /// The message shown with the form, from the manifest.
    const MESSAGE: &'static str;
    /// The restricted JSON Schema of the form, as JSON text.
    const SCHEMA: &'static str;
}
