-- Per-agent queue stats over the oracle diff file (peer of `oracle queues`):
--   sent/received = agent_message records with the agent as source/target,
--   pending       = tasks addressed to the agent whose message_id is no result/error's parent_message_id.
WITH m AS MATERIALIZED (
    SELECT data.message_id AS id, data.source_agent AS src, data.target_agent AS dst,
           data.message_type AS mt, data.parent_message_id AS parent
    FROM read_json('${diff}', format = 'newline_delimited', ignore_errors = true,
                   columns = {entity_type: 'VARCHAR',
                              data: 'STRUCT(message_id VARCHAR, source_agent VARCHAR, target_agent VARCHAR,
                                            message_type VARCHAR, parent_message_id VARCHAR)'})
    WHERE entity_type = 'agent_message'
),
sent AS (SELECT src AS agent, count(*) AS n FROM m GROUP BY src),
recv AS (SELECT dst AS agent, count(*) AS n FROM m GROUP BY dst),
answered AS (SELECT DISTINCT parent FROM m WHERE mt IN ('result', 'error') AND parent IS NOT NULL),
pend AS (
    SELECT t.dst AS agent, count(*) AS n
    FROM m AS t ANTI JOIN answered AS a ON a.parent = t.id
    WHERE t.mt = 'task'
    GROUP BY t.dst
),
agents AS (SELECT agent FROM sent UNION SELECT agent FROM recv)
SELECT agents.agent, coalesce(sent.n, 0) AS sent, coalesce(recv.n, 0) AS received, coalesce(pend.n, 0) AS pending
FROM agents
LEFT JOIN sent USING (agent)
LEFT JOIN recv USING (agent)
LEFT JOIN pend USING (agent)
ORDER BY agents.agent;
