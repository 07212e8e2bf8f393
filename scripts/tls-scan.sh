#!/usr/bin/env bash
# Scans built-in HTTPS with testssl (Debian package testssl.sh) and fails
# if SSLv2, SSLv3, TLS 1.0, TLS 1.1 or any NULL, anonymous, export, low,
# 3DES/IDEA or obsolete CBC cipher is offered, or if TLS 1.2 / 1.3 is not.
# Usage: scripts/tls-scan.sh path/to/rampart (the release binary in CI).
set -euo pipefail
bin=$(realpath "$1")
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cd "$work"
# A self-signed certificate for 127.0.0.1 (P-256, as most deployments use).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
  -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -keyout key.pem -out cert.pem 2>/dev/null
chmod 600 key.pem
RAMPART_LISTEN="127.0.0.1:$port" RAMPART_TLS_CERT="$work/cert.pem" RAMPART_TLS_KEY="$work/key.pem" \
  RAMPART_DATA_DIR="$work/data" RUST_LOG=warn "$bin" serve >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for i in $(seq 1 150); do
  curl -sfk "https://127.0.0.1:$port/healthz" >/dev/null && break
  if [ "$i" = 150 ]; then echo "the server did not start:" >&2; cat "$work/server.log" >&2; exit 1; fi
  sleep 0.2
done
testssl --quiet --color 0 --warnings off --protocols --std --jsonfile "$work/scan.json" \
  "127.0.0.1:$port" >"$work/scan.txt" 2>&1 || true
python3 - "$work/scan.json" <<'PY'
import json, sys
findings = {f["id"]: f.get("finding", "") for f in json.load(open(sys.argv[1]))}
# testssl 3.0 calls the obsolete CBC ciphers cipherlist_AVERAGE, 3.2 cipherlist_OBSOLETED.
if "cipherlist_OBSOLETED" in findings:
    findings.setdefault("cipherlist_AVERAGE", findings["cipherlist_OBSOLETED"])
must_be_absent = ["SSLv2", "SSLv3", "TLS1", "TLS1_1", "cipherlist_NULL", "cipherlist_aNULL",
                  "cipherlist_EXPORT", "cipherlist_LOW", "cipherlist_3DES_IDEA", "cipherlist_AVERAGE"]
bad = []
for key in must_be_absent:
    finding = findings.get(key)
    if finding is None or not finding.startswith("not offered"):
        bad.append(f"{key}: {finding!r}")
for key in ["TLS1_2", "TLS1_3"]:
    if not findings.get(key, "").startswith("offered"):
        bad.append(f"{key}: {findings.get(key)!r} (expected offered)")
for key in must_be_absent + ["TLS1_2", "TLS1_3"]:
    print(f"{key:22} {findings.get(key)}")
if bad:
    print("testssl.sh found a weakness:\n  " + "\n  ".join(bad))
    sys.exit(1)
print("testssl.sh: only TLS 1.2/1.3 and strong ciphers are offered")
PY
