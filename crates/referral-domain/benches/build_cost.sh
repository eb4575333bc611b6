#!/usr/bin/env bash
# Cold and incremental debug builds of each crate, in an empty target directory per build, with
# the default features and (where a TLS backend is chosen) the lightest, rustls-ring.
# Usage: crates/referral-domain/benches/build_cost.sh   (about 15 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
cargo fetch --quiet
measure() { # measure LABEL PACKAGE ENTRY_FILE [CARGO FLAGS...]
  local label=$1 package=$2 entry=$3; shift 3
  local dir
  dir="$root/$(echo "$label" | tr -c "a-zA-Z0-9\n" "_")"
  local cold incremental
  cold=$( { /usr/bin/time -f '%e' env CARGO_TARGET_DIR="$dir" cargo build --quiet -p "$package" "$@" >/dev/null; } 2>&1 | tail -n 1)
  [ -d "$dir/debug" ] || { echo "the build of $label failed"; exit 1; }
  touch "$entry"
  incremental=$( { /usr/bin/time -f '%e' env CARGO_TARGET_DIR="$dir" cargo build --quiet -p "$package" "$@" >/dev/null; } 2>&1 | tail -n 1)
  rm -rf "$dir"
  echo "| $label | $cold | $incremental |"
}
echo "| crate (features) | cold build (s) | after touching its root file (s) |"
echo "|---|---|---|"
measure "referral-api (default: rustls-aws-lc)" referral-api crates/referral-api/src/lib.rs
measure "referral-api (rustls-ring)" referral-api crates/referral-api/src/lib.rs --no-default-features --features rustls-ring
measure "referral-domain (default: rustls-aws-lc)" referral-domain crates/referral-domain/src/lib.rs
measure "referral-domain (rustls-ring)" referral-domain crates/referral-domain/src/lib.rs --no-default-features --features rustls-ring
measure "referral-emulator" referral-emulator crates/referral-emulator/src/lib.rs
measure "referral-testkit" referral-testkit crates/referral-testkit/src/lib.rs
measure "referral-cli" referral-cli crates/referral-cli/src/main.rs
measure "downstream crate on referral-domain (default)" downstream-example tests/downstream/src/lib.rs
measure "downstream crate on referral-domain (rustls-ring)" downstream-example tests/downstream/src/lib.rs --no-default-features --features rustls-ring
