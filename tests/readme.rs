//! README.md's "Your own server", taken literally: its four files are copied out of
//! the README into a new crate that depends on the facade alone (by path), built
//! offline, and the server it makes is asked to forecast over stdio.
//!
//! The crate builds in its own target directory under this workspace's (so it never
//! waits on the outer cargo's lock), kept between runs so its dependencies compile
//! once.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

/// The README section holding the new crate.
const SECTION: &str = "## Your own server";

/// The files of the section: each fenced block, named by the first backticked path
/// in the paragraph just before it.
fn files_of_the_readme() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let start = readme.find(SECTION).expect("README has the section");
    let section = &readme[start + SECTION.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];

    let mut files = Vec::new();
    // The last paragraph seen, and whether a blank line ended it.
    let mut paragraph = String::new();
    let mut ended = false;
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("```") {
            let body: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect();
            let name = paragraph
                .split('`')
                .skip(1)
                .step_by(2)
                .find(|word| word.contains('.') && !word.contains(' '))
                .unwrap_or_else(|| panic!("no file name before the block after {paragraph:?}"))
                .to_owned();
            files.push((name, body.join("\n") + "\n"));
            paragraph.clear();
        } else if line.trim().is_empty() {
            ended = true;
        } else {
            if ended {
                paragraph.clear();
                ended = false;
            }
            paragraph.push_str(line);
            paragraph.push(' ');
        }
    }
    files
}

/// Writes the crate, pointing its path dependencies at this checkout.
fn create_crate(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = files_of_the_readme();
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Cargo.toml",
            "specs/weather.yaml",
            "build.rs",
            "src/main.rs"
        ],
        "the README's files"
    );
    for (name, mut text) in files {
        if name == "Cargo.toml" {
            let local = format!("path = {:?}", repo.to_string_lossy());
            assert_eq!(
                text.matches("path = \"../mcpgen\"").count(),
                2,
                "the facade, as dependency and build-dependency:\n{text}"
            );
            text = text.replace("path = \"../mcpgen\"", &local);
            assert!(
                !text.contains("mcpgen-runtime") && !text.contains("mcpgen-codegen"),
                "the README's crate depends on the facade alone:\n{text}"
            );
            // Its own workspace, though it sits inside ours.
            text.push_str("\n[workspace]\n");
        }
        let path = dir.join(&name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("crate dir");
        std::fs::write(path, text).expect("crate file");
    }
    // The workspace's lock file: the same versions, all on disk for an offline build.
    std::fs::copy(repo.join("Cargo.lock"), dir.join("Cargo.lock")).expect("Cargo.lock");
}

fn build(dir: &Path, target: &Path) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["build", "--offline", "--quiet"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_TERM_COLOR", "never")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "the README's crate does not build:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("warning"),
        "the README's crate builds with warnings:\n{stderr}"
    );
    // The facade's build script generated none of this repo's own manifests.
    let facade_outputs: Vec<PathBuf> = std::fs::read_dir(target.join("debug/build"))
        .expect("build directory")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            // `mcpgen-<hash>`: the facade's, not another crate's whose name starts so.
            p.file_name().is_some_and(|n| {
                n.to_string_lossy()
                    .strip_prefix("mcpgen-")
                    .is_some_and(|hash| hash.bytes().all(|b| b.is_ascii_hexdigit()))
            })
        })
        .flat_map(|p| std::fs::read_dir(p.join("out")).into_iter().flatten())
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    assert!(
        facade_outputs.is_empty(),
        "the facade generated files in a user's build: {facade_outputs:?}"
    );
    target.join("debug/weather")
}

/// Sends `messages` on stdin, closes it, and returns every line the server wrote.
fn converse(binary: &Path, messages: &[Value]) -> Vec<Value> {
    let mut child = Command::new(binary)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let mut stdin = child.stdin.take().expect("stdin");
    for m in messages {
        writeln!(stdin, "{m}").expect("write a message");
    }
    drop(stdin);
    let output = child
        .wait_with_output()
        .expect("the server ends at end of input");
    assert!(output.status.success(), "exit status {}", output.status);
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON-RPC line"))
        .collect()
}

#[test]
fn the_readme_crate_builds_on_the_facade_alone_and_serves() {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("readme_crate");
    let dir = tmp.join("weather");
    create_crate(&dir);
    let binary = build(&dir, &tmp.join("target"));

    // The command line names the README's server, not the runtime.
    let version = Command::new(&binary)
        .arg("--version")
        .output()
        .expect("--version");
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        "weather 1.0.0"
    );
    let help = Command::new(&binary)
        .arg("--help")
        .output()
        .expect("--help");
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("Forecasts for any city"), "{help}");

    let answers = converse(
        &binary,
        &[
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": {"name": "readme-test", "version": "0"}}}),
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
                "name": "get_forecast", "arguments": {"city": "Paris"}}}),
        ],
    );
    let answer = |id: i64| {
        answers
            .iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("no answer to {id} in {answers:?}"))
    };
    assert_eq!(answer(1)["result"]["serverInfo"]["name"], "weather");
    assert_eq!(
        answer(2)["result"]["content"][0]["text"],
        "Sunny in Paris",
        "{answers:?}"
    );
}

/// The repo's own examples are generated the way the README's crate is: through
/// the facade (`build.rs` keeps a copy of the path, which it cannot import).
#[test]
fn the_repo_fixtures_take_the_facade_route() {
    let code = include_str!(concat!(env!("OUT_DIR"), "/echo.rs"));
    let import = format!("use {}::codegen::*;", mcpgen::build::RUNTIME_PATH);
    assert!(code.contains(&import), "{import} not in echo.rs");
}
