#!/usr/bin/env bash
# The machine's floor for flood isolation (#20 point 3): a signed-in GET
# /account's p99 alone, then beside two background loads that are not
# Rampart, both at the lowest priority Linux has (SCHED_IDLE, `chrt -i 0`):
# two busy loops (pure CPU) and two loops copying a 20 MiB buffer (memory
# traffic like Argon2id's), and two threads running Rampart's Argon2id
# verification itself, with no HTTP. What they cost the page is what any
# hashing, at any priority, costs it on this machine; compare with
# bench/flood.sh.
# Usage: cargo build --release -p rampart-server --bin rampart &&
#   cargo build --release -p rampart-crypto --examples && bench/floor.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/common.sh"
bench_setup 18096 8s
start_server error
hogs=()
stop_hogs() {
  [ ${#hogs[@]} -eq 0 ] && return 0
  kill "${hogs[@]}" 2>/dev/null || true
  wait "${hogs[@]}" 2>/dev/null || true
  hogs=()
}
trap 'stop_hogs; kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
wait_for_server
register_account "$work/user.jar" bench
session=$(session_of "$work/user.jar")
browser_of "$session"
page() {
  if [ -n "${PACED:-}" ]; then
    python3 "$root/bench/paced.py" "$port" /account "$session" "$agent" "$PACED" "${duration%s}" | sed -n 1p
  else
    wrk -t1 -c8 -d"$duration" --latency "${signed_in[@]}" "$base/account" |
      awk '/99%/{p=$2} /Requests\/sec/{r=$2} END{print "p99", p, "req/s", r}'
  fi
}
echo "== machine: $(nproc) cores; rampart $("$bin" --version)"
# LOOPS=1: one loop of each kind, what one hashing thread left running
# during a flood (#20 point 3's yield) costs the page at best. PACED=RATE:
# the page paced as bench/flood.sh PACED=RATE sends it (bench/paced.py).
loops=${LOOPS:-2}
# Warm-up: the first seconds of load on a new server run slower.
wrk -t1 -c8 -d2s "${signed_in[@]}" "$base/account" >/dev/null
echo "alone: $(page)"
for kind in cpu memory argon2id; do
  for _ in $(seq 1 "$loops"); do
    case $kind in
    cpu) chrt -i 0 bash -c 'while :; do :; done' & ;;
    memory) chrt -i 0 python3 -c 'b = bytearray(20 << 20)
while True: b[:] = bytes(b)' & ;;
    # Rampart's own verification (examples/hash_time), one after another.
    argon2id) chrt -i 0 "$root/target/release/examples/hash_time" forever & ;;
    esac
    hogs+=($!)
  done
  sleep 1
  echo "beside $loops SCHED_IDLE $kind loop(s): $(page)"
  stop_hogs
  sleep 1
done
echo "alone again: $(page)"
