//! Validation against the official MCP JSON schemas in `shared/mcp-schema/`.
//!
//! Every message a client helper receives goes through [`check_server_message`]:
//! the JSON-RPC envelope, then the result against its method's result type, the
//! notification against `ServerNotification`, the request against `ServerRequest`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::Validator;
use serde_json::Value;

fn schema_path(version: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/mcp-schema")
        .join(version)
        .join("schema.json")
}

/// `$defs` for 2020-12 schemas (2025-11-25 on), `definitions` for draft-07 ones.
fn defs_key(doc: &Value) -> &'static str {
    if doc.get("$defs").is_some() {
        "$defs"
    } else {
        "definitions"
    }
}

fn document(version: &str) -> Arc<Value> {
    static DOCS: OnceLock<Mutex<HashMap<String, Arc<Value>>>> = OnceLock::new();
    let mut docs = DOCS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    docs.entry(version.to_owned())
        .or_insert_with(|| {
            let path = schema_path(version);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            Arc::new(serde_json::from_str(&text).expect("schema.json is JSON"))
        })
        .clone()
}

/// Whether this version's schema defines `name`.
pub fn has_definition(version: &str, name: &str) -> bool {
    let doc = document(version);
    doc[defs_key(&doc)].get(name).is_some()
}

/// The compiled validator of one definition of one version (cached).
pub fn validator(version: &str, definition: &str) -> Arc<Validator> {
    type Cache = Mutex<HashMap<(String, String), Arc<Validator>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = (version.to_owned(), definition.to_owned());
    if let Some(v) = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
    {
        return v.clone();
    }
    let doc = document(version);
    let defs = defs_key(&doc);
    assert!(
        doc[defs].get(definition).is_some(),
        "the {version} schema has no definition `{definition}`"
    );
    let mut root = (*doc).clone();
    root["$ref"] = Value::String(format!("#/{defs}/{definition}"));
    let compiled = Arc::new(
        jsonschema::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("compile {version} {definition}: {e}")),
    );
    CACHE
        .get()
        .expect("initialized above")
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key)
        .or_insert(compiled)
        .clone()
}

/// The validation errors of `instance` against `definition` (empty: valid).
pub fn errors(version: &str, definition: &str, instance: &Value) -> Vec<String> {
    let v = validator(version, definition);
    v.iter_errors(instance)
        .map(|e| format!("at `{}`: {e}", e.instance_path()))
        .collect()
}

/// Fails the test unless `instance` is a valid `definition` of `version`.
pub fn assert_valid(version: &str, definition: &str, instance: &Value, what: &str) {
    let errs = errors(version, definition, instance);
    assert!(
        errs.is_empty(),
        "{what} is not a valid {definition} ({version} schema):\n  message: {instance}\n  errors:\n    {}",
        errs.join("\n    ")
    );
}

/// The result type of a client request method, when the schema has one.
pub fn result_type(method: &str) -> Option<&'static str> {
    Some(match method {
        "initialize" => "InitializeResult",
        "tools/list" => "ListToolsResult",
        "tools/call" => "CallToolResult",
        "resources/list" => "ListResourcesResult",
        "resources/templates/list" => "ListResourceTemplatesResult",
        "resources/read" => "ReadResourceResult",
        "prompts/list" => "ListPromptsResult",
        "prompts/get" => "GetPromptResult",
        "completion/complete" => "CompleteResult",
        "server/discover" => "DiscoverResult",
        "tasks/get" => "GetTaskResult",
        "tasks/list" => "ListTasksResult",
        "tasks/cancel" => "CancelTaskResult",
        "ping" | "logging/setLevel" | "resources/subscribe" | "resources/unsubscribe" => {
            "EmptyResult"
        }
        _ => return None,
    })
}

/// Validates one message sent by the server (not a batch array). `method_of`
/// gives the method of the client request a response answers, when known.
pub fn check_server_message(version: &str, message: &Value, method_of: Option<&str>) {
    let latest = has_definition(version, "JSONRPCResultResponse");
    let what = "a server message";
    if message.get("method").is_some() {
        if message.get("id").is_some() {
            assert_valid(version, "JSONRPCRequest", message, what);
            assert_valid(version, "ServerRequest", message, what);
        } else {
            assert_valid(version, "JSONRPCNotification", message, what);
            assert_valid(version, "ServerNotification", message, what);
        }
    } else if message.get("error").is_some() {
        let envelope = if latest {
            "JSONRPCErrorResponse"
        } else {
            "JSONRPCError"
        };
        if message.get("id").is_none() && !latest {
            // Before 2025-11-25 the schema requires an id even where JSON-RPC has
            // none to give (parse errors); check everything else.
            let mut with_id = message.clone();
            with_id["id"] = Value::from(0);
            assert_valid(version, envelope, &with_id, "an error without id");
        } else {
            assert_valid(version, envelope, message, what);
        }
        // 2026 types the errors it defines: their `data` must have its shape.
        let typed = match message["error"]["code"].as_i64() {
            Some(-32020) => Some("HeaderMismatchError"),
            Some(-32021) => Some("MissingRequiredClientCapabilityError"),
            Some(-32022) => Some("UnsupportedProtocolVersionError"),
            _ => None,
        };
        if let Some(def) = typed {
            assert!(
                has_definition(version, def),
                "a {version} server sent code {}: {message}",
                message["error"]["code"]
            );
            assert_valid(version, def, message, what);
        }
        assert!(
            message.get("result").is_none(),
            "a response with both result and error: {message}"
        );
    } else if message.get("result").is_some() {
        let envelope = if latest {
            "JSONRPCResultResponse"
        } else {
            "JSONRPCResponse"
        };
        assert_valid(version, envelope, message, what);
        let result = &message["result"];
        if result["resultType"] == "input_required" {
            assert_valid(
                version,
                "InputRequiredResult",
                &message["result"],
                "an input_required result",
            );
        } else if result["resultType"] == "task" || result.get("task").is_some() {
            // A task handle: 2025-11-25 types it; the 2026 tasks extension has no
            // schema of its own (the tests check its fields).
            if has_definition(version, "CreateTaskResult") {
                assert_valid(version, "CreateTaskResult", result, "a task handle");
            }
        } else if let Some(def) = method_of
            .and_then(result_type)
            .filter(|def| has_definition(version, def))
        {
            assert_valid(
                version,
                def,
                &message["result"],
                &format!("the result of {}", method_of.unwrap_or_default()),
            );
        }
    } else {
        panic!("not a JSON-RPC message: {message}");
    }
}
