#!/usr/bin/env bash
# bench.sh — time Weft against CPython: micro-benchmarks and real programs.
#
# Usage: Scripts/bench.sh [--quick] [--micro | --programs] [--callgrind] [NAME...]
#   Micro-benchmarks: every Scripts/bench/NAME.weft with a matching NAME.py. Programs:
#   every Scripts/bench/programs/NAME.weft with a matching NAME.py (ports of
#   pyperformance and Benchmarks Game programs). Both tables are printed unless
#   --micro or --programs picks one; naming workloads/programs runs only those.
#   Each runs RUNS times (env, default 5; --quick means 1), Weft and Python
#   alternately; tables show medians. Both sides must print the same output, unless
#   NAME.nocheck exists next to them. Python runs isolated (-I).
#   Programs table: median wall, CPU (user+sys) and peak RSS of each side, the
#   weft/python wall ratio and a geometric mean. --callgrind (or CALLGRIND=1) adds
#   instruction counts (valgrind callgrind, one extra run of each program per side).
#   With the programs (and no names given), a third table shows collection pauses:
#   Scripts/bench/gc/gc_pause.{weft,py} keep ~200 MB of small objects live while
#   churning; Weft reports its collector's p50/p99/max pause, CPython the time of a
#   full gc.collect() on the same heap.
#   Env: RUNS, WEFT_BIN (use this binary and skip the build), PYTHON (interpreter),
#   CALLGRIND, VALGRIND (valgrind binary).
# Exit status: 0 if every row succeeded, 1 if any row is FAIL or MISMATCH, 2 on usage
# or build errors.
set -uo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$script_dir/.." && pwd)
bench_dir="$script_dir/bench"
programs_dir="$bench_dir/programs"

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

runs=${RUNS:-5}
do_micro=1
do_programs=1
callgrind=0
case ${CALLGRIND:-0} in ''|0|no|false) ;; *) callgrind=1 ;; esac
names=()
for arg in "$@"; do
  case $arg in
    --quick) runs=1 ;;
    --micro) do_micro=1; do_programs=0 ;;
    --programs) do_programs=1; do_micro=0 ;;
    --callgrind) callgrind=1 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "bench.sh: unknown option $arg" >&2; usage >&2; exit 2 ;;
    *) names+=("$arg") ;;
  esac
done
if ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then
  echo "bench.sh: RUNS must be a positive integer (got '$runs')" >&2; exit 2
fi

# --- workloads --------------------------------------------------------------------------
list_pairs() {  # DIR: the sorted NAMEs with both NAME.weft and NAME.py in DIR
  local f n
  for f in "$1"/*.weft; do
    [[ -e $f ]] || continue
    n=$(basename "$f" .weft)
    [[ -f $1/$n.py ]] && printf '%s\n' "$n"
  done | LC_ALL=C sort
}
all_micro=(); all_programs=()
((do_micro)) && mapfile -t all_micro < <(list_pairs "$bench_dir")
((do_programs)) && [[ -d $programs_dir ]] && mapfile -t all_programs < <(list_pairs "$programs_dir")

in_list() {  # NAME LIST...
  local x=$1; shift
  local y
  for y in "$@"; do [[ $y == "$x" ]] && return 0; done
  return 1
}

micro=(); programs=()
if ((${#names[@]} == 0)); then
  micro=("${all_micro[@]}"); programs=("${all_programs[@]}")
else
  for n in "${names[@]}"; do
    n=${n##*/}; n=${n%.weft}; n=${n%.py}
    found=0
    if ((${#all_micro[@]})) && in_list "$n" "${all_micro[@]}"; then micro+=("$n"); found=1; fi
    if ((${#all_programs[@]})) && in_list "$n" "${all_programs[@]}"; then programs+=("$n"); found=1; fi
    if ((!found)); then
      echo "bench.sh: no workload or program '$n'" >&2
      ((do_micro)) && echo "micro-benchmarks ($bench_dir): ${all_micro[*]}" >&2
      ((do_programs)) && echo "programs ($programs_dir): ${all_programs[*]}" >&2
      exit 2
    fi
  done
fi
if ((${#micro[@]} + ${#programs[@]} == 0)); then
  echo "bench.sh: nothing to run (no workloads in $bench_dir / $programs_dir)" >&2; exit 2
fi

# --- interpreters -----------------------------------------------------------------------
if [[ -n ${WEFT_BIN:-} ]]; then
  weft=$WEFT_BIN
else
  # The way the command-line tool ships (Scripts/build-release.sh, docs/vm.md §8).
  weft=$("$root/Scripts/build-release.sh") || { echo "bench.sh: release build failed" >&2; exit 2; }
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

valgrind=${VALGRIND:-valgrind}
if ((callgrind && ${#programs[@]})) && ! command -v "$valgrind" >/dev/null 2>&1; then
  echo "bench.sh: --callgrind needs valgrind (not found: $valgrind)" >&2; exit 2
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

# Resource measurement for the programs table: GNU time when installed, else a small
# Python wrapper (os.wait4). Either writes "user_s sys_s maxrss_kb" to a file.
if [[ -x /usr/bin/time ]] && /usr/bin/time -f '%U' -o /dev/null true 2>/dev/null; then
  measure() {  # RESFILE CMD...
    local res=$1; shift
    /usr/bin/time -f '%U %S %M' -o "$res" "$@"
  }
  measure_how="/usr/bin/time -f '%U %S %M'"
else
  cat >"$tmp/rusage.py" <<'PY'
import os, sys
res = sys.argv[1]
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, st, ru = os.wait4(pid, 0)
with open(res, "w") as f:
    f.write("%.3f %.3f %d\n" % (ru.ru_utime, ru.ru_stime, ru.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(st) if hasattr(os, "waitstatus_to_exitcode") else st >> 8)
PY
  measure() {
    local res=$1; shift
    "$python" -I "$tmp/rusage.py" "$res" "$@"
  }
  measure_how="os.wait4 wrapper"
fi

median_fmt() {  # FORMAT NUMBER...
  local fmt=$1; shift
  printf '%s\n' "$@" | LC_ALL=C sort -g | awk -v fmt="$fmt" '
    { v[NR] = $1 }
    END { if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
          printf fmt, m }'
}
median() { median_fmt %.3f "$@"; }
median6() { median_fmt %.6f "$@"; }

ratio6() {  # W P: w / p with 6 decimals, or n/a
  awk -v w="$1" -v p="$2" 'BEGIN { if (p > 0) printf "%.6f", w / p; else print "n/a" }'
}
fmt2() { awk -v x="$1" 'BEGIN { printf "%.2f", x }'; }
geomean() {  # RATIO...: geometric mean with 2 decimals, or n/a
  if (($# == 0)); then echo n/a; return; fi
  printf '%s\n' "$@" | awk '
    { if ($1 > 0) { s += log($1); k++ } }
    END { if (k) printf "%.2f", exp(s / k); else print "n/a" }'
}

# check_outputs NAME: compares $tmp/w.out with $tmp/p.out; returns 1 (and reports) if they differ.
check_outputs() {
  local n=$1
  if ! cmp -s "$tmp/w.out" "$tmp/p.out"; then
    echo "!! $n: RESULT MISMATCH between weft and python" >&2
    echo "   weft printed:" >&2;   sed 's/^/   | /' "$tmp/w.out" >&2
    echo "   python printed:" >&2; sed 's/^/   | /' "$tmp/p.out" >&2
    return 1
  fi
  return 0
}

failed=0

# --- micro-benchmarks -------------------------------------------------------------------
if ((${#micro[@]})); then
  rows=()
  ratios=()
  for n in "${micro[@]}"; do
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

      if ((check)) && ! check_outputs "$n"; then state=MISMATCH; break; fi
    done

    if [[ $state != ok ]]; then
      failed=1
      wcol=$state; pcol=""; rcol=$state
      ((${#ptimes[@]})) && pcol=$(median "${ptimes[@]}")
    else
      wcol=$(median "${wtimes[@]}")
      pcol=$(median "${ptimes[@]}")
      # ratio of the unrounded medians; the geomean uses full precision too
      ratio=$(ratio6 "$(median6 "${wtimes[@]}")" "$(median6 "${ptimes[@]}")")
      if [[ $ratio == n/a ]]; then rcol=n/a
      else rcol=$(fmt2 "$ratio"); ratios+=("$ratio")
      fi
    fi
    rows+=("| $n | $wcol | $pcol | $rcol |")
  done

  echo "| workload | weft (s) | python (s) | weft/python |"
  echo "|---|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
  echo "| geomean | | | $(geomean "${ratios[@]}") |"
fi

# --- programs ---------------------------------------------------------------------------
# callgrind_ir OUT ERR CMD...: runs CMD once under callgrind; prints the total Ir (or
# nothing on failure). The program's own output goes to OUT.
callgrind_ir() {
  local out=$1 err=$2; shift 2
  "$valgrind" --tool=callgrind --callgrind-out-file=/dev/null "$@" >"$out" 2>"$err" </dev/null \
    || return 1
  sed -n 's/^==[0-9]*== Collected : *\([0-9][0-9]*\).*/\1/p' "$err" | tail -1
}

if ((${#programs[@]})); then
  ((${#micro[@]})) && echo
  echo "measuring CPU and RSS with $measure_how" >&2
  rows=()
  ratios=()
  ir_ratios=()
  for n in "${programs[@]}"; do
    wtimes=(); ptimes=(); wcpu=(); pcpu=(); wrss=(); prss=(); state=ok
    check=1; [[ -f $programs_dir/$n.nocheck ]] && check=0
    for ((r = 1; r <= runs; r++)); do
      echo "  $n: run $r/$runs" >&2
      timed "$tmp/w.out" "$tmp/w.err" measure "$tmp/w.res" "$weft" "$programs_dir/$n.weft"
      if ((status != 0)); then
        echo "!! $n: weft exited with status $status; stderr:" >&2
        sed 's/^/   | /' "$tmp/w.err" >&2
        state=FAIL; break
      fi
      read -r u s m <"$tmp/w.res"
      wtimes+=("$elapsed"); wcpu+=("$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')"); wrss+=("$m")

      timed "$tmp/p.out" "$tmp/p.err" measure "$tmp/p.res" "$python" -I "$programs_dir/$n.py"
      if ((status != 0)); then
        echo "!! $n: python exited with status $status; stderr:" >&2
        sed 's/^/   | /' "$tmp/p.err" >&2
        state=FAIL; break
      fi
      read -r u s m <"$tmp/p.res"
      ptimes+=("$elapsed"); pcpu+=("$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')"); prss+=("$m")

      if ((check)) && ! check_outputs "$n"; then state=MISMATCH; break; fi
    done

    wir=""; pir=""; irr=""
    if [[ $state == ok ]] && ((callgrind)); then
      echo "  $n: callgrind (weft)" >&2
      if ! wir=$(callgrind_ir "$tmp/w.out" "$tmp/w.err" "$weft" "$programs_dir/$n.weft") || [[ -z $wir ]]; then
        echo "!! $n: weft under callgrind failed; stderr:" >&2; sed 's/^/   | /' "$tmp/w.err" >&2
        wir=FAIL
      fi
      echo "  $n: callgrind (python)" >&2
      if ! pir=$(callgrind_ir "$tmp/p.out" "$tmp/p.err" "$python" -I "$programs_dir/$n.py") || [[ -z $pir ]]; then
        echo "!! $n: python under callgrind failed; stderr:" >&2; sed 's/^/   | /' "$tmp/p.err" >&2
        pir=FAIL
      fi
      if [[ $wir == FAIL || $pir == FAIL ]]; then
        irr=FAIL; failed=1
      else
        ratio=$(ratio6 "$wir" "$pir")
        if [[ $ratio == n/a ]]; then irr=n/a; else irr=$(fmt2 "$ratio"); ir_ratios+=("$ratio"); fi
      fi
    fi

    if [[ $state != ok ]]; then
      failed=1
      row="| $n | $state | $( ((${#ptimes[@]})) && median "${ptimes[@]}") | $state | | | | |"
    else
      ratio=$(ratio6 "$(median6 "${wtimes[@]}")" "$(median6 "${ptimes[@]}")")
      if [[ $ratio == n/a ]]; then rcol=n/a
      else rcol=$(fmt2 "$ratio"); ratios+=("$ratio")
      fi
      row="| $n | $(median "${wtimes[@]}") | $(median "${ptimes[@]}") | $rcol"
      row+=" | $(median_fmt %.2f "${wcpu[@]}") | $(median_fmt %.2f "${pcpu[@]}")"
      # GNU time and ru_maxrss report KiB; the table shows MiB
      row+=" | $(awk -v k="$(median6 "${wrss[@]}")" 'BEGIN { printf "%.1f", k / 1024 }')"
      row+=" | $(awk -v k="$(median6 "${prss[@]}")" 'BEGIN { printf "%.1f", k / 1024 }') |"
    fi
    if ((callgrind)); then
      fmt_ir() { [[ $1 =~ ^[0-9]+$ ]] && awk -v x="$1" 'BEGIN { printf "%.3f", x / 1e9 }' || printf '%s' "$1"; }
      row+=" $(fmt_ir "$wir") | $(fmt_ir "$pir") | $irr |"
    fi
    rows+=("$row")
  done

  header="| program | weft (s) | python (s) | weft/python | weft cpu (s) | python cpu (s) | weft RSS (MiB) | python RSS (MiB) |"
  rule="|---|---:|---:|---:|---:|---:|---:|---:|"
  geo="| geomean | | | $(geomean "${ratios[@]}") | | | | |"
  if ((callgrind)); then
    header+=" weft Ir (G) | python Ir (G) | Ir weft/python |"
    rule+="---:|---:|---:|"
    geo+=" | | $(geomean "${ir_ratios[@]}") |"
  fi
  echo "$header"
  echo "$rule"
  printf '%s\n' "${rows[@]}"
  echo "$geo"
fi

# --- collection pauses ----------------------------------------------------------------------
# gc_pause prints "gc_pause p50 X p99 Y max Z collections N live L check C" (ms).
if ((do_programs)) && ((${#names[@]} == 0)) && [[ -f $bench_dir/gc/gc_pause.weft ]]; then
  echo
  echo "| gc_pause (200 MB live) | p50 (ms) | p99 (ms) | max (ms) | collections | peak RSS (MiB) |"
  echo "|---|---:|---:|---:|---:|---:|"
  for side in weft python; do
    if [[ $side == weft ]]; then cmd=("$weft" "$bench_dir/gc/gc_pause.weft")
    else cmd=("$python" -I "$bench_dir/gc/gc_pause.py"); fi
    timed "$tmp/g.out" "$tmp/g.err" measure "$tmp/g.res" "${cmd[@]}"
    if ((status != 0)); then echo "| $side | FAIL | | | | |"; failed=1; continue; fi
    read -r _ _ m <"$tmp/g.res"
    label=$([[ $side == weft ]] && echo "weft (collector pauses)" || echo "python (full gc.collect())")
    awk -v l="$label" -v m="$m" '/^gc_pause/ { printf "| %s | %s | %s | %s | %s | %.1f |\n", l, $3, $5, $7, $9, m / 1024 }' "$tmp/g.out"
  done
fi

exit $failed
