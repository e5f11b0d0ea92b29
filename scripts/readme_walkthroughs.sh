#!/usr/bin/env bash
# Runs the README's shell walk-throughs as written (every ```sh block marked
# `<!-- walkthrough -->`, in order, in one shell) against a fresh sandbox service, so that
# they can't rot. `cargo run --release -q -- ARGS` in them runs the binary built by the
# test run (a shim on PATH), so nothing is built twice; `localhost:8080` is the service's
# port. Fails on the first command that fails.
#
#   scripts/readme_walkthroughs.sh BINARY WORK
set -euo pipefail
BIN=$(realpath "$1")
WORK=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR="$WORK/walkthroughs"
mkdir -p "$DIR/bin" "$DIR/run"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
REAL_CARGO=$(command -v cargo || true)
cat >"$DIR/bin/cargo" <<SHIM
#!/usr/bin/env bash
if [ "\${1:-} \${2:-} \${3:-} \${4:-}" = "run --release -q --" ]; then shift 4; exec "$BIN" "\$@"; fi
exec "$REAL_CARGO" "\$@"
SHIM
chmod +x "$DIR/bin/cargo"

python3 - "$ROOT/README.md" "$PORT" >"$DIR/walkthroughs.sh" <<'PY'
import re, sys
readme, port = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2]
blocks = re.findall(r"<!-- walkthrough -->\n```sh\n(.*?)```", readme, re.S)
if not blocks:
    sys.exit("no walk-through in the README")
for i, block in enumerate(blocks, 1):
    print(f"echo '---- walk-through {i} of {len(blocks)}' >&2")
    print(block.replace("localhost:8080", f"localhost:{port}"))
PY
echo "==> the README's walk-throughs: $(grep -c '^echo .---- walk-through' "$DIR/walkthroughs.sh") blocks" >&2

# A fresh sandbox service with the embedded defaults (SQLite and its data in ./data), as a
# newcomer starts it.
(
  cd "$DIR/run"
  env -u DATABASE_URL -u REDIS_URL -u REDIS_CLUSTER_URL \
    LICITA_SANDBOX=true LICITA_TIME_FACTOR=60 LICITA_ADDR="127.0.0.1:$PORT" \
    "$BIN" serve >"$DIR/service.log" 2>&1 &
  echo $! >"$DIR/service.pid"
)
trap 'kill "$(cat "$DIR/service.pid")" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf "localhost:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "localhost:$PORT/readyz" >/dev/null || { cat "$DIR/service.log"; exit 1; }

status=0
(
  cd "$DIR/run"
  env -u DATABASE_URL -u REDIS_URL -u REDIS_CLUSTER_URL PATH="$DIR/bin:$PATH" \
    bash -euo pipefail "$DIR/walkthroughs.sh"
) >"$DIR/output.log" 2>&1 || status=$?
tail -n 30 "$DIR/output.log"
if [ "$status" != 0 ]; then
  echo "a README walk-through failed (exit $status); the service's log ends:" >&2
  tail -n 20 "$DIR/service.log" >&2
  exit "$status"
fi
echo "==> every README walk-through ran" >&2
