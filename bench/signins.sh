#!/usr/bin/env bash
# Sign-ins alone, to compare two builds: a fresh server on embedded SQLite,
# one account registered, 2 s of sign-ins to warm up, then $DURATION (6 s)
# of POST /login with the correct password (wrk -t2 -c8, bench/login.lua).
# Prints sign-ins a second and, per sign-in, each kind of thread's CPU and
# context switches (/proc/PID/task/TID/schedstat and status), with
# hashing's share. Run it for each build in turn, several times: this VM's
# speed drifts, and only figures from alternated runs compare.
# Usage: BIN=path/to/rampart bench/signins.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/common.sh"
bench_setup 18092 6s
start_server warn
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
wait_for_server
register_account "$work/user.jar" bench

prepare_login_load bench

wrk -t2 -c8 -d2s -s "$root/bench/login.lua" "$base/login" >/dev/null
cpu_by_thread >"$work/cpu.before"
report=$(wrk -t2 -c8 -d"$duration" -s "$root/bench/login.lua" "$base/login")
cpu_by_thread >"$work/cpu.after"
if echo "$report" | grep -q 'Non-2xx or 3xx'; then
  echo "$report"
  echo "refused: answers other than 2xx/3xx above" >&2
  exit 1
fi
requests=$(echo "$report" | awk '/requests in/{print $1}')
echo "== $bin: $(echo "$report" | awk '/Requests\/sec/{print $2}') sign-ins a second ($requests in $duration)"
cpu_split "$work/cpu.before" "$work/cpu.after" "$requests"
