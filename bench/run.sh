#!/usr/bin/env bash
# Load benchmarks, side by side in one run against the release binary on
# embedded SQLite:
#   1. GET /healthz (database ping) vs signed-in GET /account (session check + page)
#   2. GET /auth/verify with a session cookie and with a personal access token
#      vs a bare axum handler (examples/bare_handler)
#   3. POST /login throughput vs both cores hashing with no HTTP: hashing,
#      sign-ins, hashing, sign-ins, hashing; each round of sign-ins is held
#      to the mean of the hashing just before and just after it; and how
#      the server's CPU and context switches split during the sign-ins (the
#      hashing threads against the rest, from /proc/PID/task/*/schedstat and
#      status), a figure the VM's drift moves less, since both parts are
#      measured on the same requests
#   The page and the session check run twice each, alternating; a summary
#   at the end gives the #20 ratios.
#   4. resident memory (VmRSS, VmHWM from /proc/PID/status, and its private and
#      file-backed parts, RssAnon and RssFile), idle and at the end
#   5. flood isolation: bench/flood.sh with the page paced at 500 a second,
#      three rounds of alone, beside one Argon2id loop at nice 5 with no
#      HTTP (the machine's floor: what the flood leaves hashing), and
#      flooded; the median ratios
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
browser_of "$session"
[ "$(curl -s -o /dev/null -w '%{http_code}' "${signed_in[@]}" "$base/account")" = 200 ]

# Runs wrk with the arguments given, prints its report, and keeps its
# requests a second in $rate and its count of requests in $requests.
rate=0 requests=0
load() {
  local report
  report=$(wrk "$@")
  echo "$report"
  if echo "$report" | grep -q 'Non-2xx or 3xx'; then
    echo "refused: answers other than 2xx/3xx above" >&2
    exit 1
  fi
  rate=$(echo "$report" | awk '/Requests\/sec/{print $2}')
  [ -n "$rate" ] || { echo "no Requests/sec in wrk's report" >&2; exit 1; }
  requests=$(echo "$report" | awk '/requests in/{print $1}')
}
# What both cores sustain hashing in parallel with no HTTP
# (examples/hash_time); its report is printed, the rate kept in $rate.
hashing() {
  local report
  report=$("$root/target/release/examples/hash_time")
  echo "$report"
  rate=$(echo "$report" | awk '/cores hashing at once/{print $(NF-1)}')
  [ -n "$rate" ] || { echo "no parallel hashing rate in hash_time's report" >&2; exit 1; }
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
mean() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", (a+b)/2}'; }

echo "== machine: $(nproc) cores; rampart $("$bin" --version)"
echo "== resident memory, idle: $idle_rss"
echo "== GET /healthz"
load -t2 -c32 -d"$duration" --latency "$base/healthz"

api_token=$(api_token_of bench)
pat=$(proxy_token_of "$api_token")
[ "$(curl -s -o /dev/null -w '%{http_code}' "${fwd[@]}" "${signed_in[@]}" "$base/auth/verify")" = 200 ]
[ "$(curl -s -o /dev/null -w '%{http_code}' "${fwd[@]}" -H "Authorization: Bearer $pat" "$base/auth/verify")" = 200 ]
# The page and the session check with the same cookie, one after the other,
# twice: this VM's speed drifts, and each pair sees the same drift.
pages=() checks=()
for round in 1 2; do
  echo "== GET /account (signed in), round $round"
  load -t2 -c32 -d"$duration" --latency "${signed_in[@]}" "$base/account"
  pages+=("$rate")
  echo "== GET /auth/verify with the same session cookie, round $round"
  load -t2 -c32 -d"$duration" --latency "${fwd[@]}" "${signed_in[@]}" "$base/auth/verify"
  checks+=("$rate")
done
echo "== bare axum handler (baseline), sent what the session check is sent"
load -t2 -c32 -d"$duration" --latency "${fwd[@]}" "${signed_in[@]}" "http://127.0.0.1:$bare_port/"
bare=$rate
echo "== GET /auth/verify with a personal access token"
load -t2 -c32 -d"$duration" --latency "${fwd[@]}" -H "Authorization: Bearer $pat" "$base/auth/verify"

prepare_login_load bench
# Both cores hashing with no HTTP, before, between and after two rounds of
# sign-ins: this VM's speed drifts, and each round is held to the hashing
# measured on either side of it.
hashes=() logins=() shares=()
echo "== one Argon2id verification, and both cores hashing (before the sign-ins)"
hashing
hashes+=("$rate")
for round in 1 2; do
  echo "== POST /login, round $round (correct password; every request is one Argon2id verify + a session insert)"
  cpu_by_thread >"$work/cpu.before"
  load -t2 -c8 -d"$duration" --latency -s "$root/bench/login.lua" "$base/login"
  cpu_by_thread >"$work/cpu.after"
  logins+=("$rate")
  echo "== the server's CPU during round $round, by thread ($requests sign-ins):"
  cpu_split "$work/cpu.before" "$work/cpu.after" "$requests" | tee "$work/split.$round"
  shares+=("$(awk '/hashing:/{print $2 " %"}' "$work/split.$round")")
  echo "== one Argon2id verification, and both cores hashing (after round $round)"
  hashing
  hashes+=("$rate")
done
echo "== resident memory after every load above: $(rss VmRSS), peak $(rss VmHWM); private $(rss RssAnon), file pages $(rss RssFile)"
after_rss=$(rss VmRSS)
# Flood isolation on a server of its own (bench/flood.sh): the signed-in
# page, paced at 500 a second as people would ask it, alone and during a
# wrong-password flood.
echo "== flood isolation (FLOOR=1 PACED=500 bench/flood.sh)"
flood_report=$(env -u RAMPART_BENCH_COOKIE -u RAMPART_BENCH_BODY BIN="$bin" PORT=$((port + 15)) PACED=500 FLOOR=1 \
  DURATION="$duration" "$root/bench/flood.sh")
echo "$flood_report"
flood_ratio=$(echo "$flood_report" | awk '/flood ÷ alone: median/{print $10}')
flood_rounds=$(echo "$flood_report" | awk '/flood ÷ alone: median/{sub(/.*of rounds /, ""); print}')
[ -n "$flood_ratio" ] || { echo "no ratio in bench/flood.sh's report" >&2; exit 1; }
floor_report=$(echo "$flood_report" | awk '/Argon2id loop ÷ alone: median/{sub(/.*median /, ""); print}')

page=$(mean "${pages[0]}" "${pages[1]}")
check=$(mean "${checks[0]}" "${checks[1]}")
percent() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.0f %%", 100*a/b}'; }
held=() # each round's sign-ins ÷ the hashing either side of it
for round in 0 1; do
  held+=("$(percent "${logins[$round]}" "$(mean "${hashes[$round]}" "${hashes[$((round + 1))]}")")")
done
sign_ins=$(mean "${logins[0]}" "${logins[1]}")
hashed=$(awk -v a="${hashes[0]}" -v b="${hashes[1]}" -v c="${hashes[2]}" 'BEGIN{printf "%.1f", (a/2+b+c/2)/2}')
echo "== summary (#20 goals in brackets)"
echo "signed-in GET /account ÷ GET /auth/verify: $page ÷ $check = $(ratio "$page" "$check") (≥ 0.5; rounds: ${pages[0]} ÷ ${checks[0]}, ${pages[1]} ÷ ${checks[1]})"
echo "bare handler ÷ GET /auth/verify: $bare ÷ $check = $(ratio "$bare" "$check") (≤ 2)"
echo "sign-ins ÷ both cores hashing: $sign_ins ÷ $hashed = $(percent "$sign_ins" "$hashed") (≥ 95 %; rounds ${held[0]}, ${held[1]}; hashing ${hashes[*]})"
echo "hashing's share of the server's CPU during the sign-ins: rounds ${shares[0]}, ${shares[1]} (the rest is the tokio and SQLite workers: a sign-in's statements and their wake-ups)"
echo "signed-in GET /account p99 during a wrong-password flood ÷ alone: median $flood_ratio (≤ 2; rounds $flood_rounds; p99s alone → flooded, ms: $(echo "$flood_report" | awk '/: .* p99 alone/{printf "%s%s → %s", sep, $7, $12; sep=", "}'))"
echo "  the machine's floor, the page beside one Argon2id loop at nice 5 and no HTTP ÷ alone: median $floor_report"
echo "resident memory: idle $(echo "$idle_rss" | cut -d' ' -f1-2), after every load $after_rss (idle ≤ 20 MiB; after ≤ 78 MiB)"
