//! Middleware at the MCP level: code that sees every request before it is
//! dispatched (and may refuse it) and every outcome after, over stdio and HTTP, in
//! both protocol eras.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{Extensions, HeaderMap};
use serde_json::Value;

use crate::error::RequestError;
use crate::jsonrpc::RequestId;
use crate::method::{MethodName, Subject};
use crate::parts::RequestParts;
use crate::protocol::ProtocolVersion;

/// Sees each request before it is dispatched, and its outcome after.
///
/// Registered with [`Server::middleware`](crate::Server::middleware); they run in
/// the order registered, for every request of every transport and era (requests
/// refused earlier, as malformed or failing the protocol's own checks, never reach
/// them). Both methods run on the request's path: keep them quick, and hand slow
/// work (shipping an audit record) to a channel or task.
///
/// ```
/// use mcpgen_runtime::{McpRequest, Middleware, Outcome, RequestError};
///
/// /// Refuses the tools an operator turned off.
/// struct DenyList(Vec<String>);
///
/// impl Middleware for DenyList {
///     fn before(&self, request: &McpRequest<'_>) -> Result<(), RequestError> {
///         match request.name() {
///             Some(name) if request.method() == "tools/call" && self.0.iter().any(|d| d == name) => {
///                 Err(RequestError::invalid_params(format!("tool `{name}` is disabled")))
///             }
///             _ => Ok(()),
///         }
///     }
/// }
///
/// /// One line per request, with its outcome and duration.
/// struct AuditLog;
///
/// impl Middleware for AuditLog {
///     fn after(&self, request: &McpRequest<'_>, outcome: &Outcome<'_>) {
///         eprintln!("{} {:?} {:?} in {:?}", request.method(), request.name(),
///                   outcome.error().map(|e| e.code()), outcome.elapsed());
///     }
/// }
/// ```
pub trait Middleware: Send + Sync + 'static {
    /// Runs before the request is dispatched. An error answers the request
    /// instead (use a client-error code: -32602 for a refused argument, -32600 or
    /// a server-defined code in -32000..-32099 for a refused request); the handler
    /// never runs and later middleware's `before` is skipped, but every
    /// middleware's `after` still sees the outcome.
    fn before(&self, request: &McpRequest<'_>) -> Result<(), RequestError> {
        let _ = request;
        Ok(())
    }

    /// Runs once the request has an outcome: answered, failed or cancelled.
    fn after(&self, request: &McpRequest<'_>, outcome: &Outcome<'_>) {
        let _ = (request, outcome);
    }
}

/// One request as middleware sees it.
pub struct McpRequest<'a> {
    pub(crate) id: &'a RequestId,
    pub(crate) method: &'a MethodName,
    pub(crate) params: Option<&'a Value>,
    pub(crate) version: ProtocolVersion,
    pub(crate) session: Option<&'a str>,
    pub(crate) parts: &'a RequestParts,
}

impl<'a> McpRequest<'a> {
    /// The JSON-RPC id.
    pub fn id(&self) -> &'a RequestId {
        self.id
    }

    /// The method, as sent (`tools/call`, `resources/read`, …).
    pub fn method(&self) -> &'a str {
        self.method.as_str()
    }

    /// What the request names: the tool or prompt, or the resource URI. `None` for
    /// methods that name nothing, and for task ids (whoever holds one may act on
    /// the task, so it is not passed around).
    pub fn name(&self) -> Option<&'a str> {
        let key = match self.method.method().subject()? {
            Subject::TaskId => return None,
            subject => subject.key(),
        };
        self.params?.get(key)?.as_str()
    }

    /// The request's `params`, as sent.
    pub fn params(&self) -> Option<&'a Value> {
        self.params
    }

    /// The protocol revision the client speaks.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.version
    }

    /// Whether the request is stateless (2026-07-28 on) rather than part of a
    /// session.
    pub fn is_stateless(&self) -> bool {
        self.version.is_modern()
    }

    /// A short hash naming the request's session (never the session id itself,
    /// which whoever holds may act as the client): the tag the server's own log
    /// uses. `None` for stateless requests and on stdio.
    pub fn session_tag(&self) -> Option<&'a str> {
        self.session
    }

    /// The HTTP request's extensions: what outer tower layers put there. Empty on
    /// stdio.
    pub fn extensions(&self) -> &'a Extensions {
        &self.parts.extensions
    }

    /// The HTTP request's headers; `None` on stdio.
    pub fn headers(&self) -> Option<&'a HeaderMap> {
        self.parts.http_headers()
    }
}

impl fmt::Debug for McpRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpRequest")
            .field("id", self.id)
            .field("method", &self.method())
            .field("name", &self.name())
            .field("version", &self.version)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

/// How a request ended, as middleware sees it.
#[derive(Debug)]
pub struct Outcome<'a> {
    pub(crate) result: Option<Result<(), &'a RequestError>>,
    pub(crate) elapsed: Duration,
}

impl<'a> Outcome<'a> {
    /// The JSON-RPC error the request was answered with (a tool's own failure is a
    /// result with `isError`, not an error).
    pub fn error(&self) -> Option<&'a RequestError> {
        self.result.and_then(Result::err)
    }

    /// Whether the client cancelled the request (no answer went out).
    pub fn is_cancelled(&self) -> bool {
        self.result.is_none()
    }

    /// From dispatch (before any middleware ran) to the outcome.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }
}

/// The middleware of a server, in the order registered.
pub(crate) type Chain = Arc<[Arc<dyn Middleware>]>;

/// Runs every `before`, stopping at the first refusal.
pub(crate) fn before(chain: &Chain, request: &McpRequest<'_>) -> Result<(), RequestError> {
    chain.iter().try_for_each(|m| m.before(request))
}

/// Runs every `after`.
pub(crate) fn after(chain: &Chain, request: &McpRequest<'_>, outcome: &Outcome<'_>) {
    for m in chain.iter() {
        m.after(request, outcome);
    }
}
