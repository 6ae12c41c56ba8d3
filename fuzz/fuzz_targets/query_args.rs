#![no_main]
//! Fuzz target `query_args`: see `harness::query_args`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::query_args(data));
