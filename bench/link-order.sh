#!/usr/bin/env bash
# Writes crates/rampart-server/link-order.txt: the functions of the release
# binary that start-up, the idle timers and the common requests run, hottest
# first, by their symbol names. The release build hands the list to the linker
# (crates/rampart-server/build.rs), which lays these functions out side by
# side. The kernel maps a binary's code in 64 KiB windows around each first
# use (fault-around), so code run together in few windows is code resident in
# few windows: less resident memory idle and under load (#20, figures in
# docs/benchmarks.md). A function missing from the list is only placed
# elsewhere, so a list older than the code costs memory, never correctness.
# The functions are collected by valgrind's callgrind, which sees every
# function that runs, not a sample.
# Usage: cargo build --release -p rampart-server --bin rampart && bench/link-order.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/common.sh"
out=${OUT:-$root/crates/rampart-server/link-order.txt}
bench_setup 18184
start_server warn RAMPART_DATA_DIR="$work/data" valgrind --tool=callgrind --demangle=no \
  --callgrind-out-file="$work/cg.out"
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
# Under valgrind the server starts many times slower: wait up to 2 minutes.
wait_for_server 1200

# What a person and a proxy do most: the forms, registering, signing in with
# a wrong and a right password, the account pages, the forward-auth check
# with a cookie and with a token, the API, signing out.
jar="$work/user.jar"
get() { curl -s -A "$agent" -o /dev/null -c "$jar" -b "$jar" "$@"; }
for path in /healthz /login /register /password/forgot /static/rampart.css /nothing-here; do get "$base$path"; done
register_account "$jar" bench
for path in /account /account/sessions /account/password /account/tokens /account/passkeys /; do get "$base$path"; done
session=$(session_of "$jar")
csrf=$(curl -s -A "$agent" -b "$jar" "$base/account" | csrf_of)
get -X POST "$base/logout" --data-urlencode "csrf_token=$csrf"
for pass in "wrong $password" "$password"; do
  csrf=$(curl -s -A "$agent" -c "$jar" -b "$jar" "$base/login" | csrf_of)
  get -X POST "$base/login" --data-urlencode "csrf_token=$csrf" \
    --data-urlencode "username=bench" --data-urlencode "password=$pass"
done
session=$(session_of "$jar")
browser_of "$session"
get "$base/login?next=%2Faccount"
get -X POST "$base/login" --data-urlencode "username=nobody" --data-urlencode "password=x"
api_token=$(api_token_of bench)
pat=$(proxy_token_of "$api_token")
curl -s -o /dev/null -H "Authorization: Bearer $api_token" "$base/api/v1/me"
for _ in 1 2 3; do
  curl -s -o /dev/null "${fwd[@]}" "${signed_in[@]}" "$base/auth/verify"
  curl -s -o /dev/null "${fwd[@]}" -H "Authorization: Bearer $pat" "$base/auth/verify"
  curl -s -o /dev/null "${fwd[@]}" "$base/auth/verify"
  curl -s -o /dev/null "${signed_in[@]}" "$base/account"
done
# The same under load, as bench/run.sh gives it: code that only runs when
# requests overlap (waits for a connection or the hash pool, work stealing,
# timers firing under load) is listed too. Left out, it lands wherever the
# linker puts it, and which windows of cold code it pulls in moves with every
# change to the code (the thirteenth session measured 1-1.5 MiB of it).
wrk -t2 -c8 -d3s "${signed_in[@]}" "$base/account" >/dev/null
wrk -t2 -c8 -d3s "${signed_in[@]}" "${fwd[@]}" "$base/auth/verify" >/dev/null
prepare_login_load bench
wrk -t2 -c4 -d6s -s "$root/bench/login.lua" "$base/login" >/dev/null
# The timers that run while nobody asks (session sweeps, the outbox).
sleep "${IDLE:-20}"
callgrind_control --dump=end "$pid" >/dev/null

# Each function's own instruction count, summed over the dumps; then only
# the names the binary defines, hottest first.
python3 - "$work" "$bin" "$out" <<'EOF'
import collections, glob, re, subprocess, sys
work, binary, out = sys.argv[1:4]
cost = collections.Counter()
for dump in glob.glob(f"{work}/cg.out*"):
    names, current, after_call = {}, None, False
    for line in open(dump, errors="replace"):
        if line.startswith(("fn=", "cfn=")):
            kind, rest = line.rstrip("\n").split("=", 1)
            m = re.match(r"\((\d+)\)(?: (.*))?", rest)
            if m:
                if m.group(2):
                    names[m.group(1)] = m.group(2)
                name = names.get(m.group(1))
            else:
                name = rest
            if kind == "fn":
                current = re.sub(r"'\d+$", "", name or "")
                cost[current] += 0
        elif line.startswith("calls="):
            after_call = True
        elif line[:1] in "0123456789+-*" and current:
            if after_call:
                after_call = False
                continue
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                cost[current] += int(parts[1])
defined = set()
for row in subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, check=True).stdout.splitlines():
    parts = row.split(" ", 2)
    if len(parts) == 3 and parts[1] in "tTwW":
        defined.add(parts[2])
order = [n for n, _ in sorted(cost.items(), key=lambda kv: (-kv[1], kv[0])) if n in defined]
with open(out, "w") as f:
    f.write("".join(n + "\n" for n in order))
print(f"{len(order)} functions of {len(defined)} written to {out}")
EOF
