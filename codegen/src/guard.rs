//! Running third-party code (typify, jsonschema) that may panic on odd input:
//! the panic becomes an `Err` the caller turns into a diagnostic or a fallback, and
//! nothing reaches stderr.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

thread_local! {
    /// Set while this thread runs code whose panics are caught and handled.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, catching a panic without printing it. The panic hook is wrapped once
/// per process: it stays silent only on a thread inside `quietly`, so panics
/// elsewhere (a failing test, the user's build script) print as before.
pub(crate) fn quietly<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_inside_quietly_are_caught() {
        let r = quietly(|| -> u8 { panic!("typify says no") });
        assert!(r.is_err());
        assert_eq!(quietly(|| 7).ok(), Some(7));
        assert!(!QUIET.with(Cell::get), "the flag is reset after the call");
    }
}
