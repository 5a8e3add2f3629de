//! The `calls` scenario: C echo calls kept in flight over N sessions, measured
//! after a warm-up.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::check::Format;
use crate::client::{Connection, Failure, text_for, within_timeout};
use crate::errors::ErrorLog;
use crate::h2::H2Connection;
use crate::procfs;
use crate::stats;
use crate::stats::{Latencies, LatencySummary};
use crate::target::Target;

/// How to run the scenario.
#[derive(Debug, Clone)]
pub struct CallsConfig {
    /// Sessions to open.
    pub sessions: usize,
    /// Requests in flight (one worker and connection each).
    pub concurrency: usize,
    /// The measured window.
    pub duration: Duration,
    /// Load before the window, not measured.
    pub warmup: Duration,
    /// Bytes of text per call.
    pub text_bytes: usize,
    /// If set, replies in the other format count as errors.
    pub expect: Option<Format>,
    /// HTTP/1.1 or HTTP/2.
    pub protocol: Protocol,
}

/// The HTTP version the calls go over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "version", rename_all = "snake_case")]
pub enum Protocol {
    /// One keep-alive connection per call in flight.
    Http1,
    /// h2c with prior knowledge: the calls in flight spread as streams over
    /// `connections` connections.
    Http2 {
        /// Connections opened.
        connections: usize,
    },
}

impl Protocol {
    /// For reports: `HTTP/1.1` or `HTTP/2 (4 connections)`.
    pub fn describe(self) -> String {
        match self {
            Protocol::Http1 => "HTTP/1.1".into(),
            Protocol::Http2 { connections } => format!("HTTP/2 ({connections} connections)"),
        }
    }
}

/// What one run measured (the window after warm-up only, unless named `warmup_`).
#[derive(Debug, Clone, Serialize)]
pub struct CallsReport {
    /// `calls`.
    pub scenario: &'static str,
    /// The endpoint.
    pub url: String,
    /// Sessions used.
    pub sessions: usize,
    /// Requests in flight.
    pub concurrency: usize,
    /// The HTTP version, and for HTTP/2 the connections.
    pub protocol: Protocol,
    /// Bytes of text per call.
    pub text_bytes: usize,
    /// Length of the measured window, in seconds (as timed).
    pub elapsed_s: f64,
    /// Calls answered in the window (including errors).
    pub requests: u64,
    /// `requests / elapsed_s`.
    pub requests_per_s: f64,
    /// Latency of the successful calls.
    pub latency: LatencySummary,
    /// Failed calls in the window.
    pub errors: u64,
    /// Calls answered during warm-up.
    pub warmup_requests: u64,
    /// Failed calls during warm-up.
    pub warmup_errors: u64,
    /// The first few error reasons (warm-up included).
    pub error_samples: Vec<String>,
    /// Successful replies that came as `application/json`.
    pub replies_json: u64,
    /// Successful replies that came as `text/event-stream`.
    pub replies_sse: u64,
    /// Server CPU time (user + system) during the window, in seconds.
    pub server_cpu_s: f64,
    /// Server CPU per call, in microseconds.
    pub server_cpu_us_per_request: f64,
    /// The load generator's own CPU time during the window, in seconds.
    pub generator_cpu_s: f64,
    /// The load generator's CPU per call, in microseconds.
    pub generator_cpu_us_per_request: f64,
}

const WARMING: u8 = 0;
const MEASURING: u8 = 1;
const STOPPED: u8 = 2;

/// How long calls still in flight at the end of the window may take.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Runs the scenario against `target`, whose server process is `pid`. Fails only
/// if the setup fails (no connection, no session).
pub async fn run(
    target: Arc<Target>,
    pid: u32,
    config: &CallsConfig,
) -> Result<CallsReport, String> {
    procfs::cpu_seconds(pid)?;
    let concurrency = config.concurrency.max(1);
    let mut links = Vec::with_capacity(concurrency);
    let sessions = match config.protocol {
        Protocol::Http1 => {
            let mut connections = Vec::with_capacity(concurrency);
            for _ in 0..concurrency {
                connections.push(Connection::open(&target).await?);
            }
            let sessions = open_sessions(&mut connections[0], config.sessions).await?;
            links.extend(connections.into_iter().map(Link::Http1));
            sessions
        }
        Protocol::Http2 { connections } => {
            // Sessions are opened over HTTP/1.1: only the calls are measured.
            let mut setup = Connection::open(&target).await?;
            let sessions = open_sessions(&mut setup, config.sessions).await?;
            let mut shared = Vec::with_capacity(connections.max(1));
            for _ in 0..connections.max(1) {
                shared.push(H2Connection::open(&target).await?);
            }
            for i in 0..concurrency {
                links.push(Link::Http2(shared[i % shared.len()].clone()));
            }
            sessions
        }
    };

    let phase = Arc::new(AtomicU8::new(WARMING));
    let next_id = Arc::new(AtomicU64::new(1));
    let mut tallies = Vec::with_capacity(links.len());
    let mut workers = Vec::with_capacity(links.len());
    for (i, link) in links.into_iter().enumerate() {
        let tally = Arc::new(Mutex::new(Tally::default()));
        tallies.push(tally.clone());
        let worker = Worker {
            link,
            target: target.clone(),
            session: sessions[i % sessions.len()].clone(),
            phase: phase.clone(),
            next_id: next_id.clone(),
            text_bytes: config.text_bytes,
            expect: config.expect,
            tally,
        };
        workers.push(tokio::spawn(worker.run()));
    }

    tokio::time::sleep(config.warmup).await;
    let server_start = procfs::cpu_seconds(pid)?;
    let own_start = procfs::own_cpu_seconds()?;
    let start = Instant::now();
    phase.store(MEASURING, Ordering::Relaxed);
    tokio::time::sleep(config.duration).await;
    phase.store(STOPPED, Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    let server_cpu = procfs::cpu_seconds(pid)? - server_start;
    let own_cpu = procfs::own_cpu_seconds()? - own_start;

    // Workers end after their current call. One still waiting after the grace
    // period was waiting for an answer that did not come in time: an error.
    let grace = tokio::time::sleep(STOP_GRACE);
    tokio::pin!(grace);
    let mut unanswered = 0;
    for mut worker in workers {
        tokio::select! {
            _ = &mut worker => {}
            _ = &mut grace => {
                worker.abort();
                unanswered += 1;
            }
        }
    }
    let mut total = Tally::default();
    for tally in tallies {
        total.merge(std::mem::take(
            &mut *tally.lock().unwrap_or_else(PoisonError::into_inner),
        ));
    }
    if unanswered > 0 {
        total.errors_in_window += unanswered;
        total.errors.record(format!(
            "{unanswered} calls unanswered {STOP_GRACE:?} after the window"
        ));
    }

    // Leave the server as found; failures here do not matter to the figures.
    if let Ok(mut connection) = Connection::open(&target).await {
        for session in sessions.iter().flatten() {
            let _ = connection.delete(session).await;
        }
    }

    let requests = total.ok + total.errors_in_window;
    Ok(CallsReport {
        scenario: "calls",
        url: target.url.clone(),
        sessions: sessions.len(),
        concurrency,
        protocol: config.protocol,
        text_bytes: config.text_bytes,
        elapsed_s: elapsed,
        requests,
        requests_per_s: requests as f64 / elapsed,
        latency: total.latencies.summary(),
        errors: total.errors_in_window,
        warmup_requests: total.warmup_ok + total.warmup_errors,
        warmup_errors: total.warmup_errors,
        error_samples: total.errors.samples,
        replies_json: total.json,
        replies_sse: total.sse,
        server_cpu_s: server_cpu,
        server_cpu_us_per_request: stats::micros_each(server_cpu, requests),
        generator_cpu_s: own_cpu,
        generator_cpu_us_per_request: stats::micros_each(own_cpu, requests),
    })
}

/// `count` sessions opened over `connection` (`None` each from a stateless server).
async fn open_sessions(
    connection: &mut Connection,
    count: usize,
) -> Result<Vec<Option<String>>, String> {
    let mut sessions = Vec::with_capacity(count.max(1));
    for _ in 0..count.max(1) {
        let session = within_timeout(connection.initialize())
            .await
            .map_err(|e| format!("opening a session: {e}"))?;
        sessions.push(session);
    }
    Ok(sessions)
}

/// What a worker sends its calls over.
enum Link {
    /// Its own HTTP/1.1 connection.
    Http1(Connection),
    /// A stream at a time on an HTTP/2 connection shared with other workers.
    Http2(H2Connection),
}

impl Link {
    async fn echo(
        &mut self,
        session: Option<&str>,
        id: u64,
        text: &str,
    ) -> Result<Format, Failure> {
        match self {
            Link::Http1(connection) => connection.echo(session, id, text).await,
            Link::Http2(connection) => connection.echo(session, id, text).await,
        }
    }

    /// A new connection of the same kind (an HTTP/2 one then serves this worker alone).
    async fn reopen(&self, target: &Arc<Target>) -> Result<Link, String> {
        match self {
            Link::Http1(_) => Connection::open(target).await.map(Link::Http1),
            Link::Http2(_) => H2Connection::open(target).await.map(Link::Http2),
        }
    }
}

/// One request in flight at a time, on its own connection (HTTP/1.1) or stream
/// (HTTP/2).
struct Worker {
    link: Link,
    target: Arc<Target>,
    /// `None` against a stateless server.
    session: Option<String>,
    phase: Arc<AtomicU8>,
    next_id: Arc<AtomicU64>,
    text_bytes: usize,
    expect: Option<Format>,
    /// Shared with the runner, so that counts survive a worker aborted mid-call.
    tally: Arc<Mutex<Tally>>,
}

impl Worker {
    async fn run(mut self) {
        loop {
            if self.phase.load(Ordering::Relaxed) == STOPPED {
                return;
            }
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            let text = text_for(id, self.text_bytes);
            let start = Instant::now();
            let outcome = self.link.echo(self.session.as_deref(), id, &text).await;
            let latency = start.elapsed();
            let outcome = outcome.and_then(|format| match self.expect {
                Some(expected) if expected != format => Err(Failure::Reply(format!(
                    "expected {}, got {}",
                    expected.media_type(),
                    format.media_type()
                ))),
                _ => Ok(format),
            });
            // The phase when the answer arrived decides where it counts; answers
            // after the window are dropped.
            let phase = self.phase.load(Ordering::Relaxed);
            match outcome {
                Ok(format) => self.tally().success(phase, format, latency),
                Err(failure) => {
                    let lost = matches!(failure, Failure::Transport(_));
                    self.tally().failure(phase, failure.into_reason());
                    if lost {
                        self.reconnect().await;
                    }
                }
            }
        }
    }

    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        // Nothing panics while holding the lock; a poisoned tally is still valid.
        self.tally.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces a broken connection; waits a little between failed attempts so a
    /// dead server does not make the worker spin.
    async fn reconnect(&mut self) {
        while self.phase.load(Ordering::Relaxed) != STOPPED {
            match self.link.reopen(&self.target).await {
                Ok(link) => {
                    self.link = link;
                    return;
                }
                Err(reason) => {
                    let phase = self.phase.load(Ordering::Relaxed);
                    self.tally().failure(phase, reason);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}

/// One worker's counts.
#[derive(Default)]
struct Tally {
    ok: u64,
    errors_in_window: u64,
    warmup_ok: u64,
    warmup_errors: u64,
    json: u64,
    sse: u64,
    latencies: Latencies,
    errors: ErrorLog,
}

impl Tally {
    fn success(&mut self, phase: u8, format: Format, latency: Duration) {
        match phase {
            WARMING => self.warmup_ok += 1,
            MEASURING => {
                self.ok += 1;
                self.latencies.record(latency);
                match format {
                    Format::Json => self.json += 1,
                    Format::Sse => self.sse += 1,
                }
            }
            _ => {}
        }
    }

    fn failure(&mut self, phase: u8, reason: String) {
        match phase {
            WARMING => self.warmup_errors += 1,
            MEASURING => self.errors_in_window += 1,
            _ => return,
        }
        self.errors.record(reason);
    }

    fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        self.errors_in_window += other.errors_in_window;
        self.warmup_ok += other.warmup_ok;
        self.warmup_errors += other.warmup_errors;
        self.json += other.json;
        self.sse += other.sse;
        self.latencies.merge(&other.latencies);
        self.errors.merge(other.errors);
    }
}

impl std::fmt::Display for CallsReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "calls: {} sessions, {} in flight over {}, {} B text, {:.1} s measured ({})",
            self.sessions,
            self.concurrency,
            self.protocol.describe(),
            self.text_bytes,
            self.elapsed_s,
            self.url
        )?;
        writeln!(
            f,
            "  requests   {} ({:.0}/s); replies: {} SSE, {} JSON",
            self.requests, self.requests_per_s, self.replies_sse, self.replies_json
        )?;
        let l = &self.latency;
        writeln!(
            f,
            "  latency    p50 {} µs, p90 {} µs, p99 {} µs, max {} µs",
            l.p50_us, l.p90_us, l.p99_us, l.max_us
        )?;
        writeln!(
            f,
            "  errors     {} (warm-up: {} of {} requests)",
            self.errors, self.warmup_errors, self.warmup_requests
        )?;
        for sample in &self.error_samples {
            writeln!(f, "    - {sample}")?;
        }
        writeln!(
            f,
            "  server     {:.2} CPU s, {:.1} µs CPU per request",
            self.server_cpu_s, self.server_cpu_us_per_request
        )?;
        write!(
            f,
            "  generator  {:.2} CPU s, {:.1} µs CPU per request",
            self.generator_cpu_s, self.generator_cpu_us_per_request
        )
    }
}
