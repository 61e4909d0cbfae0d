# A throwaway PostgreSQL server for the test suite. Source this file, then call
# `start_test_postgres`: it installs Debian's `postgresql` package when no initdb is found,
# creates a cluster in a temporary directory (as the `postgres` user when running as root, since
# initdb refuses root), starts it on a random free port with its socket in that directory (TCP
# on 127.0.0.1 only), exports DECONFLICT_TEST_POSTGRES (a base URL; each test creates its own
# database there) and installs an EXIT trap that stops the server and removes the directory.
# Durability settings are the defaults (fsync on): the crash tests mean what they say.

start_test_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "== installing Debian's postgresql (no initdb found)"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q
    $sudo apt-get install -y -q --no-install-recommends postgresql
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  TEST_POSTGRES_DIR=$(mktemp -d /tmp/deconflict-pg.XXXXXX)
  local as_owner=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$TEST_POSTGRES_DIR"
    as_owner=(runuser -u postgres --)
  fi
  TEST_POSTGRES_BIN=$bin
  TEST_POSTGRES_AS=("${as_owner[@]}")
  trap stop_test_postgres EXIT
  "${as_owner[@]}" "$bin/initdb" -D "$TEST_POSTGRES_DIR/data" -U postgres -A trust \
    --no-sync -E UTF8 >"$TEST_POSTGRES_DIR/initdb.log" 2>&1 \
    || { cat "$TEST_POSTGRES_DIR/initdb.log"; return 1; }
  local port attempt
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    port=$((20000 + RANDOM % 40000))
    if "${as_owner[@]}" "$bin/pg_ctl" -D "$TEST_POSTGRES_DIR/data" -l "$TEST_POSTGRES_DIR/server.log" \
      -o "-p $port -k $TEST_POSTGRES_DIR -c listen_addresses=127.0.0.1 -c max_connections=300" \
      -w -t 60 start >/dev/null; then
      export DECONFLICT_TEST_POSTGRES="postgresql://postgres@localhost:$port/postgres?host=$TEST_POSTGRES_DIR"
      echo "== PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on port $port ($TEST_POSTGRES_DIR)"
      return 0
    fi
    tail -n 3 "$TEST_POSTGRES_DIR/server.log" || true
  done
  echo "cannot start PostgreSQL on a free port" >&2
  return 1
}

stop_test_postgres() {
  if [ -n "${TEST_POSTGRES_DIR:-}" ] && [ -d "$TEST_POSTGRES_DIR" ]; then
    "${TEST_POSTGRES_AS[@]}" "$TEST_POSTGRES_BIN/pg_ctl" -D "$TEST_POSTGRES_DIR/data" -m immediate \
      -w stop >/dev/null 2>&1 || true
    rm -rf "$TEST_POSTGRES_DIR"
  fi
}
