//! Partials: the accumulator state of one run over some inputs, written by
//! `oracle COMMAND --partial FILE` and merged by `oracle merge COMMAND` (the
//! fleet contract, `docs/fleet.md`).
//!
//! Owns: the file format (a version line, then two CBOR items, RFC 8949: the
//! [`Header`], then the [`Body`]), the checks that refuse partials of another
//! format version, build or query, and the merge of bodies in input order.
//! Must not: know flags or formats, or print.
//! Invariant: a partial's accumulator holds fleet-wide input numbers (the run's
//! `--input-rank` plus its own index), and chunks are numbered within their
//! input, so merging the partials of consecutive inputs in input order is the
//! merge of the chunks of one run over them: nothing in an accumulator is
//! rewritten on merge.

use crate::error::{Error, Result};
use crate::scan::{Analysis, LineIndex, ScanOutput, SourceStats};
use crate::source::Skipped;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::io::{BufRead, Read, Write};
use std::path::Path;

/// Version of the partial format: the first line of every partial is
/// `oracle-partial 1`. Bumped whenever [`Header`] or [`Body`] changes shape.
pub const VERSION: u32 = 1;

/// The first bytes of a partial, before the version number.
pub const MAGIC: &str = "oracle-partial ";

/// What a partial says about itself; read before the body, so that a partial of
/// another build or query is refused without decoding its accumulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The `oracle` version that wrote it (accumulators are that build's own
    /// types: only the same version merges them).
    pub oracle: String,
    /// The subcommand (`queues`, `diagnose`, ...).
    pub command: String,
    /// The query as it decides the accumulator: the subcommand's typed flags,
    /// the resolved anchor and the reading flags (`--input-format`, `--strict`,
    /// `--max-record-size`), never `--threads`, `--format`, `--color` or paths.
    pub query: String,
    /// The anchor of relative times the query was resolved with (UTC ns; `None`:
    /// the data held no timed record). Also in `query`; the merge adopts it.
    pub anchor: Option<i64>,
    /// Fleet-wide number of the first input.
    pub first_input: u32,
    /// Input numbers covered, from `first_input` (inputs of a merged partial
    /// that no partial gave are counted, as gaps).
    pub inputs: u32,
}

/// The state of one run: per-input statistics, line index, skipped paths and the
/// analysis' accumulator.
#[derive(Debug, Serialize, Deserialize)]
pub struct Body<T> {
    /// Per input, in input order (the `sources` block's entries).
    pub sources: Vec<SourceStats>,
    /// Line resolution for the locations in `acc`.
    pub index: LineIndex,
    /// Paths passed over or unreadable.
    pub skipped: Vec<Skipped>,
    /// The merged accumulator.
    pub acc: T,
}

/// One partial read back.
pub struct Part<T> {
    /// Its header.
    pub header: Header,
    /// Its body.
    pub body: Body<T>,
}

/// Writes a partial to `w`.
///
/// Errors: [`Error::Output`] when writing fails.
pub fn write<T: Serialize>(w: &mut dyn Write, header: &Header, body: &Body<T>) -> Result<()> {
    writeln!(w, "{MAGIC}{VERSION}")?;
    let enc = |e: ciborium::ser::Error<std::io::Error>| match e {
        ciborium::ser::Error::Io(e) => Error::Output(e),
        ciborium::ser::Error::Value(v) => Error::Output(std::io::Error::other(v)),
    };
    ciborium::into_writer(header, &mut *w).map_err(enc)?;
    ciborium::into_writer(body, &mut *w).map_err(enc)?;
    w.flush()?;
    Ok(())
}

/// Writes a partial to `path` (`-`: stdout).
pub fn write_to<T: Serialize>(
    path: &Path,
    stdout: &mut dyn Write,
    header: &Header,
    body: &Body<T>,
) -> Result<()> {
    if path.as_os_str() == "-" {
        return write(stdout, header, body);
    }
    let io = |source| Error::Open {
        path: path.to_path_buf(),
        source,
    };
    let f = std::fs::File::create(path).map_err(io)?;
    let mut w = std::io::BufWriter::new(f);
    write(&mut w, header, body)
}

fn refuse(path: &Path, reason: String) -> Error {
    Error::Partial {
        path: path.to_path_buf(),
        reason,
    }
}

/// Reads the partial at `path`, refusing one of another format version, another
/// `oracle` build or another query than `want` (`command`, `query` and `oracle`
/// compared).
///
/// Errors: [`Error::Open`] when it cannot be read, [`Error::Partial`] naming the
/// mismatch or the damage.
pub fn read<T: DeserializeOwned>(path: &Path, want: &Header) -> Result<Part<T>> {
    let f = std::fs::File::open(path).map_err(|source| Error::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut r = std::io::BufReader::new(f);
    let mut first = Vec::new();
    r.by_ref()
        .take(64)
        .read_until(b'\n', &mut first)
        .map_err(|source| Error::Open {
            path: path.to_path_buf(),
            source,
        })?;
    let line = String::from_utf8_lossy(&first);
    let Some(v) = line.trim_end().strip_prefix(MAGIC) else {
        return Err(refuse(
            path,
            "not a partial (it does not start with `oracle-partial VERSION`)".into(),
        ));
    };
    if v != VERSION.to_string() {
        return Err(refuse(
            path,
            format!("partial format version {v}, this oracle reads version {VERSION}"),
        ));
    }
    let header: Header =
        ciborium::from_reader(&mut r).map_err(|e| refuse(path, format!("damaged header: {e}")))?;
    if header.oracle != want.oracle {
        return Err(refuse(
            path,
            format!(
                "written by oracle {}, this is oracle {}: run every node with one build",
                header.oracle, want.oracle
            ),
        ));
    }
    if header.command != want.command {
        return Err(refuse(
            path,
            format!(
                "a partial of `{}`, not of `{}`",
                header.command, want.command
            ),
        ));
    }
    if header.query != want.query {
        return Err(refuse(
            path,
            format!(
                "another query: the partial's is `{}`, this merge's is `{}`",
                header.query, want.query
            ),
        ));
    }
    let body: Body<T> =
        ciborium::from_reader(&mut r).map_err(|e| refuse(path, format!("damaged body: {e}")))?;
    Ok(Part { header, body })
}

/// Reads only the header of the partial at `path` (the merge learns the anchor
/// and query of the fleet from its first partial).
pub fn read_header(path: &Path) -> Result<Header> {
    let f = std::fs::File::open(path).map_err(|source| Error::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut r = std::io::BufReader::new(f);
    let mut first = Vec::new();
    let _ = r.by_ref().take(64).read_until(b'\n', &mut first);
    if !first.starts_with(MAGIC.as_bytes()) {
        return Err(refuse(
            path,
            "not a partial (it does not start with `oracle-partial VERSION`)".into(),
        ));
    }
    ciborium::from_reader(&mut r).map_err(|e| refuse(path, format!("damaged header: {e}")))
}

/// Merges partials (any order) into what one run over all their inputs gives:
/// sorted by their first input, checked not to overlap, and merged in that order.
///
/// Errors: [`Error::Partial`] when two partials hold the same input numbers
/// (made without `--input-rank`, or one given twice).
pub fn merge<A: Analysis>(
    analysis: &A,
    mut parts: Vec<(std::path::PathBuf, Part<A::Acc>)>,
) -> Result<(ScanOutput<A::Acc>, Vec<Skipped>)> {
    parts.sort_by_key(|(p, part)| (part.header.first_input, part.header.inputs, p.clone()));
    let mut acc = analysis.new_acc();
    let mut sources = Vec::new();
    let mut index = LineIndex::default();
    let mut skipped = Vec::new();
    let mut prev: Option<std::path::PathBuf> = None;
    for (path, part) in parts {
        let b = part.body;
        index.append(b.index).map_err(|why| {
            refuse(
                &path,
                format!(
                    "{why} of {}: give each partial run its --input-rank (the number of inputs before it)",
                    prev.as_ref()
                        .map_or("another partial".into(), |p| p.display().to_string())
                ),
            )
        })?;
        acc = analysis.merge(acc, b.acc);
        sources.extend(b.sources);
        skipped.extend(b.skipped);
        prev = Some(path);
    }
    Ok((
        ScanOutput {
            acc,
            sources,
            index,
        },
        skipped,
    ))
}
