#!/usr/bin/env bash
# Sign-in throughput by source, side by side in one run against the release
# binary on embedded SQLite and the test kit's real slapd (LDAPS):
#   1. POST /login for a local account (one Argon2id hash)
#   2. POST /login for a directory account, sources = local then ldap
#      (the local dummy hash, then search + bind over LDAPS)
#   3. the same with sources = ldap then local (search + bind only)
# Usage: cargo build --release -p rampart-server --bin rampart &&
#   cargo build --release -p rampart-testkit --bins --examples && bench/ldap.sh
# BENCH_BIN=PATH runs another build of the server (to compare two builds).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/common.sh"
bin=$(realpath "${BENCH_BIN:-$root/target/release/rampart}")
duration=${DURATION:-10s}
port=${PORT:-18090}
base="http://127.0.0.1:$port"
password="a long unusual phrase 42"
alice="alice directory password 1"
work=$(mktemp -d)
cd "$work"
mkfifo hold
"$root/target/release/examples/slapd" <hold >slapd.out &
slapd_pid=$!
exec 3>hold
for _ in $(seq 1 100); do [ -s slapd.out ] && break; sleep 0.1; done
read -r _ ldaps ca <slapd.out
pid=
trap 'kill $pid 2>/dev/null || true; exec 3>&-; wait 2>/dev/null; rm -rf "$work"' EXIT
echo "service account secret 7" >ldap.secret

start() { # $1: sources
  cat >rampart.toml <<TOML
[ldap]
url = "$ldaps"
ca_file = "$ca"
bind_dn = "cn=rampart,dc=example,dc=com"
bind_password_file = "ldap.secret"
user_base = "ou=people,dc=example,dc=com"
[login]
sources = $1
TOML
  RAMPART_CONFIG=rampart.toml RAMPART_LISTEN="127.0.0.1:$port" RUST_LOG=warn "$bin" serve >>server.log 2>&1 &
  pid=$!
  wait_for_server
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; }
login_load() { # $1 name, $2 password
  local jar="$work/$1.jar" csrf
  rm -f "$jar"
  csrf=$(curl -s -c "$jar" -b "$jar" "$base/login" | csrf_of)
  [ "$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" -X POST "$base/login" \
    --data-urlencode "csrf_token=$csrf" --data-urlencode "username=$1" --data-urlencode "password=$2")" = 303 ]
  rm -f "$jar"
  csrf=$(curl -s -c "$jar" -b "$jar" "$base/login" | csrf_of)
  RAMPART_BENCH_COOKIE=$(session_of "$jar") \
  RAMPART_BENCH_BODY="csrf_token=$csrf&username=$1&password=$(printf %s "$2" | sed 's/ /+/g')" \
    wrk -t2 -c8 -d"$duration" --latency -s "$root/bench/login.lua" "$base/login"
}

echo "== machine: $(nproc) cores; rampart $("$bin" --version)"
start '["local", "ldap"]'
jar="$work/reg.jar"
register_account "$jar" bench
echo "== POST /login, local account (sources: local, ldap)"
login_load bench "$password"
echo "== POST /login, directory account (sources: local, ldap)"
login_load alice "$alice"
stop
start '["ldap", "local"]'
echo "== POST /login, directory account (sources: ldap, local)"
login_load alice "$alice"
stop
