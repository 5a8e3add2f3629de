//! `mcpgen`: generate, check and describe MCP server manifests.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use mcpgen_codegen::Builder;

/// Spec-driven MCP servers: a manifest in, a typed Rust server out.
#[derive(Parser)]
#[command(name = "mcpgen", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate `<stem>.rs` (and the tools' JSON Schemas) from a manifest; the same
    /// bytes a build script writes.
    Generate {
        /// The manifest (`.yaml`, `.yml` or `.json`).
        manifest: PathBuf,
        /// The output directory.
        #[arg(short, long)]
        out: PathBuf,
        /// The path generated code imports the runtime from.
        #[arg(long, default_value = "::mcpgen_runtime")]
        runtime_path: String,
    },
    /// Validate manifests and print every problem; exits 1 on errors.
    Check {
        /// The manifests.
        #[arg(required = true)]
        manifests: Vec<PathBuf>,
        /// `human`: rustc-style text on stderr. `json`: one JSON document on stdout,
        /// `{"diagnostics":[{"severity","file","line","column","end_column","path",
        /// "message","hint"}],"errors":N,"warnings":N}`.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Print the JSON Schema of the manifest format.
    Schema,
}

/// How `check` prints diagnostics.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Rendered like rustc, on stderr.
    Human,
    /// One line of JSON, on stdout.
    Json,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Generate {
            manifest,
            out,
            runtime_path,
        } => match Builder::new()
            .manifest(&manifest)
            .out_dir(&out)
            .runtime_path(runtime_path)
            .generate()
        {
            Ok(generated) => {
                eprint!("{}", generated.diagnostics().render());
                for path in generated.outputs() {
                    println!("{}", path.display());
                }
                ExitCode::SUCCESS
            }
            Err(diagnostics) => {
                eprint!("{}", diagnostics.render());
                ExitCode::FAILURE
            }
        },
        Command::Check { manifests, format } => {
            let builder = manifests.iter().fold(Builder::new(), |b, m| b.manifest(m));
            let diagnostics = builder.check();
            if format == Format::Json {
                println!("{}", diagnostics.to_json());
                return if diagnostics.has_errors() {
                    ExitCode::FAILURE
                } else {
                    ExitCode::SUCCESS
                };
            }
            eprint!("{}", diagnostics.render());
            if diagnostics.has_errors() {
                ExitCode::FAILURE
            } else {
                eprintln!(
                    "ok: {} manifest{} checked, {} warning{}",
                    manifests.len(),
                    if manifests.len() == 1 { "" } else { "s" },
                    diagnostics.len(),
                    if diagnostics.len() == 1 { "" } else { "s" }
                );
                ExitCode::SUCCESS
            }
        }
        Command::Schema => {
            print!("{}", mcpgen_codegen::manifest_schema());
            ExitCode::SUCCESS
        }
    }
}
