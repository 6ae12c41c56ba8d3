#![no_main]
//! Fuzz target `diff_line`: see `harness::diff_line`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::diff_line(data));
