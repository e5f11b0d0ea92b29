#!/usr/bin/env bash
# Public reads against the same machine's ceiling (load-tests/README.md, "Public reads"):
#
#   1. builds licita and licita-load (release);
#   2. starts the service in the sandbox, rate limits off, with its embedded defaults
#      (SQLite in a temporary folder; PostgreSQL instead when DATABASE_URL is set) on a free
#      loopback port, and fills it with `licita demo --copies $COPIES`;
#   3. drives, from $CONNECTIONS connections for $DURATION s each: `GET /healthz` (no I/O:
#      the baseline, what the HTTP stack alone reaches on this machine now), an agencies
#      page, a classifier item (with its ancestors), and a page of OCDS releases;
#   4. prints each as responses/s and as a ratio to the baseline, which holds on a noisy
#      machine where the absolute figure does not.
#
#   load-tests/reads-bench.sh        COPIES=3 DURATION=10 CONNECTIONS=64 SKIP_BUILD=1 KEEP=1 LICITA=…
set -euo pipefail
cd "$(dirname "$0")/.."

COPIES=${COPIES:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
TARGET=${CARGO_TARGET_DIR:-target}
BIN="$TARGET/release"
# LICITA=path/to/licita measures another build (e.g. the one before a change) with the same generator.
LICITA=$(realpath "${LICITA:-$BIN/licita}")
log() { printf '\n==> %s\n' "$*" >&2; }

[ "${SKIP_BUILD:-0}" = 1 ] || { log "cargo build --release"; cargo build --release -p licita -p licita-load-tests; }
WORK=$(mktemp -d /tmp/licita-reads-bench.XXXXXX)
SERVICE_PID=""
cleanup() {
  [ -z "$SERVICE_PID" ] || kill "$SERVICE_PID" 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"
DATABASE="${DATABASE_URL:+PostgreSQL}${DATABASE_URL:-embedded SQLite}"
log "the service on $BASE ($DATABASE)"
(cd "$WORK" && exec env -u REDIS_URL LICITA_SANDBOX=true LICITA_TIME_FACTOR=60 LICITA_ADDR="127.0.0.1:$PORT" \
  LICITA_RATE_BIDS=off LICITA_RATE_WRITES=off LICITA_RATE_READS=off LICITA_LOG=warn \
  "$LICITA" serve >"$WORK/service.log" 2>&1) &
SERVICE_PID=$!
for _ in $(seq 1 200); do curl -sf "$BASE/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "$BASE/readyz" >/dev/null || { cat "$WORK/service.log"; exit 1; }
log "licita demo --copies $COPIES"
(cd "$WORK" && "$LICITA" demo --url "$BASE" --copies "$COPIES" --lead-s 30) >"$WORK/demo.log" 2>&1 \
  || { tail -n 20 "$WORK/demo.log"; exit 1; }

printf 'read\tresponses/s\tratio to /healthz\tp50 ms\tp90 ms\tp99 ms\n' >"$WORK/results.tsv"
BASELINE=""
for path in "/healthz" "/public/v1/agencies?limit=50" "/api/v1/classifier/51501003" "/public/v1/releases?limit=20"; do
  log "GET $path from $CONNECTIONS connections, $DURATION s"
  "$BIN/licita-load" --url "$BASE$path" --connections "$CONNECTIONS" --duration-s "$DURATION" | tee "$WORK/load.log" | grep -v '^summary'
  line=$(grep '^summary ' "$WORK/load.log" | sed 's/^summary //' | python3 -c '
import json, sys
s = json.load(sys.stdin); path, base = sys.argv[1], sys.argv[2]
assert s["errors"] == 0 and set(s["statuses"]) == {"200"}, s
ratio = s["per_s"] / float(base) if base else 1.0
print("%s\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f" % (path, s["per_s"], ratio, s["p50_ms"], s["p90_ms"], s["p99_ms"]))' "$path" "$BASELINE")
  echo "$line" >>"$WORK/results.tsv"
  [ -n "$BASELINE" ] || BASELINE=$(echo "$line" | cut -f2)
done
log "results ($(nproc) cores, $DATABASE, $CONNECTIONS connections, $DURATION s each)"
column -t -s $'\t' "$WORK/results.tsv"
