#![no_main]
//! Fuzz target `transcript`: see `harness::transcript`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::transcript(data));
