# Peer of `oracle diagnose` over the oracle diff file (jq only sees the diff file):
# errors by severity, the 20 most recent errors, per-agent sent/received/pending (pending = tasks
# whose message_id is no result/error's parent_message_id) and the issue list, same rules as
# benches/sql/diagnose.sql.
# Run: jq -n -R -f benches/jq/diagnose.jq diff_time_machine.jsonl   (malformed lines are skipped)
#
# Same jq 1.6 tuning as queues.jq: open tasks at the top level of the accumulator, small counter
# objects below "\u0000..." keys, updates as `(getpath(p) + 1) as $v | setpath(p; $v)`, no `//`,
# `+=` or `|=` inside the reduce. Recent errors are a 20-slot ring indexed by the error count.
reduce (inputs | fromjson? | objects | select(.entity_type == "agent_message" or .entity_type == "error")) as $r ({};
  $r.data as $m
  | if $r.entity_type == "error" then
      ($m.severity | tostring) as $sev
      | (getpath(["\u0000sev", $sev]) + 1) as $v | setpath(["\u0000sev", $sev]; $v)
      | (getpath(["\u0000nerr"]) + 0) as $n
      | setpath(["\u0000nerr"]; $n + 1)
      | setpath(["\u0000ring", ($n % 20 | tostring)];
                {n: $n, timestamp: $r.timestamp, severity: $m.severity, category: $m.category,
                 agent_name: $m.agent_name, message: ($m.error_message | tostring | .[0:80])})
    else
      ($m.source_agent | tostring) as $src
      | ($m.target_agent | tostring) as $dst
      | (getpath(["\u0000sent", $src]) + 1) as $v | setpath(["\u0000sent", $src]; $v)
      | (getpath(["\u0000recv", $dst]) + 1) as $v | setpath(["\u0000recv", $dst]; $v)
      | if $m.message_type == "task" and $m.message_id != null
          then setpath([$m.message_id | tostring]; $dst)
        elif ($m.message_type == "result" or $m.message_type == "error") and $m.parent_message_id != null
          then delpaths([[$m.parent_message_id | tostring]])
        else . end
    end)
| (.["\u0000sent"] // {}) as $s
| (.["\u0000recv"] // {}) as $rc
| ([(.["\u0000ring"] // {})[]] | sort_by(-.n) | map(del(.n))) as $recent
| (reduce (to_entries[] | select(.key | startswith("\u0000") | not) | .value) as $t ({}; .[$t] += 1)) as $pending
| (reduce ((($s | keys) + ($rc | keys)) | unique[]) as $a ({};
    .[$a] = {sent: ($s[$a] // 0), received: ($rc[$a] // 0), pending: ($pending[$a] // 0)})) as $queues
| {
    errors_by_severity: (.["\u0000sev"] // {}),
    recent_errors: $recent,
    queues: $queues,
    issues: [
      ([$recent[] | select(.severity == "critical")] | length | select(. > 0) | "\(.) critical error(s)"),
      ($queues | to_entries[] | select(.value.pending > 5) | "Agent '\(.key)' has \(.value.pending) pending tasks"),
      ($recent | group_by(.agent_name)[] | select(length >= 5) | "Agent '\(.[0].agent_name)' has \(length) recent errors")
    ]
  }
