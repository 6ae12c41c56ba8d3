-- Peer of `oracle diagnose DIR`: one scan of the diff file into a temp table, then errors by
-- severity, the last 20 errors, per-agent sent/received/pending and the issue list; plus the latest
-- state snapshot, per-event counts of the teamsters pipe log and per-event counts of the hook JSONL.
CREATE TEMP TABLE d AS
SELECT "timestamp" AS ts, entity_type, data.*
FROM read_json('${dir}/diff_time_machine.jsonl', format = 'newline_delimited', ignore_errors = true,
               columns = {"timestamp": 'VARCHAR', entity_type: 'VARCHAR',
                          data: 'STRUCT(severity VARCHAR, category VARCHAR, agent_name VARCHAR,
                                        error_message VARCHAR, message_id VARCHAR, source_agent VARCHAR,
                                        target_agent VARCHAR, message_type VARCHAR, parent_message_id VARCHAR)'});

-- errors by severity
SELECT severity, count(*) AS n FROM d WHERE entity_type = 'error' GROUP BY severity ORDER BY severity;

-- the 20 most recent errors
CREATE TEMP TABLE recent AS
SELECT ts, severity, category, agent_name, left(error_message, 80) AS message
FROM d WHERE entity_type = 'error' ORDER BY ts DESC LIMIT 20;
SELECT * FROM recent ORDER BY ts DESC;

-- per-agent queues
CREATE TEMP TABLE q AS
WITH m AS (SELECT * FROM d WHERE entity_type = 'agent_message'),
sent AS (SELECT source_agent AS agent, count(*) AS n FROM m GROUP BY 1),
recv AS (SELECT target_agent AS agent, count(*) AS n FROM m GROUP BY 1),
answered AS (SELECT DISTINCT parent_message_id AS parent FROM m
             WHERE message_type IN ('result', 'error') AND parent_message_id IS NOT NULL),
pend AS (SELECT t.target_agent AS agent, count(*) AS n
         FROM m AS t ANTI JOIN answered AS a ON a.parent = t.message_id
         WHERE t.message_type = 'task' GROUP BY 1),
agents AS (SELECT agent FROM sent UNION SELECT agent FROM recv)
SELECT agents.agent, coalesce(sent.n, 0) AS sent, coalesce(recv.n, 0) AS received, coalesce(pend.n, 0) AS pending
FROM agents LEFT JOIN sent USING (agent) LEFT JOIN recv USING (agent) LEFT JOIN pend USING (agent);
SELECT * FROM q ORDER BY agent;

-- issues (same rules as the Python oracle CLI's diagnose, with parent_message_id pending)
SELECT issue FROM (
    SELECT 0 AS k, count(*) || ' critical error(s)' AS issue FROM recent WHERE severity = 'critical' HAVING count(*) > 0
    UNION ALL
    SELECT 1, 'Agent ''' || agent || ''' has ' || pending || ' pending tasks' FROM q WHERE pending > 5
    UNION ALL
    SELECT 2, 'Agent ''' || agent_name || ''' has ' || count(*) || ' recent errors' FROM recent
    GROUP BY agent_name HAVING count(*) >= 5
) ORDER BY k, issue;

-- latest state snapshot
SELECT count(*) AS snapshots, max("timestamp") AS last_snapshot,
       arg_max(agent_messages_count, "timestamp") AS agent_messages_count,
       arg_max(errors_count, "timestamp") AS errors_count
FROM read_json('${dir}/state_time_machine.jsonl', format = 'newline_delimited', ignore_errors = true,
               columns = {"timestamp": 'VARCHAR', errors_count: 'BIGINT', agent_messages_count: 'BIGINT'});

-- teamsters pipe log: events per type/status (read as raw lines: metadata may contain " | ")
SELECT split_part(line, ' | ', 2) AS event_type, split_part(line, ' | ', 4) AS status, count(*) AS n
FROM read_csv('${dir}/telemetry-*.log', columns = {'line': 'VARCHAR'}, delim = '\x1f', quote = '',
              escape = '', header = false, auto_detect = false)
WHERE line NOT LIKE '#%' AND line <> '---' AND line LIKE '% | % | % | % | %'
GROUP BY ALL ORDER BY n DESC;

-- Claude Code hook JSONL: events per type, scope violations
SELECT event_type, count(*) AS n,
       count(*) FILTER (WHERE action_details.outside_project_scope) AS outside_project_scope
FROM read_json('${dir}/claude-telemetry.jsonl', format = 'newline_delimited', ignore_errors = true,
               columns = {event_type: 'VARCHAR', action_details: 'STRUCT(outside_project_scope BOOLEAN)'})
GROUP BY ALL ORDER BY n DESC;
