//! The committed manifest schema is current, and the real manifest satisfies it.

#[test]
fn committed_manifest_schema_is_current() {
    let committed = std::fs::read_to_string("../specs/manifest.schema.json").unwrap_or_default();
    assert!(
        committed == mcpgen_codegen::manifest_schema(),
        "specs/manifest.schema.json is stale; regenerate it with\n\n    \
         cargo run -p mcpgen-codegen -- schema > specs/manifest.schema.json\n"
    );
}

#[test]
fn everything_yaml_satisfies_the_manifest_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&mcpgen_codegen::manifest_schema()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the manifest schema compiles");
    for manifest in ["../specs/everything.yaml", "tests/fixtures/types.json"] {
        let text = std::fs::read_to_string(manifest).unwrap();
        let value: serde_json::Value = serde_yaml::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{manifest}: {errors:#?}");
    }
    let bad: serde_json::Value =
        serde_yaml::from_str("server: { name: x, version: '1' }\ntool: {}\n").unwrap();
    assert!(
        !validator.is_valid(&bad),
        "unknown keys must be rejected by the schema"
    );
}
