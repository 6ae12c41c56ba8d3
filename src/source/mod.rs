//! Inputs: find them, open them, detect their format, and cut them into chunks.
//!
//! Owns: discovery (paths, directories, the default locations), memory-mapping
//! regular files, reading streams (stdin, FIFOs, special files), transparent
//! `.gz`/`.zst` decoding (by magic bytes), format sniffing, and record-aligned
//! chunking. Must not: parse records or know any analysis.
//! Invariant: a chunk always starts at a record boundary and ends right after
//! one (or at end of input), so chunks can be parsed independently.

pub mod claude;
pub mod mmap;

use crate::error::{Error, Result};
use crate::model::Format;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Target chunk size in bytes for parallel scanning (a few MiB keeps every core
/// busy on large inputs and the per-chunk accumulators small).
pub const CHUNK_BYTES: usize = 4 << 20;

/// How many bytes of a file's head are sniffed to detect its format.
pub const SNIFF_BYTES: usize = 8 << 10;

/// Regular files smaller than this are read into memory rather than mapped: a read
/// costs no more at that size, and holds no mapping once done, so a directory of
/// tens of thousands of tiny files (mailboxes, task files) exhausts no limit.
/// Larger ones are mapped: reading them meant fresh heap pages for each, which
/// the kernel zeroes (and, for huge pages, may stall compacting memory). On a
/// 1 GB config dir of 2,400 files, 664 of them 64 KiB to 1 MiB, `perf record`
/// put 10–34% of `oracle cost`'s CPU in that zeroing (BENCHMARKS.md).
pub const MAP_MIN_BYTES: u64 = 64 << 10;

/// Where the bytes of an input live.
pub enum Data {
    /// A memory-mapped regular file (see [`mmap::Map`] for the SIGBUS policy).
    Mapped(mmap::Map),
    /// Bytes held in memory (decompressed archives, small files, spooled stdin).
    Owned(Vec<u8>),
    /// A stream read block by block (stdin, FIFOs): `head` holds the bytes
    /// already read for format sniffing, `rest` the reader for the remainder.
    Stream {
        /// Bytes read ahead for sniffing.
        head: Vec<u8>,
        /// The rest of the stream.
        rest: Box<dyn Read + Send>,
    },
}

impl Data {
    /// The bytes of a non-stream input; `None` for streams.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Data::Mapped(m) => Some(m.bytes()),
            Data::Owned(v) => Some(v),
            Data::Stream { .. } => None,
        }
    }
}

/// One opened input.
pub struct Input {
    /// As the user named it (`-` for stdin).
    pub display: String,
    /// Detected (or forced) format.
    pub format: Format,
    /// The bytes.
    pub data: Data,
    /// Header lines and where each takes effect (byte offsets, ascending;
    /// [`crate::format::Reader::headers`]: a pipe log's `# Team:`). Streams add to
    /// it as they are read.
    pub headers: Vec<(u64, String)>,
    /// Something to tell the user about this input (e.g. a truncated archive).
    pub note: Option<String>,
}

/// An input that was skipped or could not be read, reported in `sources`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Skipped {
    /// The path.
    pub display: String,
    /// Why.
    pub reason: String,
    /// A path named on the command line that could not be read at all (the
    /// run then ends with exit status 2, after printing what could be read).
    pub unreadable: bool,
}

/// What discovery found: the inputs to scan and what it passed over.
#[derive(Default)]
pub struct Inputs {
    /// Opened inputs, in a stable order (command-line order, directory entries sorted).
    pub inputs: Vec<Input>,
    /// Paths that were unreadable or not telemetry (only reported for explicitly named files).
    pub skipped: Vec<Skipped>,
    /// (device, inode) of every file opened, so that none is read twice.
    seen: std::collections::HashSet<(u64, u64)>,
}

/// Detects a format from the first bytes of an input (never from its name); see
/// [`crate::format::sniff`]. Returns `None` when no reader recognises it.
pub fn detect(head: &[u8]) -> Option<Format> {
    crate::format::sniff(head)
}

/// The header in effect at `offset`: the last one at or before it.
pub fn header_at(headers: &[(u64, String)], offset: u64) -> Option<&str> {
    let i = headers.partition_point(|h| h.0 <= offset);
    headers[..i]
        .last()
        .map(|h| h.1.as_str())
        .filter(|h| !h.is_empty())
}

/// Drops a leading UTF-8 byte-order mark.
pub fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
}

/// Cuts `buf` into record-aligned chunks of about `target` bytes.
///
/// Cuts fall where the format's framing allows ([`crate::format::framing::cut_at_or_after`]):
/// after a `\n` for line formats, before a `{` that starts a line for JSON object
/// streams (pretty printers put only top-level objects at column 0), so a record is
/// never split. Returns `(start, end)` byte ranges covering `buf` exactly.
pub fn chunk_ranges(buf: &[u8], target: usize, format: Format) -> Vec<(usize, usize)> {
    let target = target.max(1);
    let mut out = Vec::with_capacity(buf.len() / target + 1);
    let mut start = 0;
    while start < buf.len() {
        let want = start.saturating_add(target);
        if want >= buf.len() {
            out.push((start, buf.len()));
            break;
        }
        let framing = crate::format::reader(format).framing();
        let end = crate::format::framing::cut_at_or_after(framing, buf, want).unwrap_or(buf.len());
        out.push((start, end));
        start = end;
    }
    out
}

/// Resolves the command line's paths (or the default locations) into opened inputs.
///
/// `forced` overrides detection. Directories are walked (links not followed, so a
/// symlink loop cannot trap the walk) and only files whose content is telemetry
/// are kept. With no path, see [`default_roots`]; `all_projects` reads every
/// Claude Code project instead. Errors: [`Error::NoInput`] when nothing readable
/// was found (saying every place looked at).
pub fn discover(paths: &[PathBuf], forced: Option<Format>, all_projects: bool) -> Result<Inputs> {
    discover_with(
        paths,
        &Discovery {
            forced,
            all_projects,
            follow_links: false,
            allow_empty: false,
        },
    )
}

/// How [`discover_with`] finds inputs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Discovery {
    /// Force this format instead of sniffing.
    pub forced: Option<Format>,
    /// With no path, read every Claude Code project.
    pub all_projects: bool,
    /// Follow symbolic links met while walking a directory (never by default).
    pub follow_links: bool,
    /// Named paths that give no input are not an error: the result lists them as
    /// skipped (a fleet's partial run over one path, `oracle ls`).
    pub allow_empty: bool,
}

/// [`discover`] with every option. The same file named twice (or through its
/// directory and its own path, or through a link) is read once: inputs are
/// deduplicated by device and inode.
pub fn discover_with(paths: &[PathBuf], opts: &Discovery) -> Result<Inputs> {
    let (forced, all_projects) = (opts.forced, opts.all_projects);
    let mut found = Inputs {
        inputs: Vec::new(),
        skipped: Vec::new(),
        seen: Default::default(),
    };
    let explicit = !paths.is_empty();
    let roots: Vec<PathBuf> = if explicit {
        let mut v = Vec::new();
        for p in paths {
            match expand_glob(p) {
                Some(Ok(found_paths)) if !found_paths.is_empty() => v.extend(found_paths),
                Some(Ok(_)) => found.skipped.push(Skipped {
                    display: p.display().to_string(),
                    reason: "no file matches this pattern".into(),
                    unreadable: true,
                }),
                Some(Err(reason)) => found.skipped.push(Skipped {
                    display: p.display().to_string(),
                    reason,
                    unreadable: true,
                }),
                None => v.push(p.clone()),
            }
        }
        v
    } else {
        default_roots(all_projects)?
    };
    for root in &roots {
        if root.as_os_str() == "-" {
            match open_stream("-".into(), Box::new(std::io::stdin()), forced) {
                Ok(Some(i)) => found.inputs.push(i),
                Ok(None) => found.skipped.push(Skipped {
                    display: "-".into(),
                    reason: "not a telemetry format".into(),
                    unreadable: false,
                }),
                Err(e) => found.skipped.push(Skipped {
                    display: "-".into(),
                    reason: e.to_string(),
                    unreadable: true,
                }),
            }
            continue;
        }
        match std::fs::metadata(root) {
            Ok(md) if md.is_dir() => walk_dir(root, forced, opts.follow_links, &mut found),
            Ok(_) => open_reported(root, forced, true, &mut found),
            Err(e) => found.skipped.push(Skipped {
                display: root.display().to_string(),
                reason: e.to_string(),
                unreadable: true,
            }),
        }
    }
    if found.inputs.is_empty() && !(opts.allow_empty && explicit) {
        let mut why = if explicit {
            format!(
                "none of {} is a readable telemetry file",
                paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            format!(
                "looked in {}",
                roots
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        for s in found.skipped.iter().take(5) {
            why.push_str(&format!("\n  {}: {}", s.display, s.reason));
        }
        return Err(Error::NoInput(why));
    }
    Ok(found)
}

/// A quoted glob (`'logs/*.jsonl'`, `'runs/**/*.log'`) the shell did not expand:
/// the regular files it matches, sorted. `None` when `p` exists or holds no glob
/// character (it is then a plain path). The walk starts at the pattern's longest
/// directory prefix without glob characters and does not follow links.
fn expand_glob(p: &Path) -> Option<std::result::Result<Vec<PathBuf>, String>> {
    let text = p.to_str()?;
    if p.exists() || !text.contains(['*', '?', '[', '{']) {
        return None;
    }
    let matcher = match globset::GlobBuilder::new(text)
        .literal_separator(true)
        .build()
    {
        Ok(g) => g.compile_matcher(),
        Err(e) => return Some(Err(format!("not a valid glob: {e}"))),
    };
    let prefix: PathBuf = p
        .components()
        .take_while(|c| {
            !c.as_os_str()
                .to_string_lossy()
                .contains(['*', '?', '[', '{'])
        })
        .collect();
    let base = if prefix.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        prefix
    };
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(&base)
        .follow_links(false)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .map(|p| p.strip_prefix("./").map(Path::to_path_buf).unwrap_or(p))
        .filter(|p| matcher.is_match(p))
        .collect();
    out.sort();
    Some(Ok(out))
}

/// The inputs of a run given no path: `$TELEMETRY_DATA_DIR`, else
/// `./telemetry_data`, else `./.claude/telemetry-*.log`, else the current
/// project's Claude Code data ([`claude::roots`]: its sessions with their
/// subagents, and its teams and tasks). With `all_projects`, every project, team
/// and task folder of the Claude Code config directories.
pub fn default_roots(all_projects: bool) -> Result<Vec<PathBuf>> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut looked = Vec::new();
    if !all_projects {
        match std::env::var_os("TELEMETRY_DATA_DIR").filter(|d| !d.is_empty()) {
            Some(dir) => return Ok(vec![PathBuf::from(dir)]),
            None => looked.push("$TELEMETRY_DATA_DIR (unset)".to_string()),
        }
        let td = PathBuf::from("telemetry_data");
        if td.is_dir() {
            return Ok(vec![td]);
        }
        looked.push("./telemetry_data".into());
        let mut logs: Vec<PathBuf> = std::fs::read_dir(".claude")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("telemetry-") && n.ends_with(".log"))
            })
            .collect();
        logs.sort();
        if !logs.is_empty() {
            return Ok(logs);
        }
        looked.push("./.claude/telemetry-*.log".into());
    }
    let found = claude::roots(&cwd, all_projects);
    if !found.roots.is_empty() {
        return Ok(found.roots);
    }
    looked.extend(found.looked);
    Err(Error::NoInput(format!(
        "no path given, and no telemetry in any default place; looked at:\n  {}",
        looked.join("\n  ")
    )))
}

fn walk_dir(root: &Path, forced: Option<Format>, follow_links: bool, found: &mut Inputs) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(follow_links)
        .sort_by_file_name();
    // Files are opened (read or mapped, and sniffed) in parallel, then kept in
    // walk order: with thousands of session files the opening dominates.
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in walker {
        match entry {
            // Only regular files: a FIFO or device met in a walk would block or
            // never end; name one explicitly to read it.
            Ok(e) if e.file_type().is_file() => {
                use std::os::unix::fs::MetadataExt;
                let fresh = e
                    .metadata()
                    .map(|md| found.seen.insert((md.dev(), md.ino())))
                    .unwrap_or(true);
                if fresh {
                    files.push(e.into_path());
                }
            }
            Ok(_) => {}
            Err(e) => found.skipped.push(Skipped {
                display: e
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| root.display().to_string()),
                reason: e.to_string(),
                unreadable: false,
            }),
        }
    }
    use rayon::prelude::*;
    let opened: Vec<(PathBuf, Result<Option<Input>>)> = files
        .into_par_iter()
        .map(|p| {
            let r = open_path(&p, forced);
            (p, r)
        })
        .collect();
    for (path, r) in opened {
        record_open(&path, r, false, found);
    }
}

/// Opens one path; non-telemetry files found by a directory walk are passed over silently.
fn open_reported(path: &Path, forced: Option<Format>, explicit: bool, found: &mut Inputs) {
    if let Ok(md) = std::fs::metadata(path) {
        use std::os::unix::fs::MetadataExt;
        if md.is_file() && !found.seen.insert((md.dev(), md.ino())) {
            return;
        }
    }
    record_open(path, open_path(path, forced), explicit, found);
}

/// Files an opened input, or why it was passed over.
fn record_open(path: &Path, r: Result<Option<Input>>, explicit: bool, found: &mut Inputs) {
    match r {
        Ok(Some(i)) => found.inputs.push(i),
        Ok(None) if !explicit => {}
        Ok(None) => found.skipped.push(Skipped {
            display: path.display().to_string(),
            reason: "not a telemetry format (use --input-format to force one)".into(),
            unreadable: false,
        }),
        Err(e) => found.skipped.push(Skipped {
            display: path.display().to_string(),
            reason: match e {
                Error::Open { source, .. } => source.to_string(),
                other => other.to_string(),
            },
            unreadable: explicit,
        }),
    }
}

/// Opens a path: regular files of [`MAP_MIN_BYTES`] or more are memory-mapped
/// (read into memory if they cannot be mapped), smaller ones are read, and
/// everything else is streamed. A regular file is read as long as it was when
/// opened: bytes appended during the scan are not read, so no record is read twice.
/// Returns `Ok(None)` when the content is not a telemetry format.
pub fn open_path(path: &Path, forced: Option<Format>) -> Result<Option<Input>> {
    let display = path.display().to_string();
    let open_err = |source| Error::Open {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(open_err)?;
    let md = file.metadata().map_err(open_err)?;
    if !md.is_file() {
        use std::os::unix::fs::FileTypeExt;
        let ft = md.file_type();
        if ft.is_char_device() || ft.is_block_device() {
            // /dev/zero or /dev/urandom would be read forever, forced format or not.
            return Err(open_err(std::io::Error::other(
                "a device, not a telemetry file",
            )));
        }
        return open_stream(display, Box::new(file), forced);
    }
    let read = |file: &std::fs::File| {
        let mut v = Vec::with_capacity(md.len().min(MAP_MIN_BYTES) as usize);
        file.take(md.len()).read_to_end(&mut v).map(|_| v)
    };
    let data = if md.len() < MAP_MIN_BYTES {
        Data::Owned(read(&file).map_err(open_err)?)
    } else {
        match mmap::Map::new(&file, path) {
            Ok(m) => Data::Mapped(m),
            // A file system that cannot map, or no mappings left: read it instead.
            Err(_) => Data::Owned(read(&file).map_err(open_err)?),
        }
    };
    finish_open(display, data, forced)
}

/// The format of the regular file at `path`, from its first [`SNIFF_BYTES`]
/// bytes as the walk decides it (`forced` wins): `Ok(None)` when it is not
/// telemetry, or compressed (an archive is read whole, never followed).
///
/// Errors: [`Error::Open`] when it cannot be opened or read.
pub fn sniff_path(path: &Path, forced: Option<Format>) -> Result<Option<Format>> {
    let open_err = |source| Error::Open {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(open_err)?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    file.take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(open_err)?;
    if is_compressed(&head) || head.is_empty() {
        return Ok(None);
    }
    Ok(forced.or_else(|| detect(&head)))
}

fn open_stream(
    display: String,
    mut rd: Box<dyn Read + Send>,
    forced: Option<Format>,
) -> Result<Option<Input>> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut rd)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|source| Error::Open {
            path: display.clone().into(),
            source,
        })?;
    if is_compressed(&head) {
        let mut all = head;
        rd.read_to_end(&mut all).map_err(|source| Error::Open {
            path: display.clone().into(),
            source,
        })?;
        return finish_open(display, Data::Owned(all), forced);
    }
    let Some(format) = forced.or_else(|| detect(&head)) else {
        return Ok(None);
    };
    Ok(Some(Input {
        display,
        format,
        data: Data::Stream { head, rest: rd },
        headers: Vec::new(),
        note: None,
    }))
}

/// True when `head` starts with a gzip (`1f 8b`) or zstd (`28 b5 2f fd`) magic number.
pub fn is_compressed(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b]) || head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
}

fn finish_open(display: String, data: Data, forced: Option<Format>) -> Result<Option<Input>> {
    let bytes = data.bytes().unwrap_or(&[]);
    let (data, note) = if is_compressed(bytes) {
        let (plain, note) = decompress(bytes);
        (Data::Owned(plain), note)
    } else {
        (data, None)
    };
    let bytes = data.bytes().unwrap_or(&[]);
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let Some(format) = forced.or_else(|| detect(head)) else {
        if bytes.is_empty() && forced.is_none() {
            // An empty file is read (zero records) rather than called foreign.
            return Ok(Some(Input {
                display,
                format: Format::Pipe,
                data,
                headers: Vec::new(),
                note: Some("empty file".into()),
            }));
        }
        return Ok(None);
    };
    let headers = crate::format::reader(format)
        .headers(bytes)
        .into_iter()
        .map(|(o, h)| (o as u64, h))
        .collect();
    Ok(Some(Input {
        display,
        format,
        data,
        headers,
        note,
    }))
}

/// Decodes a gzip (`1f 8b`) or zstd (`28 b5 2f fd`) archive. A truncated or
/// corrupt archive yields the bytes decoded before the damage and a note.
fn decompress(bytes: &[u8]) -> (Vec<u8>, Option<String>) {
    let mut out = Vec::new();
    let res = if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut out)
    } else {
        match zstd::stream::read::Decoder::new(bytes) {
            Ok(mut d) => d.read_to_end(&mut out),
            Err(e) => Err(e),
        }
    };
    let note = res.err().map(|e| {
        format!(
            "compressed input is damaged or truncated ({e}); read the first {} decoded bytes",
            out.len()
        )
    });
    (out, note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format_from_content() {
        assert_eq!(
            detect(b"# Teamsters Team Orchestration Telemetry Log\n"),
            Some(Format::Pipe)
        );
        assert_eq!(
            detect(b"2026-02-13T14:30:01.123Z | lifecycle | a | spawned | {}\n"),
            Some(Format::Pipe)
        );
        assert_eq!(
            detect(b"\xEF\xBB\xBF{\"timestamp\": \"x\", \"change_type\": \"added\", \"entity_type\": \"span\"}"),
            Some(Format::Diff)
        );
        assert_eq!(
            detect(b"{\"timestamp\": \"x\", \"traces_count\": 0}"),
            Some(Format::State)
        );
        assert_eq!(
            detect(b"{\n  \"hook_event\": \"PreToolUse\"\n}"),
            Some(Format::Hook)
        );
        assert_eq!(
            detect(b"[\n {\"hook_event_name\": \"Stop\"}]"),
            Some(Format::Hook)
        );
        assert_eq!(detect(b"hello world"), None);
        assert_eq!(detect(b"# A README\n\nSome prose | with a pipe\n"), None);
        assert_eq!(
            detect(b"---\n2026-02-13T14:30:01Z | lifecycle | a | spawned | {}\n"),
            Some(Format::Pipe)
        );
        assert_eq!(detect(b"2026-02-13 not a pipe"), None);
    }

    #[test]
    fn chunks_cover_the_buffer_and_end_on_boundaries() {
        let buf = b"aaaa\nbb\ncccccc\nd\n";
        let r = chunk_ranges(buf, 3, Format::Diff);
        assert_eq!(r.first().unwrap().0, 0);
        assert_eq!(r.last().unwrap().1, buf.len());
        for w in r.windows(2) {
            assert_eq!(w[0].1, w[1].0);
            assert_eq!(buf[w[0].1 - 1], b'\n');
        }
        let hooks = b"{\n  \"a\": {\n  }\n}\n{\n \"b\": 1\n}\n";
        for (s, _) in chunk_ranges(hooks, 2, Format::Hook) {
            assert_eq!(hooks[s], b'{');
        }
    }

    #[test]
    fn reads_the_team_header() {
        let head = b"# Dante Team Orchestration Telemetry Log\n# Team: testing-parallel\n---\n";
        assert_eq!(
            crate::format::reader(Format::Pipe).headers(head),
            vec![(41, "testing-parallel".to_string())]
        );
    }
}
