#!/usr/bin/env bash
# The portal's speed with about 1,000 tenders (load-tests/README.md, "Portal"):
#
#   1. builds licita and licita-load (release);
#   2. starts the service in the sandbox with its embedded defaults (SQLite in a temporary
#      folder; PostgreSQL instead when DATABASE_URL is set) on a free loopback port;
#   3. fills it with `licita demo --copies $COPIES` (39 copies: 1,014 tenders in every
#      state, through the HTTP API);
#   4. measures the home, a tender's page (the one awarded after an auction: lots, bids,
#      the chart) and the search page with `licita-load`, from 1 connection (each
#      response's time is the service's plus loopback) and from $CONNECTIONS;
#   5. stops the service and prints one table.
#
#   load-tests/portal-bench.sh            COPIES=39 DURATION=10 CONNECTIONS=8 SKIP_BUILD=1 KEEP=1
set -euo pipefail
cd "$(dirname "$0")/.."

COPIES=${COPIES:-39}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-8}
TARGET=${CARGO_TARGET_DIR:-target}
BIN="$TARGET/release"
log() { printf '\n==> %s\n' "$*" >&2; }

[ "${SKIP_BUILD:-0}" = 1 ] || { log "cargo build --release"; cargo build --release -p licita -p licita-load-tests; }
WORK=$(mktemp -d /tmp/licita-portal-bench.XXXXXX)
SERVICE_PID=""
cleanup() {
  [ -z "$SERVICE_PID" ] || kill "$SERVICE_PID" 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"
log "the service on $BASE (${DATABASE_URL:+PostgreSQL}${DATABASE_URL:-embedded SQLite})"
(cd "$WORK" && exec env -u REDIS_URL LICITA_SANDBOX=true LICITA_TIME_FACTOR=60 LICITA_ADDR="127.0.0.1:$PORT" \
  LICITA_RATE_BIDS=off LICITA_RATE_WRITES=off LICITA_RATE_READS=off LICITA_LOG=warn "$OLDPWD/$BIN/licita" serve >"$WORK/service.log" 2>&1) &
SERVICE_PID=$!
for _ in $(seq 1 200); do curl -sf "$BASE/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "$BASE/readyz" >/dev/null || { cat "$WORK/service.log"; exit 1; }

log "licita demo --copies $COPIES"
(cd "$WORK" && "$OLDPWD/$BIN/licita" demo --url "$BASE" --copies "$COPIES" --lead-s 30) | tee "$WORK/demo.log" | tail -n 25
TENDER=$(curl -s "$BASE/api/v1/tenders?q=medicamentos+centros+salud&status=awarded&limit=1" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
echo "$(grep -o '[0-9]* written' "$WORK/demo.log" | tail -n 1) tenders; the tender page measured: /licitaciones/$TENDER" >&2

printf 'page\tconnections\tresponses/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\n' >"$WORK/results.tsv"
for page in "/" "/licitaciones/$TENDER" "/licitaciones?q=medicamentos"; do
  for c in 1 "$CONNECTIONS"; do
    log "GET $page from $c connection(s), $DURATION s"
    "$BIN/licita-load" --url "$BASE$page" --connections "$c" --duration-s "$DURATION" | tee "$WORK/load.log" | grep -v '^summary'
    grep '^summary ' "$WORK/load.log" | sed 's/^summary //' | python3 -c '
import json, sys
s = json.load(sys.stdin); page, c = sys.argv[1], sys.argv[2]
assert s["errors"] == 0, s
print("%s\t%s\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f" % (page, c, s["per_s"], s["p50_ms"], s["p90_ms"], s["p99_ms"], s["max_ms"]))' "$page" "$c" >>"$WORK/results.tsv"
  done
done
log "results ($(nproc) cores, $COPIES copies of the demo)"
column -t -s $'\t' "$WORK/results.tsv"
