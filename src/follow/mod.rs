//! `--follow`: after the report, the records writers append, as they append them.
//!
//! Owns: watching (inotify through `notify`, else a stat loop), where each file
//! was read up to, rotation and truncation, new files in watched directories,
//! and the batches of new bytes. Must not: parse a record (new bytes go through
//! the format's reader, [`format::parse_chunk`], exactly as the scan's chunks do),
//! filter one (the command's own [`Analysis::observe`] does), or format output
//! ([`crate::render::live`] does).
//!
//! Invariants:
//! - A record is printed once: each file keeps only *how far it was read*
//!   (`consumed`, a byte offset at a record boundary) and the identity of its
//!   head, never the records seen; bytes before `consumed` are never fed again,
//!   except after a truncation (reported) or on a file that is new by identity.
//! - Only whole records are fed: for line formats, bytes up to the last `\n`;
//!   for object formats, up to the end of the last object that parsed. A writer
//!   mid-line is waited for.
//! - Memory is flat: per file a few numbers and its header lines; at most
//!   [`RETIRED`] identities of rotated files; new bytes go through in batches of
//!   about [`BATCH_BYTES`], each printed (and dropped) before the next is read.
//!
//! Identity (as lnav tells files apart): device, inode, size, and a hash of the
//! file's first bytes (up to [`HEAD_BYTES`], the first line and more). A file
//! whose name now points at another inode was renamed away: its tail is read to
//! its end, then the new file is followed from its start, unless its head and
//! size say it holds what was read already (an atomic rewrite, or the renamed file
//! found again in a watched directory). A file that shrank, or whose head
//! changed, was truncated (copy-and-truncate): that is said on stderr and it is
//! read again from the start; the copy, if it turns up, is known by its head.

use crate::analysis::audit::AuditQuery;
use crate::analysis::diffs::DiffsQuery;
use crate::analysis::errors::ErrorsQuery;
use crate::analysis::replay::ReplayQuery;
use crate::error::{ExitStatus, Result};
use crate::format::{self, Bad, Chunk, Ctx, Framing, Sink};
use crate::model::{Event, Format, Record};
use crate::render::live::{Printer, Row};
use crate::scan::{Analysis, LineIndex, SourceStats};
use crate::source::{self, Input};
use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How following watches (typed settings from `--follow`, `--follow-poll`,
/// `ORACLE_FOLLOW_POLL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowConfig {
    /// Poll with a stat loop instead of inotify.
    pub poll: bool,
    /// Stat loop period, ms (directories are walked every fourth period).
    pub poll_ms: u64,
    /// After a change is seen, how long more changes are gathered before the new
    /// records are sorted and printed, ms (records of several files written within
    /// it print in time order).
    pub settle_ms: u64,
}

impl Default for FollowConfig {
    fn default() -> FollowConfig {
        FollowConfig {
            poll: false,
            poll_ms: 250,
            settle_ms: 200,
        }
    }
}

/// Bytes of a file's head hashed for its identity.
pub const HEAD_BYTES: u64 = 4096;
/// Most bytes read from one file at a time.
pub const PIECE_BYTES: u64 = 8 << 20;
/// Bytes fed into one batch before it is printed: a backlog (a file that grew
/// by gigabytes while oracle was stopped) prints batch after batch, in bounded
/// memory.
pub const BATCH_BYTES: usize = 1 << 20;
/// Identities of rotated or truncated files remembered (to know their copies).
pub const RETIRED: usize = 64;
/// With inotify, a sweep of every file this often even without an event (a
/// safety net for events a file system does not send).
const SAFETY_SWEEP: Duration = Duration::from_secs(5);

/// A listing command that can follow: its query for new records, and how a
/// batch's accumulator becomes rows.
pub trait Live: Analysis + Sized {
    /// The query applied to new records: the same filters, no `--limit`, the
    /// window open at its end.
    fn live(&self) -> Self;
    /// The rows of one batch, oldest first.
    fn rows(&self, acc: Self::Acc, index: &LineIndex) -> Vec<Row>;
}

fn in_time_order(mut v: Vec<Record>, severity: bool) -> Vec<Row> {
    v.sort_by_key(Record::key);
    v.into_iter()
        .map(|record| Row::Record { record, severity })
        .collect()
}

impl Live for ErrorsQuery {
    fn live(&self) -> Self {
        let mut q = self.clone();
        q.limit = usize::MAX;
        q.by = None;
        q.window.before = None;
        q
    }
    fn rows(&self, acc: Self::Acc, index: &LineIndex) -> Vec<Row> {
        in_time_order(acc.finish(self, index).errors, true)
    }
}

impl Live for DiffsQuery {
    fn live(&self) -> Self {
        let mut q = self.clone();
        q.limit = usize::MAX;
        q.tool_ids = None;
        q.window.before = None;
        q
    }
    fn rows(&self, acc: Self::Acc, index: &LineIndex) -> Vec<Row> {
        in_time_order(acc.finish(index).diffs, false)
    }
}

impl Live for ReplayQuery {
    fn live(&self) -> Self {
        let mut q = self.clone();
        q.limit = usize::MAX;
        q.at = None;
        q.window.before = None;
        q
    }
    fn rows(&self, acc: Self::Acc, index: &LineIndex) -> Vec<Row> {
        in_time_order(acc.finish(self, index).events, true)
    }
}

impl Live for AuditQuery {
    fn live(&self) -> Self {
        let mut q = self.clone();
        q.limit = 0;
        q.window.before = None;
        q
    }
    fn rows(&self, acc: Self::Acc, index: &LineIndex) -> Vec<Row> {
        let mut v = acc.finish(self, index).findings;
        v.sort_by(|a, b| {
            (a.time.is_none(), &a.time, &a.file, a.line).cmp(&(
                b.time.is_none(),
                &b.time,
                &b.file,
                b.line,
            ))
        });
        v.into_iter().map(Row::Finding).collect()
    }
}

/// Where the report's scan stopped in one input: following starts there.
#[derive(Debug, Clone)]
pub struct Origin {
    display: String,
    format: Format,
    headers: Vec<(u64, String)>,
    consumed: u64,
    lines: u64,
    /// The scan read a last line without `\n` (of this many bytes): when its
    /// newline arrives with nothing added, it is not fed again.
    skip_tail: Option<u64>,
}

/// The start of following for every input the scan read from a file (stdin,
/// FIFOs and archives are not followed). `stats` are the scan's, in input order.
pub fn origins(inputs: &[Input], stats: &[SourceStats]) -> Vec<Origin> {
    let mut out = Vec::new();
    for (n, input) in inputs.iter().enumerate() {
        let Some(bytes) = input.data.bytes() else {
            continue;
        };
        if is_archive(Path::new(&input.display)) {
            continue;
        }
        let (consumed, skip_tail) = match format::reader(input.format).framing() {
            Framing::Lines => {
                let cut = memchr::memrchr(b'\n', bytes).map_or(0, |i| i + 1);
                let torn = stats.get(n).is_some_and(|s| s.torn_tail.is_some());
                let tail = (bytes.len() - cut) as u64;
                (cut as u64, (tail > 0 && !torn).then_some(tail))
            }
            Framing::Objects => (objects_end(input.format, &input.display, bytes), None),
        };
        out.push(Origin {
            display: input.display.clone(),
            format: input.format,
            headers: input.headers.clone(),
            consumed,
            lines: memchr::memchr_iter(b'\n', &bytes[..consumed as usize]).count() as u64,
            skip_tail,
        });
    }
    out
}

fn is_archive(path: &Path) -> bool {
    let mut head = [0u8; 4];
    File::open(path)
        .and_then(|f| f.read_at(&mut head, 0))
        .is_ok_and(|n| source::is_compressed(&head[..n]))
}

/// The end of the last object that parses in `bytes` (an object format's
/// record boundary), found by its reader.
fn objects_end(format: Format, display: &str, bytes: &[u8]) -> u64 {
    struct End {
        range: std::ops::Range<*const u8>,
        end: usize,
    }
    impl Sink for End {
        fn event(&mut self, ev: &Event<'_>) {
            if let Some(e) = record_end(&self.range, ev.record) {
                self.end = self.end.max(e);
            }
        }
        fn bad(&mut self, _: Bad) {}
    }
    let mut sink = End {
        range: bytes.as_ptr_range(),
        end: 0,
    };
    let chunk = Chunk {
        input: 0,
        index: 0,
        base: 0,
        bytes,
        format,
        ctx: Ctx {
            path: display,
            header: None,
            only: None,
        },
        at_eof: true,
    };
    format::parse_chunk(&chunk, None, false, &mut sink);
    sink.end as u64
}

/// Where `record` ends within the buffer spanning `range`, if it lies in it.
fn record_end(range: &std::ops::Range<*const u8>, record: &[u8]) -> Option<usize> {
    let start = record.as_ptr();
    (range.start <= start && start <= range.end)
        .then(|| start as usize - range.start as usize + record.len())
}

/// The identity of a file's head: its first `len` bytes (at most [`HEAD_BYTES`]), hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Head {
    len: u64,
    hash: u64,
}

fn head_of(file: &File, len: u64) -> Option<Head> {
    let len = len.min(HEAD_BYTES);
    let mut buf = vec![0u8; len as usize];
    let n = read_full(file, &mut buf, 0).ok()?;
    if (n as u64) < len {
        return None;
    }
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    buf.hash(&mut h);
    Some(Head {
        len,
        hash: h.finish(),
    })
}

/// Reads into `buf` from `offset` until it is full or the file ends.
fn read_full(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], offset + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A file being followed.
struct Tracked {
    display: String,
    path: PathBuf,
    file: File,
    dev: u64,
    ino: u64,
    format: Format,
    headers: Vec<(u64, String)>,
    /// Bytes read and fed (a record boundary).
    consumed: u64,
    /// Lines before `consumed`.
    lines: u64,
    head: Head,
    skip_tail: Option<u64>,
    /// Size at the last look.
    seen_size: u64,
}

/// What was known of a file no longer followed under its name.
#[derive(Debug, Clone, Copy)]
struct Retired {
    dev: u64,
    ino: u64,
    head: Head,
    consumed: u64,
    lines: u64,
}

/// The new records of one sweep, fed through the query into one accumulator.
struct Batch<'q, L: Live> {
    q: &'q L,
    acc: L::Acc,
    bases: Vec<u64>,
    files: Vec<String>,
    headers: Vec<Vec<(u64, String)>>,
    bad: Vec<String>,
    /// Bytes fed so far.
    fed: usize,
}

struct FeedSink<'a, L: Analysis> {
    q: &'a L,
    acc: &'a mut L::Acc,
    range: std::ops::Range<*const u8>,
    end: usize,
    bad: Vec<Bad>,
}

impl<L: Analysis> Sink for FeedSink<'_, L> {
    fn event(&mut self, ev: &Event<'_>) {
        self.q.observe(self.acc, ev);
        if let Some(e) = record_end(&self.range, ev.record) {
            self.end = self.end.max(e);
        }
    }
    fn bad(&mut self, bad: Bad) {
        if !bad.torn {
            self.bad.push(bad);
        }
    }
}

impl<'q, L: Live> Batch<'q, L> {
    fn new(q: &'q L) -> Self {
        Batch {
            q,
            acc: q.new_acc(),
            bases: Vec::new(),
            files: Vec::new(),
            headers: Vec::new(),
            bad: Vec::new(),
            fed: 0,
        }
    }

    /// True once [`BATCH_BYTES`] were fed: the rest waits for the next batch.
    fn full(&self) -> bool {
        self.fed >= BATCH_BYTES
    }

    /// Parses `bytes` (whole records of `t` from byte `base`, line `line`, both
    /// 0-based) with the format's reader into the query. Returns where the last
    /// parsed record ends (relative to `bytes`).
    fn feed(&mut self, t: &Tracked, base: u64, line: u64, bytes: &[u8]) -> usize {
        let input = self.files.len() as u32;
        self.fed += bytes.len();
        self.files.push(t.display.clone());
        self.headers.push(t.headers.clone());
        self.bases.push(line + 1);
        let chunk = Chunk {
            input,
            // Each piece is an input of its own: its one chunk is chunk 0.
            index: 0,
            base,
            bytes,
            format: t.format,
            ctx: Ctx {
                path: &t.display,
                header: source::header_at(&t.headers, base),
                only: None,
            },
            at_eof: false,
        };
        let mut sink = FeedSink {
            q: self.q,
            acc: &mut self.acc,
            range: bytes.as_ptr_range(),
            end: 0,
            bad: Vec::new(),
        };
        format::parse_chunk(&chunk, None, false, &mut sink);
        let end = sink.end;
        let lines_mode = format::reader(t.format).framing() == Framing::Lines;
        for b in sink.bad {
            // A bad object past the last good one is read again later: said once, when behind.
            if lines_mode || b.loc.offset < base + end as u64 {
                let at = line + 1 + u64::from(b.loc.line_in_chunk);
                self.bad.push(format!("{}:{at} ({})", t.display, b.reason));
            }
        }
        if lines_mode {
            bytes.len()
        } else {
            end
        }
    }

    fn finish(self) -> (Vec<Row>, Vec<String>) {
        let index = LineIndex::from_parts(self.bases, self.files, self.headers);
        (self.q.rows(self.acc, &index), self.bad)
    }
}

/// Set by the SIGINT handler: following ends, with status 0.
static STOP: AtomicBool = AtomicBool::new(false);

/// Makes Ctrl-C (SIGINT) end following with status 0 instead of killing the
/// process. Call once, before a long scan, when following.
pub fn catch_interrupt() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| STOP.store(true, Ordering::SeqCst));
    });
}

/// True when stdout is a pipe whose reader has gone (or a terminal hung up):
/// following then ends quietly, even if nothing new is written.
fn stdout_closed() -> bool {
    let mut p = libc::pollfd {
        fd: libc::STDOUT_FILENO,
        events: 0,
        revents: 0,
    };
    // SAFETY: `p` is one valid, initialised pollfd that outlives the call, the
    // count is 1 and the timeout 0; poll(2) only writes `revents`.
    let n = unsafe { libc::poll(&mut p, 1, 0) };
    n > 0 && p.revents & (libc::POLLERR | libc::POLLHUP) != 0
}

/// How the follower is woken.
enum Wake {
    Inotify {
        _watcher: notify::RecommendedWatcher,
        rx: std::sync::mpsc::Receiver<notify::Result<notify::Event>>,
    },
    Poll,
}

/// What [`run`] needs besides the query.
pub struct Follow<'a> {
    /// Watch settings.
    pub cfg: FollowConfig,
    /// The paths named on the command line (or the default ones): the
    /// directories among them are watched for new files.
    pub roots: &'a [PathBuf],
    /// `--input-format`.
    pub forced: Option<Format>,
    /// `--follow-links`.
    pub follow_links: bool,
}

struct Follower<'a, L: Live> {
    q: L,
    opts: &'a Follow<'a>,
    /// The directories watched for new files: as given, and canonical (the
    /// form inotify events name paths in).
    dirs: Vec<(PathBuf, PathBuf)>,
    files: Vec<Tracked>,
    retired: VecDeque<Retired>,
    /// Files in watched directories that are not telemetry (by device and inode).
    ignored: HashSet<(u64, u64)>,
    /// Files too short to tell yet: the size last sniffed.
    waiting: HashMap<(u64, u64), u64>,
    /// The last batch was full: sweep again at once.
    more: bool,
}

/// Follows the files of `origins` (and new files in the directories of
/// `opts.roots`), printing each new record `q` keeps with `printer`, until
/// Ctrl-C or a closed stdout: both end with [`ExitStatus::Success`].
///
/// Errors: writing to `out` ([`crate::error::Error::Output`]; a closed pipe is
/// the caller's success).
pub fn run<L: Live>(
    q: &L,
    origins: Vec<Origin>,
    opts: &Follow<'_>,
    mut printer: Printer,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitStatus> {
    catch_interrupt();
    let mut f = Follower {
        q: q.live(),
        opts,
        dirs: opts
            .roots
            .iter()
            .filter(|p| p.is_dir())
            .map(|p| (p.clone(), p.canonicalize().unwrap_or_else(|_| p.clone())))
            .collect(),
        files: Vec::new(),
        retired: VecDeque::new(),
        ignored: HashSet::new(),
        waiting: HashMap::new(),
        more: false,
    };
    for o in origins {
        if let Some(t) = f.open(Path::new(&o.display), o.display.clone(), Some(o.format)) {
            let t = Tracked {
                headers: o.headers,
                consumed: o.consumed,
                lines: o.lines,
                skip_tail: o.skip_tail,
                head: head_of(&t.file, o.consumed).unwrap_or_default(),
                ..t
            };
            f.files.push(t);
        }
    }
    out.flush()?;
    let mut wake = if opts.cfg.poll {
        Wake::Poll
    } else {
        match f.watch() {
            Ok(w) => w,
            Err(e) => {
                let _ = writeln!(
                    err,
                    "oracle: --follow: cannot watch with inotify ({e}); polling every {} ms instead",
                    opts.cfg.poll_ms
                );
                Wake::Poll
            }
        }
    };
    let _ = writeln!(
        err,
        "oracle: following {} file(s){}{}; Ctrl-C stops",
        f.files.len(),
        match f.dirs.len() {
            0 => String::new(),
            n => format!(" and new files in {n} folder(s)"),
        },
        if matches!(wake, Wake::Poll) {
            " (polling)"
        } else {
            ""
        }
    );
    // What was written while the report was made.
    f.sweep(Vec::new(), true, &mut printer, out, err)?;
    let mut last_sweep = Instant::now();
    let mut tick = 0u64;
    loop {
        if STOP.load(Ordering::SeqCst) || stdout_closed() {
            out.flush()?;
            return Ok(ExitStatus::Success);
        }
        if f.more {
            // A backlog: the next batch at once.
            f.sweep(Vec::new(), false, &mut printer, out, err)?;
            continue;
        }
        let mut fallback = None;
        match &wake {
            Wake::Inotify { rx, .. } => {
                use std::sync::mpsc::RecvTimeoutError;
                match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(first) => {
                        let mut paths = Vec::new();
                        let mut any = false;
                        let until = Instant::now() + Duration::from_millis(opts.cfg.settle_ms);
                        let mut next = Some(first);
                        while let Some(ev) = next.take() {
                            match ev {
                                Ok(ev) if relevant(&ev) => {
                                    any = true;
                                    paths.extend(ev.paths);
                                }
                                Ok(_) => {}
                                Err(e) => fallback = Some(e.to_string()),
                            }
                            let left = until.saturating_duration_since(Instant::now());
                            if left.is_zero() || !any {
                                next = rx.try_recv().ok();
                            } else {
                                next = rx.recv_timeout(left).ok();
                            }
                        }
                        if any {
                            f.sweep(paths, false, &mut printer, out, err)?;
                            last_sweep = Instant::now();
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => {
                        if last_sweep.elapsed() >= SAFETY_SWEEP {
                            f.sweep(Vec::new(), false, &mut printer, out, err)?;
                            last_sweep = Instant::now();
                        }
                    }
                    Err(RecvTimeoutError::Disconnected) => {
                        fallback = Some("the watcher stopped".into());
                    }
                }
            }
            Wake::Poll => {
                let until = Instant::now() + Duration::from_millis(opts.cfg.poll_ms);
                while Instant::now() < until && !STOP.load(Ordering::SeqCst) {
                    std::thread::sleep(
                        until
                            .saturating_duration_since(Instant::now())
                            .min(Duration::from_millis(50)),
                    );
                }
                tick += 1;
                f.sweep(Vec::new(), tick.is_multiple_of(4), &mut printer, out, err)?;
            }
        }
        if let Some(e) = fallback {
            let _ = writeln!(
                err,
                "oracle: --follow: inotify failed ({e}); polling every {} ms instead",
                opts.cfg.poll_ms
            );
            wake = Wake::Poll;
        }
    }
}

/// Events that may mean new bytes or files (not our own reads).
fn relevant(ev: &notify::Event) -> bool {
    use notify::event::{AccessKind, AccessMode, EventKind};
    match ev.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

impl<L: Live> Follower<'_, L> {
    /// Watches the directories given (recursively) and the folders of the files
    /// followed outside them (for renames and re-creations of their names).
    fn watch(&self) -> std::result::Result<Wake, notify::Error> {
        use notify::{RecursiveMode, Watcher};
        let (tx, rx) = std::sync::mpsc::channel();
        let mut w = notify::recommended_watcher(tx)?;
        for (d, _) in &self.dirs {
            w.watch(d, RecursiveMode::Recursive)?;
        }
        let mut parents: Vec<PathBuf> = self
            .files
            .iter()
            .filter(|t| !self.dirs.iter().any(|(d, _)| t.path.starts_with(d)))
            .map(|t| match t.path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            })
            .collect();
        parents.sort();
        parents.dedup();
        for p in &parents {
            w.watch(p, RecursiveMode::NonRecursive)?;
        }
        Ok(Wake::Inotify { _watcher: w, rx })
    }

    /// A path inside a watched directory, spelled from the directory as given (as
    /// the walk names it): events name it from the canonical one. `None` outside.
    fn named(&self, p: &Path) -> Option<PathBuf> {
        self.dirs.iter().find_map(|(given, canon)| {
            if p.starts_with(given) {
                Some(p.to_path_buf())
            } else {
                p.strip_prefix(canon).ok().map(|rest| given.join(rest))
            }
        })
    }

    /// Opens `path` for following from its start (`format`: known, else sniffed).
    fn open(&self, path: &Path, display: String, format: Option<Format>) -> Option<Tracked> {
        let file = File::open(path).ok()?;
        let md = file.metadata().ok()?;
        if !md.is_file() {
            return None;
        }
        let format = match format {
            Some(f) => f,
            None => source::sniff_path(path, self.opts.forced).ok()??,
        };
        Some(Tracked {
            display,
            path: path.to_path_buf(),
            dev: md.dev(),
            ino: md.ino(),
            format,
            headers: Vec::new(),
            consumed: 0,
            lines: 0,
            head: Head::default(),
            skip_tail: None,
            seen_size: 0,
            file,
        })
    }

    fn retire(&mut self, r: Retired) {
        if self.retired.len() >= RETIRED {
            self.retired.pop_front();
        }
        self.retired.push_back(r);
    }

    /// How much of a file new to us was read already, under another name or
    /// before a truncation: the same inode, or the same head and at least as
    /// long (a copy, or an atomic rewrite that appended). `(consumed, lines)`.
    fn adopt(&mut self, t: &Tracked, size: u64) -> (u64, u64) {
        if let Some(i) = self
            .retired
            .iter()
            .position(|r| (r.dev, r.ino) == (t.dev, t.ino) && size >= r.consumed)
        {
            let r = self.retired.remove(i).expect("found");
            return (r.consumed, r.lines);
        }
        let known = self
            .retired
            .iter()
            .map(|r| (r.head, r.consumed, r.lines))
            .chain(self.files.iter().map(|f| (f.head, f.consumed, f.lines)));
        for (head, consumed, lines) in known {
            if head.len > 0 && size >= consumed && head_of(&t.file, head.len) == Some(head) {
                return (consumed, lines);
            }
        }
        (0, 0)
    }

    /// One look at everything: known files (new bytes, truncation, rotation),
    /// then new files (`paths` from events; with `walk`, every watched directory
    /// walked), then the new records printed in time order.
    fn sweep(
        &mut self,
        paths: Vec<PathBuf>,
        walk: bool,
        printer: &mut Printer,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<()> {
        let q = self.q.live();
        let mut batch = Batch::new(&q);
        self.more = false;
        let mut i = 0;
        while i < self.files.len() {
            if self.check(i, &mut batch, err) {
                i += 1;
            } else {
                self.files.swap_remove(i);
            }
        }
        let mut candidates: Vec<PathBuf> = Vec::new();
        if walk {
            candidates.extend(self.dirs.iter().map(|(d, _)| d.clone()));
        }
        for p in paths {
            if let Some(p) = self.named(&p) {
                candidates.push(p);
            }
        }
        candidates.sort();
        candidates.dedup();
        // Files followed, by identity: a walk of N files costs N look-ups, not N².
        let mut known: HashSet<(u64, u64)> = if candidates.is_empty() {
            HashSet::new()
        } else {
            self.files.iter().map(|t| (t.dev, t.ino)).collect()
        };
        for c in candidates {
            if c.is_dir() {
                let files: Vec<PathBuf> = walkdir::WalkDir::new(&c)
                    .follow_links(self.opts.follow_links)
                    .sort_by_file_name()
                    .into_iter()
                    .flatten()
                    .filter(|e| e.file_type().is_file())
                    .map(|e| e.into_path())
                    .collect();
                for p in files {
                    self.consider(&p, &mut known, &mut batch, err);
                }
            } else {
                self.consider(&c, &mut known, &mut batch, err);
            }
        }
        let (rows, bad) = batch.finish();
        for b in bad {
            let _ = writeln!(
                err,
                "oracle: {}: unreadable record",
                crate::render::escape(&b)
            );
        }
        printer.print(&rows, out)?;
        Ok(())
    }

    /// A file met in a watched directory: followed from its start when it is
    /// telemetry and new by identity.
    fn consider(
        &mut self,
        path: &Path,
        known: &mut HashSet<(u64, u64)>,
        batch: &mut Batch<'_, L>,
        err: &mut dyn Write,
    ) {
        let md = if self.opts.follow_links {
            std::fs::metadata(path)
        } else {
            std::fs::symlink_metadata(path)
        };
        let Ok(md) = md else { return };
        if !md.is_file() {
            return;
        }
        let id = (md.dev(), md.ino());
        if self.ignored.contains(&id)
            || self.waiting.get(&id) == Some(&md.len())
            || known.contains(&id)
        {
            return;
        }
        let Some(mut t) = self.open(path, path.display().to_string(), None) else {
            if md.len() >= source::SNIFF_BYTES as u64 {
                self.waiting.remove(&id);
                self.ignored.insert(id);
            } else {
                self.waiting.insert(id, md.len());
            }
            return;
        };
        self.waiting.remove(&id);
        known.insert(id);
        let (consumed, lines) = self.adopt(&t, md.len());
        t.consumed = consumed;
        t.lines = lines;
        t.head = head_of(&t.file, consumed).unwrap_or_default();
        self.files.push(t);
        let last = self.files.len() - 1;
        self.check(last, batch, err);
    }

    /// Reads what was added to file `i`, after a truncation from the start, and
    /// when its name now points at another file, finishes it and takes the new
    /// one. False when the file is gone for good (deleted, and read to its end).
    fn check(&mut self, i: usize, batch: &mut Batch<'_, L>, err: &mut dyn Write) -> bool {
        let Ok(md) = self.files[i].file.metadata() else {
            return false;
        };
        let size = md.len();
        let t = &self.files[i];
        let shrank = size < t.consumed;
        let rewritten = !shrank
            && size != t.seen_size
            && t.head.len > 0
            && head_of(&t.file, t.head.len) != Some(t.head);
        if shrank || rewritten {
            let _ = writeln!(
                err,
                "oracle: {}: truncated (read {} bytes, now {}); reading it again from the start",
                crate::render::escape(&t.display),
                t.consumed,
                size
            );
            let id = t.identity();
            self.retire(id);
            let t = &mut self.files[i];
            t.consumed = 0;
            t.lines = 0;
            t.headers.clear();
            t.head = Head::default();
            t.skip_tail = None;
        }
        read_new(&mut self.files[i], size, batch);
        self.files[i].seen_size = size;
        if batch.full() {
            // The rest of this file (and its rotation) waits for the next batch.
            self.more = true;
            self.files[i].seen_size = self.files[i].consumed;
            return true;
        }
        let t = &self.files[i];
        match std::fs::metadata(&t.path) {
            Ok(pm) if pm.is_file() && (pm.dev(), pm.ino()) != (t.dev, t.ino) => {
                // Renamed away (its tail is read above): the name's new file,
                // sniffed, else (too new to tell) of the format of the one it replaces.
                let (path, display, format) = (t.path.clone(), t.display.clone(), t.format);
                let Some(mut new) = self
                    .open(&path, display.clone(), None)
                    .or_else(|| self.open(&path, display.clone(), Some(format)))
                else {
                    return true;
                };
                let _ = writeln!(
                    err,
                    "oracle: {}: rotated (renamed, and a new file took its name); following the new one",
                    crate::render::escape(&display)
                );
                let old = self.files.swap_remove(i);
                self.retire(old.identity());
                drop(old);
                let size = new.file.metadata().map_or(0, |m| m.len());
                let (consumed, lines) = self.adopt(&new, size);
                new.consumed = consumed;
                new.lines = lines;
                new.head = head_of(&new.file, consumed).unwrap_or_default();
                read_new(&mut new, size, batch);
                new.seen_size = size;
                self.files.push(new);
                let last = self.files.len() - 1;
                self.files.swap(i, last);
                true
            }
            Err(_) if md.nlink() == 0 => false,
            _ => true,
        }
    }
}

impl Tracked {
    fn identity(&self) -> Retired {
        Retired {
            dev: self.dev,
            ino: self.ino,
            head: self.head,
            consumed: self.consumed,
            lines: self.lines,
        }
    }
}

/// Feeds the whole records between `t.consumed` and `size` to `batch`, in
/// pieces of at most [`PIECE_BYTES`] (a line longer than that is read whole,
/// up to `--max-record-size`, past which it is skipped and said to be).
fn read_new<L: Live>(t: &mut Tracked, size: u64, batch: &mut Batch<'_, L>) {
    let lines_mode = format::reader(t.format).framing() == Framing::Lines;
    let mut cap = PIECE_BYTES;
    while t.consumed < size && !batch.full() {
        let want = (size - t.consumed).min(cap).min(BATCH_BYTES as u64 * 2);
        let mut buf = vec![0u8; want as usize];
        let n = match read_full(&t.file, &mut buf, t.consumed) {
            Ok(n) => n,
            Err(_) => return,
        };
        buf.truncate(n);
        if buf.is_empty() {
            return;
        }
        if lines_mode {
            let Some(nl) = memchr::memrchr(b'\n', &buf) else {
                // No whole line yet: wait, or read a longer piece for a long line.
                if (n as u64) < size - t.consumed && cap < format::max_record_bytes() as u64 * 2 {
                    cap *= 2;
                    continue;
                }
                return;
            };
            let mut whole = &buf[..nl + 1];
            let mut base = t.consumed;
            if let Some(len) = t.skip_tail.take() {
                // The scan's unterminated last line, now ended and unchanged: read already.
                let len = len as usize;
                let ends = |k: usize| whole.get(k) == Some(&b'\n');
                let end = if ends(len) {
                    Some(len + 1)
                } else if whole.get(len) == Some(&b'\r') && ends(len + 1) {
                    Some(len + 2)
                } else {
                    None
                };
                if let Some(e) = end {
                    whole = &whole[e..];
                    base += e as u64;
                    t.lines += 1;
                }
            }
            feed_lines(t, base, whole, batch);
            t.consumed = base + whole.len() as u64;
            cap = PIECE_BYTES;
        } else {
            let used = batch.feed(t, t.consumed, t.lines, &buf);
            t.lines += memchr::memchr_iter(b'\n', &buf[..used]).count() as u64;
            t.consumed += used as u64;
            if used < buf.len() {
                // The rest is an object still being written.
                if used == 0
                    && (n as u64) < size - t.consumed
                    && cap < format::max_record_bytes() as u64 * 2
                {
                    cap *= 2;
                    continue;
                }
                break;
            }
        }
        if t.head.len < HEAD_BYTES && t.consumed > t.head.len {
            t.head = head_of(&t.file, t.consumed).unwrap_or(t.head);
        }
    }
}

/// Feeds whole lines, cut where a header line (a pipe log's `# Team:`) takes
/// effect so that each piece has one header, as the scan cuts its chunks.
fn feed_lines<L: Live>(t: &mut Tracked, base: u64, whole: &[u8], batch: &mut Batch<'_, L>) {
    let found = format::reader(t.format).headers(whole);
    let mut cuts: Vec<usize> = Vec::new();
    for (o, h) in found {
        t.headers.push((base + o as u64, h));
        if o > 0 {
            cuts.push(o);
        }
    }
    cuts.push(whole.len());
    let mut start = 0;
    for end in cuts {
        if end > start {
            let piece = &whole[start..end];
            batch.feed(t, base + start as u64, t.lines, piece);
            t.lines += memchr::memchr_iter(b'\n', piece).count() as u64;
        }
        start = end;
    }
}
