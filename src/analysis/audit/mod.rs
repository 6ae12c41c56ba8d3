//! `audit`: what an agent touched that it should not have, with evidence, after
//! the fact, across sessions, subagents and team members.
//!
//! Reads tool calls (`ToolStarted`, and `ToolEnded` with an input: OTel), tool
//! outputs (`ToolEnded`'s `output`), each event's [`crate::model::Place`]
//! (working directory, project, permission mode) and seed 003's
//! `outside_project_scope` flag; judges each call with the rule engine
//! ([`rules`]), and aggregates the hits: one finding per (rule, severity,
//! session, target), counted, with its first occurrence as evidence; one
//! `permission_bypass` finding per session run in `bypassPermissions` mode;
//! `network_egress` one finding per host over all sessions.
//!
//! The project root of a session is the `project_path` its writer states, else
//! its earliest working directory (by time, then input and offset) among its
//! tool calls and the records naming a permission mode (the only records read). A path is
//! judged against the root known when it is read and again, at the end,
//! against the session's final root, so the result does not depend on how the
//! input was chunked. The user's home, for `~`, is inferred from the root
//! (`/home/X`, `/Users/X`, `/root`); see `docs/audit.md`.
//!
//! Must not: do I/O, print, or keep a secret: every text kept is masked by the
//! rule engine. Invariant: findings are sorted by a total key (severity,
//! rule, first occurrence, target), so the thread count never changes the output.

pub mod paths;
pub mod rules;
pub mod shell;

use self::rules::{Call, Hit, Rule, Trouble};
use super::errors::SeverityCounts;
use super::Window;
use crate::format::{ActionSet, Needs};
use crate::model::{sort_key, time::format_rfc3339, Action, Event, Loc, Nanos, Severity, SortKey};
use crate::scan::{Analysis, LineIndex};
use rustc_hash::FxHashMap as HashMap;
use schemars::JsonSchema;
use serde::Serialize;

/// Paths, hosts and commands a team accepts (`--allow FILE`).
///
/// File format, one entry a line (`#` starts a comment):
/// `path GLOB` (a path or glob; a plain directory also covers what is below it),
/// `host NAME` (exact, or `*.example.com` for the domain and its subdomains),
/// `command PREFIX` (a command segment that starts with it, whitespace-insensitive).
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    paths: Option<globset::GlobSet>,
    hosts: Vec<String>,
    commands: Vec<String>,
    /// Entries read.
    pub entries: usize,
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl AllowList {
    /// Reads an allow file's text. Errors: `(1-based line, why)`.
    pub fn parse(text: &str) -> Result<AllowList, (usize, String)> {
        let mut globs = globset::GlobSetBuilder::new();
        let mut a = AllowList::default();
        let mut any_path = false;
        for (n, line) in text.lines().enumerate() {
            let line = line.split_once('#').map_or(line, |(l, _)| l).trim();
            if line.is_empty() {
                continue;
            }
            let (kind, value) = line
                .split_once(char::is_whitespace)
                .map(|(k, v)| (k, v.trim()))
                .ok_or((n + 1, format!("`{line}` has no value")))?;
            match kind {
                "path" => {
                    for g in [
                        value.to_string(),
                        format!("{}/**", value.trim_end_matches('/')),
                    ] {
                        let glob = globset::GlobBuilder::new(&g)
                            .literal_separator(false)
                            .build()
                            .map_err(|e| (n + 1, e.to_string()))?;
                        globs.add(glob);
                    }
                    any_path = true;
                }
                "host" => a.hosts.push(value.to_ascii_lowercase()),
                "command" => a.commands.push(squash(value)),
                other => {
                    return Err((
                        n + 1,
                        format!("unknown entry kind `{other}` (path, host or command)"),
                    ))
                }
            }
            a.entries += 1;
        }
        if any_path {
            a.paths = Some(globs.build().map_err(|e| (0, e.to_string()))?);
        }
        Ok(a)
    }

    /// True when the team accepts this hit.
    fn allows(&self, h: &Hit) -> bool {
        if let (Some(g), Some(p)) = (&self.paths, &h.path) {
            if g.is_match(p) {
                return true;
            }
        }
        if h.rule == Rule::NetworkEgress {
            let host = h.target.as_str();
            if self.hosts.iter().any(|a| match a.strip_prefix("*.") {
                Some(d) => host == d || host.ends_with(&format!(".{d}")),
                None => host == a,
            }) {
                return true;
            }
        }
        if let Some(c) = &h.command {
            let c = squash(c);
            if self.commands.iter().any(|p| c.starts_with(p.as_str())) {
                return true;
            }
        }
        false
    }
}

/// The typed `audit` query.
#[derive(Debug, Clone)]
pub struct AuditQuery {
    /// Rules on (after `--rule` / `--exclude-rule`), in [`Rule::ALL`] order.
    pub rules: Vec<Rule>,
    /// Only these sessions (exact ids); empty: all.
    pub sessions: Vec<String>,
    /// Time window (untimed records are never dropped).
    pub window: Window,
    /// What the team accepts.
    pub allow: AllowList,
    /// Most findings listed (0: all); totals cover every finding.
    pub limit: usize,
    /// Flags and inputs appended to suggested commands.
    pub paths_hint: String,
}

impl AuditQuery {
    /// Every rule, no filter, the default limit.
    pub fn all(paths_hint: String) -> AuditQuery {
        AuditQuery {
            rules: Rule::ALL.to_vec(),
            sessions: Vec::new(),
            window: Window::default(),
            allow: AllowList::default(),
            limit: DEFAULT_LIMIT,
            paths_hint,
        }
    }
    pub(crate) fn on(&self, r: Rule) -> bool {
        self.rules.contains(&r)
    }
}

impl Default for AuditQuery {
    fn default() -> AuditQuery {
        AuditQuery::all(String::new())
    }
}

/// Findings listed by default.
pub const DEFAULT_LIMIT: usize = 50;
/// Locations kept per kind of bad input.
const FIRST_TROUBLES: usize = 5;

/// Where a hit was first seen.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
struct Seen {
    key: SortKey,
    loc: Loc,
    ts: Option<Nanos>,
    session: Option<Box<str>>,
    agent: Option<Box<str>>,
    tool: Box<str>,
    evidence: Box<str>,
    path: Option<Box<str>>,
}

#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
struct Group {
    count: u64,
    first: Seen,
}

type GroupKey = (Rule, Severity, Option<Box<str>>, Box<str>);

#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, Default)]
struct SessionAcc {
    /// Earliest working directory.
    root: Option<(SortKey, Box<str>)>,
    /// The writer's `project_path` (earliest).
    project: Option<(SortKey, Box<str>)>,
    /// First record in `bypassPermissions` mode.
    bypass: Option<Seen>,
}

fn earlier<T>(a: Option<(SortKey, T)>, b: Option<(SortKey, T)>) -> Option<(SortKey, T)> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y.0 < x.0 { y } else { x }),
        (x, y) => x.or(y),
    }
}

fn first_seen(a: Option<Seen>, b: Option<Seen>) -> Option<Seen> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y.key < x.key { y } else { x }),
        (x, y) => x.or(y),
    }
}

/// The `audit` accumulator.
#[derive(serde::Serialize, serde::Deserialize, Debug, Default)]
pub struct AuditAcc {
    groups: HashMap<GroupKey, Group>,
    sessions: HashMap<Box<str>, SessionAcc>,
    calls: u64,
    outputs: u64,
    allowed: u64,
    troubles: HashMap<Trouble, (u64, Vec<(SortKey, Loc)>)>,
}

impl AuditAcc {
    fn record(&mut self, q: &AuditQuery, h: Hit, at: &Seen) {
        if !q.on(h.rule) {
            return;
        }
        if q.allow.allows(&h) {
            self.allowed += 1;
            return;
        }
        let session = if h.rule == Rule::NetworkEgress {
            None
        } else {
            at.session.clone()
        };
        let seen = Seen {
            evidence: h.evidence.into(),
            path: h.path.map(Into::into),
            ..at.clone()
        };
        let key = (h.rule, h.severity, session, h.target.into_boxed_str());
        match self.groups.get_mut(&key) {
            Some(g) => {
                g.count += 1;
                if seen.key < g.first.key {
                    g.first = seen;
                }
            }
            None => {
                self.groups.insert(
                    key,
                    Group {
                        count: 1,
                        first: seen,
                    },
                );
            }
        }
    }

    fn trouble(&mut self, t: Trouble, key: SortKey, loc: Loc) {
        let e = self.troubles.entry(t).or_default();
        e.0 += 1;
        e.1.push((key, loc));
        if e.1.len() > FIRST_TROUBLES * 2 {
            e.1.sort();
            e.1.truncate(FIRST_TROUBLES);
        }
    }
}

impl Analysis for AuditQuery {
    type Acc = AuditAcc;
    fn new_acc(&self) -> AuditAcc {
        AuditAcc::default()
    }

    /// Tool calls and their outputs, plus every line that states a working
    /// directory or permission mode (the transcript reader keeps only those).
    fn needs(&self) -> Needs {
        Needs {
            actions: ActionSet::TOOLS,
            place: true,
            ..Needs::default()
        }
    }

    fn observe(&self, acc: &mut AuditAcc, ev: &Event<'_>) {
        if !self.window.contains(ev.ts) {
            return;
        }
        let session = ev.session.as_deref();
        if !self.sessions.is_empty()
            && !session.is_some_and(|s| self.sessions.iter().any(|x| x == s))
        {
            return;
        }
        let key = sort_key(ev.ts, &ev.loc);
        let skey: Box<str> = session.unwrap_or("").into();
        let (tool, input, output) = match &ev.action {
            Action::ToolStarted { tool, input, .. } => (Some(&**tool), input.as_deref(), None),
            Action::ToolEnded {
                tool,
                input,
                output,
                ..
            } => (tool.as_deref(), input.as_deref(), output.as_deref()),
            // Only tool calls and records naming a permission mode count
            // (what the transcript prefilter keeps), so that the report is
            // the same with the prefilter on or off.
            _ if ev.place.permission_mode.is_none() && !ev.metrics.scope_violation => return,
            _ => (None, None, None),
        };
        let seen = || Seen {
            key,
            loc: ev.loc,
            ts: ev.ts,
            session: session.map(Into::into),
            agent: ev.agent.as_deref().map(Into::into),
            tool: tool.unwrap_or("").into(),
            evidence: "".into(),
            path: None,
        };
        let s = acc.sessions.entry(skey).or_default();
        if let Some(c) = ev.place.cwd.as_deref().filter(|c| c.starts_with('/')) {
            s.root = earlier(s.root.take(), Some((key, c.into())));
        }
        if let Some(p) = ev.place.project.as_deref().filter(|c| c.starts_with('/')) {
            s.project = earlier(s.project.take(), Some((key, p.into())));
        }
        if self.on(Rule::PermissionBypass)
            && ev.place.permission_mode.as_deref() == Some("bypassPermissions")
        {
            s.bypass = first_seen(s.bypass.take(), Some(seen()));
        }
        let root: Option<String> = s
            .project
            .as_ref()
            .or(s.root.as_ref())
            .map(|r| r.1.to_string())
            .or_else(|| ev.place.cwd.as_deref().map(String::from));
        let cwd = ev.place.cwd.as_deref().or(root.as_deref());
        let home = root
            .as_deref()
            .and_then(paths::home_of)
            .or_else(|| cwd.and_then(paths::home_of));
        let tool_name = tool.unwrap_or("?");
        let call = Call {
            tool: tool_name,
            input,
            cwd,
            root: root.as_deref(),
            home: home.as_deref(),
        };
        let mut hits = Vec::new();
        let mut troubles = Vec::new();
        if input.is_some() {
            acc.calls += 1;
            rules::check_call(&call, &mut hits, &mut troubles);
            // The line's own cwd may be below the root known so far: judge against both.
            if let (Some(c), Some(r)) = (ev.place.cwd.as_deref(), root.as_deref()) {
                if c != r {
                    let mut more = Vec::new();
                    rules::check_call(
                        &Call {
                            root: Some(c),
                            ..call
                        },
                        &mut more,
                        &mut Vec::new(),
                    );
                    for h in more.into_iter().filter(|h| h.rule == Rule::OutsideProject) {
                        if !hits
                            .iter()
                            .any(|o| o.rule == h.rule && o.target == h.target)
                        {
                            hits.push(h);
                        }
                    }
                }
            }
        }
        if let Some(o) = output.filter(|_| self.on(Rule::Secret)) {
            acc.outputs += 1;
            rules::check_output(o, tool, &mut hits);
        }
        // The writer's own flag (seed 003), on the record of the call's start
        // (its end repeats it).
        let start = !matches!(ev.action, Action::ToolEnded { .. });
        if start
            && ev.metrics.scope_violation
            && !hits.iter().any(|h| h.rule == Rule::OutsideProject)
        {
            let write = matches!(tool_name, "Write" | "Edit" | "MultiEdit" | "NotebookEdit");
            hits.push(Hit {
                rule: Rule::OutsideProject,
                severity: if write {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                target: "outside_project_scope".into(),
                evidence: format!(
                    "{tool_name}: the writer flagged this call outside_project_scope: true"
                ),
                path: None,
                command: None,
            });
        }
        for t in troubles {
            acc.trouble(t, key, ev.loc);
        }
        if hits.is_empty() {
            return;
        }
        let at = seen();
        for h in hits {
            acc.record(self, h, &at);
        }
    }

    fn merge(&self, a: AuditAcc, b: AuditAcc) -> AuditAcc {
        let (mut a, b) = if a.groups.len() >= b.groups.len() {
            (a, b)
        } else {
            (b, a)
        };
        for (k, g) in b.groups {
            match a.groups.get_mut(&k) {
                Some(x) => {
                    x.count += g.count;
                    if g.first.key < x.first.key {
                        x.first = g.first;
                    }
                }
                None => {
                    a.groups.insert(k, g);
                }
            }
        }
        for (k, s) in b.sessions {
            let e = a.sessions.entry(k).or_default();
            e.root = earlier(e.root.take(), s.root);
            e.project = earlier(e.project.take(), s.project);
            e.bypass = first_seen(e.bypass.take(), s.bypass);
        }
        for (t, (n, mut locs)) in b.troubles {
            let e = a.troubles.entry(t).or_default();
            e.0 += n;
            e.1.append(&mut locs);
            e.1.sort();
            e.1.truncate(FIRST_TROUBLES);
        }
        a.calls += b.calls;
        a.outputs += b.outputs;
        a.allowed += b.allowed;
        a
    }
}

/// One finding: a rule broken, how often, and where first.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AuditFinding {
    /// Rule id.
    pub rule: Rule,
    /// Severity.
    pub severity: Severity,
    /// Session of the first occurrence (for `network_egress`, one of the sessions).
    pub session: Option<String>,
    /// The agent chain of the first occurrence: the session, then the subagent
    /// or team member that made the call.
    pub chain: Vec<String>,
    /// Tool of the first occurrence.
    pub tool: String,
    /// Time of the first occurrence (RFC 3339 UTC), null when untimed.
    pub time: Option<String>,
    /// Input of the first occurrence.
    pub file: String,
    /// 1-based line of the first occurrence.
    pub line: u64,
    /// What the finding is about: a path, a host, a command, a secret's kind,
    /// first four characters and length (secrets are never printed whole).
    pub target: String,
    /// What was seen at the first occurrence, secrets masked, at most 160 characters.
    pub evidence: String,
    /// Occurrences aggregated into this finding.
    pub count: u64,
    /// The session ran with permission checks bypassed (`bypassPermissions`).
    pub session_bypassed_permissions: bool,
    /// The command to run next.
    pub next: String,
}

/// Counts per rule.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RuleCount {
    /// Rule id.
    pub rule: Rule,
    /// Findings per severity.
    pub findings: SeverityCounts,
    /// Occurrences over those findings.
    pub occurrences: u64,
}

/// Tool inputs that could not be read in full, by kind.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BadInput {
    /// What was wrong.
    pub kind: Trouble,
    /// How many calls.
    pub count: u64,
    /// The first ones, `file:line`.
    pub first: Vec<String>,
}

/// The `audit` report.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AuditReport {
    /// Findings, most severe first (at most `--limit`).
    pub findings: Vec<AuditFinding>,
    /// Findings in all (before `--limit`).
    pub total_findings: u64,
    /// Findings per severity (before `--limit`).
    pub by_severity: SeverityCounts,
    /// Per rule on, in rule order.
    pub by_rule: Vec<RuleCount>,
    /// The command that lists every finding, when `--limit` cut the list.
    pub more: Option<String>,
    /// Rules on.
    pub rules: Vec<Rule>,
    /// Tool calls judged (with an input).
    pub tool_calls: u64,
    /// Tool outputs searched for secrets.
    pub tool_outputs: u64,
    /// Sessions seen.
    pub sessions: u64,
    /// Sessions run in `bypassPermissions` mode.
    pub bypass_sessions: Vec<String>,
    /// Hits the `--allow` file accepted (not findings).
    pub allowed: u64,
    /// Tool inputs that could not be read in full.
    pub bad_inputs: Vec<BadInput>,
}

impl AuditReport {
    /// The most severe finding's severity.
    pub fn worst(&self) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|s| self.by_severity.get(*s) > 0)
    }
}

fn rule_rank(r: Rule) -> usize {
    Rule::ALL.iter().position(|x| *x == r).unwrap_or(usize::MAX)
}

impl AuditAcc {
    /// The report.
    pub fn finish(self, q: &AuditQuery, index: &LineIndex) -> AuditReport {
        let AuditAcc {
            groups,
            sessions,
            calls,
            outputs,
            allowed,
            troubles,
        } = self;
        let root_of = |s: &Option<Box<str>>| -> Option<&str> {
            let sa = sessions.get(s.as_deref().unwrap_or(""))?;
            sa.project.as_ref().or(sa.root.as_ref()).map(|r| &*r.1)
        };
        let mut list: Vec<(GroupKey, Group)> = groups
            .into_iter()
            .filter(|((rule, _, _, _), g)| {
                // Judged again against the session's final root.
                *rule != Rule::OutsideProject
                    || match (g.first.path.as_deref(), root_of(&g.first.session)) {
                        (Some(p), Some(r)) => !paths::inside(p, r),
                        _ => true,
                    }
            })
            .collect();
        let mut bypass: Vec<(Box<str>, Seen)> = sessions
            .iter()
            .filter_map(|(k, s)| s.bypass.clone().map(|b| (k.clone(), b)))
            .collect();
        bypass.sort_by(|a, b| a.1.key.cmp(&b.1.key).then(a.0.cmp(&b.0)));
        for (_, b) in &bypass {
            let key = (
                Rule::PermissionBypass,
                Severity::Warning,
                b.session.clone(),
                "bypassPermissions".into(),
            );
            let evidence =
                "the session ran in permission mode bypassPermissions (no permission prompts)"
                    .into();
            list.push((
                key,
                Group {
                    count: 1,
                    first: Seen {
                        evidence,
                        ..b.clone()
                    },
                },
            ));
        }
        let bypassed: std::collections::BTreeSet<&str> = bypass
            .iter()
            .filter_map(|(_, b)| b.session.as_deref())
            .collect();
        list.sort_by(|(ka, ga), (kb, gb)| {
            kb.1.cmp(&ka.1)
                .then(rule_rank(ka.0).cmp(&rule_rank(kb.0)))
                .then(ga.first.key.cmp(&gb.first.key))
                .then(ka.3.cmp(&kb.3))
                .then(ka.2.cmp(&kb.2))
        });
        let mut by_severity = SeverityCounts::default();
        let mut by_rule: Vec<RuleCount> = q
            .rules
            .iter()
            .map(|r| RuleCount {
                rule: *r,
                findings: SeverityCounts::default(),
                occurrences: 0,
            })
            .collect();
        for ((rule, sev, _, _), g) in &list {
            by_severity.add(*sev, 1);
            if let Some(rc) = by_rule.iter_mut().find(|rc| rc.rule == *rule) {
                rc.findings.add(*sev, 1);
                rc.occurrences += g.count;
            }
        }
        let total = list.len();
        let shown = if q.limit == 0 {
            total
        } else {
            q.limit.min(total)
        };
        let hint = &q.paths_hint;
        let findings = list
            .into_iter()
            .take(shown)
            .map(|((rule, severity, _, target), g)| {
                let f = &g.first;
                let mut chain: Vec<String> = f.session.iter().map(|s| s.to_string()).collect();
                if let Some(a) = f
                    .agent
                    .as_deref()
                    .filter(|a| Some(*a) != f.session.as_deref())
                {
                    chain.push(a.to_string());
                }
                let file = index.file(&f.loc).to_string();
                let next = match f.ts {
                    Some(t) => format!(
                        "oracle replay --after {} --before {} {}",
                        format_rfc3339(t.saturating_sub(60_000_000_000)),
                        format_rfc3339(t.saturating_add(60_000_000_000)),
                        super::shell_quote(&file)
                    ),
                    None => {
                        let s = f
                            .session
                            .as_deref()
                            .map(|s| format!(" --session {}", super::shell_quote(s)))
                            .unwrap_or_default();
                        format!("oracle audit --rule {}{s} --limit 0 {hint}", rule.id())
                    }
                };
                AuditFinding {
                    rule,
                    severity,
                    session: f.session.as_deref().map(String::from),
                    chain,
                    tool: f.tool.to_string(),
                    time: f.ts.map(format_rfc3339),
                    line: index.line(&f.loc),
                    file,
                    target: target.to_string(),
                    evidence: f.evidence.to_string(),
                    count: g.count,
                    session_bypassed_permissions: f
                        .session
                        .as_deref()
                        .is_some_and(|s| bypassed.contains(s)),
                    next: next.trim_end().to_string(),
                }
            })
            .collect();
        let mut bad_inputs: Vec<BadInput> = troubles
            .into_iter()
            .map(|(kind, (count, mut locs))| {
                locs.sort();
                BadInput {
                    kind,
                    count,
                    first: locs
                        .iter()
                        .take(FIRST_TROUBLES)
                        .map(|(_, l)| index.at(l))
                        .collect(),
                }
            })
            .collect();
        bad_inputs.sort_by_key(|b| b.kind);
        AuditReport {
            findings,
            total_findings: total as u64,
            by_severity,
            by_rule,
            more: (shown < total).then(|| {
                format!("oracle audit --limit 0 {hint}")
                    .trim_end()
                    .to_string()
            }),
            rules: q.rules.clone(),
            tool_calls: calls,
            tool_outputs: outputs,
            sessions: sessions.keys().filter(|k| !k.is_empty()).count() as u64,
            bypass_sessions: bypassed.iter().map(|s| s.to_string()).collect(),
            allowed,
            bad_inputs,
        }
    }
}
