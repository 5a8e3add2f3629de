//! The command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::calls::{CallsConfig, Protocol};
use crate::check::Format;
use crate::compare::{CompareConfig, Runs};
use crate::service::ServiceConfig;
use crate::stdio::StdioConfig;
use crate::target::Target;

/// Load generator for MCP echo servers (loopback only).
#[derive(Debug, Parser)]
#[command(name = "mcpgen-loadgen", version)]
pub struct Cli {
    /// Print one JSON object per run on stdout (the human summary goes to stderr).
    #[arg(long, global = true)]
    pub json: bool,
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The scenarios, and the orchestrator.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Echo calls kept in flight over sessions; throughput, latency, CPU per call.
    Calls(CallsArgs),
    /// Open sessions (initialize + initialized), C at a time; rate and CPU per session.
    Open(OpenArgs),
    /// Open sessions and leave them idle; server memory per session.
    Idle(IdleArgs),
    /// Pipelined echo calls through a server's stdin and stdout.
    Stdio(StdioArgs),
    /// Every scenario against our server and a peer, alternating; a markdown table.
    Compare(CompareArgs),
    /// Our server mounted in axum, over HTTP/2, with metrics and tracing off or up,
    /// against its standalone defaults, in turn; markdown tables.
    Service(ServiceArgs),
}

// Bounds that keep every figure's memory and time finite.
const MAX_SESSIONS: i64 = 10_000_000;
const MAX_CONCURRENCY: i64 = 10_000;
const MAX_TEXT_BYTES: i64 = 1 << 20;
const MAX_STDIO_CALLS: u64 = 1_000_000_000;
const MAX_WINDOW: i64 = 1_000_000;

/// `calls`.
#[derive(Debug, Args)]
pub struct CallsArgs {
    /// The MCP endpoint, e.g. http://127.0.0.1:3000/mcp (loopback only).
    #[arg(long)]
    pub url: String,
    /// The server's process id (for its CPU time).
    #[arg(long)]
    pub pid: u32,
    /// Sessions to spread the calls over.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=MAX_SESSIONS))]
    pub sessions: u32,
    /// Calls in flight (one connection each).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=MAX_CONCURRENCY))]
    pub concurrency: u32,
    /// The measured window (e.g. 10s, 500ms).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Load before the window, not measured.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// Bytes of text per call.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=MAX_TEXT_BYTES))]
    pub text_bytes: u32,
    /// Count replies in the other format as errors.
    #[arg(long, value_parser = parse_format)]
    pub expect: Option<Format>,
    /// `h1`: HTTP/1.1, a connection per call in flight; `h2`: HTTP/2 with prior
    /// knowledge (h2c), the calls in flight multiplexed over --h2-connections.
    #[arg(long, default_value = "h1", value_parser = parse_protocol_name)]
    pub protocol: ProtocolName,
    /// With --protocol h2: the connections the calls in flight spread over.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=MAX_CONCURRENCY))]
    pub h2_connections: u32,
    #[command(flatten)]
    pub auth: AuthArgs,
}

/// How the scenarios that talk HTTP to a running server authenticate.
#[derive(Debug, Args)]
pub struct AuthArgs {
    /// Send `Authorization: Bearer TOKEN` with every request (initialize, calls,
    /// deletes), for a server that requires OAuth (`--auth-issuer`).
    #[arg(
        long,
        env = "MCPGEN_LOADGEN_BEARER",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub bearer: Option<String>,
}

impl AuthArgs {
    /// The target at `url`, with the bearer token if one was given.
    pub fn target(&self, url: &str) -> Result<Target, String> {
        Target::parse(url)?.with_bearer(self.bearer.as_deref())
    }
}

/// The value of `--protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolName {
    /// `h1`, `http1`, `http/1.1`.
    Http1,
    /// `h2`, `h2c`, `http2`, `http/2`.
    Http2,
}

impl CallsArgs {
    /// The scenario's settings.
    pub fn config(&self) -> CallsConfig {
        CallsConfig {
            sessions: self.sessions as usize,
            concurrency: self.concurrency as usize,
            duration: self.duration,
            warmup: self.warmup,
            text_bytes: self.text_bytes as usize,
            expect: self.expect,
            protocol: match self.protocol {
                ProtocolName::Http1 => Protocol::Http1,
                ProtocolName::Http2 => Protocol::Http2 {
                    connections: self.h2_connections as usize,
                },
            },
        }
    }
}

/// `open`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The MCP endpoint (loopback only).
    #[arg(long)]
    pub url: String,
    /// The server's process id.
    #[arg(long)]
    pub pid: u32,
    /// Sessions to open.
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u32).range(1..=MAX_SESSIONS))]
    pub sessions: u32,
    /// Sessions opened at a time (one connection each).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=MAX_CONCURRENCY))]
    pub concurrency: u32,
    #[command(flatten)]
    pub auth: AuthArgs,
}

/// `idle`.
#[derive(Debug, Args)]
pub struct IdleArgs {
    /// The MCP endpoint (loopback only).
    #[arg(long)]
    pub url: String,
    /// The server's process id (for its memory).
    #[arg(long)]
    pub pid: u32,
    /// Sessions to open and leave idle.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_SESSIONS))]
    pub sessions: u32,
    /// Sessions opened at a time (one connection each).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=MAX_CONCURRENCY))]
    pub concurrency: u32,
    #[command(flatten)]
    pub auth: AuthArgs,
}

/// `stdio`.
#[derive(Debug, Args)]
pub struct StdioArgs {
    /// Calls to make.
    #[arg(long, default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(1..=MAX_STDIO_CALLS))]
    pub calls: u64,
    /// Calls in flight.
    #[arg(long, default_value_t = 1_024, value_parser = clap::value_parser!(u32).range(1..=MAX_WINDOW))]
    pub window: u32,
    /// Bytes of text per call.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=MAX_TEXT_BYTES))]
    pub text_bytes: u32,
    /// Pin the server to this core (pin the load generator itself with taskset).
    #[arg(long)]
    pub server_cpu: Option<usize>,
    /// The server to start, and its arguments (put it last: everything after it
    /// is the server's).
    #[arg(long, required = true, num_args = 1.., allow_hyphen_values = true, value_name = "PROGRAM [ARGS]...")]
    pub cmd: Vec<String>,
}

impl StdioArgs {
    /// The scenario's settings.
    pub fn config(&self) -> StdioConfig {
        StdioConfig {
            calls: self.calls,
            window: self.window as usize,
            text_bytes: self.text_bytes as usize,
        }
    }
}

/// `compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Our echo server.
    #[arg(long)]
    pub ours: PathBuf,
    /// The peer's echo server (same command line as ours).
    #[arg(long)]
    pub peer: PathBuf,
    #[command(flatten)]
    pub runs: RunArgs,
}

impl CompareArgs {
    /// The comparison's settings.
    pub fn config(&self) -> CompareConfig {
        CompareConfig {
            ours: self.ours.clone(),
            peer: self.peer.clone(),
            runs: self.runs.runs(),
        }
    }
}

/// `service`.
#[derive(Debug, Args)]
pub struct ServiceArgs {
    /// The standalone echo server (`examples/echo.rs`).
    #[arg(long)]
    pub standalone: PathBuf,
    /// The echo server mounted in an axum router (`examples/echo_axum.rs`); it must
    /// take `--http ADDR`, `--log-level` and print `listening on URL`.
    #[arg(long)]
    pub mounted: PathBuf,
    #[command(flatten)]
    pub runs: RunArgs,
}

impl ServiceArgs {
    /// The comparison's settings.
    pub fn config(&self) -> ServiceConfig {
        ServiceConfig {
            standalone: self.standalone.clone(),
            mounted: self.mounted.clone(),
            runs: self.runs.runs(),
        }
    }
}

/// How `compare` and `service` run: rounds, pinning, where the raw figures go.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Rounds, each running every server or variant once [default: 3, or 1 with
    /// --quick].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub rounds: Option<u32>,
    /// Write every raw figure as JSON here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Shorten everything (1 round, 2 s windows, 1,000 instead of 100,000 idle
    /// sessions), for smoke tests.
    #[arg(long)]
    pub quick: bool,
    /// The core the servers are pinned to.
    #[arg(long, default_value_t = 0)]
    pub server_cpu: usize,
    /// The core the load generator pins itself to.
    #[arg(long, default_value_t = 1)]
    pub generator_cpu: usize,
}

impl RunArgs {
    fn runs(&self) -> Runs {
        let default_rounds = if self.quick { 1 } else { 3 };
        Runs {
            rounds: self.rounds.map_or(default_rounds, |r| r as usize),
            quick: self.quick,
            server_cpu: self.server_cpu,
            generator_cpu: self.generator_cpu,
        }
    }
}

/// `h1` or `h2` (and their longer spellings), any case.
pub fn parse_protocol_name(text: &str) -> Result<ProtocolName, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "h1" | "http1" | "http/1.1" => Ok(ProtocolName::Http1),
        "h2" | "h2c" | "http2" | "http/2" => Ok(ProtocolName::Http2),
        _ => Err(format!("{text:?}: expected h1 or h2")),
    }
}

/// `10s`, `1.5s`, `500ms`, `2m`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (e.g. 10s, 500ms)"))?;
    Duration::try_from_secs_f64(value * scale).map_err(|_| format!("{text:?} is not a duration"))
}

fn parse_format(text: &str) -> Result<Format, String> {
    match text {
        "sse" => Ok(Format::Sse),
        "json" => Ok(Format::Json),
        _ => Err(format!("{text:?}: expected sse or json")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn stdio_command_takes_the_rest() {
        let cli = Cli::try_parse_from([
            "mcpgen-loadgen",
            "stdio",
            "--calls",
            "5",
            "--cmd",
            "./echo",
            "--stdio",
        ])
        .unwrap();
        let Command::Stdio(args) = cli.command else {
            panic!("not stdio")
        };
        assert_eq!(args.cmd, ["./echo", "--stdio"]);
        assert_eq!(args.calls, 5);
    }

    #[test]
    fn quick_comparisons_run_one_round() {
        let parse = |args: &[&str]| {
            let base = ["mcpgen-loadgen", "compare", "--ours", "a", "--peer", "b"];
            let cli = Cli::try_parse_from(base.iter().chain(args)).unwrap();
            let Command::Compare(args) = cli.command else {
                panic!("not compare")
            };
            args.config().runs
        };
        assert_eq!(parse(&[]).rounds, 3);
        assert_eq!(parse(&["--quick"]).rounds, 1);
        assert_eq!(parse(&["--quick", "--rounds", "2"]).rounds, 2);
        assert_eq!((parse(&[]).server_cpu, parse(&[]).generator_cpu), (0, 1));
    }

    #[test]
    fn defaults_follow_the_issue() {
        let cli = Cli::try_parse_from([
            "mcpgen-loadgen",
            "calls",
            "--url",
            "http://127.0.0.1:1/mcp",
            "--pid",
            "1",
        ])
        .unwrap();
        let Command::Calls(args) = cli.command else {
            panic!("not calls")
        };
        let config = args.config();
        assert_eq!(
            (config.sessions, config.concurrency, config.text_bytes),
            (16, 64, 64)
        );
        assert_eq!(
            (config.duration, config.warmup),
            (Duration::from_secs(10), Duration::from_secs(2))
        );
        assert_eq!(config.protocol, Protocol::Http1);
    }

    #[test]
    fn protocols() {
        assert_eq!(parse_protocol_name("h1"), Ok(ProtocolName::Http1));
        assert_eq!(parse_protocol_name("HTTP/1.1"), Ok(ProtocolName::Http1));
        assert_eq!(parse_protocol_name("h2"), Ok(ProtocolName::Http2));
        assert_eq!(parse_protocol_name("h2c"), Ok(ProtocolName::Http2));
        assert!(parse_protocol_name("h3").is_err());
        assert!(parse_protocol_name("").is_err());
        let cli = Cli::try_parse_from([
            "mcpgen-loadgen",
            "calls",
            "--url",
            "http://127.0.0.1:1/mcp",
            "--pid",
            "1",
            "--protocol",
            "h2",
            "--h2-connections",
            "2",
        ])
        .unwrap();
        let Command::Calls(args) = cli.command else {
            panic!("not calls")
        };
        assert_eq!(args.config().protocol, Protocol::Http2 { connections: 2 });
    }

    #[test]
    fn bearer_tokens_reach_the_target() {
        let url = "http://127.0.0.1:1/mcp";
        let parse = |extra: &[&str]| {
            let base = ["mcpgen-loadgen", "calls", "--url", url, "--pid", "1"];
            let cli = Cli::try_parse_from(base.iter().chain(extra)).unwrap();
            let Command::Calls(args) = cli.command else {
                panic!("not calls")
            };
            args.auth.target(url).unwrap().authorization
        };
        assert_eq!(
            parse(&["--bearer", "t.k.n"]).as_deref(),
            Some("Bearer t.k.n")
        );
        let open = Cli::try_parse_from([
            "mcpgen-loadgen",
            "open",
            "--url",
            url,
            "--pid",
            "1",
            "--bearer",
            "x",
        ])
        .unwrap();
        let Command::Open(args) = open.command else {
            panic!("not open")
        };
        assert_eq!(args.auth.bearer.as_deref(), Some("x"));
        // Without the flag (and without MCPGEN_LOADGEN_BEARER, unless the
        // environment sets it) no header is sent.
        if std::env::var_os("MCPGEN_LOADGEN_BEARER").is_none() {
            assert_eq!(parse(&[]), None);
        }
    }

    #[test]
    fn service_comparisons_run_three_rounds() {
        let cli = Cli::try_parse_from([
            "mcpgen-loadgen",
            "service",
            "--standalone",
            "a",
            "--mounted",
            "b",
        ])
        .unwrap();
        let Command::Service(args) = cli.command else {
            panic!("not service")
        };
        let runs = args.config().runs;
        assert_eq!(
            (runs.rounds, runs.server_cpu, runs.generator_cpu),
            (3, 0, 1)
        );
    }
}
