//! The two kinds of failure a handler can report, kept apart on purpose: a
//! [`ToolError`] is an answer the model can act on (`isError: true`), a
//! [`RequestError`] is a JSON-RPC protocol error.

use std::fmt;

use serde_json::Value;

/// Standard and MCP error codes.
#[derive(Debug)]
pub struct ErrorCode;

impl ErrorCode {
    /// The body is not JSON.
    pub const PARSE_ERROR: i32 = -32700;
    /// The JSON is not a valid request.
    pub const INVALID_REQUEST: i32 = -32600;
    /// The method does not exist (or is not offered).
    pub const METHOD_NOT_FOUND: i32 = -32601;
    /// The parameters are wrong.
    pub const INVALID_PARAMS: i32 = -32602;
    /// The server failed.
    pub const INTERNAL_ERROR: i32 = -32603;
    /// MCP (legacy era): the resource does not exist.
    pub const RESOURCE_NOT_FOUND: i32 = -32002;
    /// The server cannot take the request now (it is shutting down, or a limit
    /// was reached); the same request may succeed later or elsewhere.
    pub const SERVER_UNAVAILABLE: i32 = -32000;
    /// mcpgen's: the caller's token lacks a scope the request needs (`data.requiredScopes`
    /// lists them). Over HTTP the same refusal is a 403 before the answer starts;
    /// this code is for where no status can carry it. No MCP revision defines one.
    pub const FORBIDDEN: i32 = -32003;
}

/// A tool failed in a way the model should see and may correct: bad input, a failed
/// operation. Sent as a `CallToolResult` with `isError: true`.
///
/// Any error type converts into it with `?`, its `Display` text becoming the message.
///
/// ```
/// use mcpgen_runtime::ToolResult;
///
/// fn parse_days(text: &str) -> ToolResult<u32> {
///     Ok(text.parse::<u32>()?)
/// }
/// assert!(parse_days("x").is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ToolError {
    message: String,
    // Boxed: handlers return `ToolResult`, and a small error keeps it cheap to move
    // (and clear of clippy's `result_large_err` in authors' code).
    protocol: Option<Box<RequestError>>,
}

impl ToolError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        ToolError {
            message: message.into(),
            protocol: None,
        }
    }
    /// Fails the request itself with a JSON-RPC error instead of an `isError`
    /// result: for faults the model cannot act on (a task then ends `failed`).
    ///
    /// ```
    /// use mcpgen_runtime::{RequestError, ToolError};
    ///
    /// let e = ToolError::protocol(RequestError::internal("the backend is down"));
    /// assert_eq!(e.message(), "the backend is down");
    /// ```
    pub fn protocol(error: RequestError) -> Self {
        ToolError {
            message: error.message.clone(),
            protocol: Some(Box::new(error)),
        }
    }
    /// The message the model will read.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// The JSON-RPC error this tool error stands for, if it is one.
    pub(crate) fn into_protocol(self) -> Result<ToolError, RequestError> {
        match self.protocol {
            Some(e) => Err(*e),
            None => Ok(self),
        }
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl<E: std::error::Error> From<E> for ToolError {
    fn from(error: E) -> Self {
        ToolError::new(error.to_string())
    }
}

/// What a tool handler returns: its output, or an error the model reads.
pub type ToolResult<T = crate::CallToolResult> = Result<T, ToolError>;

/// A JSON-RPC error: the request itself could not be served.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestError {
    pub(crate) code: i32,
    pub(crate) message: String,
    pub(crate) data: Option<Value>,
}

impl RequestError {
    /// An error with any code.
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        RequestError {
            code,
            message: message.into(),
            data: None,
        }
    }
    /// Attaches structured data.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
    /// `-32602`: the parameters are wrong.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        RequestError::new(ErrorCode::INVALID_PARAMS, message)
    }
    /// `-32603`: the server failed.
    pub fn internal(message: impl Into<String>) -> Self {
        RequestError::new(ErrorCode::INTERNAL_ERROR, message)
    }
    /// `-32601`: no such method.
    pub fn method_not_found(method: &str) -> Self {
        RequestError::new(
            ErrorCode::METHOD_NOT_FOUND,
            format!("Method not found: {method}"),
        )
    }
    /// `-32002` with `data.uri`: no resource has this URI.
    pub fn resource_not_found(uri: &str) -> Self {
        RequestError::new(
            ErrorCode::RESOURCE_NOT_FOUND,
            format!("Resource not found: {uri}"),
        )
        .with_data(serde_json::json!({ "uri": uri }))
    }
    /// The JSON-RPC error code.
    pub fn code(&self) -> i32 {
        self.code
    }
    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// The structured data, if any.
    pub fn data(&self) -> Option<&Value> {
        self.data.as_ref()
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for RequestError {}

/// A request the server sent to the client (sampling, elicitation, roots) failed.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientError {
    /// The client did not declare the capability this request needs.
    CapabilityMissing(&'static str),
    /// The client answered with a JSON-RPC error.
    Rejected(RequestError),
    /// No answer came in time; the request was cancelled.
    Timeout,
    /// The client went away before answering.
    Disconnected,
    /// The answer did not have the expected shape.
    InvalidResponse(String),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::CapabilityMissing(cap) => {
                write!(f, "the client did not declare the `{cap}` capability")
            }
            ClientError::Rejected(e) => write!(f, "the client answered with an error: {e}"),
            ClientError::Timeout => f.write_str("the client did not answer in time"),
            ClientError::Disconnected => f.write_str("the client disconnected"),
            ClientError::InvalidResponse(why) => write!(f, "the client's answer is invalid: {why}"),
        }
    }
}

impl std::error::Error for ClientError {}

/// What a resource or resource-template handler returns.
pub type ResourceResult<T = crate::ReadResourceResult> = Result<T, RequestError>;

/// What a coded prompt returns.
pub type PromptResult<T = crate::GetPromptResult> = Result<T, RequestError>;

/// What a coded completion returns.
pub type CompletionResult<T = crate::Completion> = Result<T, RequestError>;
