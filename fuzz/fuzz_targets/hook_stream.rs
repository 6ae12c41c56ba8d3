#![no_main]
//! Fuzz target `hook_stream`: see `harness::hook_stream`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::hook_stream(data));
