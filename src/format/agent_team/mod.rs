//! Claude Code agent-team files (claude-code.md §3): a team's `config.json`, its
//! mailboxes `inboxes/<agent>.json`, and its task board `tasks/<team>/<n>.json`.
//!
//! Source: Claude Code's experimental agent teams, as reverse-engineered by
//! several public projects (no sample in `realdata/`). All three are JSON,
//! pretty-printed by Claude Code; a mailbox is a JSON array of messages.
//! [`Framing::Objects`] frames each array element on its own, so [`Team::parse`]
//! tells the three shapes apart by the keys of one object: a config has
//! `leadAgentId` or a `members` array, a mailbox message `from` and `text` (and
//! `read` or `timestamp`), a task `subject` and `status` (or `blocks`,
//! `blockedBy`, `activeForm`). Anything else is kept as `team_unknown`.
//!
//! Owns: sniffing these files by content (`sniff`), reading each record into
//! the events below, and their summaries. Must not: read a file's name for what
//! its content says; the path only supplies what the content lacks (a mailbox's
//! owner is its file stem, the team is the directory above `inboxes/` or below
//! `tasks/`, and a task's id falls back to its file stem under `tasks/<team>/`).
//!
//! Events (`format = team`, `raw = record =` the object):
//! - config → one `AgentSpawned` a member (`kind = team_member`, agent = the
//!   member's `name`, session = the team's `name`, ts = `joinedAt`, else
//!   `createdAt`, status = `agentType`); the lead (`agentId == leadAgentId`) is
//!   `TeamLead` with no parent, the others `TeamMember` with the lead's name as
//!   parent. No members: the lead alone from `leadAgentId`, else `Other`
//!   (`team_config`).
//! - mailbox message → `Message { read }` from `from` to the mailbox's owner,
//!   `kind = message`, status = the protocol `type` of a JSON `text`, else
//!   `text`; id = its `taskId` or `requestId`. A type naming an error or a
//!   failure is a warning (category = the type, message = its text).
//! - task → `TaskState { done: completed, started: in_progress }`, id = `id`,
//!   target = `owner` (none when empty), `kind = task`, status as written, ts =
//!   `updatedAt`, else `createdAt`, else none.
//!
//! No prefilter and no time-only read: object framing parses every record, and
//! these files are small (one config and one task a file, one mailbox an agent).

mod fields;
mod sniff;
mod summary;

use self::fields::{Body, Members, Seen, Time};
use super::lax::{self, Text};
use super::{ActionSet, Ctx, Framing, Reader};
use crate::model::{time::parse_timestamp, Action, AgentKind, Event, Format, Loc, Severity};
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::borrow::Cow;
use std::path::Path;

/// The union of the fields read from the three record shapes; which shape a
/// record is follows from which keys are present.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Rec<'a> {
    // Config.
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow, rename = "leadAgentId")]
    lead_agent_id: Seen<Text<'a>>,
    #[serde(borrow)]
    members: Members<'a>,
    #[serde(rename = "createdAt")]
    created_at: Time,
    // Mailbox message.
    #[serde(borrow)]
    from: Seen<Text<'a>>,
    #[serde(borrow)]
    text: Seen<Body<'a>>,
    #[serde(borrow)]
    timestamp: Seen<Text<'a>>,
    #[serde(borrow)]
    read: Seen<Text<'a>>,
    // Task.
    #[serde(borrow)]
    id: Text<'a>,
    subject: Seen<IgnoredAny>,
    #[serde(borrow)]
    status: Seen<Text<'a>>,
    #[serde(borrow)]
    owner: Text<'a>,
    blocks: Seen<IgnoredAny>,
    #[serde(rename = "blockedBy")]
    blocked_by: Seen<IgnoredAny>,
    #[serde(rename = "activeForm")]
    active_form: Seen<IgnoredAny>,
    #[serde(rename = "updatedAt")]
    updated_at: Time,
}

/// An event of this format with every optional field empty.
fn base<'a>(record: &'a [u8], loc: Loc, kind: &'static str) -> Event<'a> {
    Event {
        kind: Cow::Borrowed(kind),
        ..Event::untimed(loc, Format::Team, record)
    }
}

/// `f` applied to the text of `c`, borrowed when `c` is.
fn map_cow<'a>(c: &Cow<'a, str>, f: impl Fn(&str) -> &str) -> Cow<'a, str> {
    match c {
        Cow::Borrowed(s) => Cow::Borrowed(f(s)),
        Cow::Owned(s) => Cow::Owned(f(s).to_string()),
    }
}

/// `team-lead@api-team` → `team-lead`.
fn before_at(s: &str) -> &str {
    s.split_once('@').map_or(s, |(a, _)| a)
}

/// `team-lead@api-team` → `api-team` (empty when there is no `@`).
fn after_at(s: &str) -> &str {
    s.split_once('@').map_or("", |(_, b)| b)
}

/// The file stem of an input path (`inboxes/qa.json` → `qa`); `None` for stdin.
fn file_stem(path: &str) -> Option<&str> {
    if path == "-" {
        return None;
    }
    Path::new(path)
        .file_stem()?
        .to_str()
        .filter(|s| !s.is_empty())
}

/// The names of the directory holding `path` and of the one above it.
fn dir_names(path: &str) -> (Option<&str>, Option<&str>) {
    if path == "-" {
        return (None, None);
    }
    fn name(p: Option<&Path>) -> Option<&str> {
        p.and_then(Path::file_name).and_then(|n| n.to_str())
    }
    let parent = Path::new(path).parent();
    (name(parent), name(parent.and_then(Path::parent)))
}

/// The team of a mailbox: `<team>/inboxes/<agent>.json` → `<team>`.
fn inbox_team(path: &str) -> Option<&str> {
    match dir_names(path) {
        (Some("inboxes"), team) => team,
        _ => None,
    }
}

/// The team of a task file: `tasks/<team>/<n>.json` → `<team>`.
fn tasks_team(path: &str) -> Option<&str> {
    match dir_names(path) {
        (team, Some("tasks")) => team,
        _ => None,
    }
}

/// `read` as written: `true`/`false` (or a number, non-zero being true); `None`
/// when absent or of another type.
fn read_flag(t: &Text<'_>) -> Option<bool> {
    match t.get()? {
        "true" => Some(true),
        "false" => Some(false),
        n => n.parse::<f64>().ok().map(|x| x != 0.0),
    }
}

/// Gives `out` one event per member of a team config.
fn config<'a>(r: Rec<'a>, record: &'a [u8], loc: Loc, out: &mut dyn FnMut(Event<'a>)) {
    let lead_id = r.lead_agent_id.value.0;
    let team = r
        .name
        .0
        .or_else(|| lead_id.as_ref().map(|id| map_cow(id, after_at)))
        .filter(|t| !t.is_empty());
    let members = r.members.0.unwrap_or_default();
    let member_name = |m: &fields::Member<'a>| {
        m.name
            .0
            .clone()
            .or_else(|| m.agent_id.0.as_ref().map(|id| map_cow(id, before_at)))
    };
    let is_lead =
        |m: &fields::Member<'a>| lead_id.is_some() && m.agent_id.get() == lead_id.as_deref();
    let lead_name = members
        .iter()
        .find(|m| is_lead(m))
        .and_then(member_name)
        .or_else(|| lead_id.as_ref().map(|id| map_cow(id, before_at)));
    let mut any = false;
    for m in &members {
        let Some(name) = member_name(m) else { continue };
        any = true;
        let lead = is_lead(m);
        out(Event {
            ts: m.joined_at.0.or(r.created_at.0),
            action: Action::AgentSpawned {
                kind: if lead {
                    AgentKind::TeamLead
                } else {
                    AgentKind::TeamMember
                },
                parent: if lead { None } else { lead_name.clone() },
                role: m.agent_type.0.clone(),
                via: None,
            },
            status: m.agent_type.0.clone().unwrap_or(Cow::Borrowed("")),
            agent: Some(name),
            session: team.clone(),
            ..base(record, loc, "team_member")
        });
    }
    if any {
        return;
    }
    let mut ev = Event {
        ts: r.created_at.0,
        session: team,
        ..base(record, loc, "team_config")
    };
    if let Some(name) = lead_name.filter(|n| !n.is_empty()) {
        ev.kind = Cow::Borrowed("team_member");
        ev.agent = Some(name);
        ev.action = Action::AgentSpawned {
            kind: AgentKind::TeamLead,
            parent: None,
            role: None,
            via: None,
        };
    }
    out(ev);
}

/// The event of one mailbox message.
fn message<'a>(r: Rec<'a>, record: &'a [u8], loc: Loc, ctx: &Ctx<'a>) -> Event<'a> {
    let proto = r.text.value.proto.unwrap_or_default();
    let failure = proto.failure;
    let kind = proto.kind;
    let warning = failure.is_some();
    Event {
        ts: r
            .timestamp
            .value
            .get()
            .and_then(|t| parse_timestamp(t.as_bytes())),
        action: Action::Message {
            read: read_flag(&r.read.value),
        },
        severity: warning.then_some(Severity::Warning),
        category: if warning { kind.clone() } else { None },
        message: failure,
        status: kind.unwrap_or(Cow::Borrowed("text")),
        agent: r.from.value.0,
        target: file_stem(ctx.path).map(Cow::Borrowed),
        session: inbox_team(ctx.path).map(Cow::Borrowed),
        id: proto.id,
        ..base(record, loc, "message")
    }
}

/// The event of one task file.
fn task<'a>(r: Rec<'a>, record: &'a [u8], loc: Loc, ctx: &Ctx<'a>) -> Event<'a> {
    let team = tasks_team(ctx.path);
    let status = r.status.value.0;
    let (done, started) = match status.as_deref() {
        // `deleted` (Claude Code 2.1.20 and later) is off the board: not open.
        Some("completed" | "deleted") => (true, false),
        Some("in_progress") => (false, true),
        _ => (false, false),
    };
    let id =
        r.id.0
            .or_else(|| team.and(file_stem(ctx.path)).map(Cow::Borrowed));
    Event {
        ts: r.updated_at.0.or(r.created_at.0),
        action: Action::TaskState { done, started },
        status: status.unwrap_or(Cow::Borrowed("")),
        target: r.owner.0.filter(|o| !o.is_empty()),
        session: team.map(Cow::Borrowed),
        id,
        ..base(record, loc, "task")
    }
}

/// The reader.
pub struct Team;

impl Reader for Team {
    fn format(&self) -> Format {
        Format::Team
    }
    /// See `sniff::sniff`: the top-level keys of the first object decide.
    fn sniff(&self, head: &[u8]) -> bool {
        sniff::sniff(head)
    }
    fn framing(&self) -> Framing {
        Framing::Objects
    }
    fn produces(&self) -> ActionSet {
        ActionSet::AGENTS
            .or(ActionSet::TASKS)
            .or(ActionSet::MESSAGES)
    }
    /// One event a member of a config, one a message, one a task, one for any
    /// other object. Errors: not JSON, or not an object.
    fn parse<'a>(
        &self,
        record: &'a [u8],
        loc: Loc,
        ctx: &Ctx<'a>,
        out: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), String> {
        let Some(record) = super::content(record) else {
            return Ok(());
        };
        if record[0] != b'{' {
            return Err("not a JSON object".into());
        }
        let r: Rec<'a> = lax::from_slice(record).map_err(|e| format!("invalid JSON: {e}"))?;
        if r.lead_agent_id.present || r.members.0.is_some() {
            config(r, record, loc, out);
        } else if r.from.present && r.text.present && (r.read.present || r.timestamp.present) {
            out(message(r, record, loc, ctx));
        } else if r.subject.present
            && (r.status.present
                || r.blocks.present
                || r.blocked_by.present
                || r.active_form.present)
        {
            out(task(r, record, loc, ctx));
        } else {
            let session = inbox_team(ctx.path).or_else(|| tasks_team(ctx.path));
            out(Event {
                ts: r
                    .timestamp
                    .value
                    .get()
                    .and_then(|t| parse_timestamp(t.as_bytes()))
                    .or(r.updated_at.0)
                    .or(r.created_at.0),
                session: session.map(Cow::Borrowed),
                ..base(record, loc, "team_unknown")
            });
        }
        Ok(())
    }
    fn summarize(&self, ev: &Event<'_>) -> String {
        summary::summarize(ev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events<'a>(record: &'a [u8], path: &'a str) -> Vec<Event<'a>> {
        let mut v = Vec::new();
        let ctx = Ctx {
            path,
            header: None,
            only: None,
        };
        Team.parse(record, Loc::default(), &ctx, &mut |e| v.push(e))
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(record)));
        v
    }

    fn one<'a>(record: &'a [u8], path: &'a str) -> Event<'a> {
        let mut v = events(record, path);
        assert_eq!(v.len(), 1);
        v.remove(0)
    }

    const CONFIG: &[u8] = br#"{
  "name": "api-team",
  "description": "Build the orders API",
  "createdAt": 1772442000000,
  "leadAgentId": "team-lead@api-team",
  "leadSessionId": "5c1e0d7a-0000-4000-8000-000000000001",
  "members": [
    {"agentId": "team-lead@api-team", "name": "team-lead", "agentType": "team-lead", "model": "claude-opus-4-6", "joinedAt": 1772442000000, "tmuxPaneId": "", "cwd": "/w", "subscriptions": []},
    {"agentId": "backend-dev@api-team", "name": "backend-dev", "agentType": "general-purpose", "model": "sonnet", "joinedAt": 1772442005000, "backendType": "in-process"},
    {"agentId": "qa@api-team", "agentType": "general-purpose"},
    7
  ]
}"#;

    #[test]
    fn a_config_gives_one_spawn_per_member() {
        let v = events(CONFIG, "x/teams/api-team/config.json");
        assert_eq!(v.len(), 3);
        let names: Vec<_> = v.iter().map(|e| e.agent.as_deref().unwrap()).collect();
        assert_eq!(names, ["team-lead", "backend-dev", "qa"]);
        assert_eq!(
            v[0].action,
            Action::AgentSpawned {
                kind: AgentKind::TeamLead,
                parent: None,
                role: Some("team-lead".into()),
                via: None
            }
        );
        assert_eq!(
            v[1].action,
            Action::AgentSpawned {
                kind: AgentKind::TeamMember,
                parent: Some("team-lead".into()),
                role: Some("general-purpose".into()),
                via: None
            }
        );
        assert!(v.iter().all(|e| e.session.as_deref() == Some("api-team")
            && e.kind == "team_member"
            && e.format == Format::Team
            && e.raw == CONFIG
            && e.record == CONFIG));
        assert_eq!(v[1].ts, Some(1_772_442_005_000_000_000));
        assert_eq!(v[1].status, "general-purpose");
        // No joinedAt: the team's createdAt.
        assert_eq!(v[2].ts, Some(1_772_442_000_000_000_000));
        assert_eq!(
            Team.summarize(&v[1]),
            "backend-dev (general-purpose, sonnet) joined team api-team"
        );
    }

    #[test]
    fn a_config_without_members_gives_its_lead_or_a_team_config() {
        let ev = one(
            br#"{"name": "t", "createdAt": 1000, "leadAgentId": "boss@t", "members": []}"#,
            "-",
        );
        assert_eq!(ev.agent.as_deref(), Some("boss"));
        assert_eq!(ev.kind, "team_member");
        assert!(matches!(
            ev.action,
            Action::AgentSpawned {
                kind: AgentKind::TeamLead,
                parent: None,
                ..
            }
        ));
        assert_eq!(ev.ts, Some(1_000_000_000));
        let ev = one(
            br#"{"name": "t", "members": "none", "leadAgentId": null}"#,
            "-",
        );
        assert_eq!(
            (&*ev.kind, ev.action.clone()),
            ("team_config", Action::Other)
        );
        assert_eq!(ev.session.as_deref(), Some("t"));
        // The team name from the lead id when `name` is missing.
        let ev = one(br#"{"leadAgentId": "lead@blue-team"}"#, "-");
        assert_eq!(ev.session.as_deref(), Some("blue-team"));
    }

    #[test]
    fn a_mailbox_message_is_addressed_to_the_file_stem() {
        let rec = br#"{"from": "team-lead", "text": "{\"type\":\"task_assignment\",\"taskId\":\"2\",\"subject\":\"Order list page\",\"assignedBy\":\"team-lead\"}", "timestamp": "2026-03-02T09:01:00.000Z", "read": false}"#;
        let ev = one(rec, "home/.claude/teams/api-team/inboxes/frontend-dev.json");
        assert_eq!(ev.action, Action::Message { read: Some(false) });
        assert_eq!(ev.agent.as_deref(), Some("team-lead"));
        assert_eq!(ev.target.as_deref(), Some("frontend-dev"));
        assert_eq!(ev.session.as_deref(), Some("api-team"));
        assert_eq!(ev.status, "task_assignment");
        assert_eq!(ev.id.as_deref(), Some("2"));
        assert_eq!(ev.kind, "message");
        assert_eq!(ev.severity, None);
        assert_eq!(ev.message, None);
        assert_eq!(ev.ts, parse_timestamp(b"2026-03-02T09:01:00.000Z"));
        assert_eq!(
            Team.summarize(&ev),
            "team-lead → frontend-dev [task_assignment]: #2 Order list page (unread)"
        );
        // A renamed copy: the stem still names the owner, but there is no team.
        let ev = one(rec, "backup/x.txt");
        assert_eq!((ev.target.as_deref(), ev.session), (Some("x"), None));
        let ev = one(rec, "-");
        assert_eq!((ev.target, ev.session), (None, None));
    }

    #[test]
    fn plain_text_read_flags_and_times() {
        let ev = one(
            br#"{"from": "qa", "text": "Done.\nAll green", "summary": "All green", "timestamp": "2026-03-02T09:30:00Z", "read": true, "color": "yellow"}"#,
            "inboxes/team-lead.json",
        );
        assert_eq!(ev.status, "text");
        assert_eq!(ev.action, Action::Message { read: Some(true) });
        assert_eq!(ev.session, None, "no directory above inboxes/");
        assert_eq!(Team.summarize(&ev), "qa → team-lead [text]: All green");
        // No read flag: unknown, not unread; an unreadable time: no time, not an error.
        let ev = one(
            br#"{"from": "qa", "text": "hi", "timestamp": "yesterday"}"#,
            "-",
        );
        assert_eq!(ev.action, Action::Message { read: None });
        assert_eq!(ev.ts, None);
        let ev = one(br#"{"from": "qa", "text": "hi", "read": "false"}"#, "-");
        assert_eq!(ev.action, Action::Message { read: Some(false) });
    }

    #[test]
    fn rejections_are_messages_and_failure_types_are_warnings() {
        let ev = one(
            br#"{"from": "backend-dev", "text": "{\"type\":\"shutdown_response\",\"requestId\":\"shutdown-1@backend-dev\",\"approve\":false,\"error\":\"still testing\"}", "timestamp": "2026-03-02T09:40:00Z", "read": false}"#,
            "-",
        );
        assert_eq!(ev.severity, None);
        assert_eq!(ev.status, "shutdown_response");
        assert_eq!(ev.id.as_deref(), Some("shutdown-1@backend-dev"));
        assert!(Team.summarize(&ev).contains("rejected: still testing"));
        let ev = one(
            br#"{"from": "qa", "text": "{\"type\":\"task_failed\",\"taskId\":\"3\",\"error\":\"2 tests fail\"}", "read": true}"#,
            "-",
        );
        assert_eq!(ev.severity, Some(Severity::Warning));
        assert_eq!(ev.category.as_deref(), Some("task_failed"));
        assert_eq!(ev.message.as_deref(), Some("2 tests fail"));
        assert_eq!(ev.action, Action::Message { read: Some(true) });
    }

    #[test]
    fn a_task_reports_its_state_owner_and_team() {
        let rec = br#"{"id": "2", "subject": "Order list page", "description": "d", "activeForm": "Building the order list page", "status": "in_progress", "blocks": [], "blockedBy": ["1"], "owner": "frontend-dev"}"#;
        let ev = one(rec, "c/tasks/api-team/2.json");
        assert_eq!(
            ev.action,
            Action::TaskState {
                done: false,
                started: true
            }
        );
        assert_eq!(ev.id.as_deref(), Some("2"));
        assert_eq!(ev.target.as_deref(), Some("frontend-dev"));
        assert_eq!(ev.session.as_deref(), Some("api-team"));
        assert_eq!(
            (ev.ts, &*ev.kind, &*ev.status),
            (None, "task", "in_progress")
        );
        assert_eq!(
            Team.summarize(&ev),
            "#2 [in_progress] Order list page (frontend-dev)"
        );
        // A numeric id, an empty owner, a time field, a completed task.
        let ev = one(
            br#"{"id": 4, "subject": "s", "status": "completed", "owner": "", "updatedAt": 1772443200000, "createdAt": 1}"#,
            "t/4.json",
        );
        assert_eq!(ev.id.as_deref(), Some("4"));
        assert_eq!(ev.target, None);
        assert_eq!(ev.session, None);
        assert_eq!(ev.ts, Some(1_772_443_200_000_000_000));
        assert_eq!(
            ev.action,
            Action::TaskState {
                done: true,
                started: false
            }
        );
        // No id: the file stem under tasks/<team>/, never elsewhere.
        let rec = br#"{"subject": "s", "status": "pending", "blocks": []}"#;
        assert_eq!(one(rec, "tasks/t/9.json").id.as_deref(), Some("9"));
        assert_eq!(one(rec, "elsewhere/9.json").id, None);
        // A pending task names what it waits on.
        let ev = one(
            br#"{"id": "4", "subject": "s", "status": "pending", "blockedBy": ["3", 2]}"#,
            "-",
        );
        assert_eq!(
            Team.summarize(&ev),
            "#4 [pending] s (unowned), blockedBy #3, #2"
        );
        // A deleted task is off the board; an unknown status is kept as written and is open.
        let ev = one(br#"{"subject": "s", "status": "deleted"}"#, "-");
        assert_eq!(ev.status, "deleted");
        assert_eq!(
            ev.action,
            Action::TaskState {
                done: true,
                started: false
            }
        );
        let ev = one(br#"{"subject": "s", "status": "blocked"}"#, "-");
        assert_eq!(ev.status, "blocked");
        assert_eq!(
            ev.action,
            Action::TaskState {
                done: false,
                started: false
            }
        );
    }

    #[test]
    fn other_objects_are_kept_as_team_unknown_and_bad_records_are_errors() {
        let ev = one(
            br#"{"hello": "world", "timestamp": "2026-03-02T09:00:00Z"}"#,
            "a/inboxes/b.json",
        );
        assert_eq!(ev.kind, "team_unknown");
        assert_eq!(ev.action, Action::Other);
        assert_eq!(ev.session.as_deref(), Some("a"));
        assert!(ev.ts.is_some());
        let ctx = Ctx::default();
        let mut n = 0;
        for bad in [
            &b"{\"from\": \"a\", \"text\": }"[..],
            b"[1, 2]",
            b"{\"from\": \"a\"",
        ] {
            assert!(Team
                .parse(bad, Loc::default(), &ctx, &mut |_| n += 1)
                .is_err());
        }
        assert!(Team
            .parse(b"  \n", Loc::default(), &ctx, &mut |_| n += 1)
            .is_ok());
        assert_eq!(n, 0);
    }

    #[test]
    fn wrong_types_and_duplicate_keys_read_as_absent_or_last() {
        // Wrong-typed fields are absent; the shape still follows from the keys.
        let ev = one(
            br#"{"from": {"x": 1}, "text": 5, "timestamp": ["t"], "read": {"y": true}}"#,
            "-",
        );
        assert_eq!(ev.kind, "message");
        assert_eq!((ev.agent, ev.ts, ev.status.as_ref()), (None, None, "text"));
        assert_eq!(ev.action, Action::Message { read: None });
        // A key given twice: the last value wins.
        let ev = one(
            br#"{"from": "a", "from": "b", "text": "t", "read": true, "read": false}"#,
            "-",
        );
        assert_eq!(ev.agent.as_deref(), Some("b"));
        assert_eq!(ev.action, Action::Message { read: Some(false) });
        // Escaped strings are read too.
        let ev = one(br#"{"from": "caf\u00e9", "text": "x", "read": true}"#, "-");
        assert_eq!(ev.agent.as_deref(), Some("café"));
    }

    #[test]
    fn plain_messages_borrow_from_the_record() {
        let ev = one(
            br#"{"from": "qa", "text": "plain", "timestamp": "2026-03-02T09:30:00Z", "read": true}"#,
            "t/inboxes/lead.json",
        );
        assert!(matches!(ev.agent, Some(Cow::Borrowed(_))));
        assert!(matches!(ev.target, Some(Cow::Borrowed(_))));
        assert!(matches!(ev.status, Cow::Borrowed(_)));
    }

    #[test]
    fn the_sniff_order_gives_team_files_to_this_reader_and_nothing_else() {
        let team: [&[u8]; 4] = [
            CONFIG,
            b"[\n  {\n    \"from\": \"a\",\n    \"text\": \"x\",\n    \"timestamp\": \"2026-03-02T09:00:00Z\",\n    \"read\": true\n  }\n]\n",
            b"\xEF\xBB\xBF  {\"id\": \"1\", \"subject\": \"s\", \"status\": \"pending\", \"blocks\": []}",
            br#"{"from": "a", "text": "{\"tool_name\": \"Bash\"}", "read": false}"#,
        ];
        for h in team {
            assert_eq!(
                crate::format::sniff(h),
                Some(Format::Team),
                "{}",
                String::from_utf8_lossy(h)
            );
        }
        let others: [(&[u8], Option<Format>); 3] = [
            (
                br#"{"session_id": "s", "hook_event_name": "PreToolUse", "tool_name": "TaskCreate", "tool_input": {"subject": "s", "status": "pending", "activeForm": "Doing"}}"#,
                Some(Format::Hook),
            ),
            (
                br#"{"timestamp": "2026-02-09T11:30:12", "change_type": "added", "entity_type": "agent_message", "data": {"from": "a", "text": "b", "read": true}}"#,
                Some(Format::Diff),
            ),
            (
                br#"{"type":"user","message":{"content":[{"type":"text","text":"hi"}]},"timestamp":"2026-02-10T21:11:56.906Z","toolUseResult":{"from":"a","text":"b","read":true}}"#,
                None,
            ),
        ];
        for (h, want) in others {
            let got = crate::format::sniff(h);
            assert_ne!(got, Some(Format::Team), "{}", String::from_utf8_lossy(h));
            if want.is_some() {
                assert_eq!(got, want, "{}", String::from_utf8_lossy(h));
            }
        }
    }

    #[test]
    fn paths() {
        assert_eq!(file_stem("a/b/c.json"), Some("c"));
        assert_eq!(file_stem("-"), None);
        assert_eq!(file_stem(""), None);
        assert_eq!(inbox_team("/h/.claude/teams/t/inboxes/a.json"), Some("t"));
        assert_eq!(inbox_team("t/other/a.json"), None);
        assert_eq!(tasks_team("/h/.claude/tasks/t/1.json"), Some("t"));
        assert_eq!(tasks_team("tasks/1.json"), None);
    }
}
