//! Rules that the generator and the runtime both implement, tied together: each
//! case goes through both, and they must agree. The generator refuses a manifest
//! the runtime could not serve, so a server that generates never panics at
//! start-up; a rule changed on one side only fails here.
//!
//! - URI template shapes: the generator accepts exactly the templates the runtime
//!   can match, and the runtime then matches their URIs.
//! - `x-mcp-header` annotations: the generator accepts exactly the ones the runtime
//!   registers.
//! - The names generated code imports from the runtime (`codegen::*`): the
//!   generator refuses to generate a type of the same name.

use std::panic::AssertUnwindSafe;

use mcpgen_runtime::codegen::{CallToolResult, ServerBuilder, TemplateSource};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Whether the generator accepts `manifest` (YAML), and its errors when not.
fn generator_accepts(manifest: &str) -> Result<(), String> {
    mcpgen_codegen::Builder::new()
        .render_source("rules.yaml", manifest)
        .map(drop)
        .map_err(|d| d.render())
}

/// Whether the runtime builds a server from `register`'s definitions.
fn runtime_builds(register: impl FnOnce(&mut ServerBuilder)) -> Option<mcpgen_runtime::Server> {
    let mut builder = ServerBuilder::new(r#"{"name":"rules","version":"0.1.0"}"#);
    register(&mut builder);
    // `build` panics on a definition the generator should never have emitted.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let server = std::panic::catch_unwind(AssertUnwindSafe(|| builder.build())).ok();
    std::panic::set_hook(hook);
    server
}

/// Sends `requests` over the stdio framing after an `initialize`, returning the
/// answers by id.
async fn exchange(server: mcpgen_runtime::Server, requests: &[Value]) -> Vec<Value> {
    let (client, server_end) = tokio::io::duplex(64 * 1024);
    let (input, output) = tokio::io::split(server_end);
    tokio::spawn(server.serve_io(input, output));
    let (read, mut write) = tokio::io::split(client);
    let mut lines = BufReader::new(read).lines();
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "rules", "version": "0"}}});
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    for message in [&init, &initialized].into_iter().chain(requests) {
        write
            .write_all(format!("{message}\n").as_bytes())
            .await
            .expect("write");
    }
    let mut answers = Vec::new();
    while answers.len() < requests.len() + 1 {
        let line = tokio::time::timeout(std::time::Duration::from_secs(10), lines.next_line())
            .await
            .expect("an answer within 10 s")
            .expect("read")
            .expect("the server answers");
        let message: Value = serde_json::from_str(&line).expect("JSON");
        if message.get("id").is_some() {
            answers.push(message);
        }
    }
    answers.retain(|m| m["id"] != 0);
    answers
}

/// Templates and, for those both sides accept, a URI with the variable it binds.
const TEMPLATES: &[(&str, Option<(&str, &str)>)] = &[
    ("rules://items/{x}", Some(("rules://items/42", "42"))),
    (
        "rules://items/{x}/data",
        Some(("rules://items/a-b/data", "a-b")),
    ),
    (
        "rules://files/{+x}",
        Some(("rules://files/a/b/c.txt", "a/b/c.txt")),
    ),
    ("rules://page{#x}", Some(("rules://page#top", "top"))),
    ("rules://tree{/x}", Some(("rules://tree/leaf", "leaf"))),
    ("rules://{x}", Some(("rules://anything", "anything"))),
    ("rules://items/{x", None),
    ("rules://items/}", None),
    ("rules://items/{x,y}", None),
    ("rules://items/{x}{y}", None),
    ("rules://items{?x}", None),
    ("rules://items{&x}", None),
    ("rules://items/{x:3}", None),
    ("rules://items/{x*}", None),
    ("rules://items{;x}", None),
    ("rules://items{.x}", None),
    ("rules://items/{}", None),
    ("rules://items/{x.}", None),
    ("rules://items/{x..y}", None),
];

#[tokio::test]
async fn uri_templates_the_generator_accepts_are_those_the_runtime_matches() {
    for &(template, sample) in TEMPLATES {
        let variables = if template.contains('y') {
            "{ x: { type: string, description: X. }, y: { type: string, description: Y. } }"
        } else {
            "{ x: { type: string, description: X. } }"
        };
        let manifest = format!(
            "server: {{ name: rules, version: 0.1.0 }}\n\
             resource_templates:\n  - uri_template: {template:?}\n    name: item\n    \
             description: An item.\n    variables: {variables}\n    text: \"x={{{{ x }}}}\"\n"
        );
        let generated = generator_accepts(&manifest);
        let definition = json!({"uriTemplate": template, "name": "item"}).to_string();
        let server = runtime_builds(|b| {
            b.resource_template(&definition, &[], TemplateSource::Text("x={{ x }}"));
        });
        assert_eq!(
            generated.is_ok(),
            server.is_some(),
            "`{template}`: the generator {} it, the runtime {} it{}",
            if generated.is_ok() {
                "accepts"
            } else {
                "refuses"
            },
            if server.is_some() {
                "accepts"
            } else {
                "refuses"
            },
            generated
                .err()
                .map(|e| format!(":\n{e}"))
                .unwrap_or_default(),
        );
        assert_eq!(server.is_some(), sample.is_some(), "`{template}`");
        let (Some(server), Some((uri, value))) = (server, sample) else {
            continue;
        };
        let read = json!({"jsonrpc": "2.0", "id": 1, "method": "resources/read",
            "params": {"uri": uri}});
        let answers = exchange(server, &[read]).await;
        assert_eq!(
            answers[0]["result"]["contents"][0]["text"],
            format!("x={value}"),
            "`{template}` reading {uri}: {answers:?}"
        );
    }
}

/// Input schemas with `x-mcp-header` annotations, and whether MCP's rules allow them.
fn header_cases() -> Vec<(Value, bool)> {
    let with = |property: Value| json!({"type": "object", "properties": {"p": property, "q": {"type": "string"}}});
    vec![
        (
            with(json!({"type": "string", "x-mcp-header": "Region"})),
            true,
        ),
        (
            with(json!({"type": "integer", "x-mcp-header": "Count"})),
            true,
        ),
        (
            with(json!({"type": "boolean", "x-mcp-header": "Dry-Run"})),
            true,
        ),
        (
            with(json!({"type": "string", "x-mcp-header": "a!#$%&'*+-.^_`|~9"})),
            true,
        ),
        (
            with(json!({"type": "object", "properties": {
            "inner": {"type": "string", "x-mcp-header": "Inner"}}})),
            true,
        ),
        (
            with(json!({"type": "number", "x-mcp-header": "Factor"})),
            false,
        ),
        (
            with(json!({"type": ["string", "integer"], "x-mcp-header": "Both"})),
            false,
        ),
        (
            with(json!({"type": "array", "items": {"type": "string"}, "x-mcp-header": "List"})),
            false,
        ),
        (with(json!({"type": "string", "x-mcp-header": ""})), false),
        (
            with(json!({"type": "string", "x-mcp-header": "Has Space"})),
            false,
        ),
        (
            with(json!({"type": "string", "x-mcp-header": "Colon:"})),
            false,
        ),
        (with(json!({"type": "string", "x-mcp-header": 7})), false),
        (
            json!({"type": "object", "properties": {
                "a": {"type": "string", "x-mcp-header": "Same"},
                "b": {"type": "string", "x-mcp-header": "same"}}}),
            false,
        ),
    ]
}

#[test]
fn header_annotations_the_generator_accepts_are_those_the_runtime_registers() {
    for (schema, allowed) in header_cases() {
        let manifest = format!(
            "server: {{ name: rules, version: 0.1.0 }}\n\
             tools:\n  route:\n    description: Routes.\n    input: {schema}\n"
        );
        let generated = generator_accepts(&manifest);
        let definition = json!({"name": "route", "inputSchema": schema}).to_string();
        let server = runtime_builds(|b| {
            b.tool(&definition, |_ctx, _args| async {
                Ok(CallToolResult::text("routed"))
            });
        });
        assert_eq!(
            (generated.is_ok(), server.is_some()),
            (allowed, allowed),
            "{schema}: (generator, runtime) accept{}",
            generated
                .err()
                .map(|e| format!(":\n{e}"))
                .unwrap_or_default()
        );
    }
}

/// The type names `runtime/src/codegen.rs` exports: what `use …::codegen::*`
/// brings into generated code. Read from the source, so a new export is seen.
fn runtime_codegen_type_names() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../runtime/src/codegen.rs");
    let source = std::fs::read_to_string(path).expect("runtime/src/codegen.rs");
    let mut names = Vec::new();
    let mut rest = source.as_str();
    while let Some(at) = rest.find("\npub ") {
        rest = &rest[at + 5..];
        let item = &rest[..rest.find([';', '{', '(', '<', '=']).unwrap_or(rest.len())];
        if let Some(path) = item.strip_prefix("use ") {
            let list = if path.trim_end().ends_with("::") {
                // `pub use a::{B, C};`: the list follows the brace.
                let end = rest.find('}').expect("a closing brace");
                &rest[item.len() + 1..end]
            } else {
                path.rsplit("::").next().unwrap_or(path)
            };
            names.extend(list.split(',').map(|n| n.trim().to_owned()));
        } else {
            let mut words = item.split_whitespace();
            if let (Some("struct" | "enum" | "trait" | "type"), Some(name)) =
                (words.next(), words.next())
            {
                names.push(name.to_owned());
            }
        }
    }
    names.retain(|n| n.starts_with(|c: char| c.is_ascii_uppercase()));
    names
}

#[test]
fn the_generator_never_generates_a_type_named_like_a_runtime_import() {
    let names = runtime_codegen_type_names();
    for expected in ["Context", "CallToolResult", "ServerBuilder", "Value", "Arc"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    for name in &names {
        // An elicitation form is generated as a type of its name in CamelCase.
        let manifest = format!(
            "server: {{ name: rules, version: 0.1.0 }}\n\
             elicitations:\n  {name}:\n    message: Fill it in.\n    schema:\n      \
             type: object\n      properties: {{ a: {{ type: string, description: A. }} }}\n"
        );
        let errors =
            generator_accepts(&manifest).expect_err(&format!("a form named `{name}` is refused"));
        assert!(
            errors.contains("which the generated code imports from the runtime"),
            "{name}:\n{errors}"
        );
    }
}
