//! The HTML report: one self-contained page (CSS and script inline, the
//! timeline drawn as SVG here), that loads nothing.
//!
//! Owns: the page's layout, the time axis (idle stretches longer than
//! [`COLLAPSE_NS`] are collapsed), and escaping. Must not: compute what an
//! analysis should (it draws [`crate::analysis::report::Report`]).
//!
//! Invariants: every text from the data goes through `Page::text`, which
//! masks secrets with the `--redact` patterns (always, flag or not), escapes
//! control characters, then escapes for HTML text and attributes; the one
//! JSON block in a `<script>` is escaped by [`script_json`] (`<`, `>`, `&`,
//! U+2028, U+2029); no element names a URL (the CSP `default-src 'none'`
//! would refuse it anyway). The output depends only on the report.

use crate::analysis::agents::AgentNode;
use crate::analysis::cost::CostReport;
use crate::analysis::report::{Place, Report};
use crate::analysis::timeline::{ArrowKind, Lane, PointKind, Timeline};
use crate::model::time::{format_duration_ms, format_rfc3339};
use crate::model::Nanos;
use crate::render::Sources;
use std::cell::Cell;
use std::fmt::Write as _;

/// The page's Content-Security-Policy: nothing may be fetched, only the
/// inline style and script run.
pub const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/// Idle stretches of the whole run longer than this (ns) are collapsed on the axis.
pub const COLLAPSE_NS: i64 = 30 * 60 * 1_000_000_000;
/// Most rows of each cost table.
pub const MAX_COST_ROWS: usize = 30;
/// Most rows of the tree table.
pub const MAX_TREE_ROWS: usize = 500;

const STYLE: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

/// Left column of the timeline (lane names), SVG units (px).
const LABEL_W: f64 = 270.0;
/// Width of the plot, SVG units.
const PLOT_W: f64 = 1060.0;
const LANE_H: f64 = 24.0;
const AXIS_H: f64 = 64.0;
/// Width of a collapsed idle stretch on the axis.
const GAP_W: f64 = 26.0;
/// Most segments on the axis (the collapse threshold grows until they fit).
const MAX_SEGMENTS: usize = 40;

/// What the page says about its inputs.
pub struct PageMeta<'a> {
    /// The `sources` block of the run.
    pub sources: &'a Sources,
    /// The window, as given (RFC 3339 UTC), if any.
    pub after: Option<String>,
    /// The window's upper bound.
    pub before: Option<String>,
}

/// What [`page`] wrote: for the one-line summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageStats {
    /// Lanes drawn.
    pub lanes: usize,
    /// Nodes of the delegation tree.
    pub agents: usize,
    /// Sessions.
    pub sessions: u64,
    /// Secrets masked.
    pub masked: u64,
}

/// `s` escaped for HTML text and (double- or single-quoted) attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON text made safe inside `<script>`: no `</script>`, `<!--` or `]]>` can
/// form, and the line separators JavaScript once refused are escaped.
pub fn script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The time axis: active segments of the run, idle stretches between them
/// collapsed to [`GAP_W`].
struct Axis {
    /// (t0, t1, u0, u1): times in ns, positions in plot units.
    segs: Vec<(Nanos, Nanos, f64, f64)>,
    /// The idle threshold used (ns).
    collapse: i64,
}

impl Axis {
    fn new(tl: &Timeline) -> Axis {
        let mut spans: Vec<(Nanos, Nanos)> = tl
            .lanes
            .iter()
            .flat_map(|l| l.spans.iter().copied())
            .collect();
        spans.sort_unstable();
        let mut collapse = COLLAPSE_NS;
        let merged = loop {
            let mut m: Vec<(Nanos, Nanos)> = Vec::new();
            for &(s, e) in &spans {
                match m.last_mut() {
                    Some(p) if s.saturating_sub(p.1) <= collapse => p.1 = p.1.max(e),
                    _ => m.push((s, e)),
                }
            }
            if m.len() <= MAX_SEGMENTS || collapse > i64::MAX / 4 {
                break m;
            }
            collapse *= 2;
        };
        let total: f64 = merged.iter().map(|(s, e)| (e - s) as f64).sum();
        let n = merged.len();
        let room = PLOT_W - 16.0 - GAP_W * n.saturating_sub(1) as f64;
        let floor = if total > 0.0 { total * 0.04 } else { 1.0 };
        let weights: Vec<f64> = merged
            .iter()
            .map(|(s, e)| ((e - s) as f64).max(floor))
            .collect();
        let sum: f64 = weights.iter().sum::<f64>().max(f64::MIN_POSITIVE);
        let mut u = 8.0;
        let mut segs = Vec::with_capacity(n);
        for (i, (s, e)) in merged.iter().enumerate() {
            let w = room * weights[i] / sum;
            segs.push((*s, *e, u, u + w));
            u += w + GAP_W;
        }
        Axis { segs, collapse }
    }

    /// Plot position of `t` (inside a gap: proportionally across it).
    fn u(&self, t: Nanos) -> f64 {
        let i = self.segs.partition_point(|s| s.0 <= t);
        if i == 0 {
            return self.segs.first().map_or(0.0, |s| s.2);
        }
        let (t0, t1, u0, u1) = self.segs[i - 1];
        if t <= t1 {
            if t1 == t0 {
                return (u0 + u1) / 2.0;
            }
            return u0 + (t - t0) as f64 / (t1 - t0) as f64 * (u1 - u0);
        }
        match self.segs.get(i) {
            Some(&(n0, _, nu0, _)) => {
                u1 + (t - t1) as f64 / (n0 - t1).max(1) as f64 * (nu0 - u1).max(0.0)
            }
            None => u1,
        }
    }
}

/// The page being written: the output and the count of secrets masked.
struct Page {
    out: String,
    masked: Cell<u64>,
}

impl Page {
    /// A text from the data: secrets masked, control characters escaped,
    /// then HTML-escaped.
    fn text(&self, s: &str) -> String {
        let (clean, n) = crate::render::redact::redact(s.as_bytes());
        self.masked.set(self.masked.get() + n);
        let clean = String::from_utf8_lossy(&clean);
        escape_html(&crate::render::escape(&clean))
    }

    fn push(&mut self, s: &str) {
        self.out.push_str(s);
    }
}

fn fmt_time(t: Nanos) -> String {
    let s = format_rfc3339(t);
    // 2026-02-12T16:02:03.123456Z → 2026-02-12 16:02:03.123
    match (s.get(..10), s.get(11..23)) {
        (Some(d), Some(h)) => format!("{d} {h}"),
        _ => s,
    }
}

fn fmt_tokens(n: u64) -> String {
    match n {
        n if n >= 1_000_000_000 => format!("{:.1}G", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.1}M", n as f64 / 1e6),
        n if n >= 10_000 => format!("{:.1}k", n as f64 / 1e3),
        n => crate::render::views::group_digits(n),
    }
}

fn fmt_usd(c: Option<f64>) -> String {
    match c {
        Some(c) if c >= 100.0 => format!("${c:.0}"),
        Some(c) => format!("${c:.2}"),
        None => "–".into(),
    }
}

fn kind_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// A short label for a lane: sessions and long ids cut to 8 characters.
fn short_id(id: &str) -> String {
    if id.chars().count() > 24 {
        let head: String = id.chars().take(8).collect();
        format!("{head}…")
    } else {
        id.to_string()
    }
}

/// One row of the timeline: a lane, a node of the tree, or both.
struct Row<'r> {
    id: &'r str,
    lane: Option<&'r Lane>,
    node: Option<&'r AgentNode>,
}

/// The timeline's rows in tree order: every node with a lane, and every node
/// without one that has a lane below it (a session read only from its
/// subagents' files), so the tree reads right; then lanes the tree does not list.
fn rows(report: &Report) -> Vec<Row<'_>> {
    let tl = &report.timeline;
    let nodes = &report.agents.nodes;
    let lane_of = |id: &str| tl.lanes.iter().find(|l| l.id == id);
    let has: Vec<bool> = nodes.iter().map(|n| lane_of(&n.id).is_some()).collect();
    let mut out: Vec<Row<'_>> = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        let below = nodes[i + 1..]
            .iter()
            .zip(&has[i + 1..])
            .take_while(|(m, _)| m.depth > n.depth)
            .any(|(_, h)| *h);
        if (has[i] || below) && !out.iter().any(|r| r.id == n.id) {
            out.push(Row {
                id: &n.id,
                lane: lane_of(&n.id),
                node: Some(n),
            });
        }
    }
    for l in &tl.lanes {
        if !out.iter().any(|r| r.id == l.id) {
            out.push(Row {
                id: &l.id,
                lane: Some(l),
                node: None,
            });
        }
    }
    out
}

/// The whole page.
pub fn page(report: &Report, meta: &PageMeta<'_>) -> (String, PageStats) {
    let mut p = Page {
        out: String::with_capacity(1 << 20),
        masked: Cell::new(0),
    };
    let tl = &report.timeline;
    let axis = Axis::new(tl);
    let order = rows(report);
    let row_of = |id: &str| -> Option<usize> { order.iter().position(|r| r.id == id) };

    let d = &report.diagnose;
    let title = format!(
        "oracle report: {} session(s), {} agent(s)",
        d.sessions_total,
        report.agents.nodes.len()
    );
    p.push("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    let _ = writeln!(
        p.out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
    );
    p.push("<meta name=\"referrer\" content=\"no-referrer\">\n");
    p.push("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(p.out, "<title>{}</title>", escape_html(&title));
    let _ = writeln!(p.out, "<style>\n{STYLE}</style></head>");
    p.push("<body>\n<h1>oracle report</h1>\n");
    let span = match (&d.span.first, &d.span.last) {
        (Some(a), Some(b)) => format!(
            "{} → {} ({})",
            a,
            b,
            d.span
                .duration_ms
                .map(format_duration_ms)
                .unwrap_or_default()
        ),
        _ => "no timed records".into(),
    };
    let window = match (&meta.after, &meta.before) {
        (None, None) => String::new(),
        (a, b) => format!(
            "; window {} → {}",
            a.as_deref().unwrap_or("start"),
            b.as_deref().unwrap_or("end")
        ),
    };
    let sub = format!(
        "{} input file(s), {} record(s), {} unreadable; {}{}",
        meta.sources.files.len(),
        meta.sources.records,
        meta.sources.malformed,
        span,
        window
    );
    let _ = writeln!(p.out, "<p class=\"sub\">{}</p>", p.text(&sub));
    let _ = writeln!(
        p.out,
        "<p class=\"sub\" id=\"oracle-status\">static page (script not run): hover marks for their title</p>"
    );

    // Cards.
    let cost_total = report.cost_by_model.total.cost_usd;
    let cards: [(&str, String); 7] = [
        ("status", d.status.clone()),
        ("sessions", d.sessions_total.to_string()),
        ("agents", report.agents.nodes.len().to_string()),
        ("errors", d.errors.total.to_string()),
        (
            "tool calls",
            tl.lanes
                .iter()
                .map(|l| l.tools_total)
                .sum::<u64>()
                .to_string(),
        ),
        (
            "tokens",
            fmt_tokens(report.cost_by_model.total.total_tokens),
        ),
        ("cost", fmt_usd(cost_total)),
    ];
    p.push("<div class=\"cards\">");
    for (k, v) in cards {
        let _ = write!(
            p.out,
            "<div class=\"card\"><b>{}</b><span>{k}</span></div>",
            p.text(&v)
        );
    }
    p.push("</div>\n");

    timeline_svg(&mut p, report, &order, &axis);

    // Findings.
    p.push("<h2 id=\"findings\">Findings</h2>\n<ul class=\"findings\">\n");
    if d.findings.is_empty() {
        p.push("<li><span></span><span>no findings</span></li>\n");
    }
    for (n, (f, place)) in d.findings.iter().zip(&report.finding_places).enumerate() {
        let sev = f.severity.name();
        let link = goto(place.as_ref(), &row_of, &axis, "timeline ↗", "whole run ↗");
        let _ = writeln!(
            p.out,
            "<li><span class=\"sev sev-{sev}\">{sev}</span><span><b>{}.</b> {}</span>{link}<span class=\"next mono\">{}</span></li>",
            n + 1,
            p.text(&f.title),
            p.text(&f.next)
        );
    }
    p.push("</ul>\n");
    let _ = writeln!(
        p.out,
        "<h2 id=\"audit\">Audit: top findings</h2>\n<p class=\"notes\">{} finding(s) in all: {} critical, {} error, {} warning, {} info (<code>oracle audit</code> lists them all).</p>",
        d.audit.total_findings,
        d.audit.by_severity.critical,
        d.audit.by_severity.error,
        d.audit.by_severity.warning,
        d.audit.by_severity.info
    );
    if !d.audit.top.is_empty() {
        p.push("<table><tr><th>severity</th><th>rule</th><th>target</th><th>evidence</th><th>agent</th><th>tool</th><th>time</th><th>where</th><th></th></tr>\n");
        for (a, place) in d.audit.top.iter().zip(&report.audit_places) {
            let sev = a.severity.name();
            let link = goto(place.as_ref(), &row_of, &axis, "timeline ↗", "–");
            let _ = writeln!(
                p.out,
                "<tr><td><span class=\"sev sev-{sev}\">{sev}</span></td><td>{}</td><td class=\"mono\">{}</td><td class=\"ev mono\">{}</td><td class=\"mono\">{}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}:{}</td><td>{link}</td></tr>",
                a.rule.id(),
                p.text(&a.target),
                p.text(&a.evidence),
                p.text(&a.chain.iter().map(|c| short_id(c)).collect::<Vec<_>>().join(" → ")),
                if a.tool.is_empty() { "–".to_string() } else { p.text(&a.tool) },
                p.text(a.time.as_deref().unwrap_or("untimed")),
                p.text(&a.file),
                a.line
            );
        }
        p.push("</table>\n");
    }

    tree_table(&mut p, report, &row_of, &axis);
    cost_tables(&mut p, report);
    notes(&mut p, report, meta, &axis, &order);

    // Data for the script: numbers, and the lane names (escaped for <script>).
    let data = serde_json::json!({
        "plot_x": LABEL_W,
        "plot_w": PLOT_W,
        "umax": PLOT_W,
        "axis_h": AXIS_H,
        "height": AXIS_H + LANE_H * order.len() as f64,
        "segs": axis.segs.iter().map(|s| serde_json::json!([s.0 / 1_000_000, s.1 / 1_000_000, round2(s.2), round2(s.3)])).collect::<Vec<_>>(),
        "lanes": order.iter().map(|r| {
            let (clean, n) = crate::render::redact::redact(r.id.as_bytes());
            p.masked.set(p.masked.get() + n);
            String::from_utf8_lossy(&clean).into_owned()
        }).collect::<Vec<_>>(),
    });
    let _ = writeln!(
        p.out,
        "<div id=\"tip\"></div>\n<script type=\"application/json\" id=\"oracle-data\">{}</script>",
        script_json(&data.to_string())
    );
    let _ = writeln!(p.out, "<script>\n{SCRIPT}</script>\n</body></html>");
    let stats = PageStats {
        lanes: order.len(),
        agents: report.agents.nodes.len(),
        sessions: d.sessions_total,
        masked: p.masked.get(),
    };
    (p.out, stats)
}

/// A duration in its largest unit only (`39m`, `21h`, `3d`): the label of a
/// collapsed idle stretch, which has little room.
fn coarse_duration(ns: i64) -> String {
    let s = ns.max(0) / 1_000_000_000;
    match s {
        s if s >= 86_400 => format!("{}d", s / 86_400),
        s if s >= 3_600 => format!("{}h", s / 3_600),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A link to a place on the timeline (or the whole run).
fn goto(
    place: Option<&Place>,
    row_of: &dyn Fn(&str) -> Option<usize>,
    axis: &Axis,
    label: &str,
    whole: &str,
) -> String {
    match place.and_then(|p| row_of(&p.lane).map(|r| (r, p.t))) {
        Some((row, t)) => format!(
            "<a class=\"goto\" href=\"#lane-{row}\" data-lane=\"{row}\" data-u=\"{:.2}\">{label}</a>",
            axis.u(t)
        ),
        None => format!("<a class=\"goto\" href=\"#timeline\">{whole}</a>"),
    }
}

fn timeline_svg(p: &mut Page, report: &Report, order: &[Row<'_>], axis: &Axis) {
    let tl = &report.timeline;
    let width = LABEL_W + PLOT_W + 10.0;
    let height = AXIS_H + LANE_H * order.len() as f64 + 4.0;
    p.push("<h2 id=\"timeline\">Timeline</h2>\n");
    p.push("<div class=\"toolbar\"><button id=\"zin\" type=\"button\">zoom in</button><button id=\"zout\" type=\"button\">zoom out</button><button id=\"zreset\" type=\"button\">reset</button><span class=\"hint\" id=\"zoom-level\"></span><span class=\"hint\">one lane per agent, in tree order; wheel to zoom, drag to pan</span></div>\n");
    p.push("<div class=\"legend\"><span><i style=\"background:#dbe6f7\"></i>active</span><span><i style=\"background:#3b73c8\"></i>tool call</span><span><i style=\"background:#d32f2f\"></i>failed tool call / error</span><span><i style=\"background:#e08a00\"></i>warning</span><span><i style=\"background:#2e8b57\"></i>prompt</span><span><i style=\"background:#7b3fb3\"></i>compaction</span><span><i style=\"background:#1b9aaa\"></i>spawn (arrow: parent → agent)</span><span><i style=\"background:#6b7a90\"></i>task / message / reply (dashed)</span></div>\n");
    let _ = writeln!(
        p.out,
        "<div class=\"tlwrap\"><svg id=\"tl\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"timeline\">"
    );
    p.push("<defs><marker id=\"ah\" viewBox=\"0 0 8 8\" refX=\"7\" refY=\"4\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"#6b7a90\"></path></marker>");
    let _ = write!(
        p.out,
        "<clipPath id=\"plotclip\"><rect x=\"{LABEL_W}\" y=\"0\" width=\"{PLOT_W}\" height=\"{height}\"></rect></clipPath></defs>"
    );
    // Rows and labels.
    let mut alt = false;
    for (row, r) in order.iter().enumerate() {
        let node = r.node;
        let y = AXIS_H + LANE_H * row as f64;
        if node.is_none_or(|n| n.depth == 0) {
            alt = !alt;
        }
        let depth = node.map_or(0, |n| n.depth) as usize;
        let kind = node
            .map(|n| {
                let k = kind_name(&n.kind);
                match &n.role {
                    Some(r) => format!("{k} {r}"),
                    None => k,
                }
            })
            .unwrap_or_default();
        let glyph = if depth > 0 { "└ " } else { "" };
        let label = crate::format::summary::clip(&short_id(r.id), 30);
        let room = 39usize
            .saturating_sub(2 * depth.min(8))
            .saturating_sub(label.chars().count());
        let kind = crate::format::summary::clip(&kind, room.max(4));
        let _ = write!(
            p.out,
            "<g id=\"lane-{row}\" data-lane=\"{row}\"><rect class=\"row{}\" data-row=\"{row}\" x=\"0\" y=\"{y}\" width=\"{width}\" height=\"{LANE_H}\"></rect>",
            if alt { " alt" } else { "" }
        );
        let _ = write!(
            p.out,
            "<text class=\"lbl\" x=\"{}\" y=\"{:.1}\">{}{}<tspan class=\"kind\"> {}</tspan><title>{}\n{}</title></text></g>",
            6 + 12 * depth.min(8),
            y + LANE_H / 2.0 + 4.0,
            glyph,
            p.text(&label),
            p.text(&kind),
            p.text(r.id),
            match r.lane {
                Some(l) => format!(
                    "{} record(s), {} tool call(s), {} error(s)",
                    l.events, l.tools_total, l.errors_total
                ),
                None => "no timed record of its own (its agents are below)".into(),
            },
        );
        if depth == 0 && row > 0 {
            let _ = write!(
                p.out,
                "<line class=\"sep\" x1=\"0\" x2=\"{width}\" y1=\"{y}\" y2=\"{y}\"></line>"
            );
        }
    }
    // Axis: collapsed gaps and segment starts.
    p.push("<g clip-path=\"url(#plotclip)\">");
    for w in axis.segs.windows(2) {
        let (a, b) = (w[0], w[1]);
        let (u0, u1) = (a.3, b.2);
        let _ = write!(
            p.out,
            "<rect class=\"gap\" y=\"{AXIS_H}\" height=\"{:.1}\" x=\"{:.2}\" width=\"{:.2}\" data-u=\"{u0:.2}\" data-u2=\"{u1:.2}\"><title>idle {} (collapsed)</title></rect>",
            LANE_H * order.len() as f64,
            LABEL_W + u0,
            u1 - u0,
            format_duration_ms((b.0 - a.1) / 1_000_000)
        );
        let _ = write!(
            p.out,
            "<text class=\"gapt\" y=\"{:.1}\" x=\"{:.2}\" data-u=\"{:.2}\">{}</text>",
            AXIS_H + 10.0,
            LABEL_W + u0 + 2.0,
            u0 + 2.0,
            coarse_duration(b.0 - a.1)
        );
    }
    for s in &axis.segs {
        let _ = write!(
            p.out,
            "<text class=\"segt\" y=\"13\" x=\"{:.2}\" data-u=\"{:.2}\">{}</text>",
            LABEL_W + s.2,
            s.2,
            fmt_time(s.0).get(5..16).unwrap_or("")
        );
    }
    p.push("<g id=\"ticks\"></g>");
    // Lanes' marks.
    for (row, r) in order.iter().enumerate() {
        if let Some(lane) = r.lane {
            lane_marks(p, lane, row, axis);
        }
    }
    // Arrows.
    let row_of = |id: &str| order.iter().position(|r| r.id == id);
    p.push("<g class=\"arrows\">");
    for a in &tl.arrows {
        let (Some(r0), Some(r1)) = (row_of(&a.from), row_of(&a.to)) else {
            continue;
        };
        let u = axis.u(a.t);
        let y0 = AXIS_H + LANE_H * r0 as f64 + LANE_H / 2.0;
        let y1 = AXIS_H + LANE_H * r1 as f64 + LANE_H / 2.0;
        let y1 = if y1 > y0 { y1 - 5.0 } else { y1 + 5.0 };
        let (cls, what) = match a.kind {
            ArrowKind::Spawn => ("spawn", "spawned"),
            ArrowKind::Task => ("task", "task"),
            ArrowKind::Reply => ("reply", "reply"),
            ArrowKind::Message => ("msg", "message"),
        };
        let bad = if a.ok { "" } else { " bad" };
        let _ = write!(
            p.out,
            "<line class=\"ar {cls}{bad}\" marker-end=\"url(#ah)\" x1=\"{x:.2}\" x2=\"{x:.2}\" y1=\"{y0:.1}\" y2=\"{y1:.1}\" data-u=\"{u:.2}\"><title>{what}: {} → {}\n{}\n{}</title></line>",
            p.text(&a.from),
            p.text(&a.to),
            fmt_time(a.t),
            p.text(&a.at),
            x = LABEL_W + u,
        );
    }
    p.push("</g>");
    // Flags: where the findings point, numbered as in the list of findings.
    p.push("<g class=\"flags\">");
    let d = &report.diagnose;
    let mut drawn: Vec<f64> = Vec::new();
    for (n, (f, place)) in d.findings.iter().zip(&report.finding_places).enumerate() {
        let Some((row, t)) = place
            .as_ref()
            .and_then(|pl| row_of(&pl.lane).map(|r| (r, pl.t)))
        else {
            continue;
        };
        let u = axis.u(t);
        // Flags at one place are set side by side (the guide still points at it).
        let mut dx = 0.0;
        while drawn.iter().any(|x| (x - (u + dx)).abs() < 14.0) {
            dx += 14.0;
        }
        drawn.push(u + dx);
        let (x, yf) = (LABEL_W + u, AXIS_H - 8.0);
        let yl = AXIS_H + LANE_H * row as f64 + LANE_H / 2.0;
        let _ = write!(
            p.out,
            "<a class=\"goto\" href=\"#lane-{row}\" data-lane=\"{row}\" data-u=\"{u:.2}\"><line class=\"fguide\" x1=\"{xd:.2}\" x2=\"{x:.2}\" y1=\"{yf}\" y2=\"{yl:.1}\" data-u=\"{u:.2}\" data-dx=\"{dx}\"></line><circle class=\"flag sev-{}\" cx=\"{xd:.2}\" cy=\"{yf}\" r=\"6.5\" data-u=\"{u:.2}\" data-dx=\"{dx}\"></circle><text class=\"flagt\" x=\"{xd:.2}\" y=\"{:.1}\" data-u=\"{u:.2}\" data-dx=\"{dx}\">{}</text><title>finding {}: {}</title></a>",
            f.severity.name(),
            yf + 3.0,
            n + 1,
            n + 1,
            p.text(&f.title),
            xd = x + dx,
        );
    }
    p.push("</g>");
    let _ = write!(
        p.out,
        "<line id=\"cursor\" class=\"cursor\" x1=\"0\" x2=\"0\" y1=\"{AXIS_H}\" y2=\"{height}\"></line>"
    );
    p.push("</g></svg></div>\n");
    let undrawn = report
        .agents
        .nodes
        .iter()
        .filter(|n| !order.iter().any(|r| r.id == n.id))
        .count();
    let mut said: Vec<String> = Vec::new();
    if undrawn > 0 {
        said.push(format!("{undrawn} node(s) of the tree have no timed record (Claude Code hook payloads carry no time): they are in the tree below, not on the timeline"));
    }
    if tl.untimed > 0 {
        said.push(format!(
            "{} record(s) without a time are counted, not drawn",
            tl.untimed
        ));
    }
    if !said.is_empty() {
        let _ = writeln!(p.out, "<p class=\"notes\">{}.</p>", said.join("; "));
    }
}

fn lane_marks(p: &mut Page, lane: &Lane, row: usize, axis: &Axis) {
    let y = AXIS_H + LANE_H * row as f64;
    let _ = write!(p.out, "<g data-lane=\"{row}\">");
    for (s, e) in &lane.spans {
        let (u0, u1) = (axis.u(*s), axis.u(*e));
        let _ = write!(
            p.out,
            "<rect class=\"sp\" y=\"{:.1}\" height=\"{:.1}\" x=\"{:.2}\" width=\"{:.2}\" data-u=\"{u0:.2}\" data-u2=\"{u1:.2}\" data-minw=\"2\"><title>active {} → {} ({})</title></rect>",
            y + 3.0,
            LANE_H - 6.0,
            LABEL_W + u0,
            (u1 - u0).max(2.0),
            fmt_time(*s),
            fmt_time(*e).get(11..).unwrap_or(""),
            format_duration_ms((e - s) / 1_000_000)
        );
    }
    for c in &lane.tools {
        let u0 = axis.u(c.start);
        let u1 = c.end.map_or(u0, |e| axis.u(e));
        let cls = match (c.error, c.end) {
            (true, _) => "tc err",
            (false, None) => "tc open",
            _ => "tc",
        };
        let dur = match c.end {
            Some(e) => format_duration_ms((e - c.start) / 1_000_000),
            None => "no result".into(),
        };
        let subject = c
            .subject
            .as_deref()
            .map(|s| format!("\n{}", p.text(s)))
            .unwrap_or_default();
        let _ = write!(
            p.out,
            "<rect class=\"{cls}\" y=\"{:.1}\" height=\"10\" x=\"{:.2}\" width=\"{:.2}\" data-u=\"{u0:.2}\" data-u2=\"{u1:.2}\" data-minw=\"2\"><title>{}{} · {} · {}{subject}\n{}</title></rect>",
            y + LANE_H / 2.0 - 5.0,
            LABEL_W + u0,
            (u1 - u0).max(2.0),
            p.text(&c.tool),
            if c.error { " (error)" } else { "" },
            fmt_time(c.start),
            dur,
            p.text(&c.at)
        );
    }
    for pt in &lane.points {
        let u = axis.u(pt.t);
        let (cls, what) = match pt.kind {
            PointKind::Prompt => ("prompt", "prompt"),
            PointKind::Compaction => ("compaction", "compaction"),
            PointKind::Spawned => ("spawned", "started"),
            PointKind::Finished { ok: true } => ("done", "finished"),
            PointKind::Finished { ok: false } => ("failed", "failed"),
        };
        let _ = write!(
            p.out,
            "<circle class=\"pt {cls}\" cx=\"{:.2}\" cy=\"{:.1}\" r=\"3.2\" data-u=\"{u:.2}\"><title>{what} · {}\n{}</title></circle>",
            LABEL_W + u,
            y + 5.0,
            fmt_time(pt.t),
            p.text(&pt.at)
        );
    }
    for e in &lane.errors {
        let u = axis.u(e.t);
        let sev = e.severity.name();
        let cat = e
            .category
            .as_deref()
            .map(|c| format!(" {}", p.text(c)))
            .unwrap_or_default();
        let _ = write!(
            p.out,
            "<line class=\"er {sev}\" x1=\"{x:.2}\" x2=\"{x:.2}\" y1=\"{:.1}\" y2=\"{:.1}\" data-u=\"{u:.2}\"><title>[{sev}]{cat} · {}\n{}\n{}</title></line>",
            y + 2.0,
            y + LANE_H - 2.0,
            fmt_time(e.t),
            p.text(&e.message),
            p.text(&e.at),
            x = LABEL_W + u,
        );
    }
    p.push("</g>");
}

fn tree_table(p: &mut Page, report: &Report, row_of: &dyn Fn(&str) -> Option<usize>, axis: &Axis) {
    let a = &report.agents;
    let _ = writeln!(
        p.out,
        "<h2 id=\"tree\">Delegation tree</h2>\n<p class=\"notes\">{} node(s) in {} tree(s); tools, errors, tokens and cost rolled up over each sub-tree (own cost apart); prices: {}.</p>",
        a.total_nodes,
        a.roots,
        p.text(&a.prices)
    );
    p.push("<table><tr><th>agent</th><th>kind</th><th>status</th><th>models</th><th>start</th><th class=\"n\">duration</th><th class=\"n\">tools</th><th class=\"n\">errors</th><th class=\"n\">tokens</th><th class=\"n\">cost</th><th class=\"n\">own cost</th><th></th></tr>\n");
    // Tree glyphs: for each node, whether a later sibling follows at each depth.
    let nodes = &a.nodes;
    for (i, n) in nodes.iter().enumerate().take(MAX_TREE_ROWS) {
        let mut prefix = String::new();
        for level in 1..=n.depth {
            // Is there a later node at `level` before the depth drops below it?
            let more = nodes[i + 1..]
                .iter()
                .take_while(|m| m.depth >= level)
                .any(|m| m.depth == level);
            if level == n.depth {
                prefix.push_str(if more { "├─ " } else { "└─ " });
            } else {
                let open = nodes[i + 1..]
                    .iter()
                    .take_while(|m| m.depth >= level)
                    .any(|m| m.depth == level);
                prefix.push_str(if open { "│  " } else { "   " });
            }
        }
        let kind = match &n.role {
            Some(r) => format!("{} {}", kind_name(&n.kind), r),
            None => kind_name(&n.kind),
        };
        let status = kind_name(&n.status);
        let place = n.start.as_deref().and_then(|s| {
            crate::model::time::parse_timestamp(s.as_bytes()).map(|t| Place {
                lane: n.id.clone(),
                t,
            })
        });
        let link = goto(place.as_ref(), row_of, axis, "lane ↗", "");
        let _ = writeln!(
            p.out,
            "<tr><td class=\"tree\" title=\"{}\">{}{}</td><td>{}</td><td class=\"st-{status}\">{status}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{link}</td></tr>",
            p.text(&n.id),
            prefix,
            p.text(&n.id),
            p.text(&kind),
            p.text(&n.models.join(", ")),
            p.text(&n.start.as_deref().map(|s| s.replace('T', " ")).unwrap_or_default().chars().take(19).collect::<String>()),
            n.duration_ms.map(format_duration_ms).unwrap_or_default(),
            n.total.tool_calls,
            n.total.errors,
            fmt_tokens(n.total.tokens.total()),
            fmt_usd(n.total.cost_usd),
            fmt_usd(n.own.cost_usd),
        );
    }
    p.push("</table>\n");
    if nodes.len() > MAX_TREE_ROWS {
        let _ = writeln!(
            p.out,
            "<p class=\"notes\">{} more node(s) not listed (<code>oracle agents</code> lists them all).</p>",
            nodes.len() - MAX_TREE_ROWS
        );
    }
}

fn cost_table(p: &mut Page, title: &str, r: &CostReport, with_session: bool) {
    let _ = writeln!(p.out, "<div><h2>{title}</h2>");
    let max = r
        .rows
        .iter()
        .filter_map(|r| r.cost_usd)
        .fold(0.0f64, f64::max);
    p.push("<table><tr><th>");
    p.push(if with_session { "agent" } else { "model" });
    p.push("</th>");
    if with_session {
        p.push("<th>session</th>");
    }
    p.push("<th class=\"n\">responses</th><th class=\"n\">tokens</th><th class=\"n\">cost</th><th></th></tr>\n");
    for row in r.rows.iter().take(MAX_COST_ROWS) {
        let w = match row.cost_usd {
            Some(c) if max > 0.0 => (c / max * 120.0).max(1.0),
            _ => 0.0,
        };
        let _ = write!(p.out, "<tr><td class=\"mono\">{}</td>", p.text(&row.key));
        if with_session {
            let _ = write!(
                p.out,
                "<td class=\"mono\">{}</td>",
                p.text(&short_id(row.session.as_deref().unwrap_or("")))
            );
        }
        let _ = writeln!(
            p.out,
            "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td><span class=\"bar\" style=\"width:{w:.0}px\"></span></td></tr>",
            row.responses,
            fmt_tokens(row.total_tokens),
            if row.cost_usd.is_none() && row.unpriced_tokens > 0 {
                "unpriced".to_string()
            } else {
                fmt_usd(row.cost_usd)
            }
        );
    }
    let _ = writeln!(
        p.out,
        "<tr><th>total</th>{}<th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th></th></tr></table>",
        if with_session { "<th></th>" } else { "" },
        r.total.responses,
        fmt_tokens(r.total.total_tokens),
        fmt_usd(r.total.cost_usd)
    );
    if r.rows.len() > MAX_COST_ROWS {
        let _ = writeln!(
            p.out,
            "<p class=\"notes\">{} more row(s) (<code>oracle cost</code> lists them all).</p>",
            r.rows.len() - MAX_COST_ROWS
        );
    }
    for n in &r.notes {
        let _ = writeln!(p.out, "<p class=\"notes\">{}</p>", p.text(n));
    }
    p.push("</div>\n");
}

fn cost_tables(p: &mut Page, report: &Report) {
    p.push("<div class=\"cols\" id=\"cost\">\n");
    cost_table(p, "Cost by model", &report.cost_by_model, false);
    cost_table(p, "Cost by agent", &report.cost_by_agent, true);
    p.push("</div>\n");
}

fn notes(p: &mut Page, report: &Report, meta: &PageMeta<'_>, axis: &Axis, order: &[Row<'_>]) {
    let tl = &report.timeline;
    p.push("<h2 id=\"notes\">About this page</h2>\n<ul class=\"notes\">\n");
    let _ = writeln!(
        p.out,
        "<li>Marks drawn: {} of {} (tool calls, errors, prompts, spawns and ends; at most {} tool calls, {} errors and {} other marks per lane, {} in all, sampled evenly over time, errors by severity first). Activity bands cover every record (at most {} bands in all: the shortest gaps are closed first).</li>",
        tl.marks_drawn,
        tl.marks_total,
        crate::analysis::timeline::MAX_TOOLS_PER_LANE,
        crate::analysis::timeline::MAX_ERRORS_PER_LANE,
        crate::analysis::timeline::MAX_POINTS_PER_LANE,
        crate::analysis::timeline::MAX_MARKS,
        crate::analysis::timeline::MAX_SPANS,
    );
    let _ = writeln!(
        p.out,
        "<li>Arrows drawn: {} of {} (at most {}); {} had an end that is not a lane.</li>",
        tl.arrows.len(),
        tl.arrows_total,
        crate::analysis::timeline::MAX_ARROWS,
        tl.arrows_unplaced
    );
    let _ = writeln!(
        p.out,
        "<li>Lanes: {} (at most {}; more are folded into one lane of activity). Idle stretches of the whole run longer than {} are collapsed on the axis (grey, labelled with their length); silence over {} ends an activity band.</li>",
        order.len(),
        crate::analysis::timeline::MAX_LANES,
        format_duration_ms(axis.collapse / 1_000_000),
        format_duration_ms(crate::analysis::timeline::IDLE_NS / 1_000_000),
    );
    if tl.untimed > 0 || tl.unplaced > 0 {
        let _ = writeln!(
            p.out,
            "<li>{} record(s) without a time and {} with no agent or session are counted, not drawn.</li>",
            tl.untimed, tl.unplaced
        );
    }
    p.push("<li>Everything from the logs is escaped, and secrets are masked as <code>--redact</code> masks them, always. The page loads nothing: its Content-Security-Policy forbids every fetch.</li>\n");
    p.push("<li>Sources:<ul>\n");
    for f in meta.sources.files.iter().take(200) {
        let _ = writeln!(
            p.out,
            "<li class=\"mono\">{} ({}, {} record(s){})</li>",
            p.text(&f.file),
            f.format.map_or("?", |f| f.name()),
            f.records,
            if f.malformed > 0 {
                format!(", {} unreadable", f.malformed)
            } else {
                String::new()
            }
        );
    }
    if meta.sources.files.len() > 200 {
        let _ = writeln!(
            p.out,
            "<li>and {} more</li>",
            meta.sources.files.len() - 200
        );
    }
    p.push("</ul></li></ul>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_and_script_escaping_leave_no_markup() {
        let evil = "</script><img src=x onerror=alert(1)>\"'&\u{2028}";
        let h = escape_html(evil);
        assert!(!h.contains('<') && !h.contains('>') && !h.contains('"') && !h.contains('\''));
        let j = script_json(&serde_json::to_string(evil).unwrap());
        assert!(!j.contains('<') && !j.contains('>') && !j.contains('&'));
        assert!(!j.contains('\u{2028}'));
        let back: String = serde_json::from_str(&j).unwrap();
        assert_eq!(back, evil);
    }

    #[test]
    fn the_axis_collapses_long_idle_stretches() {
        let h = 3_600 * 1_000_000_000i64;
        let lane = |spans: Vec<(i64, i64)>| Lane {
            id: "a".into(),
            events: 1,
            first: spans[0].0,
            last: spans[spans.len() - 1].1,
            spans,
            tools: vec![],
            tools_total: 0,
            errors: vec![],
            errors_total: 0,
            points: vec![],
            points_total: 0,
            folded: 0,
        };
        let tl = Timeline {
            lanes: vec![lane(vec![(0, h), (10 * h, 11 * h)])],
            ..Timeline::default()
        };
        let a = Axis::new(&tl);
        assert_eq!(a.segs.len(), 2);
        assert!(a.u(h) < a.u(10 * h));
        assert!((a.u(10 * h) - a.u(h) - GAP_W).abs() < 1e-6);
        assert!(a.u(11 * h) <= PLOT_W);
        assert!(a.u(h / 2) > a.u(0));
    }
}
