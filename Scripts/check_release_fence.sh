#!/usr/bin/env bash
# check_release_fence.sh — checks the "retain before unlock" rule on an optimized binary.
#
# Usage: Scripts/check_release_fence.sh [WEFT_BINARY]   (default: .build/release/weft)
#   Every function of the binary that takes an object lock (the one-byte spin lock at
#   offset 0x10 of every heap object: `lock cmpxchg %<byte reg>,0x10(...)`) must also
#   call `weft_release_fence`, the opaque call that SpinWord.unlock makes before its
#   releasing store. Swift's optimizer must assume that call may release any object,
#   so a value copied out of a locked object is retained before it
#   (docs/concurrency-model.md, "Retain before unlock"). A function that locks but never
#   calls the fence has an unlock the fence does not guard.
# Exit status: 0 when every locking function calls the fence, 1 otherwise, 2 on usage errors.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/weft}
if [[ ! -x $bin ]]; then echo "check_release_fence: no binary at $bin" >&2; exit 2; fi
command -v objdump >/dev/null || { echo "check_release_fence: objdump not found (binutils)" >&2; exit 2; }

objdump -d --no-show-raw-insn "$bin" | awk '
  /^[0-9a-f]+ <.*>:$/ { name = $2 }
  /lock cmpxchg %[a-z0-9]+l,0x10\(/ { locks[name] = 1 }
  /call.*<weft_release_fence>/ { fences[name] = 1; calls++ }
  END {
    n = 0; bad = 0
    for (f in locks) { n++; if (!(f in fences)) { bad++; print "no release fence in " f } }
    printf "release fence: %d functions take object locks, %d call sites of the fence, %d functions without it\n", n, calls, bad
    if (n == 0) { print "release fence: no object locks found (wrong binary?)"; exit 1 }
    exit bad > 0
  }'
