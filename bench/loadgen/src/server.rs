//! Starting a server under test: a fresh process per run, optionally pinned to a
//! core, its address read from its `listening on ...` line, its stderr drained.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::affinity;

/// How to start a server.
#[derive(Debug, Clone)]
pub struct ServerCommand {
    /// The executable.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// The core to pin it to, if any.
    pub cpu: Option<usize>,
}

impl ServerCommand {
    /// The command, pinned if asked, with stdin, stdout and stderr as given.
    pub fn command(&self, stdin: Stdio, stdout: Stdio, stderr: Stdio) -> Result<Command, String> {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .stdin(stdin)
            .stdout(stdout)
            .stderr(stderr);
        if let Some(cpu) = self.cpu {
            affinity::pin_command(&mut command, cpu).map_err(|e| e.to_string())?;
        }
        Ok(command)
    }

    /// The command line, for messages (program file name only).
    pub fn describe(&self) -> String {
        let name = self.program.file_name().map_or_else(
            || self.program.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        std::iter::once(name)
            .chain(self.args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The last lines a child wrote on stderr, for error messages.
#[derive(Clone, Default)]
pub struct StderrTail(Arc<Mutex<VecDeque<String>>>);

/// Lines of stderr kept for error messages.
const TAIL_LINES: usize = 20;

impl StderrTail {
    fn push(&self, line: String) {
        if let Ok(mut lines) = self.0.lock() {
            if lines.len() == TAIL_LINES {
                lines.pop_front();
            }
            lines.push_back(line);
        }
    }

    /// The kept lines, indented, for appending to a message.
    pub fn render(&self) -> String {
        match self.0.lock() {
            Ok(lines) if !lines.is_empty() => {
                let body: Vec<String> = lines.iter().map(|l| format!("  | {l}")).collect();
                format!("\nserver stderr (last lines):\n{}", body.join("\n"))
            }
            _ => String::new(),
        }
    }

    /// Reads `stderr` to its end on a thread of its own, keeping the last lines
    /// and passing each line to `on_line` (until it returns false).
    pub fn drain(
        &self,
        stderr: impl Read + Send + 'static,
        mut on_line: impl FnMut(&str) -> bool + Send + 'static,
    ) {
        let tail = self.clone();
        std::thread::spawn(move || {
            let mut watching = true;
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if watching {
                    watching = on_line(&line);
                }
                tail.push(line);
            }
        });
    }
}

/// A running HTTP server; killed when dropped.
pub struct HttpServer {
    child: Child,
    /// Its MCP endpoint, from its `listening on` line.
    pub url: String,
    /// The end of its stderr.
    pub stderr: StderrTail,
}

/// How long a server may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(30);

impl HttpServer {
    /// Starts `command` with `--http 127.0.0.1:0` (and `extra` arguments) and waits
    /// for its `listening on URL` line. Blocks the calling thread while it waits:
    /// nothing else runs while a server starts.
    pub fn start(server: &ServerCommand, extra: &[&str]) -> Result<HttpServer, String> {
        let mut server = server.clone();
        server
            .args
            .extend(["--http", "127.0.0.1:0"].map(str::to_owned));
        server.args.extend(extra.iter().map(|a| (*a).to_owned()));
        let mut command = server.command(Stdio::null(), Stdio::null(), Stdio::piped())?;
        let mut child = command
            .spawn()
            .map_err(|e| format!("starting {}: {e}", server.program.display()))?;
        let stderr = StderrTail::default();
        let (url_tx, url_rx) = mpsc::channel();
        if let Some(pipe) = child.stderr.take() {
            stderr.drain(pipe, move |line| match listening_url(line) {
                Some(url) => {
                    let _ = url_tx.send(url.to_owned());
                    false
                }
                None => true,
            });
        }
        let mut running = HttpServer {
            child,
            url: String::new(),
            stderr,
        };
        match url_rx.recv_timeout(START_TIMEOUT) {
            Ok(url) => {
                running.url = url;
                Ok(running)
            }
            Err(mpsc::RecvTimeoutError::Timeout) => Err(format!(
                "{} printed no `listening on` line within {START_TIMEOUT:?}{}",
                server.describe(),
                running.stderr.render()
            )),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // Give the drain thread a moment to keep the last lines.
                std::thread::sleep(Duration::from_millis(100));
                Err(format!(
                    "{} exited without listening{}",
                    server.describe(),
                    running.stderr.render()
                ))
            }
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The URL in a `listening on URL` line.
pub fn listening_url(line: &str) -> Option<&str> {
    let rest = &line[line.find("listening on ")? + "listening on ".len()..];
    // Stop at whitespace or a control character (a colour code may follow).
    let url = rest
        .split(|c: char| c.is_whitespace() || c.is_control())
        .next()?;
    url.starts_with("http://").then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_lines() {
        assert_eq!(
            listening_url("listening on http://127.0.0.1:4321/mcp"),
            Some("http://127.0.0.1:4321/mcp")
        );
        assert_eq!(
            listening_url(
                "2026-01-01T00:00:00Z INFO rmcp: listening on http://127.0.0.1:80/mcp (stateful)"
            ),
            Some("http://127.0.0.1:80/mcp")
        );
        assert_eq!(
            listening_url("listening on http://[::1]:5/mcp\u{1b}[0m"),
            Some("http://[::1]:5/mcp")
        );
        assert_eq!(listening_url("starting"), None);
        assert_eq!(listening_url("listening on "), None);
        assert_eq!(listening_url("listening on stdio"), None);
    }

    #[test]
    fn a_server_that_exits_is_reported() {
        let command = ServerCommand {
            program: "false".into(),
            args: Vec::new(),
            cpu: None,
        };
        let error = HttpServer::start(&command, &[]).err().unwrap();
        assert!(error.contains("exited without listening"), "{error}");
    }
}
