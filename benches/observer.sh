#!/usr/bin/env bash
# benches/observer.sh: oracle on observer diff files written by another generator, in several
# layouts, next to DuckDB and ripgrep; the growth series and the thread series (issue 9).
#
#   bash benches/observer.sh [--mb 800] [--small-mb 80] [--runs 3] [--out target/bench-observer]
#                            [--pending 0.115] [--reply-distance 20000] [--layouts "python compact reordered extra"]
#
# Generates with benches/gen-observer.py (Python json.dumps, independent of examples/gen-corpus.rs)
# the python layout at --mb and at --small-mb, and each other layout with the same records as the
# python file at --mb (`--steps`: the sizes differ, the records do not), into target/observer/
# (reused when its stamp matches the arguments). Checks, before timing anything, that oracle's pending and reply
# counts equal the generator's and DuckDB's pending per agent. Then times with hyperfine:
#   layouts   oracle queues / diagnose / errors -s critical on each layout
#   peers     DuckDB queues SQL (2 threads) and rg -c '"severity": "critical"' on the python layout
#   threads   every subcommand with --threads 1 and --threads 2 (python layout)
#   growth    every subcommand on --small-mb vs --mb (python layout)
# Results: <out>/*.md (hyperfine Markdown) and <out>/summary.md.
set -euo pipefail

MB=800
SMALL_MB=80
RUNS=3
OUT=target/bench-observer
PENDING=0.115
DISTANCE=20000
LAYOUTS="python compact reordered extra"

while (($#)); do
    case "$1" in
        --mb) MB=$2; shift 2 ;;
        --small-mb) SMALL_MB=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --pending) PENDING=$2; shift 2 ;;
        --reply-distance) DISTANCE=$2; shift 2 ;;
        --layouts) LAYOUTS=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "observer.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
mkdir -p "$OUT" target/observer
OUT=$(cd "$OUT" && pwd)
log() { printf '\n==> %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
need=()
command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)
command -v rg >/dev/null 2>&1 || need+=(ripgrep)
command -v jq >/dev/null 2>&1 || need+=(jq)
if ((${#need[@]})); then $SUDO apt-get update && $SUDO apt-get install -y "${need[@]}"; fi
VENV="$ROOT/target/bench-venv"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import duckdb' 2>/dev/null || "$VENV/bin/pip" install --quiet duckdb

log "cargo build --release"
cargo build --release
ORACLE="$ROOT/target/release/oracle"

# gen LAYOUT MB [STEPS] -> path: the layout at MB megabytes, or with STEPS steps of traffic
# (the records of the python file at MB).
gen() {
    local layout=$1 mb=$2 steps=${3:-} f="$ROOT/target/observer/$1-$2.jsonl"
    local size=(--mb "$mb")
    [ -n "$steps" ] && size=(--steps "$steps")
    local want="${size[*]} layout=$layout pending=$PENDING distance=$DISTANCE gen=$(sha256sum benches/gen-observer.py | cut -c1-16)"
    if [ ! -f "$f.stamp" ] || [ "$(cat "$f.stamp")" != "$want" ]; then
        log "generating $f"
        python3 benches/gen-observer.py "${size[@]}" --layout "$layout" --pending "$PENDING" \
            --reply-distance "$DISTANCE" "$f" 2>/dev/null
        echo "$want" >"$f.stamp"
    fi
    echo "$f"
}

declare -A FILE
PY=$(gen python "$MB")
STEPS=$(jq '.steps' "$PY.summary.json")
for l in $LAYOUTS; do
    if [ "$l" = python ]; then FILE[$l]=$PY; else FILE[$l]=$(gen "$l" "$MB" "$STEPS"); fi
done
SMALL=$(gen python "$SMALL_MB")
cat "${FILE[@]}" "$SMALL" >/dev/null # warm the page cache

log "answers"
for f in "${FILE[@]}" "$SMALL"; do
    got=$("$ORACLE" queues "$f" --format json | jq -c '[.data.total_pending, .data.replies]')
    want=$(jq -c '[.pending, .replies]' "$f.summary.json")
    [ "$got" = "$want" ] || { echo "oracle queues on $f: $got, generator: $want" >&2; exit 1; }
    echo "$(basename "$f"): pending, replies = $got (generator agrees)" >&2
done
duck=$(DUCKDB_THREADS=2 "$VENV/bin/python" benches/duckdb_query.py benches/sql/queues.sql diff="$PY" |
    jq -c '[.rows[] | select(.[3] > 0) | {(.[0]): .[3]}] | add')
ours=$("$ORACLE" queues "$PY" --format json | jq -c '[.data.agents[] | select(.pending > 0) | {(.agent): .pending}] | add')
[ "$duck" = "$ours" ] || { echo "pending per agent: DuckDB $duck, oracle $ours" >&2; exit 1; }
echo "pending per agent: DuckDB and oracle agree" >&2
crit_rg=$(rg -c '"severity": "critical"' "$PY")
crit_ours=$("$ORACLE" errors -s critical "$PY" --format json | jq '.data.total')
crit_gen=$(jq '.critical_error_entities' "$PY.summary.json")
echo "critical: rg $crit_rg, oracle $crit_ours, generator $crit_gen" >&2

H="hyperfine --warmup 1 --runs $RUNS -N --style basic"
q() { printf '%q' "$1"; }

log "layouts"
cmds=()
for l in $LAYOUTS; do
    for c in "queues" "diagnose" "errors -s critical"; do
        cmds+=(-n "$c $l" "$ORACLE $c $(q "${FILE[$l]}")")
    done
done
$H --export-markdown "$OUT/layouts.md" "${cmds[@]}"

log "peers"
$H --export-markdown "$OUT/peers.md" \
    -n "oracle queues" "$ORACLE queues $(q "$PY")" \
    -n "DuckDB queues (2 threads)" "env DUCKDB_THREADS=2 $VENV/bin/python benches/duckdb_query.py benches/sql/queues.sql diff=$(q "$PY")" \
    -n "oracle errors -s critical" "$ORACLE errors -s critical $(q "$PY")" \
    -n "rg -c critical" "rg -c '\"severity\": \"critical\"' $(q "$PY")"

log "threads"
cmds=()
for c in queues diagnose "errors -s critical" replay diffs; do
    for t in 1 2; do cmds+=(-n "$c --threads $t" "$ORACLE $c --threads $t $(q "$PY")"); done
done
$H --export-markdown "$OUT/threads.md" "${cmds[@]}"

log "growth"
cmds=()
for c in queues diagnose "errors -s critical" replay diffs; do
    cmds+=(-n "$c ${SMALL_MB}MB" "$ORACLE $c $(q "$SMALL")" -n "$c ${MB}MB" "$ORACLE $c $(q "$PY")")
done
$H --export-markdown "$OUT/growth.md" "${cmds[@]}"

cat "$OUT"/{layouts,peers,threads,growth}.md | tee "$OUT/summary.md"
