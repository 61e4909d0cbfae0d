#!/usr/bin/env bash
# The whole test suite: formatting, lints, and every test of every crate.
# Needs nothing but the Rust toolchain: the database is embedded (SQLite, bundled).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
