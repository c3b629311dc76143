#!/usr/bin/env bash
# Echo benchmark: the same load (CONNECTIONS x MESSAGES round trips of SIZE bytes,
# driven by one neutral C client using epoll) against the Weft pool(128) echo
# server and the guide's Python ThreadPoolExecutor(128) echo server, alternately,
# RUNS times each. Prints messages/s and p50/p99 round-trip latency (median run
# by throughput) side by side.
#   bash Scripts/bench/echo/run.sh [CONNECTIONS=100] [MESSAGES=200] [SIZE=64] [RUNS=3]
# Env: WEFT (default .build/release/weft, built if missing), PYTHON (default python3).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
conns=${1:-100}; msgs=${2:-200}; size=${3:-64}; runs=${4:-3}
weft=${WEFT:-$root/.build/release/weft}
python=${PYTHON:-python3}
if [ ! -x "$weft" ]; then (cd "$root" && swift build -c release --product weft >&2); fi
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cc -O2 -o "$work/client" "$here/client.c"

# run_one NAME CMD...: starts the server, waits for its port, runs the client.
run_one() {
    local name=$1; shift
    rm -f "$work/port"
    "$@" "$work/port" >/dev/null 2>"$work/$name.err" &
    local pid=$!
    for _ in $(seq 500); do [ -s "$work/port" ] && break; sleep 0.01; done
    if [ ! -s "$work/port" ]; then echo "$name server did not start:" >&2; cat "$work/$name.err" >&2; exit 1; fi
    "$work/client" "$(cat "$work/port")" "$conns" "$msgs" "$size" >>"$work/$name.results"
    kill "$pid"; wait "$pid" 2>/dev/null || true
}

for _ in $(seq "$runs"); do
    run_one weft "$weft" "$here/server.weft"
    run_one python "$python" "$here/server.py"
done

# The median run by throughput: "msgs/s p50 p99 total secs".
median() { sort -n "$work/$1.results" | sed -n "$(( (runs + 1) / 2 ))p"; }
w=$(median weft); p=$(median python)
read -r wm wp50 wp99 _ <<<"$w"; read -r pm pp50 pp99 _ <<<"$p"
echo "echo: $conns connections x $msgs messages of $size bytes, median of $runs runs ($($python --version 2>&1))"
printf "%-26s %12s %10s %10s\n" "server" "messages/s" "p50 µs" "p99 µs"
printf "%-26s %12s %10s %10s\n" "weft pool(128)" "$wm" "$wp50" "$wp99"
printf "%-26s %12s %10s %10s\n" "python ThreadPool(128)" "$pm" "$pp50" "$pp99"
echo "runs (messages/s): weft $(cut -d' ' -f1 "$work/weft.results" | tr '\n' ' ')| python $(cut -d' ' -f1 "$work/python.results" | tr '\n' ' ')"
awk -v a="$wm" -v b="$pm" 'BEGIN { printf "weft/python throughput: %.2fx\n", a / b }'
