//! The mcpgen code generator: an MCP server manifest (YAML or JSON) in, typed Rust
//! out.
//!
//! For each manifest it writes `<OUT_DIR>/<stem>.rs`, holding the types of every
//! schema, one handler trait (`<Stem>Server`) with a method per dynamic item, and
//! `server(handler)` that registers everything with the runtime; plus the tools'
//! JSON Schemas under `<OUT_DIR>/<stem>.schemas/`. Generated code names only
//! `mcpgen_runtime::codegen`; this crate is a build dependency, the runtime (or the
//! `mcpgen` facade) the normal one.
//!
//! In `build.rs`, the one-liner:
//!
//! ```no_run
//! mcpgen_codegen::compile_manifests(&["specs/weather.yaml"]);
//! ```
//!
//! then, in the crate, `mcpgen::include_server!("weather");` (or
//! `include!(concat!(env!("OUT_DIR"), "/weather.rs"));`).
//!
//! Manifest problems are all reported at once, each with file, line, column, the
//! path inside the manifest and a hint, rendered like rustc's diagnostics.

#![warn(missing_docs)]

mod diag;
mod emit;
mod load;
mod model;
mod names;
mod types;
mod validate;

use std::path::{Path, PathBuf};

pub use diag::{Diagnostic, Diagnostics, Severity};

/// Configures and runs generation for one or more manifests.
///
/// ```no_run
/// let generated = mcpgen_codegen::Builder::new()
///     .manifest("specs/everything.yaml")
///     .out_dir("target/generated")
///     .runtime_path("::mcpgen_runtime")
///     .generate();
/// match generated {
///     Ok(g) => {
///         for w in g.diagnostics().iter() {
///             eprintln!("{w}");
///         }
///     }
///     Err(diagnostics) => panic!("{diagnostics}"),
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    manifests: Vec<PathBuf>,
    out_dir: Option<PathBuf>,
    runtime_path: String,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

/// What [`Builder::generate`] did.
#[derive(Debug, Clone, Default)]
pub struct Generated {
    outputs: Vec<PathBuf>,
    inputs: Vec<PathBuf>,
    diagnostics: Diagnostics,
}

impl Generated {
    /// The files written (or already up to date): each `<stem>.rs` and its schemas.
    pub fn outputs(&self) -> &[PathBuf] {
        &self.outputs
    }
    /// Every file read: the manifests and the files they reference.
    pub fn inputs(&self) -> &[PathBuf] {
        &self.inputs
    }
    /// The warnings.
    pub fn diagnostics(&self) -> &Diagnostics {
        &self.diagnostics
    }
}

/// The output of one manifest, in memory.
struct Output {
    stem: String,
    code: String,
    schemas: Vec<(String, String)>,
}

impl Builder {
    /// A builder with no manifests, `OUT_DIR` as output directory and
    /// `::mcpgen_runtime` as the runtime path.
    pub fn new() -> Self {
        Builder {
            manifests: Vec::new(),
            out_dir: None,
            runtime_path: "::mcpgen_runtime".to_owned(),
        }
    }

    /// Adds a manifest (`.yaml`, `.yml` or `.json`). Its output is named after its
    /// file stem: `specs/weather.yaml` → `weather.rs`.
    pub fn manifest(mut self, path: impl AsRef<Path>) -> Self {
        self.manifests.push(path.as_ref().to_owned());
        self
    }

    /// Where to write the output (default: the `OUT_DIR` environment variable).
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.out_dir = Some(dir.as_ref().to_owned());
        self
    }

    /// The path under which generated code finds the runtime, whose `codegen`
    /// module it imports (default `::mcpgen_runtime`; `::mcpgen::runtime` for crates
    /// that depend on the `mcpgen` facade only).
    pub fn runtime_path(mut self, path: impl Into<String>) -> Self {
        self.runtime_path = path.into();
        self
    }

    /// Validates every manifest without writing anything: all diagnostics, errors
    /// and warnings.
    pub fn check(&self) -> Diagnostics {
        let mut all = Diagnostics::default();
        for m in &self.manifests {
            let (result, _) = self.run(m);
            match result {
                Ok((_, d)) | Err(d) => all.extend(d),
            }
        }
        all
    }

    /// Regenerates every manifest in memory and compares the result with the files
    /// in `dir`, for CI checks that committed generated code is current (`mcpgen
    /// check --generated <dir>`). Writes nothing.
    ///
    /// Returns the manifests' diagnostics plus one error per file that differs:
    /// *stale* (its bytes differ), *missing* (generated now, absent from `dir`) or
    /// *extra* (a file mcpgen owns that none of the manifests generates any more: a
    /// `.rs` file starting with mcpgen's header, or a `.json` file under a
    /// `*.schemas/` directory). Pass every manifest generated into `dir`, so that
    /// none of their files counts as extra.
    ///
    /// ```no_run
    /// let diagnostics = mcpgen_codegen::Builder::new()
    ///     .manifest("specs/weather.yaml")
    ///     .check_generated("src/generated");
    /// if diagnostics.has_errors() {
    ///     eprint!("{diagnostics}");
    ///     std::process::exit(1);
    /// }
    /// ```
    pub fn check_generated(&self, dir: impl AsRef<Path>) -> Diagnostics {
        let dir = dir.as_ref();
        let mut all = Diagnostics::default();
        // Relative path → (expected bytes, the manifest that generates it).
        let mut expected: std::collections::BTreeMap<PathBuf, (Vec<u8>, &Path)> =
            std::collections::BTreeMap::new();
        // Stems of manifests with errors: their files are neither compared nor extra.
        let mut unknown_stems = std::collections::HashSet::new();
        for m in &self.manifests {
            match self.run(m).0 {
                Ok((output, diags)) => {
                    all.extend(diags);
                    let schemas = PathBuf::from(format!("{}.schemas", output.stem));
                    for (name, text) in output.schemas {
                        expected.insert(schemas.join(name), (text.into_bytes(), m));
                    }
                    expected.insert(
                        PathBuf::from(format!("{}.rs", output.stem)),
                        (output.code.into_bytes(), m),
                    );
                }
                Err(diags) => {
                    all.extend(diags);
                    if let Some(stem) = m.file_stem() {
                        unknown_stems.insert(stem.to_string_lossy().into_owned());
                    }
                }
            }
        }
        let fix = self.regenerate_command(dir);
        let stale = |file: &Path, message: String| Diagnostic {
            hint: Some(format!("regenerate with `{fix}`")),
            ..simple(&dir.join(file), &message)
        };
        for (file, (bytes, manifest)) in &expected {
            let shown = file.display();
            let from = manifest.display();
            match std::fs::read(dir.join(file)) {
                Ok(have) if have == *bytes => {}
                Ok(_) => all.push(stale(
                    file,
                    format!("`{shown}` is stale: `{from}` generates different bytes now"),
                )),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => all.push(stale(
                    file,
                    format!("`{shown}` is missing: `{from}` generates it"),
                )),
                Err(e) => all.push(simple(&dir.join(file), &format!("cannot read it: {e}"))),
            }
        }
        for file in owned_files(dir) {
            let stem = file
                .components()
                .next()
                .and_then(|c| Path::new(c.as_os_str()).file_stem())
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            if expected.contains_key(&file) || unknown_stems.contains(&stem) {
                continue;
            }
            let message = format!(
                "`{}` is extra: none of the manifests checked generates it now",
                file.display()
            );
            if expected.contains_key(Path::new(&format!("{stem}.rs"))) {
                // A schema of a tool that went away: generation removes it.
                all.push(stale(&file, message));
            } else {
                all.push(Diagnostic {
                    hint: Some(
                        "delete it, or check it together with the manifest that generates it"
                            .to_owned(),
                    ),
                    ..simple(&dir.join(&file), &message)
                });
            }
        }
        all
    }

    /// The `mcpgen generate` command line that rewrites `dir` from this builder.
    fn regenerate_command(&self, dir: &Path) -> String {
        let mut command = format!("mcpgen generate --out {}", dir.display());
        if self.runtime_path != Builder::new().runtime_path {
            command.push_str(&format!(" --runtime-path {}", self.runtime_path));
        }
        for m in &self.manifests {
            command.push_str(&format!(" {}", m.display()));
        }
        command
    }

    /// Generates every manifest, writing files only when their bytes change.
    ///
    /// # Errors
    ///
    /// The diagnostics (errors and warnings) when any manifest has an error or an
    /// output cannot be written. Nothing is written for a manifest with errors.
    pub fn generate(&self) -> Result<Generated, Diagnostics> {
        self.generate_tracked(&mut Vec::new())
    }

    /// [`generate`](Self::generate), recording every file read into `inputs` even
    /// when generation fails.
    fn generate_tracked(&self, inputs: &mut Vec<PathBuf>) -> Result<Generated, Diagnostics> {
        let mut generated = Generated::default();
        let mut errors = Diagnostics::default();
        let out_dir = self
            .out_dir
            .clone()
            .or_else(|| std::env::var_os("OUT_DIR").map(PathBuf::from));
        for m in &self.manifests {
            let (result, read) = self.run(m);
            inputs.extend(read.iter().cloned());
            generated.inputs.extend(read);
            match result {
                Ok((output, diags)) => {
                    let Some(dir) = &out_dir else {
                        errors.push(simple(m, "no output directory: set `out_dir` or `OUT_DIR`"));
                        continue;
                    };
                    match write_output(dir, &output) {
                        Ok(written) => generated.outputs.extend(written),
                        Err(e) => errors.push(simple(
                            m,
                            &format!("cannot write output to {}: {e}", dir.display()),
                        )),
                    }
                    generated.diagnostics.extend(diags);
                }
                Err(diags) => errors.extend(diags),
            }
        }
        if errors.has_errors() {
            errors.extend(generated.diagnostics);
            Err(errors)
        } else {
            Ok(generated)
        }
    }

    /// Generates each manifest into a string: `(stem, code)`. For tests and tools.
    ///
    /// # Errors
    ///
    /// The diagnostics when any manifest has an error.
    pub fn render(&self) -> Result<Vec<(String, String)>, Diagnostics> {
        let mut out = Vec::new();
        let mut errors = Diagnostics::default();
        for m in &self.manifests {
            match self.run(m).0 {
                Ok((o, _)) => out.push((o.stem, o.code)),
                Err(d) => errors.extend(d),
            }
        }
        if errors.has_errors() {
            Err(errors)
        } else {
            Ok(out)
        }
    }

    /// Generates one manifest given as text rather than read from disk: for editors,
    /// tools and fuzzing. `path` names it in diagnostics, gives the output's stem,
    /// and anchors the files it references; the builder's own manifests are
    /// ignored.
    ///
    /// ```
    /// let source = "server: {name: demo, version: 0.1.0}\ntools: {}\n";
    /// let code = mcpgen_codegen::Builder::new()
    ///     .render_source("demo.yaml", source)
    ///     .expect("a valid manifest");
    /// assert!(code.contains("pub trait DemoServer"));
    /// ```
    ///
    /// # Errors
    ///
    /// The diagnostics when the manifest has an error.
    pub fn render_source(
        &self,
        path: impl AsRef<Path>,
        source: &str,
    ) -> Result<String, Diagnostics> {
        let mut read = Vec::new();
        self.run_source(path.as_ref(), source, &mut read)
            .map(|(output, _)| output.code)
    }

    /// Load → validate → emit for one manifest; also returns every file read.
    fn run(&self, manifest: &Path) -> (Result<(Output, Diagnostics), Diagnostics>, Vec<PathBuf>) {
        let mut read = vec![manifest.to_owned()];
        let source = match std::fs::read_to_string(manifest) {
            Ok(s) => s,
            Err(e) => {
                let mut d = Diagnostics::default();
                d.push(simple(manifest, &format!("cannot read the manifest: {e}")));
                return (Err(d), read);
            }
        };
        let result = self.run_source(manifest, &source, &mut read);
        (result, read)
    }

    /// Load → validate → emit for one manifest's text, recording into `read` every
    /// file it references; on a thread with a large stack.
    ///
    /// Generation recurses as deep as the manifest nests (serde, jsonschema, typify,
    /// syn, prettyplease), with large frames in the unoptimised builds build scripts
    /// get: a 32-level schema needs more than a test thread's 2 MiB. Nesting is
    /// bounded by the YAML loader's recursion limit, and this stack covers it.
    fn run_source(
        &self,
        manifest: &Path,
        source: &str,
        read: &mut Vec<PathBuf>,
    ) -> Result<(Output, Diagnostics), Diagnostics> {
        // Address space, not memory: pages are only touched as deep as needed.
        const STACK: usize = 256 << 20;
        let outcome = std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("mcpgen".to_owned())
                .stack_size(STACK)
                .spawn_scoped(scope, || self.run_source_here(manifest, source, &mut *read))
                .map(|handle| handle.join())
        });
        match outcome {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => {
                let mut d = Diagnostics::default();
                d.push(simple(
                    manifest,
                    "internal error: the generator panicked on this manifest (please report it)",
                ));
                Err(d)
            }
            // No thread to be had: the current one will do for most manifests.
            Err(_) => self.run_source_here(manifest, source, read),
        }
    }

    /// [`run_source`](Self::run_source) on the current thread.
    fn run_source_here(
        &self,
        manifest: &Path,
        source: &str,
        read: &mut Vec<PathBuf>,
    ) -> Result<(Output, Diagnostics), Diagnostics> {
        let stem = manifest
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "server".to_owned());
        let file_name = manifest
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let index = load::SpanIndex::build(source);
        let mut rep = diag::Reporter::new(manifest, source, &index);
        if syn::parse_str::<syn::Path>(&self.runtime_path).is_err() {
            rep.error_hint(
                "",
                format!("`{}` is not a Rust path", self.runtime_path),
                "pass a path like `::mcpgen_runtime` to `runtime_path`",
            );
        }
        let Some(m) = load::load(&mut rep) else {
            return Err(rep.diags);
        };
        let referenced_from = read.len();
        let Some(plan) = validate::validate(&m, manifest, &stem, &mut rep, read) else {
            return Err(rep.diags);
        };
        let emitted = emit::emit(&plan, &stem, &file_name, &self.runtime_path, &mut rep);
        if rep.diags.has_errors() {
            return Err(rep.diags);
        }
        let hash = input_hash(
            &file_name,
            source,
            &read[referenced_from..],
            &self.runtime_path,
        );
        Ok((
            Output {
                stem,
                code: format!("{}{}", header(&file_name, &hash), emitted.code),
                schemas: emitted.schemas,
            },
            rep.diags,
        ))
    }
}

fn simple(file: &Path, message: &str) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        file: file.to_owned(),
        line: None,
        column: None,
        path: String::new(),
        message: message.to_owned(),
        hint: None,
        source_line: None,
    }
}

/// The first line of every generated Rust file; [`Builder::check_generated`] takes a
/// `.rs` file that starts with it for mcpgen's own.
const GENERATED_MARK: &str = "// @generated by mcpgen";

/// The generator's version, part of the header and of the input hash.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The `@generated` header: the generator, the manifest's file name (not its path,
/// so the bytes do not depend on where generation ran) and the input hash.
fn header(file_name: &str, hash: &str) -> String {
    format!(
        "{GENERATED_MARK} {VERSION} from {}. Do not edit.\n\
         // input hash: sha256:{hash} (manifest, referenced files, runtime path, mcpgen version)\n\n",
        file_name.escape_debug()
    )
}

/// A short hex SHA-256 of every byte that determines a manifest's output: the
/// generator's version, the runtime path, the manifest's file name (it names the
/// trait) and bytes, and the bytes of each file it references, in the order read.
/// Each part is length-prefixed so that no two different inputs feed the same bytes.
fn input_hash(file_name: &str, source: &str, referenced: &[PathBuf], runtime: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let mut part = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    part(VERSION.as_bytes());
    part(runtime.as_bytes());
    part(file_name.as_bytes());
    part(source.as_bytes());
    for file in referenced {
        // Validation has read each of them successfully, or failed before this.
        part(&std::fs::read(file).unwrap_or_default());
    }
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes `bytes` unless the file already holds exactly them (so mtimes, and
/// therefore rebuilds, change only with content).
fn write_if_changed(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, bytes)
}

/// Writes one manifest's output and removes the schema files it no longer has (a
/// tool that went away). `<stem>.schemas/` is mcpgen's: only its `.json` files are
/// removed, and the directory itself once empty.
fn write_output(dir: &Path, output: &Output) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let rs = dir.join(format!("{}.rs", output.stem));
    write_if_changed(&rs, output.code.as_bytes())?;
    written.push(rs);
    let schema_dir = dir.join(format!("{}.schemas", output.stem));
    for (name, text) in &output.schemas {
        let path = schema_dir.join(name);
        write_if_changed(&path, text.as_bytes())?;
        written.push(path);
    }
    for old in schema_files(&schema_dir) {
        if !written.contains(&old) {
            std::fs::remove_file(&old)?;
        }
    }
    if output.schemas.is_empty() && schema_dir.is_dir() {
        // Fails, harmlessly, when someone else's files are in it.
        let _ = std::fs::remove_dir(&schema_dir);
    }
    Ok(written)
}

/// The `.json` files directly in `dir` (none when it does not exist), sorted.
fn schema_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// The files in `dir` that mcpgen owns: `.rs` files that start with its header, and
/// the `.json` files of `*.schemas/` directories. Paths relative to `dir`, sorted.
fn owned_files(dir: &Path) -> Vec<PathBuf> {
    let mut owned = Vec::new();
    for path in std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
    {
        let Some(name) = path.file_name().map(PathBuf::from) else {
            continue;
        };
        if path.is_dir() && name.extension().is_some_and(|e| e == "schemas") {
            owned.extend(
                schema_files(&path)
                    .into_iter()
                    .filter_map(|f| f.file_name().map(|file| name.join(file))),
            );
        } else if path.is_file()
            && name.extension().is_some_and(|e| e == "rs")
            && std::fs::read(&path).is_ok_and(|bytes| bytes.starts_with(GENERATED_MARK.as_bytes()))
        {
            owned.push(name);
        }
    }
    owned.sort();
    owned
}

/// Generates servers for `manifests` into `OUT_DIR`, for use in `build.rs`.
///
/// Prints `cargo:rerun-if-changed` for every file it reads (each manifest and every
/// file a manifest references) and each warning as `cargo:warning=`. On errors it
/// prints the rendered diagnostics to stderr and exits the build script with status
/// 1, so the build fails with readable text.
///
/// ```no_run
/// // in build.rs's `main`:
/// mcpgen_codegen::compile_manifests(&["specs/weather.yaml", "specs/notes.yaml"]);
/// ```
pub fn compile_manifests<P: AsRef<Path>>(manifests: &[P]) {
    let builder = manifests.iter().fold(Builder::new(), |b, m| b.manifest(m));
    let mut inputs = Vec::new();
    let result = builder.generate_tracked(&mut inputs);
    let mut seen = std::collections::HashSet::new();
    for input in &inputs {
        if seen.insert(input.clone()) {
            println!("cargo:rerun-if-changed={}", input.display());
        }
    }
    match result {
        Ok(generated) => {
            for w in generated.diagnostics().iter() {
                for line in w.render().lines() {
                    println!("cargo:warning={line}");
                }
            }
        }
        Err(diagnostics) => {
            eprintln!("{}", diagnostics.render());
            std::process::exit(1);
        }
    }
}

/// The JSON Schema of the manifest format (what `specs/manifest.schema.json` holds),
/// pretty-printed with a trailing newline.
pub fn manifest_schema() -> String {
    model::manifest_schema()
}
