#!/usr/bin/env bash
# The SQL statements of one page sign-in (POST /login, correct password, no
# second factor) on embedded SQLite, as sqlx logs them: each one is a round
# trip to an SQLite worker thread, which is most of a sign-in's cost besides
# the hash (#20 point 4). The background polls (the cache-invalidation feed,
# the outbox) are left out.
# Usage: cargo build --release -p rampart-server && bench/statements.sh
# (BIN=target/debug/rampart counts a debug build: the same statements.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${BIN:-$root/target/release/rampart}")
port=${PORT:-18095}
base="http://127.0.0.1:$port"
password="a long unusual phrase 42"
work=$(mktemp -d)
cd "$work"
source "$root/bench/common.sh"
pid=
start() {
  RAMPART_LISTEN="127.0.0.1:$port" RUST_LOG="$1" "$bin" serve >"$2" 2>&1 &
  pid=$!
  wait_for_server
}
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap 'stop; rm -rf "$work"' EXIT

# The account is made by a server that logs no statements.
start warn registering.log
register_account registered bench
stop

start warn,sqlx::query=debug statements.log
csrf=$(curl -s -c jar -b jar "$base/login" | csrf_of)
sleep 0.5
before=$(wc -l <statements.log)
curl -s -o /dev/null -w 'POST /login: %{http_code}\n' -c jar -b jar -X POST "$base/login" \
  --data-urlencode "csrf_token=$csrf" --data-urlencode "username=bench" \
  --data-urlencode "password=$password"
sleep 0.3
stop
tail -n +$((before + 1)) statements.log | sed 's/\x1b\[[0-9;]*m//g' |
  grep -o 'summary="[^"]*"' | grep -v 'SELECT seq, user_id FROM\|UPDATE outbox' |
  sed 's/^summary="//; s/"$//' | nl
