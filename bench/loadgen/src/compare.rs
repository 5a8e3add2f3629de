//! The `compare` orchestrator: every scenario against a fresh server per run, ours
//! and the peer alternating, the server pinned to one core and the load generator
//! to the other; medians of rounds, ratios, budgets, and a markdown table.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::calls::{self, CallsConfig, CallsReport, Protocol};
use crate::check::Format;
use crate::report::{self, Machine};
use crate::server::{HttpServer, ServerCommand};
use crate::sessions::{self, IdleReport, OpenReport};
use crate::stats::median;
use crate::stdio::{self, StdioConfig, StdioReport};
use crate::target::Target;

/// How to run the comparison.
#[derive(Debug, Clone)]
pub struct CompareConfig {
    /// Our echo server.
    pub ours: PathBuf,
    /// The peer's echo server.
    pub peer: PathBuf,
    /// Rounds and pinning.
    pub runs: Runs,
}

/// How a side-by-side run goes (`compare`'s and `service`'s).
#[derive(Debug, Clone, Copy)]
pub struct Runs {
    /// Rounds, each running every server or variant once.
    pub rounds: usize,
    /// Shorter everything, for smoke tests.
    pub quick: bool,
    /// The core servers run on.
    pub server_cpu: usize,
    /// The core the load generator runs on (the caller pins itself).
    pub generator_cpu: usize,
}

impl Runs {
    /// Checks that both servers can be run, and notes the machine they will run on.
    pub fn start(&self, programs: [&PathBuf; 2]) -> Result<Machine, String> {
        for program in programs {
            check_executable(program)?;
        }
        Ok(Machine::now())
    }
}

/// Sizes of the scenarios.
struct Sizes {
    duration: Duration,
    warmup: Duration,
    idle_sessions: [usize; 2],
    stdio_calls: u64,
}

impl Sizes {
    fn new(quick: bool) -> Sizes {
        if quick {
            Sizes {
                duration: Duration::from_secs(2),
                warmup: Duration::from_secs(1),
                idle_sessions: [10_000, 1_000],
                stdio_calls: 50_000,
            }
        } else {
            Sizes {
                duration: Duration::from_secs(10),
                warmup: Duration::from_secs(2),
                idle_sessions: [10_000, 100_000],
                stdio_calls: 200_000,
            }
        }
    }
}

/// The workload of the calls scenarios (from the issue).
const CALL_SESSIONS: usize = 16;
const CALL_CONCURRENCY: usize = 64;
const TEXT_BYTES: usize = 64;
const OPEN_SESSIONS: usize = 2_000;
const OPEN_CONCURRENCY: usize = 32;
const IDLE_CONCURRENCY: usize = 32;
const STDIO_WINDOW: usize = 1_024;

/// What a scenario runs.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Calls(Format),
    Open,
    Idle(usize),
    Stdio,
}

/// A scenario's name and workload.
struct Scenario {
    name: String,
    kind: Kind,
}

fn scenarios(sizes: &Sizes) -> Vec<Scenario> {
    let mut list = vec![
        Scenario {
            name: "calls-sse".into(),
            kind: Kind::Calls(Format::Sse),
        },
        Scenario {
            name: "calls-json".into(),
            kind: Kind::Calls(Format::Json),
        },
        Scenario {
            name: "open".into(),
            kind: Kind::Open,
        },
    ];
    for sessions in sizes.idle_sessions {
        list.push(Scenario {
            name: format!("idle-{}k", sessions / 1000),
            kind: Kind::Idle(sessions),
        });
    }
    list.push(Scenario {
        name: "stdio".into(),
        kind: Kind::Stdio,
    });
    list
}

/// One run's report, whichever the scenario.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum RunReport {
    /// `calls-sse`, `calls-json`.
    Calls(CallsReport),
    /// `open`.
    Open(OpenReport),
    /// `idle-*`.
    Idle(IdleReport),
    /// `stdio`.
    Stdio(StdioReport),
}

/// One run: which server, which round, what it measured.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// `ours` or `peer`.
    pub server: &'static str,
    /// 1-based.
    pub round: usize,
    /// Whether the server was still running when the run ended (HTTP scenarios).
    pub server_survived: bool,
    /// The figures.
    pub report: RunReport,
}

/// What a budget asks of a figure.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(tag = "kind", content = "limit", rename_all = "snake_case")]
pub enum Budget {
    /// Shown for information only.
    None,
    /// ours / peer must be at most this.
    RatioAtMost(f64),
    /// ours / peer must be at least this.
    RatioAtLeast(f64),
    /// Ours must be at most this.
    OursAtMost(f64),
    /// Ours must be at least this.
    OursAtLeast(f64),
    /// Ours must be zero.
    OursZero,
}

impl Budget {
    fn describe(self) -> String {
        match self {
            Budget::None => "—".into(),
            Budget::RatioAtMost(limit) => format!("ratio ≤ {limit}"),
            Budget::RatioAtLeast(limit) => format!("ratio ≥ {limit}"),
            Budget::OursAtMost(limit) => format!("≤ {}", report::whole(limit)),
            Budget::OursAtLeast(limit) => format!("≥ {}", report::whole(limit)),
            Budget::OursZero => "0".into(),
        }
    }

    /// Whether the figures meet it; `None` for information-only figures or
    /// when a figure is missing.
    fn met(self, ours: Option<f64>, ratio: Option<f64>) -> Option<bool> {
        match self {
            Budget::None => None,
            Budget::RatioAtMost(limit) => ratio.map(|r| r <= limit),
            Budget::RatioAtLeast(limit) => ratio.map(|r| r >= limit),
            Budget::OursAtMost(limit) => ours.map(|v| v <= limit),
            Budget::OursAtLeast(limit) => ours.map(|v| v >= limit),
            Budget::OursZero => ours.map(|v| v == 0.0),
        }
    }
}

/// How rounds combine into one figure.
#[derive(Debug, Clone, Copy)]
enum Combine {
    Median,
    Sum,
}

/// How figures are written.
#[derive(Debug, Clone, Copy)]
enum Unit {
    Micros,
    Whole,
}

/// One row of the table: a figure taken from each run.
struct FigureSpec {
    name: &'static str,
    unit: Unit,
    combine: Combine,
    budget: Budget,
    value: fn(&RunReport) -> Option<f64>,
}

fn figure_specs(kind: Kind) -> Vec<FigureSpec> {
    let spec = |name, unit, combine, budget, value| FigureSpec {
        name,
        unit,
        combine,
        budget,
        value,
    };
    match kind {
        Kind::Calls(_) => vec![
            spec(
                "server CPU per call (µs)",
                Unit::Micros,
                Combine::Median,
                Budget::RatioAtMost(0.5),
                |r| calls_report(r).map(|c| c.server_cpu_us_per_request),
            ),
            spec(
                "p99 latency (µs)",
                Unit::Whole,
                Combine::Median,
                Budget::RatioAtMost(0.5),
                |r| calls_report(r).map(|c| c.latency.p99_us as f64),
            ),
            spec(
                "errors (all rounds)",
                Unit::Whole,
                Combine::Sum,
                Budget::OursZero,
                |r| calls_report(r).map(|c| (c.errors + c.warmup_errors) as f64),
            ),
            spec("calls/s", Unit::Whole, Combine::Median, Budget::None, |r| {
                calls_report(r).map(|c| c.requests_per_s)
            }),
            spec(
                "p50 latency (µs)",
                Unit::Whole,
                Combine::Median,
                Budget::None,
                |r| calls_report(r).map(|c| c.latency.p50_us as f64),
            ),
            spec(
                "generator CPU per call (µs)",
                Unit::Micros,
                Combine::Median,
                Budget::None,
                |r| calls_report(r).map(|c| c.generator_cpu_us_per_request),
            ),
        ],
        Kind::Open => vec![
            spec(
                "sessions opened/s",
                Unit::Whole,
                Combine::Median,
                Budget::RatioAtLeast(2.0),
                |r| open_report(r).map(|o| o.sessions_per_s),
            ),
            spec(
                "errors (all rounds)",
                Unit::Whole,
                Combine::Sum,
                Budget::OursZero,
                |r| open_report(r).map(|o| o.errors as f64),
            ),
            spec(
                "server CPU per session (µs)",
                Unit::Micros,
                Combine::Median,
                Budget::None,
                |r| open_report(r).map(|o| o.server_cpu_us_per_session),
            ),
            spec(
                "p99 open (µs)",
                Unit::Whole,
                Combine::Median,
                Budget::None,
                |r| open_report(r).map(|o| o.latency.p99_us as f64),
            ),
        ],
        Kind::Idle(_) => vec![
            spec(
                "bytes per idle session",
                Unit::Whole,
                Combine::Median,
                Budget::OursAtMost(2048.0),
                |r| idle_report(r).map(|i| i.bytes_per_session),
            ),
            spec(
                "errors (all rounds)",
                Unit::Whole,
                Combine::Sum,
                Budget::OursZero,
                |r| idle_report(r).map(|i| i.errors as f64),
            ),
        ],
        Kind::Stdio => vec![
            spec(
                "calls/s",
                Unit::Whole,
                Combine::Median,
                Budget::OursAtLeast(100_000.0),
                |r| stdio_report(r).map(|s| s.calls_per_s),
            ),
            spec(
                "errors (all rounds)",
                Unit::Whole,
                Combine::Sum,
                Budget::OursZero,
                |r| stdio_report(r).map(|s| s.errors as f64),
            ),
            spec(
                "server CPU per call (µs)",
                Unit::Micros,
                Combine::Median,
                Budget::None,
                |r| stdio_report(r).map(|s| s.server_cpu_us_per_call),
            ),
        ],
    }
}

fn calls_report(report: &RunReport) -> Option<&CallsReport> {
    match report {
        RunReport::Calls(c) => Some(c),
        _ => None,
    }
}

fn open_report(report: &RunReport) -> Option<&OpenReport> {
    match report {
        RunReport::Open(o) => Some(o),
        _ => None,
    }
}

fn idle_report(report: &RunReport) -> Option<&IdleReport> {
    match report {
        RunReport::Idle(i) => Some(i),
        _ => None,
    }
}

fn stdio_report(report: &RunReport) -> Option<&StdioReport> {
    match report {
        RunReport::Stdio(s) => Some(s),
        _ => None,
    }
}

/// One combined figure of a scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// What it is.
    pub name: &'static str,
    /// Ours, over the rounds (median, or sum for errors).
    pub ours: Option<f64>,
    /// The peer's, likewise.
    pub peer: Option<f64>,
    /// ours / peer.
    pub ratio: Option<f64>,
    /// The budget.
    pub budget: Budget,
    /// Whether it is met (`None`: information only).
    pub met: Option<bool>,
    #[serde(skip)]
    unit: Unit,
}

/// A scenario's figures and raw runs.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    /// Its name.
    pub name: String,
    /// Combined figures.
    pub figures: Vec<Figure>,
    /// Every run, in the order run.
    pub runs: Vec<Run>,
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Where and when.
    pub machine: Machine,
    /// Our server's file name.
    pub ours: String,
    /// The peer's file name.
    pub peer: String,
    /// Rounds per scenario.
    pub rounds: usize,
    /// Whether `--quick` shortened it.
    pub quick: bool,
    /// The server core.
    pub server_cpu: usize,
    /// The load generator core.
    pub generator_cpu: usize,
    /// Per scenario.
    pub scenarios: Vec<ScenarioResult>,
}

/// Runs every scenario. Fails only if a server cannot be started or set up.
pub async fn run(config: &CompareConfig) -> Result<Comparison, String> {
    let machine = config.runs.start([&config.ours, &config.peer])?;
    let Runs {
        rounds,
        quick,
        server_cpu,
        generator_cpu,
    } = config.runs;
    let sizes = Sizes::new(quick);
    let rounds = rounds.max(1);
    let sides = [("ours", &config.ours), ("peer", &config.peer)];
    let mut results = Vec::new();
    for scenario in scenarios(&sizes) {
        let mut runs = Vec::new();
        for round in 1..=rounds {
            for (side, program) in sides {
                let command = ServerCommand {
                    program: program.clone(),
                    args: Vec::new(),
                    cpu: Some(server_cpu),
                };
                let (report, server_survived) = run_once(&scenario, &command, &sizes)
                    .await
                    .map_err(|e| format!("{} round {round}, {side}: {e}", scenario.name))?;
                eprintln!(
                    "[{}] round {round}/{rounds} {side}: {}{}",
                    scenario.name,
                    progress_line(&report),
                    if server_survived {
                        ""
                    } else {
                        " (the server died)"
                    }
                );
                runs.push(Run {
                    server: side,
                    round,
                    server_survived,
                    report,
                });
                // Let the killed server's memory and sockets go before the next.
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        let figures = combine(scenario.kind, &runs);
        results.push(ScenarioResult {
            name: scenario.name,
            figures,
            runs,
        });
    }
    Ok(Comparison {
        machine,
        ours: file_name(&config.ours),
        peer: file_name(&config.peer),
        rounds,
        quick,
        server_cpu,
        generator_cpu,
        scenarios: results,
    })
}

/// One run against a fresh server.
async fn run_once(
    scenario: &Scenario,
    command: &ServerCommand,
    sizes: &Sizes,
) -> Result<(RunReport, bool), String> {
    if let Kind::Stdio = scenario.kind {
        let mut command = command.clone();
        command.args.push("--stdio".into());
        let config = StdioConfig {
            calls: sizes.stdio_calls,
            window: STDIO_WINDOW,
            text_bytes: TEXT_BYTES,
        };
        let report = stdio::run(&command, &config).await?;
        return Ok((RunReport::Stdio(report), true));
    }
    let extra: &[&str] = match scenario.kind {
        Kind::Calls(Format::Json) => &["--json-responses"],
        _ => &[],
    };
    let mut server = HttpServer::start(command, extra)?;
    let target = Arc::new(Target::parse(&server.url)?);
    let pid = server.pid();
    let outcome = match scenario.kind {
        Kind::Calls(format) => {
            let config = CallsConfig {
                sessions: CALL_SESSIONS,
                concurrency: CALL_CONCURRENCY,
                duration: sizes.duration,
                warmup: sizes.warmup,
                text_bytes: TEXT_BYTES,
                expect: Some(format),
                protocol: Protocol::Http1,
            };
            calls::run(target, pid, &config).await.map(RunReport::Calls)
        }
        Kind::Open => sessions::run_open(target, pid, OPEN_SESSIONS, OPEN_CONCURRENCY)
            .await
            .map(RunReport::Open),
        Kind::Idle(count) => sessions::run_idle(target, pid, count, IDLE_CONCURRENCY)
            .await
            .map(RunReport::Idle),
        Kind::Stdio => unreachable!("handled above"),
    };
    let survived = server.is_running();
    let report = outcome.map_err(|e| format!("{e}{}", server.stderr.render()))?;
    Ok((report, survived))
}

fn progress_line(report: &RunReport) -> String {
    match report {
        RunReport::Calls(c) => format!(
            "{:.0} calls/s, server {:.1} µs/call, generator {:.1} µs/call, p99 {} µs, errors {}",
            c.requests_per_s,
            c.server_cpu_us_per_request,
            c.generator_cpu_us_per_request,
            c.latency.p99_us,
            c.errors + c.warmup_errors
        ),
        RunReport::Open(o) => format!(
            "{:.0} sessions/s, server {:.1} µs/session, p99 {} µs, errors {}",
            o.sessions_per_s, o.server_cpu_us_per_session, o.latency.p99_us, o.errors
        ),
        RunReport::Idle(i) => format!(
            "{:.0} bytes/session ({} sessions), errors {}",
            i.bytes_per_session, i.opened, i.errors
        ),
        RunReport::Stdio(s) => format!(
            "{:.0} calls/s, server {:.2} µs/call, errors {}",
            s.calls_per_s, s.server_cpu_us_per_call, s.errors
        ),
    }
}

fn combine(kind: Kind, runs: &[Run]) -> Vec<Figure> {
    figure_specs(kind)
        .into_iter()
        .map(|spec| {
            let side = |name: &str| {
                let values: Vec<f64> = runs
                    .iter()
                    .filter(|run| run.server == name)
                    .filter_map(|run| (spec.value)(&run.report))
                    .collect();
                match spec.combine {
                    Combine::Median => median(&values),
                    Combine::Sum => (!values.is_empty()).then(|| values.iter().sum()),
                }
            };
            let ours = side("ours");
            let peer = side("peer");
            let ratio = match (ours, peer) {
                (Some(o), Some(p)) if p != 0.0 => Some(o / p),
                _ => None,
            };
            Figure {
                name: spec.name,
                ours,
                peer,
                ratio,
                budget: spec.budget,
                met: spec.budget.met(ours, ratio),
                unit: spec.unit,
            }
        })
        .collect()
}

/// Refuses, before any run, a server that cannot be started.
pub fn check_executable(program: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = std::fs::metadata(program).map_err(|e| format!("{}: {e}", program.display()))?;
    if !metadata.is_file() || metadata.permissions().mode() & 0o111 == 0 {
        return Err(format!("{} is not an executable file", program.display()));
    }
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

impl Comparison {
    /// The markdown table, headed by the machine, fit to paste into BENCHMARKS.md.
    pub fn markdown(&self) -> String {
        let m = &self.machine;
        let mut out = format!(
            "### {} vs {}, {}\n\n\
             `nproc` {}, {}, load average at start {}. Server pinned to core {}, load \
             generator to core {}; a fresh server per run, ours and the peer alternating; \
             median of {} round{} (errors: sum). A server that opens no session in \
             `calls-json` (rmcp answers JSON only when stateless) is measured without one.{}\n\n\
             | scenario | figure | ours | peer | ours/peer | budget | met |\n\
             |---|---|---|---|---|---|---|\n",
            self.ours,
            self.peer,
            m.date_utc,
            m.nproc,
            m.cpu_model,
            m.load_average_at_start,
            self.server_cpu,
            self.generator_cpu,
            self.rounds,
            if self.rounds == 1 { "" } else { "s" },
            if self.quick {
                " **Quick run (`--quick`): shortened, not for the record.**"
            } else {
                ""
            },
        );
        for scenario in &self.scenarios {
            for figure in &scenario.figures {
                let show = |value: Option<f64>| match (value, figure.unit) {
                    (None, _) => "—".to_owned(),
                    (Some(v), Unit::Micros) => report::micros(v),
                    (Some(v), Unit::Whole) => report::whole(v),
                };
                let met = match figure.met {
                    None => "",
                    Some(true) => "yes",
                    Some(false) => "**no**",
                };
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} | {} |\n",
                    scenario.name,
                    figure.name,
                    show(figure.ours),
                    show(figure.peer),
                    report::ratio(figure.ratio),
                    figure.budget.describe(),
                    met
                ));
            }
        }
        let notes = self.notes();
        if !notes.is_empty() {
            out.push('\n');
            for note in notes {
                out.push_str(&format!("- {note}\n"));
            }
        }
        out
    }

    /// Runs that need a second look: errors, servers that died.
    fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        for scenario in &self.scenarios {
            for run in &scenario.runs {
                let where_ = format!("{} round {} ({})", scenario.name, run.round, run.server);
                if !run.server_survived {
                    notes.push(format!(
                        "{where_}: the server was no longer running at the end"
                    ));
                }
                let samples = match &run.report {
                    RunReport::Calls(c) => &c.error_samples,
                    RunReport::Open(o) => &o.error_samples,
                    RunReport::Idle(i) => &i.error_samples,
                    RunReport::Stdio(s) => &s.error_samples,
                };
                if let Some(first) = samples.first() {
                    let first = first.lines().next().unwrap_or_default();
                    notes.push(format!("{where_}: first error: {first}"));
                }
            }
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stdio_run(server: &'static str, calls_per_s: f64, errors: u64) -> Run {
        Run {
            server,
            round: 1,
            server_survived: true,
            report: RunReport::Stdio(StdioReport {
                scenario: "stdio",
                command: "echo --stdio".into(),
                calls: 10,
                window: 1,
                text_bytes: 64,
                answered: 10,
                elapsed_s: 1.0,
                calls_per_s,
                errors,
                error_samples: Vec::new(),
                server_cpu_s: 1.0,
                server_cpu_us_per_call: 10.0,
                generator_cpu_us_per_call: 1.0,
            }),
        }
    }

    #[test]
    fn figures_are_medians_errors_are_sums() {
        let runs = vec![
            stdio_run("ours", 120_000.0, 0),
            stdio_run("peer", 50_000.0, 1),
            stdio_run("ours", 90_000.0, 0),
            stdio_run("peer", 70_000.0, 2),
            stdio_run("ours", 150_000.0, 0),
            stdio_run("peer", 60_000.0, 0),
        ];
        let figures = combine(Kind::Stdio, &runs);
        let rate = &figures[0];
        assert_eq!(rate.ours, Some(120_000.0));
        assert_eq!(rate.peer, Some(60_000.0));
        assert_eq!(rate.ratio, Some(2.0));
        assert_eq!(rate.met, Some(true));
        let errors = &figures[1];
        assert_eq!(errors.ours, Some(0.0));
        assert_eq!(errors.peer, Some(3.0));
        assert_eq!(errors.met, Some(true));
        assert_eq!(figures[2].met, None);
    }

    #[test]
    fn servers_must_be_executables() {
        assert!(check_executable(Path::new("/nonexistent/server")).is_err());
        assert!(check_executable(Path::new("/")).is_err());
        let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
        assert!(check_executable(Path::new(manifest)).is_err());
        assert!(check_executable(&std::env::current_exe().unwrap()).is_ok());
    }

    #[test]
    fn budgets() {
        assert_eq!(
            Budget::RatioAtMost(0.5).met(Some(1.0), Some(0.5)),
            Some(true)
        );
        assert_eq!(
            Budget::RatioAtMost(0.5).met(Some(1.0), Some(0.51)),
            Some(false)
        );
        assert_eq!(
            Budget::RatioAtLeast(2.0).met(Some(1.0), Some(1.9)),
            Some(false)
        );
        assert_eq!(Budget::RatioAtLeast(2.0).met(Some(1.0), None), None);
        assert_eq!(
            Budget::OursAtMost(2048.0).met(Some(2049.0), None),
            Some(false)
        );
        assert_eq!(
            Budget::OursAtLeast(100_000.0).met(Some(100_000.0), None),
            Some(true)
        );
        assert_eq!(Budget::OursZero.met(Some(1.0), None), Some(false));
        assert_eq!(Budget::None.met(Some(1.0), Some(1.0)), None);
    }

    #[test]
    fn quick_runs_shrink_the_idle_scenario() {
        let names: Vec<String> = scenarios(&Sizes::new(true))
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(
            names,
            [
                "calls-sse",
                "calls-json",
                "open",
                "idle-10k",
                "idle-1k",
                "stdio"
            ]
        );
        let full: Vec<String> = scenarios(&Sizes::new(false))
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(
            full,
            [
                "calls-sse",
                "calls-json",
                "open",
                "idle-10k",
                "idle-100k",
                "stdio"
            ]
        );
    }

    #[test]
    fn table_rows() {
        let comparison = Comparison {
            machine: Machine {
                date_utc: "2026-01-01 00:00 UTC".into(),
                nproc: 2,
                cpu_model: "Test CPU".into(),
                load_average_at_start: "0.00 0.00 0.00".into(),
            },
            ours: "echo".into(),
            peer: "rmcp-echo".into(),
            rounds: 1,
            quick: false,
            server_cpu: 0,
            generator_cpu: 1,
            scenarios: vec![ScenarioResult {
                name: "stdio".into(),
                figures: combine(
                    Kind::Stdio,
                    &[
                        stdio_run("ours", 99_000.0, 0),
                        stdio_run("peer", 50_000.0, 0),
                    ],
                ),
                runs: Vec::new(),
            }],
        };
        let table = comparison.markdown();
        assert!(
            table.contains("| stdio | calls/s | 99,000 | 50,000 | 1.98 | ≥ 100,000 | **no** |"),
            "{table}"
        );
        assert!(table.contains("Test CPU"), "{table}");
    }
}
