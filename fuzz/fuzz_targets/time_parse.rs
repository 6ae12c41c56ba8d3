#![no_main]
//! Fuzz target `time_parse`: see `harness::time_parse`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::time_parse(data));
