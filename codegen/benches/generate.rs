//! Generation time: a manifest's text in, formatted Rust out, through
//! `Builder::render_source` (load → validate → typify → emit → prettyplease).
//!
//! The manifests are built here, in memory: tools cycle through realistic shapes
//! (flat arguments with bounds, enums and defaults; nested objects and arrays of
//! them; maps; tagged unions; `$defs`/`$ref`; nullable and formatted fields;
//! structured output; no arguments), with resources, resource templates, prompts,
//! elicitation forms and completions alongside, roughly one of those per ten tools.
//!
//! `cargo bench -p mcpgen-codegen --bench generate`; under `cargo test` each
//! benchmark runs once, as a test, on 10 and 100 tools.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mcpgen_codegen::Builder;
use serde_json::{Map, Value, json};

/// The input (and maybe output) schema of tool number `i`.
fn tool(i: usize) -> Value {
    let name = format!("tool_{i:04}");
    let description = format!("Tool number {i}: does one realistic thing.");
    let (input, output) = match i % 8 {
        // Flat arguments: bounds, an enum, defaults.
        0 => (
            json!({
                "type": "object",
                "properties": {
                    "city": { "type": "string", "description": "City name.", "minLength": 1 },
                    "days": { "type": "integer", "minimum": 1, "maximum": 14, "default": 3 },
                    "units": { "type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius" }
                },
                "required": ["city"],
                "additionalProperties": false
            }),
            None,
        ),
        // Nested objects and an array of objects, with structured output.
        1 => (
            json!({
                "type": "object",
                "properties": {
                    "order": {
                        "type": "object",
                        "properties": {
                            "customer": {
                                "type": "object",
                                "properties": {
                                    "name": { "type": "string" },
                                    "email": { "type": "string", "format": "email" }
                                },
                                "required": ["name"]
                            },
                            "lines": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "sku": { "type": "string" },
                                        "quantity": { "type": "integer", "minimum": 1 }
                                    },
                                    "required": ["sku", "quantity"]
                                }
                            }
                        },
                        "required": ["customer", "lines"]
                    }
                },
                "required": ["order"]
            }),
            Some(json!({
                "type": "object",
                "properties": {
                    "id": { "type": "string" },
                    "total": { "type": "number" },
                    "status": { "type": "string", "enum": ["accepted", "rejected", "pending"] }
                },
                "required": ["id", "total", "status"]
            })),
        ),
        // A map of numbers and a list of tags.
        2 => (
            json!({
                "type": "object",
                "properties": {
                    "weights": { "type": "object", "additionalProperties": { "type": "number" } },
                    "tags": { "type": "array", "items": { "type": "string" }, "uniqueItems": true }
                }
            }),
            None,
        ),
        // A tagged union.
        3 => (
            json!({
                "type": "object",
                "properties": {
                    "shape": {
                        "oneOf": [
                            {
                                "type": "object",
                                "properties": {
                                    "kind": { "const": "circle" },
                                    "radius": { "type": "number" }
                                },
                                "required": ["kind", "radius"]
                            },
                            {
                                "type": "object",
                                "properties": {
                                    "kind": { "const": "rectangle" },
                                    "width": { "type": "number" },
                                    "height": { "type": "number" }
                                },
                                "required": ["kind", "width", "height"]
                            }
                        ]
                    }
                },
                "required": ["shape"]
            }),
            None,
        ),
        // `$defs` and `$ref`, shared by input and output.
        4 => {
            let defs = json!({
                "address": {
                    "type": "object",
                    "properties": {
                        "street": { "type": "string" },
                        "city": { "type": "string" },
                        "country": { "type": "string", "enum": ["FR", "DE", "JP", "US"] }
                    },
                    "required": ["city"]
                }
            });
            (
                json!({
                    "type": "object",
                    "$defs": defs,
                    "properties": {
                        "home": { "$ref": "#/$defs/address" },
                        "work": { "$ref": "#/$defs/address" }
                    },
                    "required": ["home"]
                }),
                Some(json!({
                    "type": "object",
                    "$defs": defs,
                    "properties": { "normalized": { "$ref": "#/$defs/address" } },
                    "required": ["normalized"]
                })),
            )
        }
        // Nullable and formatted fields.
        5 => (
            json!({
                "type": "object",
                "properties": {
                    "since": { "type": "string", "format": "date-time" },
                    "id": { "type": "string", "format": "uuid" },
                    "note": { "type": ["string", "null"] },
                    "limit": { "type": "integer", "minimum": 0, "maximum": 1000, "default": 50 }
                }
            }),
            None,
        ),
        // No arguments.
        6 => (Value::Null, None),
        // Arguments and a structured result with a nested list.
        _ => (
            json!({
                "type": "object",
                "properties": { "query": { "type": "string" }, "page": { "type": "integer" } },
                "required": ["query"]
            }),
            Some(json!({
                "type": "object",
                "properties": {
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "title": { "type": "string" },
                                "score": { "type": "number" }
                            },
                            "required": ["title", "score"]
                        }
                    },
                    "next_page": { "type": "integer" }
                },
                "required": ["results"]
            })),
        ),
    };
    let mut t = Map::new();
    t.insert("title".into(), json!(format!("Tool {i}")));
    t.insert("description".into(), json!(description));
    if !input.is_null() {
        t.insert("input".into(), input);
    }
    if let Some(output) = output {
        t.insert("output".into(), output);
    }
    if i % 3 == 0 {
        t.insert(
            "annotations".into(),
            json!({ "readOnlyHint": true, "openWorldHint": false }),
        );
    }
    json!({ name: t })
}

/// A manifest with `tools` tools and a tenth as many of every other kind of item,
/// as YAML text (what authors write).
fn manifest(tools: usize) -> String {
    let others = (tools / 10).max(1);
    let mut tool_map = Map::new();
    for i in 0..tools {
        if let Value::Object(t) = tool(i) {
            tool_map.extend(t);
        }
    }
    let resources: Vec<Value> = (0..others)
        .map(|i| {
            if i % 2 == 0 {
                json!({
                    "uri": format!("docs://page/{i}"),
                    "name": format!("page-{i}"),
                    "description": "A static page.",
                    "mime_type": "text/markdown",
                    "text": format!("# Page {i}\n\nSome text.\n")
                })
            } else {
                json!({
                    "uri": format!("live://feed/{i}"),
                    "name": format!("feed-{i}"),
                    "description": "Read by a handler.",
                    "mime_type": "application/json"
                })
            }
        })
        .collect();
    let templates: Vec<Value> = (0..others)
        .map(|i| {
            let mut t = json!({
                "uri_template": format!("items{i}://{{kind}}/{{id}}"),
                "name": format!("items-{i}"),
                "description": "Items by kind and id.",
                "mime_type": "text/plain",
                "variables": {
                    "kind": { "type": "string", "description": "The kind." },
                    "id": { "type": "integer", "description": "The id." }
                }
            });
            if i % 2 == 0 {
                t["text"] = json!("Item {{ id }} of kind {{ kind }}");
            }
            t
        })
        .collect();
    let mut prompts = Map::new();
    let mut completions = Vec::new();
    for i in 0..others {
        let name = format!("prompt_{i}");
        let mut p = json!({
            "description": "Plan a trip.",
            "arguments": {
                "city": { "description": "Destination", "required": true },
                "days": { "description": "Length in days" }
            }
        });
        if i % 2 == 0 {
            p["messages"] = json!([
                { "role": "user", "text": "Plan {{ days or 3 }} days in {{ city }}." },
                { "role": "assistant", "text": "Sure: which season?" }
            ]);
        }
        completions.push(json!({
            "prompt": name,
            "argument": "city",
            "values": ["London", "Paris", "Tokyo"]
        }));
        prompts.insert(name, p);
    }
    for i in (1..others).step_by(2) {
        completions.push(json!({
            "template": format!("items{i}://{{kind}}/{{id}}"),
            "variable": "kind",
            "coded": true
        }));
    }
    let mut elicitations = Map::new();
    for i in 0..others {
        elicitations.insert(
            format!("form_{i}"),
            json!({
                "message": "Please confirm.",
                "schema": {
                    "type": "object",
                    "properties": {
                        "name": { "type": "string", "description": "Your name." },
                        "age": { "type": "integer", "minimum": 0 },
                        "plan": { "type": "string", "enum": ["free", "pro"], "default": "free" },
                        "agree": { "type": "boolean" }
                    },
                    "required": ["name", "agree"]
                }
            }),
        );
    }
    let manifest = json!({
        "server": {
            "name": "bench",
            "version": "1.0.0",
            "instructions": "A large generated manifest."
        },
        "tools": tool_map,
        "resources": resources,
        "resource_templates": templates,
        "prompts": prompts,
        "elicitations": elicitations,
        "completions": completions,
    });
    serde_yaml::to_string(&manifest).unwrap_or_else(|e| panic!("the manifest serializes: {e}"))
}

/// Whether criterion measures (`cargo bench` passes `--bench`) rather than runs
/// each benchmark once as a test (`cargo test`), by criterion's own rule.
fn measuring() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test")
}

fn generate(c: &mut Criterion) {
    let mut group = c.benchmark_group("generate");
    // Each 1,000-tool iteration takes most of a second: fewer samples keep
    // `cargo bench` to about a minute.
    group.sample_size(20);
    // Under `cargo test` (a debug build, several times slower) a 100-tool manifest
    // covers every shape of item and keeps the test run quick.
    let sizes: &[usize] = if measuring() { &[10, 1000] } else { &[10, 100] };
    for &tools in sizes {
        let source = manifest(tools);
        let builder = Builder::new();
        // Checked once, outside the timing: the whole manifest generates, every
        // tool gets its method.
        let code = builder
            .render_source("bench.yaml", &source)
            .unwrap_or_else(|d| panic!("the {tools}-tool manifest generates:\n{d}"));
        let last = format!("fn tool_{:04}(", tools - 1);
        assert!(code.contains(&last), "no `{last}` in the generated code");
        assert_eq!(code.matches("b.tool(").count(), tools);

        group.throughput(Throughput::Elements(tools as u64));
        group.bench_with_input(BenchmarkId::new("tools", tools), &source, |b, source| {
            b.iter(|| builder.render_source("bench.yaml", source))
        });
    }
    group.finish();
}

criterion_group!(benches, generate);
criterion_main!(benches);
