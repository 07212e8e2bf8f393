#!/usr/bin/env bash
# Scale-out figures (#21, "losing an instance"): one and three release
# instances on one PostgreSQL database behind real nginx (the upstream block
# of docs/deploy.md), under registrations, sign-ins and page loads from 8
# clients; with three, one instance is killed with SIGKILL half-way. Prints
# throughput, the failures clients saw before, at and after the kill, and
# checks that every registration answered 303 is in the database.
#
# It runs the integration test `instance_loss` on the release build, with a
# longer load: PHASE seconds before the kill and PHASE after (default 10).
#
#   bench/instances.sh              # PHASE=10
#   PHASE=20 bench/instances.sh
set -uo pipefail
cd "$(dirname "$0")/.."
PHASE=${PHASE:-10}
export RAMPART_TEST_DATABASE_URL=${RAMPART_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export RAMPART_REQUIRE_PROXIES=1
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//' || true)
echo "machine: $(nproc) cores${cpu:+, $cpu}"
cargo test --release -q -p rampart-server --test it --no-run || exit 1
status=0
for n in 1 3; do
  log=$(mktemp)
  RAMPART_FLEET_INSTANCES=$n RAMPART_FLEET_SECONDS=$PHASE \
    cargo test --release -q -p rampart-server --test it -- \
    instance_loss::losing_an_instance_loses_no_committed_change --exact --nocapture --test-threads 1 \
    > "$log" 2>&1 || status=1
  if ! grep -q '^fleet:' "$log"; then
    echo "no figures for $n instance(s):"; cat "$log"; status=1
  fi
  grep -E '^fleet:' "$log"
  grep -A4 -E 'panicked|FAILED' "$log" || true
  rm -f "$log"
done
exit $status
