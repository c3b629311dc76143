#!/usr/bin/env bash
# rates.sh — how often each race stress process fails: runs each N times and prints
# one line per job: ok / crash (signal) / hang (timeout) / fail (exit status or
# missing lines), with the signals seen.
#
# Usage: Scripts/stress/rates.sh [N] [WEFT_BINARY] [JOB_FILTER]
#   N            runs per job (default 20)
#   WEFT_BINARY  default .build/release/weft (build it with `swift build -c release`)
#   JOB_FILTER   a grep -E pattern on job names (default: every job)
# Env: RATES_ROUNDS (race_pairs rounds per thread, default 300), RATES_AUDIT_ROUNDS
#      (default 20000), RATES_TIMEOUT (seconds per run, default 60; map_eq runs get 20).
# The XCTest RaceStressTests runs the same processes once each (plus the host-thread
# and REPL tests, which need the test binary: WEFT_RACE_REPEAT=N swift test --filter ...).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-20}
weft=$(realpath "${2:-$here/../../.build/release/weft}")     # relative to the caller's folder
cd "$here"
filter=${3:-.}
rounds=${RATES_ROUNDS:-300}
audit_rounds=${RATES_AUDIT_ROUNDS:-20000}
timeout_s=${RATES_TIMEOUT:-60}
export SWIFT_BACKTRACE=enable=no

jobs=()
for t in list map instance string cell global module error; do
  jobs+=("race_pairs $t|race_pairs_lib.weft|\"$t\", $rounds|$t: |$timeout_s")
done
for s in mutate_single spawn_first mutate_threads sleep wait spawn_join; do
  jobs+=("map_eq $s|race_map_eq_lib.weft|\"$s\"|map_eq $s ok|20")
done
for r in concat str eq deepcopy sorted_key copy json freeze iterate in; do
  jobs+=("audit $r|race_audit_lib.weft|\"$r\", $audit_rounds|audit $r ok|$timeout_s")
done
jobs+=("race_error|-|race_error.weft|shared error ok|$timeout_s")

out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
printf '%-26s %4s %6s %5s %5s  %s\n' job runs crash hang fail "signals / first failure"
for job in "${jobs[@]}"; do
  IFS='|' read -r name lib args expect tmo <<<"$job"
  grep -qE -- "$filter" <<<"$name" || continue
  crash=0 hang=0 fail=0 sigs="" first=""
  for ((i = 0; i < n; i++)); do
    # In a subshell that reports nothing: bash's "Aborted ..." job messages stay out.
    if [[ $lib == - ]]; then
      rc=$( (timeout -k 5 "$tmo" "$weft" "$args" >"$out" 2>"$err" </dev/null; echo $?) 2>/dev/null)
    else
      rc=$( (timeout -k 5 "$tmo" "$weft" -e "import \"modules/$lib\" as lib
lib.main($args)" >"$out" 2>"$err" </dev/null; echo $?) 2>/dev/null)
    fi
    if ((rc == 124 || rc == 137)); then hang=$((hang + 1))
    elif ((rc > 128)); then crash=$((crash + 1)); sigs+=" $((rc - 128))"
    elif ((rc != 0)) || ! grep -q -- "$expect" "$out" || [[ $(tail -n 1 "$out") != done ]] \
         || grep -q Sanitizer "$err"; then
      fail=$((fail + 1))
      [[ -z $first ]] && first="rc=$rc $(grep -m1 -E 'VIOLATION|error|Sanitizer|SUMMARY' "$out" "$err" | head -c 160)"
    fi
  done
  printf '%-26s %4d %6d %5d %5d  %s\n' "$name" "$n" "$crash" "$hang" "$fail" "${sigs:+signals:$sigs }$first"
done
