#!/usr/bin/env bash
# benches/compare.sh: oracle next to ripgrep, jq and DuckDB on a generated telemetry corpus.
#
#   bash benches/compare.sh [--mb 1024] [--out target/bench] [--runs 5] [--warmup 1]
#                           [--jq-runs 1] [--no-jq] [--small-mb 100]
#
# From a clean checkout it installs what is missing (hyperfine, ripgrep, jq, GNU time via apt;
# duckdb via pip), builds oracle, generates target/corpus-<mb> (and target/corpus-<small-mb> for the
# growth question) once, warms the page cache, checks that the tools agree on the answers, then
# times every question with hyperfine (JSON + Markdown exports in the out dir) and prints a summary
# table, also written to <out>/summary.md.
#
# Questions (D = <corpus>/diff_time_machine.jsonl, DIR = <corpus>):
#   critical   oracle errors -s critical | rg -c | DuckDB count(*) | jq select
#   queues     oracle queues             | DuckDB (benches/sql/queues.sql)   | jq (benches/jq/queues.jq)
#   diagnose   oracle diagnose DIR       | DuckDB (benches/sql/diagnose.sql) | jq (benches/jq/diagnose.jq, diff file only)
#   threads    oracle errors/queues/diagnose/replay/diffs with --threads 1 vs --threads 2
#   growth     oracle diagnose on the <small-mb> corpus vs the <mb> corpus
#   small      oracle diagnose fixtures/example, hyperfine -N, many runs
#   memory     cat D | /usr/bin/time -v oracle queues -   (maximum resident set size)
#
# jq is 15-40x slower than the rest (20-45 s per run on the 1 GiB corpus), so it is timed in its
# own hyperfine run with --jq-runs runs (default 1, no warmup) on the same corpus and merged into
# the question's table, marked with its run count. Everything else gets --warmup/--runs. With the
# defaults the whole script took 8 minutes on 2 cores at --mb 1024 (oracle already built).
set -euo pipefail

MB=1024
OUT=target/bench
RUNS=5
WARMUP=1
JQ_RUNS=1
USE_JQ=1
SMALL_MB=100
SEED=42

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit "${1:-0}"
}

while (($#)); do
    case "$1" in
        --mb) MB=$2; shift 2 ;;
        --mb=*) MB=${1#*=}; shift ;;
        --out) OUT=$2; shift 2 ;;
        --out=*) OUT=${1#*=}; shift ;;
        --runs) RUNS=$2; shift 2 ;;
        --runs=*) RUNS=${1#*=}; shift ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --warmup=*) WARMUP=${1#*=}; shift ;;
        --jq-runs) JQ_RUNS=$2; shift 2 ;;
        --jq-runs=*) JQ_RUNS=${1#*=}; shift ;;
        --no-jq) USE_JQ=0; shift ;;
        --small-mb) SMALL_MB=$2; shift 2 ;;
        --small-mb=*) SMALL_MB=${1#*=}; shift ;;
        -h|--help) usage 0 ;;
        *) echo "compare.sh: unknown argument: $1" >&2; usage 2 ;;
    esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
START_TS=$(date +%s)

log() { printf '\n==> %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; echo "$*" >>"$OUT/warnings.txt"; }
q() { printf '%q' "$1"; }
: >"$OUT/warnings.txt"

# ------------------------------------------------------------------------------------------------
log "tools"
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
apt_pkgs=()
command -v hyperfine >/dev/null 2>&1 || apt_pkgs+=(hyperfine)
command -v rg >/dev/null 2>&1 || apt_pkgs+=(ripgrep)
command -v jq >/dev/null 2>&1 || apt_pkgs+=(jq)
[ -x /usr/bin/time ] || apt_pkgs+=(time)
if ((${#apt_pkgs[@]})); then
    echo "installing with apt-get: ${apt_pkgs[*]}" >&2
    if ! { $SUDO apt-get update && $SUDO apt-get install -y "${apt_pkgs[@]}"; }; then
        warn "apt-get install ${apt_pkgs[*]} failed"
    fi
fi
# hyperfine -N (--shell=none) needs hyperfine >= 1.13; older distros ship 1.12 or none at all.
if ! command -v hyperfine >/dev/null 2>&1 || ! hyperfine --help 2>/dev/null | grep -qE '^ *-N'; then
    echo "installing hyperfine with cargo (apt version missing or too old)" >&2
    cargo install --locked hyperfine
    export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! python3 -c 'import duckdb' 2>/dev/null; then
    echo "installing duckdb with pip" >&2
    python3 -m pip install --quiet duckdb 2>/dev/null ||
        python3 -m pip install --quiet --user duckdb 2>/dev/null ||
        python3 -m pip install --quiet --break-system-packages duckdb
fi
for t in hyperfine rg jq python3 cargo rustc; do
    command -v "$t" >/dev/null 2>&1 || { echo "compare.sh: $t is required" >&2; exit 1; }
done
{
    echo "hyperfine: $(hyperfine --version)"
    echo "ripgrep:   $(rg --version | head -1)"
    echo "jq:        $(jq --version)"
    echo "duckdb:    $(python3 -c 'import duckdb; print(duckdb.__version__)')"
    echo "python:    $(python3 --version 2>&1)"
    echo "cpu:       $(nproc) x $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //')"
} | tee "$OUT/versions.txt" >&2

# ------------------------------------------------------------------------------------------------
log "cargo build --release"
cargo build --release
ORACLE="$ROOT/target/release/oracle"
[ -x "$ORACLE" ] || { echo "compare.sh: $ORACLE was not built" >&2; exit 1; }

# The generator is std-only, so compile it straight with rustc: `cargo build --example` would
# also build every dev-dependency (criterion, proptest, ...) for nothing.
GEN="$ROOT/target/gen-corpus"
if [ ! -x "$GEN" ] || [ "$ROOT/examples/gen-corpus.rs" -nt "$GEN" ]; then
    log "rustc examples/gen-corpus.rs"
    rustc --edition 2021 -C opt-level=3 -o "$GEN" "$ROOT/examples/gen-corpus.rs"
fi

# corpus <mb>: generate target/corpus-<mb> unless its stamp matches (args + generator source hash).
# The stamp and the generator's summary live NEXT TO the directory, so `oracle diagnose DIR`
# only ever sees the four telemetry files.
corpus() {
    local mb=$1 dir="$ROOT/target/corpus-$1" stamp="$ROOT/target/corpus-$1.stamp"
    local want
    want="mb=$mb seed=$SEED gen=$(sha256sum "$ROOT/examples/gen-corpus.rs" | cut -c1-16)"
    if [ -d "$dir" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        echo "corpus $dir is up to date" >&2
    else
        log "generating $dir"
        rm -rf "$dir" "$stamp"
        "$GEN" --mb "$mb" --seed "$SEED" "$dir" 2>"$ROOT/target/corpus-$mb.summary"
        cat "$ROOT/target/corpus-$mb.summary" >&2
        echo "$want" >"$stamp"
    fi
}
corpus "$MB"
CORPUS="$ROOT/target/corpus-$MB"
D="$CORPUS/diff_time_machine.jsonl"
if [ "$SMALL_MB" != "$MB" ]; then corpus "$SMALL_MB"; fi
SMALL="$ROOT/target/corpus-$SMALL_MB"
SD="$SMALL/diff_time_machine.jsonl"
du -b "$CORPUS"/* "$SMALL"/* | tee "$OUT/corpus-sizes.txt" >&2

log "warming the page cache"
cat "$CORPUS"/* "$SMALL"/* >/dev/null
read -r load1 _ </proc/loadavg || load1=0
echo "load average before timing: $load1" | tee -a "$OUT/versions.txt" >&2
if awk -v l="$load1" -v n="$(nproc)" 'BEGIN { exit !(l > n * 0.3) }'; then
    warn "the machine is busy (1-min load average $load1 on $(nproc) cores): timings will be noisy"
fi

# ------------------------------------------------------------------------------------------------
log "checking that the tools agree"
JQ_CRIT='fromjson? | select(.entity_type=="error" and .data.severity=="critical")'
DQ="python3 $(q "$ROOT/benches/duckdb_query.py")"
SQL="$ROOT/benches/sql"
JQD="$ROOT/benches/jq"

count_or_na() { # count_or_na FUNCTION ARGS...: print its output, or n/a if any part of it failed
    local v
    if v=$(set -o pipefail; "$@" 2>/dev/null); then echo "$v"; else echo "n/a"; fi
}
# oracle also reports agent_message records with message_type "error" (at the message's priority)
# as errors; rg/jq/DuckDB count only `entity_type: "error"` entities. Print "<entities> <all>".
KINDS_PY='import collections, json, sys
c = collections.Counter(json.loads(l).get("kind", "?") for l in sys.stdin if l.strip())
print(c.get("error", sum(c.values())), sum(c.values()))'
c_oracle() { "$ORACLE" errors -s critical --format jsonl -l 1000000 "$1" | python3 -c "$KINDS_PY"; }
c_rg() { rg -c '"severity": "critical"' "$1"; }
c_duckdb() {
    $DQ "$SQL/critical.sql" diff="$1" | python3 -c 'import json, sys; print(json.loads(sys.stdin.readline())["rows"][0][0])'
}
c_jq() { jq -cR "$JQ_CRIT" "$1" | wc -l; }
check_dirs=("$SMALL")
[ "$SMALL" = "$CORPUS" ] || check_dirs+=("$CORPUS")
{
    echo "| corpus | generator | oracle | rg | DuckDB | jq |"
    echo "|---|---:|---:|---:|---:|---:|"
    for c in "${check_dirs[@]}"; do
        d="$c/diff_time_machine.jsonl"
        gen=$(sed -n 's/.*critical error entities: //p' "$c.summary" 2>/dev/null || true)
        gen=${gen:-?}
        o=$(count_or_na c_oracle "$d")
        o_ent=${o%% *}
        o_all=${o##* }
        o_txt=$o_ent
        [ "$o_all" = "$o_ent" ] || o_txt="$o_ent (+$((o_all - o_ent)) error messages)"
        r=$(count_or_na c_rg "$d")
        k=$(count_or_na c_duckdb "$d")
        j="(not run)"
        # jq needs ~25 s on the 1 GiB diff file: count with it on the small corpus only
        if [ "$c" = "$SMALL" ] && ((USE_JQ)); then j=$(count_or_na c_jq "$d"); fi
        echo "| $(basename "$c") | $gen | $o_txt | $r | $k | $j |"
        for v in "$o_ent" "$r" "$k" "$j"; do
            if [ "$v" != "(not run)" ] && [ "$v" != "$gen" ]; then
                warn "critical count on $(basename "$c"): generator says $gen, a tool says $v (see $OUT/check-critical.md)"
            fi
        done
    done
} >"$OUT/check-critical.md"
cat "$OUT/check-critical.md" >&2

# queues on the small corpus: oracle vs DuckDB vs jq, compared per agent
"$ORACLE" queues --format json "$SD" >"$OUT/check-queues-oracle.json" 2>"$OUT/check-queues-oracle.err" || true
$DQ "$SQL/queues.sql" diff="$SD" >"$OUT/check-queues-duckdb.json"
if ((USE_JQ)); then jq -n -R -f "$JQD/queues.jq" "$SD" >"$OUT/check-queues-jq.json"; else echo '{}' >"$OUT/check-queues-jq.json"; fi
python3 - "$OUT" <<'PY' | tee "$OUT/check-queues.md" >&2
import json, sys
out = sys.argv[1]

def norm(obj):
    """{agent: (sent, received, pending)} from the shapes oracle might print."""
    if isinstance(obj, dict):
        for key in ("queues", "agents", "data"):
            if key in obj and isinstance(obj[key], (dict, list)):
                return norm(obj[key])
        res = {}
        for k, v in obj.items():
            if isinstance(v, dict) and {"sent", "received", "pending"} <= v.keys():
                res[k] = (v["sent"], v["received"], v["pending"])
        return res
    if isinstance(obj, list):
        res = {}
        for v in obj:
            if isinstance(v, dict):
                name = v.get("agent", v.get("name"))
                if name is not None and {"sent", "received", "pending"} <= v.keys():
                    res[name] = (v["sent"], v["received"], v["pending"])
        return res
    return {}

duck = json.loads(open(f"{out}/check-queues-duckdb.json").readline())
duck = {r[0]: tuple(r[1:]) for r in duck["rows"]}
try:
    jqr = norm(json.load(open(f"{out}/check-queues-jq.json")))
except Exception:
    jqr = {}
try:
    orc = norm(json.load(open(f"{out}/check-queues-oracle.json")))
except Exception:
    orc = {}
print("| agent | DuckDB sent/recv/pending | jq | oracle |")
print("|---|---|---|---|")
for a in sorted(duck):
    fmt = lambda t: "/".join(map(str, t)) if t else "-"
    print(f"| {a} | {fmt(duck[a])} | {fmt(jqr.get(a))} | {fmt(orc.get(a))} |")
ok_jq = not jqr or jqr == duck
ok_or = orc == duck
print()
print(f"jq {'agrees with' if ok_jq else 'DIFFERS from'} DuckDB; "
      f"oracle {'agrees with' if ok_or else ('output not understood, see check-queues-oracle.json' if not orc else 'DIFFERS from')} DuckDB")
PY
if grep -q 'DIFFERS\|not understood' "$OUT/check-queues.md"; then
    warn "queues: the tools disagree or oracle's output was not understood (see $OUT/check-queues.md)"
fi

# ------------------------------------------------------------------------------------------------
# hyperfine helpers. Every timed command is recorded as "<question>\t<name>\t<runs>\t<command>" in
# commands.tsv so the summary can show the real command lines (hyperfine exports only the names).
: >"$OUT/commands.tsv"
declare -a HF_ARGS
add() { # add QUESTION NAME RUNS COMMAND: queue a command for the next hf call
    HF_ARGS+=(-n "$2" "$4")
    printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$OUT/commands.tsv"
}
hf() { # hf EXPORT_BASENAME [hyperfine options...]: run the queued commands in ONE hyperfine invocation
    local base=$1
    shift
    if ! hyperfine "$@" --export-json "$OUT/$base.json" --export-markdown "$OUT/$base.md" "${HF_ARGS[@]}"; then
        warn "hyperfine $base failed (a command exited non-zero?); its numbers are missing"
    fi
    HF_ARGS=()
}
STD=(--warmup "$WARMUP" --runs "$RUNS")
JQ=(--warmup 0 --runs "$JQ_RUNS")
OQ=$(q "$ORACLE")
DQS=$(q "$D")
CQS=$(q "$CORPUS")

log "question: critical errors"
add critical oracle "$RUNS" "$OQ errors -s critical --format jsonl -l 1000000 $DQS"
add critical rg "$RUNS" "rg -c '\"severity\": \"critical\"' $DQS"
add critical duckdb "$RUNS" "$DQ $(q "$SQL/critical.sql") diff=$DQS"
hf critical "${STD[@]}"
if ((USE_JQ)); then
    add critical jq "$JQ_RUNS" "jq -cR '$JQ_CRIT' $DQS" # JQ_CRIT has no single quote
    hf critical-jq "${JQ[@]}"
fi

log "question: queues"
add queues oracle "$RUNS" "$OQ queues --format json $DQS"
add queues duckdb "$RUNS" "$DQ $(q "$SQL/queues.sql") diff=$DQS"
hf queues "${STD[@]}"
if ((USE_JQ)); then
    add queues jq "$JQ_RUNS" "jq -n -R -f $(q "$JQD/queues.jq") $DQS"
    hf queues-jq "${JQ[@]}"
fi

log "question: diagnose (all four files)"
add diagnose oracle "$RUNS" "$OQ diagnose $CQS"
add diagnose duckdb "$RUNS" "$DQ $(q "$SQL/diagnose.sql") dir=$CQS"
hf diagnose "${STD[@]}"
if ((USE_JQ)); then
    add diagnose "jq (diff file only)" "$JQ_RUNS" "jq -n -R -f $(q "$JQD/diagnose.jq") $DQS"
    hf diagnose-jq "${JQ[@]}"
fi

log "question: thread scaling"
for t in 1 2; do
    add threads "errors -s critical/t$t" "$RUNS" "$OQ --threads $t errors -s critical --format jsonl -l 1000000 $DQS"
    add threads "queues/t$t" "$RUNS" "$OQ --threads $t queues --format json $DQS"
    add threads "diagnose/t$t" "$RUNS" "$OQ --threads $t diagnose $CQS"
    add threads "replay/t$t" "$RUNS" "$OQ --threads $t replay $DQS"
    add threads "diffs/t$t" "$RUNS" "$OQ --threads $t diffs $DQS"
done
hf threads "${STD[@]}"

if [ "$SMALL_MB" != "$MB" ]; then
    log "question: growth ($SMALL_MB MiB vs $MB MiB)"
    add growth "diagnose corpus-$SMALL_MB" "$RUNS" "$OQ diagnose $(q "$SMALL")"
    add growth "diagnose corpus-$MB" "$RUNS" "$OQ diagnose $CQS"
    hf growth "${STD[@]}"
fi

log "question: small input"
if [ -e "$ROOT/fixtures/example" ]; then
    # -N: no shell, so the numbers are oracle's own start-up + work (paths must not contain spaces)
    add small "diagnose fixtures/example" 300 "$ORACLE diagnose $ROOT/fixtures/example"
    hf small -N --warmup 20 --runs 300
else
    warn "fixtures/example does not exist yet: small-input question skipped"
fi

log "question: memory"
: >"$OUT/memory.tsv"
measure_rss() { # measure_rss NAME SHELL-COMMAND (the command must run /usr/bin/time -v -o "$OUT/rss.txt" ...)
    rm -f "$OUT/rss.txt"
    if bash -o pipefail -c "$2" >/dev/null 2>"$OUT/rss.err" && [ -s "$OUT/rss.txt" ]; then
        kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$OUT/rss.txt")
        wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$OUT/rss.txt")
        printf '%s\t%s\t%s\t%s\n' "$1" "$kb" "$wall" "$2" >>"$OUT/memory.tsv"
    else
        warn "memory: '$1' failed (see $OUT/rss.err)"
    fi
}
measure_rss "oracle queues - (stdin)" "cat $DQS | /usr/bin/time -v -o $(q "$OUT/rss.txt") $OQ queues - "
measure_rss "duckdb queues.sql (reference)" "/usr/bin/time -v -o $(q "$OUT/rss.txt") $DQ $(q "$SQL/queues.sql") diff=$DQS"
rm -f "$OUT/rss.txt" "$OUT/rss.err"

# ------------------------------------------------------------------------------------------------
log "summary"
python3 - "$OUT" "$MB" "$SMALL_MB" "$CORPUS" "$SMALL" "$(( $(date +%s) - START_TS ))" <<'PY'
import json, os, sys

out, mb, small_mb, corpus, small, elapsed = sys.argv[1:7]
cmds = {}
for line in open(f"{out}/commands.tsv", encoding="utf-8"):
    qn, name, runs, cmd = line.rstrip("\n").split("\t", 3)
    cmds[(qn, name)] = (int(runs), cmd)

def load(*bases):
    res = {}
    for b in bases:
        p = f"{out}/{b}.json"
        if os.path.exists(p):
            for r in json.load(open(p))["results"]:
                res[r["command"]] = r
    return res

def short(cmd):
    """The command as a table cell: corpus paths shortened, pipes escaped for Markdown tables."""
    cmd = cmd.replace(corpus, "$CORPUS").replace(small, "$SMALL").replace(os.getcwd() + "/", "")
    return cmd.replace("|", "\\|")

def size(d):
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))

lines = []
p = lines.append
p(f"# oracle vs peers: --mb {mb} corpus ({size(corpus) / 1e6:.0f} MB in {corpus})")
p("")
p(open(f"{out}/versions.txt").read().strip().replace("\n", "  \n"))
p("")
p("Medians in seconds; ratio = peer median / oracle median (> 1: oracle is faster).")
for qn, bases, title in [
    ("critical", ("critical", "critical-jq"), "critical errors in the diff file"),
    ("queues", ("queues", "queues-jq"), "per-agent queues (sent / received / pending)"),
    ("diagnose", ("diagnose", "diagnose-jq"), "diagnose over all four files"),
]:
    res = load(*bases)
    p("")
    p(f"## {qn}: {title}")
    p("")
    p("| tool | command | runs | median s | mean ± sd s | ratio vs oracle |")
    p("|---|---|---:|---:|---:|---:|")
    base = res.get("oracle", {}).get("median")
    for (q2, name), (runs, cmd) in cmds.items():
        if q2 != qn:
            continue
        r = res.get(name)
        if not r:
            p(f"| {name} | `{short(cmd)}` | {runs} | (failed) | | |")
            continue
        ratio = f"{r['median'] / base:.2f}" if base else "n/a"
        p(f"| {name} | `{short(cmd)}` | {len(r['times'])} | {r['median']:.3f} | {r['mean']:.3f} ± {r['stddev'] or 0:.3f} | {ratio} |")
    if qn == "critical":
        p("")
        p("rg and DuckDB print a count, oracle and jq print every matching record. oracle also returns "
          "agent_message error replies sent at critical priority (see checks); the peers count "
          "`entity_type: \"error\"` entities only.")
    if qn == "diagnose":
        p("")
        p("DuckDB reads all four files (diff: severities, last 20 errors, queues, issues; state: latest "
          "snapshot; pipe log and hook JSONL: per-event counts). jq reads the diff file only.")

res = load("threads")
if res:
    p("")
    p("## thread scaling (oracle, --threads 1 vs 2)")
    p("")
    p("| subcommand | median s, 1 thread | median s, 2 threads | speedup |")
    p("|---|---:|---:|---:|")
    for sub in ["errors -s critical", "queues", "diagnose", "replay", "diffs"]:
        a, b = res.get(f"{sub}/t1"), res.get(f"{sub}/t2")
        if a and b:
            p(f"| {sub} | {a['median']:.3f} | {b['median']:.3f} | {a['median'] / b['median']:.2f}x |")
        else:
            p(f"| {sub} | {'%.3f' % a['median'] if a else '(failed)'} | {'%.3f' % b['median'] if b else '(failed)'} | |")

res = load("growth")
if res:
    p("")
    p("## growth (oracle diagnose)")
    p("")
    p("| corpus | MB | median s | MB/s |")
    p("|---|---:|---:|---:|")
    rows = []
    for name, d in [(f"diagnose corpus-{small_mb}", small), (f"diagnose corpus-{mb}", corpus)]:
        r = res.get(name)
        if r:
            mbytes = size(d) / 1e6
            rows.append((mbytes, r["median"]))
            p(f"| {os.path.basename(d)} | {mbytes:.0f} | {r['median']:.3f} | {mbytes / r['median']:.0f} |")
    if len(rows) == 2:
        p("")
        p(f"size x{rows[1][0] / rows[0][0]:.2f} -> time x{rows[1][1] / rows[0][1]:.2f}")

res = load("small")
if res:
    r = res["diagnose fixtures/example"]
    p("")
    p("## small input (hyperfine -N)")
    p("")
    p("| command | runs | median ms | mean ± sd ms | min ms |")
    p("|---|---:|---:|---:|---:|")
    p(f"| `oracle diagnose fixtures/example` | {len(r['times'])} | {r['median'] * 1e3:.2f} | {r['mean'] * 1e3:.2f} ± {(r['stddev'] or 0) * 1e3:.2f} | {r['min'] * 1e3:.2f} |")

if os.path.exists(f"{out}/memory.tsv") and os.path.getsize(f"{out}/memory.tsv"):
    p("")
    p("## memory (/usr/bin/time -v, one run)")
    p("")
    p("| what | max RSS MB | wall | command |")
    p("|---|---:|---:|---|")
    for line in open(f"{out}/memory.tsv"):
        name, kb, wall, cmd = line.rstrip("\n").split("\t", 3)
        p(f"| {name} | {int(kb) / 1024:.1f} | {wall} | `{short(cmd)}` |")

p("")
p("## checks")
p("")
p("critical errors counted by each tool:")
p("")
p(open(f"{out}/check-critical.md").read().strip())
p("")
p(f"queues on corpus-{small_mb}:")
p("")
p(open(f"{out}/check-queues.md").read().strip())
warnings = open(f"{out}/warnings.txt").read().strip()
if warnings:
    p("")
    p("## warnings")
    p("")
    for w in warnings.splitlines():
        p(f"- {w}")
p("")
p(f"jq runs: see the runs column (timed separately from the rest, no warmup). Total script time: {elapsed} s.")
text = "\n".join(lines) + "\n"
open(f"{out}/summary.md", "w").write(text)
print(text)
PY
echo "summary written to $OUT/summary.md" >&2
