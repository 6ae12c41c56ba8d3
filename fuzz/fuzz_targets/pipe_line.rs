#![no_main]
//! Fuzz target `pipe_line`: see `harness::pipe_line`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::pipe_line(data));
