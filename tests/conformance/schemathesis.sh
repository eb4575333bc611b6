#!/usr/bin/env bash
# Spec conformance: schemathesis against a freshly seeded emulator, every operation of the bundled
# spec, every check, with tests/conformance/hooks.py supplying the real ids, codes and revisions
# that the by-id operations need. Fails on any failed check and on any operation whose positive
# cases all got a 4xx (an operation whose success path was never checked).
#
#   tests/conformance/schemathesis.sh [path/to/st] [max examples per operation]
#
# ST_EXTRA adds schemathesis options (e.g. ST_EXTRA="--cassette-path run.yaml").
#
# Needs schemathesis 3.39.16 with hypothesis 6.112.5 (.ci/run installs them into .venv).
set -euo pipefail
cd "$(dirname "$0")/../.."
st=${1:-.venv/bin/st}
examples=${2:-25}

cargo build --quiet -p referral-emulator --bin wix-referral-emulator
emulator_log=$(mktemp)
st_log=$(mktemp)
target/debug/wix-referral-emulator --addr 127.0.0.1:0 --seed 42 --rate-limit 0 >"$emulator_log" 2>&1 &
emulator_pid=$!
trap 'kill "$emulator_pid" 2>/dev/null || true; rm -f "$emulator_log" "$st_log"' EXIT
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$emulator_log" && break
  sleep 0.1
done
emulator_url=$(sed -n 's/^listening on //p' "$emulator_log" | head -n 1)
[ -n "$emulator_url" ] || { cat "$emulator_log"; echo "the emulator did not start"; exit 1; }

export ST_BASE_URL=$emulator_url
export ST_AUTHORIZATION=local-emulator-key
export ST_SITE_ID=11111111-1111-4111-8111-111111111111
export PYTHONPATH=tests/conformance${PYTHONPATH:+:$PYTHONPATH}
export SCHEMATHESIS_HOOKS=hooks

status=0
"$st" run crates/referral-api/openapi.json --base-url "$emulator_url" \
  -H "Authorization: $ST_AUTHORIZATION" -H "wix-site-id: $ST_SITE_ID" \
  --checks all --hypothesis-max-examples "$examples" --hypothesis-seed 1 --no-color ${ST_EXTRA:-} \
  | tee "$st_log" || status=$?
if grep -q 'returned only 4xx responses' "$st_log"; then
  echo "conformance: the operations above were never answered with a 2xx" >&2
  status=1
fi
exit "$status"
