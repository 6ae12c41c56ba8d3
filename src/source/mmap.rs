//! The one place that memory-maps a file.
//!
//! Owns: [`Map`], the crate's only `unsafe` mapping. Must not: parse anything.
//!
//! # The SIGBUS risk, and the policy
//! A mapped file that another process truncates while we read it raises SIGBUS
//! on the next access past the new end (memmap2 documents this as undefined
//! behaviour; ripgrep and lnav document the same risk). `oracle` is opened on
//! live incident logs, so this must not crash. Policy: see [`guard`]: a process-wide
//! SIGBUS handler replaces the faulting page with a zero page (the read goes on and
//! sees NUL bytes, which parse as a malformed line) and raises a flag; after the
//! scan, the file's size is checked again and a note says the file changed.
//!
//! # Why a mapping, not positioned reads
//! Issue 9 asked whether reading each chunk with `pread` into a reused buffer
//! is as fast, which would remove the handler and every `unsafe` block. It is
//! not: `cargo bench --bench stages -- '^read/'` (a 256 MiB file in the page
//! cache, mapped afresh each run, each record then copied into a per-thread
//! buffer as the scan does; against `read_exact_at` of each 4 MiB chunk into a
//! reused buffer, then the same line split) measured on 2026-12-02 16.0 ms vs
//! 24.6 ms on one thread and 9.6 ms vs 14.9 ms on two (BENCHMARKS.md): the
//! chunk read writes 4 MiB past the caches before the parser reads it back,
//! where a record's copy stays in L1 for its parse. Reads of 256 KiB blocks,
//! which stay in L2, were slower still than the mapping on 2026-12-03: 37.2 vs
//! 21.1 ms on one thread, 18.9 vs 11.1 ms on two. So the mapping stays.
//!
//! A [`Map`] holds no file descriptor (the mapping keeps the file alive by
//! itself), so any number of inputs can be open at once without meeting the
//! process's descriptor limit; the size check after the scan goes through the path.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// Set by the SIGBUS handler when a page of some mapping had to be replaced.
static FAULTED: AtomicBool = AtomicBool::new(false);

/// A read-only mapping of a whole regular file, plus its length at open time.
pub struct Map {
    map: memmap2::Mmap,
    len_at_open: u64,
    /// The path the file was opened by, to look at its size again after the scan.
    path: PathBuf,
    /// The file's (device, inode) at open time: the path is only trusted to name
    /// the same file if these still match.
    id: Option<(u64, u64)>,
}

/// (device, inode) of a file, where the platform has them.
fn file_id(md: &std::fs::Metadata) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((md.dev(), md.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = md;
        None
    }
}

impl Map {
    /// Maps `file` (opened from `path`) read-only, as long as it is now, and
    /// advises the kernel that it will be read sequentially.
    ///
    /// Errors: the OS error from `mmap` (e.g. `ENODEV` for files that cannot be
    /// mapped, `ENOMEM` when the process is out of mappings).
    pub fn new(file: &File, path: &Path) -> std::io::Result<Map> {
        guard::install();
        let md = file.metadata()?;
        let len_at_open = md.len();
        let len = usize::try_from(len_at_open)
            .map_err(|_| std::io::Error::other("file too large to map"))?;
        // SAFETY: the mapping is read-only and we never hand out a `&mut`. The one
        // remaining hazard is another process truncating the file while we read it
        // (SIGBUS on access past the new end); `guard::install` above makes that
        // fault map a zero page instead of killing the process, and `changed()`
        // reports it. Writes by others within the length we mapped are seen as
        // whatever bytes are there at read time, which at worst parse as bad lines.
        let map = unsafe { memmap2::MmapOptions::new().len(len).map(file)? };
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Sequential);
        Ok(Map {
            map,
            len_at_open,
            path: path.to_path_buf(),
            id: file_id(&md),
        })
    }

    /// The mapped bytes (the file as long as it was at open time; growth after
    /// open is not read, so no record is read twice).
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// The whole pages of `part` (a slice of [`Map::bytes`]) as (offset, length)
    /// in bytes from the mapping's start; `None` when `part` is not inside this
    /// mapping or holds no whole page.
    fn pages_of(&self, part: &[u8]) -> Option<(usize, usize)> {
        const PAGE: usize = 4096;
        let base = self.map.as_ptr() as usize;
        let start = (part.as_ptr() as usize).checked_sub(base)?;
        let end = start + part.len();
        if end > self.map.len() {
            return None;
        }
        let (first, last) = (start.div_ceil(PAGE) * PAGE, end / PAGE * PAGE);
        (last > first).then(|| (first, last - first))
    }

    /// Drops this process's page-table entries for the whole pages of `part`
    /// (a slice of [`Map::bytes`]) once the scan is done with them
    /// (`MADV_DONTNEED`). Each scan thread releases its own chunks, so the work
    /// of unmapping is spread over the threads instead of left to one `munmap`
    /// at the end. The bytes stay readable: the mapping is shared and
    /// read-only, so a later read faults the file's page-cache pages back in.
    /// A hint: errors are ignored (a kernel with pages larger than 4 KiB
    /// refuses the unaligned ranges, and the final `munmap` does the work).
    pub fn release(&self, part: &[u8]) {
        #[cfg(unix)]
        if let Some((at, len)) = self.pages_of(part) {
            // SAFETY: MADV_DONTNEED on a shared, read-only file mapping discards
            // only page-table entries; the next access maps the file's page-cache
            // page again, the bytes any read of the shared mapping sees. (A page
            // the SIGBUS guard replaced is an anonymous zero page, which reads as
            // zeros again.) The range lies inside the mapping (`pages_of`).
            let _ = unsafe {
                self.map
                    .unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, at, len)
            };
        }
        #[cfg(not(unix))]
        let _ = part;
    }

    /// `Some(note)` when the file shrank, or a page of this mapping had to be
    /// replaced by the SIGBUS guard during the scan.
    ///
    /// The size is read through the path, and trusted only while the path still
    /// names the same file (same device and inode): a log rotated away by a
    /// rename is still read whole through its mapping and needs no note.
    pub fn changed(&self) -> Option<String> {
        let now = std::fs::metadata(&self.path)
            .ok()
            .filter(|m| file_id(m) == self.id)
            .map(|m| m.len());
        if let Some(now) = now.filter(|n| *n < self.len_at_open) {
            Some(format!(
                "file shrank from {} to {now} bytes while it was read; bytes past the new end read as NUL",
                self.len_at_open
            ))
        } else if guard::faulted_in(self.map.as_ptr() as usize, self.map.len()) {
            Some(
                "a page of a mapped input vanished during the scan (file truncated and rewritten?)"
                    .into(),
            )
        } else {
            None
        }
    }
}

/// The SIGBUS guard (Linux/Unix only).
pub mod guard {
    use super::FAULTED;
    use std::sync::atomic::Ordering;
    use std::sync::Once;

    static INSTALL: Once = Once::new();

    /// True when the guard replaced a page within `[start, start + len)`.
    ///
    /// On Linux the answer is exact: a replaced page shows in `/proc/self/maps` as
    /// an anonymous mapping (inode 0) inside the file mapping's range (no other
    /// mapping can be there). Elsewhere, or if that file cannot be read, any
    /// replaced page anywhere counts.
    pub fn faulted_in(start: usize, len: usize) -> bool {
        if !FAULTED.load(Ordering::Relaxed) {
            return false;
        }
        #[cfg(target_os = "linux")]
        if let Ok(maps) = std::fs::read_to_string("/proc/self/maps") {
            let end = start.saturating_add(len);
            return maps.lines().any(|line| {
                let mut f = line.split_ascii_whitespace();
                let (Some(range), Some(inode)) = (f.next(), f.nth(3)) else {
                    return false;
                };
                let Some((a, b)) = range.split_once('-') else {
                    return false;
                };
                let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
                else {
                    return false;
                };
                inode == "0" && a < end && b > start
            });
        }
        true
    }

    /// Installs the process-wide SIGBUS handler once. Idempotent.
    pub fn install() {
        #[cfg(unix)]
        INSTALL.call_once(|| {
            // SAFETY: we install a handler that only calls async-signal-safe
            // functions (`sysconf` is read before, `mmap` is a raw syscall) and
            // stores to an atomic.
            unsafe {
                PAGE = libc::sysconf(libc::_SC_PAGESIZE) as usize;
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = handler as *const () as usize;
                sa.sa_flags = libc::SA_SIGINFO;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(libc::SIGBUS, &sa, std::ptr::null_mut());
            }
        });
    }

    static mut PAGE: usize = 4096;

    #[cfg(unix)]
    extern "C" fn handler(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
        // SAFETY: `info` is provided by the kernel for SA_SIGINFO handlers. Mapping an
        // anonymous zero page with MAP_FIXED over the faulting page of our own
        // read-only file mapping replaces only that page; the faulting load is then
        // retried and reads zeros.
        unsafe {
            let addr = (*info).si_addr() as usize;
            let page = PAGE;
            let base = addr & !(page - 1);
            let p = libc::mmap(
                base as *mut libc::c_void,
                page,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            );
            if p == libc::MAP_FAILED {
                libc::_exit(135);
            }
        }
        FAULTED.store(true, Ordering::Relaxed);
    }
}
