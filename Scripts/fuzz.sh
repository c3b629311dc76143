#!/usr/bin/env bash
# fuzz.sh — fuzz Weft's lexer, parser, compiler and VM with libFuzzer.
#
# Usage: Scripts/fuzz.sh [SECONDS]        (default 60)
#   (Build flags: swiftc instruments for coverage only when -sanitize=fuzzer comes after
#   -sanitize=address, and SwiftPM's --sanitize options come out in the other order, so
#   fuzzer is passed once more with -Xswiftc (SwiftPM still needs --sanitize=fuzzer to
#   leave `main` to libFuzzer); --disable-dead-strip, since the linker's
#   --gc-sections would drop the coverage counters.)
#   Builds Sources/WeftFuzz (release, -sanitize=fuzzer,address) into .build-fuzz/, then
#   fuzzes for SECONDS. Seeds: every Tests/Conformance/**/*.weft (copied at run time)
#   and Fuzz/seeds/; the growing corpus is kept in .build-fuzz/corpus between runs;
#   Fuzz/weft.dict lists the keywords and operators. One libFuzzer job runs in fork
#   mode, so an out-of-memory or timeout input (a native operation that takes long,
#   like "x" * 10 ** 10) is recorded as a warning and fuzzing goes on; a crash
#   (trap, sanitizer report, stack overflow) stops it.
#   Prints the executions and coverage; crash inputs are saved in .build-fuzz/artifacts/.
#   Replay one with a plain build: swift build --product WeftFuzz && .build/debug/WeftFuzz FILE
#   Env: FUZZ_ARGS (extra libFuzzer flags), FUZZ_MAX_LEN (default 4096).
# Exit status: 0 no crash, 1 a crash was found, 2 usage or build error.
set -uo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$script_dir/.." && pwd)
secs=${1:-60}
if ! [[ $secs =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz.sh: SECONDS must be a positive integer (got '$secs')" >&2; exit 2
fi
export SWIFT_BACKTRACE=enable=no
scratch=$root/.build-fuzz

echo "fuzz.sh: building WeftFuzz (release, fuzzer + address sanitizer)..."
mkdir -p "$scratch"
if ! swift build --package-path "$root" -c release --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer \
     --disable-dead-strip --product WeftFuzz --scratch-path "$scratch" -Xswiftc -DWEFT_FUZZ >"$scratch/build.log" 2>&1; then
  tail -30 "$scratch/build.log" >&2
  echo "fuzz.sh: build failed (log: $scratch/build.log)" >&2
  exit 2
fi
bin=$scratch/release/WeftFuzz

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
slow=$(ls "$artifacts" 2>/dev/null | grep -cE '^(timeout|oom|slow-unit)-' || true)
[[ $slow -gt 0 ]] && echo "fuzz.sh: warning: $slow timeout/out-of-memory inputs in $artifacts"
if [[ $status -ne 0 ]] || grep -qE 'ERROR: (libFuzzer|AddressSanitizer)|SUMMARY: AddressSanitizer|deadly signal' "$log"; then
  echo "fuzz.sh: CRASH found (status $status); log: $log" >&2
  grep -nE 'ERROR:|SUMMARY:|Test unit written|deadly signal|Fatal error|^ *#[0-9]+ 0x' "$log" | head -60 >&2
  exit 1
fi
echo "fuzz.sh: no crash"
exit 0
