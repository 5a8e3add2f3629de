//! Any bytes as a manifest, YAML and JSON: load → validate → emit must never
//! panic, and a failure must always come with an error diagnostic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: mcpgen_fuzz::install_panic_hook(), |data: &[u8]| {
    // Invalid UTF-8 is replaced rather than skipped, so every input exercises the
    // parser; the loader's own UTF-8 handling is not what is under test here.
    let text = String::from_utf8_lossy(data);
    mcpgen_fuzz::generate("yaml", &text);
    // JSON is loaded by the same YAML parser, but the file name differs in every
    // diagnostic and in the generated header; inputs that look like JSON go
    // through that path too.
    if text.trim_start().starts_with(['{', '[']) {
        mcpgen_fuzz::generate("json", &text);
    }
});
