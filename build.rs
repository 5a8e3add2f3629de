//! The facade builds nothing for its users. With the `fixtures` feature (turned on
//! only by this repo's own dev-dependency on itself, so only for its examples and
//! tests) it generates a server for every manifest in `specs/`, exactly as a user's
//! build script would.

fn main() {
    #[cfg(feature = "fixtures")]
    fixtures::generate();
}

#[cfg(feature = "fixtures")]
mod fixtures {
    use std::path::PathBuf;

    pub fn generate() {
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
        // The route a user of the facade takes: `mcpgen::build`, whose generated
        // code names the runtime as `::mcpgen::runtime`.
        manifests
            .iter()
            .fold(mcpgen_codegen::Builder::new(), |b, m| b.manifest(m))
            .runtime_path(FACADE_RUNTIME_PATH)
            .compile();
    }

    /// Kept equal to `mcpgen::build::RUNTIME_PATH` (src/build.rs), which a build
    /// script cannot import from its own crate.
    const FACADE_RUNTIME_PATH: &str = "::mcpgen::runtime";
}
