#!/usr/bin/env bash
# Schema-driven fuzzing of the JSON API with schemathesis: every operation of
# the served OpenAPI document, with generated (valid and invalid) inputs. Fails
# on any 5xx and on any response the document does not describe.
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

token=$(curl -sf -H 'content-type: application/json' \
  -d "{\"username\":\"fuzzer\",\"password\":\"$password\"}" "$base/api/v1/sessions" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

st run "$base/api/v1/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --exclude-path /sessions/current \
  --max-examples "${MAX_EXAMPLES:-25}" \
  --seed 1 \
  --no-color
if grep -q '"level":"ERROR"\|ERROR' "$work/server.log"; then
  echo "the server logged errors during fuzzing:" >&2
  cat "$work/server.log" >&2
  exit 1
fi
