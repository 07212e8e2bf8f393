#!/usr/bin/env bash
# Load benchmarks for issue #2, side by side in one run against the release
# binary on embedded SQLite:
#   1. GET /healthz (database ping) vs signed-in GET /account (session check + page)
#   2. POST /login throughput vs the hash-bound limit (cores / one Argon2id time)
# Usage: cargo build --release -p rampart-server -p rampart-crypto --examples --bins && bench/run.sh
# wrk and the server share this machine's cores; figures are for comparison
# within one run, not absolute capacity.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/target/release/rampart"
duration=${DURATION:-10s}
port=${PORT:-18080}
base="http://127.0.0.1:$port"
password="a long unusual phrase 42"
work=$(mktemp -d)
cd "$work"
RAMPART_LISTEN="127.0.0.1:$port" RUST_LOG=warn "$bin" serve >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done

csrf_of() { sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p'; }
session_of() { awk '$6=="rampart_session"{print $7}' "$1"; }

jar="$work/user.jar"
csrf=$(curl -s -c "$jar" -b "$jar" "$base/register" | csrf_of)
curl -s -o /dev/null -c "$jar" -b "$jar" -X POST "$base/register" \
  --data-urlencode "csrf_token=$csrf" --data-urlencode username=bench \
  --data-urlencode email=bench@example.com --data-urlencode "password=$password" \
  --data-urlencode "password_confirm=$password"
session=$(session_of "$jar")
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: rampart_session=$session" "$base/account")" = 200 ]

echo "== machine: $(nproc) cores; rampart $("$bin" --version)"
echo "== GET /healthz"
wrk -t2 -c32 -d"$duration" --latency "$base/healthz"
echo "== GET /account (signed in)"
wrk -t2 -c32 -d"$duration" --latency -H "Cookie: rampart_session=$session" "$base/account"

anon="$work/anon.jar"
login_csrf=$(curl -s -c "$anon" -b "$anon" "$base/login" | csrf_of)
export RAMPART_BENCH_COOKIE
RAMPART_BENCH_COOKIE=$(session_of "$anon")
export RAMPART_BENCH_BODY="csrf_token=$login_csrf&username=bench&password=${password// /+}"
echo "== POST /login (correct password; every request is one Argon2id verify + a session insert)"
wrk -t2 -c8 -d"$duration" --latency -s "$root/bench/login.lua" "$base/login"
echo "== one Argon2id verification"
"$root/target/release/examples/hash_time"
