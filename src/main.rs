//! The `oracle` binary: parse flags, run, map the result to an exit status.

use oracle_monitor::{app, cli::Cli, error::ExitStatus};
use std::io::{BufWriter, ErrorKind, Write};
use std::process::ExitCode;

/// mimalloc: the scan builds and frees many small strings and maps per chunk on
/// every thread, where glibc's allocator spent 10-15% of the cycles (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::parse_args(std::env::args_os().collect()) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                ExitStatus::Usage as u8
            } else {
                0
            });
        }
    };
    // A progress bar for long scans, on a terminal only (never for programs).
    oracle_monitor::scan::show_progress(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(64 << 10, stdout.lock());
    let mut err = std::io::stderr();
    let res = cli
        .into_config()
        .and_then(|cfg| app::run(cfg, &mut out, &mut err));
    let res = res.and_then(|s| out.flush().map(|_| s).map_err(Into::into));
    match res {
        Ok(status) => ExitCode::from(status as u8),
        Err(oracle_monitor::error::Error::Output(e)) if e.kind() == ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            // Errors can carry file names from a walked directory: escape them, line by line.
            let text = e.to_string();
            for (n, line) in text.lines().enumerate() {
                let prefix = if n == 0 { "oracle: " } else { "" };
                let _ = writeln!(err, "{prefix}{}", oracle_monitor::render::escape(line));
            }
            ExitCode::from(e.exit_status() as u8)
        }
    }
}
