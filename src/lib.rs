//! `oracle-monitor`: forensic queries over the telemetry that multi-agent AI
//! systems leave behind.
//!
//! Data flows one way:
//! `cli` (flags → [`cli::Config`]) → [`app`] (dispatch) → [`source`] (find, map,
//! chunk) → [`mod@format`] (parse into [`model::Event`]) → [`scan`] (parallel
//! fold/merge) → [`analysis`] (one accumulator per subcommand) → [`render`]
//! (table, JSON, JSON Lines).
//!
//! Formats read (details in `../shared/research/formats.md`): teamsters/Dante pipe
//! logs, the time-machine observer's `diff_time_machine.jsonl` and
//! `state_time_machine.jsonl`, and hook JSON (schema A/B and Claude Code hook payloads).

#![warn(missing_docs)]

pub mod analysis;
pub mod app;
pub mod cli;
pub mod error;
pub mod follow;
pub mod format;
pub mod model;
pub mod partial;
pub mod pricing;
pub mod render;
pub mod scan;
pub mod source;
