#!/usr/bin/env bash
# #20 point 2 where req/s is too noisy to compare two builds: the machine
# instructions the server runs per signed-in GET /account and per
# GET /auth/verify (same cookie), and a bare axum handler
# (examples/bare_handler) per request with the same headers, counted by
# valgrind's callgrind. The count
# hardly moves between runs of one binary, whatever else the machine does,
# so a change of a few per cent shows. One keep-alive connection sends the
# requests one after another; the warm-up's are not counted.
# Usage: cargo build --release -p rampart-server --bin rampart &&
#   cargo build --release -p rampart-crypto -p rampart-web --examples && bench/instructions.sh
# (BIN= another binary, REQUESTS= how many of each, default 2000; KEEP=DIR
# keeps the callgrind dumps there, for callgrind_annotate).
# Then SIGNINS (default 20) page sign-ins, one after another: the
# instructions of a sign-in outside the Argon2id hash (#20 point 4: HTTP,
# the session, the throttle and SQLite), and of those how many SQLite spends
# preparing statements again (sqlite3Reprepare).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/common.sh"
requests=${REQUESTS:-2000}
bench_setup 18183
start_server warn valgrind --tool=callgrind --callgrind-out-file="$work/cg.out"
bare_port=$((port + 1))
valgrind --tool=callgrind --callgrind-out-file="$work/bare.out" \
  "$root/target/release/examples/bare_handler" "127.0.0.1:$bare_port" >"$work/bare.log" 2>&1 &
bare_pid=$!
trap 'kill $pid $bare_pid 2>/dev/null; wait $pid $bare_pid 2>/dev/null || true; [ -n "${KEEP:-}" ] && cp "$work"/cg.out* "$work"/bare.out* "$KEEP"/; rm -rf "$work"' EXIT
# Under valgrind the server starts many times slower: wait up to 2 minutes.
wait_for_server 1200
register_account "$work/user.jar" bench
session=$(session_of "$work/user.jar")

# Sends `$2` GETs of the path `$1` on one connection to the port `$3`
# (default $port); fails on any answer but 200.
send() {
  python3 - "${3:-$port}" "$1" "$2" "$session" "$agent" <<'EOF'
import http.client, sys
port, path, count, session, agent = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
headers = {"Cookie": f"rampart_session={session}", "User-Agent": agent, "X-Forwarded-Method": "GET",
           "X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.com",
           "X-Forwarded-Uri": "/page"}
conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
for _ in range(count):
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    resp.read()
    if resp.status != 200:
        sys.exit(f"{path}: {resp.status}")
EOF
}

# Instructions the server ran for `$2` GETs of `$1`, after a warm-up (with
# `$3` `$4`: the process `$3` on the port `$4`, its dumps named `$5`*).
count() {
  local target=${3:-$pid} dumps=${5:-cg.out}
  send "$1" 200 "${4:-}"
  callgrind_control --zero "$target" >/dev/null
  send "$1" "$2" "${4:-}"
  callgrind_control --dump="$1" "$target" >/dev/null
  local dump
  dump=$(ls -t "$work/$dumps"* | head -1)
  awk '/^totals:/{print $2}' "$dump"
}

page=$(count /account "$requests")
check=$(count /auth/verify "$requests")
bare=$(count / "$requests" "$bare_pid" "$bare_port" bare.out)
echo "== instructions per request ($requests each, callgrind)"
awk -v p="$page" -v c="$check" -v b="$bare" -v n="$requests" 'BEGIN{
  printf "GET /account (signed in): %.0f\nGET /auth/verify: %.0f\nratio: %.2f\n", p/n, c/n, p/c
  printf "bare handler, the same headers: %.0f\nGET /auth/verify ÷ bare: %.2f\n", b/n, c/b }'

# The sign-ins: a fixed pre-login cookie and its CSRF token, as
# bench/login.lua sends them; the jar is not written, so each POST signs in
# afresh.
signins=${SIGNINS:-20}
anon="$work/anon.jar"
login_csrf=$(curl -s -c "$anon" -b "$anon" "$base/login" | csrf_of)
sign_in() {
  for _ in $(seq 1 "$1"); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -b "$anon" -X POST "$base/login" \
      --data-urlencode "csrf_token=$login_csrf" --data-urlencode "username=bench" \
      --data-urlencode "password=$password") || code="no answer"
    [ "$code" = 303 ] || { echo "POST /login: $code" >&2; exit 1; }
  done
}
sign_in 3
callgrind_control --zero "$pid" >/dev/null
sign_in "$signins"
callgrind_control --dump=signins "$pid" >/dev/null
dump=$(ls -t "$work"/cg.out* | head -1)
# Inclusive instructions of the function $1 (its line that names the
# binary; the lines without are its parts by source file).
inclusive() {
  callgrind_annotate --inclusive=yes --threshold=100 "$dump" 2>/dev/null |
    awk -v f=":$1 [" 'index($0, f) { gsub(",", "", $1); s += $1 } END { print s + 0 }'
}
total=$(awk '/^totals:/{print $2}' "$dump")
hash=$(inclusive 'rampart_crypto::password::PasswordHasher::verify_argon2')
reprepare=$(inclusive sqlite3Reprepare)
echo "== instructions per page sign-in ($signins, callgrind)"
awk -v t="$total" -v h="$hash" -v r="$reprepare" -v n="$signins" 'BEGIN{
  printf "all: %.0f\nthe Argon2id hash: %.0f\noutside the hash: %.0f\nof which SQLite preparing statements again: %.0f\n",
    t/n, h/n, (t-h)/n, r/n }'

