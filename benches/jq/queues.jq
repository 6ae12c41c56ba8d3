# Per-agent queue stats over the oracle diff file, same numbers as benches/sql/queues.sql:
#   sent     = messages with source_agent == agent
#   received = messages with target_agent == agent
#   pending  = tasks addressed to agent whose message_id is no result/error's parent_message_id
# Run: jq -n -R -f benches/jq/queues.jq diff_time_machine.jsonl   (malformed lines are skipped)
#
# Tuned for jq 1.6 so the peer is not strawmanned: the accumulator is one object whose top level
# holds the open tasks (message_id -> target, deleted when the reply arrives; replies follow their
# task in file order) plus two small counter objects, and every update is a plain
# `(getpath(p) + 1) as $v | setpath(p; $v)`. No `//`, `+=` or `|=` inside the reduce: in jq 1.6
# those keep a second reference to the accumulator alive, so each update copies it (5-10x slower).
reduce (inputs | fromjson? | objects | select(.entity_type == "agent_message") | .data) as $m ({};
  ($m.source_agent | tostring) as $src
  | ($m.target_agent | tostring) as $dst
  | (getpath(["\u0000sent", $src]) + 1) as $v | setpath(["\u0000sent", $src]; $v)
  | (getpath(["\u0000recv", $dst]) + 1) as $v | setpath(["\u0000recv", $dst]; $v)
  | if $m.message_type == "task" and $m.message_id != null
      then setpath([$m.message_id | tostring]; $dst)
    elif ($m.message_type == "result" or $m.message_type == "error") and $m.parent_message_id != null
      then delpaths([[$m.parent_message_id | tostring]])
    else . end)
| (.["\u0000sent"] // {}) as $s
| (.["\u0000recv"] // {}) as $r
| (reduce (to_entries[] | select(.key | startswith("\u0000") | not) | .value) as $t ({}; .[$t] += 1)) as $pending
| reduce ((($s | keys) + ($r | keys)) | unique[]) as $a ({};
    .[$a] = {sent: ($s[$a] // 0), received: ($r[$a] // 0), pending: ($pending[$a] // 0)})
