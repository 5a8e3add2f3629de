//! Golden files: the generated code of every manifest in `specs/` and in the
//! adversarial corpus (`tests/corpus/`) is committed under `goldens/generated/`,
//! and the `mcpgen-goldens` crate compiles it (with clippy) in the test run.
//!
//! A generator change shows up as a diff here. Run with `MCPGEN_BLESS=1` to accept
//! it, then review the diff of `codegen/goldens/` like any other change.

use std::collections::BTreeMap;
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

/// Every file under `dir`, by path relative to it.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("under root");
                let rel = rel.to_string_lossy().replace('\\', "/");
                out.insert(rel, std::fs::read(&path).expect("readable file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The crate root that compiles every golden file, one module each.
fn lib_rs(stems: &[String]) -> String {
    let mut out = String::from(
        "//! The committed output of mcpgen for every spec and the adversarial corpus.\n\
         //!\n\
         //! Written by `codegen/tests/goldens.rs` (`MCPGEN_BLESS=1`); do not edit.\n",
    );
    for stem in stems {
        out.push_str(&format!(
            "\n/// Generated from `{stem}`.\npub mod {stem} {{\n    include!(\"../generated/{stem}.rs\");\n}}\n"
        ));
    }
    out
}

#[test]
fn goldens_are_up_to_date() {
    let manifests = manifests();
    let mut stems: Vec<String> = manifests.iter().map(|m| stem(m)).collect();
    let unique: std::collections::BTreeSet<_> = stems.iter().collect();
    assert_eq!(unique.len(), stems.len(), "manifest stems must be unique");

    let scratch = std::env::temp_dir().join(format!("mcpgen-goldens-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let generated = manifests
        .iter()
        .fold(Builder::new(), |b, m| b.manifest(m))
        .out_dir(scratch.join("generated"))
        .generate()
        .unwrap_or_else(|d| panic!("every golden manifest should generate:\n{d}"));
    drop(generated);
    stems.sort();
    std::fs::create_dir_all(scratch.join("src")).expect("scratch dir");
    std::fs::write(scratch.join("src/lib.rs"), lib_rs(&stems)).expect("scratch lib.rs");

    let golden = Path::new(GOLDENS);
    let bless = std::env::var_os("MCPGEN_BLESS").is_some();
    let mut stale = Vec::new();
    for sub in ["generated", "src"] {
        let want = read_tree(&scratch.join(sub));
        let have = read_tree(&golden.join(sub));
        for (name, bytes) in &want {
            if have.get(name) != Some(bytes) {
                stale.push(format!("{sub}/{name}"));
            }
        }
        for name in have.keys().filter(|n| !want.contains_key(*n)) {
            stale.push(format!("{sub}/{name} (no longer generated)"));
        }
        if bless {
            let _ = std::fs::remove_dir_all(golden.join(sub));
            for (name, bytes) in &want {
                let path = golden.join(sub).join(name);
                std::fs::create_dir_all(path.parent().expect("parent")).expect("golden dir");
                std::fs::write(path, bytes).expect("golden file");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    if !bless {
        assert!(
            stale.is_empty(),
            "golden files differ from what the generator writes now:\n  {}\n\
             rerun with MCPGEN_BLESS=1 to accept, then review the diff of codegen/goldens/",
            stale.join("\n  ")
        );
    }
}
