#!/usr/bin/env bash
# fuzz.sh — fuzz Weft's lexer, parser, compiler and VM with libFuzzer.
#
# Usage: Scripts/fuzz.sh [SECONDS]        (default 60)
#   Builds Sources/WeftFuzz (release, -sanitize=fuzzer,address) into .build-fuzz/, then
#   fuzzes for SECONDS. Seeds: every Tests/Conformance/**/*.weft (copied at run time)
#   and Fuzz/seeds/; the growing corpus is kept in .build-fuzz/corpus between runs;
#   Fuzz/weft.dict lists the keywords and operators. One libFuzzer job runs in fork
#   mode, so an out-of-memory or timeout input (a native operation that takes long,
#   like "x" * 10 ** 10) is recorded as a warning and fuzzing goes on; a crash
#   (trap, sanitizer report, stack overflow) stops it.
#   Prints the executions and coverage; crash inputs are saved in .build-fuzz/artifacts/.
#   Replay one with a plain build: swift build --product WeftFuzz && .build/debug/WeftFuzz FILE
#   Needs only the Swift toolchain (libFuzzer ships with it); a cold build takes minutes.
#   Env: FUZZ_ARGS (extra libFuzzer flags), FUZZ_MAX_LEN (default 4096), FUZZ_BIN (use
#   this fuzzer binary and skip the build), FUZZ_SCRATCH (instead of .build-fuzz).
# Exit status: 0 no crash, 1 a crash was found, 2 usage or build error.
#
# Build flags: swiftc instruments for coverage only when -sanitize=fuzzer comes after
# -sanitize=address, and SwiftPM's --sanitize options come out in the other order, so
# fuzzer is passed once more with -Xswiftc (SwiftPM still needs --sanitize=fuzzer to
# leave `main` to libFuzzer); --disable-dead-strip, since the linker's --gc-sections
# would drop the coverage counters.
set -uo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$script_dir/.." && pwd)
secs=${1:-60}
if ! [[ $secs =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz.sh: SECONDS must be a positive integer (got '$secs')" >&2; exit 2
fi
export SWIFT_BACKTRACE=enable=no
scratch=${FUZZ_SCRATCH:-$root/.build-fuzz}

mkdir -p "$scratch"
if [[ -n ${FUZZ_BIN:-} ]]; then
  bin=$FUZZ_BIN
else
  echo "fuzz.sh: building WeftFuzz (release, fuzzer + address sanitizer)..."
  if ! swift build --package-path "$root" -c release --sanitize=fuzzer --sanitize=address \
       -Xswiftc -sanitize=fuzzer --disable-dead-strip --product WeftFuzz \
       --scratch-path "$scratch" -Xswiftc -DWEFT_FUZZ >"$scratch/build.log" 2>&1; then
    tail -30 "$scratch/build.log" >&2
    echo "fuzz.sh: build failed (log: $scratch/build.log)" >&2
    exit 2
  fi
  bin=$scratch/release/WeftFuzz
fi

corpus=$scratch/corpus
seeds=$scratch/seeds
artifacts=$scratch/artifacts
mkdir -p "$corpus" "$artifacts"
rm -rf "$seeds"; mkdir -p "$seeds"
n=0
while IFS= read -r -d '' f; do
  rel=${f#"$root"/Tests/Conformance/}
  cp "$f" "$seeds/${rel//\//_}"; n=$((n + 1))
done < <(find "$root/Tests/Conformance" -name '*.weft' -print0)
[[ -d $root/Fuzz/seeds ]] && cp "$root"/Fuzz/seeds/* "$seeds"/ 2>/dev/null
echo "fuzz.sh: $n conformance seeds, $(ls "$corpus" | wc -l) inputs in the kept corpus; fuzzing for ${secs}s"

log=$scratch/fuzz.log
start_marker=$scratch/.fuzz-start
touch "$start_marker"
# shellcheck disable=SC2086
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=0} \
"$bin" "$corpus" "$seeds" -dict="$root/Fuzz/weft.dict" -max_total_time="$secs" \
  -max_len="${FUZZ_MAX_LEN:-4096}" -timeout=20 -rss_limit_mb=3072 -detect_leaks=0 \
  -fork=1 -ignore_timeouts=1 -ignore_ooms=1 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} >"$log" 2>&1
status=$?

# Summary: the last stats line carries the totals (fork mode: "#N: cov: C ft: F ...").
last=$(grep -E '^#[0-9]+' "$log" | tail -1)
execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
echo "fuzz.sh: executions: ${execs:-?}  coverage: cov ${cov:-?}  ft ${ft:-?}  ($secs s)"
echo "fuzz.sh: last status line: ${last:-none}"
new_artifacts() { find "$artifacts" -maxdepth 1 -type f -newer "$start_marker" -name "$1" | sort; }
slow=$( { new_artifacts 'timeout-*'; new_artifacts 'oom-*'; new_artifacts 'slow-unit-*'; } | wc -l)
[[ $slow -gt 0 ]] && echo "fuzz.sh: warning: $slow timeout/out-of-memory inputs (not crashes) in $artifacts"
# In fork mode libFuzzer exits with 70/71 when a child ran out of time or memory even
# though -ignore_timeouts/-ignore_ooms let fuzzing go on: those are not crashes.
crashes=$( { new_artifacts 'crash-*'; new_artifacts 'leak-*'; } )
if [[ -n $crashes ]] || grep -qE 'ERROR: AddressSanitizer|SUMMARY: AddressSanitizer|deadly signal|ERROR: libFuzzer: (deadly|fuzz target exited)' "$log" \
   || ! [[ $status =~ ^(0|70|71)$ ]]; then
  echo "fuzz.sh: CRASH found (libFuzzer status $status); log: $log" >&2
  for c in $crashes; do echo "fuzz.sh: crash input: $c" >&2; done
  grep -nE 'ERROR:|SUMMARY:|Test unit written|deadly signal|Fatal error|^ *#[0-9]+ 0x' "$log" | head -60 >&2
  exit 1
fi
echo "fuzz.sh: no crash"
exit 0
