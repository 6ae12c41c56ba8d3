#![no_main]
//! Fuzz target `otlp`: see `harness::otlp`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::otlp(data));
