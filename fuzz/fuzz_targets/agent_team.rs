#![no_main]
//! Fuzz target `agent_team`: see `harness::agent_team`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::agent_team(data));
