//! `docs/manifest.md` is tested: its examples generate (or fail) as it says, the
//! Rust it shows is what the generator emits, and it documents every field of the
//! manifest format.
//!
//! Fenced blocks, by info string:
//!
//! - ` ```yaml ` / ` ```json `: a complete manifest; it generates with no error and
//!   no warning. `name=<file>` names it (default `example.yaml`): the file stem
//!   names the trait. Files it references resolve against `specs/`.
//! - ` ```yaml warning: <text> `: a complete manifest that generates, with a warning
//!   whose rendering contains `<text>`.
//! - ` ```yaml error: <text> `: a complete manifest that fails, with an error whose
//!   rendering contains `<text>`.
//! - ` ```yaml fragment `: part of a manifest; it must parse as YAML.
//! - ` ```rust generated `: code the nearest complete manifest above it generates.
//!   Each chunk of it (chunks are separated by blank lines) must appear in the
//!   generated code, ignoring whitespace, trailing commas and doc comments.
//!
//! Each field table follows a `<!-- schema: <Definition> -->` marker and must list
//! exactly the properties of that definition of the manifest schema.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use mcpgen_codegen::Builder;
use serde_json::Value;

const DOC: &str = "../docs/manifest.md";

/// What a fenced block of the doc is meant to be.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Manifest,
    Warning(String),
    Error(String),
    Fragment,
    Generated,
    /// Shell, `rust,ignore` and other illustrations: not checked.
    Other,
}

#[derive(Debug)]
struct Block {
    /// 1-based line of the opening fence.
    line: usize,
    language: String,
    name: Option<String>,
    kind: Kind,
    text: String,
}

fn doc() -> String {
    std::fs::read_to_string(DOC).unwrap_or_else(|e| panic!("reading {DOC}: {e}"))
}

fn parse_info(info: &str) -> (String, Option<String>, Kind) {
    let mut rest = info.trim();
    let language = rest
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    rest = rest[language.len()..].trim_start();
    let mut name = None;
    if let Some(after) = rest.strip_prefix("name=") {
        let end = after.find(char::is_whitespace).unwrap_or(after.len());
        name = Some(after[..end].to_owned());
        rest = after[end..].trim_start();
    }
    let kind = match language.as_str() {
        "yaml" | "json" => {
            if let Some(text) = rest.strip_prefix("error:") {
                Kind::Error(text.trim().to_owned())
            } else if let Some(text) = rest.strip_prefix("warning:") {
                Kind::Warning(text.trim().to_owned())
            } else if rest == "fragment" {
                Kind::Fragment
            } else {
                assert!(rest.is_empty(), "unknown marker in info string `{info}`");
                Kind::Manifest
            }
        }
        "rust" if rest == "generated" => Kind::Generated,
        _ => Kind::Other,
    };
    (language, name, kind)
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        match &mut open {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    let (language, name, kind) = parse_info(info);
                    open = Some(Block {
                        line: i + 1,
                        language,
                        name,
                        kind,
                        text: String::new(),
                    });
                }
            }
            Some(block) => {
                if line.trim_end() == "```" {
                    out.extend(open.take());
                } else {
                    block.text.push_str(line);
                    block.text.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "{DOC} has an unclosed code block");
    out
}

/// A scratch directory holding a copy of what the examples' `file:`s reference
/// (the subdirectories of `specs/`), removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "mcpgen-manifest-docs-{}-{test}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        copy_tree(Path::new("../specs"), &dir);
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the scratch directory");
    for entry in std::fs::read_dir(from).expect("read specs/") {
        let path = entry.expect("directory entry").path();
        let target = to.join(path.file_name().expect("a file name"));
        if path.is_dir() {
            copy_tree(&path, &target);
        }
    }
    // Only the referenced files (subdirectories) are copied: the manifests of
    // `specs/` themselves are not examples.
    if from != Path::new("../specs") {
        for entry in std::fs::read_dir(from).expect("read a specs subdirectory") {
            let path = entry.expect("directory entry").path();
            if path.is_file() {
                std::fs::copy(&path, to.join(path.file_name().expect("a file name")))
                    .expect("copy a referenced file");
            }
        }
    }
}

/// Checks and generates one example manifest: (rendered diagnostics, whether
/// any is an error, any is a warning, the generated code if it generated).
struct Outcome {
    rendered: String,
    errors: bool,
    warnings: bool,
    code: Option<String>,
}

fn run(scratch: &Scratch, block: &Block) -> Outcome {
    let default = format!("example.{}", block.language);
    let name = block.name.as_deref().unwrap_or(&default);
    let path = scratch.0.join(name);
    std::fs::write(&path, &block.text).expect("write the example manifest");
    let diagnostics = Builder::new().manifest(&path).check();
    let code = Builder::new().render_source(&path, &block.text).ok();
    Outcome {
        rendered: diagnostics.render(),
        errors: diagnostics.has_errors(),
        warnings: diagnostics.warnings().next().is_some(),
        code,
    }
}

#[test]
fn complete_manifests_generate_cleanly() {
    let scratch = Scratch::new("complete");
    let blocks = blocks(&doc());
    let manifests: Vec<&Block> = blocks.iter().filter(|b| b.kind == Kind::Manifest).collect();
    assert!(
        manifests.len() >= 10,
        "the doc has an example for each section"
    );
    for block in manifests {
        let outcome = run(&scratch, block);
        assert!(
            !outcome.errors && !outcome.warnings && outcome.code.is_some(),
            "{DOC}:{}: the example should generate with no diagnostic:\n{}",
            block.line,
            outcome.rendered
        );
    }
}

#[test]
fn warning_examples_warn_and_generate() {
    let scratch = Scratch::new("warning");
    let blocks = blocks(&doc());
    let mut seen = 0;
    for block in &blocks {
        let Kind::Warning(expected) = &block.kind else {
            continue;
        };
        seen += 1;
        let outcome = run(&scratch, block);
        assert!(
            !outcome.errors && outcome.code.is_some(),
            "{DOC}:{}: the example should generate:\n{}",
            block.line,
            outcome.rendered
        );
        assert!(
            outcome.rendered.contains(expected.as_str()),
            "{DOC}:{}: expected a warning containing `{expected}`, got:\n{}",
            block.line,
            outcome.rendered
        );
    }
    assert!(seen > 0, "the doc shows a fallback warning");
}

#[test]
fn error_examples_fail_with_the_error_they_illustrate() {
    let scratch = Scratch::new("error");
    let blocks = blocks(&doc());
    let mut seen = 0;
    for block in &blocks {
        let Kind::Error(expected) = &block.kind else {
            continue;
        };
        seen += 1;
        let outcome = run(&scratch, block);
        assert!(
            outcome.errors && outcome.code.is_none(),
            "{DOC}:{}: the example should fail to generate:\n{}",
            block.line,
            outcome.rendered
        );
        let matching = outcome
            .rendered
            .split("\n\n")
            .any(|d| d.starts_with("error:") && d.contains(expected.as_str()));
        assert!(
            matching,
            "{DOC}:{}: expected an error containing `{expected}`, got:\n{}",
            block.line, outcome.rendered
        );
    }
    assert!(
        seen >= 3,
        "the doc shows what goes wrong, not only what works"
    );
}

#[test]
fn fragments_are_yaml() {
    for block in blocks(&doc()) {
        if block.kind == Kind::Fragment {
            if let Err(e) = serde_yaml::from_str::<serde_yaml::Value>(&block.text) {
                panic!("{DOC}:{}: the fragment is not YAML: {e}", block.line);
            }
        }
    }
}

/// Code without whitespace, doc comments and trailing commas, so that a snippet
/// formatted for reading matches prettyplease's layout.
fn normalize(code: &str) -> String {
    let mut out: String = code
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            !l.starts_with("///") && !l.starts_with("//")
        })
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    for close in [")", "}", "]", ">"] {
        out = out.replace(&format!(",{close}"), close);
    }
    out
}

#[test]
fn generated_rust_shown_is_what_is_generated() {
    let scratch = Scratch::new("generated");
    let blocks = blocks(&doc());
    // The line of the latest complete manifest, and its normalized code.
    let mut latest: Option<(usize, Option<String>)> = None;
    let mut checked = 0;
    for block in &blocks {
        match block.kind {
            Kind::Manifest | Kind::Warning(_) => {
                let outcome = run(&scratch, block);
                latest = Some((block.line, outcome.code.map(|c| normalize(&c))));
            }
            Kind::Generated => {
                let Some((from, code)) = &latest else {
                    panic!(
                        "{DOC}:{}: generated Rust with no manifest above it",
                        block.line
                    );
                };
                let Some(generated) = code else {
                    panic!("{DOC}:{from}: the manifest does not generate");
                };
                for chunk in block.text.split("\n\n") {
                    let wanted = normalize(chunk);
                    if wanted.is_empty() {
                        continue;
                    }
                    checked += 1;
                    assert!(
                        generated.contains(&wanted),
                        "{DOC}:{}: the code generated from the manifest at line {from} lacks\n{chunk}",
                        block.line
                    );
                }
            }
            _ => {}
        }
    }
    assert!(
        checked >= 10,
        "the doc shows the generated Rust of each kind of item"
    );
}

/// Every definition of the manifest schema with properties, and its property
/// names; the root is `Manifest`.
fn schema_objects() -> BTreeMap<String, BTreeSet<String>> {
    let schema: Value = serde_json::from_str(&mcpgen_codegen::manifest_schema())
        .expect("the manifest schema is JSON");
    let names = |object: &Value| -> BTreeSet<String> {
        object["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    };
    let mut out = BTreeMap::new();
    out.insert("Manifest".to_owned(), names(&schema));
    for (name, def) in schema["$defs"].as_object().into_iter().flatten() {
        if def.get("properties").is_some() {
            out.insert(name.clone(), names(def));
        }
    }
    out
}

/// The field tables of the doc: the definition each documents (from the
/// `<!-- schema: … -->` marker before it), and the backticked names in its first
/// column.
fn doc_tables(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(def) = line
            .strip_prefix("<!-- schema:")
            .and_then(|l| l.strip_suffix("-->"))
        {
            let def = def.trim().to_owned();
            assert!(
                out.insert(def.clone(), BTreeSet::new()).is_none(),
                "{DOC} documents `{def}` twice"
            );
            current = Some(def);
        } else if let Some(def) = &current {
            if let Some(row) = line.strip_prefix('|') {
                let first = row.split('|').next().unwrap_or_default().trim();
                if let Some(name) = first.strip_prefix('`').and_then(|f| f.strip_suffix('`')) {
                    out.get_mut(def)
                        .expect("inserted above")
                        .insert(name.to_owned());
                }
            } else if !line.is_empty() {
                current = None;
            }
        }
    }
    out
}

#[test]
fn every_field_of_the_manifest_format_is_documented() {
    let schema = schema_objects();
    let documented = doc_tables(&doc());
    for (def, fields) in &schema {
        let Some(table) = documented.get(def) else {
            panic!(
                "{DOC} has no field table for `{def}` (fields {fields:?}); add one after \
                 `<!-- schema: {def} -->`"
            );
        };
        let missing: Vec<_> = fields.difference(table).collect();
        let extra: Vec<_> = table.difference(fields).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{DOC}: the table of `{def}` lacks {missing:?} and lists {extra:?}, \
             which the manifest format does not have"
        );
    }
    for def in documented.keys() {
        assert!(
            schema.contains_key(def),
            "{DOC} documents `{def}`, which the manifest schema does not define"
        );
    }
}

#[test]
fn every_enumerated_value_is_documented() {
    let schema: Value = serde_json::from_str(&mcpgen_codegen::manifest_schema())
        .expect("the manifest schema is JSON");
    let text = doc();
    let mut values = Vec::new();
    for def in schema["$defs"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|d| d.1)
    {
        for variant in def["oneOf"].as_array().into_iter().flatten() {
            values.extend(variant["const"].as_str().map(str::to_owned));
        }
        for value in def["enum"].as_array().into_iter().flatten() {
            values.extend(value.as_str().map(str::to_owned));
        }
    }
    assert!(!values.is_empty(), "the schema has enumerations");
    for value in values {
        assert!(
            text.contains(&format!("`{value}`")),
            "{DOC} never mentions the value `{value}`"
        );
    }
}

#[test]
fn blocks_are_parsed_as_the_module_docs_say() {
    let parsed = blocks(
        "```yaml name=a.yaml error: boom\nx: 1\n```\n\
         ```yaml fragment\ny: 2\n```\n```rust generated\nfn f();\n```\n```sh\nls\n```\n",
    );
    let kinds: Vec<_> = parsed.iter().map(|b| b.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            Kind::Error("boom".into()),
            Kind::Fragment,
            Kind::Generated,
            Kind::Other
        ]
    );
    assert_eq!(parsed[0].name.as_deref(), Some("a.yaml"));
    assert_eq!(parsed[0].text, "x: 1\n");
    assert_eq!(
        normalize("fn f(\n    a: u8,\n) -> X;\n/// doc\n"),
        "fnf(a:u8)->X;"
    );
}
