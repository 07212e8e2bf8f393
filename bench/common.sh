# Shared steps of the load scripts, sourced by them: their settings and work
# folder, starting the server and waiting for it, reading a form's CSRF token
# and a cookie jar's session, and registering an account through the page, as
# a person would. Expects $root (the checkout); the steps after bench_setup
# use the $base and $password it sets (a script without it sets them itself).

# The settings the load scripts share, each overridable from the environment:
# $bin (BIN), $port (PORT, default $1), $duration (DURATION, default $2 or
# 10s), $base and $password; then a new work folder $work, made the current
# folder.
bench_setup() {
  bin=${BIN:-$root/target/release/rampart}
  port=${PORT:-$1}
  duration=${DURATION:-${2:-10s}}
  base="http://127.0.0.1:$port"
  password="a long unusual phrase 42"
  work=$(mktemp -d)
  cd "$work"
}

# Starts `$bin serve` in the background on $port with RUST_LOG=$1, logging to
# $work/server.log; the further arguments go before the binary (more
# NAME=value settings, then a wrapper command such as valgrind). Sets $pid.
start_server() {
  local log=$1
  shift
  env RAMPART_LISTEN="127.0.0.1:$port" RUST_LOG="$log" "$@" "$bin" serve >"$work/server.log" 2>&1 &
  pid=$!
}

# Waits until the server at $base answers /healthz, for at most $1 tenths of
# a second (default 100).
wait_for_server() {
  for _ in $(seq 1 "${1:-100}"); do curl -sf "$base/healthz" >/dev/null && return 0; sleep 0.1; done
}

# The CSRF token of the form on stdin.
csrf_of() { sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p'; }

# The session cookie kept in the curl cookie jar $1.
session_of() { awk '$6=="rampart_session"{print $7}' "$1"; }

# The user agent of the scripts' browser. Accounts are registered with it and
# the loads send it with the session cookie, as the browser that signed in
# does: with another user agent, session protection sees another client, a
# path of its own (the session stops being fresh).
agent="Mozilla/5.0 (X11; Linux x86_64) rampart-bench"

# Sets $signed_in to the curl and wrk arguments of a request from the
# browser that holds the session $1: its cookie and its user agent.
browser_of() { signed_in=(-H "Cookie: rampart_session=$1" -H "User-Agent: $agent"); }

# Registers the account $2 (mail $2@example.com, password $password) with the
# cookie jar $1, which then holds its session.
register_account() {
  local jar=$1 name=$2 csrf
  csrf=$(curl -s -A "$agent" -c "$jar" -b "$jar" "$base/register" | csrf_of)
  curl -s -A "$agent" -o /dev/null -c "$jar" -b "$jar" -X POST "$base/register" \
    --data-urlencode "csrf_token=$csrf" --data-urlencode "username=$name" \
    --data-urlencode "email=$name@example.com" --data-urlencode "password=$password" \
    --data-urlencode "password_confirm=$password"
}

# The headers a reverse proxy sends with a forward-auth check of
# https://app.example.com/page, as curl and wrk arguments.
fwd=(-H "X-Forwarded-Method: GET" -H "X-Forwarded-Proto: https" -H "X-Forwarded-Host: app.example.com" -H "X-Forwarded-Uri: /page")

# An API session token for the account $1 (password $password).
api_token_of() {
  curl -s -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$password\"}" "$base/api/v1/sessions" |
    sed -n 's/.*"token":"\([^"]*\)".*/\1/p'
}

# A new personal access token with the `proxy` scope, made with the API
# session token $1.
proxy_token_of() {
  curl -s -H 'content-type: application/json' -H "Authorization: Bearer $1" \
    -d '{"name":"bench","scopes":["proxy"],"expires_in_days":1}' "$base/api/v1/me/tokens" |
    sed -n 's/.*"token":"\([^"]*\)".*/\1/p'
}

# The server's CPU time so far, in nanoseconds (/proc/PID/task/TID/schedstat,
# exact where /stat counts clock ticks), and its context switches (voluntary
# and not, /proc/PID/task/TID/status), by thread name (the name's trailing
# -N dropped: rampart-hash-0 and rampart-hash-1 are one line).
cpu_by_thread() {
  for t in /proc/"$pid"/task/*; do
    echo "$(sed 's/-[0-9]*$//' "$t/comm" 2>/dev/null | tr ' ' '_')" \
      "$(cut -d' ' -f1 "$t/schedstat" 2>/dev/null)" \
      "$(awk '/ctxt_switches/ { n += $2 } END { print n }' "$t/status" 2>/dev/null)"
  done | awk 'NF == 3 { cpu[$1] += $2; switches[$1] += $3 }
    END { for (n in cpu) print n, cpu[n], switches[n] }' | sort
}

# How the server's CPU and context switches between two cpu_by_thread
# reads ($1 before, $2 after) split by thread, per sign-in of the $3 made
# in between; and hashing's share against the rest.
cpu_split() {
  join "$1" "$2" |
    awk -v n="$3" '{ t = ($4 - $2) / 1e9
      if (t >= 0.005) printf "  %-18s %6.2f s, %5.2f ms and %4.1f context switches per sign-in\n", $1, t, 1000 * t / n, ($5 - $3) / n
      if ($1 == "rampart-hash") hash += t; else rest += t }
      END { printf "  hashing: %.0f %% of the server'"'"'s CPU (%.2f ms a sign-in outside the hashing threads)\n", 100 * hash / (hash + rest), 1000 * rest / n }'
}

# Exports what bench/login.lua sends: a pre-login session cookie
# (RAMPART_BENCH_COOKIE) and a sign-in form for the account $1 with
# $password and that session's CSRF token (RAMPART_BENCH_BODY). The server
# reads RAMPART_* variables as settings: start any server before this.
prepare_login_load() {
  local anon="$work/anon.jar" csrf
  csrf=$(curl -s -c "$anon" -b "$anon" "$base/login" | csrf_of)
  export RAMPART_BENCH_COOKIE RAMPART_BENCH_BODY
  RAMPART_BENCH_COOKIE=$(session_of "$anon")
  RAMPART_BENCH_BODY="csrf_token=$csrf&username=$1&password=${password// /+}"
}
