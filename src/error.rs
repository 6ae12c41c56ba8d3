//! The crate's one error type, and the exit statuses it maps to.
//!
//! Owns: [`Error`], [`ExitStatus`]. A bad *record* is never an `Error`: it is
//! counted in [`crate::scan::SourceStats`] and the run goes on. An `Error` is a
//! bad argument, no readable input, or an output failure.

use std::path::PathBuf;

/// Everything that can stop a run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A flag's value could not be read. `flag` names it; `accepted` lists the forms it takes.
    #[error("invalid value '{value}' for '{flag}': {reason}\n  accepted: {accepted}")]
    BadArg {
        /// The flag, e.g. `--after`.
        flag: &'static str,
        /// What was given.
        value: String,
        /// Why it was refused.
        reason: String,
        /// The accepted forms.
        accepted: &'static str,
    },
    /// An input could not be opened or read (reported; the run goes on if others remain).
    #[error("{path}: {source}")]
    Open {
        /// The input path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// No input was found or none could be read.
    #[error("no readable input: {0}")]
    NoInput(String),
    /// `--strict` was given and some records could not be read.
    #[error("--strict: {count} unreadable record(s); first at {first}")]
    Strict {
        /// How many records failed.
        count: u64,
        /// `file:line` locations of the first ones.
        first: String,
    },
    /// A partial (`oracle merge`) was refused: another format version, build or
    /// query, overlapping inputs, or damage. `reason` names the mismatch.
    #[error("{path}: cannot merge this partial: {reason}")]
    Partial {
        /// The partial file.
        path: PathBuf,
        /// What does not match, in a few words.
        reason: String,
    },
    /// Writing the output failed (other than a closed pipe, which is success).
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// The process exit status contract: 0 success, 1 a `--fail-on` threshold was
/// met, 2 bad arguments or no readable input (and `--strict` failures).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Ran, and nothing crossed `--fail-on`.
    Success = 0,
    /// A finding at or above `--fail-on` exists.
    Threshold = 1,
    /// Bad arguments, no readable input, or `--strict` with unreadable records.
    Usage = 2,
}

impl Error {
    /// The exit status this error ends the process with.
    pub fn exit_status(&self) -> ExitStatus {
        ExitStatus::Usage
    }
}
