#!/usr/bin/env bash
# Schema-driven fuzzing of the JSON API with schemathesis, every check: every
# operation of the served OpenAPI document, with generated (valid and
# invalid) inputs and the stateful phase. Fails on any 5xx, any response the
# document does not describe, valid data refused or invalid data accepted.
# Usage: scripts/api-fuzz.sh [path/to/rampart]   (default: target/debug/rampart)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$root/target/debug/rampart}")
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
cd "$work"
password="fuzzing is fun 2026"
# The fuzzer is an administrator, so the admin routes are explored too.
printf '%s\n' "$password" | RUST_LOG=warn "$bin" user create fuzzer --email fuzzer@example.com \
  --role admin --role user --password-stdin >/dev/null
# A high API rate limit, so the fuzzer explores the API rather than the limiter.
RAMPART_API__RATE_PER_SECOND=100000 RAMPART_API__BURST=100000 \
  RAMPART_LISTEN="127.0.0.1:$port" RUST_LOG=warn "$bin" serve >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done

# A fresh session for each run: a generated request may end the fuzzer's own
# sessions (it is an administrator acting on every account, its own too).
# One user agent for the sign-in and the fuzzing: a session used from another
# browser is no longer fresh, and fresh-only routes would answer 401.
token() {
  # The runs before may have locked the account's sign-in (guessed passwords
  # for its name, a lock by an administrator: the fuzzer itself): an
  # operator's unlock first.
  RUST_LOG=warn "$bin" user unlock fuzzer >/dev/null
  curl -sf -A rampart-fuzz -H 'content-type: application/json' \
    -d "{\"username\":\"fuzzer\",\"password\":\"$password\"}" "$base/api/v1/sessions" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

# Operations whose well-formed requests may be refused for a business
# reason the document describes (a wrong current password, a wrong or used
# code, an unknown reset token): a generated request cannot know the secret,
# so only the positive_data_acceptance check is left out for them, and every
# other check still runs on them.
business=(
  "PUT /me/password"            # 422 invalid_password
  "DELETE /me/mfa/totp"         # 422 invalid_password
  "POST /me/mfa/totp/confirm"   # 422 invalid_mfa_code
  "POST /password-resets/confirm" # 400 invalid_token
  "POST /users"                 # 422 validation_failed on password: common, breached, or the username
)
# Operations that end the session they are called with when the stateful
# phase links them to the caller's own id (its own session, its own
# account's sessions, a lock of its own account). Each runs alone, last, on a
# session of its own, so no other operation is left answering only 401.
self_ending=(
  "DELETE /me/sessions/{id}"
  "DELETE /admin/users/{id}/sessions"
  "PATCH /admin/users/{id}"
)
filters_in=() filters_out=()
for op in "${self_ending[@]}"; do filters_out+=(--exclude-name "$op"); done
for op in "${business[@]}"; do filters_in+=(--include-name "$op"); filters_out+=(--exclude-name "$op"); done

common=(--header "User-Agent: rampart-fuzz" --exclude-path /sessions/current --max-examples "${MAX_EXAMPLES:-25}" --seed 1 --no-color)
# Every check, every phase (examples, coverage, fuzzing, stateful).
st run "$base/api/v1/openapi.json" --header "Authorization: Bearer $(token)" \
  --checks all "${filters_out[@]}" "${common[@]}"
st run "$base/api/v1/openapi.json" --header "Authorization: Bearer $(token)" \
  --checks all --exclude-checks positive_data_acceptance "${filters_in[@]}" "${common[@]}"
# Each with the operations whose answers link it to real ids (the caller's
# own id and sessions, new accounts), so it is not left guessing 404s.
providers=(--include-name "GET /me" --include-name "GET /me/sessions" --include-name "POST /users")
for op in "${self_ending[@]}"; do
  st run "$base/api/v1/openapi.json" --header "Authorization: Bearer $(token)" \
    --checks all --include-name "$op" "${providers[@]}" "${common[@]}"
done
if grep -q '"level":"ERROR"\|ERROR' "$work/server.log"; then
  echo "the server logged errors during fuzzing:" >&2
  cat "$work/server.log" >&2
  exit 1
fi
