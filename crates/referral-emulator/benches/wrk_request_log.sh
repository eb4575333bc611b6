#!/usr/bin/env bash
# What the request log costs: two release emulators side by side in one run, one keeping the log
# (`--request-log 200`, the default) and one without (`--request-log 0`), the same seeded site,
# GET a referring customer by id under wrk. Target: the log costs at most 5 % of the throughput.
# Usage: crates/referral-emulator/benches/wrk_request_log.sh [SECONDS_PER_RUN] (default 10;
# 7 paired rounds, medians)
set -euo pipefail
cd "$(dirname "$0")/../../.."
seconds=${1:-10}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }
cargo build --quiet --release -p referral-emulator --bin wix-referral-emulator
work=$(mktemp -d)
cleanup() { [ -f "$work/pids" ] && xargs -r kill <"$work/pids" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

start() { # start NAME COMMAND...; echo the URL it prints
  local name=$1; shift
  "$@" >"$work/$name.log" 2>/dev/null &
  echo $! >>"$work/pids"
  for _ in $(seq 1 200); do grep -q '^listening on ' "$work/$name.log" && break; sleep 0.05; done
  sed -n 's/^listening on //p' "$work/$name.log" | head -n 1
}

key='local-emulator-key'; site='11111111-1111-4111-8111-111111111111'
seed='{"customers": 20000, "friendsPerCustomer": 4, "actionRate": 0.25, "seed": 42}'
logged=$(start logged target/release/wix-referral-emulator --addr 127.0.0.1:0 --rate-limit 0 --request-log 200)
unlogged=$(start unlogged target/release/wix-referral-emulator --addr 127.0.0.1:0 --rate-limit 0 --request-log 0)
for emulator in "$logged" "$unlogged"; do
  curl -sf -X POST "$emulator/_emulator/v1/sites/$site/seed" -H 'Content-Type: application/json' -d "$seed" >/dev/null
done
# The same seed gives the same ids on both.
customer=$(curl -sf -X POST "$logged/referral-customers/v1/referring-customers/query" \
  -H "Authorization: $key" -H "wix-site-id: $site" -H 'Content-Type: application/json' \
  -d '{"query": {"cursorPaging": {"limit": 1}}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["referringCustomers"][0]["id"])')
path="/referral-customers/v1/referring-customers/$customer"
curl -sf "$unlogged$path" -H "Authorization: $key" -H "wix-site-id: $site" >/dev/null

cat >"$work/get.lua" <<LUA
wrk.headers["Authorization"] = "$key"
wrk.headers["wix-site-id"] = "$site"
LUA
rps() { wrk -t1 -c8 -d"${seconds}s" -s "$work/get.lua" "$1" | awk '/Requests\/sec/ {print $2}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
with=""; without=""; ratios=""
for round in 1 2 3 4 5 6 7; do
  # Each round runs the two back to back, in alternating order; the machine's noise between
  # rounds cancels in the round's own ratio.
  if [ $((round % 2)) -eq 1 ]; then a=$(rps "$logged$path"); b=$(rps "$unlogged$path")
  else b=$(rps "$unlogged$path"); a=$(rps "$logged$path"); fi
  with+="$a "; without+="$b "
  ratios+="$(python3 -c "print($a/$b)") "
done
w=$(echo "$with" | tr ' ' '\n' | grep . | median)
wo=$(echo "$without" | tr ' ' '\n' | grep . | median)
r=$(echo "$ratios" | tr ' ' '\n' | grep . | median)
logged_count=$(curl -sf "$logged/_emulator/v1/requests?site=$site&limit=10000" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["requests"]))')
echo "GET a referring customer by id, 100 000 rows; wrk -t1 -c8, ${seconds} s per run, 7 paired rounds, medians"
echo "rounds with the log: $with; without: $without; records kept by the logging one: $logged_count"
echo "| emulator | req/s |"
echo "|---|---|"
echo "| --request-log 200 (default) | $w |"
echo "| --request-log 0 | $wo |"
python3 -c "print(f'| the log costs (median of the rounds\' ratios) | {1 - $r:.1%} |')"
