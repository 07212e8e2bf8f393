#!/usr/bin/env bash
# Checks that the release binary's code is laid out by use (#20): the
# functions listed in crates/rampart-server/link-order.txt must still exist
# under their names (at least 75 % of them) and sit side by side (within
# 1.25 × their own size). A list gone stale, after dependency upgrades or much
# new code, costs about 8 MiB of resident memory; this fails before that
# ships. The fix is to write the list again:
#   cargo build --release -p rampart-server --bin rampart && bench/link-order.sh
# and build again. Usage: scripts/check-link-order.sh path/to/release/rampart
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
list="$root/crates/rampart-server/link-order.txt"
# Addresses and sizes in decimal (-t d): plain awk, no gawk needed.
nm -S -t d --defined-only "$1" | awk -v listed="$(wc -l <"$list")" '
  NR == FNR { want[$1] = 1; next }
  NF == 4 && ($4 in want) && !($4 in seen) {
    seen[$4] = 1; found++
    start = $1 + 0; size += $2
    if (low == "" || start < low) low = start
    if (start + $2 > high) high = start + $2
  }
  END {
    span = high - low
    printf "link order: %d of %d listed functions found (%.0f %%), %.2f MiB of code within %.2f MiB\n",
      found, listed, 100 * found / listed, size / 1048576, span / 1048576
    if (found < 0.75 * listed) { print "link order: the list is stale; run bench/link-order.sh on a release build"; exit 1 }
    if (span > 1.25 * size + 65536) { print "link order: the listed functions are not side by side; is the linker LLD?"; exit 1 }
  }' "$list" -
