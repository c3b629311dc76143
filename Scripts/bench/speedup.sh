#!/usr/bin/env bash
# speedup.sh — how much faster work runs on 2 threads than on 1, in Weft and in CPython.
#
# Usage: Scripts/bench/speedup.sh [--quick]
#   For each workload, times Scripts/bench/speedup/NAME1.{weft,py} (all the work on 1
#   thread) against NAME2.{weft,py} (the same work split over 2 threads), RUNS times
#   each (env, default 5; --quick means 1), alternating, and prints a Markdown table of
#   median wall times and the speedup t(1 thread) / t(2 threads). Workloads: parallel
#   (the `parallel` function, 10,000,000 iterations, nothing shared), shared_read
#   (threads that only read one shared list, map and instance) and alloc (threads
#   that each build and drop small trees and big ints: the collector's share).
#   Env: RUNS, WEFT_BIN (use this binary and skip the build), PYTHON (interpreter).
# Exit status: 0 on success, 1 if a run fails or the two variants disagree, 2 on usage
# or build errors.
set -uo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$script_dir/../.." && pwd)
dir="$script_dir/speedup"

usage() { sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

runs=${RUNS:-5}
for arg in "$@"; do
  case $arg in
    --quick) runs=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "speedup.sh: unknown argument $arg" >&2; usage >&2; exit 2 ;;
  esac
done
if ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then
  echo "speedup.sh: RUNS must be a positive integer (got '$runs')" >&2; exit 2
fi

if [[ -n ${WEFT_BIN:-} ]]; then
  weft=$WEFT_BIN
else
  # The way the command-line tool ships (Scripts/build-release.sh, docs/vm.md §8).
  weft=$("$root/Scripts/build-release.sh") || { echo "speedup.sh: release build failed" >&2; exit 2; }
fi
[[ -x $weft ]] || { echo "speedup.sh: weft binary not found: $weft" >&2; exit 2; }
if [[ -n ${PYTHON:-} ]]; then python=$PYTHON
elif [[ -x /usr/bin/python3 ]]; then python=/usr/bin/python3
else python=python3
fi
command -v "$python" >/dev/null 2>&1 || { echo "speedup.sh: python not found: $python" >&2; exit 2; }

echo "weft:   $weft" >&2
echo "python: $python ($("$python" --version 2>&1))" >&2
echo "cores:  $(nproc 2>/dev/null || echo '?')   runs: $runs" >&2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/weft-speedup.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

now() {
  if [[ -n ${EPOCHREALTIME:-} ]]; then printf '%s\n' "${EPOCHREALTIME/,/.}"
  else date +%s.%N
  fi
}

# timed OUTFILE CMD... — sets `elapsed` (seconds) and `status`.
timed() {
  local out=$1; shift
  local t0 t1
  t0=$(now)
  "$@" >"$out" 2>"$tmp/err" </dev/null
  status=$?
  t1=$(now)
  elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
  if ((status != 0)); then
    echo "!! $* exited with status $status:" >&2
    sed 's/^/   | /' "$tmp/err" >&2
  fi
}

median() {
  printf '%s\n' "$@" | LC_ALL=C sort -g | awk '
    { v[NR] = $1 }
    END { if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
          printf "%.6f", m }'
}

# Each workload NAME has NAME1.{weft,py} (1 thread) and NAME2.{weft,py} (2 threads):
#   parallel     independent CPU-bound work (no shared objects);
#   shared_read  2 threads only reading one shared list, map and instance;
#   alloc        independent allocation-heavy work (small trees, big ints).
workloads=(parallel shared_read alloc)
failed=0
declare -A t1s t2s outs
for ((r = 1; r <= runs; r++)); do
  echo "  run $r/$runs" >&2
  for w in "${workloads[@]}"; do
    for lang in weft python; do
      if [[ $lang == weft ]]; then cmd=("$weft"); ext=weft; else cmd=("$python" -I); ext=py; fi
      timed "$tmp/$w.$lang.1" "${cmd[@]}" "$dir/${w}1.$ext"; ((status)) && failed=1
      t1s[$w.$lang]+="$elapsed "
      timed "$tmp/$w.$lang.2" "${cmd[@]}" "$dir/${w}2.$ext"; ((status)) && failed=1
      t2s[$w.$lang]+="$elapsed "
      if ! cmp -s "$tmp/$w.$lang.1" "$tmp/$w.$lang.2"; then
        echo "!! $w/$lang: 1-thread and 2-thread results differ:" \
             "$(cat "$tmp/$w.$lang.1") / $(cat "$tmp/$w.$lang.2")" >&2
        failed=1
      fi
    done
    if ! cmp -s "$tmp/$w.weft.1" "$tmp/$w.python.1"; then
      echo "!! $w: weft and python results differ: $(cat "$tmp/$w.weft.1") / $(cat "$tmp/$w.python.1")" >&2
      failed=1
    fi
  done
done

echo "| workload | language | 1 thread (s) | 2 threads (s) | speedup |"
echo "|---|---|---:|---:|---:|"
for w in "${workloads[@]}"; do
  for lang in weft python; do
    # shellcheck disable=SC2086
    m1=$(median ${t1s[$w.$lang]}); m2=$(median ${t2s[$w.$lang]})
    awk -v w="$w" -v l="$lang" -v a="$m1" -v b="$m2" \
      'BEGIN { printf "| %s | %s | %.3f | %.3f | %s |\n", w, l, a, b, (b > 0 ? sprintf("%.2fx", a / b) : "n/a") }'
  done
done
exit $failed
