#!/usr/bin/env bash
# The fuzz smoke (CI): every parser's fuzz target (fuzz/fuzz_targets/) built and run for a few
# seconds over its committed seeds (fuzz/seeds/<target>/); fails on any crash, panic, hang
# (an input over 60 s: importing an ED-269 sample takes a second or more, EGM96 synthesis over
# each zone) or out-of-memory. Installs cargo-fuzz when missing. The long run is in
# fuzz/README.md.
#
# Stable Rust only (CI has no other toolchain): `-s none` builds without a sanitizer, the one
# option that needs nightly (-Zsanitizer); the coverage instrumentation cargo-fuzz adds
# (-Cpasses=sancov-module, -Cllvm-args=…) is stable.
# Optimised with debug assertions and overflow checks (`-O -a`), 16 codegen units: the build is
# most of the smoke's time, and 2 cores build 16 units faster than 1. (The unoptimised `--dev`
# build compiles in half the time but synthesises EGM96 so slowly that one ED-269 sample takes
# 27 s.) FUZZ_SECONDS (default 5) is each target's run time.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-5}"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --version 0.13.2 --locked
fi
echo "== fuzz smoke: cargo fmt --check (the fuzz crate is a workspace of its own)"
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
echo "== fuzz smoke: build"
cargo fuzz build -s none -O -a --codegen-units 16 --fuzz-dir fuzz
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in $(cargo fuzz list --fuzz-dir fuzz); do
  echo "== fuzz smoke: $target (${seconds} s)"
  mkdir -p "$scratch/corpus/$target" "$scratch/artifacts/$target"
  # New inputs go to the scratch corpus; the seeds are only read. A crash's input is kept in
  # the scratch artifacts and printed (base64) before the script fails.
  if ! cargo fuzz run -s none -O -a --codegen-units 16 --fuzz-dir fuzz "$target" \
      "$scratch/corpus/$target" "fuzz/seeds/$target" -- \
      -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2048 \
      -artifact_prefix="$scratch/artifacts/$target/" -print_final_stats=1 \
      >"$scratch/$target.log" 2>&1; then
    tail -n 60 "$scratch/$target.log"
    for input in "$scratch/artifacts/$target"/*; do
      [ -f "$input" ] && { echo "-- $input (base64):"; base64 "$input"; }
    done
    echo "fuzz smoke: $target failed (reproduce: see fuzz/README.md)" >&2
    exit 1
  fi
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' "$scratch/$target.log" || true
done
