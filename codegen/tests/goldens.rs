//! Golden files: the generated code of every manifest in `specs/` and in the
//! adversarial corpus (`tests/corpus/`) is committed under `goldens/generated/`,
//! and the `mcpgen-goldens` crate compiles it (with clippy) in the test run.
//!
//! A generator change shows up as a diff here. Run with `MCPGEN_BLESS=1` to accept
//! it, then review the diff of `codegen/goldens/` like any other change.

use std::path::{Path, PathBuf};

use mcpgen_codegen::Builder;

const GOLDENS: &str = "goldens";

/// Every manifest whose output is kept: `specs/*` (but the manifest format's own
/// schema) and `tests/corpus/*`.
fn manifests() -> Vec<PathBuf> {
    let mut found = Vec::new();
    for dir in ["../specs", "tests/corpus"] {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("reading {dir}: {e}"))
            .map(|e| e.expect("directory entry").path())
            .filter(|p| {
                let ext = p.extension().and_then(|e| e.to_str()).unwrap_or_default();
                matches!(ext, "yaml" | "yml" | "json")
                    && p.file_name().is_some_and(|n| n != "manifest.schema.json")
            })
            .collect();
        entries.sort();
        found.extend(entries);
    }
    found
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .expect("manifest has a stem")
        .to_string_lossy()
        .into_owned()
}

/// The crate root that compiles every golden file, one module each.
fn lib_rs(stems: &[String]) -> String {
    let mut out = String::from(
        "//! The committed output of mcpgen for every spec and the adversarial corpus.\n\
         //!\n\
         //! Written by `codegen/tests/goldens.rs` (`MCPGEN_BLESS=1`); do not edit.\n\
         \n\
         // Generated code documents every public item.\n\
         #![warn(missing_docs)]\n",
    );
    for stem in stems {
        out.push_str(&format!(
            "\n/// Generated from `{stem}`.\npub mod {stem} {{\n    include!(\"../generated/{stem}.rs\");\n}}\n"
        ));
    }
    out
}

/// The same check `mcpgen check --generated codegen/goldens/generated` does.
#[test]
fn goldens_are_up_to_date() {
    let manifests = manifests();
    let mut stems: Vec<String> = manifests.iter().map(|m| stem(m)).collect();
    let unique: std::collections::BTreeSet<_> = stems.iter().collect();
    assert_eq!(unique.len(), stems.len(), "manifest stems must be unique");
    stems.sort();

    let golden = Path::new(GOLDENS);
    let generated = golden.join("generated");
    let lib = golden.join("src/lib.rs");
    let builder = manifests.iter().fold(Builder::new(), |b, m| b.manifest(m));
    if std::env::var_os("MCPGEN_BLESS").is_some() {
        // From scratch, so that files of manifests that went away go too.
        let _ = std::fs::remove_dir_all(&generated);
        builder
            .clone()
            .out_dir(&generated)
            .generate()
            .unwrap_or_else(|d| panic!("every golden manifest should generate:\n{d}"));
        std::fs::write(&lib, lib_rs(&stems)).expect("golden lib.rs");
    }

    let diagnostics = builder.check_generated(&generated);
    let problems: Vec<String> = diagnostics.errors().map(|d| d.render()).collect();
    assert!(
        problems.is_empty(),
        "golden files differ from what the generator writes now:\n{}\n\
         rerun with MCPGEN_BLESS=1 to accept, then review the diff of codegen/goldens/",
        problems.join("\n")
    );
    assert_eq!(
        std::fs::read_to_string(&lib).unwrap_or_default(),
        lib_rs(&stems),
        "codegen/goldens/src/lib.rs is stale; rerun with MCPGEN_BLESS=1"
    );
}
