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
    /// Generate `<stem>.rs` (and the tools' JSON Schemas under `<stem>.schemas/`)
    /// from each manifest: the same bytes a build script writes. Files are written
    /// only when their bytes change; schemas of tools that went away are removed.
    Generate {
        /// The manifests (`.yaml`, `.yml` or `.json`).
        #[arg(required = true)]
        manifests: Vec<PathBuf>,
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
        /// Also regenerate in memory and compare with the files in this directory:
        /// exits 1 when any is stale, missing or extra.
        #[arg(long, value_name = "DIR")]
        generated: Option<PathBuf>,
        /// With `--generated`: the runtime path the files were generated with.
        #[arg(long, default_value = "::mcpgen_runtime", requires = "generated")]
        runtime_path: String,
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
            manifests,
            out,
            runtime_path,
        } => match manifests
            .iter()
            .fold(Builder::new(), |b, m| b.manifest(m))
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
        Command::Check {
            manifests,
            format,
            generated,
            runtime_path,
        } => {
            let builder = manifests
                .iter()
                .fold(Builder::new(), |b, m| b.manifest(m))
                .runtime_path(runtime_path);
            let diagnostics = match &generated {
                Some(dir) => builder.check_generated(dir),
                None => builder.check(),
            };
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
                    "ok: {} manifest{} checked{}, {} warning{}",
                    manifests.len(),
                    if manifests.len() == 1 { "" } else { "s" },
                    generated
                        .map(|dir| format!(", generated code in {} up to date", dir.display()))
                        .unwrap_or_default(),
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
