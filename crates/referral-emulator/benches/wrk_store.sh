#!/usr/bin/env bash
# The release emulator under wrk, in memory and with its durable store (--state), and optionally
# an earlier build beside them (BASELINE=path/to/wix-referral-emulator), in one run:
# create-or-return writes of new contacts over 200 connections, and GETs by id over 1 000.
# Usage: crates/referral-emulator/benches/wrk_store.sh [SECONDS_PER_RUN] (default 10; 3 rounds, medians)
set -euo pipefail
cd "$(dirname "$0")/../../.."
seconds=${1:-10}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk"; exit 1; }
ulimit -n 65536 2>/dev/null || true
cargo build --quiet --release -p referral-emulator --bin wix-referral-emulator
work=$(mktemp -d)
# start() runs in a command substitution (a subshell): its pids go to a file, not an array.
cleanup() { [ -f "$work/pids" ] && xargs -r kill <"$work/pids" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
key='local-emulator-key'; site='11111111-1111-4111-8111-111111111111'

start() { # start NAME COMMAND...; echo the URL it prints
  local name=$1; shift
  "$@" >"$work/$name.log" 2>/dev/null &
  echo $! >>"$work/pids"
  for _ in $(seq 1 600); do grep -q '^listening on ' "$work/$name.log" && break; sleep 0.05; done
  sed -n 's/^listening on //p' "$work/$name.log" | head -n 1
}

cat >"$work/write.lua" <<LUA
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
local hex = "0123456789abcdef"
local function h(n)
  local t = {}
  for i = 1, n do local r = math.random(1, 16); t[i] = hex:sub(r, r) end
  return table.concat(t)
end
request = function()
  local contact = h(8) .. "-" .. h(4) .. "-4" .. h(3) .. "-8" .. h(3) .. "-" .. h(12)
  return wrk.format("POST", "/referral-customers/v1/referring-customers",
    {["Content-Type"] = "application/json", ["Authorization"] = "$key", ["wix-site-id"] = "$site"},
    '{"contactId": "' .. contact .. '"}')
end
LUA
cat >"$work/get.lua" <<LUA
wrk.headers["Authorization"] = "$key"
wrk.headers["wix-site-id"] = "$site"
LUA

declare -A url
url[memory]=$(start memory target/release/wix-referral-emulator --addr 127.0.0.1:0 --rate-limit 0)
url[store]=$(start store target/release/wix-referral-emulator --addr 127.0.0.1:0 --rate-limit 0 --state "$work/store.sqlite")
sides=(memory store)
if [ -n "${BASELINE:-}" ]; then
  url[baseline]=$(start baseline "$BASELINE" --addr 127.0.0.1:0 --rate-limit 0)
  sides=(baseline memory store)
fi
customer() { # the id of one customer of the default site
  curl -sf -X POST "$1/referral-customers/v1/referring-customers" -H "Authorization: $key" \
    -H "wix-site-id: $site" -H 'Content-Type: application/json' \
    -d '{"contactId": "6a1f5bb3-0723-4aa4-87d7-a21ebd1d0fa3"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["referringCustomer"]["id"])'
}
declare -A id
for side in "${sides[@]}"; do id[$side]=$(customer "${url[$side]}"); done

rps() { wrk -t2 -c"$1" -d"${seconds}s" -s "$2" "$3" | awk '/Requests\/sec/ {print $2}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A runs
for round in 1 2 3; do
  for side in "${sides[@]}"; do
    runs[${side}_write]+="$(rps 200 "$work/write.lua" "${url[$side]}") "
    runs[${side}_get]+="$(rps 1000 "$work/get.lua" "${url[$side]}/referral-customers/v1/referring-customers/${id[$side]}") "
  done
done
m() { echo "${runs[$1]}" | tr ' ' '\n' | grep . | median; }
echo "wrk -t2, ${seconds} s per run, 3 interleaved rounds, medians (req/s)"
echo "| emulator | create-or-return, 200 connections | GET by id, 1 000 connections |"
echo "|---|---|---|"
for side in "${sides[@]}"; do
  echo "| $side | $(m ${side}_write) | $(m ${side}_get) |"
done
