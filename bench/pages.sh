#!/usr/bin/env bash
# #20 point 2 on its own: signed-in GET /account against GET /auth/verify
# with the same session cookie, and a bare axum handler
# (examples/bare_handler), in one run on a fresh server (embedded SQLite,
# one registered account), with the server's CPU time per page and per
# check read from /proc/PID/stat. PERF=1 also records a profile of the
# page load (perf record -e cpu-clock, DWARF call graphs) to perf.data.
# Usage: cargo build --release -p rampart-server --bin rampart &&
#   cargo build --release -p rampart-crypto -p rampart-web --examples && bench/pages.sh
# wrk and the server share this machine's cores: compare within one run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/common.sh"
out=$PWD
bench_setup 18180 5s
start_server warn
bare_port=$((port + 1))
"$root/target/release/examples/bare_handler" "127.0.0.1:$bare_port" &
bare_pid=$!
trap 'kill $pid $bare_pid 2>/dev/null; wait $pid $bare_pid 2>/dev/null; rm -rf "$work"' EXIT
wait_for_server
jar="$work/user.jar"
register_account "$jar" bench
session=$(session_of "$jar")
browser_of "$session"
cookie=("${signed_in[@]}")
[ "$(curl -s -o /dev/null -w '%{http_code}' "${cookie[@]}" "$base/account")" = 200 ]
# Warm-up: caches filled, templates compiled.
wrk -t2 -c32 -d2s "${cookie[@]}" "$base/account" >/dev/null
if [ "${PERF:-}" = 1 ]; then
  perf record -e cpu-clock -F 499 --call-graph dwarf,32768 -p "$pid" -o "$out/perf.data" -- sleep 3 >/dev/null 2>&1 &
  perf_pid=$!
fi
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
before=$(ticks)
echo "== GET /account (signed in)"
page=$(wrk -t2 -c32 -d"$duration" --latency "${cookie[@]}" "$base/account")
after=$(ticks)
echo "$page"
[ "${PERF:-}" = 1 ] && wait "$perf_pid"
echo "== GET /auth/verify, same cookie"
before_check=$(ticks)
verify=$(wrk -t2 -c32 -d"$duration" --latency "${fwd[@]}" "${cookie[@]}" "$base/auth/verify")
after_check=$(ticks)
echo "$verify"
echo "== bare axum handler, the same headers"
bare=$(wrk -t2 -c32 -d"$duration" --latency "${fwd[@]}" "${cookie[@]}" "http://127.0.0.1:$bare_port/")
echo "$bare"
rate() { awk '/Requests\/sec/{print $2}'; }
pages=$(echo "$page" | rate)
checks=$(echo "$verify" | rate)
bares=$(echo "$bare" | rate)
requests=$(echo "$page" | awk '/requests in/{print $1}')
check_requests=$(echo "$verify" | awk '/requests in/{print $1}')
hz=$(getconf CLK_TCK)
echo "== /account $pages req/s, /auth/verify $checks req/s, ratio $(awk -v a="$pages" -v b="$checks" 'BEGIN{printf "%.2f", a/b}')"
echo "== bare handler $bares req/s, ÷ /auth/verify $(awk -v a="$bares" -v b="$checks" 'BEGIN{printf "%.2f", a/b}')"
echo "== server CPU per /account request: $(awk -v t=$((after - before)) -v n="$requests" -v hz="$hz" 'BEGIN{printf "%.1f", t/hz/n*1e6}') µs"
echo "== server CPU per /auth/verify request: $(awk -v t=$((after_check - before_check)) -v n="$check_requests" -v hz="$hz" 'BEGIN{printf "%.1f", t/hz/n*1e6}') µs"
