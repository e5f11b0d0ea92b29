#!/usr/bin/env bash
# The auction benchmark of load-tests/README.md, end to end on this machine:
#
#   1. builds licita and licita-load (release);
#   2. starts PostgreSQL (durable: fsync and synchronous_commit on) and Redis
#      (appendonly yes, appendfsync always) on free loopback ports in a temporary folder;
#   3. for each engine — in process on SQLite, in process on PostgreSQL, Redis (state) on
#      PostgreSQL (record) — starts the service (LICITA_SANDBOX=true, a fresh database),
#      sets up $AUCTIONS live auctions through the HTTP API and drives bids into them
#      from $CONNECTIONS connections for $DURATION s (`licita-load auction`);
#   4. measures the baselines on the same servers: the engine's Lua script alone
#      (`licita-load script`: every call accepted, as the service calls it), the same
#      script under `redis-benchmark` on one auction (almost every call refused, so no
#      write and no fsync), and a plain PostgreSQL row-lock auction under pgbench;
#   5. stops every server it started, and prints one summary table.
#
#   load-tests/auction-bench.sh                   everything (about 10 minutes after the build)
#   ONLY="redis script" load-tests/auction-bench.sh     only some runs (sqlite_memory,
#                                                 postgres_memory, postgres_redis, script,
#                                                 redis_benchmark, pgbench)
#   AUCTIONS=1000 CONNECTIONS=64 DURATION=15 WARMUP=2 PARTICIPANTS=2 DB_POOL=10
#   SKIP_BUILD=1 KEEP=1 (keep the temporary folder and its logs)
#   PROFILE=1 (flat `perf` profiles of the service, and of Redis, while bids go in; kept in the folder)
#   RATE_BIDS=… RATE_WRITES=… RATE_READS=… (the rate limits, off by default here; RATE or RATE:BURST)
set -euo pipefail
cd "$(dirname "$0")/.."

AUCTIONS=${AUCTIONS:-1000}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-2}
PARTICIPANTS=${PARTICIPANTS:-2}
DB_POOL=${DB_POOL:-10}
RB_REQUESTS=${RB_REQUESTS:-500000}
ONLY=${ONLY:-"sqlite_memory postgres_memory postgres_redis script redis_benchmark pgbench"}
TARGET=${CARGO_TARGET_DIR:-target}
BIN="$TARGET/release"

log() { printf '\n==> %s\n' "$*" >&2; }
wanted() { [[ " $ONLY " == *" $1 "* ]]; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

for tool in redis-server redis-cli redis-benchmark python3 psql pgbench curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install postgresql redis-server)" >&2; exit 1; }
done
[ -n "$(pg_bin)" ] || { echo "missing the PostgreSQL server (apt-get install postgresql)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/licita-bench.XXXXXX)
chmod 755 "$WORK"
PG_RUN="$WORK/pg"
PG_DATA="$PG_RUN/data"
REDIS_DIR="$WORK/redis"
PGCTL=""
SERVICE_PID=""
RESULTS="$WORK/results.tsv"
as_pg() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }

cleanup() {
  set +e
  if [ -n "$SERVICE_PID" ]; then kill "$SERVICE_PID" 2>/dev/null; wait "$SERVICE_PID" 2>/dev/null; fi
  if [ -n "$PGCTL" ]; then as_pg "$PGCTL" -D "$PG_DATA" -m fast stop >/dev/null 2>&1; fi
  if [ -f "$REDIS_DIR/redis.pid" ]; then kill "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null; fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building licita and licita-load (release)"
  cargo build --release --locked -p licita -p licita-load-tests
fi

# fsync_us DIR: the median time of one 8 kB write + fdatasync there, in µs: what every
# durable figure below waits for (Redis appendfsync always, a PostgreSQL or SQLite commit).
fsync_us() {
  python3 - "$1/fsync.probe" <<'PY'
import os, statistics, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o600)
times = []
for _ in range(200):
    t = time.perf_counter(); os.write(fd, b"x" * 8192); os.fdatasync(fd); times.append(time.perf_counter() - t)
os.close(fd); os.unlink(sys.argv[1])
print(f"{statistics.median(times) * 1e6:.0f}")
PY
}

log "machine"
{
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) × $(nproc)"
  echo "memory: $(free -g | awk '/Mem:/ {print $2}') GiB; disk of $WORK: $(df -h "$WORK" | awk 'NR==2 {print $1}')"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "fdatasync of 8 kB before: $(fsync_us "$WORK") µs (median of 200)"
  redis-server --version
  "$(pg_bin)/postgres" --version
} | tee "$WORK/machine.txt" >&2

log "starting PostgreSQL (durable: fsync on, synchronous_commit on)"
PG_BIN=$(pg_bin)
PG_PORT=$(free_port)
mkdir -p "$PG_RUN/sock"
if [ "$(id -u)" = 0 ]; then chown -R postgres "$PG_RUN"; fi
as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U licita --auth=trust -E UTF8 --no-locale >"$WORK/initdb.log" 2>&1 \
  || { cat "$WORK/initdb.log"; exit 1; }
PGCTL="$PG_BIN/pg_ctl"
as_pg "$PGCTL" -D "$PG_DATA" -l "$PG_RUN/pg.log" -w -t 60 -o \
  "-p $PG_PORT -k $PG_RUN/sock -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB" \
  start >/dev/null || { cat "$PG_RUN/pg.log"; exit 1; }
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U licita)

log "starting Redis (appendonly yes, appendfsync always)"
REDIS_PORT=$(free_port)
mkdir -p "$REDIS_DIR"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" \
  --appendonly yes --appendfsync always --save '' \
  --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log"
for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$REDIS_PORT" ping >/dev/null

SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
printf 'run\tops_per_s\tp50_ms\tp90_ms\tp99_ms\tnote\n' >"$RESULTS"

# summary_field FILE FIELD: a field of licita-load's `summary {json}` line.
summary_field() {
  python3 -c 'import json,sys
for line in open(sys.argv[1]):
    if line.startswith("summary "):
        v = json.loads(line[8:]).get(sys.argv[2], "")
        print(f"{v:.2f}" if isinstance(v, float) else v)' "$1" "$2"
}

# cpu_snapshot SERVICE_PID GENERATOR_PID: CPU time used so far (clock ticks) by the
# service, the generator, Redis and PostgreSQL (all their processes), and the machine.
cpu_snapshot() {
  python3 - "$@" <<'PY'
import glob, json, sys, time
def ticks(path):
    try:
        f = open(path).read().rsplit(")", 1)[1].split()
        return int(f[11]) + int(f[12])
    except (OSError, IndexError):
        return 0
def comm(path):
    try:
        return open(path).read().strip()
    except OSError:
        return ""
by = {"service": ticks(f"/proc/{sys.argv[1]}/stat"), "generator": ticks(f"/proc/{sys.argv[2]}/stat"),
      "redis": 0, "postgres": 0}
for d in glob.glob("/proc/[0-9]*"):
    c = comm(d + "/comm")
    if c.startswith("redis-server"):
        by["redis"] += ticks(d + "/stat")
    elif c.startswith("postgres"):
        by["postgres"] += ticks(d + "/stat")
cpu = [int(x) for x in open("/proc/stat").readline().split()[1:]]
by["machine_busy"] = sum(cpu) - cpu[3] - cpu[4]
by["wall"] = time.time()
print(json.dumps(by))
PY
}

# cpu_report BEFORE AFTER ACCEPTED: cores each used in between, and CPU µs per accepted bid.
cpu_report() {
  python3 - "$@" <<'PY'
import json, os, sys
a, b, accepted = json.loads(sys.argv[1]), json.loads(sys.argv[2]), max(1, int(sys.argv[3] or 0))
hz, wall = os.sysconf("SC_CLK_TCK"), b["wall"] - a["wall"]
parts = ["service", "generator", "redis", "postgres"]
used = {k: (b[k] - a[k]) / hz / wall for k in parts + ["machine_busy"]}
used["other"] = max(0.0, used["machine_busy"] - sum(used[k] for k in parts))
line = "  ".join(f"{k} {used[k]:.2f}" for k in parts + ["other", "machine_busy"])
per_bid = "  ".join(f"{k} {used[k] * 1e6 * wall / accepted:.0f}" for k in parts)
print(f"cpu cores      {line} (of {os.cpu_count()}, over {wall:.0f} s)")
print(f"cpu µs/bid     {per_bid}")
PY
}

# run_engine NAME DATABASE_URL REDIS_URL: the service on that engine, then the scenario.
run_engine() {
  local name=$1 database_url=$2 redis_url=$3 port
  port=$(free_port)
  log "$name: starting the service on 127.0.0.1:$port"
  local env=(LICITA_ADDR="127.0.0.1:$port" LICITA_DATA_DIR="$WORK/data-$name" LICITA_SANDBOX=true
    LICITA_JWT_SECRET="$SECRET" LICITA_LOG=warn LICITA_DB_MAX_CONNECTIONS="$DB_POOL"
    LICITA_REDIS_PREFIX="bench-$name"
    # The limits per client are off unless asked for: 64 connections of a few tokens are
    # far past any one client's budget. RATE_BIDS=1000000 measures what checking costs.
    LICITA_RATE_BIDS="${RATE_BIDS:-off}" LICITA_RATE_WRITES="${RATE_WRITES:-off}"
    LICITA_RATE_READS="${RATE_READS:-off}")
  [ -n "$database_url" ] && env+=(DATABASE_URL="$database_url")
  [ -n "$redis_url" ] && env+=(REDIS_URL="$redis_url")
  env -u DATABASE_URL -u REDIS_URL "${env[@]}" "$BIN/licita" >"$WORK/$name.service.log" 2>&1 &
  SERVICE_PID=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$WORK/$name.service.log"; exit 1; }
  log "$name: $AUCTIONS auctions, $CONNECTIONS connections, ${DURATION}s"
  LICITA_JWT_SECRET="$SECRET" "$BIN/licita-load" auction --base-url "http://127.0.0.1:$port" \
    --auctions "$AUCTIONS" --participants "$PARTICIPANTS" --connections "$CONNECTIONS" \
    --duration-s "$DURATION" --warmup-s "$WARMUP" >"$WORK/$name.txt" &
  local generator=$! before after profiler=""
  # The generator prints its setup line when the bidding starts: measure CPU from there.
  while kill -0 "$generator" 2>/dev/null && ! grep -q '^setup ' "$WORK/$name.txt"; do sleep 0.2; done
  before=$(cpu_snapshot "$SERVICE_PID" "$generator")
  after=$before
  if [ "${PROFILE:-0}" = 1 ] && command -v perf >/dev/null; then
    # Where the service's CPU goes while it bids (a flat profile: release builds carry
    # symbols, not frame pointers).
    perf record -q -F 499 -p "$SERVICE_PID" -o "$WORK/$name.perf.data" -- sleep "$((WARMUP + DURATION - 1))" >/dev/null 2>&1 &
    profiler=$!
    if [ -n "$redis_url" ]; then
      perf record -q -F 499 -p "$(cat "$REDIS_DIR/redis.pid")" -o "$WORK/$name.redis.perf.data" -- sleep "$((WARMUP + DURATION - 1))" >/dev/null 2>&1 &
      profiler="$profiler $!"
    fi
  fi
  # Once a second (the probe costs a little CPU itself); the last one before the end counts.
  while kill -0 "$generator" 2>/dev/null; do
    after=$(cpu_snapshot "$SERVICE_PID" "$generator")
    sleep 1
  done
  wait "$generator"
  if [ -n "$profiler" ]; then wait $profiler || true; fi
  cat "$WORK/$name.txt"
  cpu_report "$before" "$after" "$(summary_field "$WORK/$name.txt" accepted)" | tee -a "$WORK/$name.txt"
  if [ -f "$WORK/$name.perf.data" ]; then
    perf report -i "$WORK/$name.perf.data" --stdio --sort dso,symbol 2>/dev/null | grep -v '^#' | grep -v '^$' |
      sed 's/  *-  *-  *$//' | head -40 >"$WORK/$name.perf.txt" || true
    echo "profile        $WORK/$name.perf.txt (top 40 symbols)"
  fi
  if [ -n "$redis_url" ]; then
    # Where Redis's main thread spent its time, by command (usec and calls since startup).
    redis-cli -p "$REDIS_PORT" INFO commandstats | tr -d '\r' | grep '^cmdstat_' >"$WORK/$name.redis-commands.txt" || true
    redis-cli -p "$REDIS_PORT" INFO persistence | tr -d '\r' | grep -E '^aof_(rewrites|current_size|base_size)|^aof_last_cow' >>"$WORK/$name.redis-commands.txt" || true
    echo "redis          $WORK/$name.redis-commands.txt (time by command)"
  fi
  if [ -f "$WORK/$name.redis.perf.data" ]; then
    perf report -i "$WORK/$name.redis.perf.data" --stdio --sort dso,symbol 2>/dev/null | grep -v '^#' | grep -v '^$' |
      sed 's/  *-  *-  *$//' | head -40 >"$WORK/$name.redis.perf.txt" || true
    echo "profile        $WORK/$name.redis.perf.txt (Redis: top 40 symbols)"
  fi
  local note="setup $(summary_field "$WORK/$name.txt" setup_s) s; statuses $(summary_field "$WORK/$name.txt" statuses)"
  if [ -n "$redis_url" ]; then
    # A 201 from the Redis engine means "in Redis's AOF"; SQL follows through the persister.
    local db=${database_url##*/} accepted in_sql lag_s=0
    accepted=$(redis-cli -p "$REDIS_PORT" --scan --pattern "{bench-$name:a:*}:meta" |
      sed 's/^/HGET /; s/$/ seq/' | redis-cli -p "$REDIS_PORT" | awk '{s += $1} END {print s + 0}')
    while :; do
      in_sql=$("${PSQL[@]}" -d "$db" -tAc 'SELECT count(*) FROM auction_bids')
      [ "$in_sql" -ge "$accepted" ] || [ "$lag_s" -ge 120 ] && break
      sleep 1; lag_s=$((lag_s + 1))
    done
    echo "persister      $accepted bids in Redis; in SQL at the end of the run + ${lag_s} s: $in_sql" | tee -a "$WORK/$name.txt"
    note="$note; SQL caught up ${lag_s} s after the run ($in_sql of $accepted)"
  fi
  kill "$SERVICE_PID"; wait "$SERVICE_PID" 2>/dev/null || true; SERVICE_PID=""
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$(summary_field "$WORK/$name.txt" bids_per_s)" \
    "$(summary_field "$WORK/$name.txt" p50_ms)" "$(summary_field "$WORK/$name.txt" p90_ms)" \
    "$(summary_field "$WORK/$name.txt" p99_ms)" "$note" >>"$RESULTS"
}

PG_URL="postgres://licita@127.0.0.1:$PG_PORT"
if wanted sqlite_memory; then
  run_engine sqlite_memory "" ""
fi
if wanted postgres_memory; then
  "${PSQL[@]}" -d postgres -c 'CREATE DATABASE bench_memory'
  run_engine postgres_memory "$PG_URL/bench_memory" ""
fi
if wanted postgres_redis; then
  "${PSQL[@]}" -d postgres -c 'CREATE DATABASE bench_redis'
  run_engine postgres_redis "$PG_URL/bench_redis" "redis://127.0.0.1:$REDIS_PORT"
fi

if wanted script; then
  log "baseline: the Lua script alone, every call accepted ($AUCTIONS auctions, $CONNECTIONS connections)"
  "$BIN/licita-load" script --redis "127.0.0.1:$REDIS_PORT" --script src/engine/auction.lua \
    --auctions "$AUCTIONS" --participants "$PARTICIPANTS" --connections "$CONNECTIONS" \
    --duration-s "$DURATION" --warmup-s "$WARMUP" | tee "$WORK/script.txt"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "script_accepting" "$(summary_field "$WORK/script.txt" bids_per_s)" \
    "$(summary_field "$WORK/script.txt" p50_ms)" "$(summary_field "$WORK/script.txt" p90_ms)" \
    "$(summary_field "$WORK/script.txt" p99_ms)" "answers $(summary_field "$WORK/script.txt" answers)" >>"$RESULTS"
fi

if wanted redis_benchmark; then
  log "baseline: redis-benchmark, EVALSHA of the script's place on one loaded auction"
  SHA=$(redis-cli -p "$REDIS_PORT" SCRIPT LOAD "$(cat src/engine/auction.lua)")
  KEYS=()
  for k in meta idem bids snap; do KEYS+=("{bench-rb:a:1}:$k"); done
  redis-cli -p "$REDIS_PORT" DEL "${KEYS[@]}" >/dev/null
  NOW_US=$(python3 -c 'import time; print(int(time.time() * 1e6))')
  PAYLOAD=$(python3 -c 'import json,sys; now=int(sys.argv[1]); print(json.dumps({
    "meta": {"fmt": "c", "start": str(now - 10**6), "ends": str(now + 3600 * 10**6), "soft": "60000000",
             "ext": "60000000", "maxext": "10", "extn": "0", "dk": "a", "dv": "1", "mbb": "0",
             "ceil": "100000000", "n": "2", "seq": "0", "closed": "0"},
    "prices": ["90000000", "90100000"], "ats": [str(now - 2 * 10**6)] * 2,
    "rfcs": ["LCA000101A1A", "LCA000102A1B"], "idem": {}, "snap": None, "bids": []}))' "$NOW_US")
  redis-cli -p "$REDIS_PORT" EVALSHA "$SHA" 4 "${KEYS[@]}" init "" "$PAYLOAD" >/dev/null
  # A fixed amount: the first call is accepted; every later one is refused
  # (decrement_too_small) after the same reads, without writing.
  redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -c "$CONNECTIONS" -n "$RB_REQUESTS" \
    EVALSHA "$SHA" 4 "${KEYS[@]}" place "" LCA000101A1A 89999999 \
    00000000-0000-7000-8000-000000000001 bench-key 0000000000000000000000000000000000000000000000000000000000000000 \
    2>&1 | tr '\r' '\n' | grep -v '^EVALSHA.*rps=' | tee "$WORK/redis-benchmark.txt"
  RB_ACCEPTED=$(redis-cli -p "$REDIS_PORT" HGET "{bench-rb:a:1}:meta" seq)
  python3 - "$WORK/redis-benchmark.txt" "$RB_ACCEPTED" "$RB_REQUESTS" >>"$RESULTS" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = re.search(r"throughput summary: ([\d.]+) requests per second", text)
lat = re.search(r"latency summary \(msec\):\s*\n\s*avg\s+min\s+p50\s+p95\s+p99\s+max\s*\n\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", text)
p50, p95, p99 = (lat.group(3), lat.group(4), lat.group(5)) if lat else ("", "", "")
print(f"redis_benchmark_script\t{rps.group(1) if rps else ''}\t{p50}\tp95 {p95}\t{p99}\t"
      f"{sys.argv[2]} of {sys.argv[3]} calls accepted: the rest refused (reads only, no fsync)")
PY
fi

if wanted pgbench; then
  log "baseline: a PostgreSQL row-lock auction under pgbench ($AUCTIONS auctions, $CONNECTIONS clients)"
  "${PSQL[@]}" -d postgres -c 'CREATE DATABASE rowlock'
  "${PSQL[@]}" -d rowlock <<SQL
CREATE TABLE auction (id int PRIMARY KEY, price bigint NOT NULL, seq bigint NOT NULL DEFAULT 0);
CREATE TABLE bid (
  auction_id int NOT NULL REFERENCES auction (id),
  seq bigint NOT NULL,
  amount bigint NOT NULL,
  placed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (auction_id, seq)
);
INSERT INTO auction (id, price) SELECT g, 90000000 FROM generate_series(1, $AUCTIONS) g;
SQL
  cat >"$WORK/rowlock.sql" <<SQL
\set aid random(1, $AUCTIONS)
BEGIN;
SELECT price, seq FROM auction WHERE id = :aid FOR UPDATE \gset
INSERT INTO bid (auction_id, seq, amount) VALUES (:aid, :seq + 1, :price - 1);
UPDATE auction SET price = :price - 1, seq = :seq + 1 WHERE id = :aid;
COMMIT;
SQL
  mkdir -p "$WORK/pgbench"
  (cd "$WORK/pgbench" && pgbench -n -h 127.0.0.1 -p "$PG_PORT" -U licita -c "$CONNECTIONS" -j 2 \
    -T "$DURATION" -M prepared -f "$WORK/rowlock.sql" --log --log-prefix=tx rowlock) | tee "$WORK/pgbench.txt"
  python3 - "$WORK/pgbench" "$WORK/pgbench.txt" >>"$RESULTS" <<'PY'
import glob, re, sys
lat = sorted(int(line.split()[2]) for f in glob.glob(sys.argv[1] + "/tx*") for line in open(f))
pick = lambda p: f"{lat[min(len(lat) - 1, round(p / 100 * (len(lat) - 1)))] / 1000:.2f}" if lat else ""
tps = re.search(r"tps = ([\d.]+)", open(sys.argv[2]).read())
print(f"pgbench_rowlock\t{tps.group(1) if tps else ''}\t{pick(50)}\t{pick(90)}\t{pick(99)}\t"
      "BEGIN; SELECT … FOR UPDATE; INSERT bid; UPDATE price; COMMIT (durable)")
PY
fi

log "results ($AUCTIONS auctions, $CONNECTIONS connections, ${DURATION}s each; load after: $(cut -d' ' -f1-3 /proc/loadavg); fdatasync after: $(fsync_us "$WORK") µs)"
cat "$WORK/machine.txt"
column -t -s $'\t' "$RESULTS"
