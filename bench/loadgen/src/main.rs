//! `mcpgen-loadgen`: the load generator behind BENCHMARKS.md's runtime figures.
//! Echo calls, session opening and idle sessions over Streamable HTTP, pipelined
//! calls over stdio, and `compare`, which runs them all against our server and a
//! peer, side by side; `service`, which runs our server mounted in axum, over
//! HTTP/2 and with its observability off or up, against its defaults.
//!
//! It runs on one thread (a current-thread tokio runtime): pinned to one core, it
//! must cost less CPU per request than the servers it measures, and it reports its
//! own CPU per request so that a saturated generator shows.

mod affinity;
mod calls;
mod check;
mod cli;
mod client;
mod compare;
mod errors;
mod h2;
mod http1;
mod procfs;
mod report;
mod server;
mod service;
mod sessions;
mod sse;
mod stats;
mod stdio;
mod target;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use serde::Serialize;

use crate::cli::{Cli, Command};
use crate::server::ServerCommand;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Pin before the runtime exists, so that everything it starts stays on the core.
    let generator_cpu = match &cli.command {
        Command::Compare(args) => Some(args.runs.generator_cpu),
        Command::Service(args) => Some(args.runs.generator_cpu),
        _ => None,
    };
    if let Some(cpu) = generator_cpu {
        if let Err(e) = affinity::pin_current_thread(cpu) {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let json = cli.json;
    match cli.command {
        Command::Calls(args) => {
            let target = Arc::new(args.auth.target(&args.url)?);
            let report = calls::run(target, args.pid, &args.config()).await?;
            emit(json, &report, &report)
        }
        Command::Open(args) => {
            let target = Arc::new(args.auth.target(&args.url)?);
            let report = sessions::run_open(
                target,
                args.pid,
                args.sessions as usize,
                args.concurrency as usize,
            )
            .await?;
            emit(json, &report, &report)
        }
        Command::Idle(args) => {
            let target = Arc::new(args.auth.target(&args.url)?);
            let report = sessions::run_idle(
                target,
                args.pid,
                args.sessions as usize,
                args.concurrency as usize,
            )
            .await?;
            emit(json, &report, &report)
        }
        Command::Stdio(args) => {
            let (program, rest) = args.cmd.split_first().ok_or("--cmd needs a program")?;
            let server = ServerCommand {
                program: program.into(),
                args: rest.to_vec(),
                cpu: args.server_cpu,
            };
            let report = stdio::run(&server, &args.config()).await?;
            emit(json, &report, &report)
        }
        Command::Compare(args) => {
            let config = args.config();
            let comparison = compare::run(&config).await?;
            if let Some(path) = &args.runs.out {
                write_raw(path, &comparison)?;
            }
            emit(json, &comparison, &comparison.markdown())
        }
        Command::Service(args) => {
            let comparison = service::run(&args.config()).await?;
            if let Some(path) = &args.runs.out {
                write_raw(path, &comparison)?;
            }
            emit(json, &comparison, &comparison.markdown())
        }
    }
}

/// Writes every raw figure as pretty JSON to `path`, creating its directory.
fn write_raw(path: &std::path::Path, value: &impl Serialize) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    std::fs::write(path, text + "\n").map_err(|e| format!("writing {}: {e}", path.display()))?;
    eprintln!("raw figures written to {}", path.display());
    Ok(())
}

/// Prints the JSON object on stdout (the human summary then goes to stderr), or
/// the human summary on stdout.
fn emit(json: bool, value: &impl Serialize, human: &impl std::fmt::Display) -> Result<(), String> {
    if json {
        eprintln!("{human}");
        let line = serde_json::to_string(value).map_err(|e| e.to_string())?;
        println!("{line}");
    } else {
        println!("{human}");
    }
    Ok(())
}
