#!/usr/bin/env python3
"""Run one of benches/sql/*.sql with DuckDB (the DuckDB peer in benches/compare.sh).

    python3 benches/duckdb_query.py benches/sql/queues.sql diff=PATH [dir=DIR ...]

`${name}` placeholders in the SQL are replaced by the name=value arguments. Statements are
separated by a `;` at the end of a line; every query (SELECT/WITH/FROM) prints one JSON line
{"columns": [...], "rows": [[...], ...]}. Threads: $DUCKDB_THREADS (default 2).
"""
import json
import os
import string
import sys

import duckdb


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    params = dict(a.split("=", 1) for a in sys.argv[2:])
    with open(sys.argv[1], encoding="utf-8") as f:
        sql = string.Template(f.read()).substitute(params)
    con = duckdb.connect()
    con.execute(f"SET threads = {int(os.environ.get('DUCKDB_THREADS', '2'))}")
    for stmt in sql.split(";\n"):
        body = "\n".join(l for l in stmt.splitlines() if not l.strip().startswith("--")).strip()
        if not body:
            continue
        cur = con.execute(body)
        if cur.description and body.split(None, 1)[0].upper() in ("SELECT", "WITH", "FROM", "TABLE"):
            cols = [d[0] for d in cur.description]
            rows = cur.fetchall()
            print(json.dumps({"columns": cols, "rows": rows}, default=str))


if __name__ == "__main__":
    main()
