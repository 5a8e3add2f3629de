//! Generates a server for every manifest in `specs/`, exactly as a user's build
//! script would: `mcpgen_codegen::compile_manifests` writes `OUT_DIR/<stem>.rs`.

use std::path::PathBuf;

fn main() {
    // The directory itself, so that new manifests are picked up.
    println!("cargo:rerun-if-changed=specs");
    let mut manifests: Vec<PathBuf> = std::fs::read_dir("specs")
        .map(|dir| {
            dir.filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| {
                    path.is_file()
                        && path
                            .file_name()
                            .is_some_and(|n| n != "manifest.schema.json")
                        && path
                            .extension()
                            .is_some_and(|ext| ext == "yaml" || ext == "yml" || ext == "json")
                })
                .collect()
        })
        .unwrap_or_default();
    manifests.sort();
    mcpgen_codegen::compile_manifests(&manifests);
}
