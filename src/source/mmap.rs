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

use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the SIGBUS handler when a page of some mapping had to be replaced.
static FAULTED: AtomicBool = AtomicBool::new(false);

/// A read-only mapping of a whole regular file, plus its length at open time.
pub struct Map {
    map: memmap2::Mmap,
    len_at_open: u64,
    file: File,
}

impl Map {
    /// Maps `file` read-only and advises the kernel that it will be read sequentially.
    ///
    /// Errors: the OS error from `mmap` (e.g. `ENODEV` for files that cannot be mapped).
    pub fn new(file: &File) -> std::io::Result<Map> {
        guard::install();
        let len_at_open = file.metadata()?.len();
        // SAFETY: the mapping is read-only and we never hand out a `&mut`. The one
        // remaining hazard is another process truncating the file while we read it
        // (SIGBUS on access past the new end); `guard::install` above makes that
        // fault map a zero page instead of killing the process, and `changed()`
        // reports it. Writes by others within the length we mapped are seen as
        // whatever bytes are there at read time, which at worst parse as bad lines.
        let map = unsafe { memmap2::MmapOptions::new().map(file)? };
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Sequential);
        Ok(Map {
            map,
            len_at_open,
            file: file.try_clone()?,
        })
    }

    /// The mapped bytes (the file as long as it was at open time; growth after
    /// open is not read, so no record is read twice).
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// `Some(note)` when the file shrank or a page fault was caught during the scan.
    pub fn changed(&self) -> Option<String> {
        let now = self.file.metadata().map(|m| m.len()).unwrap_or(0);
        if now < self.len_at_open {
            Some(format!(
                "file shrank from {} to {now} bytes while it was read; bytes past the new end read as NUL",
                self.len_at_open
            ))
        } else if FAULTED.load(Ordering::Relaxed) {
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
