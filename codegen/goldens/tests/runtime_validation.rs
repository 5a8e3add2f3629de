//! The generated `schemas` server, driven in memory: `tools/list` serves every
//! schema exactly as written, arguments are validated against it before they are
//! deserialized (errors name JSON pointers, as `isError` results), and valid
//! arguments reach the handler typed.

use std::time::Duration;

use mcpgen_goldens::schemas::*;
use mcpgen_runtime::codegen::serde::Serialize;
use mcpgen_runtime::codegen::{CallToolResult, Context, ToolError, ToolResult};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, ReadHalf, WriteHalf};

/// Echoes its typed input back as JSON text.
struct Echo;

fn echo(input: &impl Serialize) -> ToolResult {
    let text = serde_json::to_string(input).map_err(|e| ToolError::new(e.to_string()))?;
    Ok(CallToolResult::text(text))
}

macro_rules! echo_tools {
    ($($tool:ident: $input:ty),* $(,)?) => {
        $(
            async fn $tool(&self, _ctx: &Context, input: $input) -> ToolResult {
                echo(&input)
            }
        )*
    };
}

impl SchemasServer for Echo {
    echo_tools! {
        arrays: ArraysInput,
        maps: MapsInput,
        string_enums: StringEnumsInput,
        constants: ConstantsInput,
        untagged_union: UntaggedUnionInput,
        any_of_union: AnyOfUnionInput,
        all_of_merge: AllOfMergeInput,
        nullable_values: NullableValuesInput,
        defaults: DefaultsInput,
        string_formats: StringFormatsInput,
        integer_bounds: IntegerBoundsInput,
        refs_and_defs: RefsAndDefsInput,
        recursive_tree: RecursiveTreeInput,
        recursive_root: RecursiveRootInput,
        dynamic_refs: DynamicRefsInput,
        tuples: TuplesInput,
        dependent_fields: DependentFieldsInput,
        closed_objects: ClosedObjectsInput,
        pattern_keys: PatternKeysInput,
        runtime_checks: RuntimeChecksInput,
        untyped_parts: UntypedPartsInput,
        awkward_names: AwkwardNamesInput,
        clashing_names: ClashingNamesInput,
    }

    async fn null_or_absent(
        &self,
        _ctx: &Context,
        input: NullOrAbsentInput,
    ) -> ToolResult<NullOrAbsentOutput> {
        // The note's presence and nullness go back as they came.
        Ok(NullOrAbsentOutput {
            previous: input.note,
        })
    }

    async fn nested_objects(
        &self,
        _ctx: &Context,
        input: NestedObjectsInput,
    ) -> ToolResult<NestedObjectsOutput> {
        Ok(NestedObjectsOutput {
            tracking: NestedObjectsOutputTracking {
                id: format!("to-{}", input.recipient.address.city),
                carrier: "post".to_owned(),
            },
        })
    }

    async fn conditional_fields(
        &self,
        _ctx: &Context,
        input: ConditionalFieldsInput,
    ) -> ToolResult<ConditionalFieldsOutput> {
        let mut lines: Vec<String> = input.state.into_iter().chain(input.postal_code).collect();
        lines.push(input.country);
        Ok(ConditionalFieldsOutput {
            lines,
            zone: None,
            code: None,
        })
    }

    async fn tagged_union(
        &self,
        _ctx: &Context,
        input: TaggedUnionInput,
    ) -> ToolResult<TaggedUnionOutput> {
        let area = match input.shape {
            TaggedUnionInputShape::Circle { radius } => std::f64::consts::PI * radius * radius,
            TaggedUnionInputShape::Rectangle { width, height } => width * height,
        };
        Ok(TaggedUnionOutput {
            area,
            shape: TaggedUnionOutputShape::Blob {
                size: area,
                type_: TaggedUnionOutputShapeBlobType::Blob,
            },
        })
    }
}

const STEP: Duration = Duration::from_secs(5);

struct Client {
    reader: BufReader<ReadHalf<DuplexStream>>,
    writer: WriteHalf<DuplexStream>,
    next_id: i64,
}

impl Client {
    async fn start() -> Client {
        let (client, server_end) = tokio::io::duplex(1 << 20);
        let (input, output) = tokio::io::split(server_end);
        tokio::spawn(server(Echo).serve_io(input, output));
        let (reader, writer) = tokio::io::split(client);
        let mut c = Client {
            reader: BufReader::new(reader),
            writer,
            next_id: 1,
        };
        c.call(
            "initialize",
            json!({ "protocolVersion": "2025-11-25", "capabilities": {},
                    "clientInfo": { "name": "goldens", "version": "1" } }),
        )
        .await;
        c.send(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }))
            .await;
        c
    }

    async fn send(&mut self, message: Value) {
        let mut line = serde_json::to_vec(&message).expect("serializes");
        line.push(b'\n');
        self.writer.write_all(&line).await.expect("writes");
    }

    /// Sends a request and returns its result.
    async fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }))
            .await;
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(STEP, self.reader.read_line(&mut line))
                .await
                .expect("an answer in time")
                .expect("reads");
            assert!(n > 0, "the server closed its output");
            let message: Value = serde_json::from_str(&line).expect("JSON");
            if message["id"] == json!(id) {
                assert!(message.get("error").is_none(), "{message}");
                return message["result"].clone();
            }
        }
    }

    async fn call_tool(&mut self, name: &str, arguments: Value) -> Value {
        self.call(
            "tools/call",
            json!({ "name": name, "arguments": arguments }),
        )
        .await
    }
}

fn text(result: &Value) -> &str {
    result["content"][0]["text"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn tools_list_serves_every_schema_verbatim() {
    let manifest: Value =
        serde_yaml::from_str(include_str!("../../tests/corpus/schemas.yaml")).expect("YAML");
    let mut c = Client::start().await;
    let listed = c.call("tools/list", json!({})).await;
    let tools = listed["tools"].as_array().expect("tools");
    assert_eq!(
        tools.len(),
        manifest["tools"].as_object().expect("tools").len()
    );
    for tool in tools {
        let name = tool["name"].as_str().expect("name");
        let declared = &manifest["tools"][name];
        assert_eq!(
            tool["inputSchema"], declared["input"],
            "{name}'s inputSchema"
        );
        match declared.get("output") {
            Some(output) => assert_eq!(&tool["outputSchema"], output, "{name}'s outputSchema"),
            None => assert!(tool.get("outputSchema").is_none(), "{name}"),
        }
    }
}

#[tokio::test]
async fn invalid_arguments_are_is_error_results_naming_json_pointers() {
    let mut c = Client::start().await;

    let r = c
        .call_tool("integer_bounds", json!({ "percent": 101, "days": 0 }))
        .await;
    assert_eq!(r["isError"], true, "{r}");
    let message = text(&r);
    assert!(message.contains("/percent: "), "{message}");
    assert!(message.contains("/days: "), "{message}");
    // Schema validation speaks, not serde.
    assert!(!message.contains("invalid value: integer"), "{message}");

    let r = c
        .call_tool(
            "tagged_union",
            json!({ "shape": { "kind": "circle", "radius": "big" } }),
        )
        .await;
    assert_eq!(r["isError"], true, "{r}");
    assert!(text(&r).contains("/shape"), "{}", text(&r));
    assert!(r.get("structuredContent").is_none(), "{r}");

    // Constraints the types leave out are still enforced: if/then/else, not,
    // dependentRequired, unevaluatedProperties beside an allOf.
    for (tool, arguments, pointer) in [
        ("conditional_fields", json!({ "country": "US" }), "/"),
        ("runtime_checks", json!({ "word": "forbidden" }), "/word"),
        (
            "dependent_fields",
            json!({ "card": "4111111111111111" }),
            "/",
        ),
        (
            "closed_objects",
            json!({ "extended": { "b": "1", "d": "4" } }),
            "/extended",
        ),
        ("pattern_keys", json!({ "env": { "lower": "x" } }), "/env"),
    ] {
        let r = c.call_tool(tool, arguments).await;
        assert_eq!(r["isError"], true, "{tool}: {r}");
        assert!(
            text(&r).contains(&format!("{pointer}: ")),
            "{tool}: {}",
            text(&r)
        );
    }
}

#[tokio::test]
async fn valid_arguments_reach_the_handler_typed() {
    let mut c = Client::start().await;

    let r = c
        .call_tool(
            "tagged_union",
            json!({ "shape": { "kind": "rectangle", "width": 2, "height": 3 } }),
        )
        .await;
    assert_ne!(r["isError"], true, "{r}");
    assert_eq!(
        r["structuredContent"],
        json!({ "area": 6.0, "shape": { "size": 6.0, "type": "blob" } })
    );

    // Defaults applied, integral floats taken as integers.
    let r = c.call_tool("defaults", json!({ "page": 2.0 })).await;
    assert_ne!(r["isError"], true, "{r}");
    let echoed: Value = serde_json::from_str(text(&r)).expect("JSON text");
    assert_eq!(echoed["page"], 2);
    assert_eq!(echoed["order"], "asc");

    let r = c
        .call_tool(
            "recursive_root",
            json!({ "name": "/", "folders": [{ "name": "etc", "folders": [] }] }),
        )
        .await;
    assert_ne!(r["isError"], true, "{r}");
    let echoed: Value = serde_json::from_str(text(&r)).expect("JSON text");
    assert_eq!(echoed["folders"][0]["name"], "etc");
}
