//! The diagnostics catalogue: one manifest per kind of problem in
//! `tests/diagnostics/<case>.yaml` (or `.json`), with the exact rendered output
//! beside it in `<case>.stderr`. Every problem is reported in one run, each with
//! its position, rendered like rustc.
//!
//! `MCPGEN_BLESS=1 cargo test -p mcpgen-codegen --test diagnostics` rewrites the
//! expectations; review their diff like any other change.

use std::path::{Path, PathBuf};
use std::process::Command;

use mcpgen_codegen::{Builder, Diagnostics, Severity};

const DIR: &str = "tests/diagnostics";

/// The manifest of a case.
fn manifest(case: &str) -> PathBuf {
    ["yaml", "json"]
        .iter()
        .map(|ext| Path::new(DIR).join(format!("{case}.{ext}")))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("no manifest for case `{case}` in {DIR}"))
}

/// Checks the case's manifest and compares the rendered output with
/// `<case>.stderr` (or writes it, when blessing).
fn snapshot(case: &str) -> Diagnostics {
    let diagnostics = Builder::new().manifest(manifest(case)).check();
    let actual = diagnostics.render();
    let expected_path = Path::new(DIR).join(format!("{case}.stderr"));
    if std::env::var_os("MCPGEN_BLESS").is_some() {
        std::fs::write(&expected_path, &actual).expect("write the expectation");
    } else {
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
            panic!(
                "{} is missing; run with MCPGEN_BLESS=1 to create it",
                expected_path.display()
            )
        });
        assert!(
            actual == expected,
            "the diagnostics of `{case}` changed (MCPGEN_BLESS=1 accepts them)\n--- expected\n{expected}\n--- actual\n{actual}"
        );
    }
    diagnostics
}

/// What a case must report, beyond matching its snapshot.
enum Expect {
    /// At least one error.
    Errors,
    /// Warnings, and no error: the manifest still generates.
    WarningsOnly,
}

macro_rules! catalogue {
    ($($case:ident: $expect:ident,)*) => {
        /// Every case, to check that each manifest in the directory has a test.
        const CASES: &[&str] = &[$(stringify!($case),)* "many_errors", "json_manifest"];
        $(
            #[test]
            fn $case() {
                let d = snapshot(stringify!($case));
                match Expect::$expect {
                    Expect::Errors => assert!(d.has_errors(), "{d}"),
                    Expect::WarningsOnly => {
                        assert!(!d.has_errors(), "{d}");
                        assert!(d.warnings().count() > 0, "{d}");
                    }
                }
            }
        )*
    };
}

catalogue! {
    yaml_unclosed_quote: Errors,
    yaml_bad_indentation: Errors,
    yaml_colon_in_value: Errors,
    yaml_tab_indentation: Errors,
    yaml_unclosed_list: Errors,
    yaml_unsupported: Errors,
    yaml_unknown_alias: Errors,
    json_trailing_comma: Errors,
    json_unclosed: Errors,
    json_comment: Errors,
    json_duplicate_keys: Errors,
    empty_manifest: Errors,
    not_a_map: Errors,
    server_missing: Errors,
    server_empty: Errors,
    unknown_fields: Errors,
    wrong_types: Errors,
    unknown_values: Errors,
    missing_fields: Errors,
    duplicate_keys: Errors,
    duplicate_names: Errors,
    tool_names: Errors,
    rust_names: Errors,
    schema_root: Errors,
    schema_invalid: Errors,
    unresolvable_ref: Errors,
    elicitation_forms: Errors,
    uri_templates: Errors,
    template_variables: WarningsOnly,
    prompt_templates: Errors,
    completions: Errors,
    missing_files: Errors,
    resource_contents: Errors,
    missing_descriptions: WarningsOnly,
    header_params: Errors,
    tool_policies: WarningsOnly,
    tool_timeouts: Errors,
    policy_values: Errors,
    definitions: Errors,
    yaml_bom: Errors,
    json_bom: Errors,
    yaml_two_documents: Errors,
    yaml_not_utf8: Errors,
    yaml_merge_keys: Errors,
    yaml_merge_invalid: Errors,
    json_merge_key: Errors,
    numbers_too_large: Errors,
    access: Errors,
    json_numbers_too_large: Errors,
}

#[test]
fn many_errors() {
    let d = snapshot("many_errors");
    // Many different problems, from every section, in one run…
    assert!(d.errors().count() >= 12, "{d}");
    assert!(d.warnings().count() >= 2, "{d}");
    let sections: std::collections::BTreeSet<&str> = d
        .iter()
        .map(|x| x.path.split(['.', '[']).next().unwrap_or_default())
        .collect();
    for section in [
        "server",
        "tools",
        "resources",
        "resource_templates",
        "prompts",
        "elicitations",
        "completions",
    ] {
        assert!(
            sections.contains(section),
            "nothing reported in `{section}`: {d}"
        );
    }
    // …sorted by position.
    let positions: Vec<(usize, usize)> = d
        .iter()
        .map(|x| (x.line.unwrap_or(0), x.column.unwrap_or(0)))
        .collect();
    assert!(positions.is_sorted(), "{positions:?}");
    assert!(
        d.iter().all(|x| x.line.is_some() && x.column.is_some()),
        "{d}"
    );
}

#[test]
fn json_manifest() {
    let d = snapshot("json_manifest");
    assert!(d.has_errors());
    // JSON manifests carry lines and columns like YAML ones.
    for x in d.iter() {
        assert!(x.line.is_some() && x.column.is_some(), "no position: {x}");
    }
}

#[test]
fn every_manifest_in_the_catalogue_has_a_test() {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(DIR).expect("the catalogue directory") {
        let path = entry.expect("an entry").path();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        match ext {
            "yaml" | "json" => found.push(stem),
            "stderr" => assert!(
                manifest_exists(&stem),
                "{} has no manifest beside it",
                path.display()
            ),
            _ => {}
        }
    }
    found.sort();
    for case in &found {
        assert!(CASES.contains(&case.as_str()), "{DIR}/{case} has no test");
    }
    assert_eq!(
        found.len(),
        CASES.len(),
        "a case is listed twice, or its manifest is missing"
    );
}

fn manifest_exists(stem: &str) -> bool {
    ["yaml", "json"]
        .iter()
        .any(|ext| Path::new(DIR).join(format!("{stem}.{ext}")).exists())
}

#[test]
fn missing_manifest_is_an_error() {
    let d = Builder::new().manifest(format!("{DIR}/nope.yaml")).check();
    assert!(d.has_errors());
    assert!(
        d.render().starts_with("error: cannot read the manifest"),
        "{}",
        d.render()
    );
}

#[test]
fn no_diagnostic_names_a_machine_path() {
    let cwd = std::env::current_dir().expect("the current directory");
    let cwd = cwd.to_string_lossy();
    for case in CASES {
        let d = Builder::new().manifest(manifest(case)).check();
        for x in d.iter() {
            let text = format!("{} {}", x.message, x.hint.as_deref().unwrap_or_default());
            assert!(
                !text.contains(cwd.as_ref()),
                "`{case}` names a machine path: {x}"
            );
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let indented: String = (0..300)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    for source in ["- ".repeat(20_000), "[".repeat(20_000), indented] {
        for name in ["deep.yaml", "deep.json"] {
            let refused = Builder::new().render_source(name, &source);
            assert!(refused.is_err_and(|d| d.has_errors()), "{name}");
        }
    }
}

#[test]
fn damaged_manifests_are_reported_not_panicked_on() {
    for case in CASES {
        let path = manifest(case);
        // Lossily: a case may be there for its bytes that are not UTF-8.
        let bytes = std::fs::read(&path).expect("the manifest");
        let source = String::from_utf8_lossy(&bytes);
        let cuts: Vec<usize> = source.char_indices().map(|(i, _)| i).collect();
        for cut in cuts.iter().step_by(cuts.len() / 25 + 1) {
            // A panic fails the test; the diagnostics themselves may be anything.
            let _ = Builder::new().render_source(&path, &source[..*cut]);
        }
    }
}

fn mcpgen(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mcpgen"))
        .args(args)
        .output()
        .expect("run mcpgen")
}

#[test]
fn check_prints_json_for_tools() {
    let case = manifest("many_errors");
    let case = case.to_str().expect("a UTF-8 path");
    let out = mcpgen(&["check", "--format", "json", case]);
    assert_eq!(out.status.code(), Some(1), "errors exit with 1");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let list = json["diagnostics"]
        .as_array()
        .expect("a `diagnostics` list");

    // The documented shape: every key, always present.
    for d in list {
        let keys: Vec<&str> = d
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "severity",
                "file",
                "line",
                "column",
                "end_column",
                "path",
                "message",
                "hint"
            ]
        );
        assert!(matches!(d["severity"].as_str(), Some("error" | "warning")));
        assert_eq!(d["file"], case);
        assert!(d["line"].is_u64() && d["column"].is_u64() && d["end_column"].is_u64());
        assert!(d["message"].is_string());
        assert!(d["hint"].is_string() || d["hint"].is_null());
    }
    let count = |s: &str| list.iter().filter(|d| d["severity"] == s).count();
    assert_eq!(json["errors"], count("error"));
    assert_eq!(json["warnings"], count("warning"));

    // The same diagnostics, in the same order, as the library reports.
    let lib = Builder::new().manifest(case).check();
    assert_eq!(list.len(), lib.len());
    for (d, x) in list.iter().zip(lib.iter()) {
        assert_eq!(d["line"], x.line.expect("a line"));
        assert_eq!(d["column"], x.column.expect("a column"));
        assert_eq!(d["path"], x.path.as_str());
        assert_eq!(d["message"], x.message.as_str());
        assert_eq!(
            d["severity"],
            if x.severity == Severity::Error {
                "error"
            } else {
                "warning"
            }
        );
    }
}

#[test]
fn check_json_without_errors_exits_0() {
    let out = mcpgen(&[
        "check",
        "--format",
        "json",
        &manifest("missing_descriptions").to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(json["errors"], 0);
    assert!(json["warnings"].as_u64().is_some_and(|w| w > 0));
}

#[test]
fn check_human_output_is_the_rendering() {
    let case = manifest("unknown_fields");
    let out = mcpgen(&["check", &case.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let expected = Builder::new().manifest(&case).check().render();
    assert_eq!(String::from_utf8_lossy(&out.stderr), expected);
}
