//! Integration tests of the `oracle` binary: every subcommand on every fixture,
//! in table and JSON form, against the numbers in `fixtures/README.md`; plus the
//! property that chunking never changes a report, the skill's commands, hostile
//! input (`hostile`), and a smoke run of the fuzz targets (`fuzz_smoke`).
//!
//! Every JSON output read here is first validated against the schema printed by
//! `oracle schema COMMAND` (see `common`).

mod agents;
mod audit;
mod chunking;
mod common;
mod cost;
mod diagnose;
mod diffs;
mod errors;
mod fleet;
mod follow;
mod fuzz_smoke;
mod hostile;
mod inputs;
mod limits;
mod otlp;
mod queues;
mod replay;
mod report;
mod schema;
mod skill;
mod team;
mod terminal;
mod transcript;
mod untimed;
