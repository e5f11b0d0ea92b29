#!/usr/bin/env bash
# The one test command: installs PostgreSQL and Redis when missing (apt-get, as root),
# starts PostgreSQL, a Redis, a 3-master Redis Cluster and an S3-compatible server (moto)
# on free loopback ports in a temporary folder, installs Chromium, chromedriver and
# axe-core for the portal's browser test (screenshots kept in $TMPDIR/licita-screenshots), then runs fmt, clippy and every test against them, then schemathesis
# against the running service, and stops the servers on exit. `.ci/run` calls this script.
#
#   scripts/test.sh                          everything
#   scripts/test.sh -- agencies              only tests whose name contains `agencies`
#   scripts/test.sh -- suppliers:: cli::     several filters: plain words are test filters
#   scripts/test.sh -- --test api -- x       anything with an option goes to `cargo test` as is
#
# The full run also fuzzes the running service with schemathesis (scripts/schemathesis.sh):
# SKIP_SCHEMATHESIS=1 leaves it out.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*" >&2; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

install_servers() {
  if command -v redis-server >/dev/null && command -v curl >/dev/null && [ -n "$(pg_bin)" ] \
    && python3 -c 'import ensurepip, venv' 2>/dev/null; then return; fi
  if [ "$(id -u)" != 0 ]; then
    echo "PostgreSQL and Redis are missing; run as root or: apt-get install postgresql redis-server" >&2
    exit 1
  fi
  log "installing PostgreSQL and Redis from the OS packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql redis-server python3 python3-venv curl >/dev/null
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

WORK=$(mktemp -d /tmp/licita-test.XXXXXX)
chmod 755 "$WORK"
PG_RUN="$WORK/pg"          # owned by the postgres user when run as root
PG_DATA="$PG_RUN/data"
REDIS_DIR="$WORK/redis"
PGCTL=""
# From / so that the postgres user never needs to enter the checkout's folder.
as_pg() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }

cleanup() {
  set +e
  if [ -n "$PGCTL" ]; then as_pg "$PGCTL" -D "$PG_DATA" -m immediate stop >/dev/null 2>&1; fi
  if [ -f "$REDIS_DIR/redis.pid" ]; then kill "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null; fi
  for pid in "$WORK"/cluster/*/redis.pid; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null; done
  if [ -n "${MOTO_PID:-}" ]; then kill "$MOTO_PID" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

install_servers
PG_BIN=$(pg_bin)

log "starting PostgreSQL ($PG_BIN)"
PG_PORT=$(free_port)
mkdir -p "$PG_RUN/sock"
if [ "$(id -u)" = 0 ]; then chown -R postgres "$PG_RUN"; fi
as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U licita --auth=trust -E UTF8 --no-locale >"$WORK/initdb.log" 2>&1 \
  || { cat "$WORK/initdb.log"; exit 1; }
PGCTL="$PG_BIN/pg_ctl"
as_pg "$PGCTL" -D "$PG_DATA" -l "$PG_RUN/pg.log" -w -t 60 -o \
  "-p $PG_PORT -k $PG_RUN/sock -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null || { cat "$PG_RUN/pg.log"; exit 1; }

log "starting Redis"
REDIS_PORT=$(free_port)
mkdir -p "$REDIS_DIR"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" \
  --appendonly yes --appendfsync always --save '' \
  --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log"
for _ in $(seq 1 50); do
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -p "$REDIS_PORT" ping >/dev/null

log "starting a 3-master Redis Cluster"
# Three ports whose cluster bus ports (port + 10000) are free too.
CLUSTER_PORTS=$(python3 - <<'PY'
import random, socket
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
ports = []
while len(ports) < 3:
    p = random.randint(20000, 45000)
    if p not in ports and free(p) and free(p + 10000):
        ports.append(p)
print(" ".join(map(str, ports)))
PY
)
NODES=()
for port in $CLUSTER_PORTS; do
  dir="$WORK/cluster/$port"
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --cluster-enabled yes \
    --cluster-config-file nodes.conf --appendonly yes --appendfsync always --save '' \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
  NODES+=("127.0.0.1:$port")
done
for port in $CLUSTER_PORTS; do
  for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
redis-cli --cluster create "${NODES[@]}" --cluster-replicas 0 --cluster-yes >"$WORK/cluster.log" 2>&1 \
  || { cat "$WORK/cluster.log"; exit 1; }
FIRST=${CLUSTER_PORTS%% *}
for _ in $(seq 1 100); do
  redis-cli -p "$FIRST" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && break
  sleep 0.1
done
redis-cli -p "$FIRST" cluster info | grep -q 'cluster_state:ok' || { echo "the cluster did not come up" >&2; exit 1; }
export REDIS_CLUSTER_URL=$(printf 'redis://%s,' "${NODES[@]}" | sed 's/,$//')
export LICITA_TEST_REQUIRE_CLUSTER=1

log "starting an S3-compatible server (moto)"
# No S3 server ships in the OS packages: moto's server mode speaks the S3 REST API.
MOTO_VENV="$WORK/moto-venv"
python3 -m venv "$MOTO_VENV"
"$MOTO_VENV/bin/pip" install -q --disable-pip-version-check 'moto[server]==5.2.5'
MOTO_PORT=$(free_port)
"$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$MOTO_PORT/" && break
  sleep 0.1
done
curl -s -o /dev/null "http://127.0.0.1:$MOTO_PORT/" || { cat "$WORK/moto.log"; exit 1; }
export LICITA_TEST_S3_ENDPOINT="http://127.0.0.1:$MOTO_PORT"
# The object store client reads no AWS configuration of the machine it runs on.
export AWS_EC2_METADATA_DISABLED=true

log "a headless browser for the portal (Chromium, chromedriver) and axe-core"
if ! command -v chromedriver >/dev/null || ! command -v chromium >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "Chromium is missing; run as root or: apt-get install chromium chromium-driver" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi
if ! command -v npm >/dev/null; then
  if [ "$(id -u)" != 0 ]; then echo "npm is missing (for axe-core): apt-get install npm" >&2; exit 1; fi
  apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
npm install --silent --no-audit --no-fund --prefix "$WORK/axe" axe-core@4 >/dev/null
export LICITA_TEST_CHROMEDRIVER=$(command -v chromedriver)
export LICITA_TEST_AXE="$WORK/axe/node_modules/axe-core/axe.min.js"
# The screenshots outlive the run (artefacts): the pages at phone and desktop widths.
export LICITA_TEST_SCREENSHOTS="${LICITA_TEST_SCREENSHOTS:-${TMPDIR:-/tmp}/licita-screenshots}"
export LICITA_TEST_REQUIRE_BROWSER=1

export DATABASE_URL="postgres://licita@127.0.0.1:$PG_PORT/postgres"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
export LICITA_TEST_REQUIRE_SERVERS=1
echo "DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL REDIS_CLUSTER_URL=$REDIS_CLUSTER_URL LICITA_TEST_S3_ENDPOINT=$LICITA_TEST_S3_ENDPOINT" >&2

if [ "${SKIP_LINT:-0}" != 1 ]; then   # SKIP_LINT=1: tests only, for quick local runs
  log "cargo fmt --check"
  cargo fmt --all -- --check

  log "cargo clippy"
  cargo clippy --workspace --all-targets --locked -- -D warnings
fi

log "cargo test"
if [ "${1:-}" = "--" ]; then shift; fi
# `cargo test` takes one filter before `--`; plain words all go after it, so that several
# filters work. Arguments with an option in them are passed on untouched.
args=("$@")
if [ "$#" -gt 0 ] && ! printf '%s\n' "$@" | grep -q '^-'; then args=(-- "$@"); fi
# Every OCDS package a test validates is also written here, for the community's tools.
export LICITA_OCDS_DUMP="${LICITA_OCDS_DUMP:-$WORK/ocds}"   # set it to keep the packages
mkdir -p "$LICITA_OCDS_DUMP"
# Reports a test writes for the log (the fault test's sent / accepted / refused / lost).
export LICITA_TEST_REPORTS="$WORK/reports"
mkdir -p "$LICITA_TEST_REPORTS"
set +e
cargo test --workspace --locked --no-fail-fast "${args[@]}" 2>&1 | tee "$WORK/test.log"
status=${PIPESTATUS[0]}
# The fault test kills and stops servers and loads the machine: it runs alone, after the
# others (full runs, and runs whose filters name it).
if [ "$#" = 0 ] || printf '%s\n' "$@" | grep -q 'faults'; then
  log "the fault test, alone"
  cargo test --locked --test api -- --ignored --exact faults::bids_survive_the_service_redis_and_postgresql_failing_under_load 2>&1 | tee -a "$WORK/test.log"
  fault_status=${PIPESTATUS[0]}
  if [ "$fault_status" != 0 ] && [ "$status" = 0 ]; then status=$fault_status; fi
fi
set -e
for report in "$LICITA_TEST_REPORTS"/*.txt; do
  [ -e "$report" ] || continue
  log "report: $(basename "$report" .txt)"
  cat "$report"
done

# schemathesis against the running service, on the full run only (filters skip it, and so
# does SKIP_SCHEMATHESIS=1); `cargo test` has built the binary.
st_status=0
if [ "$#" = 0 ] && [ "${SKIP_SCHEMATHESIS:-0}" != 1 ]; then
  bash scripts/schemathesis.sh "${CARGO_TARGET_DIR:-target}/debug/licita" "$WORK" || st_status=$?
  if [ "$st_status" != 0 ] && [ "$status" = 0 ]; then status=$st_status; fi
fi

# The README's walk-throughs, run as written against a fresh sandbox service (full run
# only; SKIP_WALKTHROUGHS=1 leaves them out).
if [ "$#" = 0 ] && [ "${SKIP_WALKTHROUGHS:-0}" != 1 ]; then
  log "the README's walk-throughs"
  wt_status=0
  bash scripts/readme_walkthroughs.sh "${CARGO_TARGET_DIR:-target}/debug/licita" "$WORK" || wt_status=$?
  if [ "$wt_status" != 0 ] && [ "$status" = 0 ]; then status=$wt_status; fi
fi

# The feeds the tests validated, checked by the OCDS community's own tools (libcoveocds, the
# Data Review Tool's library, and ocdskit), offline against ../shared/ocds.
if [ "$#" = 0 ] && [ "${SKIP_OCDS_TOOLS:-0}" != 1 ] && compgen -G "$LICITA_OCDS_DUMP/*.json" >/dev/null; then
  log "libcoveocds and ocdskit on $(ls "$LICITA_OCDS_DUMP" | wc -l) packages from the tests"
  OCDS_VENV="$WORK/ocds-venv"
  python3 -m venv "$OCDS_VENV"
  "$OCDS_VENV/bin/pip" install -q --disable-pip-version-check 'libcoveocds==0.17.0' 'ocdskit==1.7.0'
  ocds_status=0
  "$OCDS_VENV/bin/python" scripts/ocds_check.py --shared ../shared/ocds --compile --expect-dates \
    $(ls "$LICITA_OCDS_DUMP"/*.json | sort) >"$WORK/ocds-check.log" 2>&1 || ocds_status=$?
  grep -v '^   ' "$WORK/ocds-check.log" | tail -n 40
  if [ "$ocds_status" != 0 ]; then
    echo "the OCDS tools found problems (whole report above, first lines of each file)" >&2
    grep -B1 -A8 'failed' "$WORK/ocds-check.log" | head -n 80 >&2
    if [ "$status" = 0 ]; then status=$ocds_status; fi
  fi
fi
# cargo prints one result line per test binary; close with the totals.
echo
awk '/^test result:/ { for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$WORK/test.log"
exit "$status"
