#!/usr/bin/env bash
# Fuzzes the running service against its own OpenAPI document with schemathesis (PyPI), as
# a client nobody here wrote: no server error, no status the document does not list, no
# response that contradicts its schema or content type. Runs with no token and with a
# token of each role, each run bounded (examples per operation, and a hard time limit).
#
#   scripts/schemathesis.sh BINARY WORK        (scripts/test.sh calls it after cargo test)
#
# The service runs on PostgreSQL and Redis when DATABASE_URL and REDIS_URL are set (a
# fresh database is created), on SQLite in WORK otherwise.
set -euo pipefail
BIN=$1
WORK=$2
ST_VERSION=4.32.5
ST_VENV=${ST_VENV:-$WORK/st-venv}
ST_MAX_EXAMPLES=${ST_MAX_EXAMPLES:-25}
ST_HARD_TIMEOUT=${ST_HARD_TIMEOUT:-180}
ST_SEED=${ST_SEED:-424242}

log() { printf '\n==> %s\n' "$*" >&2; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

if ! "$ST_VENV/bin/schemathesis" --version 2>/dev/null | grep -qF "$ST_VERSION"; then
  log "installing schemathesis $ST_VERSION"
  python3 -m venv "$ST_VENV"
  "$ST_VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$ST_VERSION"
fi

DATA="$WORK/st-data"
mkdir -p "$DATA" "$WORK/st"
PORT=$(free_port)
# The fuzzer sends far more than one client may: with the limits on, it would mostly meet
# 429 (documented on every operation, and tested in tests/api/limits.rs).
env_vars=(LICITA_ADDR="127.0.0.1:$PORT" LICITA_DATA_DIR="$DATA" LICITA_LOG=warn
  LICITA_RATE_BIDS=off LICITA_RATE_WRITES=off LICITA_RATE_READS=off)
if [ -n "${DATABASE_URL:-}" ]; then
  db="licita_schemathesis_$$"
  python3 - "$DATABASE_URL" "$db" <<'PY'
import subprocess, sys, urllib.parse
url = urllib.parse.urlparse(sys.argv[1])
subprocess.run(["psql", "-h", url.hostname, "-p", str(url.port), "-U", url.username or "licita",
                "-d", url.path.lstrip("/") or "postgres", "-qc", f'CREATE DATABASE "{sys.argv[2]}"'], check=True)
PY
  env_vars+=(DATABASE_URL="${DATABASE_URL%/*}/$db")
fi
if [ -n "${REDIS_URL:-}" ]; then env_vars+=(REDIS_URL="$REDIS_URL" LICITA_REDIS_PREFIX="st-$$"); fi

log "starting licita for schemathesis on 127.0.0.1:$PORT"
env "${env_vars[@]}" "$BIN" serve >"$WORK/st-service.log" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null || true' EXIT
python3 - "$PORT" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=1)
        sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit("licita did not come up")
PY

token() { env "${env_vars[@]}" "$BIN" token --ttl 1h "$@"; }
SUPPLIER_RFC=ACM010101AB0   # a valid RFC (check digit 0), registered below
REGISTRAR=$(token --role registrar)
python3 - "$PORT" "$REGISTRAR" "$SUPPLIER_RFC" <<'PY'
import json, sys, urllib.request
port, token, rfc = sys.argv[1:]
body = {"rfc": rfc, "legal_name": "Acme Cómputo", "size": "small",
        "email": "ventas@acme.com.mx", "classifier_codes": ["51501"]}
req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/suppliers", json.dumps(body).encode(),
                             {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
urllib.request.urlopen(req, timeout=10)
PY

run() {
  local label=$1; shift
  log "schemathesis: $label"
  (cd "$WORK/st" && timeout -s INT -k 10 "$ST_HARD_TIMEOUT" \
    "$ST_VENV/bin/schemathesis" --no-color run "http://127.0.0.1:$PORT/api-docs/openapi.json" \
      --url "http://127.0.0.1:$PORT" \
      --wait-for-schema 30 \
      --phases examples,coverage,fuzzing \
      --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
      --exclude-path '/api/v1/auctions/{id}/events' \
      --exclude-path /metrics \
      --max-examples "$ST_MAX_EXAMPLES" \
      --request-timeout 10 \
      --seed "$ST_SEED" \
      --generation-database none \
      --workers 1 \
      --report junit --report-junit-path "$WORK/st/junit-$label.xml" \
      "$@")
}

status=0
run anonymous || status=1
run supplier -H "Authorization: Bearer $(token --role supplier --sub "$SUPPLIER_RFC")" || status=1
run officer -H "Authorization: Bearer $(token --role officer --agency SEP)" || status=1
run ict_authority -H "Authorization: Bearer $(token --role ict_authority)" || status=1
run registrar -H "Authorization: Bearer $REGISTRAR" || status=1
run auditor -H "Authorization: Bearer $(token --role auditor)" || status=1
if grep -q "panicked" "$WORK/st-service.log"; then
  echo "the service panicked during schemathesis:" >&2
  grep -n -A5 "panicked" "$WORK/st-service.log" >&2
  status=1
fi
if [ "$status" = 0 ]; then log "schemathesis: no failure in any run"; else log "schemathesis found failures (above)"; fi
exit "$status"
