#![no_main]
//! Fuzz target `audit_rules`: see `harness::audit_rules`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::audit_rules(data));
