//! The `stdio` scenario: one server process, echo calls pipelined through its
//! stdin and stdout, a window of them in flight.

use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{ChildStdin, ChildStdout};
use tokio::sync::Semaphore;

use crate::check;
use crate::client::{initialize_request, initialized_notification, text_for, write_echo_request};
use crate::errors::ErrorLog;
use crate::procfs;
use crate::server::{ServerCommand, StderrTail};
use crate::stats;

/// How to run the scenario.
#[derive(Debug, Clone)]
pub struct StdioConfig {
    /// Calls to make.
    pub calls: u64,
    /// Calls in flight.
    pub window: usize,
    /// Bytes of text per call.
    pub text_bytes: usize,
}

/// What one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct StdioReport {
    /// `stdio`.
    pub scenario: &'static str,
    /// The server's command line (program file name only).
    pub command: String,
    /// Calls made.
    pub calls: u64,
    /// Calls in flight.
    pub window: usize,
    /// Bytes of text per call.
    pub text_bytes: usize,
    /// Replies received.
    pub answered: u64,
    /// From the first call written to the last reply read, in seconds.
    pub elapsed_s: f64,
    /// `answered / elapsed_s`.
    pub calls_per_s: f64,
    /// Wrong or missing replies.
    pub errors: u64,
    /// The first few error reasons.
    pub error_samples: Vec<String>,
    /// Server CPU time during the calls, in seconds.
    pub server_cpu_s: f64,
    /// Server CPU per call, in microseconds.
    pub server_cpu_us_per_call: f64,
    /// The load generator's CPU per call, in microseconds.
    pub generator_cpu_us_per_call: f64,
}

/// A server silent for this long is taken as stuck; the calls left count as errors.
const SILENCE_LIMIT: Duration = Duration::from_secs(10);
/// Most calls written at once.
const WRITE_BATCH: usize = 64;

/// Kills the child however the run ends.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `server` (which must serve stdio with the arguments given) and runs the
/// calls through it. Fails only if the setup fails (no process, no initialize).
pub async fn run(server: &ServerCommand, config: &StdioConfig) -> Result<StdioReport, String> {
    let mut command = server.command(Stdio::piped(), Stdio::piped(), Stdio::piped())?;
    let mut child = Reaped(
        command
            .spawn()
            .map_err(|e| format!("starting {}: {e}", server.program.display()))?,
    );
    let pid = child.0.id();
    let stderr = StderrTail::default();
    if let Some(pipe) = child.0.stderr.take() {
        stderr.drain(pipe, |_| false);
    }
    let (Some(stdin), Some(stdout)) = (child.0.stdin.take(), child.0.stdout.take()) else {
        return Err("the child's pipes are missing".into());
    };
    let mut stdin = ChildStdin::from_std(stdin).map_err(|e| format!("child stdin: {e}"))?;
    let stdout = ChildStdout::from_std(stdout).map_err(|e| format!("child stdout: {e}"))?;
    let mut replies = BufReader::with_capacity(1 << 16, stdout);

    initialize(&mut stdin, &mut replies)
        .await
        .map_err(|e| format!("{}: {e}{}", server.describe(), stderr.render()))?;

    let server_start = procfs::cpu_seconds(pid)?;
    let own_start = procfs::own_cpu_seconds()?;
    let start = Instant::now();
    let permits = Arc::new(Semaphore::new(config.window.max(1)));
    let writer = tokio::spawn(write_calls(
        stdin,
        permits.clone(),
        config.calls,
        config.text_bytes,
    ));

    let mut answered = IdSet::new(config.calls);
    let mut received = 0u64;
    let mut failures = 0u64;
    let mut errors = ErrorLog::default();
    let mut line = Vec::with_capacity(256);
    while received < config.calls {
        line.clear();
        match tokio::time::timeout(SILENCE_LIMIT, replies.read_until(b'\n', &mut line)).await {
            Err(_) => {
                errors.record(format!("no reply for {SILENCE_LIMIT:?}"));
                break;
            }
            Ok(Err(e)) => {
                errors.record(format!("reading stdout: {e}"));
                break;
            }
            Ok(Ok(0)) => {
                errors.record("the server closed its stdout".into());
                break;
            }
            Ok(Ok(_)) => {}
        }
        match reply_outcome(&line, &mut answered, config.text_bytes) {
            Outcome::NotAReply => continue,
            Outcome::Good => {}
            Outcome::Bad(reason) => {
                failures += 1;
                errors.record(reason);
            }
        }
        received += 1;
        permits.add_permits(1);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let server_cpu = procfs::cpu_seconds(pid)? - server_start;
    let own_cpu = procfs::own_cpu_seconds()? - own_start;
    writer.abort();
    if let Ok(Err(e)) = writer.await {
        errors.record(format!("writing stdin: {e}"));
    }
    drop(child);

    let unanswered = config.calls - received;
    if unanswered > 0 {
        errors.record(format!("{unanswered} calls unanswered{}", stderr.render()));
    }
    Ok(StdioReport {
        scenario: "stdio",
        command: server.describe(),
        calls: config.calls,
        window: config.window.max(1),
        text_bytes: config.text_bytes,
        answered: received,
        elapsed_s: elapsed,
        calls_per_s: if elapsed > 0.0 {
            received as f64 / elapsed
        } else {
            0.0
        },
        errors: failures + unanswered,
        error_samples: errors.samples,
        server_cpu_s: server_cpu,
        server_cpu_us_per_call: stats::micros_each(server_cpu, received),
        generator_cpu_us_per_call: stats::micros_each(own_cpu, received),
    })
}

/// `initialize`, its answer, then `notifications/initialized`.
async fn initialize(
    stdin: &mut ChildStdin,
    replies: &mut BufReader<ChildStdout>,
) -> Result<(), String> {
    let mut message = initialize_request().to_vec();
    message.push(b'\n');
    stdin
        .write_all(&message)
        .await
        .map_err(|e| format!("writing initialize: {e}"))?;
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = tokio::time::timeout(SILENCE_LIMIT, replies.read_until(b'\n', &mut line))
            .await
            .map_err(|_| format!("no answer to initialize within {SILENCE_LIMIT:?}"))?
            .map_err(|e| format!("reading stdout: {e}"))?;
        if read == 0 {
            return Err("the server closed its stdout before answering initialize".into());
        }
        let Ok(message) = serde_json::from_slice::<Value>(&line) else {
            return Err(format!(
                "not JSON on stdout: {}",
                String::from_utf8_lossy(&line).trim_end()
            ));
        };
        if message.get("id").is_some() && message.get("method").is_none() {
            check::check_success(&message, 0).map_err(|e| format!("initialize: {e}"))?;
            break;
        }
    }
    let mut notification = initialized_notification().to_vec();
    notification.push(b'\n');
    stdin
        .write_all(&notification)
        .await
        .map_err(|e| format!("writing notifications/initialized: {e}"))
}

/// Writes calls 1..=`calls`, one per permit, batching what is allowed at once.
/// Returns stdin so that it stays open until the run ends.
async fn write_calls(
    mut stdin: ChildStdin,
    permits: Arc<Semaphore>,
    calls: u64,
    text_bytes: usize,
) -> std::io::Result<ChildStdin> {
    let mut buffer = Vec::with_capacity(WRITE_BATCH * (text_bytes + 110));
    let mut next = 1;
    while next <= calls {
        let Ok(permit) = permits.acquire().await else {
            break;
        };
        permit.forget();
        let mut batch = 1;
        while batch < WRITE_BATCH as u64 && next + batch <= calls {
            match permits.try_acquire() {
                Ok(permit) => permit.forget(),
                Err(_) => break,
            }
            batch += 1;
        }
        buffer.clear();
        for id in next..next + batch {
            write_echo_request(&mut buffer, id, &text_for(id, text_bytes));
            buffer.push(b'\n');
        }
        stdin.write_all(&buffer).await?;
        next += batch;
    }
    Ok(stdin)
}

/// What a line on the server's stdout was.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// A notification or request from the server: not an answer.
    NotAReply,
    /// The right answer to a call not answered before.
    Good,
    /// Something wrong, and why.
    Bad(String),
}

/// The ids 1..=N answered so far, one bit each.
struct IdSet {
    words: Vec<u64>,
    last: u64,
}

impl IdSet {
    fn new(last: u64) -> IdSet {
        IdSet {
            words: vec![0; usize::try_from(last / 64 + 1).unwrap_or(0)],
            last,
        }
    }

    /// Marks `id`; false if it is out of range or was marked before.
    fn insert(&mut self, id: u64) -> bool {
        if id == 0 || id > self.last {
            return false;
        }
        let Some(word) = usize::try_from(id / 64)
            .ok()
            .and_then(|i| self.words.get_mut(i))
        else {
            return false;
        };
        let bit = 1 << (id % 64);
        let new = *word & bit == 0;
        *word |= bit;
        new
    }
}

/// Checks one line against the calls made, marking its id in `answered`.
fn reply_outcome(line: &[u8], answered: &mut IdSet, text_bytes: usize) -> Outcome {
    let message: Value = match serde_json::from_slice(line) {
        Ok(message) => message,
        Err(e) => return Outcome::Bad(format!("not JSON on stdout ({e})")),
    };
    if message.get("method").is_some() {
        return Outcome::NotAReply;
    }
    let Some(id) = message.get("id").and_then(Value::as_u64) else {
        return Outcome::Bad(format!(
            "reply without a numeric id: {}",
            message.get("id").unwrap_or(&Value::Null)
        ));
    };
    if !answered.insert(id) {
        return Outcome::Bad(format!("reply to an unknown or already answered id {id}"));
    }
    match check::check_echo_response(&message, id, &text_for(id, text_bytes)) {
        Ok(()) => Outcome::Good,
        Err(reason) => Outcome::Bad(reason),
    }
}

impl std::fmt::Display for StdioReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "stdio: {} calls, {} in flight, {} B text ({})",
            self.calls, self.window, self.text_bytes, self.command
        )?;
        writeln!(
            f,
            "  answered   {} in {:.2} s ({:.0} calls/s)",
            self.answered, self.elapsed_s, self.calls_per_s
        )?;
        writeln!(f, "  errors     {}", self.errors)?;
        for sample in &self.error_samples {
            writeln!(f, "    - {sample}")?;
        }
        write!(
            f,
            "  server     {:.2} CPU s, {:.2} µs CPU per call; generator {:.2} µs per call",
            self.server_cpu_s, self.server_cpu_us_per_call, self.generator_cpu_us_per_call
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_sets() {
        let mut ids = IdSet::new(130);
        assert!(ids.insert(1));
        assert!(ids.insert(64));
        assert!(ids.insert(130));
        assert!(!ids.insert(64));
        assert!(!ids.insert(0));
        assert!(!ids.insert(131));
        assert!(!ids.insert(u64::MAX));
    }

    fn reply(id: u64, text: &str) -> Vec<u8> {
        format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{{"content":[{{"type":"text","text":"{text}"}}]}}}}"#)
            .into_bytes()
    }

    #[test]
    fn replies_are_checked_once_per_id() {
        let mut answered = IdSet::new(3);
        assert_eq!(
            reply_outcome(&reply(2, "0002"), &mut answered, 4),
            Outcome::Good
        );
        assert!(matches!(
            reply_outcome(&reply(2, "0002"), &mut answered, 4),
            Outcome::Bad(_)
        ));
        assert!(matches!(
            reply_outcome(&reply(3, "0004"), &mut answered, 4),
            Outcome::Bad(_)
        ));
        assert!(matches!(
            reply_outcome(&reply(9, "0009"), &mut answered, 4),
            Outcome::Bad(_)
        ));
        assert!(matches!(
            reply_outcome(&reply(0, "0000"), &mut answered, 4),
            Outcome::Bad(_)
        ));
        assert!(matches!(
            reply_outcome(b"{\"jsonrpc\":", &mut answered, 4),
            Outcome::Bad(_)
        ));
        let note = br#"{"jsonrpc":"2.0","method":"notifications/message","params":{}}"#;
        assert_eq!(reply_outcome(note, &mut answered, 4), Outcome::NotAReply);
        let error = br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"x"}}"#;
        assert!(matches!(
            reply_outcome(error, &mut answered, 4),
            Outcome::Bad(_)
        ));
    }
}
