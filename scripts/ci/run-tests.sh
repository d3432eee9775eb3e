#!/usr/bin/env bash
# Runs `npm test` in the current directory with outside services required,
# prints the node:test summary again at the end, and fails when the run fails,
# times out or runs no test at all.
# Usage: scripts/ci/run-tests.sh LABEL
# Environment:
#   PROPUSK_TEST_TIMEOUT     timeout(1) duration for npm test (default 20m)
#   PROPUSK_CI_SUMMARY_FILE  if set, gets one summary line for LABEL appended
set -euo pipefail
# shellcheck source=scripts/ci/common.sh
. "$(dirname "$0")/common.sh"

label=${1:?usage: run-tests.sh LABEL}
test_timeout=${PROPUSK_TEST_TIMEOUT:-20m}
output_file=$(mktemp "${TMPDIR:-/tmp}/propusk-test.XXXXXX")
trap 'rm -f "$output_file"' EXIT

log "$label: node $(node --version), npm $(npm --version)"

set +e
PROPUSK_REQUIRE_SERVICES=1 timeout --kill-after=30s "$test_timeout" npm test </dev/null 2>&1 | tee "$output_file"
status=${PIPESTATUS[0]}
set -e

# Node 20 prints TAP ('# tests 6') when piped, Node 24 prints spec ('ℹ tests 6').
# Prints nothing when the line is missing, e.g. after a timeout.
summary_value() {
  { grep -E "^(# |ℹ )$1 [0-9]+$" "$output_file" || true; } | tail -n 1 | awk '{ print $3 }'
}
tests=$(summary_value tests)
counts="tests ${tests:-?}"
for name in pass fail cancelled skipped; do
  value=$(summary_value "$name")
  counts="$counts, $name ${value:-?}"
done
line="$label: $counts, exit $status"
log "$line"
if [ -n "${PROPUSK_CI_SUMMARY_FILE:-}" ]; then
  printf '%s\n' "$line" >>"$PROPUSK_CI_SUMMARY_FILE"
fi

if [ "$status" -eq 124 ]; then
  die "$label: npm test timed out after $test_timeout"
fi
if [ "$status" -ne 0 ]; then
  die "$label: npm test failed with exit code $status"
fi
# node --test exits 0 when it finds no test file to run, so an empty run must fail here.
if [ -z "$tests" ] || [ "$tests" -eq 0 ]; then
  die "$label: npm test ran no tests"
fi
