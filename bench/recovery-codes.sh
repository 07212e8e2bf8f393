#!/usr/bin/env bash
# What a new set of recovery codes costs now that each is a salted Argon2id
# hash (ASVS 6.5.2): the time of POST /api/v1/me/mfa/recovery-codes on the
# release binary (embedded SQLite), five times. Needs curl and python3.
#
#   cargo build --release -p rampart-server && bench/recovery-codes.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir=$(mktemp -d)
port=18099
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
RAMPART_LISTEN=127.0.0.1:$port RAMPART_DATA_DIR="$dir/data" "$root/target/release/rampart" serve >"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
api=http://127.0.0.1:$port/api/v1
json=(-H 'content-type: application/json')
pw='a long unusual phrase 42'
field() { python3 -c "import sys,json; print(json.load(sys.stdin)['$1'])"; }
curl -sf -XPOST "$api/users" "${json[@]}" -d "{\"username\":\"rcb\",\"email\":\"rcb@example.com\",\"password\":\"$pw\"}" >/dev/null
token=$(curl -sf -XPOST "$api/sessions" "${json[@]}" -d "{\"username\":\"rcb\",\"password\":\"$pw\"}" | field token)
secret=$(curl -sf -XPOST "$api/me/mfa/totp" -H "authorization: Bearer $token" | field secret)
code=$(python3 - "$secret" <<'PY'
import base64, hashlib, hmac, struct, sys, time
s = sys.argv[1]; key = base64.b32decode(s + "=" * ((8 - len(s) % 8) % 8))
h = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
o = h[-1] & 15
print("%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 1000000))
PY
)
curl -s -o /dev/null -w "enrolment (TOTP confirmed, 10 codes hashed): %{http_code} in %{time_total} s\n" \
  -XPOST "$api/me/mfa/totp/confirm" -H "authorization: Bearer $token" "${json[@]}" -d "{\"code\":\"$code\"}"
for _ in 1 2 3 4 5; do
  curl -s -o /dev/null -w "new recovery codes: %{http_code} in %{time_total} s\n" \
    -XPOST "$api/me/mfa/recovery-codes" -H "authorization: Bearer $token"
done
