#!/usr/bin/env bash
# make-order.sh — regenerates Scripts/weft.order, the order in which the shipped
# binary lays out its functions (Scripts/build-release.sh, docs/vm.md §8).
#
# Usage: Scripts/make-order.sh
#   Builds the tool with Scripts/build-release.sh (the order does not change the
#   functions' names), runs every example and conformance script under callgrind
#   (valgrind), and writes every function of the binary that any of them executed,
#   the ones most scripts execute first: start-up, the compiler and the dispatch
#   loop lead, a module one script uses comes last. Takes several minutes; scripts
#   that run longer than 120 s under callgrind are left out.
# Exit status: 0 on success, 2 when valgrind is missing or the build fails.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v valgrind >/dev/null || { echo "make-order.sh: valgrind not found (apt-get install valgrind)" >&2; exit 2; }
# The first time, there is no order to build with yet: an empty one keeps lld's layout.
[[ -f $root/Scripts/weft.order ]] || : > "$root/Scripts/weft.order"
weft=$("$root/Scripts/build-release.sh") || exit 2

out=$(mktemp -d "${TMPDIR:-/tmp}/weft-order.XXXXXX")
trap 'rm -rf "$out"' EXIT

# profile SCRIPT — runs one script from its own folder; its profile goes to $out.
profile() {
  local name
  name=$(printf '%s' "$1" | tr '/' '_')
  (cd "$(dirname "$1")" && timeout 120 valgrind --tool=callgrind --demangle=no \
     --compress-strings=no --callgrind-out-file="$out/$name.cg" \
     "$weft" "$(basename "$1")" >/dev/null 2>&1 </dev/null)
  return 0
}
export -f profile
export out weft
cd "$root" || exit 2
{ ls Scripts/examples/*.weft; find Tests/Conformance -name '*.weft' -not -path '*/modules/*' | sort; } |
  xargs -P "$(nproc)" -I{} bash -c 'profile "$1"' _ {}

python3 - "$out" "$weft" > "$root/Scripts/weft.order" <<'EOF'
import glob, os, sys
folder, binary = sys.argv[1], os.path.realpath(sys.argv[2])
runs = {}
for path in glob.glob(os.path.join(folder, "*.cg")):
    seen, in_binary = set(), False
    for line in open(path, errors="replace"):
        if line.startswith("ob="):
            in_binary = os.path.realpath(line[3:].strip()) == binary
        elif line.startswith("fn=") and in_binary:
            name = line[3:].strip().split("'")[0]      # callgrind's 'N recursion marks
            if not name.startswith("0x"):               # code without a symbol
                seen.add(name)
    for name in seen:
        runs[name] = runs.get(name, 0) + 1
print("# Scripts/weft.order: the functions the examples and conformance scripts execute,")
print("# those most scripts execute first (Scripts/make-order.sh writes it; lld reads it")
print("# in Scripts/build-release.sh). %d profiles, %d functions." % (len(glob.glob(os.path.join(folder, "*.cg"))), len(runs)))
for name in sorted(runs, key=lambda n: (-runs[n], n)):
    print(name)
EOF
echo "make-order.sh: wrote Scripts/weft.order ($(grep -vc '^#' "$root/Scripts/weft.order") functions)" >&2
