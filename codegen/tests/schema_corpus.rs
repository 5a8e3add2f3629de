//! The schema corpus (`tests/corpus/schemas.yaml`): every tool's warnings, exactly
//! (a tool missing from the table must have none), the schemas served verbatim,
//! and typify kept from crashing the build or printing its panics.
//!
//! That the generated types are sound and precise is checked where they compile:
//! `goldens/tests/schema_types.rs` and `goldens/tests/runtime_validation.rs`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use mcpgen_codegen::{Builder, Severity};
use serde_json::Value;

const CORPUS: &str = "tests/corpus/schemas.yaml";

const CHECKED_AT_RUNTIME: &str = "the served schema is unchanged, and arguments are validated against it before the handler runs";

/// A warning: its path below the tool, its message and its hint.
type Expected = (&'static str, &'static str, Option<&'static str>);

/// Every warning the corpus yields, by tool.
fn expected() -> BTreeMap<&'static str, Vec<Expected>> {
    let checked = Some(CHECKED_AT_RUNTIME);
    BTreeMap::from([
        (
            "constants",
            vec![(
                "input.properties.origin.const",
                "a `const` object has no Rust type: `ConstantsInput` holds this part as `Map<String, serde_json::Value>`",
                checked,
            )],
        ),
        (
            "defaults",
            vec![(
                "input.properties.retries.default",
                "the default 0 is not valid under its own schema, so `DefaultsInput` does not apply it",
                Some("fix or remove the default"),
            )],
        ),
        (
            "tuples",
            vec![(
                "input.properties.header_then_rows.prefixItems",
                "`prefixItems` has no Rust type when the items differ and the length varies: `TuplesInput` holds this part as `Vec<serde_json::Value>`",
                checked,
            )],
        ),
        (
            "conditional_fields",
            vec![
                (
                    "input.if",
                    "`if`/`then`/`else` is not expressed in `ConditionalFieldsInput`: arguments are checked against it at runtime, before the handler runs",
                    None,
                ),
                (
                    "output.dependentRequired",
                    "`dependentRequired` is not expressed in `ConditionalFieldsOutput`: results are not checked against it, so the handler must uphold it",
                    None,
                ),
            ],
        ),
        (
            "dependent_fields",
            vec![
                (
                    "input.dependentRequired",
                    "`dependentRequired` is not expressed in `DependentFieldsInput`: arguments are checked against it at runtime, before the handler runs",
                    None,
                ),
                (
                    "input.dependentSchemas",
                    "`dependentSchemas` is not expressed in `DependentFieldsInput`: arguments are checked against it at runtime, before the handler runs",
                    None,
                ),
            ],
        ),
        (
            "closed_objects",
            vec![(
                "input.properties.extended.unevaluatedProperties",
                "`unevaluatedProperties` is not expressed in `ClosedObjectsInput`: arguments are checked against it at runtime, before the handler runs",
                None,
            )],
        ),
        (
            "pattern_keys",
            vec![
                (
                    "input.properties.env.patternProperties",
                    "the key pattern `^[A-Z_]+$` of `patternProperties` is not expressed in `PatternKeysInput`: arguments are checked against it at runtime, before the handler runs",
                    None,
                ),
                (
                    "input.properties.config.patternProperties",
                    "`patternProperties` beside `properties` has no Rust type (the properties it matches are kept in the `extra` field): `PatternKeysInput` holds this part as `Map<String, serde_json::Value>`",
                    checked,
                ),
            ],
        ),
        (
            "runtime_checks",
            vec![
                (
                    "input.properties.word.not",
                    "`not` is not expressed in `RuntimeChecksInput`: arguments are checked against it at runtime, before the handler runs",
                    None,
                ),
                (
                    "input.properties.numbers.contains",
                    "`contains` is not expressed in `RuntimeChecksInput`: arguments are checked against it at runtime, before the handler runs",
                    None,
                ),
                (
                    "input.properties.lowercase_keys.propertyNames",
                    "`propertyNames` is not expressed in `RuntimeChecksInput`: arguments are checked against it at runtime, before the handler runs",
                    None,
                ),
            ],
        ),
        (
            "untyped_parts",
            vec![
                (
                    "input.properties.settings",
                    "this schema has no `type`, so any JSON value is valid here: `UntypedPartsInput` holds this part as `serde_json::Value`",
                    Some("add `type: object` (or the type you mean) to get a precise type"),
                ),
                (
                    "input.properties.level.enum",
                    "`enum` with values of several JSON types has no Rust type: `UntypedPartsInput` holds this part as `serde_json::Value`",
                    checked,
                ),
            ],
        ),
    ])
}

fn manifest() -> Value {
    let text = std::fs::read_to_string(CORPUS).expect("the corpus is readable");
    serde_yaml::from_str(&text).expect("the corpus is YAML")
}

#[test]
fn every_tool_warns_exactly_as_expected() {
    let diags = Builder::new().manifest(CORPUS).check();
    assert!(!diags.has_errors(), "{diags}");
    let manifest = manifest();
    let tools = manifest["tools"].as_object().expect("tools");
    let mut expected = expected();
    for tool in expected.keys() {
        assert!(tools.contains_key(*tool), "no tool `{tool}` in the corpus");
    }
    for tool in tools.keys() {
        let prefix = format!("tools.{tool}.");
        let got: Vec<(String, String, Option<String>)> = diags
            .iter()
            .filter(|d| d.path.starts_with(&prefix))
            .map(|d| {
                assert_eq!(d.severity, Severity::Warning, "{d}");
                (
                    d.path[prefix.len()..].to_owned(),
                    d.message.clone(),
                    d.hint.clone(),
                )
            })
            .collect();
        let want: Vec<(String, String, Option<String>)> = expected
            .remove(tool.as_str())
            .unwrap_or_default()
            .into_iter()
            .map(|(p, m, h)| (p.to_owned(), m.to_owned(), h.map(str::to_owned)))
            .collect();
        assert_eq!(got, want, "warnings of tool `{tool}`");
    }
    let tool_warnings = diags
        .iter()
        .filter(|d| d.path.starts_with("tools."))
        .count();
    assert_eq!(tool_warnings, diags.len(), "only tools warn:\n{diags}");
}

#[test]
fn a_fallback_warning_renders_with_its_source_line() {
    let diags = Builder::new().manifest(CORPUS).check();
    let warning = diags
        .iter()
        .find(|d| d.path == "tools.tuples.input.properties.header_then_rows.prefixItems")
        .expect("the prefixItems warning");
    let line = warning.line.expect("located");
    let text = std::fs::read_to_string(CORPUS).expect("readable");
    let source = text.lines().nth(line - 1).expect("the line");
    assert_eq!(source.trim(), "prefixItems: [{ type: string }]");
    let gutter = " ".repeat(line.to_string().len());
    assert_eq!(
        warning.render(),
        format!(
            "warning: `prefixItems` has no Rust type when the items differ and the length varies: \
             `TuplesInput` holds this part as `Vec<serde_json::Value>`\n\
             {gutter}--> {CORPUS}:{line}:11\n\
             {gutter} |\n\
             {line} | {}\n\
             {gutter} |           ^^^^^^^^^^^\n\
             {gutter} = path: tools.tuples.input.properties.header_then_rows.prefixItems\n\
             {gutter} = hint: {CHECKED_AT_RUNTIME}\n",
            source.trim_end()
        )
    );
}

#[test]
fn served_schemas_are_the_manifest_verbatim() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("schema_corpus_served");
    let _ = std::fs::remove_dir_all(&dir);
    Builder::new()
        .manifest(CORPUS)
        .out_dir(&dir)
        .generate()
        .unwrap_or_else(|d| panic!("{d}"));
    let code = std::fs::read_to_string(dir.join("schemas.rs")).expect("generated code");
    let manifest = manifest();
    let mut files = 0;
    for (tool, def) in manifest["tools"].as_object().expect("tools") {
        for (kind, key) in [("input", "inputSchema"), ("output", "outputSchema")] {
            let Some(schema) = def.get(kind) else {
                assert!(
                    !dir.join(format!("schemas.schemas/{tool}.{kind}.json"))
                        .exists(),
                    "{tool} has no {kind} schema"
                );
                continue;
            };
            let file = dir.join(format!("schemas.schemas/{tool}.{kind}.json"));
            let text = std::fs::read_to_string(&file).expect("schema file");
            // Byte for byte: the author's schema, pretty-printed in the author's order.
            let pretty = serde_json::to_string_pretty(schema).expect("JSON") + "\n";
            assert_eq!(text, pretty, "{tool}.{kind}.json");
            // And what `tools/list` serves, embedded in the registration.
            let embedded = format!("\"{key}\":{}", serde_json::to_string(schema).expect("JSON"));
            assert!(
                code.contains(&embedded),
                "{tool}'s {key} is not served verbatim"
            );
            files += 1;
        }
    }
    assert_eq!(files, 31, "every input and output schema of the corpus");
}

/// Schemas typify panics on, or would recurse on forever, or that nest deeper
/// than it can follow.
fn hostile_manifest() -> String {
    let mut deep = r#"{"type":"string"}"#.to_owned();
    for _ in 0..52 {
        deep = format!(r#"{{"type":"object","properties":{{"a":{deep}}}}}"#);
    }
    format!(
        r##"{{
  "server": {{ "name": "hostile", "version": "1.0.0" }},
  "tools": {{
    "clashing_enum": {{
      "description": "Enum values typify cannot name apart.",
      "input": {{ "type": "object", "properties": {{ "op": {{ "type": "string", "enum": ["a-b", "a_b", "A B"] }} }} }}
    }},
    "clashing_fields": {{
      "description": "Property names that become the same Rust field.",
      "input": {{ "type": "object", "properties": {{ "a-b": {{ "type": "string" }}, "a_b": {{ "type": "integer" }}, "ok": {{ "type": "boolean" }} }} }}
    }},
    "merge_cycle": {{
      "description": "Definitions that include each other through allOf.",
      "input": {{
        "type": "object",
        "$defs": {{
          "a": {{ "type": "object", "properties": {{ "x": {{ "type": "string" }} }}, "allOf": [{{ "$ref": "#/$defs/b" }}] }},
          "b": {{ "type": "object", "properties": {{ "y": {{ "type": "string" }} }}, "allOf": [{{ "$ref": "#/$defs/a" }}] }}
        }},
        "properties": {{ "value": {{ "$ref": "#/$defs/a" }} }}
      }}
    }},
    "self_merge": {{
      "description": "The root includes itself.",
      "input": {{ "type": "object", "allOf": [{{ "$ref": "#" }}], "properties": {{ "n": {{ "type": "integer" }} }} }}
    }},
    "huge_default": {{
      "description": "An integer default no Rust integer holds.",
      "input": {{ "type": "object", "properties": {{ "n": {{ "type": ["integer", "string"], "default": 1e20 }} }} }}
    }},
    "deep": {{ "description": "Fifty-two levels of objects.", "input": {deep} }}
  }}
}}"##
    )
}

#[test]
fn hostile_schemas_generate_code_and_say_which_parts_fall_back() {
    // A test thread's stack is small (2 MiB): deep schemas must not overflow it.
    let code = Builder::new()
        .render_source("hostile.json", &hostile_manifest())
        .unwrap_or_else(|d| panic!("{d}"));
    syn::parse_file(&code).expect("generated code parses");
    assert!(code.contains("pub op: ::std::option::Option<ClashingEnumInputOp>"));
    // Names that clash as Rust names are numbered, not fallen back.
    assert!(code.contains("pub struct ClashingFieldsInput {"));
    assert!(code.contains("pub a_b_2: ::std::option::Option<i64>"));
    assert!(code.contains("pub enum ClashingEnumInputOp {"));
    let diags = Builder::new().manifest(write_hostile()).check();
    assert!(!diags.has_errors(), "{diags}");
    let got: Vec<(&str, &str)> = diags
        .iter()
        .map(|d| (d.path.as_str(), d.message.as_str()))
        .filter(|(p, _)| !p.starts_with("tools.deep."))
        .collect();
    assert_eq!(
        got,
        [
            (
                "tools.merge_cycle.input.$defs.a.allOf[0]",
                "a `$ref` that reaches itself through `allOf`, `anyOf` or `oneOf` alone has no Rust type: `MergeCycleInput` holds this part as `serde_json::Value`"
            ),
            (
                "tools.merge_cycle.input.$defs.b.allOf[0]",
                "a `$ref` that reaches itself through `allOf`, `anyOf` or `oneOf` alone has no Rust type: `MergeCycleInput` holds this part as `serde_json::Value`"
            ),
            (
                "tools.self_merge.input.allOf[0]",
                "a `$ref` that reaches itself through `allOf`, `anyOf` or `oneOf` alone has no Rust type: `SelfMergeInput` holds this part as `serde_json::Value`"
            ),
            (
                "tools.huge_default.input.properties.n.default",
                "the default 1e+20 holds an integer beyond 64 bits, so `HugeDefaultInput` does not apply it"
            ),
        ]
    );
    let deep: Vec<_> = diags
        .iter()
        .filter(|d| d.path.starts_with("tools.deep."))
        .collect();
    assert_eq!(deep.len(), 1, "{diags}");
    assert!(
        deep[0]
            .message
            .starts_with("a schema nested more than 48 levels deep has no Rust type"),
        "{}",
        deep[0].message
    );
}

fn write_hostile() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("schema_corpus_hostile");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join("hostile.json");
    std::fs::write(&path, hostile_manifest()).expect("scratch manifest");
    path
}

#[test]
fn typify_panics_never_reach_stderr() {
    let manifest = write_hostile();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mcpgen"))
        .arg("check")
        .arg(&manifest)
        .output()
        .expect("mcpgen runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // The warnings are rendered (the guard's own test shows a panic kept quiet;
    // the enum clash that made typify panic here is now named apart).
    assert!(
        stderr.contains("nested more than 48 levels deep"),
        "{stderr}"
    );
    for leak in ["panicked", "thread '", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(
            !stderr.contains(leak),
            "`{leak}` leaked to stderr:\n{stderr}"
        );
    }
}
