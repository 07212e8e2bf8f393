#!/usr/bin/env bash
# Flood isolation (#20): a signed-in person's GET /account latency alone, and
# during a wrong-password flood that keeps every hashing thread busy (each
# flood request names an unknown account from another address, so only the
# dummy Argon2id hash answers it). Prints both p99s and their ratio (goal:
# at most 2) for each of ROUNDS (default 3) rounds, and their median.
# Usage: cargo build --release -p rampart-server && bench/flood.sh
# Experiments: PACED=RATE sends the page at RATE a second, open loop, with
# bench/paced.py instead of a saturating wrk load; HASH_NICE=N, HASH_IDLE=1
# (SCHED_IDLE) and HASH_BATCH=1 (SCHED_BATCH) change the hashing threads'
# priority; SLICE_NS=N gives the request threads (tokio-rt-worker) an EEVDF
# time slice of N ns (bench/slice.py), and HASH_SLICE_NS=N the hashing
# threads. FLOOR=1 (needs the examples built: cargo build --release -p
# rampart-crypto --examples) adds to each round the page beside one loop of
# Argon2id verifications at nice 5 and no HTTP (examples/hash_time), which is
# what the flood leaves hashing: the machine's floor for the flood ratio.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/common.sh"
bench_setup 18095 10s
start_server error RAMPART_TRUSTED_PROXIES="127.0.0.1/32"
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
wait_for_server
sleep 1
for t in /proc/$pid/task/*; do
  grep -q "^rampart-hash" "$t/comm" || continue
  [ -n "${HASH_NICE:-}" ] && renice -n "$HASH_NICE" -p "${t##*/}" >/dev/null
  [ -n "${HASH_IDLE:-}" ] && chrt -i -p 0 "${t##*/}"
  [ -n "${HASH_BATCH:-}" ] && chrt -b -p 0 "${t##*/}"
  [ -n "${HASH_SLICE_NS:-}" ] && python3 "$root/bench/slice.py" "$HASH_SLICE_NS" "${t##*/}"
done
if [ -n "${SLICE_NS:-}" ]; then
  for t in /proc/$pid/task/*; do
    grep -q "^tokio-rt-worker" "$t/comm" && python3 "$root/bench/slice.py" "$SLICE_NS" "${t##*/}"
  done
fi

jar="$work/user.jar"
register_account "$jar" bench
session=$(session_of "$jar")
browser_of "$session"
[ "$(curl -s -o /dev/null -w '%{http_code}' "${signed_in[@]}" "$base/account")" = 200 ]

anon="$work/anon.jar"
export RAMPART_BENCH_CSRF
RAMPART_BENCH_CSRF=$(curl -s -c "$anon" -b "$anon" "$base/login" | csrf_of)
export RAMPART_BENCH_COOKIE
RAMPART_BENCH_COOKIE=$(session_of "$anon")

# p99 of a wrk --latency report, in milliseconds.
p99() { awk '$1=="99%"{v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; print v}' "$1"; }
# The signed-in page (PAGE=/auth/verify: the forward-auth check, which reads
# no database, for comparison).
path=${PAGE:-/account}
page() {
  if [ -n "${PACED:-}" ]; then
    python3 "$root/bench/paced.py" "$port" "$path" "$session" "$agent" "$PACED" "${duration%s}" >"$1"
  else
    wrk -t1 -c8 -d"$duration" --latency "${fwd[@]}" "${signed_in[@]}" "$base$path" >"$1"
  fi
}

echo "== machine: $(nproc) cores; rampart $("$bin" --version)"
load=${PACED:+"paced, $PACED a second"}
# ROUNDS (default 3) pairs of alone, then flooded: a p99 is the 25th-worst
# of 2,500 waits, and this VM's alone p99 alone moves by half between runs,
# so one pair is one sample; the summary is the median of the pairs' ratios.
rounds=${ROUNDS:-3}
hash_loop="$root/target/release/examples/hash_time"
if [ -n "${FLOOR:-}" ] && [ ! -x "$hash_loop" ]; then
  echo "FLOOR=1 needs $hash_loop: cargo build --release -p rampart-crypto --examples" >&2
  exit 1
fi
ratios=()
floors=()
for round in $(seq 1 "$rounds"); do
  echo "== round $round: GET $path alone (${load:-wrk -t1 -c8})"
  page "$work/alone.txt"
  grep -E "Requests/sec|99%|paced" "$work/alone.txt"
  if [ -n "${FLOOR:-}" ]; then
    echo "== round $round: the same beside one Argon2id loop at nice 5, no HTTP"
    nice -n 5 "$hash_loop" forever &
    hog=$!
    sleep 1
    page "$work/floor.txt"
    kill "$hog"
    wait "$hog" 2>/dev/null || true
    grep -E "Requests/sec|99%|paced" "$work/floor.txt"
    floors+=("$(awk -v a="$(p99 "$work/alone.txt")" -v b="$(p99 "$work/floor.txt")" 'BEGIN{printf "%.2f", b/a}')")
    echo "== round $round: beside the loop ÷ alone ${floors[-1]}"
  fi
  echo "== round $round: the same during a wrong-password flood (wrk -t1 -c16 on POST /login)"
  wrk -t1 -c16 -d"$(( ${duration%s} + 4 ))s" -s "$root/bench/flood.lua" "$base/login" >"$work/flood.txt" &
  flood=$!
  sleep 2
  page "$work/flooded.txt"
  wait $flood
  grep -E "Requests/sec|99%|paced" "$work/flooded.txt"
  echo "-- the flood:"
  grep -E "requests in|Non-2xx|Requests/sec" "$work/flood.txt"
  alone=$(p99 "$work/alone.txt")
  flooded=$(p99 "$work/flooded.txt")
  ratio=$(awk -v a="$alone" -v b="$flooded" 'BEGIN{printf "%.2f", b/a}')
  ratios+=("$ratio")
  echo "== round $round: $path p99 alone ${alone} ms, during the flood ${flooded} ms, ratio $ratio"
  # The flood's throttle rows and the hashing threads settle before the next
  # round's page alone.
  [ "$round" -lt "$rounds" ] && sleep 2
done
median_of() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
[ -n "${FLOOR:-}" ] && echo "== $path p99 beside one Argon2id loop ÷ alone: median $(median_of "${floors[@]}") of rounds ${floors[*]}"
echo "== $path p99 during the flood ÷ alone: median $(median_of "${ratios[@]}") of rounds ${ratios[*]}"
