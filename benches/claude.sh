#!/usr/bin/env bash
# benches/claude.sh: oracle on a Claude Code config dir built from the real sessions, next to ccusage.
#
#   bash benches/claude.sh [--mb 1024] [--dir target/claude-<mb>] [--runs 5] [--no-ccusage]
#
# Builds oracle (release), builds DIR with benches/make-claude-dir.py from ../shared/realdata/spotter
# (copies with fresh ids, about --mb MB; outside git: never commit it), warms the page cache, checks
# that `oracle cost` and `ccusage session --offline` agree on the totals, then times with hyperfine:
# diagnose, cost, agents, errors, diagnose --threads 1, and ccusage. Peak anonymous memory (heap; the
# mapped files are page cache) of diagnose and cost is sampled from /proc. Installs hyperfine (apt)
# and ccusage 20.0.24 (npm) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

MB=1024
DIR=
RUNS=5
CCUSAGE=1
while (($#)); do
    case "$1" in
        --mb) MB=$2; shift 2 ;;
        --dir) DIR=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --no-ccusage) CCUSAGE=0; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "claude.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done
DIR=${DIR:-target/claude-$MB}

if ! command -v hyperfine >/dev/null; then
    apt-get update -qq && apt-get install -y -qq hyperfine
fi
if ((CCUSAGE)) && ! command -v ccusage >/dev/null; then
    npm install -g ccusage@20.0.24 >/dev/null
fi
cargo build --release --locked -q
O=target/release/oracle
if [ ! -d "$DIR/projects" ]; then
    python3 benches/make-claude-dir.py --mb "$MB" --out "$DIR"
fi
du -sh "$DIR"
find "$DIR" -type f -exec cat {} + > /dev/null

echo "== totals"
$O cost "$DIR" --format json | python3 -c 'import json,sys; t=json.load(sys.stdin)["data"]["total"]; print("oracle  tokens", t["total_tokens"], "usd", t["cost_usd"])'
if ((CCUSAGE)); then
    CLAUDE_CONFIG_DIR="$DIR" ccusage session --json --offline | python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print("ccusage tokens", t["totalTokens"], "usd", round(t["totalCost"], 6))'
fi

echo "== peak anonymous memory (KB)"
for c in diagnose cost; do
    $O $c "$DIR" > /dev/null &
    pid=$!
    peak=0
    while kill -0 $pid 2>/dev/null; do
        a=$(awk '/RssAnon/{print $2}' /proc/$pid/status 2>/dev/null || echo 0)
        [ -n "$a" ] && [ "$a" -gt "$peak" ] && peak=$a
        sleep 0.005
    done
    echo "$c: $peak"
done

echo "== times"
cmds=("$O diagnose $DIR" "$O cost $DIR" "$O agents $DIR" "$O errors $DIR" "$O --threads 1 diagnose $DIR")
if ((CCUSAGE)); then
    cmds+=("env CLAUDE_CONFIG_DIR=$DIR ccusage session --json --offline")
fi
hyperfine -N --warmup 1 --runs "$RUNS" --export-markdown target/bench-claude.md "${cmds[@]}"
