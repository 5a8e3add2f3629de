//! What the fuzz targets share: running the generator on one manifest, telling a
//! panic that escapes it (a bug) from one it catches on purpose (its guards around
//! typify and jsonschema turn those into diagnostics and fallbacks).

use std::cell::RefCell;
use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Mutex;

thread_local! {
    /// The message and location of the latest panic on this thread.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Replaces libFuzzer's panic hook, which aborts on *every* panic, with one that
/// only records it: the generator catches panics from typify and jsonschema by
/// design, and those must not count as crashes. A panic that escapes
/// [`generate`] still aborts, with its message.
///
/// With `MCPGEN_FUZZ_STRICT=1` libFuzzer's hook stays, so guarded panics crash too:
/// a way to find inputs that typify or jsonschema cannot handle. With
/// `MCPGEN_FUZZ_GUARDED=1` the first panic at each source location is printed,
/// which lists the guarded panics a corpus reaches (`-runs=0` replays it).
pub fn install_panic_hook() {
    if env_flag("MCPGEN_FUZZ_STRICT") {
        return;
    }
    let print_guarded = env_flag("MCPGEN_FUZZ_GUARDED");
    let seen: Mutex<HashSet<String>> = Mutex::new(HashSet::new());
    panic::set_hook(Box::new(move |info| {
        let location = info
            .location()
            .map(|at| format!("{}:{}", at.file(), at.line()))
            .unwrap_or_default();
        let message = format!("{info}");
        if print_guarded
            && seen
                .lock()
                .is_ok_and(|mut seen| seen.insert(location.clone()))
        {
            eprintln!("guarded panic: {message}");
        }
        LAST_PANIC.with(|last| *last.borrow_mut() = Some(message));
    }));
}

fn env_flag(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| v == "1")
}

/// Where fuzzed manifests pretend to live: next to the repository's specs, so
/// that `file:` references of seeds taken from `specs/` resolve and the embedding
/// of files is exercised too.
pub fn manifest_path(extension: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../specs")
        .join(format!("fuzz.{extension}"))
}

/// Load → validate → emit of `source`; aborts (a crash libFuzzer records) if a
/// panic escapes, or if an error comes back without a diagnostic saying why.
pub fn generate(extension: &str, source: &str) {
    let path = manifest_path(extension);
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        mcpgen_codegen::Builder::new().render_source(&path, source)
    }));
    match result {
        Ok(Ok(code)) => {
            if !code.starts_with("// @generated") {
                eprintln!("generated code lacks its @generated header:\n{code}");
                std::process::abort();
            }
        }
        Ok(Err(diagnostics)) => {
            if !diagnostics.has_errors() {
                eprintln!("generation failed without an error:\n{diagnostics}");
                std::process::abort();
            }
            // Rendering is part of what an author sees: it must not panic either.
            let rendered = panic::catch_unwind(AssertUnwindSafe(|| diagnostics.render()));
            if rendered.is_err() {
                report_escaped("rendering diagnostics");
            }
        }
        Err(_) => report_escaped("generation"),
    }
}

fn report_escaped(what: &str) -> ! {
    let message = LAST_PANIC
        .with(|last| last.borrow_mut().take())
        .unwrap_or_else(|| "(no message recorded)".to_owned());
    eprintln!("a panic escaped {what}: {message}");
    std::process::abort();
}
