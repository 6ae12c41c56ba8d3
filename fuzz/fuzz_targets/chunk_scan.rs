#![no_main]
//! Fuzz target `chunk_scan`: see `harness::chunk_scan`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::chunk_scan(data));
