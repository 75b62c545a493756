#!/usr/bin/env bash
# Black-box client tests: starts the built server as the README's run command does (embedded
# default: fresh SQLite database, local embedding model) on a random port, then runs against it
# the browser tests in end2end/ (Playwright driving Debian's chromium; screenshots land in
# end2end/artifacts/), the MCP tests (the official TypeScript MCP client, over HTTP and over
# `memory-mesh mcp`), and the TypeScript and Python SDKs' tests (each SDK built and installed
# as a user installs it). Stops the server. Expects scripts/build.sh and setup-tools.sh to have
# run.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

work=$(mktemp -d)
log_file="$work/server.log"
# Every suite's clients share one address: the per-address limit is raised so that the suites
# are not throttled by each other (tenant and key budgets stay as they are).
env -u MEMORY_DATABASE_URL -u MEMORY_REDIS_URL MEMORY_PORT=0 MEMORY_DATA_DIR="$work/data" \
  MEMORY_ADMIN_EMAILS=root@example.com MEMORY_GLOBAL_RATE_LIMIT=100000/minute \
  MEMORY_SITE_ROOT="$PWD/target/site" \
  target/release/memory-mesh serve >"$log_file" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT

url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'running at http://[0-9.:]*' "$log_file" | head -1 | cut -d' ' -f3) || true
  [ -n "$url" ] && break
  kill -0 $server 2>/dev/null || { cat "$log_file" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "server did not start" >&2; cat "$log_file" >&2; exit 1; }
log "browser and MCP tests against $url"
mkdir -p end2end/artifacts
(cd end2end && BASE_URL="$url" MEMORY_MESH_BIN="$PWD/../target/release/memory-mesh" \
  MEMORY_MESH_DATA_DIR="$work/data" MEMORY_SITE_ROOT="$PWD/../target/site" \
  node --test --test-reporter=spec tests/)

log "TypeScript SDK tests"
(cd sdk/typescript && node_modules/.bin/tsc -p . &&
  MEMORY_MESH_URL="$url" node --test --test-reporter=spec tests/)

log "Python SDK tests (the wheel, installed)"
venv=target/python
rm -rf target/python-wheels
"$venv/bin/pip" wheel -q --no-deps --no-build-isolation -w target/python-wheels sdk/python >/dev/null
"$venv/bin/pip" install -q --no-deps --force-reinstall target/python-wheels/memory_mesh-*.whl
(cd sdk/python && MEMORY_MESH_URL="$url" "../../$venv/bin/pytest" -q -p no:cacheprovider tests)
