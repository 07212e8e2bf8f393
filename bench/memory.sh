#!/usr/bin/env bash
# Resident memory of the release binary on embedded SQLite, as #20 measures
# it: idle, after 10 and 25 registrations (one Argon2id hash each, the
# dummy hash aside), and on a fresh server after 10 sequential sign-ins.
# Reads VmRSS and VmHWM (the peak) from /proc/PID/status.
# Usage: cargo build --release -p rampart-server && bench/memory.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/common.sh"
bin=${BIN:-$root/target/release/rampart}
port=${PORT:-18090}
base="http://127.0.0.1:$port"
password="a long unusual phrase 42"
work=$(mktemp -d)
pid=
stop() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; pid=; }
trap 'stop; rm -rf "$work"' EXIT

start() {
  rm -rf "$work/data"
  RAMPART_LISTEN="127.0.0.1:$port" RAMPART_DATA_DIR="$work/data" RUST_LOG=warn "$bin" serve >"$work/server.log" 2>&1 &
  pid=$!
  wait_for_server
  sleep 1
}
rss() { awk -v what="$2" '$1==what":"{printf "%.1f MiB", $2/1024}' "/proc/$1/status"; }
report() { echo "$1: RSS $(rss "$pid" VmRSS), peak $(rss "$pid" VmHWM)"; }

register() { register_account "$work/r$1.jar" "user$1"; }
sign_in() {
  local jar="$work/s$1.jar" csrf
  csrf=$(curl -s -c "$jar" -b "$jar" "$base/login" | csrf_of)
  curl -s -o /dev/null -c "$jar" -b "$jar" -X POST "$base/login" \
    --data-urlencode "csrf_token=$csrf" --data-urlencode "username=user0" \
    --data-urlencode "password=$password"
}

echo "== machine: $(nproc) cores; $("$bin" --version)"
start
report "idle"
for n in $(seq 0 9); do register "$n"; done
report "after 10 registrations"
for n in $(seq 10 24); do register "$n"; done
report "after 25 registrations"
stop
# A fresh server, with the account already in the database.
RAMPART_LISTEN="127.0.0.1:$port" RAMPART_DATA_DIR="$work/data" RUST_LOG=warn "$bin" serve >"$work/server.log" 2>&1 &
pid=$!
wait_for_server
sleep 1
report "fresh server, idle"
for n in $(seq 0 9); do sign_in "$n"; done
report "after 10 sequential sign-ins"
