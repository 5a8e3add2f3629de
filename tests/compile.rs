//! What a server author sees from the compiler, pinned with trybuild.
//!
//! The cases `include!` the committed goldens of `codegen/tests/corpus/ui_*.yaml`
//! (trybuild builds outside cargo's build script, so there is no `OUT_DIR`);
//! `codegen/tests/goldens.rs` keeps those files identical to what the generator
//! writes. Run with `TRYBUILD=overwrite` to re-pin the `.stderr` files after a
//! deliberate change, then review their diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
