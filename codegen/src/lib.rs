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
    /// file it references.
    fn run_source(
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
        let Some(plan) = validate::validate(&m, manifest, &stem, &mut rep, read) else {
            return Err(rep.diags);
        };
        let emitted = emit::emit(&plan, &stem, &file_name, &self.runtime_path, &mut rep);
        if rep.diags.has_errors() {
            return Err(rep.diags);
        }
        Ok((
            Output {
                stem,
                code: emitted.code,
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
        end_column: None,
        path: String::new(),
        message: message.to_owned(),
        hint: None,
        source_line: None,
    }
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
    Ok(written)
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
