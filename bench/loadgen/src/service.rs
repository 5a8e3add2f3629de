//! The `service` orchestrator: our echo server served in different ways (mounted
//! in an axum router, over HTTP/2, with metrics or tracing off or up) against the
//! standalone server with its defaults over HTTP/1.1. Every round runs each
//! variant once, in turn, on a fresh server pinned to one core, so that every
//! ratio pairs runs made minutes apart under the same conditions.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::calls::{self, CallsConfig, CallsReport, Protocol};
use crate::check::Format;
use crate::compare::Runs;
use crate::procfs;
use crate::report::{self, Machine};
use crate::server::{HttpServer, ServerCommand};
use crate::stats::median;
use crate::target::Target;

/// How to run it.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The standalone echo server (`examples/echo.rs`).
    pub standalone: PathBuf,
    /// The same server mounted in a bare axum router (`examples/echo_axum.rs`).
    pub mounted: PathBuf,
    /// Rounds and pinning.
    pub runs: Runs,
}

/// The calls workload, as `compare`'s `calls-sse`.
const CALL_SESSIONS: usize = 16;
const CALL_CONCURRENCY: usize = 64;
const TEXT_BYTES: usize = 64;
/// Over HTTP/2, the 64 calls in flight are 16 streams on each of 4 connections.
pub const H2_CONNECTIONS: usize = 4;

/// Which program serves a variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Program {
    /// `echo --http`: the runtime's own hyper server.
    Standalone,
    /// `echo_axum --http`: `into_http_service` in `axum::Router::route_service`.
    Mounted,
}

/// One way of serving the echo server.
#[derive(Debug, Clone, Copy)]
struct Variant {
    name: &'static str,
    program: Program,
    args: &'static [&'static str],
    protocol: Protocol,
}

/// The baseline every comparison is read against: the standalone server's
/// defaults (metrics kept, log level `warn`) over HTTP/1.1.
const BASELINE: &str = "standalone";

fn variants() -> Vec<Variant> {
    let standalone = |name, args| Variant {
        name,
        program: Program::Standalone,
        args,
        protocol: Protocol::Http1,
    };
    vec![
        standalone(BASELINE, &[]),
        Variant {
            name: "mounted",
            program: Program::Mounted,
            args: &[],
            protocol: Protocol::Http1,
        },
        Variant {
            name: "h2",
            program: Program::Standalone,
            args: &[],
            protocol: Protocol::Http2 {
                connections: H2_CONNECTIONS,
            },
        },
        standalone("metrics-off", &["--metrics-path", "off"]),
        standalone("bare", &["--metrics-path", "off", "--log-level", "off"]),
        standalone("spans-on", &["--log-level", "info"]),
    ]
}

/// A question the runs answer: `measured / against`, server CPU per call.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Question {
    /// What is asked.
    pub name: &'static str,
    /// The numerator's variant.
    pub measured: &'static str,
    /// The denominator's variant.
    pub against: &'static str,
    /// The ratio must be at most this (`None`: information only).
    pub target: Option<f64>,
}

const QUESTIONS: [Question; 6] = [
    Question {
        name: "mounted in axum / standalone",
        measured: "mounted",
        against: BASELINE,
        target: Some(1.10),
    },
    Question {
        name: "HTTP/2 / HTTP/1.1",
        measured: "h2",
        against: BASELINE,
        target: None,
    },
    Question {
        name: "metrics and tracing at the defaults / neither",
        measured: BASELINE,
        against: "bare",
        target: Some(1.10),
    },
    Question {
        name: "metrics kept / off",
        measured: BASELINE,
        against: "metrics-off",
        target: Some(1.10),
    },
    Question {
        name: "tracing at `warn` / off",
        measured: "metrics-off",
        against: "bare",
        target: Some(1.10),
    },
    Question {
        name: "request spans on (`--log-level info`) / defaults",
        measured: "spans-on",
        against: BASELINE,
        target: None,
    },
];

/// One run of one variant.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceRun {
    /// The variant's name.
    pub variant: &'static str,
    /// 1-based.
    pub round: usize,
    /// The 1-minute load average as the run started.
    pub load_average: f64,
    /// Whether the server was still running at the end.
    pub server_survived: bool,
    /// The figures.
    pub report: CallsReport,
}

/// A variant's combined figures (medians of rounds; errors summed).
#[derive(Debug, Clone, Serialize)]
pub struct VariantResult {
    /// Its name.
    pub name: &'static str,
    /// Which program served it.
    pub program: Program,
    /// The server's extra flags.
    pub args: Vec<&'static str>,
    /// HTTP/1.1 or HTTP/2.
    pub protocol: Protocol,
    /// Server CPU per call, µs.
    pub server_cpu_us_per_call: Option<f64>,
    /// Calls per second.
    pub calls_per_s: Option<f64>,
    /// Median latency, µs.
    pub p50_us: Option<f64>,
    /// 99th percentile latency, µs.
    pub p99_us: Option<f64>,
    /// The load generator's CPU per call, µs.
    pub generator_cpu_us_per_call: Option<f64>,
    /// Failed calls over every round, warm-up included.
    pub errors: u64,
}

/// A question's answer.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    /// The question.
    pub question: Question,
    /// Ratio of the medians of server CPU per call.
    pub ratio: Option<f64>,
    /// The same ratio within each round (runs minutes apart), in round order.
    pub round_ratios: Vec<f64>,
    /// Ratio of the medians of calls per second.
    pub throughput_ratio: Option<f64>,
    /// Whether the target is met (`None`: information only, or a figure missing).
    pub met: Option<bool>,
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceComparison {
    /// Where and when.
    pub machine: Machine,
    /// Rounds.
    pub rounds: usize,
    /// Whether `--quick` shortened it.
    pub quick: bool,
    /// The measured window of each run, in seconds.
    pub window_s: f64,
    /// The server core.
    pub server_cpu: usize,
    /// The load generator core.
    pub generator_cpu: usize,
    /// Per variant.
    pub variants: Vec<VariantResult>,
    /// The ratios.
    pub answers: Vec<Answer>,
    /// Every run, in the order run.
    pub runs: Vec<ServiceRun>,
}

/// Runs every variant `rounds` times, in turn. Fails only if a server cannot be
/// started or set up.
pub async fn run(config: &ServiceConfig) -> Result<ServiceComparison, String> {
    let machine = config.runs.start([&config.standalone, &config.mounted])?;
    let Runs {
        rounds,
        quick,
        server_cpu,
        generator_cpu,
    } = config.runs;
    let (duration, warmup) = if quick {
        (Duration::from_secs(2), Duration::from_secs(1))
    } else {
        (Duration::from_secs(10), Duration::from_secs(2))
    };
    let rounds = rounds.max(1);
    let variants = variants();
    let mut runs = Vec::new();
    for round in 1..=rounds {
        for variant in &variants {
            let program = match variant.program {
                Program::Standalone => &config.standalone,
                Program::Mounted => &config.mounted,
            };
            let command = ServerCommand {
                program: program.clone(),
                args: variant.args.iter().map(|a| (*a).to_owned()).collect(),
                cpu: Some(server_cpu),
            };
            let calls = CallsConfig {
                sessions: CALL_SESSIONS,
                concurrency: CALL_CONCURRENCY,
                duration,
                warmup,
                text_bytes: TEXT_BYTES,
                expect: Some(Format::Sse),
                protocol: variant.protocol,
            };
            let load_average = procfs::load_average_1m();
            let (report, server_survived) = run_once(&command, &calls)
                .await
                .map_err(|e| format!("{} round {round}: {e}", variant.name))?;
            eprintln!(
                "[service] round {round}/{rounds} {}: {:.0} calls/s, server {:.1} µs/call, \
                 generator {:.1} µs/call, p99 {} µs, errors {}, load {load_average:.2}{}",
                variant.name,
                report.requests_per_s,
                report.server_cpu_us_per_request,
                report.generator_cpu_us_per_request,
                report.latency.p99_us,
                report.errors + report.warmup_errors,
                if server_survived {
                    ""
                } else {
                    " (the server died)"
                }
            );
            runs.push(ServiceRun {
                variant: variant.name,
                round,
                load_average,
                server_survived,
                report,
            });
            // Let the killed server's sockets go before the next.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let results = variants
        .iter()
        .map(|variant| combine(variant, &runs))
        .collect::<Vec<_>>();
    let answers = QUESTIONS
        .iter()
        .map(|question| answer(*question, &results, &runs))
        .collect();
    Ok(ServiceComparison {
        machine,
        rounds,
        quick,
        window_s: duration.as_secs_f64(),
        server_cpu,
        generator_cpu,
        variants: results,
        answers,
        runs,
    })
}

/// One run against a fresh server.
async fn run_once(
    command: &ServerCommand,
    config: &CallsConfig,
) -> Result<(CallsReport, bool), String> {
    let mut server = HttpServer::start(command, &[])?;
    let target = Arc::new(Target::parse(&server.url)?);
    let outcome = calls::run(target, server.pid(), config).await;
    let survived = server.is_running();
    let report = outcome.map_err(|e| format!("{e}{}", server.stderr.render()))?;
    Ok((report, survived))
}

fn combine(variant: &Variant, runs: &[ServiceRun]) -> VariantResult {
    let mine: Vec<&CallsReport> = runs
        .iter()
        .filter(|run| run.variant == variant.name)
        .map(|run| &run.report)
        .collect();
    let median_of =
        |value: fn(&CallsReport) -> f64| median(&mine.iter().map(|r| value(r)).collect::<Vec<_>>());
    VariantResult {
        name: variant.name,
        program: variant.program,
        args: variant.args.to_vec(),
        protocol: variant.protocol,
        server_cpu_us_per_call: median_of(|r| r.server_cpu_us_per_request),
        calls_per_s: median_of(|r| r.requests_per_s),
        p50_us: median_of(|r| r.latency.p50_us as f64),
        p99_us: median_of(|r| r.latency.p99_us as f64),
        generator_cpu_us_per_call: median_of(|r| r.generator_cpu_us_per_request),
        errors: mine.iter().map(|r| r.errors + r.warmup_errors).sum(),
    }
}

fn answer(question: Question, results: &[VariantResult], runs: &[ServiceRun]) -> Answer {
    let find = |name: &str| results.iter().find(|r| r.name == name);
    let (measured, against) = (find(question.measured), find(question.against));
    let ratio_of = |value: fn(&VariantResult) -> Option<f64>| match (
        measured.and_then(value),
        against.and_then(value),
    ) {
        (Some(m), Some(a)) if a != 0.0 => Some(m / a),
        _ => None,
    };
    let ratio = ratio_of(|r| r.server_cpu_us_per_call);
    let rounds = runs.iter().map(|run| run.round).max().unwrap_or(0);
    let round_ratios = (1..=rounds)
        .filter_map(|round| {
            let cpu = |name: &str| {
                runs.iter()
                    .find(|run| run.round == round && run.variant == name)
                    .map(|run| run.report.server_cpu_us_per_request)
            };
            match (cpu(question.measured), cpu(question.against)) {
                (Some(m), Some(a)) if a != 0.0 => Some(m / a),
                _ => None,
            }
        })
        .collect();
    Answer {
        question,
        ratio,
        round_ratios,
        throughput_ratio: ratio_of(|r| r.calls_per_s),
        met: question.target.zip(ratio).map(|(limit, r)| r <= limit),
    }
}

impl ServiceComparison {
    /// The markdown tables, headed by the machine, fit to paste into BENCHMARKS.md.
    pub fn markdown(&self) -> String {
        let m = &self.machine;
        let loads: Vec<f64> = self.runs.iter().map(|r| r.load_average).collect();
        let load_range = match (
            loads.iter().copied().reduce(f64::min),
            loads.iter().copied().reduce(f64::max),
        ) {
            (Some(low), Some(high)) => format!("{low:.2}–{high:.2}"),
            _ => "—".into(),
        };
        let mut out = format!(
            "### Serving the echo server, {}\n\n\
             `nproc` {}, {}, load average at start {}, 1-minute load {} as the runs \
             started. Server pinned to core {}, load generator to core {}; `calls` \
             over SSE, {} sessions, {} in flight, {} B text, {:.0} s after a warm-up; a \
             fresh server per run, every variant once per round, in turn; median of {} \
             round{} (errors: sum).{}\n\n\
             | variant | server | flags | HTTP | server CPU per call (µs) | calls/s | p50 (µs) | p99 (µs) | generator CPU per call (µs) | errors |\n\
             |---|---|---|---|---|---|---|---|---|---|\n",
            m.date_utc,
            m.nproc,
            m.cpu_model,
            m.load_average_at_start,
            load_range,
            self.server_cpu,
            self.generator_cpu,
            CALL_SESSIONS,
            CALL_CONCURRENCY,
            TEXT_BYTES,
            self.window_s,
            self.rounds,
            if self.rounds == 1 { "" } else { "s" },
            if self.quick {
                " **Quick run (`--quick`): shortened, not for the record.**"
            } else {
                ""
            },
        );
        let show = |value: Option<f64>, micros: bool| match value {
            None => "—".to_owned(),
            Some(v) if micros => report::micros(v),
            Some(v) => report::whole(v),
        };
        for v in &self.variants {
            let program = match v.program {
                Program::Standalone => "standalone",
                Program::Mounted => "axum",
            };
            let flags = if v.args.is_empty() {
                "—".to_owned()
            } else {
                format!("`{}`", v.args.join(" "))
            };
            out.push_str(&format!(
                "| {} | {program} | {flags} | {} | {} | {} | {} | {} | {} | {} |\n",
                v.name,
                v.protocol.describe(),
                show(v.server_cpu_us_per_call, true),
                show(v.calls_per_s, false),
                show(v.p50_us, false),
                show(v.p99_us, false),
                show(v.generator_cpu_us_per_call, true),
                v.errors,
            ));
        }
        out.push_str(
            "\n| server CPU per call | ratio | per round | calls/s ratio | target | met |\n\
             |---|---|---|---|---|---|\n",
        );
        for a in &self.answers {
            let rounds: Vec<String> = a.round_ratios.iter().map(|r| format!("{r:.2}")).collect();
            let (target, met) = match (a.question.target, a.met) {
                (None, _) => ("—".to_owned(), ""),
                (Some(limit), met) => (
                    format!("≤ {limit:.2}"),
                    match met {
                        Some(true) => "yes",
                        Some(false) => "**no**",
                        None => "",
                    },
                ),
            };
            out.push_str(&format!(
                "| {} (`{}` / `{}`) | {} | {} | {} | {target} | {met} |\n",
                a.question.name,
                a.question.measured,
                a.question.against,
                report::ratio(a.ratio),
                rounds.join(", "),
                report::ratio(a.throughput_ratio),
            ));
        }
        let notes: Vec<String> = self
            .runs
            .iter()
            .filter_map(|run| {
                let where_ = format!("{} round {}", run.variant, run.round);
                if !run.server_survived {
                    Some(format!(
                        "{where_}: the server was no longer running at the end"
                    ))
                } else {
                    run.report.error_samples.first().map(|e| {
                        format!(
                            "{where_}: first error: {}",
                            e.lines().next().unwrap_or_default()
                        )
                    })
                }
            })
            .collect();
        if !notes.is_empty() {
            out.push('\n');
            for note in notes {
                out.push_str(&format!("- {note}\n"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::LatencySummary;

    fn run(variant: &'static str, round: usize, cpu: f64, calls_per_s: f64) -> ServiceRun {
        ServiceRun {
            variant,
            round,
            load_average: 0.5,
            server_survived: true,
            report: CallsReport {
                scenario: "calls",
                url: "http://127.0.0.1:1/mcp".into(),
                sessions: 16,
                concurrency: 64,
                protocol: Protocol::Http1,
                text_bytes: 64,
                elapsed_s: 1.0,
                requests: calls_per_s as u64,
                requests_per_s: calls_per_s,
                latency: LatencySummary::default(),
                errors: 0,
                warmup_requests: 0,
                warmup_errors: 0,
                error_samples: Vec::new(),
                replies_json: 0,
                replies_sse: calls_per_s as u64,
                server_cpu_s: 1.0,
                server_cpu_us_per_request: cpu,
                generator_cpu_s: 1.0,
                generator_cpu_us_per_request: 1.0,
            },
        }
    }

    #[test]
    fn every_question_names_variants_that_run() {
        let names: Vec<&str> = variants().iter().map(|v| v.name).collect();
        for q in QUESTIONS {
            assert!(names.contains(&q.measured), "{}", q.measured);
            assert!(names.contains(&q.against), "{}", q.against);
        }
        assert_eq!(names[0], BASELINE);
    }

    #[test]
    fn ratios_pair_rounds_and_medians() {
        let all = variants();
        let runs = vec![
            run("standalone", 1, 10.0, 100.0),
            run("mounted", 1, 12.0, 90.0),
            run("standalone", 2, 12.0, 100.0),
            run("mounted", 2, 12.0, 80.0),
            run("standalone", 3, 11.0, 100.0),
            run("mounted", 3, 11.0, 100.0),
        ];
        let results: Vec<VariantResult> = all.iter().map(|v| combine(v, &runs)).collect();
        let mounted = answer(QUESTIONS[0], &results, &runs);
        assert_eq!(mounted.ratio, Some(12.0 / 11.0));
        assert_eq!(mounted.round_ratios, vec![1.2, 1.0, 1.0]);
        assert_eq!(mounted.throughput_ratio, Some(0.9));
        assert_eq!(mounted.met, Some(true));
        // A variant that never ran answers nothing.
        let h2 = answer(QUESTIONS[1], &results, &runs);
        assert_eq!((h2.ratio, h2.met), (None, None));
        assert!(h2.round_ratios.is_empty());
    }
}
