#!/usr/bin/env bash
# Load benchmarks, side by side in one run against the release binary on
# embedded SQLite:
#   1. GET /healthz (database ping) vs signed-in GET /account (session check + page)
#   2. GET /auth/verify with a session cookie and with a personal access token
#      vs a bare axum handler (examples/bare_handler)
#   3. POST /login throughput vs the hash-bound limit (cores / one Argon2id time)
#   4. resident memory (VmRSS, VmHWM from /proc/PID/status, and its private and
#      file-backed parts, RssAnon and RssFile), idle and at the end
# Usage: cargo build --release -p rampart-server --bin rampart &&
#   cargo build --release -p rampart-crypto -p rampart-web --examples && bench/run.sh
# (two builds: building the examples in the same command would build the
# server with other features, under other symbol names than
# crates/rampart-server/link-order.txt lays out; see bench/link-order.sh)
# wrk and the server share this machine's cores; figures are for comparison
# within one run, not absolute capacity.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/common.sh"
bench_setup 18080 10s
start_server warn
bare_port=$((port + 1))
"$root/target/release/examples/bare_handler" "127.0.0.1:$bare_port" &
bare_pid=$!
trap 'kill $pid $bare_pid 2>/dev/null || true; wait $pid $bare_pid 2>/dev/null || true; rm -rf "$work"' EXIT
wait_for_server
sleep 1
# Resident memory from /proc/PID/status: VmRSS now, VmHWM the peak.
rss() { awk -v what="$1" '$1==what":"{printf "%.1f MiB", $2/1024}' "/proc/$pid/status"; }
idle_rss="$(rss VmRSS) (peak $(rss VmHWM); private $(rss RssAnon), file pages $(rss RssFile))"


jar="$work/user.jar"
register_account "$jar" bench
session=$(session_of "$jar")
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: rampart_session=$session" "$base/account")" = 200 ]

echo "== machine: $(nproc) cores; rampart $("$bin" --version)"
echo "== resident memory, idle: $idle_rss"
echo "== GET /healthz"
wrk -t2 -c32 -d"$duration" --latency "$base/healthz"
echo "== GET /account (signed in)"
wrk -t2 -c32 -d"$duration" --latency -H "Cookie: rampart_session=$session" "$base/account"

api_token=$(api_token_of bench)
pat=$(proxy_token_of "$api_token")
[ "$(curl -s -o /dev/null -w '%{http_code}' "${fwd[@]}" -H "Cookie: rampart_session=$session" "$base/auth/verify")" = 200 ]
[ "$(curl -s -o /dev/null -w '%{http_code}' "${fwd[@]}" -H "Authorization: Bearer $pat" "$base/auth/verify")" = 200 ]
echo "== bare axum handler (baseline)"
wrk -t2 -c32 -d"$duration" --latency "http://127.0.0.1:$bare_port/"
echo "== GET /auth/verify with the session cookie"
wrk -t2 -c32 -d"$duration" --latency "${fwd[@]}" -H "Cookie: rampart_session=$session" "$base/auth/verify"
echo "== GET /auth/verify with a personal access token"
wrk -t2 -c32 -d"$duration" --latency "${fwd[@]}" -H "Authorization: Bearer $pat" "$base/auth/verify"

anon="$work/anon.jar"
login_csrf=$(curl -s -c "$anon" -b "$anon" "$base/login" | csrf_of)
export RAMPART_BENCH_COOKIE
RAMPART_BENCH_COOKIE=$(session_of "$anon")
export RAMPART_BENCH_BODY="csrf_token=$login_csrf&username=bench&password=${password// /+}"
echo "== POST /login (correct password; every request is one Argon2id verify + a session insert)"
wrk -t2 -c8 -d"$duration" --latency -s "$root/bench/login.lua" "$base/login"
echo "== one Argon2id verification"
"$root/target/release/examples/hash_time"
echo "== resident memory after every load above: $(rss VmRSS), peak $(rss VmHWM); private $(rss RssAnon), file pages $(rss RssFile)"
