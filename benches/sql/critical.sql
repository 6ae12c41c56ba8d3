-- Critical error entities in the oracle diff file (peer of `oracle errors -s critical`).
-- `data` differs per entity_type, so it is read as a STRUCT holding only the field we need:
-- keys missing from a record come back NULL, extra keys are ignored; malformed lines are skipped.
SELECT count(*) AS critical
FROM read_json('${diff}', format = 'newline_delimited', ignore_errors = true,
               columns = {entity_type: 'VARCHAR', data: 'STRUCT(severity VARCHAR)'})
WHERE entity_type = 'error' AND data.severity = 'critical';
