//! Dispatch: configuration → inputs → scan → analysis → render.
//!
//! Owns: the order of a run, anchoring relative times, `--strict` and
//! `--fail-on` exit decisions, and the JSON Schema of each command.
//! Must not: parse flags (see `cli`) or format anything itself (see `render`).

use crate::analysis::agents::{AgentsQuery, AgentsReport};
use crate::analysis::audit::{AllowList, AuditQuery, AuditReport};
use crate::analysis::cost::{CostQuery, CostReport};
use crate::analysis::diagnose::{DiagnoseQuery, DiagnoseReport};
use crate::analysis::diffs::{DiffsQuery, DiffsReport, UnfinishedTools};
use crate::analysis::errors::{ErrorsQuery, ErrorsReport};
use crate::analysis::queues::{QueuesQuery, QueuesReport};
use crate::analysis::replay::{ReplayQuery, ReplayReport};
use crate::analysis::report::{Report, ReportQuery};
use crate::analysis::{shell_quote, LastTime, Window};
use crate::cli::{
    time::TimeArg, Anchor, Config, Job, Mode, ReportOutput, SchemaTarget, TimeWindow,
};
use crate::error::{Error, ExitStatus, Result};
use crate::follow::{self, Live};
use crate::model::{time::format_rfc3339, Nanos, Severity};
use crate::partial::{Body, Header};
use crate::render::live::Printer;
use crate::render::{self, Envelope, QueryEcho, Sources, View, SCHEMA_VERSION};
use crate::scan::{scan, scan_numbered, Analysis, ScanOutput};
use crate::source::{self, Data, Inputs, Skipped};
use std::io::{Read, Write};

/// Runs one command, writing the report to `out` and diagnostics to `err`.
///
/// Returns the exit status (success, or `Threshold` when `--fail-on` is met).
/// Errors: bad arguments, no readable input, `--strict` failures, output errors.
pub fn run(cfg: Config, out: &mut dyn Write, err: &mut dyn Write) -> Result<ExitStatus> {
    crate::format::set_max_record_bytes(cfg.max_record_bytes);
    if cfg.follow.is_some() {
        // Ctrl-C during the scan ends the run with 0 once the report is printed.
        crate::follow::catch_interrupt();
    }
    match &cfg.job {
        Job::Print(bytes) => {
            out.write_all(bytes)?;
            return Ok(ExitStatus::Success);
        }
        Job::InstallSkill(dir) => {
            let io = |source| Error::Open {
                path: dir.clone(),
                source,
            };
            std::fs::create_dir_all(dir).map_err(io)?;
            let path = dir.join("SKILL.md");
            std::fs::write(&path, SKILL_MD).map_err(|source| Error::Open {
                path: path.clone(),
                source,
            })?;
            writeln!(out, "wrote {}", path.display())?;
            return Ok(ExitStatus::Success);
        }
        _ => {}
    }
    if let Job::Schema(target) = cfg.job {
        let schema = schema_for(target);
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&schema).expect("schemas serialise")
        )?;
        return Ok(ExitStatus::Success);
    }
    if let Some(n) = cfg.threads {
        // Ignore the error of a second call (tests run several commands in one process).
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
    let merging = matches!(cfg.mode, Mode::Merge { .. });
    if merging && cfg.paths.is_empty() {
        return Err(Error::BadArg {
            flag: "merge",
            value: String::new(),
            reason: "no partial file given".into(),
            accepted: "oracle merge COMMAND [FLAGS] PARTIAL... (files written by `oracle COMMAND --partial FILE`)",
        });
    }
    let mut found = if merging {
        Inputs::default()
    } else {
        source::discover_with(
            &cfg.paths,
            &source::Discovery {
                forced: cfg.input_format,
                all_projects: cfg.all_projects,
                follow_links: cfg.follow_links,
                allow_empty: matches!(cfg.job, Job::Ls) || matches!(cfg.mode, Mode::Partial { .. }),
            },
        )?
    };
    match cfg.job {
        Job::Ls => return list_inputs(&found, out),
        Job::Anchor => {
            spool_streams(&mut found)?;
            let last = scan(&mut found.inputs, &LastTime, true).acc;
            writeln!(out, "{}", last.map_or("none".into(), format_anchor))?;
            return Ok(ExitStatus::Success);
        }
        _ => {}
    }
    // What the suggested `next:` commands repeat: the flags that change what is
    // read or shown, then the paths.
    let mut hint: Vec<String> = Vec::new();
    if let Some(f) = cfg.input_format {
        hint.push(format!("--input-format={}", f.name()));
    }
    if cfg.redact {
        hint.push("--redact".into());
    }
    if cfg.strict {
        hint.push("--strict".into());
    }
    if cfg.all_projects {
        hint.push("--all-projects".into());
    }
    if cfg.follow_links {
        hint.push("--follow-links".into());
    }
    if cfg.max_record_bytes != crate::format::DEFAULT_MAX_RECORD_BYTES {
        hint.push(format!("--max-record-size={}", cfg.max_record_bytes));
    }
    let named = match &cfg.mode {
        Mode::Merge { stands_for, .. } => stands_for,
        _ => &cfg.paths,
    };
    hint.extend(named.iter().map(|p| shell_quote(&p.display().to_string())));
    let paths_hint = hint.join(" ");

    // Relative times need the data's last event: one light pass first.
    let needs_anchor = match &cfg.job {
        Job::Errors { window, .. }
        | Job::Diffs { window, .. }
        | Job::Replay { window, .. }
        | Job::Cost { window, .. }
        | Job::Audit { window, .. }
        | Job::Report { window, .. }
        | Job::Agents { window, .. } => window.relative(),
        _ => false,
    } || matches!(
        &cfg.job,
        Job::Replay {
            at: Some(TimeArg::Ago(_)),
            ..
        }
    );
    // `None` when the data holds no timed record (Claude Code hook payloads):
    // a duration then bounds nothing, and every (untimed) record is kept.
    let anchor: Option<Nanos> = if !needs_anchor {
        Some(0)
    } else if let Some(a) = cfg.anchor {
        match a {
            Anchor::None => None,
            Anchor::At(t) => Some(t),
        }
    } else if merging {
        // The partials were made with the fleet's anchor (their query says so).
        crate::partial::read_header(&cfg.paths[0])?.anchor
    } else if cfg.now {
        Some(time::OffsetDateTime::now_utc().unix_timestamp_nanos() as Nanos)
    } else {
        spool_streams(&mut found)?;
        scan(&mut found.inputs, &LastTime, true).acc
    };
    let resolve = |t: TimeArg| match (t, anchor) {
        (TimeArg::At(t), _) => Some(t),
        (TimeArg::Ago(_), None) => None,
        (t, Some(a)) => Some(t.resolve(a)),
    };
    let window = |w: &TimeWindow| Window {
        after: w.after.and_then(resolve),
        before: w.before.and_then(resolve),
    };
    if let Job::Errors { window: w, .. }
    | Job::Diffs { window: w, .. }
    | Job::Replay { window: w, .. }
    | Job::Cost { window: w, .. }
    | Job::Audit { window: w, .. }
    | Job::Report { window: w, .. }
    | Job::Agents { window: w, .. } = &cfg.job
    {
        let r = window(w);
        if let (Some(a), Some(b)) = (r.after, r.before) {
            if a > b {
                return Err(Error::BadArg {
                    flag: "--after",
                    value: format_rfc3339(a),
                    reason: format!("later than --before ({})", format_rfc3339(b)),
                    accepted: "an --after at or before --before (RFC 3339, a date, or a duration back from the last event)",
                });
            }
        }
    }
    let mut echo = QueryEcho::default();
    let echo_window = |echo: &mut QueryEcho, w: &Window| {
        echo.after = w.after.map(format_rfc3339);
        echo.before = w.before.map(format_rfc3339);
    };

    // What decides the accumulator: a partial of another query is refused.
    let header = |command: &str| Header {
        oracle: env!("CARGO_PKG_VERSION").to_string(),
        command: command.to_string(),
        query: format!(
            "{:?} anchor={} input_format={:?} strict={} max_record_bytes={}",
            cfg.job,
            match anchor {
                _ if !needs_anchor => "-".to_string(),
                Some(a) => format_anchor(a),
                None => "none".to_string(),
            },
            cfg.input_format.map(|f| f.name()),
            cfg.strict,
            cfg.max_record_bytes
        ),
        anchor,
        first_input: 0,
        inputs: 0,
    };
    let mut ctx = Ctx {
        cfg: &cfg,
        out,
        err,
    };
    match &cfg.job {
        Job::Errors {
            severities,
            agent,
            category,
            grep,
            window: w,
            limit,
            by,
            fail_on,
        } => {
            let q = ErrorsQuery {
                severities: severities.clone(),
                agent: agent.clone(),
                category: category.clone(),
                grep: grep.clone(),
                window: window(w),
                limit: *limit,
                by: *by,
            };
            echo_window(&mut echo, &q.window);
            echo.severity = severities.iter().map(|s| s.name().to_string()).collect();
            echo.agent = agent.clone();
            echo.category = category.clone();
            echo.grep = grep.as_ref().map(|r| r.as_str().to_string());
            echo.by = by.map(|b| {
                serde_json::to_value(b)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default()
            });
            echo.limit = Some(*limit as u64);
            echo.fail_on = fail_on.map(|s| s.name().to_string());
            let Some((r, skipped)) = gather(&cfg, &mut found, &q, header("errors"), ctx.out)?
            else {
                return Ok(ExitStatus::Success);
            };
            let mut report = r.acc.finish(&q, &r.index);
            let hit = fail_on.is_some_and(|t| {
                Severity::ALL
                    .iter()
                    .any(|s| *s >= t && report.by_severity.get(*s) > 0)
            });
            if cfg.follow.is_some() {
                // Oldest first, as tail prints: the newest is always the last line.
                report.errors.reverse();
                let day = Printer::day_of(&report.errors);
                let origins = follow::origins(&found.inputs, &r.sources);
                ctx.emit("errors", echo, &skipped, &r.sources, &r.index, report)?;
                return ctx.follow(&q, origins, day);
            }
            match ctx.emit("errors", echo, &skipped, &r.sources, &r.index, report)? {
                ExitStatus::Success if hit => Ok(ExitStatus::Threshold),
                status => Ok(status),
            }
        }
        Job::Diffs {
            entity_type,
            unfinished,
            window: w,
            limit,
        } => {
            // --unfinished: a first pass finds the tool calls never ended.
            let tool_ids = if *unfinished {
                spool_streams(&mut found)?;
                let ids = scan(&mut found.inputs, &UnfinishedTools, !cfg.strict).acc;
                Some(std::sync::Arc::new(ids.unfinished()))
            } else {
                None
            };
            let q = DiffsQuery {
                entity_type: entity_type.clone(),
                window: window(w),
                limit: *limit,
                tool_ids,
            };
            echo.unfinished = *unfinished;
            echo_window(&mut echo, &q.window);
            echo.entity_type = entity_type.clone();
            echo.limit = Some(*limit as u64);
            let Some((r, skipped)) = gather(&cfg, &mut found, &q, header("diffs"), ctx.out)? else {
                return Ok(ExitStatus::Success);
            };
            let mut report = r.acc.finish(&r.index);
            if cfg.follow.is_some() {
                report.diffs.reverse();
                let day = Printer::day_of(&report.diffs);
                let origins = follow::origins(&found.inputs, &r.sources);
                ctx.emit("diffs", echo, &skipped, &r.sources, &r.index, report)?;
                return ctx.follow(&q, origins, day);
            }
            ctx.emit("diffs", echo, &skipped, &r.sources, &r.index, report)
        }
        Job::Replay {
            window: w,
            at,
            limit,
        } => {
            let q = ReplayQuery {
                window: window(w),
                limit: *limit,
                at: at.and_then(resolve),
            };
            if q.at.is_none() {
                echo_window(&mut echo, &q.window);
            }
            echo.at = q.at.map(format_rfc3339);
            echo.limit = Some(*limit as u64);
            let Some((r, skipped)) = gather(&cfg, &mut found, &q, header("replay"), ctx.out)?
            else {
                return Ok(ExitStatus::Success);
            };
            let report = r.acc.finish(&q, &r.index);
            if cfg.follow.is_some() {
                let day = Printer::day_of(&report.events);
                let origins = follow::origins(&found.inputs, &r.sources);
                ctx.emit("replay", echo, &skipped, &r.sources, &r.index, report)?;
                return ctx.follow(&q, origins, day);
            }
            ctx.emit("replay", echo, &skipped, &r.sources, &r.index, report)
        }
        Job::Queues { pending } => {
            let q = QueuesQuery {
                list_pending: *pending,
                window: Window::default(),
            };
            echo.pending = *pending;
            let Some((r, skipped)) = gather(&cfg, &mut found, &q, header("queues"), ctx.out)?
            else {
                return Ok(ExitStatus::Success);
            };
            let report = r.acc.finish(*pending, &r.index);
            ctx.emit("queues", echo, &skipped, &r.sources, &r.index, report)
        }
        Job::Diagnose {
            fail_on,
            stuck_after_ms,
        } => {
            let q = DiagnoseQuery {
                audit: crate::analysis::audit::AuditQuery::all(paths_hint.clone()),
                paths_hint,
                stuck_after_ms: *stuck_after_ms,
            };
            echo.fail_on = fail_on.map(|s| s.name().to_string());
            let Some((r, skipped)) = gather(&cfg, &mut found, &q, header("diagnose"), ctx.out)?
            else {
                return Ok(ExitStatus::Success);
            };
            let report = r.acc.finish(&q, &r.sources, &r.index);
            let worst = report.findings.first().map(|f| f.severity);
            let status = ctx.emit("diagnose", echo, &skipped, &r.sources, &r.index, report)?;
            match (fail_on, worst, status) {
                (Some(threshold), Some(w), ExitStatus::Success) if w >= *threshold => {
                    Ok(ExitStatus::Threshold)
                }
                _ => Ok(status),
            }
        }
        Job::Agents {
            sessions,
            depth,
            window: w,
            prices,
        } => {
            let q = AgentsQuery {
                sessions: sessions.clone(),
                depth: *depth,
                window: window(w),
                prices: std::sync::Arc::new(price_table(prices.as_deref())?),
                running_within_ms: 60_000,
            };
            echo_window(&mut echo, &q.window);
            let Some((r, skipped)) = gather(&cfg, &mut found, &q, header("agents"), ctx.out)?
            else {
                return Ok(ExitStatus::Success);
            };
            let report = r.acc.finish(&q, &r.index);
            ctx.emit("agents", echo, &skipped, &r.sources, &r.index, report)
        }
        Job::Cost {
            by,
            window: w,
            prices,
        } => {
            let prices = price_table(prices.as_deref())?;
            let q = CostQuery {
                by: *by,
                window: window(w),
                prices: std::sync::Arc::new(prices),
            };
            echo_window(&mut echo, &q.window);
            echo.by = serde_json::to_value(by)
                .ok()
                .and_then(|v| v.as_str().map(String::from));
            let Some((r, skipped)) = gather(&cfg, &mut found, &q, header("cost"), ctx.out)? else {
                return Ok(ExitStatus::Success);
            };
            let report = r.acc.finish(&q, &r.index);
            ctx.emit("cost", echo, &skipped, &r.sources, &r.index, report)
        }
        Job::Audit {
            rules,
            sessions,
            window: w,
            allow,
            limit,
            fail_on,
        } => {
            let q = AuditQuery {
                rules: rules.clone(),
                sessions: sessions.clone(),
                window: window(w),
                allow: allow_list(allow.as_deref())?,
                limit: *limit,
                paths_hint,
            };
            echo_window(&mut echo, &q.window);
            echo.limit = Some(*limit as u64);
            echo.fail_on = fail_on.map(|s| s.name().to_string());
            echo.rules = rules.iter().map(|r| r.id().to_string()).collect();
            echo.sessions = sessions.clone();
            let Some((r, skipped)) = gather(&cfg, &mut found, &q, header("audit"), ctx.out)? else {
                return Ok(ExitStatus::Success);
            };
            let report = r.acc.finish(&q, &r.index);
            if cfg.follow.is_some() {
                let origins = follow::origins(&found.inputs, &r.sources);
                ctx.emit("audit", echo, &skipped, &r.sources, &r.index, report)?;
                return ctx.follow(&q, origins, None);
            }
            let hit = fail_on.is_some_and(|t| report.worst().is_some_and(|w| w >= t));
            match ctx.emit("audit", echo, &skipped, &r.sources, &r.index, report)? {
                ExitStatus::Success if hit => Ok(ExitStatus::Threshold),
                status => Ok(status),
            }
        }
        Job::Report {
            output,
            window: w,
            prices,
        } => {
            let prices = std::sync::Arc::new(price_table(prices.as_deref())?);
            let window = window(w);
            let q = ReportQuery {
                window,
                diagnose: DiagnoseQuery {
                    audit: AuditQuery::all(paths_hint.clone()),
                    paths_hint,
                    stuck_after_ms: 60_000,
                },
                agents: AgentsQuery {
                    sessions: Vec::new(),
                    depth: None,
                    window,
                    prices: prices.clone(),
                    running_within_ms: 60_000,
                },
                cost: CostQuery {
                    by: crate::analysis::cost::CostBy::Model,
                    window,
                    prices,
                },
            };
            let r = scan(&mut found.inputs, &q, !cfg.strict);
            let report = r.acc.finish(&q, &r.sources, &r.index);
            ctx.write_page(output, window, &found, &r.sources, &r.index, &report)
        }
        Job::Schema(_) | Job::Print(_) | Job::InstallSkill(_) | Job::Anchor | Job::Ls => {
            unreachable!("handled above")
        }
    }
}

/// The bundled Claude Code skill (`skill/oracle-monitor/SKILL.md`).
pub const SKILL_MD: &str = include_str!("../skill/oracle-monitor/SKILL.md");

struct Ctx<'a> {
    cfg: &'a Config,
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
}

impl Ctx<'_> {
    /// After the report: new records as they are written (`--follow`), until
    /// Ctrl-C or a closed stdout (status 0).
    fn follow<L: Live>(
        &mut self,
        q: &L,
        origins: Vec<follow::Origin>,
        day: Option<String>,
    ) -> Result<ExitStatus> {
        let cfg = self.cfg.follow.unwrap_or_default();
        let roots = if self.cfg.paths.is_empty() {
            source::default_roots(self.cfg.all_projects)?
        } else {
            self.cfg.paths.clone()
        };
        let printer = Printer::new(self.cfg.output, self.cfg.style, day, self.cfg.redact);
        let opts = follow::Follow {
            cfg,
            roots: &roots,
            forced: self.cfg.input_format,
            follow_links: self.cfg.follow_links,
        };
        follow::run(q, origins, &opts, printer, &mut *self.out, &mut *self.err)
    }

    fn emit<V: View>(
        &mut self,
        command: &str,
        query: QueryEcho,
        skipped: &[Skipped],
        stats: &[crate::scan::SourceStats],
        index: &crate::scan::LineIndex,
        data: V,
    ) -> Result<ExitStatus> {
        let sources = Sources::new(stats, skipped, index);
        render::report_problems(&sources, self.err);
        let strict_failure = strict_failure(self.cfg, &sources);
        let env = Envelope {
            schema_version: SCHEMA_VERSION.to_string(),
            command: command.to_string(),
            query,
            sources,
            data,
        };
        // The report is printed whatever follows (CI keeps its artifact).
        if self.cfg.redact {
            let mut buf = Vec::new();
            render::emit(&env, self.cfg.output, &self.cfg.style, &mut buf)?;
            let (clean, masked) = render::redact::redact(&buf);
            self.out.write_all(&clean)?;
            writeln!(self.err, "oracle: --redact masked {masked} secret(s)")?;
        } else {
            render::emit(&env, self.cfg.output, &self.cfg.style, self.out)?;
        }
        if let Some(e) = strict_failure {
            return Err(e);
        }
        unreadable_status(skipped, stats, self.err)
    }

    /// Writes the HTML report (to a file atomically, or to stdout) and a
    /// one-line summary of it; then the exit status as [`Ctx::emit`] decides it.
    fn write_page(
        self,
        output: &ReportOutput,
        window: Window,
        found: &Inputs,
        stats: &[crate::scan::SourceStats],
        index: &crate::scan::LineIndex,
        report: &Report,
    ) -> Result<ExitStatus> {
        let sources = Sources::new(stats, &found.skipped, index);
        render::report_problems(&sources, self.err);
        let strict_failure = strict_failure(self.cfg, &sources);
        let meta = render::html::PageMeta {
            sources: &sources,
            after: window.after.map(format_rfc3339),
            before: window.before.map(format_rfc3339),
        };
        let (html, st) = render::html::page(report, &meta);
        let size = html.len();
        let (target, summary_out): (String, &mut dyn Write) = match output {
            ReportOutput::Stdout => {
                self.out.write_all(html.as_bytes())?;
                self.out.flush()?;
                ("stdout".into(), self.err)
            }
            ReportOutput::File(path) => {
                write_atomically(path, html.as_bytes())?;
                (path.display().to_string(), self.out)
            }
        };
        writeln!(
            summary_out,
            "wrote {} ({} bytes): {} session(s), {} agent(s), {} lane(s); {} secret(s) masked",
            render::escape(&target),
            size,
            st.sessions,
            st.agents,
            st.lanes,
            st.masked
        )?;
        if let Some(e) = strict_failure {
            return Err(e);
        }
        unreadable_status(&found.skipped, stats, self.err)
    }
}

/// With `--strict`, the error that unreadable records make (after the report).
fn strict_failure(cfg: &Config, sources: &Sources) -> Option<Error> {
    (cfg.strict && sources.malformed > 0).then(|| {
        let first = sources
            .files
            .iter()
            .flat_map(|f| f.first_malformed.iter().cloned())
            .take(5)
            .collect::<Vec<_>>()
            .join("; ");
        Error::Strict {
            count: sources.malformed,
            first,
        }
    })
}

/// Exit status 2 (said on `err`) when a named input could not be read, else success.
fn unreadable_status(
    skipped: &[Skipped],
    stats: &[crate::scan::SourceStats],
    err: &mut dyn Write,
) -> Result<ExitStatus> {
    let unreadable: Vec<&str> = skipped
        .iter()
        .filter(|s| s.unreadable)
        .map(|s| s.display.as_str())
        .chain(
            stats
                .iter()
                .filter(|s| s.read_error)
                .map(|s| s.display.as_str()),
        )
        .collect();
    if !unreadable.is_empty() {
        writeln!(
            err,
            "oracle: exit status 2: {} named input(s) could not be read: {}",
            unreadable.len(),
            render::escape(&unreadable.join(", "))
        )?;
        return Ok(ExitStatus::Usage);
    }
    Ok(ExitStatus::Success)
}

/// Writes `bytes` to `path` through a temporary file in the same directory,
/// renamed over `path` once complete (a reader never sees half a file).
///
/// Errors: [`Error::Open`] naming the path when the directory cannot take the
/// temporary file, or the write or the rename fails.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let io = |source| Error::Open {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".oracle-report-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // tempfile creates 0600; a report is an ordinary document.
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(io)?;
    }
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// A command's merged scan and the paths passed over.
type Gathered<T> = (ScanOutput<T>, Vec<Skipped>);

/// The scan of `analysis` over the inputs, or the merge of the partials the
/// paths name (`merge`), with the paths passed over; `None` when the state was
/// written as a partial instead (`--partial`, also on `merge`).
///
/// Errors: a partial that cannot be read or is refused ([`Error::Partial`]),
/// or writing the partial fails.
fn gather<A>(
    cfg: &Config,
    found: &mut Inputs,
    analysis: &A,
    mut header: Header,
    out: &mut dyn Write,
) -> Result<Option<Gathered<A::Acc>>>
where
    A: Analysis,
    A::Acc: serde::Serialize + serde::de::DeserializeOwned,
{
    let (r, skipped, dest) = match &cfg.mode {
        Mode::Report => {
            let r = scan(&mut found.inputs, analysis, !cfg.strict);
            return Ok(Some((r, std::mem::take(&mut found.skipped))));
        }
        Mode::Partial { out: dest, rank } => {
            let r = scan_numbered(
                &mut found.inputs,
                analysis,
                source::CHUNK_BYTES,
                !cfg.strict,
                *rank,
            );
            (r, std::mem::take(&mut found.skipped), dest)
        }
        Mode::Merge { out: dest, .. } => {
            let parts = cfg
                .paths
                .iter()
                .map(|p| crate::partial::read(p, &header).map(|part| (p.clone(), part)))
                .collect::<Result<Vec<_>>>()?;
            let (r, skipped) = crate::partial::merge(analysis, parts)?;
            match dest {
                None => return Ok(Some((r, skipped))),
                Some(d) => (r, skipped, d),
            }
        }
    };
    (header.first_input, header.inputs) = r.index.span();
    let body = Body {
        sources: r.sources,
        index: r.index,
        skipped,
        acc: r.acc,
    };
    crate::partial::write_to(dest, out, &header, &body)?;
    Ok(None)
}

/// An anchor as `--anchor` reads it back: RFC 3339 UTC with nanoseconds.
fn format_anchor(ns: Nanos) -> String {
    use time::macros::format_description;
    let fmt =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:9]Z");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns))
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_else(|| ns.to_string())
}

/// `oracle ls`: the inputs in reading order, one JSON object a line
/// (`{"path", "format", "bytes"}`), then the paths passed over
/// (`{"path", "skipped", "unreadable"}`).
fn list_inputs(found: &Inputs, out: &mut dyn Write) -> Result<ExitStatus> {
    for i in &found.inputs {
        let line = serde_json::json!({
            "path": i.display,
            "format": i.format.name(),
            "bytes": i.data.bytes().map_or(0, |b| b.len()),
        });
        writeln!(out, "{line}")?;
    }
    for s in &found.skipped {
        let line = serde_json::json!({
            "path": s.display,
            "skipped": s.reason,
            "unreadable": s.unreadable,
        });
        writeln!(out, "{line}")?;
    }
    Ok(ExitStatus::Success)
}

/// The `--prices` file, else the bundled table.
fn price_table(path: Option<&std::path::Path>) -> Result<crate::pricing::PriceTable> {
    match path {
        Some(p) => crate::pricing::PriceTable::from_file(p),
        None => Ok(crate::pricing::PriceTable::bundled()),
    }
}

/// The `--allow` file, else an empty list.
///
/// Errors: the file cannot be read, or a line is not `path|host|command VALUE`.
fn allow_list(path: Option<&std::path::Path>) -> Result<AllowList> {
    let Some(p) = path else {
        return Ok(AllowList::default());
    };
    let text = std::fs::read_to_string(p).map_err(|source| Error::Open {
        path: p.to_path_buf(),
        source,
    })?;
    AllowList::parse(&text).map_err(|(line, reason)| Error::BadArg {
        flag: "--allow",
        value: format!("{}:{line}", p.display()),
        reason,
        accepted: "one entry a line: `path GLOB`, `host NAME` (or `*.domain`), `command PREFIX`; `#` comments",
    })
}

/// Reads stdin/FIFO inputs into memory so that they can be scanned twice
/// (relative times need the last event first).
fn spool_streams(found: &mut Inputs) -> Result<()> {
    for input in &mut found.inputs {
        if let Data::Stream { head, rest } = &mut input.data {
            let mut all = std::mem::take(head);
            rest.read_to_end(&mut all).map_err(|source| Error::Open {
                path: input.display.clone().into(),
                source,
            })?;
            input.data = Data::Owned(all);
        }
    }
    Ok(())
}

/// The JSON Schema (draft 2020-12, `additionalProperties: false` throughout) of a
/// command's `--format json` envelope. Published as `schema/COMMAND.json`.
pub fn schema_for(target: SchemaTarget) -> serde_json::Value {
    let mut s = match target {
        SchemaTarget::Diagnose => schemars::schema_for!(Envelope<DiagnoseReport>),
        SchemaTarget::Errors => schemars::schema_for!(Envelope<ErrorsReport>),
        SchemaTarget::Diffs => schemars::schema_for!(Envelope<DiffsReport>),
        SchemaTarget::Replay => schemars::schema_for!(Envelope<ReplayReport>),
        SchemaTarget::Queues => schemars::schema_for!(Envelope<QueuesReport>),
        SchemaTarget::Cost => schemars::schema_for!(Envelope<CostReport>),
        SchemaTarget::Agents => schemars::schema_for!(Envelope<AgentsReport>),
        SchemaTarget::Audit => schemars::schema_for!(Envelope<AuditReport>),
    }
    .to_value();
    if let Some(o) = s.as_object_mut() {
        o.insert(
            "title".into(),
            format!("oracle {} --format json", target.name()).into(),
        );
        o.insert(
            "$id".into(),
            format!("oracle-monitor/schema/{}.json", target.name()).into(),
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published schema files are exactly what the binary prints, so they
    /// cannot drift from the code. Regenerate with `oracle schema COMMAND > schema/COMMAND.json`.
    #[test]
    fn published_schemas_match_the_code() {
        for t in [
            SchemaTarget::Diagnose,
            SchemaTarget::Errors,
            SchemaTarget::Diffs,
            SchemaTarget::Replay,
            SchemaTarget::Queues,
            SchemaTarget::Cost,
            SchemaTarget::Agents,
            SchemaTarget::Audit,
        ] {
            let path = format!("{}/schema/{}.json", env!("CARGO_MANIFEST_DIR"), t.name());
            let published: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            assert_eq!(published, schema_for(t), "{path} is stale");
        }
    }

    #[test]
    fn schemas_forbid_unknown_properties() {
        let s = schema_for(SchemaTarget::Diagnose).to_string();
        assert!(s.contains("\"additionalProperties\":false"));
    }
}
