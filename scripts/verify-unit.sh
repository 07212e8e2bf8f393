#!/usr/bin/env bash
# Checks deploy/rampart.service with `systemd-analyze verify`, pointing it at
# a real rampart binary (verify wants the executables to exist).
# Usage: scripts/verify-unit.sh [path/to/rampart]   (default: target/debug/rampart)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$root/target/debug/rampart}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s#/usr/local/bin/rampart#$bin#g" "$root/deploy/rampart.service" >"$work/rampart.service"
out=$(systemd-analyze verify "$work/rampart.service" 2>&1) || { echo "$out" >&2; exit 1; }
# verify exits 0 on some warnings; any line about our unit is a finding.
if grep -F "rampart.service" <<<"$out"; then
  echo "systemd-analyze verify found problems in deploy/rampart.service" >&2
  exit 1
fi
echo "deploy/rampart.service: systemd-analyze verify found nothing"
