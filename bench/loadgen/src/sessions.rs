//! The `open` and `idle` scenarios: opening many sessions, C at a time, and what
//! that costs the server in CPU and in memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::client::{Connection, Failure, within_timeout};
use crate::errors::ErrorLog;
use crate::procfs;
use crate::stats;
use crate::stats::{Latencies, LatencySummary};
use crate::target::Target;

/// What the `open` scenario measured.
#[derive(Debug, Clone, Serialize)]
pub struct OpenReport {
    /// `open`.
    pub scenario: &'static str,
    /// The endpoint.
    pub url: String,
    /// Sessions asked for.
    pub sessions: usize,
    /// Sessions opened at a time.
    pub concurrency: usize,
    /// Sessions opened successfully.
    pub opened: usize,
    /// Wall time from the first `initialize` to the last `initialized`, in seconds.
    pub elapsed_s: f64,
    /// `opened / elapsed_s`.
    pub sessions_per_s: f64,
    /// Time to open one session (`initialize` + `notifications/initialized`).
    pub latency: LatencySummary,
    /// Sessions that failed to open.
    pub errors: u64,
    /// The first few error reasons.
    pub error_samples: Vec<String>,
    /// Server CPU time while opening, in seconds.
    pub server_cpu_s: f64,
    /// Server CPU per session opened, in microseconds.
    pub server_cpu_us_per_session: f64,
    /// The load generator's CPU per session opened, in microseconds.
    pub generator_cpu_us_per_session: f64,
    /// DELETEs afterwards (not timed) that did not answer 2xx.
    pub delete_errors: u64,
}

/// What the `idle` scenario measured.
#[derive(Debug, Clone, Serialize)]
pub struct IdleReport {
    /// `idle`.
    pub scenario: &'static str,
    /// The endpoint.
    pub url: String,
    /// Sessions asked for.
    pub sessions: usize,
    /// Sessions opened at a time.
    pub concurrency: usize,
    /// Sessions opened successfully (and left open).
    pub opened: usize,
    /// Sessions that failed to open.
    pub errors: u64,
    /// The first few error reasons.
    pub error_samples: Vec<String>,
    /// Server RSS with one warm-up session open and every connection used once.
    pub rss_before_bytes: u64,
    /// Server RSS with the sessions open, about a second later.
    pub rss_after_bytes: u64,
    /// `(rss_after - rss_before) / opened`.
    pub bytes_per_session: f64,
    /// Rate the sessions were opened at (incidental).
    pub sessions_per_s: f64,
}

/// How long to let the server settle before reading its memory.
const SETTLE: Duration = Duration::from_secs(1);

/// Opens `sessions` sessions, `concurrency` at a time, times it, then deletes them.
pub async fn run_open(
    target: Arc<Target>,
    pid: u32,
    sessions: usize,
    concurrency: usize,
) -> Result<OpenReport, String> {
    procfs::cpu_seconds(pid)?;
    let connections = connect(&target, concurrency).await?;
    let server_start = procfs::cpu_seconds(pid)?;
    let own_start = procfs::own_cpu_seconds()?;
    let batch = open_many(connections, sessions).await;
    let server_cpu = procfs::cpu_seconds(pid)? - server_start;
    let own_cpu = procfs::own_cpu_seconds()? - own_start;
    let delete_errors = delete_all(batch.connections, &batch.sessions).await;
    let opened = batch.sessions.len();
    Ok(OpenReport {
        scenario: "open",
        url: target.url.clone(),
        sessions,
        concurrency: concurrency.max(1),
        opened,
        elapsed_s: batch.elapsed_s,
        sessions_per_s: rate(opened, batch.elapsed_s),
        latency: batch.latencies.summary(),
        errors: batch.failures,
        error_samples: batch.errors.samples,
        server_cpu_s: server_cpu,
        server_cpu_us_per_session: stats::micros_each(server_cpu, opened as u64),
        generator_cpu_us_per_session: stats::micros_each(own_cpu, opened as u64),
        delete_errors,
    })
}

/// Measures the server's memory per idle session: RSS with one warm-up session,
/// then with `sessions` more left open.
pub async fn run_idle(
    target: Arc<Target>,
    pid: u32,
    sessions: usize,
    concurrency: usize,
) -> Result<IdleReport, String> {
    let mut connections = connect(&target, concurrency).await?;
    let warmup = within_timeout(connections[0].open_session())
        .await
        .map_err(|e| format!("opening the warm-up session: {e}"))?;
    // Use every connection once so its buffers are in the "before" figure: the
    // result is then per session, not per connection.
    for (id, connection) in (1..).zip(connections.iter_mut()) {
        within_timeout(connection.ping(&warmup, id))
            .await
            .map_err(|e| format!("ping in the warm-up session: {e}"))?;
    }
    tokio::time::sleep(SETTLE).await;
    let rss_before = procfs::resident_bytes(pid)?;
    let batch = open_many(connections, sessions).await;
    tokio::time::sleep(SETTLE).await;
    let rss_after = procfs::resident_bytes(pid)?;
    let opened = batch.sessions.len();
    let grown = rss_after as f64 - rss_before as f64;
    Ok(IdleReport {
        scenario: "idle",
        url: target.url.clone(),
        sessions,
        concurrency: concurrency.max(1),
        opened,
        errors: batch.failures,
        error_samples: batch.errors.samples,
        rss_before_bytes: rss_before,
        rss_after_bytes: rss_after,
        bytes_per_session: if opened == 0 {
            0.0
        } else {
            grown / opened as f64
        },
        sessions_per_s: rate(opened, batch.elapsed_s),
    })
}

fn rate(count: usize, seconds: f64) -> f64 {
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

/// `count` (at least one) keep-alive connections.
async fn connect(target: &Arc<Target>, count: usize) -> Result<Vec<Connection>, String> {
    let mut connections = Vec::with_capacity(count.max(1));
    for _ in 0..count.max(1) {
        connections.push(Connection::open(target).await?);
    }
    Ok(connections)
}

/// Sessions opened by [`open_many`], and the connections back.
#[derive(Default)]
struct Batch {
    connections: Vec<Connection>,
    sessions: Vec<String>,
    latencies: Latencies,
    failures: u64,
    errors: ErrorLog,
    elapsed_s: f64,
}

/// Opens `count` sessions, one at a time on each connection.
async fn open_many(connections: Vec<Connection>, count: usize) -> Batch {
    let claimed = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let workers: Vec<_> = connections
        .into_iter()
        .map(|mut connection| {
            let claimed = claimed.clone();
            tokio::spawn(async move {
                let mut batch = Batch::default();
                while claimed.fetch_add(1, Ordering::Relaxed) < count {
                    let begun = Instant::now();
                    match within_timeout(connection.open_session()).await {
                        Ok(session) => {
                            batch.latencies.record(begun.elapsed());
                            batch.sessions.push(session);
                        }
                        Err(failure) => {
                            batch.failures += 1;
                            batch.errors.record(failure.to_string());
                            if matches!(failure, Failure::Transport(_)) {
                                match connection.reopen().await {
                                    Ok(fresh) => connection = fresh,
                                    Err(reason) => {
                                        batch.errors.record(reason);
                                        break;
                                    }
                                }
                            }
                        }
                    }
                }
                batch.connections.push(connection);
                batch
            })
        })
        .collect();
    let mut total = Batch::default();
    for worker in workers {
        match worker.await {
            Ok(batch) => {
                total.connections.extend(batch.connections);
                total.sessions.extend(batch.sessions);
                total.latencies.merge(&batch.latencies);
                total.failures += batch.failures;
                total.errors.merge(batch.errors);
            }
            Err(e) => total.errors.record(format!("worker failed: {e}")),
        }
    }
    total.elapsed_s = start.elapsed().as_secs_f64();
    // Sessions a broken worker did not get to are failures too.
    let accounted = total.sessions.len() + total.failures as usize;
    total.failures += count.saturating_sub(accounted) as u64;
    total
}

/// DELETEs every session, spread over the connections; returns how many failed.
async fn delete_all(connections: Vec<Connection>, sessions: &[String]) -> u64 {
    let lanes = connections.len().max(1);
    let workers: Vec<_> = connections
        .into_iter()
        .enumerate()
        .map(|(lane, mut connection)| {
            let mine: Vec<String> = sessions.iter().skip(lane).step_by(lanes).cloned().collect();
            tokio::spawn(async move {
                let mut failed = 0;
                for (done, session) in mine.iter().enumerate() {
                    match within_timeout(connection.delete(session)).await {
                        Ok(status) if (200..300).contains(&status) => {}
                        // A broken connection cannot be reused: this one and
                        // the rest of the lane fail.
                        Err(Failure::Transport(_)) => return failed + (mine.len() - done) as u64,
                        _ => failed += 1,
                    }
                }
                failed
            })
        })
        .collect();
    let mut failed = 0;
    for worker in workers {
        failed += worker.await.unwrap_or(0);
    }
    failed
}

impl std::fmt::Display for OpenReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "open: {} sessions, {} at a time ({})",
            self.sessions, self.concurrency, self.url
        )?;
        writeln!(
            f,
            "  opened     {} in {:.2} s ({:.0}/s)",
            self.opened, self.elapsed_s, self.sessions_per_s
        )?;
        writeln!(
            f,
            "  per open   p50 {} µs, p90 {} µs, p99 {} µs, max {} µs",
            self.latency.p50_us, self.latency.p90_us, self.latency.p99_us, self.latency.max_us
        )?;
        writeln!(
            f,
            "  errors     {} (DELETE failures afterwards: {})",
            self.errors, self.delete_errors
        )?;
        for sample in &self.error_samples {
            writeln!(f, "    - {sample}")?;
        }
        write!(
            f,
            "  server     {:.2} CPU s, {:.1} µs CPU per session; generator {:.1} µs per session",
            self.server_cpu_s, self.server_cpu_us_per_session, self.generator_cpu_us_per_session
        )
    }
}

impl std::fmt::Display for IdleReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "idle: {} sessions, opened {} at a time ({})",
            self.sessions, self.concurrency, self.url
        )?;
        writeln!(
            f,
            "  opened     {} ({:.0}/s), errors {}",
            self.opened, self.sessions_per_s, self.errors
        )?;
        for sample in &self.error_samples {
            writeln!(f, "    - {sample}")?;
        }
        writeln!(
            f,
            "  server RSS {:.1} MiB before, {:.1} MiB after",
            self.rss_before_bytes as f64 / 1048576.0,
            self.rss_after_bytes as f64 / 1048576.0
        )?;
        write!(f, "  per idle session {:.0} bytes", self.bytes_per_session)
    }
}
