//! What the operator sees on stderr (through `tracing`, filtered by `--log-level`):
//! at `info`, sessions opening and closing and every failed request; at `debug`,
//! every request with its subject and duration; at `error`, handler panics. Tool
//! calls cancelled at their timeout are logged at `info`. Not to
//! be confused with MCP logging (`notifications/message`), which goes to the client.
//!
//! With a level off, a line costs a level check: nothing is formatted, allocated or
//! timed.

use std::any::Any;
use std::fmt;
use std::time::Instant;

use serde_json::Value;

use crate::error::RequestError;
use crate::jsonrpc::{self, Encoded, RequestId};
use crate::method::{Method, MethodName, Subject};
use crate::protocol::ProtocolVersion;
use crate::session::Session;

/// A session id as logs show it: a short hash, so logs never hold the id (on HTTP,
/// whoever has it can act as the client) while one session's lines still match.
pub(crate) struct SessionTag<'a>(pub &'a str);

impl fmt::Display for SessionTag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(self.0.as_bytes());
        digest[..4].iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// The line of a session that just negotiated; `session` names it.
pub(crate) fn session_opened(core: &Session, session: &dyn fmt::Display) {
    if let Some(n) = core.negotiated() {
        let (client, client_version) = n
            .client_info
            .as_ref()
            .map_or(("unknown", ""), |c| (c.name.as_str(), c.version.as_str()));
        tracing::info!(
            %session,
            version = %n.version,
            client,
            client_version,
            "session opened"
        );
    }
}

/// The line of a session that ended, and why.
pub(crate) fn session_closed(session: &dyn fmt::Display, reason: &str) {
    tracing::info!(%session, reason, "session closed");
}

/// A message refused before it reached dispatch (malformed, sent too early,
/// failing the 2026 checks): its error answer, logged at `info`.
pub(crate) fn refusal(
    method: Option<&str>,
    id: Option<&RequestId>,
    error: &RequestError,
) -> Encoded {
    tracing::info!(
        method,
        id = id.map(tracing::field::display),
        code = error.code,
        error = %error.message,
        "request refused"
    );
    jsonrpc::error_response(id, error)
}

/// The lines and the span of one request, from dispatch to answer.
pub(crate) struct RequestLog {
    /// `mcp.request`, at `info`: a handler's own spans nest under it. Disabled
    /// (and free) unless the filter lets `info` spans of this crate through.
    span: tracing::Span,
    /// When it started, while the span or the `debug` line wants a duration.
    started: Option<Instant>,
    /// What it names, only while `debug` is on.
    name: Option<String>,
}

/// What a request's span and log lines name besides its method.
pub(crate) struct RequestLabels<'a> {
    pub version: ProtocolVersion,
    /// The session's tag (a hash, never the id).
    pub session: Option<&'a str>,
    /// Reads the W3C `traceparent` the client sent (HTTP header or `_meta`): only
    /// for a span that is on, so a request nobody traces pays nothing for it.
    pub traceparent: &'a dyn Fn() -> Option<String>,
}

impl RequestLog {
    pub(crate) fn start(
        method: &MethodName,
        params: Option<&Value>,
        labels: RequestLabels<'_>,
    ) -> RequestLog {
        // Field names follow OpenTelemetry's conventions for MCP where they exist;
        // `$extra` adds fields only some builds declare.
        macro_rules! request_span {
            ($($extra:tt)*) => {
                tracing::info_span!(
                    "mcp.request",
                    mcp.method.name = method.as_str(),
                    gen_ai.tool.name = tracing::field::Empty,
                    gen_ai.prompt.name = tracing::field::Empty,
                    mcp.resource.uri = tracing::field::Empty,
                    mcp.era = if labels.version.is_modern() { "stateless" } else { "session" },
                    mcp.protocol.version = %labels.version,
                    mcp.session.tag = labels.session,
                    traceparent = tracing::field::Empty,
                    outcome = tracing::field::Empty,
                    duration_ms = tracing::field::Empty,
                    $($extra)*
                )
            };
        }
        #[cfg(not(feature = "otel"))]
        let span = request_span!();
        // With export built in, the `otel.*` fields the OpenTelemetry layer reads:
        // the exported span's name, kind and status (not attributes).
        #[cfg(feature = "otel")]
        let span = request_span!(
            otel.name = tracing::field::Empty,
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
        );
        if !span.is_disabled() {
            let field = match method.method() {
                Method::ToolsCall => Some("gen_ai.tool.name"),
                Method::PromptsGet => Some("gen_ai.prompt.name"),
                m if m.subject() == Some(Subject::Uri) => Some("mcp.resource.uri"),
                _ => None,
            };
            let subject = field.and_then(|_| subject(method.method(), params));
            let traceparent = (labels.traceparent)();
            if let Some(traceparent) = &traceparent {
                span.record("traceparent", traceparent.as_str());
            }
            #[cfg(feature = "otel")]
            {
                // `{mcp.method.name} {target}`, the conventions' span name, for a
                // tool or prompt; a resource URI stays an attribute (a name of
                // unbounded variety would defeat grouping by name).
                let name = match &subject {
                    Some(target) if field != Some("mcp.resource.uri") => {
                        format!("{} {target}", method.as_str())
                    }
                    _ => method.as_str().to_owned(),
                };
                span.record("otel.name", name);
                if let Some(traceparent) = &traceparent {
                    crate::otel::set_parent(&span, traceparent);
                }
            }
            if let (Some(field), Some(subject)) = (field, subject) {
                span.record(field, subject);
            }
        }
        let debug = tracing::enabled!(tracing::Level::DEBUG);
        RequestLog {
            started: (debug || !span.is_disabled()).then(Instant::now),
            name: debug.then(|| subject(method.method(), params)).flatten(),
            span,
        }
    }

    /// The span the request's work runs in.
    pub(crate) fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// Logs the outcome: a failure at `info`, the request at `debug`; and records
    /// it on the span.
    pub(crate) fn finish(
        &self,
        method: &str,
        id: &RequestId,
        answer: Option<&Result<Encoded, RequestError>>,
    ) {
        let _entered = self.span.enter();
        if let Some(Err(e)) = answer {
            tracing::info!(method, %id, code = e.code, error = %e.message, "request failed");
        }
        let Some(started) = self.started else {
            return;
        };
        let outcome = match answer {
            None => "cancelled",
            Some(Ok(_)) => "ok",
            Some(Err(_)) => "error",
        };
        let elapsed = started.elapsed();
        self.span.record("outcome", outcome);
        #[cfg(feature = "otel")]
        if outcome == "error" {
            self.span.record("otel.status_code", "ERROR");
        }
        self.span
            .record("duration_ms", elapsed.as_secs_f64() * 1000.0);
        if tracing::enabled!(tracing::Level::DEBUG) {
            tracing::debug!(
                method,
                name = self.name.as_deref(),
                %id,
                outcome,
                ?elapsed,
                "request"
            );
        }
    }
}

/// The tool or prompt a request names, or the resource URI.
fn subject(method: Method, params: Option<&Value>) -> Option<String> {
    let key = match method.subject()? {
        // A task id is left out: whoever holds one may read the task.
        Subject::TaskId => return None,
        subject => subject.key(),
    };
    params?.get(key)?.as_str().map(str::to_owned)
}

/// What a panic said, when it said it with a string.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(not a string)")
}

/// A handler panicked while serving `method` (a tool's panic names the tool, see
/// `tool_panicked`).
pub(crate) fn handler_panicked(method: &str, id: &RequestId, payload: &(dyn Any + Send)) {
    tracing::error!(
        method,
        %id,
        panic = panic_message(payload),
        "a handler panicked; the request is answered with an internal error"
    );
}

/// A tool's handler panicked.
pub(crate) fn tool_panicked(tool: &str, id: &RequestId, payload: &(dyn Any + Send)) {
    tracing::error!(
        tool,
        %id,
        panic = panic_message(payload),
        "a tool handler panicked; the call is answered with an internal error"
    );
}

/// A tool's handler ran past its timeout and was cancelled. At `info`, like a
/// failed request: the client got an error result.
pub(crate) fn tool_timed_out(tool: &str, id: &RequestId, limit: std::time::Duration) {
    tracing::info!(
        tool,
        %id,
        timeout = %humantime::format_duration(limit),
        "a tool handler ran past its timeout and was cancelled"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_tags_are_short_and_stable_and_hide_the_id() {
        let id = "0123456789abcdef0123456789abcdef";
        let tag = SessionTag(id).to_string();
        assert_eq!(tag.len(), 8);
        assert_eq!(tag, SessionTag(id).to_string());
        assert!(!id.contains(&tag));
        assert_ne!(tag, SessionTag("another").to_string());
    }

    #[test]
    fn subjects_and_panic_messages() {
        let params = serde_json::json!({ "name": "add", "uri": "x://y" });
        assert_eq!(
            subject(Method::ToolsCall, Some(&params)).as_deref(),
            Some("add")
        );
        assert_eq!(
            subject(Method::ResourcesRead, Some(&params)).as_deref(),
            Some("x://y")
        );
        assert_eq!(subject(Method::Ping, Some(&params)), None);
        assert_eq!(subject(Method::ToolsCall, None), None);
        let payload: Box<dyn Any + Send> = Box::new(String::from("bug"));
        assert_eq!(panic_message(&*payload), "bug");
        let payload: Box<dyn Any + Send> = Box::new(7_u8);
        assert_eq!(panic_message(&*payload), "(not a string)");
    }
}
