#!/usr/bin/env bash
# bench.sh — time Weft against CPython on the workloads in Scripts/bench/.
#
# Usage: Scripts/bench.sh [--quick] [WORKLOAD...]
#   A workload is any Scripts/bench/NAME.weft with a matching NAME.py; all of them run
#   (sorted by name) unless some are named. Each runs RUNS times (env, default 5;
#   --quick means 1), Weft and Python alternately; the table shows median wall times.
#   Both sides must print the same output, unless Scripts/bench/NAME.nocheck exists.
#   Python runs isolated (-I), so a workload may be named like a stdlib module.
#   Env: RUNS, WEFT_BIN (use this binary and skip the build), PYTHON (interpreter).
# Exit status: 0 if every row succeeded, 1 if any row is FAIL or MISMATCH, 2 on usage
# or build errors.
set -uo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$script_dir/.." && pwd)
bench_dir="$script_dir/bench"

usage() { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

runs=${RUNS:-5}
names=()
for arg in "$@"; do
  case $arg in
    --quick) runs=1 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "bench.sh: unknown option $arg" >&2; usage >&2; exit 2 ;;
    *) names+=("$arg") ;;
  esac
done
if ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then
  echo "bench.sh: RUNS must be a positive integer (got '$runs')" >&2; exit 2
fi

# --- workloads --------------------------------------------------------------------------
all=()
for f in "$bench_dir"/*.weft; do
  [[ -e $f ]] || continue
  n=$(basename "$f" .weft)
  [[ -f $bench_dir/$n.py ]] && all+=("$n")
done
mapfile -t all < <(printf '%s\n' "${all[@]}" | LC_ALL=C sort)
if ((${#names[@]} == 0)); then
  names=("${all[@]}")
else
  for n in "${names[@]}"; do
    n=${n%.weft}; n=${n%.py}
    if [[ ! -f $bench_dir/$n.weft || ! -f $bench_dir/$n.py ]]; then
      echo "bench.sh: no workload '$n' (need $bench_dir/$n.weft and $n.py)" >&2
      echo "available: ${all[*]}" >&2
      exit 2
    fi
  done
  names=("${names[@]%.weft}"); names=("${names[@]%.py}")
fi
if ((${#names[@]} == 0)); then
  echo "bench.sh: no workloads in $bench_dir" >&2; exit 2
fi

# --- interpreters -----------------------------------------------------------------------
if [[ -n ${WEFT_BIN:-} ]]; then
  weft=$WEFT_BIN
else
  echo "building: swift build -c release (in $root)" >&2
  if ! (cd "$root" && swift build -c release >&2); then
    echo "bench.sh: release build failed" >&2; exit 2
  fi
  bin_dir=$(cd "$root" && swift build -c release --show-bin-path 2>/dev/null) \
    || bin_dir="$root/.build/release"
  weft="$bin_dir/weft"
  [[ -x $weft ]] || weft="$root/.build/release/weft"
fi
if [[ ! -x $weft ]]; then
  echo "bench.sh: weft binary not found or not executable: $weft" >&2; exit 2
fi

if [[ -n ${PYTHON:-} ]]; then python=$PYTHON
elif [[ -x /usr/bin/python3 ]]; then python=/usr/bin/python3
else python=python3
fi
if ! command -v "$python" >/dev/null 2>&1; then
  echo "bench.sh: python not found: $python" >&2; exit 2
fi

echo "weft:   $weft" >&2
echo "python: $python ($("$python" --version 2>&1))" >&2
echo "runs:   $runs" >&2

# --- timing -----------------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/weft-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

now() {
  if [[ -n ${EPOCHREALTIME:-} ]]; then printf '%s\n' "${EPOCHREALTIME/,/.}"
  else date +%s.%N
  fi
}

# timed OUT ERR CMD... — runs CMD with stdout/stderr to files; sets `elapsed` and `status`.
timed() {
  local out=$1 err=$2; shift 2
  local t0 t1
  t0=$(now)
  "$@" >"$out" 2>"$err" </dev/null
  status=$?
  t1=$(now)
  elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
}

median_fmt() {  # FORMAT NUMBER...
  local fmt=$1; shift
  printf '%s\n' "$@" | LC_ALL=C sort -g | awk -v fmt="$fmt" '
    { v[NR] = $1 }
    END { if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
          printf fmt, m }'
}
median() { median_fmt %.3f "$@"; }
median6() { median_fmt %.6f "$@"; }

rows=()
ratios=()
failed=0
for n in "${names[@]}"; do
  wtimes=(); ptimes=(); state=ok
  check=1; [[ -f $bench_dir/$n.nocheck ]] && check=0
  for ((r = 1; r <= runs; r++)); do
    echo "  $n: run $r/$runs" >&2
    timed "$tmp/w.out" "$tmp/w.err" "$weft" "$bench_dir/$n.weft"
    if ((status != 0)); then
      echo "!! $n: weft exited with status $status; stderr:" >&2
      sed 's/^/   | /' "$tmp/w.err" >&2
      state=FAIL; break
    fi
    wtimes+=("$elapsed")

    # -I (isolated): the script's folder is not put on sys.path, so queue.py does not
    # shadow the standard `queue` module (nor PYTHON* env vars change the run).
    timed "$tmp/p.out" "$tmp/p.err" "$python" -I "$bench_dir/$n.py"
    if ((status != 0)); then
      echo "!! $n: python exited with status $status; stderr:" >&2
      sed 's/^/   | /' "$tmp/p.err" >&2
      state=FAIL; break
    fi
    ptimes+=("$elapsed")

    if ((check)) && ! cmp -s "$tmp/w.out" "$tmp/p.out"; then
      echo "!! $n: RESULT MISMATCH between weft and python" >&2
      echo "   weft printed:" >&2;   sed 's/^/   | /' "$tmp/w.out" >&2
      echo "   python printed:" >&2; sed 's/^/   | /' "$tmp/p.out" >&2
      state=MISMATCH; break
    fi
  done

  if [[ $state != ok ]]; then
    failed=1
    wcol=$state; pcol=""; rcol=$state
    ((${#ptimes[@]})) && pcol=$(median "${ptimes[@]}")
  else
    wcol=$(median "${wtimes[@]}")
    pcol=$(median "${ptimes[@]}")
    # ratio of the unrounded medians; the geomean uses full precision too
    ratio=$(awk -v w="$(median6 "${wtimes[@]}")" -v p="$(median6 "${ptimes[@]}")" \
      'BEGIN { if (p > 0) printf "%.6f", w / p; else print "n/a" }')
    if [[ $ratio == n/a ]]; then rcol=n/a
    else rcol=$(awk -v x="$ratio" 'BEGIN { printf "%.2f", x }'); ratios+=("$ratio")
    fi
  fi
  rows+=("| $n | $wcol | $pcol | $rcol |")
done

echo "| workload | weft (s) | python (s) | weft/python |"
echo "|---|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
if ((${#ratios[@]})); then
  geo=$(printf '%s\n' "${ratios[@]}" | awk '
    { if ($1 > 0) { s += log($1); k++ } }
    END { if (k) printf "%.2f", exp(s / k); else print "n/a" }')
else
  geo=n/a
fi
echo "| geomean | | | $geo |"

exit $failed
