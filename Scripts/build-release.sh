#!/usr/bin/env bash
# build-release.sh — builds the command-line tool the way it ships (docs/vm.md §8).
#
# Usage: Scripts/build-release.sh [--scratch-path DIR]   (default DIR: .build-static)
#   Prints the path of the built `weft` on standard output; the build's own output
#   goes to standard error. The flags, and why:
#   --static-swift-stdlib       the Swift runtime and FoundationEssentials linked in:
#                               half the start-up time, direct calls into the runtime
#   -Xlinker -no-pie            no start-up relocations of metadata (0.9 MiB less RSS)
#   -function-sections, lld's --symbol-ordering-file=Scripts/weft.order
#                               the functions runs execute, packed together at the
#                               start of the code, so the 64 KiB the kernel maps
#                               around each page fault are mostly code that runs
#                               (1.0-1.5 MiB less RSS on every program). Regenerate
#                               the order with Scripts/make-order.sh.
#   -align-all-functions=6      Weft's functions start on 64-byte boundaries, so the
#                               dispatch loop (VM.run) runs at one speed whatever
#                               comes before it: 32-byte aligned, a change to string
#                               methods made a tight loop 25% slower (132 KB more code)
#   The library target is unaffected: applications that embed Weft build it their way.
# Exit status: 0 on success, 2 on usage or build errors.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

scratch=$root/.build-static
while (($# > 0)); do
  case $1 in
    --scratch-path) [[ $# -ge 2 ]] || { echo "build-release.sh: --scratch-path needs a folder" >&2; exit 2; }
                    scratch=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-release.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

build=(swift build -c release --product weft --static-swift-stdlib -Xlinker -no-pie
       -Xswiftc -Xfrontend -Xswiftc -function-sections -Xswiftc -use-ld=lld
       -Xswiftc -Xllvm -Xswiftc -align-all-functions=6
       -Xlinker "--symbol-ordering-file=$root/Scripts/weft.order"
       -Xlinker --no-warn-symbol-ordering --scratch-path "$scratch")
echo "building: ${build[*]}" >&2
cd "$root" || exit 2
if ! "${build[@]}" >&2; then
  echo "build-release.sh: release build failed" >&2; exit 2
fi
bin_dir=$("${build[@]}" --show-bin-path 2>/dev/null) || bin_dir="$scratch/release"
[[ -x $bin_dir/weft ]] || { echo "build-release.sh: no binary at $bin_dir/weft" >&2; exit 2; }
echo "$bin_dir/weft"
