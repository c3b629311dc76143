#!/bin/sh
# embed_calls: Weft's host<->script call costs next to Lua 5.4's C API.
# Needs liblua5.4-dev (apt-get install -y liblua5.4-dev). Usage: run.sh [N]
set -e
cd "$(dirname "$0")/../../.."
N=${1:-1000000}
swift build -c release --product embed-calls-bench >/dev/null
OUT=${TMPDIR:-/tmp}/weft-embed-calls-lua
gcc -O2 -o "$OUT" Scripts/bench/embed_calls/lua/embed_calls.c $(pkg-config --cflags --libs lua5.4)
W=$(.build/release/embed-calls-bench "$N")
L=$("$OUT" "$N")
echo "$W"
echo "$L"
ratio() { # $1 = label in both outputs
    w=$(echo "$W" | grep "$1" | awk '{print $3}')
    l=$(echo "$L" | grep "$1" | awk '{print $3}')
    awk -v w="$w" -v l="$l" -v k="$1" 'BEGIN { printf "ratio weft/lua %-14s %.1fx\n", k, w / l }'
}
ratio "host->script"
ratio "script->native"
