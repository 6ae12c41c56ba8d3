//! Integration tests of the `oracle` binary: every subcommand on every fixture,
//! in table and JSON form, against the numbers in `fixtures/README.md`; plus the
//! property that chunking never changes a report, and the skill's commands.
//!
//! Every JSON output read here is first validated against the schema printed by
//! `oracle schema COMMAND` (see `common`).

mod chunking;
mod common;
mod diagnose;
mod diffs;
mod errors;
mod inputs;
mod queues;
mod replay;
mod schema;
mod skill;
