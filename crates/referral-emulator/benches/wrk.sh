#!/usr/bin/env bash
# The release emulator under wrk (a second process), against a bare axum handler returning the
# same bytes, in one run: GET a referring customer by id, and a friends query on an indexed field.
# Usage: crates/referral-emulator/benches/wrk.sh [SECONDS_PER_RUN] (default 10; 3 rounds, medians)
set -euo pipefail
cd "$(dirname "$0")/../../.."
seconds=${1:-10}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }
cargo build --quiet --release -p referral-emulator --bin wix-referral-emulator --example bare_server
work=$(mktemp -d)
# start() runs in a command substitution (a subshell): its pids go to a file, not an array.
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
emulator=$(start emulator target/release/wix-referral-emulator --addr 127.0.0.1:0 --rate-limit 0)
curl -sf -X POST "$emulator/_emulator/v1/sites/$site/seed" -H 'Content-Type: application/json' \
  -d '{"customers": 20000, "friendsPerCustomer": 4, "actionRate": 0.25, "seed": 42}' >/dev/null
customer=$(curl -sf -X POST "$emulator/referral-customers/v1/referring-customers/query" \
  -H "Authorization: $key" -H "wix-site-id: $site" -H 'Content-Type: application/json' \
  -d '{"query": {"cursorPaging": {"limit": 1}}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["referringCustomers"][0]["id"])')
query="{\"query\": {\"filter\": {\"referringCustomerId\": {\"\$eq\": \"$customer\"}}, \"cursorPaging\": {\"limit\": 100}}}"
curl -sf "$emulator/referral-customers/v1/referring-customers/$customer" \
  -H "Authorization: $key" -H "wix-site-id: $site" >"$work/get.json"
curl -sf -X POST "$emulator/referral_friends/v1/referred-friends/query" -H "Authorization: $key" \
  -H "wix-site-id: $site" -H 'Content-Type: application/json' -d "$query" >"$work/query.json"
bare=$(start bare target/release/examples/bare_server 127.0.0.1:0 "$work/get.json" "$work/query.json")

cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$query'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "$key"
wrk.headers["wix-site-id"] = "$site"
LUA
cat >"$work/get.lua" <<LUA
wrk.headers["Authorization"] = "$key"
wrk.headers["wix-site-id"] = "$site"
LUA

rps() { wrk -t1 -c8 -d"${seconds}s" -s "$1" "$2" | awk '/Requests\/sec/ {print $2}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A runs
for round in 1 2 3; do
  runs[bare_get]+="$(rps "$work/get.lua" "$bare/referral-customers/v1/referring-customers/$customer") "
  runs[emu_get]+="$(rps "$work/get.lua" "$emulator/referral-customers/v1/referring-customers/$customer") "
  runs[bare_query]+="$(rps "$work/post.lua" "$bare/referral_friends/v1/referred-friends/query") "
  runs[emu_query]+="$(rps "$work/post.lua" "$emulator/referral_friends/v1/referred-friends/query") "
done
m() { echo "${runs[$1]}" | tr ' ' '\n' | grep . | median; }
echo "100 000 rows (20 000 customers, 80 000 friends); wrk -t1 -c8, ${seconds} s per run, 3 interleaved rounds, medians"
echo "| request | bare axum (req/s) | emulator (req/s) | emulator / bare |"
echo "|---|---|---|---|"
for kind in get query; do
  b=$(m "bare_$kind"); e=$(m "emu_$kind")
  echo "| $kind | $b | $e | $(python3 -c "print(f'{$e/$b:.0%}')") |"
done
