//! The command line (clap) and its conversion into typed configuration.
//!
//! Owns: every flag, its help, and validation. Must not: run anything. Only this
//! module knows clap; the engine receives a [`Config`].

pub mod time;

use self::time::TimeArg;
use crate::analysis::errors::GroupBy;
use crate::error::{Error, Result};
use crate::model::{Format, Severity};
use crate::render::{OutputFormat, Style};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Forensic queries over multi-agent telemetry: pipe logs, time-machine JSONL, hook JSONL.
#[derive(Debug, Parser)]
#[command(name = "oracle", version, about, max_term_width = 100)]
pub struct Cli {
    /// Output format.
    #[arg(long, short = 'f', global = true, help_heading = GLOBAL, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,
    /// Colour: auto (on a TTY without NO_COLOR), always, never.
    #[arg(long, global = true, help_heading = GLOBAL, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
    /// Worker threads (default: all cores). Output is identical for any value.
    #[arg(long, short = 'j', global = true, help_heading = GLOBAL, value_name = "N")]
    pub threads: Option<usize>,
    /// Force the input format instead of detecting it from content.
    #[arg(long, global = true, help_heading = GLOBAL, value_enum)]
    pub input_format: Option<InputFormatArg>,
    /// Exit with status 2 when any record cannot be read.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub strict: bool,
    /// Count durations in time flags back from the wall clock, not the data's last event.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub now: bool,
    /// Mask API keys, tokens and passwords in the output (any format); the count goes to stderr.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub redact: bool,
    /// Largest record read, e.g. 128MiB (the default), 200M, 1G, 4096: a larger
    /// one is reported as oversized, located, and skipped unparsed.
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "SIZE")]
    pub max_record_size: Option<String>,
    /// Write the accumulator state of the inputs to FILE (`-`: stdout) instead of a
    /// report, for `oracle merge` (docs/fleet.md).
    #[arg(long, global = true, help_heading = FLEET, value_name = "FILE")]
    pub partial: Option<PathBuf>,
    /// With --partial: the fleet-wide rank of this run's first input (its inputs are
    /// numbered from N in the order one machine would read them).
    #[arg(long, global = true, help_heading = FLEET, value_name = "N", value_parser = parse_rank)]
    pub input_rank: Option<u32>,
    /// Count durations in time flags back from TIME (RFC 3339) instead of the data's
    /// last event; `none`: the data holds no timed record (`oracle anchor` prints it).
    #[arg(long, global = true, help_heading = FLEET, value_name = "TIME", conflicts_with = "now")]
    pub anchor: Option<String>,
    /// errors, diffs, replay, audit: after the report, print new records as they are
    /// written (rotation, truncation and new files in a directory followed; docs/follow.md).
    #[arg(long, short = 'F', global = true, help_heading = GLOBAL)]
    pub follow: bool,
    /// With --follow: poll the files (every 250 ms) instead of using inotify
    /// (also ORACLE_FOLLOW_POLL=1). For file systems without inotify, and tests.
    #[arg(long, global = true, hide = true)]
    pub follow_poll: bool,
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The examples section of each subcommand's `--help`.
mod examples {
    macro_rules! with_times {
        ($e:expr) => {
            concat!($e, "\n\n", "Times (--after/--since, --before/--until): RFC 3339 (2026-02-13T14:30:00Z), naive ISO in UTC (2026-02-13T14:30:00), a date (2026-02-13), or a duration back from the data's last event (90s, 10m, 2h, 1d, 1h30m; --now: from the wall clock).")
        };
    }
    pub const DIAGNOSE: &str = "Examples:
  oracle diagnose                         this project's Claude Code sessions (or ./telemetry_data)
  oracle diagnose logs/ --fail-on error   CI gate: exit 1 on an error finding
  oracle diagnose --format json logs/     for programs (schema: oracle schema diagnose)";
    pub const ERRORS: &str = with_times!(
        "Examples:
  oracle errors logs/ --since 10m                the last ten minutes of the data
  oracle errors -s critical,error -a Coder logs/ one agent, two severities
  oracle errors --by message logs/               grouped by message (numbers masked)
  oracle errors --fail-on error --format json .  CI: exit 1 when an error is found
  oracle errors -F ~/.claude/projects/SLUG/      then every new error as it is written
  oracle errors -F --format jsonl -s error .     for agents: one JSON record a line, flushed"
    );
    pub const DIFFS: &str = with_times!(
        "Examples:
  oracle diffs telemetry_data/ -l 20             the 20 newest changes
  oracle diffs --entity-type error --since 1h .  error entities of the last hour
  oracle diffs -F telemetry_data/                then every new change as it is written"
    );
    pub const REPLAY: &str = with_times!(
        "Examples:
  oracle replay logs/ --since 5m          the timeline of the last five minutes (newest N kept)
  oracle replay --at 2026-02-09T11:35:00 telemetry_data/   the state at an instant
  oracle replay -F logs/                  the last five minutes, then live (Ctrl-C stops)"
    );
    pub const QUEUES: &str = with_times!(
        "Examples:
  oracle queues telemetry_data/           pending tasks and reply latency per agent
  oracle queues --pending --format json . every pending task, oldest first"
    );
    pub const COST: &str = with_times!(
        "Examples:
  oracle cost                             this project's sessions, by session
  oracle cost --by model --since 1d       the last day of the data, by model
  oracle cost --all-projects --by project --format json"
    );
    pub const AGENTS: &str = with_times!(
        "Examples:
  oracle agents                           the delegation tree of this project's sessions
  oracle agents --session ID --depth 2    one session, two levels
  oracle agents --format json | jq '.data.nodes[] | select(.status == \"failed\")'"
    );
    pub const AUDIT: &str = with_times!(
        "Examples:
  oracle audit                            this project's sessions, every rule
  oracle audit --rule secret,destructive_command --since 1d   two rules, last day
  oracle audit --allow allow.txt --fail-on warning --format json .   CI gate
  oracle audit -F --format jsonl ~/.claude/projects/SLUG/   new findings as tools are called"
    );
    pub const REPORT: &str = with_times!(
        "Examples:
  oracle report -o report.html                   this project's Claude Code sessions, one page
  oracle report -o run.html logs/ --since 2h     the last two hours of the data
  oracle report -o - logs/ > run.html            the page on stdout (the summary goes to stderr)

The page is self-contained (CSS, script and SVG inline; its Content-Security-Policy forbids every fetch): open it in any browser, offline. Secrets are always masked as --redact masks them (docs/report.md)."
    );
    pub const SCHEMA: &str = "Examples:
  oracle schema errors > errors.schema.json";
    pub const COMPLETIONS: &str = "Examples:
  oracle completions bash > ~/.local/share/bash-completion/completions/oracle
  oracle completions zsh > ~/.zfunc/_oracle";
    pub const MERGE: &str = "Examples:
  oracle queues --partial a.part --input-rank 0 node-a/logs/a.jsonl
  oracle queues --partial b.part --input-rank 1 node-b/logs/b.jsonl
  oracle merge queues a.part b.part       what `oracle queues` over both files prints
  oracle merge --for logs/ diagnose *.part   next commands name logs/ (docs/fleet.md)";
    pub const MAN: &str = "Examples:
  oracle man > ~/.local/share/man/man1/oracle.1";
    pub const SKILL: &str = "Examples:
  oracle skill install              ~/.claude/skills/oracle-monitor/SKILL.md
  oracle skill install --project    ./.claude/skills/oracle-monitor/SKILL.md";
}

/// The help heading of the flags every subcommand takes.
const GLOBAL: &str = "Global options";
/// The help heading of the flags of fleet runs (docs/fleet.md).
const FLEET: &str = "Fleet options";

/// `--input-rank`: a whole number.
fn parse_rank(v: &str) -> std::result::Result<u32, String> {
    v.trim().parse::<u32>().map_err(|_| {
        format!(
            "expected a whole number from 0 to 4294967295 (the rank of the first input), not {v:?}"
        )
    })
}

/// `--limit`: a whole number, 0 or more, with our words when it is not.
fn parse_count(v: &str) -> std::result::Result<usize, String> {
    v.trim()
        .parse::<usize>()
        .map_err(|_| format!("expected a whole number, 0 or more (e.g. 20), not {v:?}"))
}

/// Most memory a compiled `--grep` pattern may take (bytes): a pathological
/// pattern is refused instead of exhausting memory.
pub const GREP_SIZE_LIMIT: usize = 16 << 20;

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Tables for people.
    Table,
    /// One JSON envelope (schema: `oracle schema COMMAND`).
    Json,
    /// One JSON record per line.
    Jsonl,
    /// Alias of `table` (the seed CLI's name).
    Text,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// On a TTY unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// `--input-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormatArg {
    /// Pipe-delimited teamsters/Dante log.
    Pipe,
    /// diff_time_machine.jsonl.
    Diff,
    /// state_time_machine.jsonl.
    State,
    /// Hook JSON (schema A/B, Claude Code hook payloads).
    Hook,
    /// Claude Code session transcript (JSONL).
    Transcript,
    /// Claude Code agent-team config, mailbox or task file.
    Team,
    /// OpenTelemetry OTLP JSON (traces, logs, metrics).
    Otlp,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// One screen that says what is wrong, with ranked findings and next commands.
    #[command(after_help = examples::DIAGNOSE)]
    Diagnose(DiagnoseArgs),
    /// Error-like events across all formats, newest first.
    #[command(after_help = examples::ERRORS)]
    Errors(ErrorsArgs),
    /// Every change or event, newest first.
    #[command(after_help = examples::DIFFS)]
    Diffs(DiffsArgs),
    /// A chronological timeline across all inputs, or the state at an instant.
    #[command(after_help = examples::REPLAY)]
    Replay(ReplayArgs),
    /// Per-agent traffic, pending tasks, reply latency and queue occupancy.
    #[command(after_help = examples::QUEUES)]
    Queues(QueuesArgs),
    /// Tokens and USD by session, agent, model, day or project (one count per API response).
    #[command(after_help = examples::COST)]
    Cost(CostArgs),
    /// The delegation tree: who spawned whom, with own and rolled-up calls, errors, time and cost.
    #[command(after_help = examples::AGENTS)]
    Agents(AgentsArgs),
    /// What agents touched that they should not have: rule findings with evidence (docs/audit.md).
    #[command(after_help = examples::AUDIT)]
    Audit(AuditArgs),
    /// One self-contained HTML page: timeline per agent, delegation tree, findings, cost.
    #[command(after_help = examples::REPORT)]
    Report(ReportArgs),
    /// Print the JSON Schema of a command's `--format json` output.
    #[command(after_help = examples::SCHEMA)]
    Schema(SchemaArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_help = examples::COMPLETIONS)]
    Completions(CompletionsArgs),
    /// Print the man page (roff).
    #[command(after_help = examples::MAN)]
    Man,
    /// Install the bundled Claude Code skill (SKILL.md).
    #[command(after_help = examples::SKILL)]
    Skill(SkillArgs),
    /// Merge partials (`oracle COMMAND --partial FILE`) and print what `oracle COMMAND` over all their inputs prints.
    #[command(after_help = examples::MERGE)]
    Merge(MergeArgs),
    /// Print the time of the data's last event (RFC 3339, nanoseconds), or `none`: the anchor of relative times.
    Anchor(InputArgs),
    /// List the inputs a command would read, in the order it reads them: one JSON object a line.
    Ls(InputArgs),
}

/// `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The paths of the one-machine run this merge stands for (repeatable): repeated in
    /// the suggested next commands, as that run would.
    #[arg(long = "for", value_name = "PATH")]
    pub stands_for: Vec<PathBuf>,
    /// The command and its flags, then the partial files.
    #[command(subcommand)]
    pub command: MergeCommand,
}

/// The commands whose partials `merge` takes (PATH: the partial files).
#[derive(Debug, Subcommand)]
pub enum MergeCommand {
    /// Merge `diagnose` partials (PATH: the partial files; the flags: those of the partial runs).
    Diagnose(DiagnoseArgs),
    /// Merge `errors` partials (PATH: the partial files; the flags: those of the partial runs).
    Errors(ErrorsArgs),
    /// Merge `diffs` partials (not --unfinished; PATH: the partial files).
    Diffs(DiffsArgs),
    /// Merge `replay` partials (PATH: the partial files; the flags: those of the partial runs).
    Replay(ReplayArgs),
    /// Merge `queues` partials (PATH: the partial files; the flags: those of the partial runs).
    Queues(QueuesArgs),
    /// Merge `cost` partials (PATH: the partial files; the flags: those of the partial runs).
    Cost(CostArgs),
    /// Merge `agents` partials (PATH: the partial files; the flags: those of the partial runs).
    Agents(AgentsArgs),
    /// Merge `audit` partials (PATH: the partial files; the flags: those of the partial runs).
    Audit(AuditArgs),
}

impl From<MergeCommand> for Command {
    fn from(m: MergeCommand) -> Command {
        match m {
            MergeCommand::Diagnose(a) => Command::Diagnose(a),
            MergeCommand::Errors(a) => Command::Errors(a),
            MergeCommand::Diffs(a) => Command::Diffs(a),
            MergeCommand::Replay(a) => Command::Replay(a),
            MergeCommand::Queues(a) => Command::Queues(a),
            MergeCommand::Cost(a) => Command::Cost(a),
            MergeCommand::Agents(a) => Command::Agents(a),
            MergeCommand::Audit(a) => Command::Audit(a),
        }
    }
}

/// `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `skill`.
#[derive(Debug, Args)]
pub struct SkillArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: SkillAction,
}

/// `skill` actions.
#[derive(Debug, Subcommand)]
pub enum SkillAction {
    /// Write SKILL.md to ~/.claude/skills/oracle-monitor/ (or --project, --dir).
    Install {
        /// Into ./.claude/skills/oracle-monitor/ of the current directory.
        #[arg(long, conflicts_with = "dir")]
        project: bool,
        /// Into DIR/oracle-monitor/.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// Inputs shared by every subcommand.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Files or directories (walked; telemetry files picked by content); `-` is stdin.
    /// Default: $TELEMETRY_DATA_DIR, else ./telemetry_data, else ./.claude/telemetry-*.log,
    /// else this project's Claude Code sessions, teams and tasks ($CLAUDE_CONFIG_DIR, else ~/.claude).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// With no PATH: read every Claude Code project, team and task folder.
    #[arg(long, conflicts_with = "paths")]
    pub all_projects: bool,
    /// Follow symbolic links met while walking directories (never followed by default).
    #[arg(long)]
    pub follow_links: bool,
}

/// Time window flags.
#[derive(Debug, Args)]
pub struct TimeArgs {
    /// Only events at or after this time (RFC 3339, naive ISO UTC, a date, or 10m/2h/1d back from the last event).
    #[arg(long, visible_alias = "since", value_name = "TIME")]
    pub after: Option<String>,
    /// Only events at or before this time (same forms as --after).
    #[arg(long, visible_alias = "until", value_name = "TIME")]
    pub before: Option<String>,
}

/// `diagnose`.
#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// Exit with status 1 when a finding at or above this severity exists.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
    /// Pending tasks at least this old are reported as stuck (a duration).
    #[arg(long, default_value = "60s", value_name = "DURATION")]
    pub stuck_after: String,
    /// Input paths.
    #[command(flatten)]
    pub input: InputArgs,
}

/// `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Critical findings.
    Critical,
    /// Error or critical findings.
    Error,
    /// Warning, error or critical findings.
    Warning,
}

impl FailOn {
    /// The lowest severity that fails.
    pub fn severity(self) -> Severity {
        match self {
            FailOn::Critical => Severity::Critical,
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
        }
    }
}

/// `errors`.
#[derive(Debug, Args)]
pub struct ErrorsArgs {
    /// Only these severities (comma-separated or repeated): critical, error, warning, info.
    #[arg(
        long,
        short = 's',
        value_enum,
        value_delimiter = ',',
        value_name = "SEVERITY"
    )]
    pub severity: Vec<SeverityArg>,
    /// Only this agent (exact, case-insensitive).
    #[arg(long, short = 'a', value_name = "NAME")]
    pub agent: Option<String>,
    /// Only this category (exact, case-insensitive), e.g. llm_error, tool_error, lifecycle, test.
    #[arg(long, value_name = "NAME")]
    pub category: Option<String>,
    /// Only messages matching this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub grep: Option<String>,
    /// Time window.
    #[command(flatten)]
    pub time: TimeArgs,
    /// Most events (or groups) to show.
    #[arg(long, short = 'l', default_value_t = 30, value_name = "N", allow_negative_numbers = true, value_parser = parse_count)]
    pub limit: usize,
    /// Group and count instead of listing.
    #[arg(long, value_enum)]
    pub by: Option<ByArg>,
    /// Exit with status 1 when a matching event at or above this severity exists.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
    /// Input paths.
    #[command(flatten)]
    pub input: InputArgs,
}

/// `--severity` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    /// Critical.
    Critical,
    /// Error.
    Error,
    /// Warning.
    Warning,
    /// Info.
    Info,
}

/// `--by` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ByArg {
    /// The emitting agent.
    Agent,
    /// The category.
    Category,
    /// The message, numbers and ids masked.
    Message,
}

/// `diffs`.
#[derive(Debug, Args)]
pub struct DiffsArgs {
    /// Only this entity type (time machine), event type (pipe, hook) or status / message type / hook event, exactly.
    #[arg(long, short = 'e', value_name = "TYPE")]
    pub entity_type: Option<String>,
    /// Only tool calls that started and never got a result (the calls diagnose counts).
    #[arg(long)]
    pub unfinished: bool,
    /// Time window.
    #[command(flatten)]
    pub time: TimeArgs,
    /// Most events to show.
    #[arg(long, short = 'l', default_value_t = 50, value_name = "N", allow_negative_numbers = true, value_parser = parse_count)]
    pub limit: usize,
    /// Input paths.
    #[command(flatten)]
    pub input: InputArgs,
}

/// `replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Window length in minutes, ending at the data's last event (or now with --now).
    #[arg(long, short = 'm', default_value_t = 5.0, value_name = "MINUTES")]
    pub minutes: f64,
    /// Time window.
    #[command(flatten)]
    pub time: TimeArgs,
    /// Reconstruct the state at this instant: last snapshot at or before it plus the changes after it.
    #[arg(long, value_name = "TIME", conflicts_with_all = ["after", "before"])]
    pub at: Option<String>,
    /// Most events to show (oldest first).
    #[arg(long, short = 'l', default_value_t = 100, value_name = "N", allow_negative_numbers = true, value_parser = parse_count)]
    pub limit: usize,
    /// Input paths.
    #[command(flatten)]
    pub input: InputArgs,
}

/// `queues`.
#[derive(Debug, Args)]
pub struct QueuesArgs {
    /// List the pending tasks themselves.
    #[arg(long)]
    pub pending: bool,
    /// Input paths.
    #[command(flatten)]
    pub input: InputArgs,
}

/// `cost`.
#[derive(Debug, Args)]
pub struct CostArgs {
    /// Group by.
    #[arg(long, value_enum, default_value_t = CostByArg::Session)]
    pub by: CostByArg,
    /// Time window.
    #[command(flatten)]
    pub time: TimeArgs,
    /// A price table to use instead of the bundled one (JSON, the format of data/prices.json).
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// Input paths.
    #[command(flatten)]
    pub input: InputArgs,
}

/// `agents`.
#[derive(Debug, Args)]
pub struct AgentsArgs {
    /// Only the trees rooted at this session or agent id (repeatable).
    #[arg(long, value_name = "ID")]
    pub session: Vec<String>,
    /// Deepest level to list (0 = roots only); totals still cover the whole tree.
    #[arg(long, value_name = "N")]
    pub depth: Option<usize>,
    /// Time window.
    #[command(flatten)]
    pub time: TimeArgs,
    /// A price table to use instead of the bundled one.
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// Input paths.
    #[command(flatten)]
    pub input: InputArgs,
}

/// `audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only these rules (comma-separated or repeated): outside_project, sensitive_path, secret,
    /// destructive_command, remote_code, privilege_escalation, permission_bypass, guardrail_tamper,
    /// network_egress.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub rule: Vec<String>,
    /// Leave out these rules (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub exclude_rule: Vec<String>,
    /// Paths, hosts and commands the team accepts: lines `path GLOB`, `host NAME`, `command PREFIX`.
    #[arg(long, value_name = "FILE")]
    pub allow: Option<PathBuf>,
    /// Exit with status 1 when a finding at or above this severity exists (for CI).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
    /// Only this session (exact id; repeatable).
    #[arg(long, value_name = "ID")]
    pub session: Vec<String>,
    /// Time window.
    #[command(flatten)]
    pub time: TimeArgs,
    /// Most findings to list (0: all); totals always cover every finding.
    #[arg(long, short = 'l', default_value_t = crate::analysis::audit::DEFAULT_LIMIT, value_name = "N")]
    pub limit: usize,
    /// Input paths.
    #[command(flatten)]
    pub input: InputArgs,
}

/// `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Where to write the page (`-`: stdout). A file is written beside itself
    /// under a temporary name, then renamed, so a reader never sees half a page.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// Time window.
    #[command(flatten)]
    pub time: TimeArgs,
    /// A price table to use instead of the bundled one.
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// Input paths.
    #[command(flatten)]
    pub input: InputArgs,
}

/// Where `report` writes its page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportOutput {
    /// Standard output (`--output -`).
    Stdout,
    /// A file, written atomically (temporary file, then rename).
    File(PathBuf),
}

/// `cost --by` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CostByArg {
    /// Session (a transcript with its subagents).
    Session,
    /// Agent within its session.
    Agent,
    /// Model.
    Model,
    /// UTC day.
    Day,
    /// Project folder.
    Project,
}

/// `schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The command whose output schema to print.
    #[arg(value_enum)]
    pub command: SchemaTarget,
}

/// Commands with a JSON output schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaTarget {
    /// diagnose.
    Diagnose,
    /// errors.
    Errors,
    /// diffs.
    Diffs,
    /// replay.
    Replay,
    /// queues.
    Queues,
    /// cost.
    Cost,
    /// agents.
    Agents,
    /// audit.
    Audit,
}

impl SchemaTarget {
    /// The command's name.
    pub fn name(self) -> &'static str {
        match self {
            SchemaTarget::Diagnose => "diagnose",
            SchemaTarget::Errors => "errors",
            SchemaTarget::Diffs => "diffs",
            SchemaTarget::Replay => "replay",
            SchemaTarget::Queues => "queues",
            SchemaTarget::Cost => "cost",
            SchemaTarget::Agents => "agents",
            SchemaTarget::Audit => "audit",
        }
    }
}

/// A time window before anchoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeWindow {
    /// `--after`.
    pub after: Option<TimeArg>,
    /// `--before`.
    pub before: Option<TimeArg>,
}

impl TimeWindow {
    fn parse(t: &TimeArgs) -> Result<TimeWindow> {
        Ok(TimeWindow {
            after: t
                .after
                .as_deref()
                .map(|v| time::parse("--after", v))
                .transpose()?,
            before: t
                .before
                .as_deref()
                .map(|v| time::parse("--before", v))
                .transpose()?,
        })
    }
    /// True when a bound is a duration (needs the anchor).
    pub fn relative(&self) -> bool {
        matches!(self.after, Some(TimeArg::Ago(_))) || matches!(self.before, Some(TimeArg::Ago(_)))
    }
}

/// A subcommand's typed configuration.
#[derive(Debug, Clone)]
pub enum Job {
    /// `diagnose`.
    Diagnose {
        /// `--fail-on`.
        fail_on: Option<Severity>,
        /// `--stuck-after`, ms.
        stuck_after_ms: i64,
    },
    /// `errors`.
    Errors {
        /// Severities.
        severities: Vec<Severity>,
        /// Agent.
        agent: Option<String>,
        /// Category.
        category: Option<String>,
        /// Regex.
        grep: Option<regex::Regex>,
        /// Window.
        window: TimeWindow,
        /// Limit.
        limit: usize,
        /// Grouping.
        by: Option<GroupBy>,
        /// `--fail-on`.
        fail_on: Option<Severity>,
    },
    /// `diffs`.
    Diffs {
        /// Type filter.
        entity_type: Option<String>,
        /// Only unfinished tool calls.
        unfinished: bool,
        /// Window.
        window: TimeWindow,
        /// Limit.
        limit: usize,
    },
    /// `replay`.
    Replay {
        /// Window (defaults to the last `minutes`).
        window: TimeWindow,
        /// `--at`.
        at: Option<TimeArg>,
        /// Limit.
        limit: usize,
    },
    /// `queues`.
    Queues {
        /// `--pending`.
        pending: bool,
    },
    /// `cost`.
    Cost {
        /// Grouping.
        by: crate::analysis::cost::CostBy,
        /// Window.
        window: TimeWindow,
        /// `--prices`.
        prices: Option<PathBuf>,
    },
    /// `report`.
    Report {
        /// `--output`.
        output: ReportOutput,
        /// Window.
        window: TimeWindow,
        /// `--prices`.
        prices: Option<PathBuf>,
    },
    /// `agents`.
    Agents {
        /// `--session`.
        sessions: Vec<String>,
        /// `--depth`.
        depth: Option<usize>,
        /// Window.
        window: TimeWindow,
        /// `--prices`.
        prices: Option<PathBuf>,
    },
    /// `audit`.
    Audit {
        /// Rules on, in rule order.
        rules: Vec<crate::analysis::audit::rules::Rule>,
        /// `--session`.
        sessions: Vec<String>,
        /// Window.
        window: TimeWindow,
        /// `--allow` file.
        allow: Option<PathBuf>,
        /// `--limit`.
        limit: usize,
        /// `--fail-on`.
        fail_on: Option<Severity>,
    },
    /// `schema`.
    Schema(SchemaTarget),
    /// Print these bytes (completions, man page).
    Print(Vec<u8>),
    /// Write the bundled SKILL.md into this folder.
    InstallSkill(PathBuf),
    /// `anchor`: print the data's last event time.
    Anchor,
    /// `ls`: list the inputs.
    Ls,
}

/// How a command's accumulators are obtained and where they go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Mode {
    /// Scan the inputs and print the report.
    #[default]
    Report,
    /// `--partial FILE`: scan and write the accumulator state.
    Partial {
        /// Where (`-`: stdout).
        out: PathBuf,
        /// `--input-rank`: the number of the first input.
        rank: u32,
    },
    /// `merge`: the paths are partial files; print the report (or, with
    /// `--partial`, write the merged partial).
    Merge {
        /// `--for`: the paths the one-machine run names.
        stands_for: Vec<PathBuf>,
        /// `--partial`: write the merged state here instead of a report.
        out: Option<PathBuf>,
    },
}

/// `--anchor`: the instant durations count back from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The data holds no timed record (durations bound nothing).
    None,
    /// UTC nanoseconds.
    At(crate::model::Nanos),
}

/// Everything a run needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The job.
    pub job: Job,
    /// Input paths as given (empty: default locations).
    pub paths: Vec<PathBuf>,
    /// With no paths: every Claude Code project (`--all-projects`).
    pub all_projects: bool,
    /// `--follow-links`.
    pub follow_links: bool,
    /// Forced input format.
    pub input_format: Option<Format>,
    /// Output format.
    pub output: OutputFormat,
    /// Table style.
    pub style: Style,
    /// Worker threads (`None`: all cores).
    pub threads: Option<usize>,
    /// `--strict`.
    pub strict: bool,
    /// Anchor durations on the wall clock.
    pub now: bool,
    /// Mask secrets in the output.
    pub redact: bool,
    /// `--max-record-size`, bytes.
    pub max_record_bytes: usize,
    /// Report, partial or merge.
    pub mode: Mode,
    /// `--anchor`.
    pub anchor: Option<Anchor>,
    /// `--follow`: keep printing new records after the report.
    pub follow: Option<crate::follow::FollowConfig>,
}

impl Config {
    /// A configuration that only prints `bytes`.
    fn print(bytes: Vec<u8>) -> Config {
        Config {
            job: Job::Print(bytes),
            paths: Vec::new(),
            all_projects: false,
            follow_links: false,
            input_format: None,
            output: OutputFormat::Table,
            style: Style {
                color: false,
                width: 80,
            },
            threads: None,
            strict: false,
            now: false,
            redact: false,
            max_record_bytes: crate::format::DEFAULT_MAX_RECORD_BYTES,
            mode: Mode::Report,
            anchor: None,
            follow: None,
        }
    }
}

/// Reads a `--max-record-size` value: bytes, or a number with `K`, `M` or `G`
/// (binary units: `KiB`, `MiB`, `GiB` and `KB`, `MB`, `GB` mean the same), from
/// 1 KiB to 64 GiB.
///
/// Errors: [`Error::BadArg`] naming the flag and the accepted forms.
pub fn parse_size(s: &str) -> Result<usize> {
    let bad = |reason: &str| Error::BadArg {
        flag: "--max-record-size",
        value: s.to_string(),
        reason: reason.to_string(),
        accepted: "bytes from 1KiB to 64GiB: 4096, 512K, 64MiB, 200M, 1G",
    };
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: u64 = num.parse().map_err(|_| bad("not a size"))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(bad("unknown unit")),
    };
    let bytes = n.checked_mul(scale).ok_or_else(|| bad("too large"))?;
    if !(1 << 10..=64 << 30).contains(&bytes) {
        return Err(bad("out of range"));
    }
    usize::try_from(bytes).map_err(|_| bad("too large for this machine"))
}

impl Cli {
    /// The clap command. The subcommands that read no telemetry (`schema`,
    /// `completions`, `man`, `skill`) accept the global flags and ignore them,
    /// so their help leaves them out: each gets hidden copies before clap
    /// propagates the globals (it skips an id a subcommand already has).
    pub fn clap_command() -> clap::Command {
        // `--version` also names the JSON scanners' vector backend, as
        // `rg --version` names its SIMD features.
        static LONG_VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let long = LONG_VERSION.get_or_init(|| {
            format!(
                "{} (JSON scanners: {})",
                env!("CARGO_PKG_VERSION"),
                crate::format::lazy::simd_backend()
            )
        });
        let mut cmd = <Cli as clap::CommandFactory>::command().long_version(long.as_str());
        let globals: Vec<clap::Arg> = cmd
            .get_arguments()
            .filter(|a| a.is_global_set())
            .cloned()
            .collect();
        for name in ["schema", "completions", "man", "skill"] {
            cmd = cmd.mut_subcommand(name, |sub| {
                globals
                    .iter()
                    .fold(sub, |sub, a| sub.arg(a.clone().hide(true)))
            });
        }
        cmd
    }

    /// Parses `args` (the program name first) with [`Cli::clap_command`].
    fn try_parse_with<T: Into<std::ffi::OsString> + Clone>(
        args: &[T],
    ) -> std::result::Result<Cli, clap::Error> {
        let mut m = Cli::clap_command().try_get_matches_from(args.iter().cloned())?;
        <Cli as clap::FromArgMatches>::from_arg_matches_mut(&mut m)
    }

    /// Parses an argument vector (the program name first), as
    /// `Cli::try_parse_from`, except that clap's error messages, which echo the
    /// offending argument, echo it escaped as data is escaped
    /// ([`crate::render::escape`]): `--format $'\e[2J\a'` cannot clear the
    /// terminal. The arguments that parse are never altered.
    ///
    /// Errors: clap's error (usage, unknown flag, bad value; also `--help` and
    /// `--version`, which clap reports as errors that go to stdout).
    pub fn parse_args(args: Vec<std::ffi::OsString>) -> std::result::Result<Cli, clap::Error> {
        let err = match Cli::try_parse_with(&args) {
            Ok(cli) => return Ok(cli),
            Err(e) => e,
        };
        let escaped: Vec<String> = args
            .iter()
            .map(|a| crate::render::escape(&a.to_string_lossy()).into_owned())
            .collect();
        let unsafe_arg = args
            .iter()
            .zip(&escaped)
            .any(|(a, e)| a.to_str() != Some(e));
        if !err.use_stderr() || !unsafe_arg {
            return Err(err);
        }
        // The same arguments, escaped, fail in the same place and say so safely.
        match Cli::try_parse_with(&escaped) {
            Err(e) if e.kind() == err.kind() => Err(e),
            // Escaping changed the outcome: say what failed, in our words.
            _ => Err(clap::Error::raw(
                err.kind(),
                format!(
                    "{}\n",
                    crate::render::escape(err.to_string().trim_end())
                        .replace("\\n", "\n")
                        .trim_start_matches("error: ")
                ),
            )
            .with_cmd(&Cli::clap_command())),
        }
    }

    /// Validates and converts the parsed flags.
    ///
    /// Errors: [`Error::BadArg`] for values clap cannot check (times, regexes,
    /// thread counts), naming the flag and the accepted forms.
    pub fn into_config(mut self) -> Result<Config> {
        let mode = match (self.command, self.partial.take()) {
            (Command::Merge(m), out) => {
                self.command = m.command.into();
                Mode::Merge {
                    stands_for: m.stands_for,
                    out,
                }
            }
            (c, Some(out)) => {
                self.command = c;
                if !matches!(
                    self.command,
                    Command::Diagnose(_)
                        | Command::Errors(_)
                        | Command::Diffs(_)
                        | Command::Replay(_)
                        | Command::Queues(_)
                        | Command::Cost(_)
                        | Command::Agents(_)
                        | Command::Audit(_)
                ) {
                    return Err(Error::BadArg {
                        flag: "--partial",
                        value: out.display().to_string(),
                        reason: "this subcommand has no accumulator to write".into(),
                        accepted: "--partial with diagnose, errors, diffs, replay, queues, cost, agents or audit",
                    });
                }
                Mode::Partial {
                    out,
                    rank: self.input_rank.unwrap_or(0),
                }
            }
            (c, None) => {
                self.command = c;
                Mode::Report
            }
        };
        if let (Some(r), Mode::Report) = (self.input_rank, &mode) {
            return Err(Error::BadArg {
                flag: "--input-rank",
                value: r.to_string(),
                reason: "only numbers the inputs of a --partial run".into(),
                accepted: "--input-rank N together with --partial FILE",
            });
        }
        if self.follow && !matches!(mode, Mode::Report) {
            return Err(Error::BadArg {
                flag: "--follow",
                value: "--partial/merge".into(),
                reason: "a partial or a merge is the state of a finished scan; it cannot follow"
                    .into(),
                accepted: "--follow on one machine, without --partial and outside oracle merge",
            });
        }
        if let (Command::Diffs(d), Mode::Partial { .. } | Mode::Merge { .. }) =
            (&self.command, &mode)
        {
            if d.unfinished {
                return Err(Error::BadArg {
                    flag: "--unfinished",
                    value: "--partial/merge".into(),
                    reason: "needs a first pass over every input (the calls never ended fleet-wide), which partials cannot give".into(),
                    accepted: "diffs --unfinished on one machine; partials of diffs without it",
                });
            }
        }
        let anchor = match self.anchor.as_deref().map(str::trim) {
            None => None,
            Some("none") => Some(Anchor::None),
            Some(v) => match time::parse("--anchor", v)? {
                TimeArg::At(t) => Some(Anchor::At(t)),
                TimeArg::Ago(_) => {
                    return Err(Error::BadArg {
                        flag: "--anchor",
                        value: v.to_string(),
                        reason: "a duration needs an anchor itself".into(),
                        accepted: "an instant (RFC 3339, as `oracle anchor` prints it) or `none`",
                    })
                }
            },
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let max_threads = (cores * 8).max(64);
        match self.threads {
            Some(0) => {
                return Err(Error::BadArg {
                    flag: "--threads",
                    value: "0".into(),
                    reason: "must be at least 1".into(),
                    accepted: "a whole number from 1 up (default: all cores)",
                })
            }
            Some(n) if n > max_threads => {
                return Err(Error::BadArg {
                    flag: "--threads",
                    value: n.to_string(),
                    reason: format!(
                        "more than {max_threads} (8 per core, at least 64) only adds overhead"
                    ),
                    accepted: "a whole number from 1 to 8 per core (default: all cores)",
                })
            }
            _ => {}
        }
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match self.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => {
                !no_color
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
                    && std::io::stdout().is_terminal()
            }
        };
        // A terminal's width, else `COLUMNS`; otherwise (a pipe, as Claude Code
        // and CI read it) nothing is ever cut.
        let columns = || std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok());
        let width = match terminal_size::terminal_size() {
            Some((w, _)) if w.0 > 0 => w.0 as usize,
            // A terminal that does not say its size: COLUMNS, else 80.
            _ if std::io::stdout().is_terminal() => columns().unwrap_or(80),
            _ => columns().unwrap_or(usize::MAX / 4),
        };
        let (job, paths) = match self.command {
            Command::Diagnose(a) => {
                let stuck =
                    humantime::parse_duration(&a.stuck_after).map_err(|e| Error::BadArg {
                        flag: "--stuck-after",
                        value: a.stuck_after.clone(),
                        reason: e.to_string(),
                        accepted: "a duration: 30s, 5m, 1h",
                    })?;
                let stuck_after_ms = i64::try_from(stuck.as_millis())
                    .ok()
                    .filter(|ms| *ms <= i64::MAX / 1_000_000)
                    .ok_or_else(|| Error::BadArg {
                        flag: "--stuck-after",
                        value: a.stuck_after.clone(),
                        reason: "longer than oracle can measure (about 292 years)".into(),
                        accepted: "a duration: 30s, 5m, 1h",
                    })?;
                (
                    Job::Diagnose {
                        fail_on: a.fail_on.map(FailOn::severity),
                        stuck_after_ms,
                    },
                    a.input,
                )
            }
            Command::Errors(a) => {
                let grep = a
                    .grep
                    .as_deref()
                    .map(|g| {
                        regex::RegexBuilder::new(g)
                            .case_insensitive(true)
                            .size_limit(GREP_SIZE_LIMIT)
                            .dfa_size_limit(GREP_SIZE_LIMIT)
                            .build()
                            .map_err(|e| Error::BadArg {
                            flag: "--grep",
                            value: g.to_string(),
                            reason: e.to_string(),
                            accepted: "a regular expression (Rust regex syntax), matched case-insensitively",
                        })
                    })
                    .transpose()?;
                let mut severities: Vec<Severity> = a
                    .severity
                    .iter()
                    .map(|s| match s {
                        SeverityArg::Critical => Severity::Critical,
                        SeverityArg::Error => Severity::Error,
                        SeverityArg::Warning => Severity::Warning,
                        SeverityArg::Info => Severity::Info,
                    })
                    .collect();
                severities.sort_unstable_by(|a, b| b.cmp(a));
                severities.dedup();
                (
                    Job::Errors {
                        severities,
                        agent: a.agent,
                        category: a.category,
                        grep,
                        window: TimeWindow::parse(&a.time)?,
                        limit: a.limit,
                        by: a.by.map(|b| match b {
                            ByArg::Agent => GroupBy::Agent,
                            ByArg::Category => GroupBy::Category,
                            ByArg::Message => GroupBy::Message,
                        }),
                        fail_on: a.fail_on.map(FailOn::severity),
                    },
                    a.input,
                )
            }
            Command::Diffs(a) => (
                Job::Diffs {
                    entity_type: a.entity_type,
                    unfinished: a.unfinished,
                    window: TimeWindow::parse(&a.time)?,
                    limit: a.limit,
                },
                a.input,
            ),
            Command::Replay(a) => {
                if !(a.minutes.is_finite() && a.minutes > 0.0) {
                    return Err(Error::BadArg {
                        flag: "--minutes",
                        value: a.minutes.to_string(),
                        reason: "must be a positive number".into(),
                        accepted: "minutes as a positive number, e.g. 5 or 0.5",
                    });
                }
                let mut window = TimeWindow::parse(&a.time)?;
                if window == TimeWindow::default() {
                    window.after = Some(TimeArg::Ago((a.minutes * 60e9) as i64));
                    // Following: the window stays open at the end.
                    window.before = (!self.follow).then_some(TimeArg::Ago(0));
                }
                (
                    Job::Replay {
                        window,
                        at: a
                            .at
                            .as_deref()
                            .map(|v| time::parse("--at", v))
                            .transpose()?,
                        limit: a.limit,
                    },
                    a.input,
                )
            }
            Command::Queues(a) => (Job::Queues { pending: a.pending }, a.input),
            Command::Agents(a) => (
                Job::Agents {
                    sessions: a.session,
                    depth: a.depth,
                    window: TimeWindow::parse(&a.time)?,
                    prices: a.prices,
                },
                a.input,
            ),
            Command::Report(a) => (
                Job::Report {
                    output: if a.output.as_os_str() == "-" {
                        ReportOutput::Stdout
                    } else {
                        ReportOutput::File(a.output)
                    },
                    window: TimeWindow::parse(&a.time)?,
                    prices: a.prices,
                },
                a.input,
            ),
            Command::Audit(a) => (
                Job::Audit {
                    rules: audit_rules(&a.rule, &a.exclude_rule)?,
                    sessions: a.session,
                    window: TimeWindow::parse(&a.time)?,
                    allow: a.allow,
                    limit: a.limit,
                    fail_on: a.fail_on.map(FailOn::severity),
                },
                a.input,
            ),
            Command::Cost(a) => {
                use crate::analysis::cost::CostBy;
                (
                    Job::Cost {
                        by: match a.by {
                            CostByArg::Session => CostBy::Session,
                            CostByArg::Agent => CostBy::Agent,
                            CostByArg::Model => CostBy::Model,
                            CostByArg::Day => CostBy::Day,
                            CostByArg::Project => CostBy::Project,
                        },
                        window: TimeWindow::parse(&a.time)?,
                        prices: a.prices,
                    },
                    a.input,
                )
            }
            Command::Completions(a) => {
                let mut cmd = Cli::clap_command();
                let mut buf = Vec::new();
                clap_complete::generate(a.shell, &mut cmd, "oracle", &mut buf);
                return Ok(Config::print(buf));
            }
            Command::Man => {
                let cmd = Cli::clap_command();
                let mut buf = Vec::new();
                clap_mangen::Man::new(cmd)
                    .render(&mut buf)
                    .map_err(crate::error::Error::Output)?;
                return Ok(Config::print(buf));
            }
            Command::Skill(SkillArgs {
                action: SkillAction::Install { project, dir },
            }) => {
                let target = match (dir, project) {
                    (Some(d), _) => d.join("oracle-monitor"),
                    (None, true) => PathBuf::from(".claude/skills/oracle-monitor"),
                    (None, false) => {
                        let home = std::env::var_os("HOME")
                            .filter(|h| !h.is_empty())
                            .ok_or_else(|| Error::BadArg {
                                flag: "skill install",
                                value: "$HOME".into(),
                                reason: "HOME is not set".into(),
                                accepted: "--project, or --dir DIR",
                            })?;
                        PathBuf::from(home).join(".claude/skills/oracle-monitor")
                    }
                };
                return Ok(Config {
                    job: Job::InstallSkill(target),
                    ..Config::print(Vec::new())
                });
            }
            Command::Merge(_) => unreachable!("unwrapped above"),
            Command::Anchor(a) => (Job::Anchor, a),
            Command::Ls(a) => (Job::Ls, a),
            Command::Schema(a) => (
                Job::Schema(a.command),
                InputArgs {
                    paths: Vec::new(),
                    all_projects: false,
                    follow_links: false,
                },
            ),
        };
        let InputArgs {
            paths,
            all_projects,
            follow_links,
        } = paths;
        let output = match self.format {
            FormatArg::Table | FormatArg::Text => OutputFormat::Table,
            FormatArg::Json => OutputFormat::Json,
            FormatArg::Jsonl => OutputFormat::Jsonl,
        };
        let follow = if self.follow {
            check_follow(&job, &paths, output)?;
            let env_poll =
                std::env::var_os("ORACLE_FOLLOW_POLL").is_some_and(|v| !v.is_empty() && v != "0");
            Some(crate::follow::FollowConfig {
                poll: self.follow_poll || env_poll,
                ..crate::follow::FollowConfig::default()
            })
        } else {
            None
        };
        Ok(Config {
            job,
            paths,
            all_projects,
            follow_links,
            input_format: self.input_format.map(|f| match f {
                InputFormatArg::Pipe => Format::Pipe,
                InputFormatArg::Diff => Format::Diff,
                InputFormatArg::State => Format::State,
                InputFormatArg::Hook => Format::Hook,
                InputFormatArg::Transcript => Format::Transcript,
                InputFormatArg::Team => Format::Team,
                InputFormatArg::Otlp => Format::Otlp,
            }),
            output,
            style: Style { color, width },
            follow,
            threads: self.threads,
            strict: self.strict,
            now: self.now,
            redact: self.redact,
            max_record_bytes: match &self.max_record_size {
                Some(v) => parse_size(v)?,
                None => crate::format::DEFAULT_MAX_RECORD_BYTES,
            },
            mode,
            anchor,
        })
    }
}

/// Refuses `--follow` where it cannot mean anything: a command that does not
/// list records as they come, a whole-data summary (`--by`, `--unfinished`,
/// `--at`, `--fail-on`), a window closed at the end (`--before`), stdin, or
/// `--format json` (one document; use `jsonl`).
///
/// Errors: [`Error::BadArg`] naming `--follow` and what it does not go with.
fn check_follow(job: &Job, paths: &[PathBuf], output: OutputFormat) -> Result<()> {
    let refuse = |value: &str, reason: &str| {
        Err(Error::BadArg {
            flag: "--follow",
            value: value.to_string(),
            reason: reason.to_string(),
            accepted:
                "oracle errors|diffs|replay|audit -F [--format table|jsonl] [--after T] [PATH]...",
        })
    };
    let (window, whole) = match job {
        Job::Errors {
            window,
            by,
            fail_on,
            ..
        } => (window, [by.map(|_| "--by"), fail_on.map(|_| "--fail-on")]),
        Job::Diffs {
            window, unfinished, ..
        } => (window, [unfinished.then_some("--unfinished"), None]),
        Job::Replay { window, at, .. } => (window, [at.map(|_| "--at"), None]),
        Job::Audit {
            window, fail_on, ..
        } => (window, [fail_on.map(|_| "--fail-on"), None]),
        other => {
            let name = match other {
                Job::Diagnose { .. } => "diagnose",
                Job::Queues { .. } => "queues",
                Job::Cost { .. } => "cost",
                Job::Agents { .. } => "agents",
                _ => "this command",
            };
            return refuse(
                name,
                &format!("{name} does not follow; only errors, diffs, replay and audit do"),
            );
        }
    };
    if let Some(flag) = whole.into_iter().flatten().next() {
        return refuse(
            flag,
            &format!("{flag} sums up the whole data, which never ends while following; drop one of the two"),
        );
    }
    if window.before.is_some() {
        return refuse(
            "--before",
            "--before closes the window, so nothing new could ever be printed; drop one of the two",
        );
    }
    if paths.iter().any(|p| p.as_os_str() == "-") {
        return refuse(
            "-",
            "stdin is read once and cannot be followed; name the files",
        );
    }
    if output == OutputFormat::Json {
        return refuse(
            "--format json",
            "one JSON document cannot grow; use --format jsonl (one record a line)",
        );
    }
    Ok(())
}

/// The rules `--rule` and `--exclude-rule` leave on, in rule order.
///
/// Errors: an unknown id, naming the flag and listing the accepted ids.
fn audit_rules(
    only: &[String],
    except: &[String],
) -> Result<Vec<crate::analysis::audit::rules::Rule>> {
    use crate::analysis::audit::rules::{Rule, RULE_IDS};
    let read = |flag: &'static str, ids: &[String]| -> Result<Vec<Rule>> {
        ids.iter()
            .map(|id| id.trim())
            .filter(|id| !id.is_empty())
            .map(|id| {
                Rule::from_id(id).ok_or_else(|| Error::BadArg {
                    flag,
                    value: id.to_string(),
                    reason: "no such rule".into(),
                    accepted: RULE_IDS,
                })
            })
            .collect()
    };
    let only = read("--rule", only)?;
    let except = read("--exclude-rule", except)?;
    Ok(Rule::ALL
        .into_iter()
        .filter(|r| (only.is_empty() || only.contains(r)) && !except.contains(r))
        .collect())
}
