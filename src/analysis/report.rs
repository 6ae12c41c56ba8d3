//! `report`: everything the HTML report shows, from one scan.
//!
//! Owns: [`ReportQuery`], whose accumulator holds the accumulators of
//! `diagnose` (with its audit), `agents`, `cost` and the bounded
//! [`super::timeline`], each merged by its own rules; and where each finding
//! sits on the timeline ([`Place`]). Must not: format anything (see
//! `render::html`) or do I/O.
//! Invariant: like every analysis, the report depends only on the events in
//! the window, never on the thread count.

use super::agents::{AgentsAcc, AgentsQuery, AgentsReport};
use super::audit::AuditFinding;
use super::cost::{CostAcc, CostBy, CostQuery, CostReport};
use super::diagnose::{DiagnoseAcc, DiagnoseQuery, DiagnoseReport, Finding};
use super::timeline::{PointKind, Timeline, TimelineAcc, TimelineQuery};
use super::Window;
use crate::model::{time::parse_timestamp, Event, Nanos, Severity};
use crate::scan::{Analysis, LineIndex, SourceStats};

/// The typed `report` query: the queries of the analyses it combines.
#[derive(Debug, Clone)]
pub struct ReportQuery {
    /// Time window, applied to every part (untimed records are kept, never drawn).
    pub window: Window,
    /// Findings and the audit's top findings.
    pub diagnose: DiagnoseQuery,
    /// The delegation tree.
    pub agents: AgentsQuery,
    /// Cost (finished twice: by model and by agent; `by` is ignored).
    pub cost: CostQuery,
}

/// The combined accumulator.
pub struct ReportAcc {
    diagnose: DiagnoseAcc,
    agents: AgentsAcc,
    cost: CostAcc,
    timeline: TimelineAcc,
}

impl ReportQuery {
    fn timeline(&self) -> TimelineQuery {
        TimelineQuery {
            window: self.window,
        }
    }
}

impl Analysis for ReportQuery {
    type Acc = ReportAcc;
    fn new_acc(&self) -> ReportAcc {
        ReportAcc {
            diagnose: self.diagnose.new_acc(),
            agents: self.agents.new_acc(),
            cost: self.cost.new_acc(),
            timeline: self.timeline().new_acc(),
        }
    }

    fn observe(&self, acc: &mut ReportAcc, ev: &Event<'_>) {
        if !self.window.contains(ev.ts) {
            return;
        }
        self.diagnose.observe(&mut acc.diagnose, ev);
        self.agents.observe(&mut acc.agents, ev);
        self.cost.observe(&mut acc.cost, ev);
        self.timeline().observe(&mut acc.timeline, ev);
    }

    fn merge(&self, a: ReportAcc, b: ReportAcc) -> ReportAcc {
        ReportAcc {
            diagnose: self.diagnose.merge(a.diagnose, b.diagnose),
            agents: self.agents.merge(a.agents, b.agents),
            cost: self.cost.merge(a.cost, b.cost),
            timeline: self.timeline().merge(a.timeline, b.timeline),
        }
    }
}

/// A place on the timeline: a lane and an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Lane id (a node of the delegation tree).
    pub lane: String,
    /// UTC ns.
    pub t: Nanos,
}

/// What the report page shows.
#[derive(Debug, Clone)]
pub struct Report {
    /// `diagnose`'s report (findings, sessions, the audit's top findings).
    pub diagnose: DiagnoseReport,
    /// Where each of `diagnose.findings` sits (same order); `None`: the whole run.
    pub finding_places: Vec<Option<Place>>,
    /// Where each of `diagnose.audit.top` sits (same order).
    pub audit_places: Vec<Option<Place>>,
    /// The delegation tree.
    pub agents: AgentsReport,
    /// Cost by model.
    pub cost_by_model: CostReport,
    /// Cost by agent.
    pub cost_by_agent: CostReport,
    /// The timeline.
    pub timeline: Timeline,
}

impl ReportAcc {
    /// The report.
    pub fn finish(self, q: &ReportQuery, sources: &[SourceStats], index: &LineIndex) -> Report {
        let diagnose = self.diagnose.finish(&q.diagnose, sources, index);
        let agents = self.agents.finish(&q.agents, index);
        let by = |by| CostQuery {
            by,
            ..q.cost.clone()
        };
        let cost_by_model = self.cost.clone().finish(&by(CostBy::Model), index);
        let cost_by_agent = self.cost.finish(&by(CostBy::Agent), index);
        let timeline = self.timeline.finish(index);
        let audit_places: Vec<Option<Place>> = diagnose
            .audit
            .top
            .iter()
            .map(|f| audit_place(f, &timeline))
            .collect();
        let finding_places = diagnose
            .findings
            .iter()
            .map(|f| finding_place(f, &diagnose.audit.top, &timeline))
            .collect();
        Report {
            diagnose,
            finding_places,
            audit_places,
            agents,
            cost_by_model,
            cost_by_agent,
            timeline,
        }
    }
}

/// Where an audit finding's first occurrence is: the lane of the agent that
/// made the call (the chain's last link that is a lane), at its time.
fn audit_place(f: &AuditFinding, tl: &Timeline) -> Option<Place> {
    let t = f
        .time
        .as_deref()
        .and_then(|t| parse_timestamp(t.as_bytes()))?;
    let lane = f
        .chain
        .iter()
        .rev()
        .chain(f.session.iter())
        .find(|id| tl.lanes.iter().any(|l| &l.id == *id))?;
    Some(Place {
        lane: lane.clone(),
        t,
    })
}

/// The earliest error mark at or above `min` (exactly `only`, when given).
fn first_error(tl: &Timeline, min: Severity, only: Option<Severity>) -> Option<Place> {
    tl.lanes
        .iter()
        .flat_map(|l| l.errors.iter().map(move |e| (e, l)))
        .filter(|(e, _)| e.severity >= min && only.is_none_or(|o| e.severity == o))
        .min_by_key(|(e, l)| (e.t, &l.id))
        .map(|(e, l)| Place {
            lane: l.id.clone(),
            t: e.t,
        })
}

/// Where a `diagnose` finding points on the timeline. Findings are text; they
/// name what they are about, and this reads it back: an audit finding's
/// `file:line`, then a lane id named in the title, then the kind of finding
/// (critical errors, errors, warnings, calls without a result, compactions).
/// `None` when nothing places it (it is about the whole run).
fn finding_place(f: &Finding, audit: &[AuditFinding], tl: &Timeline) -> Option<Place> {
    let title = f.title.as_str();
    if title.starts_with("audit:") {
        if let Some(a) = audit
            .iter()
            .find(|a| title.contains(&format!("{}:{}", a.file, a.line)))
        {
            return audit_place(a, tl);
        }
    }
    // The longest lane id the title names (ids of 4 characters or more).
    if let Some(l) = tl
        .lanes
        .iter()
        .filter(|l| l.folded == 0 && l.id.chars().count() >= 4 && title.contains(l.id.as_str()))
        .max_by_key(|l| (l.id.len(), std::cmp::Reverse(l.id.clone())))
    {
        let t = l.errors.first().map_or(l.first, |e| e.t);
        return Some(Place {
            lane: l.id.clone(),
            t,
        });
    }
    let lower = title.to_lowercase();
    if lower.contains("critical error") {
        return first_error(tl, Severity::Critical, None);
    }
    if lower.contains("warning") {
        return first_error(tl, Severity::Warning, Some(Severity::Warning));
    }
    if lower.contains("never got a result") || lower.contains("never completed") {
        return tl
            .lanes
            .iter()
            .flat_map(|l| l.tools.iter().map(move |c| (c, l)))
            .filter(|(c, _)| c.end.is_none())
            .min_by_key(|(c, l)| (c.start, &l.id))
            .map(|(c, l)| Place {
                lane: l.id.clone(),
                t: c.start,
            });
    }
    if lower.contains("compaction") {
        return tl
            .lanes
            .iter()
            .flat_map(|l| l.points.iter().map(move |p| (p, l)))
            .filter(|(p, _)| p.kind == PointKind::Compaction)
            .min_by_key(|(p, l)| (p.t, &l.id))
            .map(|(p, l)| Place {
                lane: l.id.clone(),
                t: p.t,
            });
    }
    if let Some(key) = title
        .strip_prefix("repeated ")
        .and_then(|r| r.split_once(": "))
        .map(|(_, k)| k.trim_end_matches('…'))
    {
        let hit = tl
            .lanes
            .iter()
            .flat_map(|l| l.errors.iter().map(move |e| (e, l)))
            .filter(|(e, _)| super::mask_message(&e.message).starts_with(key))
            .min_by_key(|(e, l)| (e.t, &l.id));
        if let Some((e, l)) = hit {
            return Some(Place {
                lane: l.id.clone(),
                t: e.t,
            });
        }
    }
    if lower.contains("error") || lower.contains("failed") || lower.starts_with("repeated") {
        return first_error(tl, f.severity.min(Severity::Error), None);
    }
    None
}
