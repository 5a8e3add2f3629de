//! The 2026-07-28 ("modern") wire: telling a request's era, reading its `_meta`,
//! the checks a modern request passes before dispatch, and the result envelope.
//!
//! The order of the checks is the checklist's (`mcp-2026-07-28-server.md` §1.3);
//! clients and the conformance suite tell one failure from another by code and
//! status, so the order is behaviour, not style.

use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::error::RequestError;
use crate::jsonrpc::ErrorCode;
use crate::method::{Method, Subject};
use crate::protocol::{Implementation, LogLevel, ProtocolVersion, TraceContext};
use crate::registry::{HeaderParam, HeaderParamKind};

/// `_meta` key of the protocol version every modern request declares.
pub(crate) const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
const META_LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
/// `_meta` key under which results name the server.
pub(crate) const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
/// `_meta` key tagging every message of a `subscriptions/listen` stream.
pub(crate) const META_SUBSCRIPTION: &str = "io.modelcontextprotocol/subscriptionId";
/// The tasks extension's identifier.
pub(crate) const TASKS_EXTENSION: &str = "io.modelcontextprotocol/tasks";

/// `-32020`: an `Mcp-*` or `MCP-Protocol-Version` header is missing or disagrees
/// with the body.
pub(crate) const HEADER_MISMATCH: i32 = -32020;
/// `-32021`: the request needs a client capability it did not declare.
pub(crate) const MISSING_CAPABILITY: i32 = -32021;
/// `-32022`: the requested protocol version is not served.
pub(crate) const UNSUPPORTED_VERSION: i32 = -32022;

/// What a modern request says about its sender, read from its own `_meta`; nothing
/// is carried over from earlier requests.
#[derive(Debug, Clone)]
pub(crate) struct RequestMeta {
    pub version: ProtocolVersion,
    pub client_capabilities: Value,
    pub client_info: Option<Implementation>,
    /// Logs are sent only when the request asks for them.
    pub log_level: Option<LogLevel>,
    pub trace: Option<TraceContext>,
}

impl RequestMeta {
    /// Whether the request opted in to a protocol extension.
    pub(crate) fn has_extension(&self, id: &str) -> bool {
        self.client_capabilities
            .get("extensions")
            .and_then(|e| e.get(id))
            .is_some_and(Value::is_object)
    }
}

/// A refused request: the JSON-RPC error, and the HTTP status it goes out with.
#[derive(Debug)]
pub(crate) struct Rejection {
    pub status: u16,
    pub error: RequestError,
}

impl Rejection {
    pub(crate) fn bad_request(error: RequestError) -> Rejection {
        Rejection { status: 400, error }
    }
}

/// Whether a request carries modern `_meta` (any value of the version key counts:
/// a bad value is a modern error, not a legacy request).
pub(crate) fn has_modern_meta(params: Option<&Value>) -> bool {
    params
        .and_then(|p| p.get("_meta"))
        .is_some_and(|m| m.get(META_VERSION).is_some())
}

/// Whether `version` is a revision that has a handshake.
pub(crate) fn is_legacy_version(version: &str) -> bool {
    version
        .parse::<ProtocolVersion>()
        .is_ok_and(|v| !v.is_modern())
}

/// Header lookups for the checks that only HTTP has; stdio passes `None`.
pub(crate) trait Headers {
    /// The value of a header (names are case-insensitive), untrimmed.
    fn header(&self, name: &str) -> Option<&str>;
}

impl Headers for http::HeaderMap {
    fn header(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| v.to_str().ok())
    }
}

pub(crate) fn header_mismatch(message: impl Into<String>) -> RequestError {
    RequestError::new(HEADER_MISMATCH, message)
}

/// `-32021` naming what is missing, as a `ClientCapabilities` object.
pub(crate) fn missing_capability(required: Value) -> RequestError {
    RequestError::new(MISSING_CAPABILITY, "Missing required client capability")
        .with_data(json!({ "requiredCapabilities": required }))
}

fn unsupported_version(requested: &str) -> RequestError {
    let supported: Vec<&str> = ProtocolVersion::MODERN.iter().map(|v| v.as_str()).collect();
    RequestError::new(
        UNSUPPORTED_VERSION,
        format!("Unsupported protocol version: {requested}"),
    )
    .with_data(json!({ "supported": supported, "requested": requested }))
}

/// Steps 2 to 6 of the pipeline: the version header, `_meta`, the version itself and
/// `Mcp-Method`. What depends on the server's registry (unknown methods, `Mcp-Name`,
/// parameters in headers, capabilities) follows in the server.
pub(crate) fn read_meta(
    method: &str,
    params: Option<&Value>,
    headers: Option<&dyn Headers>,
) -> Result<RequestMeta, Rejection> {
    let version_header = match headers {
        Some(h) => match h.header("mcp-protocol-version") {
            Some(v) => Some(v.trim()),
            None => {
                return Err(Rejection::bad_request(header_mismatch(
                    "Header mismatch: MCP-Protocol-Version is required",
                )));
            }
        },
        None => None,
    };
    let meta = params
        .and_then(|p| p.get("_meta"))
        .and_then(Value::as_object)
        .ok_or_else(|| {
            Rejection::bad_request(RequestError::invalid_params(
                "Invalid params: `_meta` with the protocol version and client capabilities is required",
            ))
        })?;
    let requested = meta
        .get(META_VERSION)
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Rejection::bad_request(RequestError::invalid_params(format!(
                "Invalid params: `_meta[\"{META_VERSION}\"]` must be a string"
            )))
        })?;
    let client_capabilities = match meta.get(META_CAPABILITIES) {
        Some(c @ Value::Object(_)) => c.clone(),
        _ => {
            return Err(Rejection::bad_request(RequestError::invalid_params(
                format!("Invalid params: `_meta[\"{META_CAPABILITIES}\"]` must be an object"),
            )));
        }
    };
    let log_level = match meta.get(META_LOG_LEVEL) {
        None | Some(Value::Null) => None,
        Some(level) => Some(
            level
                .as_str()
                .and_then(|l| l.parse::<LogLevel>().ok())
                .ok_or_else(|| {
                    Rejection::bad_request(RequestError::invalid_params(format!(
                        "Invalid params: `_meta[\"{META_LOG_LEVEL}\"]` must be a log level"
                    )))
                })?,
        ),
    };
    if let Some(header) = version_header {
        if header != requested {
            return Err(Rejection::bad_request(header_mismatch(format!(
                "Header mismatch: MCP-Protocol-Version `{header}` differs from `_meta` `{requested}`"
            ))));
        }
    }
    let version = requested
        .parse::<ProtocolVersion>()
        .ok()
        .filter(|v| v.is_modern())
        .ok_or_else(|| Rejection::bad_request(unsupported_version(requested)))?;
    if let Some(h) = headers {
        let named = h.header("mcp-method").map(str::trim);
        if named != Some(method) {
            return Err(Rejection::bad_request(header_mismatch(match named {
                None => "Header mismatch: Mcp-Method is required".to_owned(),
                Some(m) => format!("Header mismatch: Mcp-Method `{m}` differs from `{method}`"),
            })));
        }
    }
    let client_info = meta
        .get(META_CLIENT_INFO)
        .and_then(|c| serde_json::from_value::<Implementation>(c.clone()).ok());
    Ok(RequestMeta {
        version,
        client_capabilities,
        client_info,
        log_level,
        trace: TraceContext::from_meta(meta),
    })
}

/// Step 8: `Mcp-Name` equals the body's name, URI or task id.
pub(crate) fn check_name_header(
    method: Method,
    params: Option<&Value>,
    headers: &dyn Headers,
) -> Result<(), RequestError> {
    // Only methods a modern request may call get here: their subject is the
    // body value `Mcp-Name` must repeat.
    let Some(key) = method.subject().map(Subject::key) else {
        return Ok(());
    };
    // A missing or non-string body value is the dispatcher's -32602.
    let Some(expected) = params.and_then(|p| p.get(key)).and_then(Value::as_str) else {
        return Ok(());
    };
    let Some(raw) = headers.header("mcp-name") else {
        return Err(header_mismatch("Header mismatch: Mcp-Name is required"));
    };
    match decode_header_value(raw) {
        Ok(value) if value == expected => Ok(()),
        Ok(value) => Err(header_mismatch(format!(
            "Header mismatch: Mcp-Name `{value}` differs from `{expected}`"
        ))),
        Err(why) => Err(header_mismatch(format!("Header mismatch: Mcp-Name {why}"))),
    }
}

/// A header value as the client meant it: trimmed, and decoded when it is a
/// `=?base64?…?=` sentinel (strict RFC 4648, UTF-8).
pub(crate) fn decode_header_value(raw: &str) -> Result<String, String> {
    let value = raw.trim_matches([' ', '\t']);
    let Some(encoded) = value
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
    else {
        return Ok(value.to_owned());
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| "is not valid base64".to_owned())?;
    String::from_utf8(bytes).map_err(|_| "does not decode to UTF-8 text".to_owned())
}

/// Step 9: every `x-mcp-header` argument of a `tools/call` is repeated, exactly, in
/// its `Mcp-Param-{Name}` header (§4.3).
pub(crate) fn check_param_headers(
    declared: &[HeaderParam],
    arguments: Option<&Value>,
    headers: &dyn Headers,
) -> Result<(), RequestError> {
    for param in declared {
        let name = format!("mcp-param-{}", param.header);
        let arg = arguments
            .and_then(|a| param.path.iter().try_fold(a, |v, key| v.get(key)))
            .filter(|v| !v.is_null());
        let header = headers.header(&name);
        let (arg, header) = match (arg, header) {
            (None, None) => continue,
            (Some(_), None) => {
                return Err(header_mismatch(format!(
                    "Header mismatch: Mcp-Param-{} is required",
                    param.header
                )));
            }
            (None, Some(_)) => {
                return Err(header_mismatch(format!(
                    "Header mismatch: Mcp-Param-{} names no argument in the body",
                    param.header
                )));
            }
            (Some(a), Some(h)) => (a, h),
        };
        let decoded = decode_header_value(header).map_err(|why| {
            header_mismatch(format!("Header mismatch: Mcp-Param-{} {why}", param.header))
        })?;
        let matches = match param.kind {
            HeaderParamKind::String => match arg.as_str() {
                Some(s) => s == decoded,
                None => continue, // the schema check reports the wrong type
            },
            HeaderParamKind::Integer => match arg.as_f64() {
                Some(n) => decoded.parse::<f64>().is_ok_and(|d| d == n),
                None => continue,
            },
            HeaderParamKind::Boolean => match arg.as_bool() {
                Some(b) => decoded == if b { "true" } else { "false" },
                None => continue,
            },
        };
        if !matches {
            return Err(header_mismatch(format!(
                "Header mismatch: Mcp-Param-{} differs from the argument",
                param.header
            )));
        }
    }
    Ok(())
}

/// Whether `caps` (a `ClientCapabilities` object) declares everything `required`
/// asks for; `required` has the same shape, e.g. `{"sampling": {"tools": {}}}`.
/// An empty `elicitation` object declares form mode.
pub(crate) fn declares(caps: &Value, required: &Map<String, Value>) -> bool {
    required.iter().all(|(name, sub)| {
        let Some(declared) = caps.get(name).filter(|d| d.is_object()) else {
            return false;
        };
        match sub.as_object() {
            None => true,
            Some(sub) if name == "elicitation" => sub.keys().all(|mode| {
                declared.get(mode).is_some()
                    || (mode == "form" && declared.as_object().is_some_and(|d| d.is_empty()))
            }),
            Some(sub) => declares(declared, sub),
        }
    })
}

/// The envelope of a complete modern result: `resultType`, and the server's
/// identity in `_meta` (kept beside any `_meta` the handler set).
pub(crate) fn complete(result: &mut Map<String, Value>, server_info: &Value) {
    result.insert("resultType".into(), "complete".into());
    let meta = result
        .entry("_meta")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(meta) = meta {
        meta.insert(META_SERVER_INFO.into(), server_info.clone());
    }
}

/// A modern error code must never reach a legacy client; the legacy meaning of
/// resource-not-found is `-32002`, the modern one `-32602`.
pub(crate) fn for_modern(mut error: RequestError) -> RequestError {
    if error.code == ErrorCode::RESOURCE_NOT_FOUND {
        error.code = ErrorCode::INVALID_PARAMS;
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake(Vec<(&'static str, &'static str)>);
    impl Headers for Fake {
        fn header(&self, name: &str) -> Option<&str> {
            self.0
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
        }
    }

    fn params(meta: Value) -> Value {
        json!({ "_meta": meta })
    }

    fn good_meta() -> Value {
        json!({ META_VERSION: "2026-07-28", META_CAPABILITIES: {} })
    }

    fn code(r: Result<RequestMeta, Rejection>) -> (u16, i32) {
        let r = r.expect_err("rejected");
        (r.status, r.error.code)
    }

    #[test]
    fn checks_run_in_the_checklist_order() {
        let ok = Fake(vec![
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "tools/list"),
        ]);
        let p = params(good_meta());
        assert!(read_meta("tools/list", Some(&p), Some(&ok)).is_ok());
        // No version header at all: -32020 before `_meta` is looked at.
        let none = Fake(vec![]);
        assert_eq!(
            code(read_meta("tools/list", None, Some(&none))),
            (400, HEADER_MISMATCH)
        );
        // `_meta` without the version, valid header: -32602.
        let p = params(json!({ META_CAPABILITIES: {} }));
        assert_eq!(
            code(read_meta("tools/list", Some(&p), Some(&ok))),
            (400, ErrorCode::INVALID_PARAMS)
        );
        // Body v999 under a valid header: the mismatch wins over the version.
        let p = params(json!({ META_VERSION: "v999.0.0", META_CAPABILITIES: {} }));
        assert_eq!(
            code(read_meta("tools/list", Some(&p), Some(&ok))),
            (400, HEADER_MISMATCH)
        );
        // Both v999: unsupported, with the supported list and the request echoed.
        let v999 = Fake(vec![
            ("mcp-protocol-version", "v999.0.0"),
            ("mcp-method", "tools/list"),
        ]);
        let r = read_meta("tools/list", Some(&p), Some(&v999)).expect_err("rejected");
        assert_eq!((r.status, r.error.code), (400, UNSUPPORTED_VERSION));
        assert_eq!(
            r.error.data,
            Some(json!({ "supported": ["2026-07-28"], "requested": "v999.0.0" }))
        );
        // A legacy version in a modern envelope is not served statelessly.
        let p = params(json!({ META_VERSION: "2025-11-25", META_CAPABILITIES: {} }));
        assert_eq!(
            code(read_meta("tools/list", Some(&p), None)),
            (400, UNSUPPORTED_VERSION)
        );
    }

    #[test]
    fn mcp_method_is_trimmed_and_case_sensitive() {
        let p = params(good_meta());
        let padded = Fake(vec![
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "  tools/list "),
        ]);
        assert!(read_meta("tools/list", Some(&p), Some(&padded)).is_ok());
        let shouting = Fake(vec![
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "TOOLS/LIST"),
        ]);
        assert_eq!(
            code(read_meta("tools/list", Some(&p), Some(&shouting))),
            (400, HEADER_MISMATCH)
        );
    }

    #[test]
    fn log_level_is_optional_but_must_be_valid() {
        let mut meta = good_meta();
        assert_eq!(
            read_meta("x", Some(&params(meta.clone())), None)
                .expect("ok")
                .log_level,
            None
        );
        meta[META_LOG_LEVEL] = json!("debug");
        assert_eq!(
            read_meta("x", Some(&params(meta.clone())), None)
                .expect("ok")
                .log_level,
            Some(LogLevel::Debug)
        );
        meta[META_LOG_LEVEL] = json!("loud");
        assert_eq!(
            code(read_meta("x", Some(&params(meta)), None)),
            (400, ErrorCode::INVALID_PARAMS)
        );
    }

    #[test]
    fn trace_context_is_read_when_well_formed() {
        let mut meta = good_meta();
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        meta["traceparent"] = json!(parent);
        meta["tracestate"] = json!("vendor=1");
        let read = read_meta("x", Some(&params(meta.clone())), None).expect("ok");
        let trace = read.trace.expect("a trace context");
        assert_eq!(trace.traceparent, parent);
        assert_eq!(trace.tracestate.as_deref(), Some("vendor=1"));
        for bad in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            meta["traceparent"] = json!(bad);
            let read = read_meta("x", Some(&params(meta.clone())), None).expect("ok");
            assert!(read.trace.is_none(), "{bad}");
        }
    }

    #[test]
    fn name_headers_decode_base64_strictly() {
        let p = json!({ "name": "héllo" });
        let encoded = Fake(vec![("mcp-name", "=?base64?aMOpbGxv?=")]);
        assert!(check_name_header(Method::ToolsCall, Some(&p), &encoded).is_ok());
        let bad = Fake(vec![("mcp-name", "=?base64?aMOpbGxv?")]);
        assert!(check_name_header(Method::ToolsCall, Some(&p), &bad).is_err());
        let missing = Fake(vec![]);
        assert!(check_name_header(Method::ToolsCall, Some(&p), &missing).is_err());
        assert!(check_name_header(Method::ToolsList, Some(&p), &missing).is_ok());
        assert_eq!(
            decode_header_value("=?base64?SGVsbG8?="),
            Err("is not valid base64".into())
        );
        assert_eq!(
            decode_header_value("=?base64?SGVs!!!bG8=?="),
            Err("is not valid base64".into())
        );
        assert_eq!(decode_header_value(" SGVsbG8= "), Ok("SGVsbG8=".into()));
        assert_eq!(
            decode_header_value("=?base64?SGVsbG8="),
            Ok("=?base64?SGVsbG8=".into())
        );
    }

    #[test]
    fn capabilities_are_declared_by_shape() {
        let caps = json!({ "sampling": {}, "elicitation": {} });
        let need = |v: Value| v.as_object().cloned().expect("object");
        assert!(declares(&caps, &need(json!({ "sampling": {} }))));
        assert!(!declares(
            &caps,
            &need(json!({ "sampling": { "tools": {} } }))
        ));
        assert!(declares(
            &caps,
            &need(json!({ "elicitation": { "form": {} } }))
        ));
        assert!(!declares(
            &caps,
            &need(json!({ "elicitation": { "url": {} } }))
        ));
        assert!(!declares(&caps, &need(json!({ "roots": {} }))));
        assert!(declares(&json!({}), &Map::new()));
    }
}
